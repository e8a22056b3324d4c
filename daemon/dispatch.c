/* Method dispatch: the handler of every method of docs/rpc.md, and the read-only
 * queries (ping, version, list, info, state, xml, lookup). The transport, hello and
 * access checks are server.c's; lib/rpc/protocol.c lists which methods exist. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/console.h"
#include "daemon/dispatch.h"
#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/network/network.h"
#include "daemon/server.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* ---- queries ---- */

static void method_ping(struct call *call)
{
	call_reply(call, NULL);
}

static void method_version(struct call *call)
{
	struct json_object *res = json_object_new_object();

	json_object_object_add(res, "daemon", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(res, "hypervisor", json_object_new_string("vireo-vmm"));
	json_object_object_add(res, "hypervisor_version", json_object_new_string(PACKAGE_VERSION));
	call_reply(call, res);
}

static void method_subscribe(struct call *call)
{
	conn_subscribe(call->conn);
	call_reply(call, NULL);
}

/* virsh list's order: running domains by id, then the inactive ones by name. */
static int list_order(const void *pa, const void *pb)
{
	const struct domain *a = *(struct domain *const *)pa, *b = *(struct domain *const *)pb;

	if ((a->id >= 0) != (b->id >= 0))
		return a->id >= 0 ? -1 : 1;
	if (a->id >= 0)
		return a->id - b->id;
	return strcmp(a->name, b->name);
}

static void method_list(struct call *call)
{
	struct daemon *d = call->d;
	struct json_object *res, *arr;
	struct domain **sorted;
	bool all = false, inactive = false;
	struct err *e = NULL;

	if (rpc_param_bool(call->params, "all", &all, &e) < 0 ||
	    rpc_param_bool(call->params, "inactive", &inactive, &e) < 0) {
		call_fail(call, e);
		return;
	}
	sorted = xmemdup(d->reg.doms, d->reg.n * sizeof(*sorted));
	qsort(sorted, d->reg.n, sizeof(*sorted), list_order);
	arr = json_object_new_array();
	for (size_t i = 0; i < d->reg.n; i++) {
		bool active = sorted[i]->w != NULL;

		if (all || (inactive ? !active : active))
			json_object_array_add(arr, dom_to_json(sorted[i]));
	}
	free(sorted);
	res = json_object_new_object();
	json_object_object_add(res, "domains", arr);
	call_reply(call, res);
}

static void method_info(struct domain *dom, struct call *call)
{
	call_reply(call, dom_to_json(dom));
}

static void method_state(struct domain *dom, struct call *call)
{
	struct json_object *res = json_object_new_object();

	json_object_object_add(res, "state", json_object_new_string(dom_state_name(dom->state)));
	json_object_object_add(res, "reason", json_object_new_string(dom->reason));
	call_reply(call, res);
}

static void method_xml(struct domain *dom, struct call *call)
{
	struct json_object *res;
	bool inactive = false;
	struct err *e = NULL;
	char *xml;

	if (rpc_param_bool(call->params, "inactive", &inactive, &e) < 0) {
		call_fail(call, e);
		return;
	}
	xml = dom_format_xml(dom, inactive);
	res = json_object_new_object();
	json_object_object_add(res, "xml", json_object_new_string(xml));
	free(xml);
	call_reply(call, res);
}

static void method_lookup(struct domain *dom, struct call *call)
{
	struct json_object *res = json_object_new_object();

	json_object_object_add(res, "name", json_object_new_string(dom->name));
	json_object_object_add(res, "uuid", json_object_new_string(dom->uuid_str));
	json_object_object_add(res, "id", json_object_new_int(dom->id));
	call_reply(call, res);
}

/* ---- the table ---- */

struct handler {
	const char *method;
	void (*plain)(struct call *call);			/* no domain */
	void (*on_domain)(struct domain *dom, struct call *call);	/* "domain" resolved */
	job_fn job;						/* ... under the job lock */
};

static const struct handler handlers[] = {
	{ "ping", method_ping, NULL, NULL },
	{ "version", method_version, NULL, NULL },
	{ "events.subscribe", method_subscribe, NULL, NULL },
	{ "domain.list", method_list, NULL, NULL },
	{ "domain.define", method_define, NULL, NULL },
	{ "domain.create", method_create, NULL, NULL },
	{ "domain.info", NULL, method_info, NULL },
	{ "domain.state", NULL, method_state, NULL },
	{ "domain.xml", NULL, method_xml, NULL },
	{ "domain.lookup", NULL, method_lookup, NULL },
	{ "domain.memstats", NULL, memory_stats, NULL },
	{ "domain.undefine", NULL, method_undefine, NULL },
	{ "domain.autostart", NULL, method_autostart, NULL },
	{ "domain.destroy", NULL, control_destroy, NULL },
	{ "domain.console", NULL, console_method, NULL },
	{ "domain.start", NULL, NULL, control_start },
	{ "domain.shutdown", NULL, NULL, control_shutdown },
	{ "domain.reboot", NULL, NULL, control_reboot },
	{ "domain.reset", NULL, NULL, control_reset },
	{ "domain.suspend", NULL, NULL, control_suspend },
	{ "domain.resume", NULL, NULL, control_resume },
	{ "domain.setmem", NULL, NULL, memory_setmem },
	{ "domain.setmaxmem", NULL, NULL, memory_setmaxmem },
	{ "domain.memstats_period", NULL, NULL, memory_stats_period },
	{ "domain.iflist", NULL, ifmethod_list, NULL },
	{ "domain.ifstat", NULL, ifmethod_stat, NULL },
	{ "domain.getlink", NULL, ifmethod_getlink, NULL },
	{ "domain.setlink", NULL, NULL, ifmethod_setlink },
	{ "net.list", netmethod_list, NULL, NULL },
	{ "net.info", netmethod_info, NULL, NULL },
	{ "net.xml", netmethod_xml, NULL, NULL },
	{ "net.define", netmethod_define, NULL, NULL },
	{ "net.undefine", netmethod_undefine, NULL, NULL },
	{ "net.start", netmethod_start, NULL, NULL },
	{ "net.destroy", netmethod_destroy, NULL, NULL },
	{ "net.autostart", netmethod_autostart, NULL, NULL },
};

void dispatch_call(struct call *call)
{
	const struct handler *h = NULL;
	const char *ref = NULL;
	struct domain *dom;
	struct err *e = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(handlers) && !h; i++)
		if (strcmp(handlers[i].method, call->method) == 0)
			h = &handlers[i];
	if (!h) {
		call_failf(call, RPC_ERR_UNKNOWN_METHOD, _("unknown method '%s'"), call->method);
		return;
	}
	if (h->plain) {
		h->plain(call);
		return;
	}
	if (rpc_param_string(call->params, "domain", true, &ref, &e) < 0 ||
	    !(dom = registry_lookup(call->d, ref, &e))) {
		call_fail(call, e);
		return;
	}
	if (h->on_domain)
		h->on_domain(dom, call);
	else
		job_submit(dom, h->method, call, h->job);
}

void daemon_emit_lifecycle(struct daemon *d, const struct domain *dom, const char *event,
			   const char *detail)
{
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "name", json_object_new_string(dom->name));
	json_object_object_add(data, "uuid", json_object_new_string(dom->uuid_str));
	json_object_object_add(data, "event", json_object_new_string(event));
	json_object_object_add(data, "detail", json_object_new_string(detail));
	if (d->server)
		server_broadcast(d->server, "domain.lifecycle", data);
	else
		json_object_put(data);
}
