/* domain.iflist, domain.ifstat, domain.getlink, domain.setlink: a domain's
 * interfaces as virsh's domiflist, domifstat, domif-getlink and domif-setlink see
 * them. An interface is named by its tap (<target dev>) or its MAC. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/network/netlink.h"
#include "daemon/network/network.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* The index of the interface ref names in def, or -1. */
static int find_iface(const struct vdomain *def, const char *ref)
{
	char mac[18];

	for (size_t i = 0; def && i < def->n_interfaces; i++)
		if (streq(def->interfaces[i].target_dev, ref))
			return (int)i;
	for (size_t i = 0; def && i < def->n_interfaces; i++) {
		vdom_format_mac(def->interfaces[i].mac, mac);
		if (strcasecmp(mac, ref) == 0)
			return (int)i;
	}
	return -1;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void ifmethod_list(struct domain *dom, struct call *call)
{
	struct json_object *res, *arr;
	const struct vdomain *def;
	bool inactive = false;
	struct err *e = NULL;
	char mac[18];

	if (rpc_param_bool(call->params, "inactive", &inactive, &e) < 0) {
		call_fail(call, e);
		return;
	}
	def = dom->live && (!inactive || !dom->def) ? dom->live : dom->def;
	arr = json_object_new_array();
	for (size_t i = 0; def && i < def->n_interfaces; i++) {
		const struct vdom_interface *ni = &def->interfaces[i];
		struct json_object *o = json_object_new_object();
		const char *source = ni->type == VDOM_NET_NETWORK ? ni->source_network
								   : ni->source_bridge;

		vdom_format_mac(ni->mac, mac);
		json_object_object_add(o, "name", str_or_null(ni->target_dev));
		json_object_object_add(o, "type",
				       json_object_new_string(vdom_net_type_name(ni->type)));
		json_object_object_add(o, "source", str_or_null(source));
		json_object_object_add(o, "model", str_or_null(ni->model));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_array_add(arr, o);
	}
	res = json_object_new_object();
	json_object_object_add(res, "interfaces", arr);
	call_reply(call, res);
}

static void add_stat(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

void ifmethod_stat(struct domain *dom, struct call *call)
{
	const char *ref = NULL;
	struct err *e = NULL;
	struct json_object *res, *stats;
	struct nl_link l;
	struct nl nl;
	int i;

	if (rpc_param_string(call->params, "interface", true, &ref, &e) < 0) {
		call_fail(call, e);
		return;
	}
	if (!dom_require_active(dom, call))
		return;
	i = find_iface(dom->live, ref);
	if (i < 0 || dom->live->interfaces[i].type == VDOM_NET_USER ||
	    !dom->live->interfaces[i].target_dev) {
		call_failf(call, RPC_ERR_INVALID_ARGUMENT,
			   _("invalid argument: '%s' is not a known interface"), ref);
		return;
	}
	if (nl_open(&nl, &e) < 0 ||
	    nl_link_get(&nl, dom->live->interfaces[i].target_dev, &l, &e) < 0) {
		nl_close(&nl);
		call_fail(call, e);
		return;
	}
	nl_close(&nl);
	/* the guest's view, as libvirt reports a tap: what the tap sends, the guest
	 * receives */
	stats = json_object_new_object();
	add_stat(stats, "rx_bytes", l.stats.tx_bytes);
	add_stat(stats, "rx_packets", l.stats.tx_packets);
	add_stat(stats, "rx_errs", l.stats.tx_errors);
	add_stat(stats, "rx_drop", l.stats.tx_dropped);
	add_stat(stats, "tx_bytes", l.stats.rx_bytes);
	add_stat(stats, "tx_packets", l.stats.rx_packets);
	add_stat(stats, "tx_errs", l.stats.rx_errors);
	add_stat(stats, "tx_drop", l.stats.rx_dropped);
	res = json_object_new_object();
	json_object_object_add(res, "stats", stats);
	call_reply(call, res);
}

void ifmethod_getlink(struct domain *dom, struct call *call)
{
	const char *ref = NULL;
	const struct vdomain *def;
	struct json_object *res;
	bool config = false;
	struct err *e = NULL;
	int i;

	if (rpc_param_string(call->params, "interface", true, &ref, &e) < 0 ||
	    rpc_param_bool(call->params, "config", &config, &e) < 0) {
		call_fail(call, e);
		return;
	}
	def = dom->live && (!config || !dom->def) ? dom->live : dom->def;
	i = find_iface(def, ref);
	if (i < 0) {
		call_failf(call, RPC_ERR_INVALID_ARGUMENT, _("Interface (dev: %s) not found."),
			   ref);
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "state",
			       json_object_new_string(streq(def->interfaces[i].link_state, "down")
							      ? "down" : "up"));
	call_reply(call, res);
}

/* ---- setlink: a job ---- */

struct setlink_op {
	struct domain *dom;
	struct call *call;
	char *ref;
	bool up, config;
};

static void setlink_end(struct setlink_op *op, struct err *e)
{
	struct domain *dom = op->dom;

	if (e)
		call_fail(op->call, e);
	else
		call_reply(op->call, NULL);
	job_end(dom);
	dom_unref(dom);
	free(op->ref);
	free(op);
}

/* Set the link word of the interface in the persistent definition and save it. */
static int set_config(struct setlink_op *op, struct err **errp)
{
	struct domain *dom = op->dom;
	int i = find_iface(dom->def, op->ref);
	char *old;

	if (i < 0)
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("interface '%s' not found"),
			       op->ref);
	old = dom->def->interfaces[i].link_state;
	dom->def->interfaces[i].link_state = xstrdup(op->up ? "up" : "down");
	if (registry_save(dom->d, dom, errp) < 0) {
		free(dom->def->interfaces[i].link_state);
		dom->def->interfaces[i].link_state = old;
		return -1;
	}
	free(old);
	return 0;
}

static void setlink_live_done(void *opaque, struct json_object *ret, const struct err *qe)
{
	struct setlink_op *op = opaque;
	struct domain *dom = op->dom;
	struct err *e = NULL;
	int i = dom->live ? find_iface(dom->live, op->ref) : -1;

	if (qe) {
		err_set(&e, RPC_ERR_OPERATION_FAILED, _("cannot set the link of '%s': %s"), op->ref,
			qe->message);
	} else if (i >= 0) {
		free(dom->live->interfaces[i].link_state);
		dom->live->interfaces[i].link_state = xstrdup(op->up ? "up" : "down");
		lifecycle_set_state(dom, dom->state, dom->reason);	/* saves live.xml */
	}
	if (!e && op->config)
		set_config(op, &e);
	setlink_end(op, e);
}

static int parse_state(struct call *call, bool *up, struct err **errp)
{
	const char *state = NULL;

	if (rpc_param_string(call->params, "state", true, &state, errp) < 0)
		return -1;
	if (strcasecmp(state, "up") != 0 && strcasecmp(state, "down") != 0)
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("Invalid link state '%s'"), state);
	*up = strcasecmp(state, "up") == 0;
	return 0;
}

