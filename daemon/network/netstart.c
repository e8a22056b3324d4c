/* Starting and stopping a vireo network, and taking one over at daemon start.
 *
 * Start checks everything it can before it creates anything (the bridge name is
 * free, no subnet overlaps another vireo network or a host route/address, the tools
 * are installed), then creates in order: bridge (+ MAC, MTU, addresses, up), nftables
 * table, ip_forward, dnsmasq. The runtime record says what exists so far; a failure
 * at any step removes exactly that, in reverse order, and so does destroy. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/network/cmd.h"
#include "daemon/network/dnsmasq.h"
#include "daemon/network/netlink.h"
#include "daemon/network/network.h"
#include "daemon/network/nft.h"
#include "daemon/network/subnet.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define STATUS_MAX 4096
#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

void vnet_runtime_clear(struct vnet_runtime *rt)
{
	free(rt->bridge);
	free(rt->nft_table);
	memset(rt, 0, sizeof(*rt));
}

/* The files of the network's run dir. */
struct net_files {
	char *dir, *status, *live, *nft, *conf, *pid, *leases;
};

static void net_files_init(struct daemon *d, const char *name, struct net_files *f)
{
	f->dir = netreg_run_path(d, name, NULL);
	f->status = path_join(f->dir, "status.json");
	f->live = path_join(f->dir, "live.xml");
	f->nft = path_join(f->dir, "nft.rules");
	f->conf = path_join(f->dir, "dnsmasq.conf");
	f->pid = path_join(f->dir, "dnsmasq.pid");
	f->leases = path_join(f->dir, "dnsmasq.leases");
}

static void net_files_free(struct net_files *f)
{
	free(f->dir);
	free(f->status);
	free(f->live);
	free(f->nft);
	free(f->conf);
	free(f->pid);
	free(f->leases);
}

static struct dnsmasq_paths dnsmasq_paths_of(const struct net_files *f)
{
	struct dnsmasq_paths p = { f->conf, f->pid, f->leases };

	return p;
}

/* ---- the runtime record ---- */

static int save_status(const struct vnet_obj *n, const struct net_files *f, struct err **errp)
{
	struct json_object *o = json_object_new_object();
	char *xml = vnetwork_format(n->live);
	const char *text;
	int rc;

	json_object_object_add(o, "bridge", json_object_new_string(n->rt.bridge));
	json_object_object_add(o, "bridge_created", json_object_new_boolean(n->rt.bridge_created));
	if (n->rt.nft_table)
		json_object_object_add(o, "nft_table", json_object_new_string(n->rt.nft_table));
	json_object_object_add(o, "dnsmasq_pid", json_object_new_int(n->rt.dnsmasq_pid));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = file_write_atomic(f->live, xml, strlen(xml), 0600, errp);
	if (rc == 0)
		rc = file_write_atomic(f->status, text, strlen(text), 0600, errp);
	json_object_put(o);
	free(xml);
	return rc;
}

static const char *str_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static int load_status(const struct net_files *f, struct vnet_runtime *rt, struct err **errp)
{
	struct json_object *o, *v;
	char *text;
	const char *s;

	memset(rt, 0, sizeof(*rt));
	if (file_read_all(f->status, STATUS_MAX, &text, NULL, errp) < 0)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !(s = str_field(o, "bridge"))) {
		json_object_put(o);
		return err_set(errp, ERR_PARSE, _("%s is not a valid status file"), f->status);
	}
	rt->bridge = xstrdup(s);
	rt->bridge_created = json_object_object_get_ex(o, "bridge_created", &v) &&
			     json_object_get_boolean(v);
	if ((s = str_field(o, "nft_table")))
		rt->nft_table = xstrdup(s);
	if (json_object_object_get_ex(o, "dnsmasq_pid", &v))
		rt->dnsmasq_pid = json_object_get_int(v);
	json_object_put(o);
	return 0;
}

/* Remove the run dir and everything in it (flat: vireod and dnsmasq write only files). */
static void remove_run_dir(const struct net_files *f)
{
	DIR *dir = opendir(f->dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(dir), de->d_name, 0);
	closedir(dir);
	rmdir(f->dir);
}

