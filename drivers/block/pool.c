/* The "threads" back-end of aio.h: a few threads per context run each request with
 * raw.c's synchronous calls (preadv/pwritev/fdatasync/fallocate), as QEMU's
 * aio=threads does, and hand it back on a list, waking the owner through an eventfd
 * when the list stops being empty. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/block/aio_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define POOL_MAX_THREADS 4

struct pool {
	struct raw_image *img;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct aio_req *todo, **todo_tail;	/* FIFO: requests run in submission order */
	struct aio_req *done;
	bool quit;
	unsigned nthreads;
	pthread_t threads[POOL_MAX_THREADS];
};

static void *pool_thread(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct aio_req *r;
		bool wake;

		while (!p->todo && !p->quit)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->todo)
			break;
		r = p->todo;
		p->todo = r->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->lock);
		aio_run_sync(p->img, r);
		pthread_mutex_lock(&p->lock);
		wake = !p->done;
		r->next = p->done;
		p->done = r;
		if (wake) {
			uint64_t one = 1;

			/* Cannot fail short of a bug: the counter is drained by the owner. */
			(void)!write(p->efd, &one, sizeof(one));
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pool_close(void *be)
{
	struct pool *p = be;

	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	close(p->efd);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void *pool_open(struct raw_image *img, unsigned depth, struct err **errp)
{
	struct pool *p = xzalloc(sizeof(*p));
	unsigned want = depth < POOL_MAX_THREADS ? depth : POOL_MAX_THREADS;
	int rc = 0;

	p->img = img;
	p->todo_tail = &p->todo;
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		err_set_errno(errp, ERR_SYSTEM, errno, _("%s: cannot create an eventfd"),
			      raw_name(img));
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	while (p->nthreads < want &&
	       (rc = pthread_create(&p->threads[p->nthreads], NULL, pool_thread, p)) == 0)
		p->nthreads++;
	if (p->nthreads == 0) {
		err_set_errno(errp, ERR_SYSTEM, rc, _("%s: cannot start an I/O thread"),
			      raw_name(img));
		pool_close(p);
		return NULL;
	}
	return p;
}

static void pool_submit(void *be, struct aio_req *const *reqs, unsigned n)
{
	struct pool *p = be;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < n; i++) {
		reqs[i]->next = NULL;
		*p->todo_tail = reqs[i];
		p->todo_tail = &reqs[i]->next;
	}
	if (n > 1)
		pthread_cond_broadcast(&p->work);
	else
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

static struct aio_req *pool_reap(void *be)
{
	struct pool *p = be;
	struct aio_req *d;

	pthread_mutex_lock(&p->lock);
	d = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->lock);
	return d;
}

static int pool_fd(void *be)
{
	return ((struct pool *)be)->efd;
}

static bool pool_wait_prepare(void *be)
{
	struct pool *p = be;
	bool ready;

	pthread_mutex_lock(&p->lock);
	ready = p->done != NULL;
	pthread_mutex_unlock(&p->lock);
	return ready;
}

const struct aio_backend_ops aio_threads_ops = {
	.kind = AIO_THREADS,
	.name = "threads",
	.open = pool_open,
	.close = pool_close,
	.submit = pool_submit,
	.reap = pool_reap,
	.fd = pool_fd,
	.wait_prepare = pool_wait_prepare,
};
