/* The per-domain job lock: one multi-step operation at a time per domain.
 *
 * start, shutdown, suspend, setmem ... each run as a job. A job submitted while
 * another holds the domain waits, in order, up to JOB_WAIT_MS; past that its call
 * fails with "busy" naming the running job. destroy does not take the lock: it must
 * be able to end a domain whose job hangs. */
#ifndef VIREO_DAEMON_JOB_H
#define VIREO_DAEMON_JOB_H

#include "daemon/domain.h"

#define JOB_WAIT_MS 30000

/* Runs with the lock held; must call job_end(dom) when the operation is over (and
 * answer call, which may be NULL for jobs the daemon starts itself). */
typedef void (*job_fn)(struct domain *dom, struct call *call);

/* Run fn now if dom's lock is free, else queue it. name: the method, for messages. */
void job_submit(struct domain *dom, const char *name, struct call *call, job_fn fn);
/* Release the lock and run the next queued job. */
void job_end(struct domain *dom);
/* Fail every queued job (daemon exit). */
void job_cancel_all(struct domain *dom);

#endif
