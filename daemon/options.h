/* vireod's command line. */
#ifndef VIREO_DAEMON_OPTIONS_H
#define VIREO_DAEMON_OPTIONS_H

#include <stdbool.h>

#include "lib/util/err.h"

struct daemon_options {
	const char *root;		/* --root DIR, or NULL for "/" */
	int verbose;			/* count of --verbose */
	unsigned timeout_s;		/* --timeout N: exit after N idle seconds (0: never) */
	bool listen;			/* --listen: bind the sockets even if systemd passed some */
	bool show_help;
	bool show_version;
};

/* Parse argv. Errors are ERR_USAGE with a message naming the option. */
int daemon_options_parse(struct daemon_options *o, int argc, char **argv, struct err **errp);
void daemon_options_usage(const char *prog);

#endif
