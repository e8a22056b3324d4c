/* list, dominfo, domstate, dumpxml, domid, domuuid, domname, version, uri: the
 * read-only commands, in virsh's output shapes (format.c), with --json for scripts. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/format.h"
#include "lib/rpc/client.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

const struct opt_def opts_none[] = {
	{ NULL },
};

const struct opt_def opts_list[] = {
	{ "inactive", OPT_BOOL, 0, N_("list inactive domains") },
	{ "all", OPT_BOOL, 0, N_("list inactive & active domains") },
	{ "state-running", OPT_BOOL, 0, N_("list domains in running state") },
	{ "state-paused", OPT_BOOL, 0, N_("list domains in paused state") },
	{ "state-shutoff", OPT_BOOL, 0, N_("list domains in shutoff state") },
	{ "uuid", OPT_BOOL, 0, N_("list uuid's only") },
	{ "name", OPT_BOOL, 0, N_("list domain names only") },
	{ "id", OPT_BOOL, 0, N_("list domain IDs only") },
	{ "table", OPT_BOOL, 0, N_("list table (default)") },
	{ "json", OPT_BOOL, 0, N_("print the domain objects as JSON") },
	{ NULL },
};

const struct opt_def opts_dominfo[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "json", OPT_BOOL, 0, N_("print the domain object as JSON") },
	{ NULL },
};

const struct opt_def opts_domstate[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "reason", OPT_BOOL, 0, N_("also print reason for the state") },
	{ "json", OPT_BOOL, 0, N_("print state and reason as JSON") },
	{ NULL },
};

const struct opt_def opts_dumpxml[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "inactive", OPT_BOOL, 0, N_("show inactive defined XML") },
	{ NULL },
};

const struct opt_def opts_version[] = {
	{ "daemon", OPT_BOOL, 0, N_("report daemon version too") },
	{ NULL },
};

static int print_json(struct client *c, struct json_object *o, struct err **errp)
{
	struct buf out = BUF_INIT;
	int rc;

	json_format(o, &out);
	rc = client_print(out.data, errp);
	buf_free(&out);
	c->no_blank = true;
	return rc;
}

static int print_buf(struct buf *out, struct err **errp)
{
	int rc = client_print(out->data ? out->data : "", errp);

	buf_free(out);
	return rc;
}

/* Which domains `list` shows, from its flags (virsh's rules: the --state-* filters
 * look at every domain). */
struct list_filter {
	bool active, inactive;
	bool running, paused, shutoff, any_state;
};

static struct list_filter list_filter_from(const struct cmd_args *a)
{
	struct list_filter f = {
		.running = args_bool(a, "state-running"),
		.paused = args_bool(a, "state-paused"),
		.shutoff = args_bool(a, "state-shutoff"),
	};

	f.any_state = f.running || f.paused || f.shutoff;
	f.inactive = args_bool(a, "all") || args_bool(a, "inactive") || f.any_state;
	f.active = args_bool(a, "all") || !args_bool(a, "inactive") || f.any_state;
	return f;
}

static bool list_keeps(const struct list_filter *f, const struct dom_info *d)
{
	if (!(d->id >= 0 ? f->active : f->inactive))
		return false;
	if (!f->any_state)
		return true;
	return (f->running && strcmp(d->state, "running") == 0) ||
	       (f->paused && strcmp(d->state, "paused") == 0) ||
	       (f->shutoff && strcmp(d->state, "shut off") == 0);
}

static void list_format_plain(const struct cmd_args *a, const struct dom_info *doms, size_t n,
			      struct buf *out)
{
	bool name = args_bool(a, "name"), uuid = args_bool(a, "uuid"), id = args_bool(a, "id");

	for (size_t i = 0; i < n; i++) {
		const struct dom_info *d = &doms[i];

		if (id && d->id < 0)
			continue;	/* virsh: --id lists running domains only */
		if (id)
			buf_appendf(out, NULL, "%" PRId64 "%s", d->id, uuid || name ? " " : "");
		if (uuid)
			buf_appendf(out, NULL, "%s%s", d->uuid, name ? " " : "");
		if (name)
			buf_append_str(out, d->name, NULL);
		buf_append_str(out, "\n", NULL);
	}
}

int cmd_list(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct list_filter f = list_filter_from(a);
	struct json_object *params = json_object_new_object(), *res = NULL, *arr, *kept;
	struct dom_info *doms;
	struct buf out = BUF_INIT;
	size_t n = 0, len;
	int rc = -1;

	json_object_object_add(params, "all", json_object_new_boolean(f.inactive));
	if (client_call(c, true, "domain.list", params, &res, errp) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "domains", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(res);
		return err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"),
			       "domain.list", "domains");
	}
	len = json_object_array_length(arr);
	doms = xcalloc(len + 1, sizeof(*doms));
	kept = json_object_new_array();
	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		if (dom_info_from_json(o, &doms[n], errp) < 0) {
			dom_info_free(&doms[n]);
			goto out;
		}
		if (!list_keeps(&f, &doms[n])) {
			dom_info_free(&doms[n]);
			continue;
		}
		json_object_array_add(kept, json_object_get(o));
		n++;
	}
	if (args_bool(a, "json"))
		rc = print_json(c, kept, errp);
	else {
		if (args_bool(a, "name") || args_bool(a, "uuid") || args_bool(a, "id"))
			list_format_plain(a, doms, n, &out);
		else
			list_format_table(doms, n, !c->quiet, &out);
		rc = print_buf(&out, errp);
	}
