#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "daemon/options.h"
#include "lib/util/i18n.h"
#include "lib/util/parse.h"

void daemon_options_usage(const char *prog)
{
	printf(_("Usage: %s [OPTION]...\n"
		 "The Vireo daemon: keeps domain definitions and runs one worker per VM.\n"
		 "\n"
		 "  -r, --root DIR      keep every file under DIR instead of /\n"
		 "  -t, --timeout N     exit after N seconds without clients or running domains\n"
		 "  -l, --listen        bind the sockets under the root even when systemd\n"
		 "                      passed sockets (socket activation)\n"
		 "  -v, --verbose       log more (repeat for debug); see also VIREO_LOG\n"
		 "  -h, --help          show this help and exit\n"
		 "  -V, --version       show the version and exit\n"),
	       prog);
}

int daemon_options_parse(struct daemon_options *o, int argc, char **argv, struct err **errp)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "listen", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct err *perr = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;	/* we word the messages ourselves */
	while ((c = getopt_long(argc, argv, ":r:t:lvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 't':
			if (parse_uint(optarg, 0, 86400 * 365, &o->timeout_s, &perr) < 0) {
				err_set(errp, ERR_USAGE, _("--timeout: %s"), perr->message);
				err_free(perr);
				return -1;
			}
			break;
		case 'l':
			o->listen = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->show_help = true;
			break;
		case 'V':
			o->show_version = true;
			break;
		case ':':
			return err_set(errp, ERR_USAGE, _("option '%s' needs a value"),
				       argv[optind - 1]);
		default:
			return err_set(errp, ERR_USAGE, _("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_set(errp, ERR_USAGE, _("unexpected argument '%s'"), argv[optind]);
	return 0;
}