/* Undo what rt says exists, newest first. Errors are logged: the rest still goes. */
static void teardown(struct daemon *d, const char *name, struct vnet_runtime *rt,
		     const struct net_files *f)
{
	struct err *e = NULL;
	struct nl nl;

	if (rt->dnsmasq_pid > 0)
		dnsmasq_stop(rt->dnsmasq_pid, f->conf);
	rt->dnsmasq_pid = 0;
	if (rt->nft_table && nft_delete(rt->nft_table, &e) < 0) {
		log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
	}
	XFREE(&rt->nft_table);
	if (rt->bridge_created && rt->bridge) {
		if (nl_open(&nl, &e) == 0) {
			nl_link_del(&nl, rt->bridge, &e);
			nl_close(&nl);
		}
		if (e) {
			log_err(&d->log, VLOG_WARNING, e);
			err_clear(&e);
		}
	}
	rt->bridge_created = false;
	log_debug(&d->log, "network %s: torn down", name);
}

/* ---- checks before anything is created ---- */

/* Another active vireo network whose subnet overlaps ip's. */
static int check_vireo_overlap(struct daemon *d, const struct vnet_obj *self,
			       const struct vnet_ip *ip, struct err **errp)
{
	char mine[SUBNET_STRLEN], theirs[SUBNET_STRLEN];

	for (size_t i = 0; i < d->nets->n; i++) {
		const struct vnet_obj *o = d->nets->nets[i];

		if (o == self || !o->live)
			continue;
		for (size_t j = 0; j < o->live->n_ips; j++) {
			const struct vnet_ip *oip = &o->live->ips[j];

			if (!subnet_overlap(&ip->address, vnet_ip_prefix(ip), &oip->address,
					    vnet_ip_prefix(oip)))
				continue;
			return err_set(errp, RPC_ERR_OPERATION_INVALID,
				       _("network '%s': its subnet %s overlaps %s of network '%s'"),
				       self->name,
				       subnet_format(&ip->address, vnet_ip_prefix(ip), mine),
				       subnet_format(&oip->address, vnet_ip_prefix(oip), theirs),
				       o->name);
		}
	}
	return 0;
}

/* A route or address of the host that overlaps ip's subnet (libvirt's
 * networkCheckRouteCollision, for routes and addresses alike). */
static int check_host_overlap(struct nl *nl, const struct vnet_obj *self,
			      const struct vnet_ip *ip, struct err **errp)
{
	struct nl_prefix *pre = NULL;
	size_t n = 0;
	char mine[SUBNET_STRLEN], theirs[SUBNET_STRLEN];
	int rc = 0;

	if (nl_host_prefixes(nl, ip->address.family, &pre, &n, errp) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!subnet_overlap(&ip->address, vnet_ip_prefix(ip), &pre[i].addr, pre[i].prefix))
			continue;
		rc = err_set(errp, RPC_ERR_OPERATION_INVALID,
			     _("network '%s': its subnet %s overlaps %s, already in use on interface '%s'"),
			     self->name, subnet_format(&ip->address, vnet_ip_prefix(ip), mine),
			     subnet_format(&pre[i].addr, pre[i].prefix, theirs),
			     *pre[i].dev ? pre[i].dev : "?");
	}
	free(pre);
	return rc;
}

static int check_tools(const struct vnetwork *net, struct err **errp)
{
	char *p;

	if (nft_wanted(net)) {
		if (!(p = netcmd_find("nft")))
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("the nft command is not installed (Debian package nftables)"));
		free(p);
	}
	if (dnsmasq_wanted(net)) {
		if (!(p = netcmd_find("dnsmasq")))
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("dnsmasq is not installed (Debian package dnsmasq-base)"));
		free(p);
	}
	return 0;
}

static int check_start(struct daemon *d, struct nl *nl, const struct vnet_obj *n,
		       const struct vnetwork *net, struct err **errp)
{
	struct nl_link l;

	if (!net->bridge.name)
		return err_set(errp, RPC_ERR_UNSUPPORTED,
			       _("network '%s': only networks with a <bridge name> are supported"),
			       n->name);
	if (net->forward.mode == VNET_FWD_BRIDGE) {
		if (nl_link_get(nl, net->bridge.name, &l, NULL) < 0)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("network '%s': bridge '%s' does not exist"), n->name,
				       net->bridge.name);
		if (strcmp(l.kind, "bridge") != 0)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("network '%s': '%s' is not a bridge"), n->name,
				       net->bridge.name);
		return 0;
	}
	if (nl_link_exists(nl, net->bridge.name))
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("network '%s': bridge name '%s' is already in use"), n->name,
			       net->bridge.name);
	for (size_t i = 0; i < net->n_ips; i++)
		if (check_vireo_overlap(d, n, &net->ips[i], errp) < 0 ||
		    check_host_overlap(nl, n, &net->ips[i], errp) < 0)
			return -1;
	/* names and values that go into the ruleset and dnsmasq's file */
	if (nft_wanted(net) &&
	    (nft_check_ifname(_("bridge name"), net->bridge.name, errp) < 0 ||
	     nft_check_ifname(_("forward dev"), net->forward.n_devs ? net->forward.devs[0] : NULL,
			      errp) < 0))
		return -1;
	if (dnsmasq_wanted(net) && dnsmasq_check(net, errp) < 0)
		return -1;
	return check_tools(net, errp);
}

