/* Starting a domain and handling its worker's exit.
 *
 * start is a chain: copy the definition into the live one (console made a socket),
 * spawn the worker paused, wait for QMP, apply the balloon target and stats period,
 * connect the console, `cont` (not with "paused": the domain stays paused, reason
 * "starting up", until resume). Any failure (or START_TIMEOUT_MS) kills the worker;
 * the call is answered once the worker is gone, with the tail of its log. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/console.h"
#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/network/network.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define LOG_TAIL_MAX 2048

struct start_op {
	struct domain *dom;		/* referenced */
	struct call *call;		/* NULL for autostart / restart */
	struct ev_source *timer;
	off_t log_offset;
	struct err *failure;		/* set once the start failed */
	bool finished;
	bool paused;			/* "paused": no `cont`, left paused (starting up) */
};

/* ---- small shared pieces ---- */

void lifecycle_set_state(struct domain *dom, enum dom_state st, const char *reason)
{
	struct err *e = NULL;

	dom->state = st;
	dom->reason = reason;
	if (dom->w && runtime_save(dom->d, dom, &e) < 0) {
		log_err(&dom->d->log, VLOG_WARNING, e);
		err_free(e);
	}
}

int lifecycle_qmp(struct domain *dom, const char *cmd, struct json_object *args,
		  qmp_reply_fn fn, void *opaque, struct err **errp)
{
	if (!dom->w || !dom->w->qmp) {
		json_object_put(args);
		return err_set(errp, RPC_ERR_OPERATION_FAILED,
			       _("domain '%s': no monitor connection to its worker"), dom->name);
	}
	return qmp_client_execute(dom->w->qmp, cmd, args, fn, opaque, errp);
}

bool dom_require_active(struct domain *dom, struct call *call)
{
	if (dom->w && !dom->removed)
		return true;
	call_failf(call, RPC_ERR_OPERATION_INVALID, _("domain '%s' is not running"), dom->name);
	return false;
}

void dom_on_stop(struct domain *dom, void (*fn)(struct domain *, void *), void *opaque)
{
	struct stop_waiter *w;

	if (!dom->w) {
		fn(dom, opaque);
		return;
	}
	w = xzalloc(sizeof(*w));
	w->fn = fn;
	w->opaque = opaque;
	w->next = dom->stop_waiters;
	dom->stop_waiters = w;
}

