/* validate, domxml-format, domxml-to-native: the XML commands that need no daemon.
 * They behave like virt-xml-validate and virsh's commands of the same names. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "client/commands.h"
#include "client/target.h"
#include "lib/conf/domain.h"
#include "lib/conf/network.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define XML_FILE_MAX (4 << 20)

const char *client_schema_dir(void)
{
	const char *dir = getenv("VIREO_SCHEMA_DIR");

	/* An empty VIREO_SCHEMA_DIR skips schema validation (a debugging aid). */
	if (dir)
		return *dir ? dir : NULL;
	return PKGDATADIR "/schemas";
}

/* The root element's name, without a full parse ("domain", "network"). */
static char *root_name(const char *data, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(data, (int)len, NULL, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	char *name = root ? xstrdup((const char *)root->name) : NULL;

	xmlFreeDoc(doc);
	return name;
}

const struct opt_def opts_validate[] = {
	{ "file", OPT_DATA, OPT_REQ, N_("the domain or network XML file") },
	{ NULL },
};

const struct opt_def opts_domxml_format[] = {
	{ "file", OPT_DATA, OPT_REQ, N_("the domain XML file") },
	{ NULL },
};

const struct opt_def opts_domxml_to_native[] = {
	{ "format", OPT_DATA, OPT_REQ, N_("target format: qemu-argv") },
	{ "file", OPT_DATA, OPT_REQ, N_("the domain XML file") },
	{ "worker", OPT_STRING, 0, N_("the worker to print for: vireo-vmm or qemu") },
	{ "shell", OPT_BOOL, 0, N_("print the command line on one line") },
	{ NULL },
};

int cmd_validate(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *file = args_str(a, "file");
	char *data, *root;
	size_t len;
	int rc = -1;

	if (file_read_all(file, XML_FILE_MAX, &data, &len, errp) < 0)
		return -1;
	root = root_name(data, len);
	if (root && strcmp(root, "network") == 0) {
		struct vnetwork *n = vnetwork_parse(data, len, file, errp);

		rc = n ? 0 : -1;
		vnetwork_free(n);
	} else {
		struct vdomain *d = vdomain_parse(data, len, file, client_schema_dir(), errp);

		rc = d ? 0 : -1;
		vdomain_free(d);
	}
	if (rc == 0)
		printf(_("%s validates\n"), file);
	free(root);
	free(data);
	return rc;
}

int cmd_domxml_format(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct vdomain *d;
	char *xml;

	d = vdomain_parse_file(args_str(a, "file"), client_schema_dir(), errp);
	if (!d)
		return -1;
	xml = vdomain_format(d);
	fputs(xml, stdout);
	free(xml);
	vdomain_free(d);
	return 0;
}

/* One word of the command line, quoted for a shell where needed (the layout of
 * libvirt's .args files), then end. */
static void print_shell_word(const char *s, const char *end)
{
	char *q = shell_quote(s);

	printf("%s%s", q, end);
	free(q);
}

static bool emulator_is_qemu(const struct vdomain *d)
{
	const char *base;

	if (!d->emulator)
		return false;
	base = strrchr(d->emulator, '/');
	base = base ? base + 1 : d->emulator;
	return str_starts_with(base, "qemu");
}

int cmd_domxml_to_native(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct vdom_argv_ctx ctx = { .monitor_fd = 1729 };
	const char *worker = args_str(a, "worker");
	bool shell = args_bool(a, "shell");
	struct vdomain *d;
	char **args;

	if (strcmp(args_str(a, "format"), "qemu-argv") != 0)
		return err_set(errp, ERR_USAGE, _("unsupported native format '%s' (only qemu-argv)"),
			       args_str(a, "format"));
	if (worker && strcmp(worker, "qemu") && strcmp(worker, "vireo-vmm"))
		return err_set(errp, ERR_USAGE, _("--worker: expected vireo-vmm or qemu, not '%s'"),
			       worker);
	d = vdomain_parse_file(args_str(a, "file"), client_schema_dir(), errp);
	if (!d)
		return -1;
	ctx.flavor = (worker ? strcmp(worker, "qemu") == 0 : emulator_is_qemu(d))
			     ? VDOM_FLAVOR_QEMU
			     : VDOM_FLAVOR_VIREO_VMM;
	/* Asked for stock QEMU while the domain names another worker: run QEMU. */
	if (ctx.flavor == VDOM_FLAVOR_QEMU && !emulator_is_qemu(d))
		ctx.emulator = "/usr/bin/qemu-system-x86_64";
	args = vdomain_to_argv(d, &ctx, errp);
	vdomain_free(d);
	if (!args)
		return -1;
	/* libvirt's layout: an option and its value share a line ("-m 1024 \"). */
	for (size_t i = 0; args[i]; i++) {
		bool pair = args[i][0] == '-' && args[i + 1] && args[i + 1][0] != '-';

		print_shell_word(args[i], !args[i + 1] ? "\n"
					  : shell || pair ? " "
							  : " \\\n");
		if (pair) {
			i++;
			print_shell_word(args[i], !args[i + 1] ? "\n" : shell ? " " : " \\\n");
		}
	}
	vdomain_argv_free(args);
	return 0;
}
