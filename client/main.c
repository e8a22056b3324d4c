/* vireo: the command-line client, virsh's habits on Vireo's RPC.
 *
 * For now the client knows its global options and the commands that need no daemon
 * (help, version); the daemon commands arrive with the RPC (docs/architecture.md). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"

struct client {
	const char *root;	/* --root DIR: the vireod started with the same root */
	const char *uri;	/* -c URI */
	int verbose;
	struct logger log;
};

struct command {
	const char *name;
	const char *summary;
	int (*run)(struct client *c, int argc, char **argv, struct err **errp);
};

static int cmd_help(struct client *c, int argc, char **argv, struct err **errp);
static int cmd_version(struct client *c, int argc, char **argv, struct err **errp);

static const struct command commands[] = {
	{ "domxml-format", N_("parse a domain XML file and print it as dumpxml would"),
	  cmd_domxml_format },
	{ "domxml-to-native", N_("print the worker command line for a domain XML file"),
	  cmd_domxml_to_native },
	{ "help", N_("print help"), cmd_help },
	{ "validate", N_("check a domain or network XML file"), cmd_validate },
	{ "version", N_("show version"), cmd_version },
};

static void usage(void)
{
	size_t i;

	printf(_("Usage: vireo [OPTION]... COMMAND [ARG]...\n"
		 "Manage Vireo virtual machines (virsh-compatible commands).\n"
		 "\n"
		 "  -c, --connect URI   connect to the daemon at URI\n"
		 "  -r, --root DIR      talk to the vireod running with --root DIR\n"
		 "  -v, --verbose       log more (repeat for debug)\n"
		 "  -h, --help          show this help and exit\n"
		 "  -V, --version       show the version and exit\n"
		 "\n"
		 "Commands:\n"));
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		printf("    %-16s %s\n", commands[i].name, _(commands[i].summary));
}

static int cmd_help(struct client *c, int argc, char **argv, struct err **errp)
{
	usage();
	return 0;
}

static int cmd_version(struct client *c, int argc, char **argv, struct err **errp)
{
	/* The shape virsh prints, so scripts that parse it keep working. */
	printf(_("Compiled against library: vireo %s\n"), PACKAGE_VERSION);
	printf(_("Using library: vireo %s\n"), PACKAGE_VERSION);
	return 0;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int parse_global_options(struct client *c, int argc, char **argv, struct err **errp)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	/* "+": stop at the first non-option, the command; its options are its own. */
	while ((opt = getopt_long(argc, argv, "+:c:r:vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c->uri = optarg;
			break;
		case 'r':
			c->root = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			usage();
			exit(0);
		case 'V':
			printf("%s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			return err_set(errp, ERR_USAGE, _("option '%s' needs a value"),
				       argv[optind - 1]);
		default:
			return err_set(errp, ERR_USAGE, _("unknown option '%s'"), argv[optind - 1]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct client c = { 0 };
	const struct command *cmd;
	struct err *e = NULL;
	int status;

	i18n_init();
	if (parse_global_options(&c, argc, argv, &e) < 0)
		goto fail;
	if (logger_init(&c.log, "vireo", c.verbose, &e) < 0)
		goto fail;
	if (optind >= argc) {
		usage();
		return 0;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		err_set(&e, ERR_USAGE, _("unknown command: '%s'"), argv[optind]);
		goto fail;
	}
	if (cmd->run(&c, argc - optind, argv + optind, &e) < 0)
		goto fail;
	return 0;
fail:
	{
		char *text = err_describe(e);

		fprintf(stderr, _("error: %s\n"), text);
		free(text);
	}
	status = err_exit_code(e);
	err_free(e);
	return status;
}
