/* A virtio device, independent of its transport (drivers/virtio/pci.c provides the
 * modern virtio-pci transport, VERSION_1 only).
 *
 * A device is an ops table plus its own state struct that embeds `struct vdev`
 * (kvmtool/bhyve style): the transport handles feature negotiation, device status,
 * queue setup and interrupts; the device supplies its feature bits, its config space,
 * and what happens when the driver kicks a queue. Nothing here exits the process: a
 * device that meets a broken ring calls vdev_set_needs_reset() and carries on. */
#ifndef VIREO_DRIVERS_VIRTIO_VIRTIO_H
#define VIREO_DRIVERS_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/queue.h"
#include "lib/util/err.h"
#include "lib/util/log.h"
#include "qemu-wrap/gmem.h"

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Transport-independent feature bits (§6). */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33

/* Device ids (§5). */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4
#define VIRTIO_ID_BALLOON	5

#define VDEV_MAX_QUEUES 64

struct vdev;

struct vdev_ops {
	const char *name;		/* QEMU -device name, e.g. "virtio-blk-pci" */
	uint16_t device_id;		/* VIRTIO_ID_* */
	/* Feature bits the device offers (the transport adds VERSION_1 and the ring
	 * features). */
	uint64_t (*features)(struct vdev *vdev);
	/* The driver accepted these features (FEATURES_OK); false refuses them. */
	bool (*set_features)(struct vdev *vdev, uint64_t features);
	/* Device-specific config space: [off, off+len) was checked against config_size. */
	void (*config_read)(struct vdev *vdev, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len);
	/* The driver kicked queue qidx (from a vCPU thread or the I/O thread). */
	void (*queue_notify)(struct vdev *vdev, unsigned qidx);
	/* DRIVER_OK was set: queues are live. Optional. */
	void (*driver_ok)(struct vdev *vdev);
	/* The driver (or system_reset) reset the device: drop in-flight work. */
	void (*reset)(struct vdev *vdev);
	/* What the transport's queue_irqfd() answers for qidx may have changed (its
	 * MSI-X vector was masked, unmasked or re-routed): a back-end in the kernel that
	 * signals it directly is switched over (vhost's call fd). From a vCPU thread or
	 * the machine's reset, like reset. Optional. */
	void (*queue_irqfd_changed)(struct vdev *vdev, unsigned qidx);
};

/* What the transport gives a device to signal the driver. */
struct vdev_transport_ops {
	void (*notify_queue)(struct vdev *vdev, unsigned qidx);	/* used buffers */
	void (*notify_config)(struct vdev *vdev);			/* config change */
	/* The eventfd whose write interrupts the driver for queue qidx without the
	 * transport (an MSI-X vector's KVM irqfd), or -1: use notify_queue. For a
	 * back-end in the kernel (vhost's call fd); -1 while the vector is masked, and
	 * the device's queue_irqfd_changed() hears when the answer may change. Optional. */
	int (*queue_irqfd)(struct vdev *vdev, unsigned qidx);
};

struct vdev {
	const struct vdev_ops *ops;
	const struct gmem *mem;
	const struct logger *log;
	char name[48];			/* for messages: "virtio-blk-pci (00:04.0)" */

	unsigned nqueues;
	struct virtqueue vqs[VDEV_MAX_QUEUES];
	uint16_t queue_max;		/* largest queue size the device accepts */
	/* Per queue, when not 0: a smaller largest size (virtio-net's rx/tx sizes). */
	uint16_t queue_max_of[VDEV_MAX_QUEUES];
	/* Transport feature bits the device withholds (virtio-net's event_idx=off). */
	uint64_t transport_features_off;

	uint64_t driver_features;	/* what the driver negotiated */
	uint8_t status;
	uint32_t config_size;		/* bytes of device config space */
	uint32_t config_generation;

	/* Filled in by the transport. */
	const struct vdev_transport_ops *transport;
	void *transport_priv;

	pthread_mutex_t lock;		/* status, features, queue setup */
	bool needs_reset_logged;	/* one log line per device until reset */
};

/* Initialise the common part (the device fills in ops, nqueues, queue_max,
 * config_size before registering it with a transport). */
void vdev_init(struct vdev *vdev, const struct vdev_ops *ops, const struct gmem *mem,
	       const struct logger *log, unsigned nqueues, uint16_t queue_max,
	       uint32_t config_size);

/* Has the driver negotiated feature bit `bit`? */
static inline bool vdev_has_feature(const struct vdev *vdev, unsigned bit)
{
	return (vdev->driver_features >> bit) & 1;
}

/* The guest broke the device's contract (a bad ring, a bad request header): set
 * DEVICE_NEEDS_RESET, raise a config interrupt, log once (with why). */
void vdev_set_needs_reset(struct vdev *vdev, const char *why);

/* After pushing used buffers on qidx: interrupt the driver if the ring asks for it. */
void vdev_notify_queue(struct vdev *vdev, unsigned qidx);

/*
 * Serve queue qidx in the calling thread: call round(vdev, qidx) (which pops and
 * answers up to a ring's worth of chains and returns how many, or -1 when the ring
 * broke) with kicks off, notify the driver after each round that answered something,
 * and stop when the ring is empty (kicks on again) or broken. At most
 * VDEV_RUN_MAX_ROUNDS rounds: a ring that refills itself (a device-written buffer or
 * the used ring over the avail index) must not hold the thread, which may be the main
 * loop; what is left waits for the next kick.
 */
#define VDEV_RUN_MAX_ROUNDS 4
void vdev_queue_run(struct vdev *vdev, unsigned qidx,
		    int (*round)(struct vdev *vdev, unsigned qidx));

#endif
