/* validate, domxml-format, domxml-to-native: the XML commands that need no daemon.
 * They behave like virt-xml-validate and virsh's commands of the same names. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "client/commands.h"
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

static int need_file_arg(int argc, char **argv, const char *usage, struct err **errp)
{
	if (argc != 2)
		return err_set(errp, ERR_USAGE, _("usage: vireo %s"), usage);
	(void)argv;
	return 0;
}

int cmd_validate(struct client *c, int argc, char **argv, struct err **errp)
{
	char *data, *root;
	size_t len;
	int rc = -1;

	if (need_file_arg(argc, argv, "validate FILE", errp) < 0 ||
	    file_read_all(argv[1], XML_FILE_MAX, &data, &len, errp) < 0)
		return -1;
	root = root_name(data, len);
	if (root && strcmp(root, "network") == 0) {
		struct vnetwork *n = vnetwork_parse(data, len, argv[1], errp);

		rc = n ? 0 : -1;
		vnetwork_free(n);
	} else {
		struct vdomain *d = vdomain_parse(data, len, argv[1], client_schema_dir(), errp);

		rc = d ? 0 : -1;
		vdomain_free(d);
	}
	if (rc == 0)
		printf(_("%s validates\n"), argv[1]);
	free(root);
	free(data);
	return rc;
}

int cmd_domxml_format(struct client *c, int argc, char **argv, struct err **errp)
{
	struct vdomain *d;
	char *xml;

	if (need_file_arg(argc, argv, "domxml-format FILE", errp) < 0)
		return -1;
	d = vdomain_parse_file(argv[1], client_schema_dir(), errp);
	if (!d)
		return -1;
	xml = vdomain_format(d);
	fputs(xml, stdout);
	free(xml);
	vdomain_free(d);
	return 0;
}

/* Single-quote an argument for a shell when it holds anything but safe characters
 * (the layout of libvirt's .args files). */
static void print_shell_word(const char *s, const char *end)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "@%+=:,./_-", *p))
			plain = false;
	if (plain) {
		printf("%s%s", s, end);
		return;
	}
	putchar('\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	printf("'%s", end);
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

int cmd_domxml_to_native(struct client *c, int argc, char **argv, struct err **errp)
{
	static const struct option longopts[] = {
		{ "worker", required_argument, NULL, 'w' },
		{ "shell", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct vdom_argv_ctx ctx = { .monitor_fd = 1729 };
	const char *worker = NULL;
	bool shell = false;
	struct vdomain *d;
	char **args;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+w:s", longopts, NULL)) != -1) {
		if (opt == 'w')
			worker = optarg;
		else if (opt == 's')
			shell = true;
		else
			return err_set(errp, ERR_USAGE, _("unknown option '%s'"), argv[optind - 1]);
	}
	if (argc - optind != 2 || strcmp(argv[optind], "qemu-argv") != 0)
		return err_set(errp, ERR_USAGE,
			       _("usage: vireo domxml-to-native [--worker vireo-vmm|qemu] [--shell] qemu-argv FILE"));
	d = vdomain_parse_file(argv[optind + 1], client_schema_dir(), errp);
	if (!d)
		return -1;
	if (worker && strcmp(worker, "qemu") && strcmp(worker, "vireo-vmm")) {
		vdomain_free(d);
		return err_set(errp, ERR_USAGE, _("--worker: expected vireo-vmm or qemu, not '%s'"),
			       worker);
	}
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
