/* Where vireod keeps things, all under one root.
 *
 * `--root DIR` moves every path under DIR (tests, unprivileged instances); without it
 * the root is "/" and the paths are the system ones (/etc/vireo, /run/vireo,
 * /var/log/vireo). Nothing is fixed at configure time. */
#ifndef VIREO_DAEMON_PATHS_H
#define VIREO_DAEMON_PATHS_H

#include "lib/util/err.h"

struct daemon_paths {
	char *root;		/* "/" or the --root directory, absolute */
	char *config_dir;	/* <root>/etc/vireo */
	char *domains_dir;	/* <root>/etc/vireo/domains: persistent definitions */
	char *autostart_dir;	/* <root>/etc/vireo/domains/autostart: NAME.xml links */
	char *run_dir;		/* <root>/run/vireo */
	char *run_domains_dir;	/* <root>/run/vireo/domains: per running domain */
	char *log_dir;		/* <root>/var/log/vireo */
	char *rw_socket;	/* <root>/run/vireo/vireod.sock */
	char *ro_socket;	/* <root>/run/vireo/vireod-ro.sock */
	char *pid_file;		/* <root>/run/vireo/vireod.pid */
	char *autostarted;	/* <root>/run/vireo/autostarted: autostart ran this boot */
};

/* Fill in every path for root (NULL or "" means "/"); a relative root is made
 * absolute against the current directory, since the daemon later changes to "/". */
int daemon_paths_init(struct daemon_paths *p, const char *root, struct err **errp);
/* Create the directories (config, logs and <root>/run/vireo 0755: clients reach the
 * sockets there; the per-domain runtime dirs 0700). */
int daemon_paths_create(const struct daemon_paths *p, struct err **errp);
void daemon_paths_free(struct daemon_paths *p);

#endif
