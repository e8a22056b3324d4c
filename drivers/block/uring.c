/* The "io_uring" back-end of aio.h (liburing): a ring per context, sized for the
 * queue; a batch of requests is one io_uring_submit(), their completions come back
 * through the same ring. The ring signals an eventfd only while the owner sleeps
 * (IORING_CQ_EVENTFD_DISABLED is cleared in wait_prepare, set again after), so a busy
 * queue pays no eventfd writes and reads.
 *
 * Reads and writes go to the kernel as READV/WRITEV, flushes as FSYNC(DATASYNC).
 * Discard and write-zeroes run synchronously through raw.c (rare, and raw.c knows
 * the fallbacks when a file system cannot punch holes). A short transfer or an
 * EAGAIN/EINTR result is finished synchronously too: rare, and raw.c already loops. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "drivers/block/aio_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#ifdef HAVE_LIBURING
#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct uring {
	struct io_uring ring;
	struct raw_image *img;
	int fd;				/* the image's */
	int efd;
	bool toggle;			/* the kernel can switch the eventfd off */
	struct aio_req *done;		/* finished without the ring (discard, fallbacks) */
};

static void uring_close(void *be)
{
	struct uring *u = be;

	io_uring_queue_exit(&u->ring);
	close(u->efd);
	free(u);
}

static void *uring_open(struct raw_image *img, unsigned depth, struct err **errp)
{
	struct uring *u = xzalloc(sizeof(*u));
	int rc;

	u->img = img;
	u->fd = raw_fd(img);
	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0) {
		err_set_errno(errp, ERR_SYSTEM, errno, _("%s: cannot create an eventfd"),
			      raw_name(img));
		free(u);
		return NULL;
	}
	rc = io_uring_queue_init(depth, &u->ring, 0);
	if (rc < 0) {
		err_set_errno(errp, ERR_UNSUPPORTED, -rc, _("%s: cannot set up io_uring"),
			      raw_name(img));
		close(u->efd);
		free(u);
		return NULL;
	}
	rc = io_uring_register_eventfd(&u->ring, u->efd);
	if (rc < 0) {
		err_set_errno(errp, ERR_UNSUPPORTED, -rc, _("%s: cannot set up io_uring"),
			      raw_name(img));
		uring_close(u);
		return NULL;
	}
	u->toggle = io_uring_cq_eventfd_toggle(&u->ring, false) == 0;
	return u;
}

static void finish_now(struct uring *u, struct aio_req *r)
{
	aio_run_sync(u->img, r);
	r->next = u->done;
	u->done = r;
}

/* Fills an SQE for r (a read, write or flush). */
static void prep(struct io_uring_sqe *sqe, int fd, struct aio_req *r)
{
	switch (r->op) {
	case RAW_OP_READ:
		io_uring_prep_readv(sqe, fd, r->iov, r->iovcnt, r->off);
		break;
	case RAW_OP_WRITE:
		io_uring_prep_writev(sqe, fd, r->iov, r->iovcnt, r->off);
		break;
	case RAW_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	default:
		break;
	}
	io_uring_sqe_set_data(sqe, r);
}

/* Hand the queued SQEs to the kernel; EINTR and a momentarily busy ring are retried
 * (the SQEs stay queued, the next submit takes them otherwise). */
static void submit_ring(struct uring *u)
{
	for (int tries = 0; tries < 100; tries++) {
		int rc = io_uring_submit(&u->ring);

		if (rc >= 0 || (rc != -EINTR && rc != -EAGAIN && rc != -EBUSY))
			return;
	}
}

static void uring_submit(void *be, struct aio_req *const *reqs, unsigned n)
{
	struct uring *u = be;

	for (unsigned i = 0; i < n; i++) {
		struct aio_req *r = reqs[i];
		struct io_uring_sqe *sqe;

		r->error = NULL;
		if (r->op != RAW_OP_READ && r->op != RAW_OP_WRITE && r->op != RAW_OP_FLUSH) {
			finish_now(u, r);
			continue;
		}
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe) {
			submit_ring(u);
			sqe = io_uring_get_sqe(&u->ring);
		}
		if (sqe)
			prep(sqe, u->fd, r);
		else
			finish_now(u, r);
	}
	submit_ring(u);
}

/* r came back with res: finish it (a short transfer, EAGAIN) or record the error. */
static void complete(struct uring *u, struct aio_req *r, int res)
{
	r->error = NULL;
	if (res == -EAGAIN || res == -EINTR) {
		aio_run_sync(u->img, r);
	} else if (res < 0) {
		raw_error(u->img, r->op, r->off, -res, &r->error);
	} else if (r->op != RAW_OP_FLUSH && (uint64_t)res < r->len) {
		/* The rest through raw.c, which loops and zero-fills at end-of-file. */
		struct iovec *rest = xmalloc(r->iovcnt * sizeof(*rest));
		unsigned k = aio_iov_slice(r->iov, r->iovcnt, (uint64_t)res, r->len - (uint64_t)res,
					   rest);

		if (r->op == RAW_OP_READ)
			raw_preadv(u->img, rest, k, r->off + (uint64_t)res, &r->error);
		else
			raw_pwritev(u->img, rest, k, r->off + (uint64_t)res, &r->error);
		free(rest);
	}
}

static struct aio_req *uring_reap(void *be)
{
	struct uring *u = be;
	struct aio_req *d = u->done;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	u->done = NULL;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		struct aio_req *r = io_uring_cqe_get_data(cqe);

		complete(u, r, cqe->res);
		r->next = d;
		d = r;
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return d;
}

static int uring_fd(void *be)
{
	return ((struct uring *)be)->efd;
}

static bool uring_wait_prepare(void *be)
{
	struct uring *u = be;

	if (u->toggle)
		io_uring_cq_eventfd_toggle(&u->ring, true);
	/* After enabling: a completion that raced in is seen here, later ones signal. */
	return u->done || io_uring_cq_ready(&u->ring);
}

static void uring_wait_done(void *be)
{
	struct uring *u = be;

	if (u->toggle)
		io_uring_cq_eventfd_toggle(&u->ring, false);
}

const struct aio_backend_ops aio_uring_ops = {
	.kind = AIO_URING,
	.name = "io_uring",
	.open = uring_open,
	.close = uring_close,
	.submit = uring_submit,
	.reap = uring_reap,
	.fd = uring_fd,
	.wait_prepare = uring_wait_prepare,
	.wait_done = uring_wait_done,
};

#else /* !HAVE_LIBURING */

static void *uring_open(struct raw_image *img, unsigned depth, struct err **errp)
{
	err_set(errp, ERR_UNSUPPORTED, _("%s: vireo-vmm was built without io_uring (liburing)"),
		raw_name(img));
	return NULL;
}

const struct aio_backend_ops aio_uring_ops = {
	.kind = AIO_URING,
	.name = "io_uring",
	.open = uring_open,
};

#endif
