/* Asynchronous requests on a raw image: the dispatch to the back-ends and the sync
 * back-end (see aio.h). */
#include "config.h"

#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>

#include "drivers/block/aio_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

struct aio_ctx {
	const struct aio_backend_ops *ops;
	void *be;
	unsigned inflight;
	uint64_t submits, requests;
};

unsigned aio_iov_slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
		       struct iovec *dst)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len > 0; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[k].iov_base = (char *)src[i].iov_base + skip;
		dst[k].iov_len = l - skip < len ? l - skip : (size_t)len;
		len -= dst[k].iov_len;
		skip = 0;
		k++;
	}
	return k;
}

void aio_run_sync(struct raw_image *img, struct aio_req *r)
{
	r->error = NULL;
	switch (r->op) {
	case RAW_OP_READ:
		raw_preadv(img, r->iov, r->iovcnt, r->off, &r->error);
		break;
	case RAW_OP_WRITE:
		raw_pwritev(img, r->iov, r->iovcnt, r->off, &r->error);
		break;
	case RAW_OP_FLUSH:
		raw_flush(img, &r->error);
		break;
	case RAW_OP_DISCARD:
		raw_discard(img, r->off, r->len, &r->error);
		break;
	case RAW_OP_WRITE_ZEROES:
		raw_write_zeroes(img, r->off, r->len, r->may_unmap, &r->error);
		break;
	}
}

/* ---- sync: the request runs in aio_submit ---- */

struct aio_sync {
	struct raw_image *img;
	struct aio_req *done;
};

static void *sync_open(struct raw_image *img, unsigned depth, struct err **errp)
{
	struct aio_sync *s = xzalloc(sizeof(*s));

	s->img = img;
	return s;
}

static void sync_close(void *be)
{
	free(be);
}

static void sync_submit(void *be, struct aio_req *const *reqs, unsigned n)
{
	struct aio_sync *s = be;

	for (unsigned i = 0; i < n; i++) {
		aio_run_sync(s->img, reqs[i]);
		reqs[i]->next = s->done;
		s->done = reqs[i];
	}
}

static struct aio_req *sync_reap(void *be)
{
	struct aio_sync *s = be;
	struct aio_req *d = s->done;

	s->done = NULL;
	return d;
}

static int sync_fd(void *be)
{
	return -1;
}

static bool sync_wait_prepare(void *be)
{
	return ((struct aio_sync *)be)->done != NULL;
}

static const struct aio_backend_ops aio_sync_ops = {
	.kind = AIO_SYNC,
	.name = "sync",
	.open = sync_open,
	.close = sync_close,
	.submit = sync_submit,
	.reap = sync_reap,
	.fd = sync_fd,
	.wait_prepare = sync_wait_prepare,
};

/* ---- dispatch ---- */

static const struct aio_backend_ops *const backends[] = {
	&aio_sync_ops, &aio_uring_ops, &aio_threads_ops,
};

/*
 * For an image on a memory file system (tmpfs, ramfs, hugetlbfs) every request is a
 * memcpy that never waits for a device: doing it in the queue's worker is cheapest.
 * io_uring cannot read tmpfs without blocking, so it hands each read to a kernel worker
 * thread and wakes us when it is done: two thread switches a request for nothing to
 * overlap (docs/benchmarks.md: sync beat io_uring on every tmpfs row). Other files keep
 * the build's default.
 */
enum aio_kind aio_default_kind_for(int fd)
{
	struct statfs sfs;

	if (fd >= 0 && fstatfs(fd, &sfs) == 0 &&
	    (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC ||
	     sfs.f_type == HUGETLBFS_MAGIC))
		return AIO_SYNC;
	return aio_default_kind();
}

/* io_uring when the build has liburing: it measured better (docs/benchmarks.md). */
enum aio_kind aio_default_kind(void)
{
#ifdef HAVE_LIBURING
	return AIO_URING;
#else
	return AIO_THREADS;
#endif
}

const char *aio_kind_name(enum aio_kind kind)
{
	if (kind == AIO_DEFAULT)
		kind = aio_default_kind();
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->kind == kind)
			return backends[i]->name;
	return "?";
}

int aio_kind_parse(const char *s, enum aio_kind *kind, struct err **errp)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (streq(s, backends[i]->name)) {
			*kind = backends[i]->kind;
			return 0;
		}
	}
	return err_set(errp, ERR_UNSUPPORTED, _("aio=%s (vireo-vmm has threads, io_uring and sync)"),
		       s);
}

struct aio_ctx *aio_new(enum aio_kind kind, struct raw_image *img, unsigned depth,
			struct err **errp)
{
	const struct aio_backend_ops *ops = NULL;
	struct aio_ctx *ctx;
	void *be;

	if (kind == AIO_DEFAULT)
		kind = aio_default_kind();
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->kind == kind)
			ops = backends[i];
	if (!ops)
		return err_set(errp, ERR_INTERNAL, "aio: no back-end %d", (int)kind), NULL;
	be = ops->open(img, depth ? depth : 1, errp);
	if (!be)
		return NULL;
	ctx = xzalloc(sizeof(*ctx));
	ctx->ops = ops;
	ctx->be = be;
	return ctx;
}

void aio_free(struct aio_ctx *ctx)
{
	if (!ctx)
		return;
	ctx->ops->close(ctx->be);
	free(ctx);
}

enum aio_kind aio_kind(const struct aio_ctx *ctx)
{
	return ctx->ops->kind;
}

void aio_submit(struct aio_ctx *ctx, struct aio_req *const *reqs, unsigned n)
{
	if (!n)
		return;
	ctx->inflight += n;
	ctx->submits++;
	ctx->requests += n;
	ctx->ops->submit(ctx->be, reqs, n);
}

struct aio_req *aio_reap(struct aio_ctx *ctx)
{
	struct aio_req *d = ctx->ops->reap(ctx->be);

	for (struct aio_req *r = d; r; r = r->next)
		ctx->inflight--;
	return d;
}

unsigned aio_inflight(const struct aio_ctx *ctx)
{
	return ctx->inflight;
}

int aio_fd(const struct aio_ctx *ctx)
{
	return ctx->ops->fd(ctx->be);
}

bool aio_wait_prepare(struct aio_ctx *ctx)
{
	return ctx->ops->wait_prepare(ctx->be);
}

void aio_wait_done(struct aio_ctx *ctx)
{
	if (ctx->ops->wait_done)
		ctx->ops->wait_done(ctx->be);
}

void aio_stats(const struct aio_ctx *ctx, uint64_t *submits, uint64_t *requests)
{
	*submits = ctx->submits;
	*requests = ctx->requests;
}
