/* Memory methods: setmem, setmaxmem, memstats period, dommemstat; and the balloon
 * settings applied when a worker starts. QMP shapes as QEMU's: `balloon {"value":
 * bytes}`, `query-balloon` -> {"actual": bytes}, qom-get/qom-set on
 * /machine/peripheral/balloon0 for guest-stats and guest-stats-polling-interval. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define BALLOON_PATH "/machine/peripheral/balloon0"
/* Far above any host, and within what a QMP byte count (int64) can carry. */
#define KIB_MAX ((uint64_t)1 << 40)

static bool has_balloon(const struct vdomain *def)
{
	return def->memballoon.present && !def->memballoon.none;
}

static struct json_object *balloon_args(uint64_t kib)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "value", json_object_new_int64((int64_t)(kib * 1024)));
	return a;
}

static struct json_object *period_args(int seconds)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "path", json_object_new_string(BALLOON_PATH));
	json_object_object_add(a, "property", json_object_new_string("guest-stats-polling-interval"));
	json_object_object_add(a, "value", json_object_new_int(seconds));
	return a;
}

/* ---- at start ---- */

struct apply_op {
	struct domain *dom;
	void (*done)(struct domain *dom);
	int pending;
};

static void apply_step_done(void *opaque, struct json_object *ret, const struct err *e)
{
	struct apply_op *op = opaque;

	if (e && op->dom->w)
		log_warning(&op->dom->d->log, _("domain %s: cannot apply the balloon settings: %s"),
			    op->dom->name, e->message);
	if (--op->pending > 0)
		return;
	if (op->dom->w)
		op->done(op->dom);
	dom_unref(op->dom);
	free(op);
}

void memory_apply_at_start(struct domain *dom, void (*done)(struct domain *dom))
{
	const struct vdomain *live = dom->live;
	struct apply_op *op;
	uint64_t cur = live->current_memory_kib;

	if (!has_balloon(live) || ((!cur || cur >= live->memory_kib) &&
				   live->memballoon.stats_period <= 0)) {
		done(dom);
		return;
	}
	op = xzalloc(sizeof(*op));
	op->dom = dom_ref(dom);
	op->done = done;
	op->pending = 1;	/* held until both commands are sent */
	if (cur && cur < live->memory_kib) {
		op->pending++;
		if (lifecycle_qmp(dom, "balloon", balloon_args(cur), apply_step_done, op, NULL) < 0)
			op->pending--;
	}
	if (live->memballoon.stats_period > 0) {
		op->pending++;
		if (lifecycle_qmp(dom, "qom-set", period_args(live->memballoon.stats_period),
				  apply_step_done, op, NULL) < 0)
			op->pending--;
	}
	apply_step_done(op, NULL, NULL);
}

/* ---- a live change through QMP, then the answer ---- */

struct live_op {
	struct domain *dom;
	struct call *call;
	uint64_t kib;			/* setmem: the new size */
	int period;			/* memstats_period: the new period */
	bool config_done;
};

static void live_op_end(struct live_op *op, struct err *e)
{
	struct domain *dom = op->dom;

	if (e)
		call_fail(op->call, e);
	else
		call_reply(op->call, NULL);
	job_end(dom);
	dom_unref(dom);
	free(op);
}

static void setmem_done(void *opaque, struct json_object *ret, const struct err *qe)
{
	struct live_op *op = opaque;
	struct err *e = NULL;

	if (qe) {
		err_set(&e, RPC_ERR_OPERATION_FAILED, _("cannot set the memory of '%s': %s"),
			op->dom->name, qe->message);
	} else if (op->dom->live) {
		op->dom->live->current_memory_kib = op->kib;
		lifecycle_set_state(op->dom, op->dom->state, op->dom->reason);
	}
	live_op_end(op, e);
}

static void period_done(void *opaque, struct json_object *ret, const struct err *qe)
{
	struct live_op *op = opaque;
	struct err *e = NULL;

	if (qe)
		err_set(&e, RPC_ERR_OPERATION_FAILED,
			_("cannot set the statistics period of '%s': %s"), op->dom->name,
			qe->message);
	else if (op->dom->live)
		op->dom->live->memballoon.stats_period = op->period;
	live_op_end(op, e);
}

/* Which definitions a change goes to: --live, --config, or (neither) the live one of
 * a running domain, else the persistent one. */
