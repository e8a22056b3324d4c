/* What a worker tells over QMP: readiness, and the events that drive the lifecycle
 * actions (<on_poweroff>, <on_reboot>, <on_crash>), as libvirt acts on them:
 *
 *   SHUTDOWN (guest)   the guest powered off (or reset under -no-reboot, or
 *                      panicked): the matching action; a pending reboot resets instead
 *   RESET (guest)      on_reboot=destroy ends the domain
 *   GUEST_PANICKED     on_crash
 *   BALLOON_CHANGE     the live currentMemory follows the balloon */
#include "config.h"

#include <string.h>

#include "daemon/lifecycle.h"
#include "lib/util/i18n.h"
#include "lib/util/str.h"

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* ---- after the guest reset itself or was reset: let it run ---- */

static void after_reset_cont(void *opaque, struct json_object *ret, const struct err *e)
{
	struct domain *dom = opaque;

	if (e)
		log_warning(&dom->d->log, _("domain %s: cannot resume after reset: %s"), dom->name,
			    e->message);
	else if (dom->w)
		lifecycle_set_state(dom, DOM_RUNNING, "booted");
	dom_unref(dom);
}

static void after_reset(void *opaque, struct json_object *ret, const struct err *e)
{
	struct domain *dom = opaque;

	if (!e && lifecycle_qmp(dom, "cont", NULL, after_reset_cont, dom, NULL) == 0)
		return;
	if (e)
		log_warning(&dom->d->log, _("domain %s: cannot reset: %s"), dom->name, e->message);
	dom_unref(dom);
}

/* Reboot in place: system_reset, then cont (the worker stopped at the guest's
 * power-off because of -no-shutdown). */
static void restart_guest(struct domain *dom)
{
	daemon_emit_lifecycle(dom->d, dom, "rebooted", "booted");
	if (lifecycle_qmp(dom, "system_reset", NULL, after_reset, dom_ref(dom), NULL) < 0)
		dom_unref(dom);
}

/* ---- actions ---- */

enum trigger { ON_POWEROFF, ON_REBOOT, ON_CRASH };

static enum vdom_lifecycle_action action_for(const struct vdomain *def, enum trigger t)
{
	enum vdom_lifecycle_action a = t == ON_POWEROFF ? def->on_poweroff
				       : t == ON_REBOOT ? def->on_reboot
							: def->on_crash;

	if (a != VDOM_ACT_DEFAULT)
		return a;
	return t == ON_REBOOT ? VDOM_ACT_RESTART : VDOM_ACT_DESTROY;
}

static void apply_action(struct domain *dom, enum trigger t)
{
	struct worker *w = dom->w;

	switch (action_for(dom->live, t)) {
	case VDOM_ACT_RESTART:
	case VDOM_ACT_RENAME_RESTART:
	case VDOM_ACT_COREDUMP_RESTART:
		restart_guest(dom);
		return;
	case VDOM_ACT_PRESERVE:
		if (t == ON_CRASH)
			lifecycle_set_state(dom, DOM_CRASHED, "panicked");
		else
			lifecycle_set_state(dom, DOM_PAUSED, "shutdown");
		daemon_emit_lifecycle(dom->d, dom, "suspended", t == ON_CRASH ? "panicked"
										: "shutdown");
		return;
	case VDOM_ACT_DEFAULT:
	case VDOM_ACT_DESTROY:
	case VDOM_ACT_COREDUMP_DESTROY:
		break;
	}
	w->cause = t == ON_CRASH ? STOP_CRASH : STOP_SHUTDOWN;
	lifecycle_set_state(dom, DOM_SHUTDOWN, "user");
	worker_kill(dom, false);
}

static void on_shutdown(struct domain *dom, struct json_object *data)
{
	struct worker *w = dom->w;
	const char *reason = json_str(data, "reason");
	struct json_object *guest = NULL;

	/* our own quit/SIGTERM, or the end of a start that failed */
	if (w->cause != STOP_NONE)
		return;
	if (data && json_object_object_get_ex(data, "guest", &guest) &&
	    !json_object_get_boolean(guest) && str_starts_with(reason, "host-"))
		return;
	if (w->fake_reboot) {
		w->fake_reboot = false;
		restart_guest(dom);
		return;
	}
	if (strcmp(reason, "guest-panic") == 0) {
		daemon_emit_lifecycle(dom->d, dom, "crashed", "panicked");
		apply_action(dom, ON_CRASH);
		return;
	}
	daemon_emit_lifecycle(dom->d, dom, "shutdown", "finished");
	apply_action(dom, strcmp(reason, "guest-reset") == 0 ? ON_REBOOT : ON_POWEROFF);
}

static void on_balloon_change(struct domain *dom, struct json_object *data)
{
	struct json_object *v;
	uint64_t kib;

	if (!data || !json_object_object_get_ex(data, "actual", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
		return;
	kib = (uint64_t)json_object_get_int64(v) / 1024;
	if (kib > dom->live->memory_kib)
		kib = dom->live->memory_kib;
	dom->live->current_memory_kib = kib;
	lifecycle_set_state(dom, dom->state, dom->reason);	/* saves live.xml */
}

void lifecycle_on_event(struct domain *dom, const char *name, struct json_object *data)
{
	if (!dom->w || !dom->live)
		return;
	log_debug(&dom->d->log, "domain %s: QMP event %s", dom->name, name);
	if (strcmp(name, "SHUTDOWN") == 0) {
		on_shutdown(dom, data);
	} else if (strcmp(name, "RESET") == 0) {
		if (dom->w->cause == STOP_NONE && action_for(dom->live, ON_REBOOT) ==
						       VDOM_ACT_DESTROY &&
		    strcmp(json_str(data, "reason"), "guest-reset") == 0)
			apply_action(dom, ON_REBOOT);
	} else if (strcmp(name, "GUEST_PANICKED") == 0) {
		if (dom->w->cause == STOP_NONE) {
			daemon_emit_lifecycle(dom->d, dom, "crashed", "panicked");
			apply_action(dom, ON_CRASH);
		}
	} else if (strcmp(name, "BALLOON_CHANGE") == 0) {
		on_balloon_change(dom, data);
	}
}

/* ---- readiness ---- */

/* A re-attached worker: learn whether it runs or is paused. */
static void on_status(void *opaque, struct json_object *ret, const struct err *e)
{
	struct domain *dom = opaque;
	struct json_object *running = NULL;

	if (!e && dom->w && json_object_object_get_ex(ret, "running", &running)) {
		bool run = json_object_get_boolean(running);

		if (run && dom->state != DOM_RUNNING)
			lifecycle_set_state(dom, DOM_RUNNING, "unpaused");
		else if (!run && dom->state == DOM_RUNNING)
			lifecycle_set_state(dom, DOM_PAUSED, "unknown");
	}
	dom_unref(dom);
}

void lifecycle_on_ready(struct domain *dom)
{
	if (!dom->w)
		return;
	if (dom->w->start_op) {
		lifecycle_start_ready(dom);
		return;
	}
	log_info(&dom->d->log, _("domain %s: re-attached to its worker (pid %d)"), dom->name,
		 (int)dom->w->pid);
	if (lifecycle_qmp(dom, "query-status", NULL, on_status, dom_ref(dom), NULL) < 0)
		dom_unref(dom);
}
