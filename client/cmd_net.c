/* Networks and interfaces: net-define, net-undefine, net-start, net-destroy, net-list,
 * net-info, net-dumpxml, net-autostart, domiflist, domifstat, domif-getlink,
 * domif-setlink, with virsh's options, messages and output shapes (virsh 9.0 on
 * test:///default). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/format.h"
#include "lib/conf/network.h"
#include "lib/rpc/client.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define NETWORK_XML_MAX (1 << 20)

const struct opt_def opts_network[] = {
	{ "network", OPT_DATA, OPT_REQ, N_("network name or uuid") },
	{ NULL },
};

const struct opt_def opts_net_define[] = {
	{ "file", OPT_DATA, OPT_REQ, N_("file containing an XML network description") },
	{ "validate", OPT_BOOL, 0, N_("validate the XML against the schema") },
	{ NULL },
};

const struct opt_def opts_net_list[] = {
	{ "inactive", OPT_BOOL, 0, N_("list inactive networks") },
	{ "all", OPT_BOOL, 0, N_("list inactive & active networks") },
	{ "persistent", OPT_BOOL, 0, N_("list persistent networks") },
	{ "transient", OPT_BOOL, 0, N_("list transient networks") },
	{ "autostart", OPT_BOOL, 0, N_("list networks with autostart enabled") },
	{ "no-autostart", OPT_BOOL, 0, N_("list networks with autostart disabled") },
	{ "uuid", OPT_BOOL, 0, N_("list uuid's only") },
	{ "name", OPT_BOOL, 0, N_("list network names only") },
	{ "table", OPT_BOOL, 0, N_("list table (default)") },
	{ NULL },
};

const struct opt_def opts_net_dumpxml[] = {
	{ "network", OPT_DATA, OPT_REQ, N_("network name or uuid") },
	{ "inactive", OPT_BOOL, 0, N_("show inactive defined XML") },
	{ NULL },
};

const struct opt_def opts_net_autostart[] = {
	{ "network", OPT_DATA, OPT_REQ, N_("network name or uuid") },
	{ "disable", OPT_BOOL, 0, N_("disable autostarting") },
	{ NULL },
};

const struct opt_def opts_domiflist[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "inactive", OPT_BOOL, 0, N_("get inactive rather than running configuration") },
	{ NULL },
};

const struct opt_def opts_domifstat[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "interface", OPT_DATA, OPT_REQ, N_("interface device specified by name or MAC Address") },
	{ NULL },
};

const struct opt_def opts_domif_getlink[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "interface", OPT_DATA, OPT_REQ, N_("interface device (MAC Address)") },
	{ "config", OPT_BOOL, 0, N_("Get persistent interface state") },
	{ NULL },
};

const struct opt_def opts_domif_setlink[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "interface", OPT_DATA, OPT_REQ, N_("interface device (MAC Address)") },
	{ "state", OPT_DATA, OPT_REQ, N_("new state of the device") },
	{ "config", OPT_BOOL, 0, N_("affect next boot") },
	{ NULL },
};

/* ---- networks ---- */

