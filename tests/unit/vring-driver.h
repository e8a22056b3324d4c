/* A tiny split-ring driver for the virtio device unit tests: guest RAM, a fake
 * transport that counts interrupts, and the driver's side of each queue (descriptor
 * table, avail and used rings at fixed guest addresses). */
#ifndef VIREO_TESTS_UNIT_VRING_DRIVER_H
#define VIREO_TESTS_UNIT_VRING_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"
#include "lib/util/log.h"
#include "qemu-wrap/gmem.h"

#define VRING_RING_BASE		0x10000u	/* queue q's rings at BASE + q * STRIDE */
#define VRING_RING_STRIDE	0x10000u
#define VRING_DATA_BASE		0x200000u	/* vring_alloc() hands out memory from here */

struct vring_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;		/* device-writable */
};

struct vring_drv {
	struct gmem mem;
	uint64_t ram_size;
	struct logger log;
	struct vdev_transport_ops tops;
	struct vdev *dev;
	/* Interrupts per queue and config interrupts (device threads add to them). */
	unsigned notified[VDEV_MAX_QUEUES];
	unsigned config_notified;
	uint16_t avail_idx[VDEV_MAX_QUEUES], used_seen[VDEV_MAX_QUEUES];
	uint16_t next_desc[VDEV_MAX_QUEUES];
	uint64_t bump;
};

/* Guest RAM of ram_size bytes and a quiet logger. */
void vring_drv_init(struct vring_drv *v, uint64_t ram_size);
void vring_drv_destroy(struct vring_drv *v);

/* Attach the fake transport and make every queue live, as the transport would after
 * DRIVER_OK with `features` negotiated. */
void vring_drv_attach(struct vring_drv *v, struct vdev *dev, uint64_t features);

/* len bytes of guest memory (16-byte aligned) / its host pointer (asserted). */
uint64_t vring_alloc(struct vring_drv *v, uint32_t len);
void *vring_ptr(struct vring_drv *v, uint64_t gpa, uint64_t len);

/* Queue a chain of n buffers on q (not kicked). Returns its head. */
uint16_t vring_add(struct vring_drv *v, unsigned q, const struct vring_seg *s, unsigned n);
/* One buffer of len bytes on q; returns its guest address. */
uint64_t vring_add_buffer(struct vring_drv *v, unsigned q, uint32_t len, bool dev_writes);

/* The next used element of q: true with *head (if non-NULL) and *len, false if none. */
bool vring_used(struct vring_drv *v, unsigned q, uint32_t *head, uint32_t *len);
/* The same, waiting up to 5 s for it (devices that complete on their own threads). */
bool vring_wait_used(struct vring_drv *v, unsigned q, uint32_t *head, uint32_t *len);

/* Interrupts so far on q (read atomically). */
unsigned vring_notified(struct vring_drv *v, unsigned q);

#endif
