/* vireo: the command-line client, virsh's habits on Vireo's RPC.
 *
 * Global options, then one command with its own options (client/args.h). Output and
 * errors follow virsh: "error: ..." lines on stderr (the outermost message first, then
 * what caused it), exit status 1 on any error, and after a command that talked to the
 * daemon a blank line, which -q drops along with table headers and chatter. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/conn.h"
#include "client/target.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"

static int cmd_help(struct client *c, const struct cmd_args *a, struct err **errp);

static const struct opt_def opts_help[] = {
	{ "command", OPT_DATA, 0, N_("the command to describe") },
	{ NULL },
};

#define D (CMD_CONNECT | CMD_BLANK)
#define RO (CMD_CONNECT | CMD_BLANK | CMD_READONLY)

/* Sorted by name. */
static const struct command commands[] = {
	{ "autostart", N_("autostart a domain"), N_("Configure a domain to be automatically started at boot."),
	  opts_autostart, D, cmd_autostart },
	{ "console", N_("connect to the guest console"),
	  N_("Connect the virtual serial console for the guest. Leave with ^] (Ctrl + ])."),
	  opts_console, D, cmd_console },
	{ "create", N_("create a domain from an XML file"),
	  N_("Create and start a transient domain from an XML file."), opts_file_console, D,
	  cmd_create },
	{ "define", N_("define (but don't start) a domain from an XML file"),
	  N_("Define a domain."), opts_define, D, cmd_define },
	{ "destroy", N_("destroy (stop) a domain"),
	  N_("Forcefully stop a given domain, but leave its resources intact."), opts_destroy, D,
	  cmd_destroy },
	{ "domid", N_("convert a domain name or UUID to domain id"), NULL, opts_domain, RO,
	  cmd_domid },
	{ "domif-getlink", N_("get link state of a virtual interface"),
	  N_("Get link state of a domain's virtual interface."), opts_domif_getlink, RO,
	  cmd_domif_getlink },
	{ "domif-setlink", N_("set link state of a virtual interface"),
	  N_("Set link state of a domain's virtual interface."), opts_domif_setlink, D,
	  cmd_domif_setlink },
	{ "domiflist", N_("list all domain virtual interfaces"),
	  N_("Get the summary of virtual interfaces for a domain."), opts_domiflist, RO,
	  cmd_domiflist },
	{ "domifstat", N_("get network interface stats for a domain"),
	  N_("Get network interface stats for a running domain."), opts_domifstat, RO,
	  cmd_domifstat },
	{ "dominfo", N_("domain information"), N_("Returns basic information about the domain."),
	  opts_dominfo, RO, cmd_dominfo },
	{ "dommemstat", N_("get memory statistics for a domain"),
	  N_("Get memory statistics for a running domain."), opts_dommemstat, RO,
	  cmd_dommemstat },
	{ "domname", N_("convert a domain id or UUID to domain name"), NULL, opts_domain, RO,
	  cmd_domname },
	{ "domstate", N_("domain state"), N_("Returns state about a domain."), opts_domstate, RO,
	  cmd_domstate },
	{ "domuuid", N_("convert a domain name or id to domain UUID"), NULL, opts_domain, RO,
	  cmd_domuuid },
	{ "domxml-format", N_("parse a domain XML file and print it as dumpxml would"), NULL,
	  opts_domxml_format, 0, cmd_domxml_format },
	{ "domxml-to-native", N_("print the worker command line for a domain XML file"), NULL,
	  opts_domxml_to_native, 0, cmd_domxml_to_native },
	{ "dumpxml", N_("domain information in XML"),
	  N_("Output the domain information as an XML dump to stdout."), opts_dumpxml, RO,
	  cmd_dumpxml },
	{ "help", N_("print help"), NULL, opts_help, 0, cmd_help },
	{ "list", N_("list domains"), N_("Returns list of domains."), opts_list, RO, cmd_list },
	{ "net-autostart", N_("autostart a network"),
	  N_("Configure a network to be automatically started at boot."), opts_net_autostart, D,
	  cmd_net_autostart },
	{ "net-define", N_("define an inactive persistent virtual network or modify an existing persistent one from an XML file"),
	  N_("Define or modify a persistent virtual network."), opts_net_define, D,
	  cmd_net_define },
	{ "net-destroy", N_("destroy (stop) a network"), N_("Forcefully stop a given network."),
	  opts_network, D, cmd_net_destroy },
	{ "net-dumpxml", N_("network information in XML"),
	  N_("Output the network information as an XML dump to stdout."), opts_net_dumpxml, RO,
	  cmd_net_dumpxml },
	{ "net-info", N_("network information"), N_("Returns basic information about the network"),
	  opts_network, RO, cmd_net_info },
	{ "net-list", N_("list networks"), N_("Returns list of networks."), opts_net_list, RO,
	  cmd_net_list },
	{ "net-start", N_("start a (previously defined) inactive network"), N_("Start a network."),
	  opts_network, D, cmd_net_start },
	{ "net-undefine", N_("undefine a persistent network"),
	  N_("Undefine the configuration for a persistent network."), opts_network, D,
	  cmd_net_undefine },
	{ "reboot", N_("reboot a domain"), N_("Run a reboot command in the target domain."),
	  opts_domain, D, cmd_reboot },
	{ "reset", N_("reset a domain"), N_("Reset the target domain as if by power button"),
	  opts_domain, D, cmd_reset },
	{ "resume", N_("resume a domain"), N_("Resume a previously suspended domain."),
	  opts_domain, D, cmd_resume },
	{ "setmaxmem", N_("change maximum memory limit"),
	  N_("Change the maximum memory allocation limit in the guest domain."),
	  opts_setmaxmem, D, cmd_setmaxmem },
	{ "setmem", N_("change memory allocation"),
	  N_("Change the current memory allocation in the guest domain."), opts_setmem, D,
	  cmd_setmem },
	{ "shutdown", N_("gracefully shutdown a domain"),
	  N_("Run shutdown in the target domain."), opts_shutdown, D, cmd_shutdown },
	{ "start", N_("start a (previously defined) inactive domain"),
	  N_("Start a domain with a fresh boot."), opts_start, D, cmd_start },
	{ "suspend", N_("suspend a domain"), N_("Suspend a running domain."), opts_domain, D,
	  cmd_suspend },
	{ "undefine", N_("undefine a domain"),
	  N_("Undefine an inactive domain, or convert persistent to transient."), opts_domain,
	  D, cmd_undefine },
	{ "uri", N_("print the hypervisor canonical URI"), NULL, opts_none, RO, cmd_uri },
	{ "validate", N_("check a domain or network XML file"), NULL, opts_validate, 0,
	  cmd_validate },
	/* version connects itself: without a daemon it still prints the library lines. */
	{ "version", N_("show version"), NULL, opts_version, CMD_BLANK | CMD_READONLY,
	  cmd_version },
};

