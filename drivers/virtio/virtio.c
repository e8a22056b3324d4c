/* The transport-independent part of a virtio device (see virtio.h). */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "drivers/virtio/vdev_priv.h"
#include "drivers/virtio/virtio.h"
#include "lib/util/i18n.h"

/* vdev->name stays empty: the transport names the device ("virtio-blk-pci (00:04.0)"). */
void vdev_init(struct vdev *vdev, const struct vdev_ops *ops, const struct gmem *mem,
	       const struct logger *log, unsigned nqueues, uint16_t queue_max,
	       uint32_t config_size)
{
	/* Programming errors in the device, not guest input. */
	assert(nqueues <= VDEV_MAX_QUEUES);
	assert(queue_max != 0 && queue_max <= VQ_MAX_SIZE && !(queue_max & (queue_max - 1)));

	memset(vdev, 0, sizeof(*vdev));
	vdev->ops = ops;
	vdev->mem = mem;
	vdev->log = log;
	vdev->nqueues = nqueues;
	vdev->queue_max = queue_max;
	vdev->config_size = config_size;
	pthread_mutex_init(&vdev->lock, NULL);
	for (unsigned i = 0; i < VDEV_MAX_QUEUES; i++) {
		vdev->vqs[i].mem = mem;
		vdev->vqs[i].size = queue_max;
	}
}

static const char *vdev_display_name(const struct vdev *vdev)
{
	if (vdev->name[0])
		return vdev->name;
	return vdev->ops && vdev->ops->name ? vdev->ops->name : "virtio";
}

/* Takes vdev->lock: call it without holding the lock. The config interrupt is sent
 * once, when the bit is first set after DRIVER_OK (§2.1.2, §4.1.5.2). */
void vdev_set_needs_reset(struct vdev *vdev, const char *why)
{
	uint8_t old;
	bool notify;

	pthread_mutex_lock(&vdev->lock);
	/* Atomic: the transport reads status without vdev->lock (a kick checking
	 * DRIVER_OK). */
	old = __atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
	notify = !(old & VIRTIO_STATUS_NEEDS_RESET) && (old & VIRTIO_STATUS_DRIVER_OK);
	if (!vdev->needs_reset_logged) {
		vdev->needs_reset_logged = true;
		log_warning(vdev->log, _("%s: %s; the device needs a reset by the guest driver"),
			    vdev_display_name(vdev), why ? why : "?");
	}
	pthread_mutex_unlock(&vdev->lock);
	/* Outside the lock: the transport may take it to bump config_generation. */
	if (notify && vdev->transport && vdev->transport->notify_config)
		vdev->transport->notify_config(vdev);
}

void vdev_reset_common(struct vdev *vdev)
{
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);
	vdev->driver_features = 0;
	vdev->needs_reset_logged = false;
	for (unsigned i = 0; i < VDEV_MAX_QUEUES; i++) {
		vq_reset(&vdev->vqs[i]);
		vdev->vqs[i].mem = vdev->mem;
		vdev->vqs[i].size = vdev->queue_max;
	}
}

void vdev_queue_run(struct vdev *vdev, unsigned qidx,
		    int (*round)(struct vdev *vdev, unsigned qidx))
{
	struct virtqueue *vq = &vdev->vqs[qidx];

	for (unsigned r = 0; r < VDEV_RUN_MAX_ROUNDS; r++) {
		int n;

		vq_disable_kicks(vq);
		n = round(vdev, qidx);
		if (n > 0)
			vdev_notify_queue(vdev, qidx);
		if (n < 0 || vq->broken)
			return;
		/* A full round may have left more behind: look again with kicks off. */
		if (n < vq->size && !vq_enable_kicks(vq))
			return;
	}
	vq_enable_kicks(vq);
}

void vdev_notify_queue(struct vdev *vdev, unsigned qidx)
{
	if (qidx >= vdev->nqueues)
		return;
	if (!vq_should_notify(&vdev->vqs[qidx]))
		return;
	if (vdev->transport && vdev->transport->notify_queue)
		vdev->transport->notify_queue(vdev, qidx);
}