void ifmethod_setlink(struct domain *dom, struct call *call)
{
	struct setlink_op *op = xzalloc(sizeof(*op));
	const char *ref = NULL;
	bool live = false, config = false;
	struct err *e = NULL;
	struct json_object *args;
	char id[32];
	int i;

	op->dom = dom_ref(dom);
	op->call = call;
	if (rpc_param_string(call->params, "interface", true, &ref, &e) < 0 ||
	    parse_state(call, &op->up, &e) < 0 ||
	    rpc_param_bool(call->params, "live", &live, &e) < 0 ||
	    rpc_param_bool(call->params, "config", &config, &e) < 0) {
		setlink_end(op, e);
		return;
	}
	op->ref = xstrdup(ref);
	if (!live && !config) {
		live = dom->w != NULL;
		config = !live;
	}
	op->config = config;
	if (live && !dom->w) {
		err_set(&e, RPC_ERR_OPERATION_INVALID, _("domain '%s' is not running"), dom->name);
	} else if (config && !dom->def) {
		err_set(&e, RPC_ERR_OPERATION_INVALID,
			_("cannot change the persistent configuration of a transient domain"));
	} else if (config && find_iface(dom->def, ref) < 0) {
		err_set(&e, RPC_ERR_INVALID_ARGUMENT, _("interface '%s' not found"), ref);
	}
	if (e || !live) {
		if (!e)
			set_config(op, &e);
		setlink_end(op, e);
		return;
	}
	i = find_iface(dom->live, ref);
	if (i < 0) {
		err_set(&e, RPC_ERR_INVALID_ARGUMENT, _("interface '%s' not found"), ref);
		setlink_end(op, e);
		return;
	}
	snprintf(id, sizeof(id), "net%d", i);
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(id));
	json_object_object_add(args, "up", json_object_new_boolean(op->up));
	if (lifecycle_qmp(dom, "set_link", args, setlink_live_done, op, &e) < 0)
		setlink_end(op, e);
}