static int pick_targets(struct domain *dom, struct call *call, bool *live, bool *config,
			struct err **errp)
{
	*live = *config = false;
	if (rpc_param_bool(call->params, "live", live, errp) < 0 ||
	    rpc_param_bool(call->params, "config", config, errp) < 0)
		return -1;
	if (!*live && !*config) {
		*live = dom->w != NULL;
		*config = !*live;
	}
	if (*live && !dom->w)
		return err_set(errp, RPC_ERR_OPERATION_INVALID, _("domain '%s' is not running"),
			       dom->name);
	if (*config && !dom->def)
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("cannot change the persistent configuration of a transient "
				 "domain"));
	return 0;
}

static void finish_sync(struct domain *dom, struct call *call, struct err *e)
{
	if (e)
		call_fail(call, e);
	else
		call_reply(call, NULL);
	job_end(dom);
}

/* Save dom's changed definition; false (the call failed, the job ended) if it could
 * not be written: the caller puts the old value back. */
static bool save_def(struct domain *dom, struct call *call)
{
	struct err *e = NULL;

	if (registry_save(dom->d, dom, &e) == 0)
		return true;
	finish_sync(dom, call, e);
	return false;
}

static struct live_op *live_op_new(struct domain *dom, struct call *call)
{
	struct live_op *op = xzalloc(sizeof(*op));

	op->dom = dom_ref(dom);
	op->call = call;
	return op;
}

static int setmem_check(struct domain *dom, uint64_t kib, bool live, bool config,
			struct err **errp)
{
	if (kib == 0)
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("'kib' must be positive"));
	if ((config && kib > dom->def->memory_kib) || (live && kib > dom->live->memory_kib))
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT,
			       _("cannot set memory higher than max memory"));
	if (live && !has_balloon(dom->live))
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("Unable to change memory of active domain without the balloon "
				 "device"));
	return 0;
}

void memory_setmem(struct domain *dom, struct call *call)
{
	struct err *e = NULL;
	struct live_op *op;
	uint64_t kib = 0;
	bool live, config;

	if (rpc_param_uint64(call->params, "kib", true, KIB_MAX, &kib, &e) < 0 ||
	    pick_targets(dom, call, &live, &config, &e) < 0 ||
	    setmem_check(dom, kib, live, config, &e) < 0) {
		finish_sync(dom, call, e);
		return;
	}
	if (config) {
		uint64_t old = dom->def->current_memory_kib;

		dom->def->current_memory_kib = kib;
		if (!save_def(dom, call)) {
			dom->def->current_memory_kib = old;
			return;
		}
	}
	if (!live) {
		finish_sync(dom, call, NULL);
		return;
	}
	op = live_op_new(dom, call);
	op->kib = kib;
	if (lifecycle_qmp(dom, "balloon", balloon_args(kib), setmem_done, op, &e) < 0)
		live_op_end(op, e);
}

void memory_setmaxmem(struct domain *dom, struct call *call)
{
	struct err *e = NULL;
	uint64_t kib = 0, old_max, old_cur;
	bool live = false, config = false;

	if (rpc_param_uint64(call->params, "kib", true, KIB_MAX, &kib, &e) < 0 ||
	    rpc_param_bool(call->params, "live", &live, &e) < 0 ||
	    rpc_param_bool(call->params, "config", &config, &e) < 0) {
		finish_sync(dom, call, e);
		return;
	}
	if (live || (!config && dom->w))
		err_set(&e, RPC_ERR_UNSUPPORTED,
			_("cannot resize the maximum memory on an active domain"));
	else if (!dom->def)
		err_set(&e, RPC_ERR_OPERATION_INVALID,
			_("cannot change the persistent configuration of a transient domain"));
	else if (kib < 1024)
		err_set(&e, RPC_ERR_INVALID_ARGUMENT, _("'kib' must be at least 1024"));
	if (e) {
		finish_sync(dom, call, e);
		return;
	}
	old_max = dom->def->memory_kib;
	old_cur = dom->def->current_memory_kib;
	dom->def->memory_kib = kib;
	if (dom->def->current_memory_kib > kib)
		dom->def->current_memory_kib = kib;
	if (registry_save(dom->d, dom, &e) < 0) {
		dom->def->memory_kib = old_max;
		dom->def->current_memory_kib = old_cur;
	}
	finish_sync(dom, call, e);
}

void memory_stats_period(struct domain *dom, struct call *call)
{
	struct err *e = NULL;
	struct live_op *op;
	uint64_t seconds = 0;
	bool live, config;

	if (rpc_param_uint64(call->params, "seconds", true, INT32_MAX, &seconds, &e) < 0 ||
	    pick_targets(dom, call, &live, &config, &e) < 0) {
		finish_sync(dom, call, e);
		return;
	}
	if (live && !has_balloon(dom->live)) {
		err_set(&e, RPC_ERR_OPERATION_INVALID, _("domain '%s' has no balloon device"),
			dom->name);
		finish_sync(dom, call, e);
		return;
	}
	if (config) {
		int old = dom->def->memballoon.stats_period;

		dom->def->memballoon.stats_period = (int)seconds;
		if (!save_def(dom, call)) {
			dom->def->memballoon.stats_period = old;
			return;
		}
	}
	if (!live) {
		finish_sync(dom, call, NULL);
		return;
	}
	op = live_op_new(dom, call);
	op->period = (int)seconds;
	if (lifecycle_qmp(dom, "qom-set", period_args((int)seconds), period_done, op, &e) < 0)
		live_op_end(op, e);
}

