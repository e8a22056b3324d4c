/* virtio-blk's request queues: one worker thread per queue.
 *
 * The worker sleeps in poll() on the queue's kick eventfd (which the machine
 * registers as the KVM ioeventfd of the queue's notify address, so a kick wakes it
 * without stopping the vCPU; MMIO kicks and driver_ok write it too) and on its
 * back-end's completion eventfd. Woken by a kick it pops every available chain (with
 * kicks suppressed), submits the I/O as one batch, completes what is done (status
 * byte, used ring, one interrupt if the driver asks for it, EVENT_IDX honoured) and
 * re-enables kicks, looking at the ring once more before it sleeps (no lost kick).
 * In flight per queue: at most the queue size requests and BLK_QUEUE_MAX_INFLIGHT_IOV
 * data iovecs; a full queue is looked at again as requests complete.
 *
 * Control (under q->lock, the worker acknowledges with `parked`): a device reset
 * holds the worker and a paused VM pauses it; either way the worker stops popping,
 * waits for its in-flight requests, completes them into the used ring only while the
 * device is live (DRIVER_OK: after a reset the transport has set status 0, so they
 * are dropped), and parks. Teardown sets `exit` and joins.
 *
 * A queue whose worker cannot start runs in-line instead: the kick is processed in
 * the kicking thread under q->lock with the synchronous back-end, as before workers
 * existed. A back-end that cannot be set up (io_uring refused by the kernel or a
 * sandbox) falls back to threads, then to the worker doing the I/O itself. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/virtio/blk_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

enum queue_state { Q_RUN, Q_PARK, Q_EXIT };

/* DRIVER_OK and not NEEDS_RESET: a device the guest broke takes no more requests
 * until it is reset (virtio 1.x §2.1.2). */
