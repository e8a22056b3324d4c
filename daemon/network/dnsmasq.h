/* The dnsmasq of one vireo network: DHCP (ranges, static hosts) and DNS on the
 * network's bridge only.
 *
 * Its files live in the network's run dir: dnsmasq.conf (written by vireod),
 * dnsmasq.pid and dnsmasq.leases (written by dnsmasq, which opens both before it drops
 * to its unprivileged user). dnsmasq daemonizes: its first process exits once the
 * daemon is listening, with a status and a message when it cannot, so a start fails
 * with dnsmasq's own reason. */
#ifndef VIREO_DAEMON_NETWORK_DNSMASQ_H
#define VIREO_DAEMON_NETWORK_DNSMASQ_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/conf/network.h"
#include "lib/util/err.h"

struct dnsmasq_paths {
	const char *conf;
	const char *pid;
	const char *leases;
};

/* Whether net needs a dnsmasq: it has an IPv4 address (DHCP and DNS for it) and
 * its bridge is vireo's (not forward mode bridge). */
bool dnsmasq_wanted(const struct vnetwork *net);

/* Whether every value of net that goes into the configuration can (no control
 * characters; no ',' in host names, which would split a dhcp-host line). */
int dnsmasq_check(const struct vnetwork *net, struct err **errp);

/* The configuration file's text for net on bridge. New string. */
char *dnsmasq_conf(const struct vnetwork *net, const char *bridge, const struct dnsmasq_paths *p);

/* Write the configuration and start dnsmasq; *pid gets the daemon's pid (from its
 * pid file). Returns 0 or -1 with dnsmasq's message. */
int dnsmasq_start(const struct vnetwork *net, const char *bridge, const struct dnsmasq_paths *p,
		  pid_t *pid, struct err **errp);

/* True when pid is the dnsmasq of that configuration file. */
bool dnsmasq_is_running(pid_t pid, const char *conf_path);
/* Stop it (when pid still is that dnsmasq). */
void dnsmasq_stop(pid_t pid, const char *conf_path);

#endif