/* A network as net.list / net.info describe it. */
struct net_info {
	char *name, *uuid, *bridge;
	bool active, persistent, autostart;
};

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static bool json_flag(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int net_info_from_json(struct json_object *o, struct net_info *n, struct err **errp)
{
	const char *name = json_str(o, "name"), *uuid = json_str(o, "uuid");
	const char *bridge = json_str(o, "bridge");

	memset(n, 0, sizeof(*n));
	if (!name || !uuid)
		return err_set(errp, ERR_INVALID, _("network object: '%s' is missing"),
			       name ? "uuid" : "name");
	n->name = xstrdup(name);
	n->uuid = xstrdup(uuid);
	n->bridge = bridge ? xstrdup(bridge) : NULL;
	n->active = json_flag(o, "active");
	n->persistent = json_flag(o, "persistent");
	n->autostart = json_flag(o, "autostart");
	return 0;
}

static void net_info_free(struct net_info *n)
{
	free(n->name);
	free(n->uuid);
	free(n->bridge);
	memset(n, 0, sizeof(*n));
}

/* A call about one network; a missing one is virsh's two lines ("failed to get
 * network 'x'", then the daemon's "Network not found: ..."). */
static int net_call(struct client *c, bool readonly, const char *method, const char *ref,
		    struct json_object *params, struct json_object **result, struct err **errp)
{
	if (!params)
		params = json_object_new_object();
	json_object_object_add(params, "network", json_object_new_string(ref));
	if (client_call(c, readonly, method, params, result, errp) == 0)
		return 0;
	if (errp && err_has_code(*errp, RPC_ERR_NO_NETWORK))
		err_wrap(errp, RPC_ERR_NO_NETWORK, _("failed to get network '%s'"), ref);
	return -1;
}

/* Look the network up (its name for the messages), as virsh does first. */
static int net_lookup(struct client *c, bool readonly, const char *ref, struct net_info *n,
		      struct err **errp)
{
	struct json_object *res = NULL;
	int rc;

	if (net_call(c, readonly, "net.info", ref, NULL, &res, errp) < 0)
		return -1;
	rc = net_info_from_json(res, n, errp);
	json_object_put(res);
	return rc;
}

/* net-start, net-destroy, net-undefine: look up, call, one message. */
static int net_simple(struct client *c, const struct cmd_args *a, const char *method,
		      const char *fail_fmt, const char *ok_fmt, struct err **errp)
{
	struct net_info n;
	char *msg;
	int rc;

	if (net_lookup(c, false, args_str(a, "network"), &n, errp) < 0)
		return -1;
	rc = net_call(c, false, method, n.uuid, NULL, NULL, errp);
	msg = subst_name(rc < 0 ? fail_fmt : ok_fmt, n.name);
	if (rc < 0)
		err_wrap(errp, err_code(*errp), "%s", msg);
	else
		client_say(c, "%s", msg);
	free(msg);
	net_info_free(&n);
	return rc;
}

int cmd_net_start(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return net_simple(c, a, "net.start", _("Failed to start network %s"),
			  _("Network %s started\n"), errp);
}

int cmd_net_destroy(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return net_simple(c, a, "net.destroy", _("Failed to destroy network %s"),
			  _("Network %s destroyed\n"), errp);
}

int cmd_net_undefine(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return net_simple(c, a, "net.undefine", _("Failed to undefine network %s"),
			  _("Network %s has been undefined\n"), errp);
}

int cmd_net_define(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *file = args_str(a, "file");
	struct json_object *params, *res = NULL;
	char *xml = NULL, *name;
	size_t len;

	if (file_read_all(file, NETWORK_XML_MAX, &xml, &len, errp) < 0)
		return -1;
	if (args_bool(a, "validate")) {
		struct vnetwork *net = vnetwork_parse(xml, len, file, errp);

		if (!net) {
			free(xml);
			return err_wrap(errp, err_code(*errp), _("Failed to define network from %s"),
					file);
		}
		vnetwork_free(net);
	}
	params = json_object_new_object();
	json_object_object_add(params, "xml", json_object_new_string(xml));
	free(xml);
	if (client_call(c, false, "net.define", params, &res, errp) < 0)
		return err_wrap(errp, err_code(*errp), _("Failed to define network from %s"), file);
	name = xstrdup(json_str(res, "name") ? json_str(res, "name") : "?");
	json_object_put(res);
	client_say(c, _("Network %s defined from %s\n"), name, file);
	free(name);
	return 0;
}

int cmd_net_autostart(struct client *c, const struct cmd_args *a, struct err **errp)
{
	bool disable = args_bool(a, "disable");
	struct json_object *params = json_object_new_object();
	struct net_info n;
	char *msg;
	int rc;

	if (net_lookup(c, false, args_str(a, "network"), &n, errp) < 0) {
		json_object_put(params);
		return -1;
	}
	json_object_object_add(params, "enable", json_object_new_boolean(!disable));
	rc = net_call(c, false, "net.autostart", n.uuid, params, NULL, errp);
	if (rc < 0) {
		msg = subst_name(disable ? _("failed to unmark network %s as autostarted")
					 : _("failed to mark network %s as autostarted"), n.name);
		err_wrap(errp, err_code(*errp), "%s", msg);
	} else {
		msg = subst_name(disable ? _("Network %s unmarked as autostarted\n")
					 : _("Network %s marked as autostarted\n"), n.name);
		client_say(c, "%s", msg);
	}
	free(msg);
	net_info_free(&n);
	return rc;
}

static int print_buf(struct buf *out, struct err **errp)
{
	int rc = client_print(out->data ? out->data : "", errp);

	buf_free(out);
	return rc;
}

int cmd_net_info(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct buf out = BUF_INIT;
	struct net_info n;

	if (net_lookup(c, true, args_str(a, "network"), &n, errp) < 0)
		return -1;
	format_field(&out, _("Name:"), n.name);
	format_field(&out, _("UUID:"), n.uuid);
	format_field(&out, _("Active:"), n.active ? _("yes") : _("no"));
	format_field(&out, _("Persistent:"), n.persistent ? _("yes") : _("no"));
	format_field(&out, _("Autostart:"), n.autostart ? _("yes") : _("no"));
	if (n.bridge)
		format_field(&out, _("Bridge:"), n.bridge);
	net_info_free(&n);
	return print_buf(&out, errp);
}

int cmd_net_dumpxml(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object(), *res = NULL;
	const char *xml;
	int rc;

	json_object_object_add(params, "inactive",
			       json_object_new_boolean(args_bool(a, "inactive")));
	if (net_call(c, true, "net.xml", args_str(a, "network"), params, &res, errp) < 0)
		return -1;
	xml = json_str(res, "xml");
	rc = client_print(xml ? xml : "", errp);
	json_object_put(res);
	return rc;
}

/* virsh net-list's filters: which networks it shows. */
static bool list_keeps(const struct cmd_args *a, const struct net_info *n)
{
	bool all = args_bool(a, "all"), inactive = args_bool(a, "inactive");

	if (!all && (inactive ? n->active : !n->active))
		return false;
	if (args_bool(a, "persistent") && !n->persistent)
		return false;
	if (args_bool(a, "transient") && n->persistent)
		return false;
	if (args_bool(a, "autostart") && !n->autostart)
		return false;
	return !(args_bool(a, "no-autostart") && n->autostart);
}

static void list_format(const struct cmd_args *a, const struct net_info *nets, size_t n,
			bool header, struct buf *out)
{
	const char *head[4] = { _("Name"), _("State"), _("Autostart"), _("Persistent") };
	bool names = args_bool(a, "name"), uuids = args_bool(a, "uuid");
	struct strv cells = STRV_INIT;

	for (size_t i = 0; i < n; i++) {
		if (names || uuids) {
			buf_appendf(out, NULL, "%s\n", uuids ? nets[i].uuid : nets[i].name);
			continue;
		}
		strv_push(&cells, nets[i].name);
		strv_push(&cells, nets[i].active ? _("active") : _("inactive"));
		strv_push(&cells, nets[i].autostart ? _("yes") : _("no"));
		strv_push(&cells, nets[i].persistent ? _("yes") : _("no"));
	}
	if (!names && !uuids)
		table_format(header ? head : NULL, &cells, 4, out);
	strv_free(&cells);
}

int cmd_net_list(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object(), *res = NULL, *arr;
	struct net_info *nets;
	struct buf out = BUF_INIT;
	size_t n = 0, len;
	int rc = 0;

	json_object_object_add(params, "all", json_object_new_boolean(1));
	if (client_call(c, true, "net.list", params, &res, errp) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "networks", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(res);
		return err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"), "net.list",
			       "networks");
	}
	len = json_object_array_length(arr);
	nets = xcalloc(len + 1, sizeof(*nets));
	for (size_t i = 0; i < len && rc == 0; i++) {
		rc = net_info_from_json(json_object_array_get_idx(arr, i), &nets[n], errp);
		if (rc == 0 && !list_keeps(a, &nets[n]))
			net_info_free(&nets[n]);
		else if (rc == 0)
			n++;
	}
	json_object_put(res);
	if (rc == 0) {
		list_format(a, nets, n, !c->quiet, &out);
		rc = print_buf(&out, errp);
	}
	for (size_t i = 0; i < n; i++)
		net_info_free(&nets[i]);
	free(nets);
	return rc;
}