/* ---- dommemstat ---- */

struct stats_op {
	struct domain *dom;
	struct call *call;
	uint64_t actual_kib;
};

/* virsh's names for QEMU's guest-stats, in virsh's order; kib: bytes to KiB; top: a
 * member of the reply itself, not of its "stats". */
static const struct {
	const char *qemu;
	const char *virsh;
	bool kib, top;
} stat_names[] = {
	{ "stat-swap-in", "swap_in", true, false },
	{ "stat-swap-out", "swap_out", true, false },
	{ "stat-major-faults", "major_fault", false, false },
	{ "stat-minor-faults", "minor_fault", false, false },
	{ "stat-free-memory", "unused", true, false },
	{ "stat-total-memory", "available", true, false },
	{ "stat-available-memory", "usable", true, false },
	{ "last-update", "last_update", false, true },
	{ "stat-disk-caches", "disk_caches", true, false },
	{ "stat-htlb-pgalloc", "hugetlb_pgalloc", false, false },
	{ "stat-htlb-pgfail", "hugetlb_pgfail", false, false },
};

static void add_stat(struct json_object *out, struct json_object *stats, const char *qemu,
		     const char *virsh, bool kib)
{
	struct json_object *v;
	int64_t n;

	if (!stats || !json_object_object_get_ex(stats, qemu, &v) ||
	    !json_object_is_type(v, json_type_int))
		return;
	n = json_object_get_int64(v);
	/* QEMU's "the guest did not say" is -1, or 2^64-1 where the field is unsigned
	 * (json-c caps that at INT64_MAX) */
	if (n < 0 || n == INT64_MAX)
		return;
	json_object_object_add(out, virsh, json_object_new_int64(kib ? n / 1024 : n));
}

static void stats_reply(struct stats_op *op, struct json_object *guest)
{
	struct json_object *stats = NULL, *out = json_object_new_object(), *res;
	size_t i;

	if (guest)
		json_object_object_get_ex(guest, "stats", &stats);
	json_object_object_add(out, "actual", json_object_new_int64((int64_t)op->actual_kib));
	for (i = 0; stats && i < ARRAY_SIZE(stat_names); i++)
		add_stat(out, stat_names[i].top ? guest : stats, stat_names[i].qemu,
			 stat_names[i].virsh, stat_names[i].kib);
	if (op->dom->w)
		json_object_object_add(out, "rss",
				       json_object_new_int64((int64_t)proc_rss_kib(op->dom->w->pid)));
	res = json_object_new_object();
	json_object_object_add(res, "stats", out);
	call_reply(op->call, res);
	dom_unref(op->dom);
	free(op);
}

static void on_guest_stats(void *opaque, struct json_object *ret, const struct err *e)
{
	/* no stats yet (period 0, or the guest has not reported): actual and rss only */
	stats_reply(opaque, e ? NULL : ret);
}

static void on_query_balloon(void *opaque, struct json_object *ret, const struct err *e)
{
	struct stats_op *op = opaque;
	struct json_object *v, *args;

	if (!e && json_object_object_get_ex(ret, "actual", &v) && json_object_get_int64(v) > 0)
		op->actual_kib = (uint64_t)json_object_get_int64(v) / 1024;
	if (e || !op->dom->w) {
		stats_reply(op, NULL);
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(BALLOON_PATH));
	json_object_object_add(args, "property", json_object_new_string("guest-stats"));
	if (lifecycle_qmp(op->dom, "qom-get", args, on_guest_stats, op, NULL) < 0)
		stats_reply(op, NULL);
}

void memory_stats(struct domain *dom, struct call *call)
{
	struct stats_op *op;
	const struct vdomain *live = dom->live;

	if (!dom_require_active(dom, call))
		return;
	op = xzalloc(sizeof(*op));
	op->dom = dom_ref(dom);
	op->call = call;
	op->actual_kib = live->current_memory_kib ? live->current_memory_kib : live->memory_kib;
	if (!has_balloon(live) ||
	    lifecycle_qmp(dom, "query-balloon", NULL, on_query_balloon, op, NULL) < 0)
		stats_reply(op, NULL);
}