/* ---- the steps ---- */

static int make_bridge(struct nl *nl, struct vnet_runtime *rt, const struct vnetwork *net,
		       struct err **errp)
{
	struct nl_link_change up = NL_LINK_CHANGE_KEEP;

	if (nl_bridge_add(nl, net->bridge.name, net->bridge.stp, (unsigned)net->bridge.delay,
			  net->mac_given ? net->mac : NULL, net->mtu, errp) < 0)
		return -1;
	rt->bridge_created = true;
	for (size_t i = 0; i < net->n_ips; i++)
		if (nl_addr_add(nl, net->bridge.name, &net->ips[i].address,
				vnet_ip_prefix(&net->ips[i]), errp) < 0)
			return -1;
	up.up = 1;
	return nl_link_change(nl, net->bridge.name, &up, errp);
}

/* libvirt turns forwarding on for the routed modes, host-wide, and never back off. */
static void enable_ip_forward(struct daemon *d)
{
	int fd = open(IP_FORWARD, O_RDWR | O_CLOEXEC);
	char c = '0';

	if (fd < 0 || pread(fd, &c, 1, 0) != 1 || (c != '1' && pwrite(fd, "1\n", 2, 0) != 2))
		log_warning(&d->log, _("cannot enable IPv4 forwarding (%s): %s"), IP_FORWARD,
			    strerror(errno));
	else if (c != '1')
		log_info(&d->log, _("IPv4 forwarding enabled (%s)"), IP_FORWARD);
	if (fd >= 0)
		close(fd);
}

static int start_steps(struct daemon *d, struct nl *nl, struct vnet_obj *n,
		       const struct net_files *f, struct err **errp)
{
	const struct vnetwork *net = n->live;
	struct dnsmasq_paths dp = dnsmasq_paths_of(f);

	n->rt.bridge = xstrdup(net->bridge.name);
	if (mkdir_p(f->dir, 0700, errp) < 0)
		return -1;
	if (net->forward.mode == VNET_FWD_BRIDGE)
		return 0;	/* the host's bridge: nothing to create */
	if (make_bridge(nl, &n->rt, net, errp) < 0)
		return -1;
	if (nft_wanted(net)) {
		char *table = nft_table_name(n->name, n->uuid);
		char *rules = nft_ruleset(net, table, n->rt.bridge);
		int rc = nft_apply(table, rules, f->nft, errp);

		free(rules);
		if (rc < 0) {
			free(table);
			return -1;
		}
		n->rt.nft_table = table;
	}
	if (net->forward.mode == VNET_FWD_NAT || net->forward.mode == VNET_FWD_ROUTE)
		enable_ip_forward(d);
	if (dnsmasq_wanted(net) && dnsmasq_start(net, n->rt.bridge, &dp, &n->rt.dnsmasq_pid,
						 errp) < 0)
		return -1;
	return 0;
}

static struct vnetwork *copy_def(const struct vnetwork *def, struct err **errp)
{
	char *xml = vnetwork_format(def);
	struct vnetwork *copy = vnetwork_parse(xml, strlen(xml), def->name, errp);

	free(xml);
	return copy;
}

/* The taps of running domains on this network go (back) on its bridge: a network
 * destroyed and started again under running domains reconnects them, as libvirt's
 * does. */
static void replug_domains(struct daemon *d, const struct vnet_obj *n, struct nl *nl)
{
	int br = (int)if_nametoindex(n->rt.bridge);

	for (size_t i = 0; br > 0 && i < d->reg.n; i++) {
		const struct domain *dom = d->reg.doms[i];

		for (size_t j = 0; dom->w && dom->live && j < dom->live->n_interfaces; j++) {
			const struct vdom_interface *ni = &dom->live->interfaces[j];
			struct nl_link_change c = NL_LINK_CHANGE_KEEP;
			struct err *e = NULL;

			if (ni->type != VDOM_NET_NETWORK || !streq(ni->source_network, n->name) ||
			    !ni->target_dev || !nl_link_exists(nl, ni->target_dev))
				continue;
			c.master = br;
			if (nl_link_change(nl, ni->target_dev, &c, &e) < 0) {
				log_err(&d->log, VLOG_WARNING, e);
				err_free(e);
			} else {
				log_info(&d->log,
					 _("network %s: domain %s's tap %s is on the bridge again"),
					 n->name, dom->name, ni->target_dev);
			}
		}
	}
}

