/* The per-domain job lock: see job.h. */
#include "config.h"

#include <stdlib.h>

#include "daemon/job.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct job_waiter {
	struct domain *dom;
	const char *name;
	struct call *call;
	job_fn fn;
	struct ev_source *timer;
	struct job_waiter *next;
};

static void run(struct domain *dom, const char *name, struct call *call, job_fn fn)
{
	dom->job_busy = true;
	dom->job_name = name;
	fn(dom, call);
}

static void unlink_waiter(struct domain *dom, struct job_waiter *w)
{
	struct job_waiter **pp;

	for (pp = &dom->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

static void on_wait_timeout(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct job_waiter *w = data;
	struct domain *dom = w->dom;

	unlink_waiter(dom, w);
	evloop_remove(w->timer);
	if (w->call)
		/* libvirt's words (virsh users grep for them), naming the job that holds. */
		call_failf(w->call, RPC_ERR_BUSY,
			   _("Timed out during operation: cannot acquire state change lock (held by %s)"),
			   dom->job_name ? dom->job_name : "?");
	free(w);
	dom_unref(dom);
}

void job_submit(struct domain *dom, const char *name, struct call *call, job_fn fn)
{
	struct job_waiter *w, **pp;

	if (!dom->job_busy) {
		run(dom, name, call, fn);
		return;
	}
	w = xzalloc(sizeof(*w));
	w->dom = dom_ref(dom);
	w->name = name;
	w->call = call;
	w->fn = fn;
	w->timer = evloop_add_timer(dom->d->loop, JOB_WAIT_MS, 0, on_wait_timeout, w, NULL);
	for (pp = &dom->waiters; *pp; pp = &(*pp)->next)
		;
	*pp = w;
}

void job_end(struct domain *dom)
{
	struct job_waiter *w = dom->waiters;

	dom->job_busy = false;
	dom->job_name = NULL;
	if (!w)
		return;
	dom->waiters = w->next;
	evloop_remove(w->timer);
	run(dom, w->name, w->call, w->fn);
	dom_unref(w->dom);
	free(w);
}

void job_cancel_all(struct domain *dom)
{
	struct job_waiter *w;

	while ((w = dom->waiters)) {
		dom->waiters = w->next;
		evloop_remove(w->timer);
		if (w->call)
			call_failf(w->call, RPC_ERR_OPERATION_FAILED, _("the daemon is stopping"));
		dom_unref(w->dom);
		free(w);
	}
}
