/* virtio-blk's insides, shared by blk.c (requests, config, ops) and blk_queue.c (the
 * per-queue workers). Not for other devices. */
#ifndef VIREO_DRIVERS_VIRTIO_BLK_PRIV_H
#define VIREO_DRIVERS_VIRTIO_BLK_PRIV_H

#include <pthread.h>

#include "drivers/block/aio.h"
#include "drivers/virtio/blk.h"

#define BLK_REQ_INLINE_IOV 4
/* Data iovecs in flight on one queue before it stops taking requests until some
 * complete (a request with more is still taken when nothing is in flight): bounds
 * what a guest's indirect tables can make the worker hold. */
#define BLK_QUEUE_MAX_INFLIGHT_IOV 16384

/* One request between the ring and the back-end. */
struct blk_req {
	struct aio_req aio;
	uint16_t head;			/* for vq_push */
	uint8_t *status;		/* the status byte in guest memory */
	uint8_t result;			/* the status when answered without the back-end */
	uint32_t written;		/* used->len */
	struct iovec *iov;		/* the data part: iov_inline or heap */
	struct iovec iov_inline[BLK_REQ_INLINE_IOV];
	struct blk_req *next_free;
};

struct virtio_blk;

/* A request queue and, when it runs threaded, its worker (blk_queue.c). */
struct blk_queue {
	struct virtio_blk *b;
	unsigned idx;
	int kick_fd;			/* eventfd: KVM ioeventfd, MMIO kicks, wake-ups */
	struct aio_ctx *aio;
	bool threaded;
	pthread_t thread;

	pthread_mutex_t lock;		/* the control state below; in-line: processing */
	pthread_cond_t cond;
	bool paused;			/* the VM is stopped (QMP stop) */
	unsigned holds;			/* device resets in progress */
	bool exit;
	bool parked;			/* worker: nothing in flight, not processing */

	/* Only the processing thread touches these. */
	struct vq_chain chain;
	struct blk_req *reqs;		/* queue_max of them */
	struct blk_req *free_reqs;
	struct aio_req **batch;		/* queue_max */
	unsigned inflight, inflight_iov;
	bool rescan;			/* look at the ring again once requests complete */
};

struct virtio_blk {
	struct vdev vdev;		/* first: container_of by cast */
	struct raw_image *img;
	bool readonly;
	enum aio_kind aio;
	uint64_t capacity;		/* 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];	/* zero-padded, not NUL-terminated when full */
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	bool io_error_logged;		/* host I/O errors: the first at warning level */
	pthread_mutex_t irq_lock;	/* interrupts from several queue threads */
	struct blk_queue *queues;	/* vdev.nqueues of them */
};

/* blk.c: parse the popped chain into r. Returns 1 when r goes to the back-end
 * (r->aio filled), 0 when it is answered already (r->result, r->written), -1 when the
 * chain has no status byte (the device needs a reset; r->written is 0). */
int blk_req_parse(struct virtio_blk *b, const struct vq_chain *c, struct blk_req *r);
/* blk.c: the back-end is done with r: its status byte's value (logs a failure). */
uint8_t blk_req_status(struct virtio_blk *b, struct blk_req *r);
/* blk.c: the guest broke queue qidx: NEEDS_RESET with why. */
void blk_broken(struct virtio_blk *b, unsigned qidx, const char *why);

/* blk_queue.c */
void blk_queue_init(struct virtio_blk *b, unsigned qidx, struct blk_queue *q);
void blk_queue_destroy(struct blk_queue *q);
void blk_queue_kick(struct blk_queue *q);
/* Park the worker (nothing in flight, nothing processing) for a device reset, then
 * let it go again. In-line queues: wait out a round in progress. */
void blk_queue_hold(struct blk_queue *q);
void blk_queue_release(struct blk_queue *q);
/* The VM stops / runs again: in-flight requests complete into the ring first. */
void blk_queue_pause(struct blk_queue *q);
void blk_queue_resume(struct blk_queue *q);

#endif