static bool device_live(const struct virtio_blk *b)
{
	uint8_t status = __atomic_load_n(&b->vdev.status, __ATOMIC_ACQUIRE);

	return (status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * Rounds (of up to a queue size of chains each) one run may take. A guest can make its
 * ring refill itself: a used ring on top of its avail ring, or a read buffer over the
 * avail index, turn every completion into a new request. A run that never ended would
 * never park for QMP stop, a reset or exit; after this many rounds it yields and is
 * picked up again (the worker wakes itself) once the controls are looked at.
 */
#define BLK_RUN_MAX_ROUNDS 4


static struct blk_req *req_get(struct blk_queue *q)
{
	struct blk_req *r = q->free_reqs;

	if (r)
		q->free_reqs = r->next_free;
	return r;
}

static void req_put(struct blk_queue *q, struct blk_req *r)
{
	if (r->iov != r->iov_inline)
		free(r->iov);
	r->iov = r->iov_inline;
	r->next_free = q->free_reqs;
	q->free_reqs = r;
}

static void queue_interrupt(struct blk_queue *q)
{
	pthread_mutex_lock(&q->b->irq_lock);
	vdev_notify_queue(&q->b->vdev, q->idx);
	pthread_mutex_unlock(&q->b->irq_lock);
}

/* Take back what the back-end finished; into the used ring while the device is live.
 * Returns true if anything was pushed (the caller decides on the interrupt). */
static bool queue_reap(struct blk_queue *q)
{
	struct virtqueue *vq = &q->b->vdev.vqs[q->idx];
	struct aio_req *d = aio_reap(q->aio);
	bool live = d && device_live(q->b), pushed = false;

	while (d) {
		struct blk_req *r = (struct blk_req *)d;	/* aio is the first member */
		uint8_t status = blk_req_status(q->b, r);

		d = d->next;
		if (live) {
			*r->status = status;
			vq_push(vq, r->head, r->written);
			pushed = true;
		}
		q->inflight--;
		q->inflight_iov -= r->aio.iovcnt;
		req_put(q, r);
	}
	return pushed;
}

static bool queue_full(const struct blk_queue *q, const struct virtqueue *vq)
{
	return q->inflight >= vq->size ||
	       (q->inflight && q->inflight_iov >= BLK_QUEUE_MAX_INFLIGHT_IOV);
}

/* Pop one chain into a request: into the batch, or answered into the used ring.
 * Returns 1 if a chain was taken, 0 if the ring is empty, -1 if it is broken. */
static int queue_take(struct blk_queue *q, struct virtqueue *vq, unsigned *nbatch,
		      bool *pushed)
{
	struct blk_req *r = req_get(q);
	struct err *e = NULL;
	int rc;

	if (!r)
		return 0;	/* cannot happen: queue_full() stops first */
	rc = vq_pop(vq, &q->chain, &e);
	if (rc <= 0) {
		req_put(q, r);
		if (rc < 0) {
			blk_broken(q->b, q->idx, e ? e->message : "?");
			err_free(e);
		}
		return rc;
	}
	rc = blk_req_parse(q->b, &q->chain, r);
	if (rc > 0) {
		q->batch[(*nbatch)++] = &r->aio;
		q->inflight++;
		q->inflight_iov += r->aio.iovcnt;
		return 1;
	}
	if (rc < 0)
		blk_broken(q->b, q->idx, _("a request has no writable status byte"));
	else
		*r->status = r->result;
	vq_push(vq, r->head, r->written);
	*pushed = true;
	req_put(q, r);
	return 1;
}

static void wake(struct blk_queue *q);

/* Stop a run that has gone on long enough, and make sure it is taken up again: the
 * worker wakes itself; in-line, kicks come back on and the guest's next kick does. */
static void yield_run(struct blk_queue *q, struct virtqueue *vq)
{
	if (q->threaded) {
		q->rescan = true;
		wake(q);
		return;
	}
	vq_enable_kicks(vq);
}

/* Process the ring until it is empty (kicks enabled again), full (q->rescan: look
 * again when requests complete) or broken. */
static void queue_run(struct blk_queue *q)
{
	struct virtqueue *vq = &q->b->vdev.vqs[q->idx];

	for (unsigned round = 0;; round++) {
		unsigned popped = 0, nbatch = 0;
		bool pushed = false, full = false;
		int rc = 1;

		if (!device_live(q->b))
			return;
		if (round == BLK_RUN_MAX_ROUNDS) {
			yield_run(q, vq);
			return;
		}

		vq_disable_kicks(vq);
		while (popped < vq->size && !(full = queue_full(q, vq)) &&
		       (rc = queue_take(q, vq, &nbatch, &pushed)) > 0)
			popped++;
		aio_submit(q->aio, q->batch, nbatch);
		pushed |= queue_reap(q);
		if (pushed)
			queue_interrupt(q);
		if (rc < 0 || vq->broken)
			return;
		if (full) {
			if (queue_full(q, vq)) {
				q->rescan = true;
				return;
			}
			continue;
		}
		/* A full round may have left more behind: look again (kicks stay off). */
		if (popped < vq->size && !vq_enable_kicks(vq))
			return;
	}
}

static enum queue_state queue_state(struct blk_queue *q)
{
	enum queue_state s;

	pthread_mutex_lock(&q->lock);
	s = q->exit ? Q_EXIT : q->paused || q->holds ? Q_PARK : Q_RUN;
	pthread_mutex_unlock(&q->lock);
	return s;
}

/* Sleep until a kick, a completion or a control change. Returns true if kicked. */
static bool queue_wait(struct blk_queue *q)
{
	struct pollfd p[2] = { { .fd = q->kick_fd, .events = POLLIN },
			       { .fd = aio_fd(q->aio), .events = POLLIN } };
	int timeout = aio_wait_prepare(q->aio) ? 0 : -1;
	uint64_t v;

	while (poll(p, p[1].fd >= 0 ? 2 : 1, timeout) < 0 && errno == EINTR)
		;
	aio_wait_done(q->aio);
	if (p[1].revents & POLLIN)
		(void)!read(p[1].fd, &v, sizeof(v));
	return (p[0].revents & POLLIN) && read(q->kick_fd, &v, sizeof(v)) == sizeof(v);
}

/* Nothing in flight: tell the controllers, wait until nobody holds or pauses us. */
static void queue_park(struct blk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->parked = true;
	pthread_cond_broadcast(&q->cond);
	while ((q->paused || q->holds) && !q->exit)
		pthread_cond_wait(&q->cond, &q->lock);
	q->parked = false;
	pthread_mutex_unlock(&q->lock);
}

static void *queue_thread(void *arg)
{
	struct blk_queue *q = arg;
	bool look = false;

	for (;;) {
		enum queue_state s = queue_state(q);

		if (s != Q_RUN && q->inflight == 0) {
			if (s == Q_EXIT)
				break;
			queue_park(q);
			look = true;	/* kicks read while parked were not acted on */
			continue;
		}
		if (s == Q_RUN && (look || q->rescan)) {
			look = q->rescan = false;
			queue_run(q);
		}
		look = queue_wait(q) || look;
		if (queue_reap(q))
			queue_interrupt(q);
	}
	return NULL;
}

static void wake(struct blk_queue *q)
{
	uint64_t one = 1;

	/* Fails only when the counter is about to overflow: it is readable then anyway. */
	(void)!write(q->kick_fd, &one, sizeof(one));
}

void blk_queue_kick(struct blk_queue *q)
{
	if (q->threaded) {
		wake(q);
		return;
	}
	pthread_mutex_lock(&q->lock);
	queue_run(q);
	pthread_mutex_unlock(&q->lock);
}

/* With q->lock held: wake the worker and wait until it has parked. */
static void wait_parked(struct blk_queue *q)
{
	wake(q);
	while (!q->parked)
		pthread_cond_wait(&q->cond, &q->lock);
}

void blk_queue_hold(struct blk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->threaded) {
		q->holds++;
		wait_parked(q);
	}
	/* In-line: taking the lock waited out a round in progress. */
	pthread_mutex_unlock(&q->lock);
	q->rescan = false;
}

void blk_queue_release(struct blk_queue *q)
{
	if (!q->threaded)
		return;
	pthread_mutex_lock(&q->lock);
	q->holds--;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void blk_queue_pause(struct blk_queue *q)
{
	if (!q->threaded)
		return;
	pthread_mutex_lock(&q->lock);
	q->paused = true;
	wait_parked(q);
	pthread_mutex_unlock(&q->lock);
}

void blk_queue_resume(struct blk_queue *q)
{
	if (!q->threaded)
		return;
	pthread_mutex_lock(&q->lock);
	q->paused = false;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* The back-end for the device's choice, or the next one down with a log line. */
static struct aio_ctx *open_backend(struct virtio_blk *b, unsigned qidx)
{
	enum aio_kind want = b->aio == AIO_DEFAULT ? aio_default_kind_for(raw_fd(b->img)) : b->aio;
	struct err *e = NULL;
	struct aio_ctx *ctx;

	for (;;) {
		ctx = aio_new(want, b->img, b->vdev.queue_max, &e);
		if (ctx || want == AIO_SYNC)
			return ctx;
		enum aio_kind next = want == AIO_URING ? AIO_THREADS : AIO_SYNC;

		log_warning(b->vdev.log, _("virtio-blk %s: queue %u: %s; using aio=%s instead"),
			    raw_name(b->img), qidx, e->message, aio_kind_name(next));
		err_clear(&e);
		want = next;
	}
}

void blk_queue_init(struct virtio_blk *b, unsigned qidx, struct blk_queue *q)
{
	unsigned qmax = b->vdev.queue_max;
	int rc = 0;

	q->b = b;
	q->idx = qidx;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->reqs = xcalloc(qmax, sizeof(*q->reqs));
	q->batch = xcalloc(qmax, sizeof(*q->batch));
	for (unsigned i = 0; i < qmax; i++) {
		q->reqs[i].iov = q->reqs[i].iov_inline;
		req_put(q, &q->reqs[i]);
	}
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd >= 0) {
		q->aio = open_backend(b, qidx);
		rc = pthread_create(&q->thread, NULL, queue_thread, q);
		q->threaded = rc == 0;
		if (q->threaded) {
			char name[16];

			snprintf(name, sizeof(name), "vireo-blk-q%u", qidx);
			pthread_setname_np(q->thread, name);	/* for top -H and gdb */
		}
	} else {
		rc = errno;
	}
	if (q->threaded)
		return;
	log_warning(b->vdev.log, _("virtio-blk %s: queue %u: cannot start its thread (%s); "
				   "requests run in the kicking thread"),
		    raw_name(b->img), qidx, strerror(rc));
	aio_free(q->aio);
	q->aio = aio_new(AIO_SYNC, b->img, qmax, NULL);
}

void blk_queue_destroy(struct blk_queue *q)
{
	if (q->threaded) {
		pthread_mutex_lock(&q->lock);
		q->exit = true;
		pthread_cond_broadcast(&q->cond);
		wake(q);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
	}
	aio_free(q->aio);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	for (unsigned i = 0; i < q->b->vdev.queue_max; i++)
		if (q->reqs[i].iov != q->reqs[i].iov_inline)
			free(q->reqs[i].iov);
	free(q->reqs);
	free(q->batch);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
}
