/* The host side of a domain's interfaces: taps, bridge ports, vhost-net fds.
 *
 * At start, for each <interface> of the live definition, in order:
 *   ethernet  a tap named <target dev> (or vnetN), host MAC, <mtu>, up; managed='no'
 *             opens the existing tap and changes nothing on it
 *   bridge    the same tap, on <source bridge> (MTU the bridge's unless <mtu>)
 *   network   the same, on the bridge of the (active) vireo network
 *   user      nothing here (the worker's own slirp)
 * queues=N gives N fds (IFF_MULTI_QUEUE), a virtio model IFF_VNET_HDR; vhost-net fds
 * as libvirt: <driver name='vhost'> needs them, name='qemu' forbids them, no name
 * takes them when /dev/vhost-net opens. The taps the start created are listed in the
 * domain's run dir (net.json), for hostnet_release(). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/lifecycle.h"
#include "daemon/network/netlink.h"
#include "daemon/network/network.h"
#include "daemon/network/tap.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define NET_JSON "net.json"
#define NET_JSON_MAX 65536
/* The kernel picks the number (TUNSETIFF), as libvirt's tap names. */
#define TAP_TEMPLATE "vnet%d"

/* One interface being prepared. */
struct iface_prep {
	const struct vdom_interface *ni;
	size_t index;
	const char *bridge;		/* NULL: none (ethernet) */
	unsigned mtu;			/* for the tap; 0: leave it */
	unsigned queues;
	bool managed;
	char dev[IFNAMSIZ];
	int taps[TAP_MAX_QUEUES];
	int vhost[TAP_MAX_QUEUES];
	unsigned n_vhost;
};

/* What the start has opened so far, to hand over or to undo. */
struct prep {
	struct domain *dom;
	struct nl nl;
	struct hostnet *hn;
	struct json_object *record;	/* [{"dev", "managed"}...] */
	int next_fd;
	size_t max_fds;
};

static bool is_virtio(const struct vdom_interface *ni)
{
	return streq(ni->model, "virtio");
}

/* Which bridge the interface goes on, and the MTU that bridge implies. */
static int resolve_bridge(struct prep *p, struct iface_prep *ip, struct err **errp)
{
	const struct vdom_interface *ni = ip->ni;
	struct nl_link br;

	if (ni->type == VDOM_NET_NETWORK) {
		struct vnet_obj *n = netreg_find(p->dom->d, ni->source_network);

		if (!n)
			return err_set(errp, RPC_ERR_OPERATION_FAILED, _("network '%s' not found"),
				       ni->source_network);
		if (!n->live || !n->rt.bridge)
			return err_set(errp, RPC_ERR_OPERATION_INVALID,
				       _("network '%s' is not active"), ni->source_network);
		ip->bridge = n->rt.bridge;
		if (n->live->mtu)
			ip->mtu = n->live->mtu;
	} else if (ni->type == VDOM_NET_BRIDGE) {
		ip->bridge = ni->source_bridge;
	}
	if (!ip->bridge)
		return 0;
	if (nl_link_get(&p->nl, ip->bridge, &br, NULL) < 0)
		return err_set(errp, RPC_ERR_OPERATION_FAILED, _("bridge '%s' does not exist"),
			       ip->bridge);
	if (strcmp(br.kind, "bridge") != 0)
		return err_set(errp, RPC_ERR_OPERATION_FAILED, _("'%s' is not a bridge"),
			       ip->bridge);
	if (!ip->mtu)
		ip->mtu = br.mtu;
	return 0;
}

/* vhost-net fds, when the interface may and should have them. */
static int open_vhost(struct prep *p, struct iface_prep *ip, struct err **errp)
{
	const struct vdom_interface *ni = ip->ni;

	if (!is_virtio(ni) || ni->backend == VDOM_NET_BACKEND_QEMU)
		return 0;
	if (vhost_open(ip->queues, ip->vhost) == 0) {
		ip->n_vhost = ip->queues;
		return 0;
	}
	if (ni->backend == VDOM_NET_BACKEND_VHOST)
		return err_set(errp, RPC_ERR_OPERATION_FAILED,
			       _("vhost-net requested but /dev/vhost-net is not available"));
	log_debug(&p->dom->d->log, "domain %s: interface %zu without vhost-net (%s: %s)",
		  p->dom->name, ip->index, VHOST_NET_PATH, strerror(errno));
	return 0;
}

