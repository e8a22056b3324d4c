/* Asynchronous requests on a raw image (drivers/block/raw.h), one context per device
 * queue. Knows nothing of virtio.
 *
 * A context belongs to one thread (a virtio-blk queue's worker): that thread submits
 * requests in batches, waits on aio_fd() next to its other fds, and reaps the
 * completed requests. Back-ends:
 *
 *   io_uring   (uring.c)  the whole batch is one io_uring_enter(); completions land in
 *                         the same ring and are signalled through an eventfd
 *   threads    (pool.c)   a small pool of threads runs preadv/pwritev/fdatasync/
 *                         fallocate and hands the requests back through an eventfd
 *   sync       (aio.c)    the request runs inside aio_submit (no fd): the fallback
 *                         when neither of the others can be set up, and for callers
 *                         that must finish a request before they return
 *
 * Every back-end carries out a request with raw.c's semantics: the range was
 * checked by the caller, short transfers are completed, a read past end-of-file
 * reads zeros, discard is advisory, write-zeroes falls back to writing zeros. */
#ifndef VIREO_DRIVERS_BLOCK_AIO_H
#define VIREO_DRIVERS_BLOCK_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "drivers/block/raw.h"
#include "lib/util/err.h"

enum aio_kind {
	AIO_DEFAULT,		/* the build's choice: see aio_default_kind() */
	AIO_SYNC,
	AIO_URING,
	AIO_THREADS,
};

struct aio_req {
	enum raw_op op;
	bool may_unmap;			/* RAW_OP_WRITE_ZEROES: a hole is fine */
	const struct iovec *iov;	/* RAW_OP_READ / WRITE; the caller's until reaped */
	unsigned iovcnt;
	uint64_t off, len;		/* bytes */
	struct err *error;		/* when reaped: NULL or what failed (the caller's) */
	struct aio_req *next;		/* the back-end's link while it holds the request */
};

struct aio_ctx;

/* A context for `img` with room for `depth` requests in flight. The back-end for
 * AIO_DEFAULT is aio_default_kind(). Returns NULL with *errp when that back-end
 * cannot be set up (no io_uring in this kernel or sandbox, no threads): the caller
 * then falls back to another kind (AIO_SYNC always works). */
struct aio_ctx *aio_new(enum aio_kind kind, struct raw_image *img, unsigned depth,
			struct err **errp);

/* Free the context; nothing may be in flight (reap until aio_inflight is 0). NULL
 * is fine. */
void aio_free(struct aio_ctx *ctx);

enum aio_kind aio_kind(const struct aio_ctx *ctx);
const char *aio_kind_name(enum aio_kind kind);	/* "io_uring", "threads", "sync" */
/* What AIO_DEFAULT means in this build. */
enum aio_kind aio_default_kind(void);
/* The default for an image whose fd is fd: AIO_SYNC on a memory file system (tmpfs,
 * ramfs, hugetlbfs), else aio_default_kind(). */
enum aio_kind aio_default_kind_for(int fd);
/* QEMU's -drive aio= values: "threads", "io_uring" (and "sync", ours). Returns 0 with
 * *kind, or -1 with *errp naming the value. */
int aio_kind_parse(const char *s, enum aio_kind *kind, struct err **errp);

/* Start n requests. With AIO_SYNC they are complete when this returns. */
void aio_submit(struct aio_ctx *ctx, struct aio_req *const *reqs, unsigned n);

/* The completed requests (a list through ->next, any order), or NULL. Never blocks. */
struct aio_req *aio_reap(struct aio_ctx *ctx);

/* Requests submitted and not yet reaped. */
unsigned aio_inflight(const struct aio_ctx *ctx);

/* An eventfd that becomes readable when requests complete, or -1 (AIO_SYNC). The
 * owner reads it empty after poll says so. */
int aio_fd(const struct aio_ctx *ctx);

/* Call before sleeping on aio_fd (arms the completion signal): true if completions
 * are waiting already (do not sleep). aio_wait_done() after the sleep. */
bool aio_wait_prepare(struct aio_ctx *ctx);
void aio_wait_done(struct aio_ctx *ctx);

/* How many aio_submit calls and requests so far (tests, debug logs). */
void aio_stats(const struct aio_ctx *ctx, uint64_t *submits, uint64_t *requests);

/* Copy the iovecs covering bytes [skip, skip+len) of src[0..n) into dst (room for n).
 * Returns the number of dst entries. */
unsigned aio_iov_slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
		       struct iovec *dst);

/* Carry out one request now, in the calling thread; fills req->error. */
void aio_run_sync(struct raw_image *img, struct aio_req *req);

#endif
