/* libFuzzer target: virtio-blk request parsing and execution against hostile rings.
 *
 * The input is guest memory, as in fuzz-virtqueue.c: the first 16 bytes pick the queue
 * size, the ring addresses, the negotiated ring features and whether the disk is
 * read-only; the rest fills a 2 MiB guest RAM at 0 (a guard page after it). A virtio-blk
 * device on a 256 KiB raw image (a memfd) then runs the queue once, in-line in this
 * thread with the synchronous back-end, so every request the guest wrote is parsed
 * (header, sector, data segments, discard/write-zeroes ranges, GET_ID) and executed
 * against the image. Whatever the guest wrote, the device must stay inside guest RAM
 * and the image, end, and either answer every request or mark itself NEEDS_RESET.
 *
 * The queue worker thread is stopped right after the device is made, which is the
 * device's own fallback when a worker cannot start: the run is then deterministic. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/block/raw.h"
#include "drivers/virtio/blk_priv.h"
#include "drivers/virtio/queue.h"
#include "qemu-wrap/gmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (2u << 20)
#define IMAGE (256u << 10)

static void no_notify_queue(struct vdev *vdev, unsigned qidx)
{
	(void)vdev;
	(void)qidx;
}

static void no_notify_config(struct vdev *vdev)
{
	(void)vdev;
}

/* The worker of queue 0 exits and the queue runs in-line from here on. */
static void run_inline(struct blk_queue *q)
{
	if (!q->threaded)
		return;
	pthread_mutex_lock(&q->lock);
	q->exit = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	blk_queue_kick(q);
	pthread_join(q->thread, NULL);
	q->exit = false;
	q->threaded = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gmem mem;
	static struct logger log = { .level = VLOG_ERROR };
	static struct vdev_transport_ops tops = {
		.notify_queue = no_notify_queue, .notify_config = no_notify_config,
	};
	static char image_path[64];
	static bool ready;
	struct virtio_blk_opts o = { .num_queues = 1, .aio = AIO_SYNC };
	struct err *e = NULL;
	struct virtqueue *vq;
	struct vdev *dev;
	uint16_t hdr[8];

	if (!ready) {
		int fd = memfd_create("fuzz-blk-image", 0);

		if (gmem_init(&mem, RAM + 4096, NULL) < 0 || fd < 0 || ftruncate(fd, IMAGE) < 0)
			abort();
		/* A guard page right after guest RAM: any stray access past it faults. */
		mprotect(mem.base + RAM, 4096, PROT_NONE);
		mem.slots[0].size = RAM;
		mem.size = RAM;
		snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", fd);
		log.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);	/* NEEDS_RESET lines */
		ready = true;
	}
	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	memset(mem.base, 0, RAM);
	memcpy(mem.base, data + sizeof(hdr), size - sizeof(hdr) < RAM ? size - sizeof(hdr) : RAM);

	o.readonly = hdr[4] & 4;
	o.queue_size = 4u << (hdr[0] % 9);		/* 4 .. 1024 */
	snprintf(o.serial, sizeof(o.serial), "FUZZ-SERIAL-0123456789");
	o.img = raw_open(image_path, o.readonly, &e);
	if (!o.img)
		abort();
	dev = virtio_blk_new(&o, &mem, &log, &e);
	if (!dev)
		abort();
	run_inline(&((struct virtio_blk *)dev)->queues[0]);
	dev->transport = &tops;
	dev->driver_features = dev->ops->features(dev) | 1ULL << VIRTIO_F_VERSION_1;
	vq = &dev->vqs[0];
	vq->mem = &mem;
	vq->size = (uint16_t)o.queue_size;
	vq->desc_gpa = (uint64_t)hdr[1] << 4;
	vq->avail_gpa = (uint64_t)hdr[2] << 4;
	vq->used_gpa = (uint64_t)hdr[3] << 4;
	vq->indirect = hdr[4] & 1;
	vq->event_idx = hdr[4] & 2;
	vq->last_avail = hdr[5];
	vq->used_idx = hdr[6];
	/* The transport refuses to enable a queue whose rings are not in guest RAM. */
	if (vq_check_rings(vq, NULL) == 0) {
		vq->ready = true;
		__atomic_store_n(&dev->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
				 __ATOMIC_RELEASE);
		dev->ops->queue_notify(dev, 0);
	}
	virtio_blk_free(dev);
	err_free(e);
	return 0;
}