void dom_cancel_on_stop(struct domain *dom, void *opaque)
{
	struct stop_waiter **pp, *w;

	for (pp = &dom->stop_waiters; (w = *pp);) {
		if (w->opaque == opaque) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void start_fail(struct start_op *op, struct err *e);

/* ---- the worker's exit ---- */

static const char *stop_reason(const struct worker *w, bool clean_exit)
{
	switch (w->cause) {
	case STOP_DESTROY: return "destroyed";
	case STOP_SHUTDOWN: return "shutdown";
	case STOP_CRASH: return "crashed";
	case STOP_FAILED: return "failed";
	case STOP_NONE: break;
	}
	/* nobody asked: a worker that exits cleanly was told to by the guest */
	return clean_exit ? "shutdown" : "crashed";
}

void lifecycle_worker_exited(struct domain *dom, bool clean_exit)
{
	struct daemon *d = dom->d;
	const char *reason = stop_reason(dom->w, clean_exit);
	struct stop_waiter *waiters;

	struct start_op *op = dom->w->start_op;

	dom_ref(dom);
	dom->w->exited = true;
	if (op) {
		struct err *e = NULL;

		dom->w->start_op = NULL;
		err_set(&e, RPC_ERR_OPERATION_FAILED,
			_("cannot start domain '%s': the worker exited"), dom->name);
		start_fail(op, e);
	}
	log_info(&d->log, _("domain %s stopped (%s)"), dom->name, reason);
	worker_free(dom);
	hostnet_release(d, dom->name);
	runtime_clean(d, dom->name);
	dom->id = -1;
	dom->state = DOM_SHUTOFF;
	dom->reason = reason;
	if (dom->def) {
		vdomain_free(dom->live);
		dom->live = NULL;
	}
	daemon_emit_lifecycle(d, dom, "stopped", reason);
	if (!dom->def && !dom->removed) {
		daemon_emit_lifecycle(d, dom, "undefined", "removed");
		registry_remove(d, dom);
	}
	waiters = dom->stop_waiters;
	dom->stop_waiters = NULL;
	while (waiters) {
		struct stop_waiter *w = waiters;

		waiters = w->next;
		w->fn(dom, w->opaque);
		free(w);
	}
	daemon_update_status(d);
	daemon_touch(d);
	dom_unref(dom);
}

/* ---- start ---- */

static void start_op_free(struct start_op *op)
{
	evloop_remove(op->timer);
	err_free(op->failure);
	dom_unref(op->dom);
	free(op);
}

/* The worker of a failed start is gone: answer with why, and the log's last words. */
static void start_failed_stopped(struct domain *dom, void *opaque)
{
	struct start_op *op = opaque;
	struct dom_paths p;
	char *tail;

	dom_paths_init(dom->d, dom->name, &p);
	tail = domain_log_tail(p.log, op->log_offset, LOG_TAIL_MAX);
	dom_paths_free(&p);
	if (*tail && op->log_offset >= 0) {
		char *why = err_describe(op->failure);
		struct err *e = NULL;

		err_set(&e, err_code(op->failure), "%s: %s", why, tail);
		err_free(op->failure);
		op->failure = e;
		free(why);
	}
	log_err(&dom->d->log, VLOG_WARNING, op->failure);
	if (op->call) {
		call_fail(op->call, op->failure);
		op->failure = NULL;
	}
	free(tail);
	dom->state = DOM_SHUTOFF;
	dom->reason = "failed";
	/* a transient domain that never ran is gone with its failed start */
	if (!dom->def && !dom->w && !dom->removed)
		registry_remove(dom->d, dom);
	job_end(dom);
	start_op_free(op);
}

static void start_fail(struct start_op *op, struct err *e)
{
	struct domain *dom = op->dom;

	if (op->finished || op->failure) {
		err_free(e);
		return;
	}
	op->failure = e;
	evloop_remove(op->timer);
	op->timer = NULL;
	if (!dom->w) {
		start_failed_stopped(dom, op);
		return;
	}
	dom->w->cause = STOP_FAILED;
	dom_on_stop(dom, start_failed_stopped, op);
	worker_kill(dom, true);
}

static void start_failf(struct start_op *op, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void start_failf(struct start_op *op, const char *code, const char *fmt, ...)
{
	struct err *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	err_setv(&e, code, fmt, ap);
	va_end(ap);
	start_fail(op, e);
}

static void on_start_timeout(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct start_op *op = data;

	start_failf(op, RPC_ERR_TIMEOUT, _("domain '%s': the worker was not ready within %d s"),
		    op->dom->name, START_TIMEOUT_MS / 1000);
}

/* The start is done: running, or paused (starting up) as asked; answer the call.
 * libvirt's events for a paused start: started/booted, then suspended/paused. */
static void start_finished(struct start_op *op)
{
	struct domain *dom = op->dom;
	struct json_object *res;

	op->finished = true;
	dom->w->starting = false;
	if (op->paused) {
		lifecycle_set_state(dom, DOM_PAUSED, "starting up");
		log_info(&dom->d->log, _("domain %s started paused (id %d, pid %d)"), dom->name,
			 dom->id, (int)dom->w->pid);
	} else {
		lifecycle_set_state(dom, DOM_RUNNING, "booted");
		log_info(&dom->d->log, _("domain %s started (id %d, pid %d)"), dom->name, dom->id,
			 (int)dom->w->pid);
	}
	daemon_emit_lifecycle(dom->d, dom, "started", "booted");
	if (op->paused)
		daemon_emit_lifecycle(dom->d, dom, "suspended", "paused");
	daemon_update_status(dom->d);
	if (op->call) {
		res = json_object_new_object();
		json_object_object_add(res, "id", json_object_new_int(dom->id));
		json_object_object_add(res, "name", json_object_new_string(dom->name));
		json_object_object_add(res, "uuid", json_object_new_string(dom->uuid_str));
		call_reply(op->call, res);
	}
	job_end(dom);
	start_op_free(op);
}

static void start_after_cont(void *opaque, struct json_object *ret, const struct err *e)
{
	struct start_op *op = opaque;

	if (e) {
		start_failf(op, RPC_ERR_OPERATION_FAILED, _("domain '%s': cont failed: %s"),
			    op->dom->name, e->message);
		return;
	}
	if (!op->failure)
		start_finished(op);
}

/* currentMemory and stats period are set: connect the console, then run the guest
 * (or leave it paused). */
static void start_memory_done(struct domain *dom)
{
	struct start_op *op = NULL;
	struct dom_paths p;
	struct err *e = NULL;

	if (!dom->w || !dom->w->start_op)
		return;		/* the worker went away meanwhile; its exit fails the start */
	op = dom->w->start_op;
	dom->w->start_op = NULL;
	if (op->failure)
		return;
	dom_paths_init(dom->d, dom->name, &p);
	if (dom->w->has_console)
		dom->w->console = console_open(dom, &p);
	dom_paths_free(&p);
	if (op->paused)
		start_finished(op);
	else if (lifecycle_qmp(dom, "cont", NULL, start_after_cont, op, &e) < 0)
		start_fail(op, e);
}

/* Links set down in the XML are down before the guest runs (libvirt does the same). */
static void start_links_done(struct domain *dom)
{
	memory_apply_at_start(dom, start_memory_done);
}

/* QMP is up (lifecycle_on_ready): the worker is paused and configured. */
void lifecycle_start_ready(struct domain *dom)
{
	hostnet_apply_links(dom, start_links_done);
}

/* Copy the definition into the live one and put the domain's pieces in place. */
static int start_prepare(struct domain *dom, struct err **errp)
{
	struct dom_paths p;
	int rc = -1;

	if (dom->def) {
		vdomain_free(dom->live);
		dom->live = registry_copy_def(dom->d, dom->def, errp);
		if (!dom->live)
			return -1;
	}
	dom_paths_init(dom->d, dom->name, &p);
	if (runtime_prepare(dom->d, dom->name, errp) == 0)
		rc = 0;
	dom->id = dom->d->reg.next_id++;
	if (rc == 0)
		rc = console_prepare_def(dom->live, p.console) ? 1 : 0;
	dom_paths_free(&p);
	return rc;
}

void lifecycle_start(struct domain *dom, struct call *call)
{
	struct start_op *op;
	struct err *e = NULL;
	bool paused = false;
	int console;

	if (call && rpc_param_bool(call->params, "paused", &paused, &e) < 0) {
		call_fail(call, e);
		job_end(dom);
		return;
	}
	if (dom->w) {
		if (call)
			call_failf(call, RPC_ERR_OPERATION_INVALID,
				   _("domain '%s' is already active"), dom->name);
		job_end(dom);
		return;
	}
	op = xzalloc(sizeof(*op));
	op->dom = dom_ref(dom);
	op->call = call;
	op->paused = paused;
	op->log_offset = -1;	/* no log of this start yet */
	console = start_prepare(dom, &e);
	if (console < 0 || worker_spawn(dom, &op->log_offset, &e) < 0) {
		dom->id = -1;
		runtime_clean(dom->d, dom->name);
		err_wrap(&e, RPC_ERR_OPERATION_FAILED, _("cannot start domain '%s'"), dom->name);
		start_fail(op, e);
		return;
	}
	dom->w->has_console = console == 1;
	dom->w->start_op = op;
	dom->w->starting = true;
	lifecycle_set_state(dom, DOM_PAUSED, "starting up");
	op->timer = evloop_add_timer(dom->d->loop, START_TIMEOUT_MS, 0, on_start_timeout, op, NULL);
	daemon_update_status(dom->d);
}

/* ---- QMP connection callbacks ---- */

static void qmp_ready(void *opaque)
{
	lifecycle_on_ready(opaque);
}

static void qmp_event(void *opaque, const char *name, struct json_object *data)
{
	lifecycle_on_event(opaque, name, data);
}

static void qmp_closed(void *opaque, const struct err *why)
{
	struct domain *dom = opaque;
	struct start_op *op = dom->w ? dom->w->start_op : NULL;

	log_debug(&dom->d->log, "domain %s: QMP closed: %s", dom->name, why->message);
	if (op) {
		struct err *e = NULL;

		dom->w->start_op = NULL;
		err_set(&e, RPC_ERR_OPERATION_FAILED, _("domain '%s': the worker went away: %s"),
			dom->name, why->message);
		start_fail(op, e);
	}
}

const struct qmp_client_ops lifecycle_qmp_ops = { qmp_ready, qmp_event, qmp_closed };
