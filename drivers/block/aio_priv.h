/* The back-end interface behind aio.h (for aio.c, uring.c, pool.c only). */
#ifndef VIREO_DRIVERS_BLOCK_AIO_PRIV_H
#define VIREO_DRIVERS_BLOCK_AIO_PRIV_H

#include "drivers/block/aio.h"

struct aio_backend_ops {
	enum aio_kind kind;
	const char *name;
	/* The back-end's state for img, or NULL with *errp. */
	void *(*open)(struct raw_image *img, unsigned depth, struct err **errp);
	void (*close)(void *be);
	void (*submit)(void *be, struct aio_req *const *reqs, unsigned n);
	struct aio_req *(*reap)(void *be);
	int (*fd)(void *be);
	bool (*wait_prepare)(void *be);
	void (*wait_done)(void *be);	/* may be NULL */
};

extern const struct aio_backend_ops aio_uring_ops;	/* uring.c (NULL open without liburing) */
extern const struct aio_backend_ops aio_threads_ops;	/* pool.c */

#endif