/* Host MAC, MTU, bridge, up: what vireod sets on a tap it created. */
static int configure_tap(struct prep *p, const struct iface_prep *ip, struct err **errp)
{
	struct nl_link_change c = NL_LINK_CHANGE_KEEP;
	uint8_t mac[6];
	unsigned mtu = ip->ni->mtu ? ip->ni->mtu : ip->mtu;

	if (ip->ni->mac_set) {
		tap_host_mac(ip->ni->mac, mac);
		c.mac = mac;
	}
	c.mtu = mtu;
	if (ip->bridge) {
		c.master = (int)if_nametoindex(ip->bridge);
		if (c.master <= 0)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("bridge '%s' does not exist"), ip->bridge);
	}
	if (nl_link_change(&p->nl, ip->dev, &c, errp) < 0)
		return -1;
	c = (struct nl_link_change)NL_LINK_CHANGE_KEEP;
	c.up = 1;
	return nl_link_change(&p->nl, ip->dev, &c, errp);
}

static void record_tap(struct prep *p, const struct iface_prep *ip)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "dev", json_object_new_string(ip->dev));
	json_object_object_add(o, "managed", json_object_new_boolean(ip->managed));
	if (ip->bridge)
		json_object_object_add(o, "bridge", json_object_new_string(ip->bridge));
	json_object_array_add(p->record, o);
}

/* Give the interface's fds their worker numbers. */
static int hand_over(struct prep *p, struct iface_prep *ip, struct err **errp)
{
	struct hostnet *hn = p->hn;
	struct vdom_net_fds *f = &hn->fds[ip->index];
	size_t need = ip->queues + ip->n_vhost;

	if (hn->n_map + need > p->max_fds)
		return err_set(errp, RPC_ERR_OPERATION_FAILED,
			       _("the domain's interfaces need more than %zu tap and vhost fds"),
			       p->max_fds);
	hn->map = xreallocarray(hn->map, hn->n_map + need, sizeof(*hn->map));
	for (unsigned q = 0; q < ip->queues; q++) {
		f->tap_fds[q] = p->next_fd;
		hn->map[hn->n_map++] = (struct spawn_fd_map){ ip->taps[q], p->next_fd++ };
		ip->taps[q] = -1;
	}
	f->n_tap = ip->queues;
	for (unsigned q = 0; q < ip->n_vhost; q++) {
		f->vhost_fds[q] = p->next_fd;
		hn->map[hn->n_map++] = (struct spawn_fd_map){ ip->vhost[q], p->next_fd++ };
		ip->vhost[q] = -1;
	}
	f->n_vhost = ip->n_vhost;
	return 0;
}

static int prepare_one(struct prep *p, size_t i, struct err **errp)
{
	struct vdom_interface *ni = &p->dom->live->interfaces[i];
	struct iface_prep ip = { .ni = ni, .index = i };
	int rc = -1;

	if (ni->type == VDOM_NET_USER)
		return 0;
	for (unsigned q = 0; q < TAP_MAX_QUEUES; q++)
		ip.taps[q] = ip.vhost[q] = -1;
	ip.queues = ni->queues > 1 ? ni->queues : 1;
	ip.managed = ni->target_managed != VTRI_OFF;
	if (resolve_bridge(p, &ip, errp) < 0 || open_vhost(p, &ip, errp) < 0)
		goto out;
	if (tap_open_queues(ni->target_dev ? ni->target_dev : TAP_TEMPLATE, ip.queues,
			    is_virtio(ni), !ip.managed, ip.dev, ip.taps, errp) < 0)
		goto out;
	if (ip.managed)
		record_tap(p, &ip);
	if (!ni->target_dev)
		ni->target_dev = xstrdup(ip.dev);
	if ((ip.managed && configure_tap(p, &ip, errp) < 0) || hand_over(p, &ip, errp) < 0)
		goto out;
	rc = 0;
out:
	fds_close(ip.taps, TAP_MAX_QUEUES);
	fds_close(ip.vhost, TAP_MAX_QUEUES);
	if (rc < 0)
		err_wrap(errp, err_code(*errp), _("interface %zu (%s)"), i,
			 vdom_net_type_name(ni->type));
	return rc;
}

static char *net_json_path(struct daemon *d, const char *name)
{
	struct dom_paths dp;
	char *path;

	dom_paths_init(d, name, &dp);
	path = path_join(dp.dir, NET_JSON);
	dom_paths_free(&dp);
	return path;
}

static int save_record(struct prep *p, struct err **errp)
{
	char *path = net_json_path(p->dom->d, p->dom->name);
	const char *text = json_object_to_json_string_ext(p->record, JSON_C_TO_STRING_PLAIN);
	int rc = file_write_atomic(path, text, strlen(text), 0600, errp);

	free(path);
	return rc;
}

