/* The lifecycle methods: start, shutdown, reboot, reset, suspend, resume (jobs) and
 * destroy (no job: it must be able to end a domain whose job hangs). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* One QMP command for a job: answer the call with its outcome, end the job. */
struct qmp_job {
	struct domain *dom;
	struct call *call;
	const char *cmd;
	void (*after)(struct domain *dom);	/* on success, before the reply */
};

static void qmp_job_done(void *opaque, struct json_object *ret, const struct err *qe)
{
	struct qmp_job *j = opaque;
	struct domain *dom = j->dom;

	if (qe)
		call_failf(j->call, RPC_ERR_OPERATION_FAILED, _("%s of domain '%s' failed: %s"),
			   j->cmd, dom->name, qe->message);
	else {
		if (j->after && dom->w)
			j->after(dom);
		call_reply(j->call, NULL);
	}
	job_end(dom);
	dom_unref(dom);
	free(j);
}

static void run_qmp_job(struct domain *dom, struct call *call, const char *cmd,
			void (*after)(struct domain *dom))
{
	struct qmp_job *j = xzalloc(sizeof(*j));
	struct err *e = NULL;

	j->dom = dom_ref(dom);
	j->call = call;
	j->cmd = cmd;
	j->after = after;
	if (lifecycle_qmp(dom, cmd, NULL, qmp_job_done, j, &e) < 0) {
		call_fail(call, e);
		job_end(dom);
		dom_unref(dom);
		free(j);
	}
}

/* Fails the call and ends the job unless dom runs. */
static bool need_active(struct domain *dom, struct call *call)
{
	if (dom_require_active(dom, call))
		return true;
	job_end(dom);
	return false;
}

void control_start(struct domain *dom, struct call *call)
{
	if (dom->removed) {
		call_failf(call, RPC_ERR_NO_DOMAIN, _("domain '%s' was undefined"), dom->name);
		job_end(dom);
		return;
	}
	lifecycle_start(dom, call);
}

/* ---- suspend, resume, reset, reboot ---- */

static void after_stop(struct domain *dom)
{
	lifecycle_set_state(dom, DOM_PAUSED, "user");
	daemon_emit_lifecycle(dom->d, dom, "suspended", "paused");
}

static void after_cont(struct domain *dom)
{
	lifecycle_set_state(dom, DOM_RUNNING, "unpaused");
	daemon_emit_lifecycle(dom->d, dom, "resumed", "unpaused");
}

void control_suspend(struct domain *dom, struct call *call)
{
	if (!need_active(dom, call))
		return;
	if (dom->state == DOM_PAUSED) {
		call_reply(call, NULL);
		job_end(dom);
		return;
	}
	run_qmp_job(dom, call, "stop", after_stop);
}

void control_resume(struct domain *dom, struct call *call)
{
	if (!need_active(dom, call))
		return;
	if (dom->state == DOM_RUNNING) {
		call_failf(call, RPC_ERR_OPERATION_INVALID, _("domain '%s' is already running"),
			   dom->name);
		job_end(dom);
		return;
	}
	run_qmp_job(dom, call, "cont", after_cont);
}

void control_reset(struct domain *dom, struct call *call)
{
	if (need_active(dom, call))
		run_qmp_job(dom, call, "system_reset", NULL);
}

/* libvirt's ACPI reboot: press the power button; when the guest has powered off,
 * reset and run it again instead of ending the domain (events.c). */
void control_reboot(struct domain *dom, struct call *call)
{
	if (!need_active(dom, call))
		return;
	dom->w->fake_reboot = true;
	run_qmp_job(dom, call, "system_powerdown", NULL);
}

/* ---- shutdown ---- */

struct shutdown_op {
	struct domain *dom;
	struct call *call;
	struct ev_source *timer;
	bool destroyed;
};

static void shutdown_op_end(struct shutdown_op *op)
{
	struct json_object *res = json_object_new_object();
	struct domain *dom = op->dom;

	if (op->destroyed)
		json_object_object_add(res, "destroyed", json_object_new_boolean(1));
	evloop_remove(op->timer);
	call_reply(op->call, res);
	job_end(dom);
	dom_unref(dom);
	free(op);
}

