/* The net.* methods of docs/rpc.md. Every one finishes at once: a network start is a
 * handful of netlink requests and two short-lived tools (nft, dnsmasq's parent). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/network/network.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* The network object of the RPC (docs/rpc.md, "Network objects"). */
static struct json_object *net_to_json(const struct vnet_obj *n)
{
	struct json_object *o = json_object_new_object();
	const struct vnetwork *net = n->live ? n->live : n->def;
	const char *bridge = n->live && n->rt.bridge ? n->rt.bridge : net->bridge.name;

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "uuid", json_object_new_string(n->uuid_str));
	json_object_object_add(o, "active", json_object_new_boolean(n->live != NULL));
	json_object_object_add(o, "persistent", json_object_new_boolean(1));
	json_object_object_add(o, "autostart", json_object_new_boolean(n->autostart));
	json_object_object_add(o, "bridge", bridge ? json_object_new_string(bridge) : NULL);
	json_object_object_add(o, "forward",
			       json_object_new_string(vnet_forward_mode_name(net->forward.mode)));
	return o;
}

/* The network a call names in "network", or NULL with the call failed. */
static struct vnet_obj *param_net(struct call *call)
{
	const char *ref = NULL;
	struct err *e = NULL;
	struct vnet_obj *n = NULL;

	if (rpc_param_string(call->params, "network", true, &ref, &e) == 0)
		n = netreg_lookup(call->d, ref, &e);
	if (!n)
		call_fail(call, e);
	return n;
}

/* Answer a call whose work fn did (rc) with e set on failure. */
static void reply_or_fail(struct call *call, int rc, struct err *e)
{
	if (rc < 0)
		call_fail(call, e);
	else
		call_reply(call, NULL);
}

void netmethod_define(struct call *call)
{
	const char *xml = NULL;
	struct err *e = NULL;
	struct vnet_obj *n = NULL;
	struct json_object *res;
	bool is_new = false;

	if (rpc_param_string(call->params, "xml", true, &xml, &e) == 0)
		n = netdef_define(call->d, xml, &is_new, &e);
	if (!n) {
		call_fail(call, e);
		return;
	}
	log_info(&call->d->log, _("network %s defined"), n->name);
	res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string(n->name));
	json_object_object_add(res, "uuid", json_object_new_string(n->uuid_str));
	json_object_object_add(res, "new", json_object_new_boolean(is_new));
	call_reply(call, res);
}

void netmethod_undefine(struct call *call)
{
	struct vnet_obj *n = param_net(call);
	struct err *e = NULL;
	int rc;

	if (!n)
		return;
	rc = netdef_undefine(call->d, n, &e);
	reply_or_fail(call, rc, e);
}

void netmethod_start(struct call *call)
{
	struct vnet_obj *n = param_net(call);
	struct err *e = NULL;
	int rc;

	if (!n)
		return;
	rc = net_start(call->d, n, &e);
	reply_or_fail(call, rc, e);
}

void netmethod_destroy(struct call *call)
{
	struct vnet_obj *n = param_net(call);
	struct err *e = NULL;
	int rc;

	if (!n)
		return;
	rc = net_destroy(call->d, n, &e);
	reply_or_fail(call, rc, e);
}

void netmethod_autostart(struct call *call)
{
	struct vnet_obj *n = param_net(call);
	struct err *e = NULL;
	bool enable = true;
	int rc;

	if (!n)
		return;
	if (rpc_param_bool(call->params, "enable", &enable, &e) < 0) {
		call_fail(call, e);
		return;
	}
	rc = netdef_set_autostart(call->d, n, enable, &e);
	reply_or_fail(call, rc, e);
}

static int by_name(const void *pa, const void *pb)
{
	const struct vnet_obj *a = *(struct vnet_obj *const *)pa;
	const struct vnet_obj *b = *(struct vnet_obj *const *)pb;

	return strcmp(a->name, b->name);
}

void netmethod_list(struct call *call)
{
	struct netreg *r = call->d->nets;
	struct json_object *res, *arr;
	struct vnet_obj **sorted;
	bool all = false, inactive = false;
	struct err *e = NULL;

	if (rpc_param_bool(call->params, "all", &all, &e) < 0 ||
	    rpc_param_bool(call->params, "inactive", &inactive, &e) < 0) {
		call_fail(call, e);
		return;
	}
	sorted = xmemdup(r->nets, r->n * sizeof(*sorted));
	qsort(sorted, r->n, sizeof(*sorted), by_name);
	arr = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		bool active = sorted[i]->live != NULL;

		if (all || (inactive ? !active : active))
			json_object_array_add(arr, net_to_json(sorted[i]));
	}
	free(sorted);
	res = json_object_new_object();
	json_object_object_add(res, "networks", arr);
	call_reply(call, res);
}

void netmethod_info(struct call *call)
{
	struct vnet_obj *n = param_net(call);

	if (n)
		call_reply(call, net_to_json(n));
}

void netmethod_xml(struct call *call)
{
	struct vnet_obj *n = param_net(call);
	struct json_object *res;
	bool inactive = false;
	struct err *e = NULL;
	char *xml;

	if (!n)
		return;
	if (rpc_param_bool(call->params, "inactive", &inactive, &e) < 0) {
		call_fail(call, e);
		return;
	}
	xml = vnetwork_format(n->live && !inactive ? n->live : n->def);
	res = json_object_new_object();
	json_object_object_add(res, "xml", json_object_new_string(xml));
	free(xml);
	call_reply(call, res);
}
