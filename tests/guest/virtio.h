/*
 * virtio.h: the test guest's virtio 1.x core (modern PCI transport, split rings, polled),
 * implemented in virtio.c and shared by the device drivers (virtio.c: blk, console, rng;
 * balloon.c). Rings live in one 4 KiB page per queue; see README.md ("virtio").
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include "tg.h"

#define F_VERSION_1	(1ull << 32)

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_USED_F_NO_NOTIFY	1

#define VIRTIO_S_NEEDS_RESET	0x40	/* device_status bit */

#define VQ_MAX		16	/* descriptors per queue we use (the device may offer more) */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VQ_MAX];
	uint16_t used_event;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[VQ_MAX];
	uint16_t avail_event;
};

/* One page per queue: descriptors at 0, available ring at 512, used ring at 1024. */
struct vring_page {
	struct vring_desc desc[VQ_MAX];
	uint8_t pad0[512 - VQ_MAX * sizeof(struct vring_desc)];
	struct vring_avail avail;
	uint8_t pad1[512 - sizeof(struct vring_avail)];
	struct vring_used used;
	uint8_t pad2[4096 - 1024 - sizeof(struct vring_used)];
};
_Static_assert(sizeof(struct vring_page) == 4096, "vring page");

struct vq {
	struct vring_page *r;
	uint16_t index;		/* queue number */
	uint16_t size;
	uint16_t avail_idx;	/* next free slot in avail->ring (free running) */
	uint16_t last_used;	/* used->idx we have consumed up to */
	uint64_t notify;	/* notify address */
};

struct vdev {
	bool found;
	uint8_t bus, dev, fn;
	uint16_t type;
	uint64_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	uint32_t devcfg_len;
	uint64_t dev_features, features;
	uint16_t num_queues;
};

struct buf {
	const volatile void *addr;
	uint32_t len;
	bool write;		/* device-writable */
};

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline uint8_t mr8(uint64_t a)
{
	return *(volatile uint8_t *)a;
}

static inline uint16_t mr16(uint64_t a)
{
	return *(volatile uint16_t *)a;
}

static inline uint32_t mr32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void mw8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void mw16(uint64_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void mw32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline void mw64(uint64_t a, uint64_t v)
{
	mw32(a, (uint32_t)v);
	mw32(a + 4, (uint32_t)(v >> 32));
}

/* Finds the first modern virtio device of `type` and its common/notify/ISR/device caps;
 * false with d->found false when there is none, with why when it is unusable. */
bool vdev_find(struct vdev *d, uint16_t type, char *why, size_t n);
uint8_t vdev_status(const struct vdev *d);
/* Waits up to 1 s for DEVICE_NEEDS_RESET; returns whether it came (last status in *st). */
bool vdev_wait_needs_reset(struct tg *g, const struct vdev *d, uint8_t *st);
/* Reset, ACKNOWLEDGE|DRIVER, negotiate (VERSION_1 plus `wanted`), FEATURES_OK. */
bool vdev_begin(struct tg *g, struct vdev *d, uint64_t wanted, char *why, size_t n);
/* Sets up queue `index` in the ring page `r` (zeroed here). */
bool vq_setup(struct vdev *d, struct vq *q, struct vring_page *r, uint16_t index, char *why,
	      size_t n);
/* Sets up queue `index` with rings the caller placed at desc/avail/used, of min(device's
 * size, max) entries; returns that size (0 on error), the notify address in *notify. */
uint16_t vq_setup_rings(struct vdev *d, uint16_t index, uint16_t max, uint64_t desc,
			uint64_t avail, uint64_t used, uint64_t *notify, char *why, size_t n);
bool vdev_driver_ok(struct vdev *d, char *why, size_t n);
/* Publishes the chain starting at descriptor `head` and notifies the device. */
void vq_kick(struct vq *q, uint16_t head);
/* Waits up to ms for a used element; returns false on timeout. */
bool vq_wait(struct tg *g, struct vq *q, uint64_t ms, uint32_t *id, uint32_t *len);

#endif