out:
	for (size_t i = 0; i < n; i++)
		dom_info_free(&doms[i]);
	free(doms);
	json_object_put(kept);
	json_object_put(res);
	return rc;
}

int cmd_dominfo(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *res = NULL;
	struct buf out = BUF_INIT;
	struct dom_info d = { .id = -1 };
	int rc = -1;

	if (dom_call(c, true, "domain.info", args_str(a, "domain"), NULL, &res, errp) < 0)
		return -1;
	if (args_bool(a, "json")) {
		rc = print_json(c, res, errp);
	} else if (dom_info_from_json(res, &d, errp) == 0) {
		dominfo_format(&d, &out);
		rc = print_buf(&out, errp);
	}
	dom_info_free(&d);
	json_object_put(res);
	return rc;
}

static const char *str_or(struct json_object *o, const char *key, const char *fallback)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : fallback;
}

int cmd_domstate(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *res = NULL;
	struct buf out = BUF_INIT;
	int rc;

	if (dom_call(c, true, "domain.state", args_str(a, "domain"), NULL, &res, errp) < 0)
		return -1;
	if (args_bool(a, "json")) {
		rc = print_json(c, res, errp);
	} else {
		domstate_format(str_or(res, "state", "no state"), str_or(res, "reason", "unknown"),
				args_bool(a, "reason"), &out);
		rc = print_buf(&out, errp);
	}
	json_object_put(res);
	return rc;
}

int cmd_dumpxml(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object(), *res = NULL, *v;
	int rc;

	json_object_object_add(params, "inactive",
			       json_object_new_boolean(args_bool(a, "inactive")));
	if (dom_call(c, true, "domain.xml", args_str(a, "domain"), params, &res, errp) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "xml", &v) || !json_object_is_type(v, json_type_string))
		rc = err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"), "domain.xml",
			     "xml");
	else
		rc = client_print(json_object_get_string(v), errp);
	json_object_put(res);
	return rc;
}

int cmd_domid(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct dom_ref d;

	if (dom_lookup(c, true, args_str(a, "domain"), &d, errp) < 0)
		return -1;
	if (d.id >= 0)
		printf("%" PRId64 "\n", d.id);
	else
		printf("-\n");
	dom_ref_free(&d);
	return 0;
}

int cmd_domuuid(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct dom_ref d;

	if (dom_lookup(c, true, args_str(a, "domain"), &d, errp) < 0)
		return -1;
	printf("%s\n", d.uuid);
	dom_ref_free(&d);
	return 0;
}

int cmd_domname(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct dom_ref d;

	if (dom_lookup(c, true, args_str(a, "domain"), &d, errp) < 0)
		return -1;
	printf("%s\n", d.name);
	dom_ref_free(&d);
	return 0;
}

int cmd_version(struct client *c, const struct cmd_args *a, struct err **errp)
{
	bool daemon = args_bool(a, "daemon");
	struct json_object *res = NULL;
	struct err *e = NULL;

	/* The shape virsh prints, so scripts that parse it keep working. */
	printf(_("Compiled against library: vireo %s\n"), PACKAGE_VERSION);
	printf(_("Using library: vireo %s\n"), PACKAGE_VERSION);
	/* Without a daemon the library lines are still worth printing; --daemon insists. */
	if (client_call(c, true, "version", NULL, &res, &e) < 0) {
		if (!daemon) {
			log_debug(&c->log, "version: no daemon: %s", e->message);
			err_free(e);
			return 0;
		}
		*errp = e;
		return -1;
	}
	printf(_("Using API: vireo %s\n"), PACKAGE_VERSION);
	printf(_("Running hypervisor: %s %s\n"), str_or(res, "hypervisor", "vireo-vmm"),
	       str_or(res, "hypervisor_version", "?"));
	if (daemon)
		printf(_("Running against daemon: %s\n"), str_or(res, "daemon", "?"));
	json_object_put(res);
	return 0;
}

int cmd_uri(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct rpc_client *rpc = client_rpc(c, true, errp);

	if (!rpc)
		return -1;
	/* Through ssh the daemon's own URI names its local socket: show what we used. */
	printf("%s\n", c->uri ? c->uri : rpc_client_uri(rpc));
	return 0;
}
