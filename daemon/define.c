/* Definitions: domain.define, domain.undefine, domain.create (transient),
 * domain.autostart. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/dispatch.h"
#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"

/* A name or uuid clash with another domain (libvirt's wording). */
static int check_clash(struct daemon *d, const struct vdomain *def, struct err **errp)
{
	struct domain *by_name = registry_find_name(d, def->name);
	struct domain *by_uuid = registry_find_uuid(d, def->uuid);

	if (by_name && memcmp(by_name->uuid, def->uuid, 16) != 0)
		return err_set(errp, RPC_ERR_DOMAIN_EXISTS,
			       _("domain '%s' already exists with uuid %s"), by_name->name,
			       by_name->uuid_str);
	if (by_uuid && strcmp(by_uuid->name, def->name) != 0)
		return err_set(errp, RPC_ERR_DOMAIN_EXISTS,
			       _("domain '%s' is already defined with uuid %s"), by_uuid->name,
			       by_uuid->uuid_str);
	return 0;
}

static struct json_object *name_uuid(const struct domain *dom)
{
	struct json_object *res = json_object_new_object();

	json_object_object_add(res, "name", json_object_new_string(dom->name));
	json_object_object_add(res, "uuid", json_object_new_string(dom->uuid_str));
	return res;
}

static struct vdomain *param_xml(struct call *call, struct err **errp)
{
	const char *xml = NULL;

	if (rpc_param_string(call->params, "xml", true, &xml, errp) < 0)
		return NULL;
	return registry_parse_xml(call->d, xml, errp);
}

void method_define(struct call *call)
{
	struct daemon *d = call->d;
	struct err *e = NULL;
	struct vdomain *def = param_xml(call, &e), *old;
	struct domain *dom;
	struct json_object *res;

	if (!def || check_clash(d, def, &e) < 0) {
		vdomain_free(def);
		call_fail(call, e);
		return;
	}
	dom = registry_find_name(d, def->name);
	if (!dom) {
		dom = registry_add(d, def, true);
		if (registry_save(d, dom, &e) < 0) {
			registry_remove(d, dom);
			call_fail(call, e);
			return;
		}
		res = name_uuid(dom);
		json_object_object_add(res, "new", json_object_new_boolean(1));
		daemon_emit_lifecycle(d, dom, "defined", "added");
		call_reply(call, res);
		return;
	}
	/* a new definition for the next start; a running domain goes on as it is */
	old = dom->def;
	dom->def = def;
	if (registry_save(d, dom, &e) < 0) {
		dom->def = old;
		vdomain_free(def);
		call_fail(call, e);
		return;
	}
	vdomain_free(old);
	res = name_uuid(dom);
	json_object_object_add(res, "new", json_object_new_boolean(0));
	daemon_emit_lifecycle(d, dom, "defined", "updated");
	call_reply(call, res);
}

void method_undefine(struct domain *dom, struct call *call)
{
	struct daemon *d = call->d;
	struct err *e = NULL;

	if (!dom->def) {
		call_failf(call, RPC_ERR_OPERATION_INVALID,
			   _("cannot undefine transient domain '%s'"), dom->name);
		return;
	}
	if (registry_delete_files(d, dom, &e) < 0) {
		call_fail(call, e);
		return;
	}
	dom->autostart = false;
	daemon_emit_lifecycle(d, dom, "undefined", "removed");
	if (dom->w) {
		/* it runs on as a transient domain */
		vdomain_free(dom->def);
		dom->def = NULL;
		lifecycle_set_state(dom, dom->state, dom->reason);	/* persistent: false */
	} else {
		registry_remove(d, dom);
	}
	call_reply(call, NULL);
}

void method_create(struct call *call)
{
	struct daemon *d = call->d;
	struct err *e = NULL;
	struct vdomain *def;
	struct domain *dom;
	bool paused;

	/* checked here too, so a bad one leaves no transient domain behind */
	if (rpc_param_bool(call->params, "paused", &paused, &e) < 0 ||
	    !(def = param_xml(call, &e))) {
		call_fail(call, e);
		return;
	}
	dom = registry_find_name(d, def->name);
	if (!dom)
		dom = registry_find_uuid(d, def->uuid);
	if (dom) {
		vdomain_free(def);
		if (dom->w)
			call_failf(call, RPC_ERR_DOMAIN_EXISTS, _("domain '%s' is already active"),
				   dom->name);
		else
			call_failf(call, RPC_ERR_DOMAIN_EXISTS, _("domain '%s' already exists"),
				   dom->name);
		return;
	}
	dom = registry_add(d, def, false);
	daemon_emit_lifecycle(d, dom, "defined", "added");
	job_submit(dom, "domain.create", call, lifecycle_start);
}

void method_autostart(struct domain *dom, struct call *call)
{
	struct err *e = NULL;
	bool enable = true;

	if (rpc_param_bool(call->params, "enable", &enable, &e) < 0) {
		call_fail(call, e);
		return;
	}
	if (!dom->def) {
		call_failf(call, RPC_ERR_OPERATION_INVALID,
			   _("cannot set autostart for transient domain '%s'"), dom->name);
		return;
	}
	if (registry_set_autostart(call->d, dom, enable, &e) < 0)
		call_fail(call, e);
	else
		call_reply(call, NULL);
}