const struct command *command_table(size_t *n)
{
	*n = ARRAY_SIZE(commands);
	return commands;
}

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(void)
{
	printf(_("Usage: vireo [OPTION]... COMMAND [ARG]...\n"
		 "Manage Vireo virtual machines (virsh-compatible commands).\n"
		 "\n"
		 "  -c, --connect URI   connect to the daemon at URI (unix:PATH, ssh://[user@]host[/DIR])\n"
		 "  -r, --root DIR      talk to the vireod running with --root DIR\n"
		 "  -q, --quiet         quiet mode: no table headers, no informational messages\n"
		 "  -v, --verbose       log more (repeat for debug)\n"
		 "      --proxy-stdio   relay stdin/stdout to the local daemon (what ssh runs)\n"
		 "  -h, --help          show this help and exit\n"
		 "  -V, --version       show the version and exit\n"
		 "\n"
		 "Commands:\n"));
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("    %-16s %s\n", commands[i].name, _(commands[i].summary));
	printf(_("\n(specify help COMMAND for details about the command)\n"));
}

static int print_command_help(const struct command *cmd, struct err **errp)
{
	struct buf out = BUF_INIT;
	int rc;

	args_format_help(cmd->name, cmd->summary, cmd->description, cmd->opts, &out);
	rc = client_print(out.data, errp);
	buf_free(&out);
	return rc;
}

