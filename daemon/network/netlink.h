/* rtnetlink for vireod's host networking, through libmnl: links (query, change,
 * delete, bridges), addresses and routes.
 *
 * Each call sends one request and waits for the kernel's answer on a socket the
 * caller opened with nl_open(); these are quick, local operations, done in the
 * daemon's loop like its fsync'ed writes. Errors carry the kernel's errno and name
 * the interface. */
#ifndef VIREO_DAEMON_NETWORK_NETLINK_H
#define VIREO_DAEMON_NETWORK_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf/network.h"
#include "lib/util/err.h"

struct mnl_socket;

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

/* The link counters, as the host sees them (rtnl_link_stats64). */
struct nl_link_stats {
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];			/* IFLA_INFO_KIND: "bridge", "tun", "veth"; "" none */
	unsigned mtu;
	int master;			/* the master's ifindex (a bridge port); 0: none */
	uint8_t mac[6];
	bool up;			/* IFF_UP */
	struct nl_link_stats stats;
};

/* What nl_link_change() sets; fields left at their "keep" value stay as they are. */
struct nl_link_change {
	unsigned mtu;			/* 0: keep */
	const uint8_t *mac;		/* NULL: keep */
	int master;			/* -1: keep, 0: leave the bridge, >0: its ifindex */
	int up;				/* -1: keep, 0: down, 1: up */
};
#define NL_LINK_CHANGE_KEEP { .mtu = 0, .mac = NULL, .master = -1, .up = -1 }

/* An IPv4/IPv6 prefix the host has: a route of the main table or an address. */
struct nl_prefix {
	struct vnet_addr addr;
	unsigned prefix;
	char dev[IFNAMSIZ];		/* the interface it is on ("" if none) */
};

int nl_open(struct nl *nl, struct err **errp);
void nl_close(struct nl *nl);

/* The link called name: 0, -1 with ERR_NOT_FOUND when there is none. */
int nl_link_get(struct nl *nl, const char *name, struct nl_link *out, struct err **errp);
/* True when a link of that name exists. */
bool nl_link_exists(struct nl *nl, const char *name);
int nl_link_change(struct nl *nl, const char *name, const struct nl_link_change *c,
		   struct err **errp);
/* Delete the link (a missing one is no error). */
int nl_link_del(struct nl *nl, const char *name, struct err **errp);

/* A new bridge: STP as given, forward delay in seconds, MAC when not NULL, MTU when
 * not 0. Left down. */
int nl_bridge_add(struct nl *nl, const char *name, bool stp, unsigned delay_s,
		  const uint8_t *mac, unsigned mtu, struct err **errp);
/* Add address/prefix to the link. */
int nl_addr_add(struct nl *nl, const char *dev, const struct vnet_addr *a, unsigned prefix,
		struct err **errp);

/* Every route of the main table and every address of family (AF_INET or AF_INET6),
 * as prefixes (*out, *n; free(*out)). */
int nl_host_prefixes(struct nl *nl, int family, struct nl_prefix **out, size_t *n,
		     struct err **errp);

#endif