/* ---- a domain's interfaces ---- */

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int cmd_domiflist(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *head[5] = { _("Interface"), _("Type"), _("Source"), _("Model"), _("MAC") };
	struct json_object *params = json_object_new_object(), *res = NULL, *arr;
	struct strv cells = STRV_INIT;
	struct buf out = BUF_INIT;

	json_object_object_add(params, "inactive",
			       json_object_new_boolean(args_bool(a, "inactive")));
	if (dom_call(c, true, "domain.iflist", args_str(a, "domain"), params, &res, errp) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "interfaces", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(res);
		return err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"),
			       "domain.iflist", "interfaces");
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		strv_push(&cells, or_dash(json_str(o, "name")));
		strv_push(&cells, or_dash(json_str(o, "type")));
		strv_push(&cells, or_dash(json_str(o, "source")));
		strv_push(&cells, or_dash(json_str(o, "model")));
		strv_push(&cells, or_dash(json_str(o, "mac")));
	}
	json_object_put(res);
	table_format(c->quiet ? NULL : head, &cells, 5, &out);
	strv_free(&cells);
	return print_buf(&out, errp);
}

int cmd_domifstat(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *dom = args_str(a, "domain"), *iface = args_str(a, "interface");
	struct json_object *params = json_object_new_object(), *res = NULL, *stats;
	struct buf out = BUF_INIT;

	json_object_object_add(params, "interface", json_object_new_string(iface));
	if (dom_call(c, true, "domain.ifstat", dom, params, &res, errp) < 0) {
		if (!err_has_code(*errp, RPC_ERR_NO_DOMAIN))
			err_wrap(errp, err_code(*errp), _("Failed to get interface stats %s %s"), dom,
				 iface);
		return -1;
	}
	if (json_object_object_get_ex(res, "stats", &stats) &&
	    json_object_is_type(stats, json_type_object)) {
		json_object_object_foreach(stats, key, val)
			buf_appendf(&out, NULL, "%s %s %" PRId64 "\n", iface, key,
				    json_object_get_int64(val));
	}
	json_object_put(res);
	return print_buf(&out, errp);
}