static int cmd_help(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *name = args_str(a, "command");
	const struct command *cmd;

	if (!name) {
		usage();
		return 0;
	}
	cmd = command_find(name);
	if (!cmd)
		return err_set(errp, ERR_USAGE, _("command or command group '%s' doesn't exist"),
			       name);
	return print_command_help(cmd, errp);
}

#define OPT_PROXY_STDIO 0x100

/* Returns 1 for --proxy-stdio, 0 otherwise, -1 on a bad option. */
static int parse_global_options(struct client *c, int argc, char **argv, struct err **errp)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "proxy-stdio", no_argument, NULL, OPT_PROXY_STDIO },
		{ NULL, 0, NULL, 0 },
	};
	int opt, proxy = 0;

	opterr = 0;
	/* "+": stop at the first non-option, the command; its options are its own. */
	while ((opt = getopt_long(argc, argv, "+:c:r:qvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c->uri = optarg;
			break;
		case 'r':
			c->root = optarg;
			break;
		case 'q':
			c->quiet = true;
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
		case OPT_PROXY_STDIO:
			proxy = 1;
			break;
		case ':':
			return err_set(errp, ERR_USAGE, _("option '%s' needs a value"),
				       argv[optind - 1]);
		default:
			return err_set(errp, ERR_USAGE, _("unknown option '%s'"), argv[optind - 1]);
		}
	}
	return proxy;
}

static int run_proxy(struct client *c, struct err **errp)
{
	struct target t;
	int rc;

	if (target_parse(c->uri, c->root, &t, errp) < 0) {
		target_free(&t);
		return -1;
	}
	rc = proxy_stdio(&t, errp);
	target_free(&t);
	return rc;
}

/* Parse the command's options and run it. *ran says whether it got as far as
 * running (virsh prints its blank line only then). */
static int run_command(struct client *c, int argc, char **argv, bool *ran, struct err **errp)
{
	const struct command *cmd = command_find(argv[0]);
	struct cmd_args a;

	*ran = false;
	if (!cmd)
		return err_set(errp, ERR_USAGE, _("unknown command: '%s'"), argv[0]);
	if (args_parse(cmd->name, cmd->opts, argc, argv, &a, errp) < 0)
		return -1;
	if (a.help)
		return print_command_help(cmd, errp);
	/* Connect first, so a missing daemon is reported as such, not as a failed command
	 * (and, as virsh, without the blank line). */
	if ((cmd->flags & CMD_CONNECT) && !client_rpc(c, cmd->flags & CMD_READONLY, errp))
		return -1;
	*ran = cmd->flags & CMD_BLANK;
	return cmd->run(c, &a, errp);
}

/* virsh's error lines: the outermost message first, then each cause. */
static void print_error(const struct err *e)
{
	for (; e; e = e->cause)
		fprintf(stderr, _("error: %s\n"), e->message);
}

int main(int argc, char **argv)
{
	struct client c = { 0 };
	struct err *e = NULL;
	bool ran = false;
	int rc, proxy;

	i18n_init();
	proxy = parse_global_options(&c, argc, argv, &e);
	if (proxy < 0)
		goto fail;
	if (logger_init(&c.log, "vireo", c.verbose, &e) < 0)
		goto fail;
	if (proxy) {
		if (optind < argc) {
			err_set(&e, ERR_USAGE, _("--proxy-stdio takes no command"));
			goto fail;
		}
		if (run_proxy(&c, &e) < 0)
			goto fail;
		return 0;
	}
	if (optind >= argc) {
		usage();
		return 0;
	}
	rc = run_command(&c, argc - optind, argv + optind, &ran, &e);
	client_disconnect(&c);
	fflush(stdout);
	if (rc < 0)
		print_error(e);
	if (ran && !c.quiet && !c.no_blank)
		putchar('\n');
	err_free(e);
	return rc < 0 ? 1 : 0;
fail:
	print_error(e);
	err_free(e);
	/* virsh: 1 for every failure, whatever its kind. */
	return 1;
}
