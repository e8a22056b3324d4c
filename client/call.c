/* The commands' way to vireod: one connection per invocation, opened on first use,
 * and the error shapes virsh prints for a domain that is not there. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/conn.h"
#include "lib/rpc/client.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

struct rpc_client *client_rpc(struct client *c, bool readonly, struct err **errp)
{
	struct target t;
	const char *uri = c->uri;

	if (c->conn)
		return vconn_rpc(c->conn);
	/* virsh's LIBVIRT_DEFAULT_URI, under our name. */
	if (!uri && !c->root)
		uri = getenv("VIREO_DEFAULT_URI");
	if (uri && !*uri)
		uri = NULL;
	if (target_parse(uri, c->root, &t, errp) < 0) {
		err_wrap(errp, err_code(*errp), _("failed to connect to the hypervisor"));
		target_free(&t);
		return NULL;
	}
	log_debug(&c->log, "connecting to %s", t.kind == TARGET_SSH ? t.host : t.socket);
	c->conn = vconn_open(&t, readonly, errp);
	target_free(&t);
	return c->conn ? vconn_rpc(c->conn) : NULL;
}

void client_disconnect(struct client *c)
{
	vconn_close(c->conn);
	c->conn = NULL;
}

int client_call(struct client *c, bool readonly, const char *method, struct json_object *params,
		struct json_object **result, struct err **errp)
{
	struct rpc_client *rpc = client_rpc(c, readonly, errp);

	if (!rpc) {
		json_object_put(params);
		return -1;
	}
	log_debug(&c->log, "call %s", method);
	return rpc_client_call(rpc, method, params, result, errp);
}

int dom_call(struct client *c, bool readonly, const char *method, const char *ref,
	     struct json_object *params, struct json_object **result, struct err **errp)
{
	struct err *e = NULL;

	if (!params)
		params = json_object_new_object();
	json_object_object_add(params, "domain", json_object_new_string(ref));
	if (client_call(c, readonly, method, params, result, &e) == 0)
		return 0;
	if (err_has_code(e, RPC_ERR_NO_DOMAIN)) {
		log_debug(&c->log, "%s: %s", method, e->message);
		err_free(e);
		return err_set(errp, RPC_ERR_NO_DOMAIN, _("failed to get domain '%s'"), ref);
	}
	if (errp && !*errp)
		*errp = e;
	else
		err_free(e);
	return -1;
}

static char *string_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? xstrdup(json_object_get_string(v))
		       : NULL;
}

int dom_lookup(struct client *c, bool readonly, const char *ref, struct dom_ref *d,
	       struct err **errp)
{
	struct json_object *res = NULL, *v;

	memset(d, 0, sizeof(*d));
	d->id = -1;
	if (dom_call(c, readonly, "domain.lookup", ref, NULL, &res, errp) < 0)
		return -1;
	d->name = string_field(res, "name");
	d->uuid = string_field(res, "uuid");
	if (json_object_object_get_ex(res, "id", &v) && json_object_is_type(v, json_type_int))
		d->id = json_object_get_int64(v);
	json_object_put(res);
	if (!d->name || !d->uuid) {
		dom_ref_free(d);
		return err_set(errp, ERR_INVALID, _("the daemon's domain.lookup reply lacks '%s'"),
			       "name/uuid");
	}
	return 0;
}

void dom_ref_free(struct dom_ref *d)
{
	free(d->name);
	free(d->uuid);
	memset(d, 0, sizeof(*d));
}

char *subst_name(const char *tmpl, const char *name)
{
	const char *at = strstr(tmpl, "%s");

	if (!at)
		return xstrdup(tmpl);
	return xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, name, at + 2);
}

void client_say(const struct client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int client_print(const char *text, struct err **errp)
{
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
		return err_set_errno(errp, ERR_IO, errno, _("cannot write the output"));
	return 0;
}