int cmd_domif_getlink(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *iface = args_str(a, "interface");
	struct json_object *params = json_object_new_object(), *res = NULL;
	struct buf out = BUF_INIT;
	const char *state;

	json_object_object_add(params, "interface", json_object_new_string(iface));
	json_object_object_add(params, "config", json_object_new_boolean(args_bool(a, "config")));
	if (dom_call(c, true, "domain.getlink", args_str(a, "domain"), params, &res, errp) < 0)
		return -1;
	state = json_str(res, "state");
	buf_appendf(&out, NULL, "%s %s\n", iface, state ? state : "?");
	json_object_put(res);
	return print_buf(&out, errp);
}

int cmd_domif_setlink(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object();

	json_object_object_add(params, "interface",
			       json_object_new_string(args_str(a, "interface")));
	json_object_object_add(params, "state", json_object_new_string(args_str(a, "state")));
	if (args_bool(a, "config"))
		json_object_object_add(params, "config", json_object_new_boolean(1));
	if (dom_call(c, false, "domain.setlink", args_str(a, "domain"), params, NULL, errp) < 0) {
		if (!err_has_code(*errp, RPC_ERR_NO_DOMAIN))
			err_wrap(errp, err_code(*errp), _("Failed to update interface link state"));
		return -1;
	}
	client_say(c, _("Device updated successfully\n"));
	return 0;
}
