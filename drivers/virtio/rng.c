/* virtio-rng: see rng.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "drivers/virtio/rng.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct virtio_rng {
	struct vdev vdev;		/* first: container_of by cast */
	pthread_mutex_t lock;		/* the queue and chain */
	struct vq_chain chain;
};

static struct virtio_rng *to_rng(struct vdev *vdev)
{
	return (struct virtio_rng *)vdev;
}

static uint64_t rng_features(struct vdev *vdev)
{
	return 0;
}

static bool rng_set_features(struct vdev *vdev, uint64_t features)
{
	return true;
}

static void rng_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
}

static void rng_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
}

/* Fill up to `max` bytes of the writable buffers. Returns the bytes written (short
 * only if getrandom fails, e.g. the pool is not initialised and it would block). */
static uint32_t rng_fill(const struct vq_chain *c, uint32_t max)
{
	uint32_t done = 0;

	for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < max; i++) {
		char *p = c->iov[i].iov_base;
		size_t want = c->iov[i].iov_len < max - done ? c->iov[i].iov_len : max - done;
		size_t got = 0;

		while (got < want) {
			ssize_t r = getrandom(p + got, want - got, GRND_NONBLOCK);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return done + (uint32_t)got;
			got += (size_t)r;
		}
		done += (uint32_t)got;
	}
	return done;
}

/* One ring's worth of requests. Returns the number completed, -1 if the ring broke. */
static int rng_round(struct vdev *vdev, unsigned qidx)
{
	struct virtio_rng *g = to_rng(vdev);
	struct virtqueue *vq = &vdev->vqs[qidx];
	int done = 0;

	while (done < vq->size) {
		struct err *e = NULL;
		int r = vq_pop(vq, &g->chain, &e);

		if (r == 0)
			break;
		if (r < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), _("queue %u: %s"), 0u, e ? e->message : "?");
			vdev_set_needs_reset(&g->vdev, msg);
			err_free(e);
			return done ? done : -1;
		}
		vq_push(vq, g->chain.head, rng_fill(&g->chain, VIRTIO_RNG_MAX_REQUEST));
		done++;
	}
	return done;
}

static void rng_queue_notify(struct vdev *vdev, unsigned qidx)
{
	struct virtio_rng *g = to_rng(vdev);

	if (qidx != 0)
		return;
	pthread_mutex_lock(&g->lock);
	vdev_queue_run(vdev, 0, rng_round);
	pthread_mutex_unlock(&g->lock);
}

/* Kicks before DRIVER_OK are dropped by the transport: look at the ring once. */
static void rng_driver_ok(struct vdev *vdev)
{
	rng_queue_notify(vdev, 0);
}

static void rng_reset(struct vdev *vdev)
{
	struct virtio_rng *g = to_rng(vdev);

	pthread_mutex_lock(&g->lock);	/* waits out a request in progress */
	pthread_mutex_unlock(&g->lock);
}

static const struct vdev_ops virtio_rng_ops = {
	.name = "virtio-rng-pci",
	.device_id = VIRTIO_ID_RNG,
	.features = rng_features,
	.set_features = rng_set_features,
	.config_read = rng_config_read,
	.config_write = rng_config_write,
	.queue_notify = rng_queue_notify,
	.driver_ok = rng_driver_ok,
	.reset = rng_reset,
};

struct vdev *virtio_rng_new(const struct gmem *mem, const struct logger *log,
			    struct err **errp)
{
	struct virtio_rng *g = xzalloc(sizeof(*g));

	vdev_init(&g->vdev, &virtio_rng_ops, mem, log, 1, VIRTIO_RNG_QUEUE_SIZE, 0);
	pthread_mutex_init(&g->lock, NULL);
	return &g->vdev;
}

void virtio_rng_free(struct vdev *vdev)
{
	struct virtio_rng *g;

	if (!vdev)
		return;
	g = to_rng(vdev);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&vdev->lock);
	free(g);
}