int net_start(struct daemon *d, struct vnet_obj *n, struct err **errp)
{
	struct net_files f;
	struct nl nl;
	int rc = -1;

	if (n->live)
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("Requested operation is not valid: Network '%s' is already running"),
			       n->name);
	if (nl_open(&nl, errp) < 0)
		return -1;
	net_files_init(d, n->name, &f);
	n->live = copy_def(n->def, errp);
	if (n->live && check_start(d, &nl, n, n->live, errp) == 0 &&
	    start_steps(d, &nl, n, &f, errp) == 0 && save_status(n, &f, errp) == 0)
		rc = 0;
	if (rc == 0)
		replug_domains(d, n, &nl);
	nl_close(&nl);
	if (rc < 0) {
		teardown(d, n->name, &n->rt, &f);
		remove_run_dir(&f);
		vnet_runtime_clear(&n->rt);
		vnetwork_free(n->live);
		n->live = NULL;
	} else {
		log_info(&d->log, _("network %s started (bridge %s)"), n->name, n->rt.bridge);
	}
	net_files_free(&f);
	return rc;
}

int net_destroy(struct daemon *d, struct vnet_obj *n, struct err **errp)
{
	struct net_files f;

	if (!n->live)
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("Requested operation is not valid: network '%s' is not active"),
			       n->name);
	net_files_init(d, n->name, &f);
	teardown(d, n->name, &n->rt, &f);
	remove_run_dir(&f);
	net_files_free(&f);
	vnet_runtime_clear(&n->rt);
	vnetwork_free(n->live);
	n->live = NULL;
	log_info(&d->log, _("network %s stopped"), n->name);
	return 0;
}

/* ---- daemon start ---- */

/* The active network's pieces are back in n->rt: bring back what went missing. */
static void restore(struct daemon *d, struct vnet_obj *n, const struct net_files *f)
{
	struct dnsmasq_paths dp = dnsmasq_paths_of(f);
	struct err *e = NULL;

	if (n->rt.nft_table && !nft_table_exists(n->rt.nft_table)) {
		char *rules = nft_ruleset(n->live, n->rt.nft_table, n->rt.bridge);

		log_warning(&d->log, _("network %s: its nftables table was gone; loading it again"),
			    n->name);
		if (nft_apply(n->rt.nft_table, rules, f->nft, &e) < 0)
			log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
		free(rules);
	}
	if (dnsmasq_wanted(n->live) && !dnsmasq_is_running(n->rt.dnsmasq_pid, f->conf)) {
		log_warning(&d->log,
			    _("network %s: its dnsmasq was not running; starting it again"), n->name);
		if (dnsmasq_start(n->live, n->rt.bridge, &dp, &n->rt.dnsmasq_pid, &e) < 0)
			log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
		if (save_status(n, f, &e) < 0)
			log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
	}
}

void net_reconcile(struct daemon *d, struct vnet_obj *n)
{
	struct net_files f;
	struct err *e = NULL;
	char *xml = NULL;
	struct nl nl;
	bool bridge_there = false;

	net_files_init(d, n->name, &f);
	if (load_status(&f, &n->rt, &e) < 0) {
		log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
		remove_run_dir(&f);
		net_files_free(&f);
		return;
	}
	if (nl_open(&nl, &e) == 0) {
		bridge_there = nl_link_exists(&nl, n->rt.bridge);
		nl_close(&nl);
	}
	err_clear(&e);
	if (bridge_there && n->def &&
	    file_read_all(f.live, VNET_MAX_XML_SIZE, &xml, NULL, &e) == 0)
		n->live = vnetwork_parse(xml, strlen(xml), f.live, &e);
	free(xml);
	if (!n->live) {
		if (e)
			log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
		log_info(&d->log, _("network %s: cleaning up after it (bridge %s %s)"), n->name,
			 n->rt.bridge, bridge_there ? _("still there") : _("gone"));
		teardown(d, n->name, &n->rt, &f);
		remove_run_dir(&f);
		vnet_runtime_clear(&n->rt);
	} else {
		restore(d, n, &f);
	}
	net_files_free(&f);
}