static void shutdown_stopped(struct domain *dom, void *opaque)
{
	shutdown_op_end(opaque);
}

static void on_shutdown_timeout(struct evloop *loop, struct ev_source *src, uint64_t n,
				void *data)
{
	struct shutdown_op *op = data;
	struct domain *dom = op->dom;

	evloop_remove(op->timer);
	op->timer = NULL;
	if (!dom->w)
		return;
	log_info(&dom->d->log, _("domain %s did not shut down in time: destroying it"),
		 dom->name);
	op->destroyed = true;
	dom->w->cause = STOP_DESTROY;
	worker_kill(dom, false);
}

static void on_powerdown_sent(void *opaque, struct json_object *ret, const struct err *qe)
{
	struct shutdown_op *op = opaque;
	struct domain *dom = op->dom;
	uint64_t timeout = 0;

	rpc_param_uint64(op->call->params, "timeout", false, 86400, &timeout, NULL);
	if (qe && dom->w) {
		call_failf(op->call, RPC_ERR_OPERATION_FAILED, _("cannot shut down '%s': %s"),
			   dom->name, qe->message);
		job_end(dom);
		dom_unref(dom);
		free(op);
		return;
	}
	if (timeout == 0 || !dom->w) {
		shutdown_op_end(op);
		return;
	}
	op->timer = evloop_add_timer(dom->d->loop, timeout * 1000, 0, on_shutdown_timeout, op,
				     NULL);
	dom_on_stop(dom, shutdown_stopped, op);
}

void control_shutdown(struct domain *dom, struct call *call)
{
	struct shutdown_op *op;
	uint64_t timeout = 0;
	struct err *e = NULL;

	if (rpc_param_uint64(call->params, "timeout", false, 86400, &timeout, &e) < 0) {
		call_fail(call, e);
		job_end(dom);
		return;
	}
	if (!need_active(dom, call))
		return;
	op = xzalloc(sizeof(*op));
	op->dom = dom_ref(dom);
	op->call = call;
	if (lifecycle_qmp(dom, "system_powerdown", NULL, on_powerdown_sent, op, &e) < 0) {
		call_fail(call, e);
		job_end(dom);
		dom_unref(dom);
		free(op);
	}
}

/* ---- destroy ---- */

struct destroy_op {
	struct domain *dom;
	struct call *call;
	struct ev_source *timer;
};

static void destroy_op_free(struct destroy_op *op)
{
	evloop_remove(op->timer);
	dom_unref(op->dom);
	free(op);
}

static void destroy_stopped(struct domain *dom, void *opaque)
{
	struct destroy_op *op = opaque;

	call_reply(op->call, NULL);
	destroy_op_free(op);
}

/* destroy --graceful: the worker ignored SIGTERM; leave it, as libvirt does. */
static void on_graceful_timeout(struct evloop *loop, struct ev_source *src, uint64_t n,
				void *data)
{
	struct destroy_op *op = data;

	dom_cancel_on_stop(op->dom, op);
	call_failf(op->call, RPC_ERR_TIMEOUT,
		   _("domain '%s' did not stop within %d s of SIGTERM"), op->dom->name,
		   GRACEFUL_TIMEOUT_MS / 1000);
	destroy_op_free(op);
}

void control_destroy(struct domain *dom, struct call *call)
{
	struct destroy_op *op;
	struct err *e = NULL;
	bool graceful = false;

	if (rpc_param_bool(call->params, "graceful", &graceful, &e) < 0) {
		call_fail(call, e);
		return;
	}
	if (!dom_require_active(dom, call))
		return;
	op = xzalloc(sizeof(*op));
	op->dom = dom_ref(dom);
	op->call = call;
	if (dom->w->cause == STOP_NONE)
		dom->w->cause = STOP_DESTROY;
	dom_on_stop(dom, destroy_stopped, op);
	if (graceful) {
		worker_signal(dom, SIGTERM);
		op->timer = evloop_add_timer(dom->d->loop, GRACEFUL_TIMEOUT_MS, 0,
					     on_graceful_timeout, op, NULL);
	} else {
		worker_kill(dom, false);
	}
}
