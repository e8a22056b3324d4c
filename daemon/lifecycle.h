/* Running domains: the worker process (worker.c), starting and stopping
 * (lifecycle.c), QMP events and the on_poweroff/on_reboot/on_crash actions
 * (events.c), the lifecycle methods (control.c), re-attach and autostart at daemon
 * start (reattach.c). */
#ifndef VIREO_DAEMON_LIFECYCLE_H
#define VIREO_DAEMON_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "daemon/domain.h"
#include "lib/qmp/client.h"

/* The fd number the worker finds its listening QMP socket at. */
#define WORKER_QMP_FD 3
/* How long a start may take from spawn to `cont`. */
#define START_TIMEOUT_MS 30000
/* SIGTERM, then SIGKILL after this long (destroy). */
#define KILL_GRACE_MS 3000
/* destroy --graceful gives up after this long. */
#define GRACEFUL_TIMEOUT_MS 10000

/* ---- worker.c ---- */

/* Spawn dom->live's worker paused (-S), its QMP socket listening at
 * <run>/domains/NAME/qmp.sock, stdout/stderr into the domain's log; fills dom->w and
 * connects QMP (ops: lifecycle_qmp_ops). *log_offset: where this start's log begins. */
int worker_spawn(struct domain *dom, off_t *log_offset, struct err **errp);
/* Watch and talk to a worker a previous daemon started. */
int worker_attach(struct domain *dom, pid_t pid, uint64_t start_time, struct err **errp);
/* Connect (again) to the worker's QMP socket. */
int worker_connect_qmp(struct domain *dom, struct err **errp);
/* Signal the worker (through its pidfd when there is one: no pid-reuse race). */
void worker_signal(struct domain *dom, int sig);
/* SIGTERM now and SIGKILL after KILL_GRACE_MS (force: SIGKILL now). The exit is
 * handled when it comes (lifecycle_worker_exited). */
void worker_kill(struct domain *dom, bool force);
/* Release the worker's watches, QMP and console (the process is gone or ours no more). */
void worker_free(struct domain *dom);

/* ---- lifecycle.c ---- */

extern const struct qmp_client_ops lifecycle_qmp_ops;

/* Job: start a defined domain (call may be NULL: autostart, restart). */
void lifecycle_start(struct domain *dom, struct call *call);
/* The worker exited: clean up, set the state, tell the waiters and clients.
 * clean_exit: it exited with status 0. */
void lifecycle_worker_exited(struct domain *dom, bool clean_exit);
/* QMP of a starting worker is ready: configure it and let the guest run. */
void lifecycle_start_ready(struct domain *dom);
/* Set state and reason of a running domain and save its status file. */
void lifecycle_set_state(struct domain *dom, enum dom_state st, const char *reason);
/* Send a QMP command to dom's worker; fails (operation-failed) when there is no QMP
 * connection. */
int lifecycle_qmp(struct domain *dom, const char *cmd, struct json_object *args,
		  qmp_reply_fn fn, void *opaque, struct err **errp);

/* True if dom runs; else fails call with operation-invalid "domain 'x' is not
 * running". */
bool dom_require_active(struct domain *dom, struct call *call);

/* Call fn once when dom's worker has exited (or at once if it is not running). */
void dom_on_stop(struct domain *dom, void (*fn)(struct domain *, void *), void *opaque);
/* Forget a dom_on_stop registration (its fn will not run). */
void dom_cancel_on_stop(struct domain *dom, void *opaque);

/* ---- events.c ---- */

void lifecycle_on_ready(struct domain *dom);
void lifecycle_on_event(struct domain *dom, const char *name, struct json_object *data);

/* ---- reattach.c ---- */

/* Find the workers a previous daemon left running and take them over; clean up the
 * runtime dirs of dead ones (their domains show shut off, reason crashed). A worker
 * whose start had not finished is killed (shut off, reason failed). */
void reattach_all(struct daemon *d);
/* Start the autostart domains, once per boot (<run>/autostarted marks it done). */
void autostart_all(struct daemon *d);

/* ---- control.c: the lifecycle methods (job functions and plain handlers) ---- */

void control_start(struct domain *dom, struct call *call);
void control_shutdown(struct domain *dom, struct call *call);
void control_reboot(struct domain *dom, struct call *call);
void control_reset(struct domain *dom, struct call *call);
void control_suspend(struct domain *dom, struct call *call);
void control_resume(struct domain *dom, struct call *call);
void control_destroy(struct domain *dom, struct call *call);	/* no job lock */

/* ---- memory.c ---- */

void memory_setmem(struct domain *dom, struct call *call);
void memory_setmaxmem(struct domain *dom, struct call *call);
void memory_stats_period(struct domain *dom, struct call *call);
void memory_stats(struct domain *dom, struct call *call);	/* no job lock */
/* Apply currentMemory and the stats period to a worker about to run; then done(dom,
 * ok). Failures are logged, not fatal (the guest runs without a balloon target). */
void memory_apply_at_start(struct domain *dom, void (*done)(struct domain *dom));

#endif
