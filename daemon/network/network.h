/* vireod's host networking: vireo networks (net.* methods) and the host side of
 * every domain <interface> (taps, bridge ports, vhost fds; domain.if* methods).
 *
 * Networks (netdef.c, netstart.c): libvirt's network XML subset, persistent in
 * <root>/etc/vireo/networks/NAME.xml (autostart marks as symlinks in autostart/, as
 * libvirt keeps them). An active network has a run dir <root>/run/vireo/networks/NAME/
 * with status.json (what its start created: the bridge, the nftables table, dnsmasq's
 * pid), live.xml, and dnsmasq's files; a restarted daemon takes active networks over
 * from there, and stopping a network removes exactly what status.json lists.
 *
 * Interfaces (hostnet.c): at domain start the daemon opens a tap per interface (N
 * queues), puts it on its bridge, opens vhost-net when wanted, and passes only the
 * fds to the worker; the domain's run dir gets net.json, the taps it created, so they
 * are removed when the domain stops, also after a daemon restart (reattach). */
#ifndef VIREO_DAEMON_NETWORK_NETWORK_H
#define VIREO_DAEMON_NETWORK_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "daemon/domain.h"
#include "lib/conf/network.h"
#include "lib/util/spawn.h"

/* What an active network's start created, so stopping removes exactly that. */
struct vnet_runtime {
	char *bridge;			/* the bridge guests go on */
	bool bridge_created;		/* vireod made it (and deletes it) */
	char *nft_table;		/* loaded table, or NULL */
	pid_t dnsmasq_pid;		/* 0: none */
};

struct vnet_obj {
	char *name;
	uint8_t uuid[16];
	char uuid_str[37];
	struct vnetwork *def;		/* the persistent definition */
	struct vnetwork *live;		/* what runs; NULL: inactive */
	bool autostart;
	struct vnet_runtime rt;
};

struct netreg {
	struct vnet_obj **nets;
	size_t n;
	char *dir;			/* <root>/etc/vireo/networks */
	char *autostart_dir;		/* .../networks/autostart */
	char *run_dir;			/* <root>/run/vireo/networks */
};

/* ---- netdef.c: the registry of networks ---- */

/* Load the definitions, then take over the networks a previous daemon left active
 * (or clean up after them). Problems are logged, never fatal. */
void netreg_load(struct daemon *d);
/* Forget every network (daemon exit: active networks stay as they are). */
void netreg_free(struct daemon *d);
/* Start the autostart networks that are not active. */
void netreg_autostart(struct daemon *d);

/* A network by name, else by uuid; NULL when none. */
struct vnet_obj *netreg_find(struct daemon *d, const char *ref);
/* netreg_find, or a no-network error (libvirt's words). */
struct vnet_obj *netreg_lookup(struct daemon *d, const char *ref, struct err **errp);

/* Define (or redefine) from XML; *is_new says which. */
struct vnet_obj *netdef_define(struct daemon *d, const char *xml, bool *is_new,
			       struct err **errp);
int netdef_undefine(struct daemon *d, struct vnet_obj *n, struct err **errp);
int netdef_set_autostart(struct daemon *d, struct vnet_obj *n, bool on, struct err **errp);

/* The run dir of network name (new string). */
char *netreg_run_path(struct daemon *d, const char *name, const char *file);

/* ---- netstart.c: starting and stopping networks ---- */

int net_start(struct daemon *d, struct vnet_obj *n, struct err **errp);
/* Remove what the start created and mark the network inactive. */
int net_destroy(struct daemon *d, struct vnet_obj *n, struct err **errp);
/* A network found active at daemon start: check what is there, restore what is
 * missing (dnsmasq, the nft table), or clean it all up when its bridge is gone. */
void net_reconcile(struct daemon *d, struct vnet_obj *n);
/* Free the runtime record (not the host objects). */
void vnet_runtime_clear(struct vnet_runtime *rt);

/* ---- netmethods.c: the net.* methods ---- */

void netmethod_define(struct call *call);
void netmethod_undefine(struct call *call);
void netmethod_start(struct call *call);
void netmethod_destroy(struct call *call);
void netmethod_list(struct call *call);
void netmethod_info(struct call *call);
void netmethod_xml(struct call *call);
void netmethod_autostart(struct call *call);

/* ---- hostnet.c: the host side of a domain's interfaces ---- */

struct hostnet {
	struct vdom_net_fds *fds;	/* per interface, as the worker numbers them */
	size_t n;
	struct spawn_fd_map *map;	/* the daemon's fds -> the worker's numbers */
	size_t n_map;
};

/* Open what dom->live's interfaces need, worker fd numbers from first_fd on; fills
 * in the tap names (<target dev>) of dom->live and records the created taps in the
 * runtime dir. At most max_fds fds in all. On failure nothing is left behind. */
int hostnet_prepare(struct domain *dom, int first_fd, size_t max_fds, struct hostnet *hn,
		    struct err **errp);
/* Close the daemon's copies of the fds (after the spawn) and free hn. */
void hostnet_close(struct hostnet *hn);
/* The domain stopped (or its worker was found dead): delete the taps its start
 * created, from the record in its runtime dir; never a managed='no' tap. */
void hostnet_release(struct daemon *d, const char *name);
/* Before `cont`: set the link of every interface whose live XML says <link
 * state='down'/> (QMP set_link), then done(dom). */
void hostnet_apply_links(struct domain *dom, void (*done)(struct domain *dom));

/* ---- ifmethods.c: domain.iflist, domain.ifstat, domain.getlink, domain.setlink ---- */

void ifmethod_list(struct domain *dom, struct call *call);
void ifmethod_stat(struct domain *dom, struct call *call);
void ifmethod_getlink(struct domain *dom, struct call *call);
void ifmethod_setlink(struct domain *dom, struct call *call);	/* a job */

#endif