/* Delete the managed taps of a record (a JSON array). */
static void delete_taps(struct daemon *d, struct nl *nl, struct json_object *record)
{
	size_t n = json_object_is_type(record, json_type_array) ?
			   json_object_array_length(record) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(record, i), *v;
		const char *dev;
		struct nl_link l;
		struct err *e = NULL;

		if (!json_object_object_get_ex(o, "dev", &v) ||
		    !(dev = json_object_get_string(v)))
			continue;
		if (!json_object_object_get_ex(o, "managed", &v) || !json_object_get_boolean(v))
			continue;	/* managed='no': never ours to delete */
		/* a tap whose fds all closed is gone already; one still here has a holder */
		if (nl_link_get(nl, dev, &l, NULL) < 0 || strcmp(l.kind, "tun") != 0)
			continue;
		if (nl_link_del(nl, dev, &e) < 0) {
			log_err(&d->log, VLOG_WARNING, e);
			err_free(e);
		} else {
			log_debug(&d->log, "deleted tap %s", dev);
		}
	}
}

void hostnet_close(struct hostnet *hn)
{
	for (size_t i = 0; i < hn->n_map; i++)
		close(hn->map[i].src);
	free(hn->map);
	free(hn->fds);
	memset(hn, 0, sizeof(*hn));
}

int hostnet_prepare(struct domain *dom, int first_fd, size_t max_fds, struct hostnet *hn,
		    struct err **errp)
{
	struct prep p = { .dom = dom, .hn = hn, .next_fd = first_fd, .max_fds = max_fds };
	size_t n = dom->live->n_interfaces;
	int rc = 0;

	memset(hn, 0, sizeof(*hn));
	if (n == 0)
		return 0;
	hn->fds = xcalloc(n, sizeof(*hn->fds));
	hn->n = n;
	if (nl_open(&p.nl, errp) < 0) {
		hostnet_close(hn);
		return -1;
	}
	p.record = json_object_new_array();
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = prepare_one(&p, i, errp);
	if (rc == 0)
		rc = save_record(&p, errp);
	if (rc < 0) {
		hostnet_close(hn);	/* the last fd gone takes a tap away... */
		delete_taps(dom->d, &p.nl, p.record);	/* ...and anything left goes here */
	}
	json_object_put(p.record);
	nl_close(&p.nl);
	return rc;
}

void hostnet_release(struct daemon *d, const char *name)
{
	char *path = net_json_path(d, name), *text = NULL;
	struct json_object *record;
	struct nl nl;

	if (file_read_all(path, NET_JSON_MAX, &text, NULL, NULL) < 0) {
		free(path);
		return;		/* no interfaces with taps */
	}
	record = json_tokener_parse(text);
	if (record && nl_open(&nl, NULL) == 0) {
		delete_taps(d, &nl, record);
		nl_close(&nl);
	}
	json_object_put(record);
	unlink(path);
	free(text);
	free(path);
}

/* ---- link states at start ---- */

struct links_op {
	struct domain *dom;
	void (*done)(struct domain *dom);
	size_t next;
};

static void links_next(struct links_op *op);

static void link_set_done(void *opaque, struct json_object *ret, const struct err *e)
{
	struct links_op *op = opaque;

	if (e && op->dom->w)
		log_warning(&op->dom->d->log,
			    _("domain %s: cannot set the link of net%zu down: %s"), op->dom->name,
			    op->next - 1, e->message);
	links_next(op);
}

static void links_next(struct links_op *op)
{
	struct domain *dom = op->dom;

	while (dom->w && dom->live && op->next < dom->live->n_interfaces) {
		size_t i = op->next++;
		struct json_object *args;
		char id[32];

		if (!streq(dom->live->interfaces[i].link_state, "down"))
			continue;
		snprintf(id, sizeof(id), "net%zu", i);
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(id));
		json_object_object_add(args, "up", json_object_new_boolean(0));
		if (lifecycle_qmp(dom, "set_link", args, link_set_done, op, NULL) == 0)
			return;
	}
	if (dom->w)
		op->done(dom);
	dom_unref(dom);
	free(op);
}

void hostnet_apply_links(struct domain *dom, void (*done)(struct domain *dom))
{
	struct links_op *op = xzalloc(sizeof(*op));

	op->dom = dom_ref(dom);
	op->done = done;
	links_next(op);
}
