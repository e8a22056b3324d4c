/* The split-ring test driver: see vring-driver.h. */
#include "tests/unit/unit.h"

#include <endian.h>
#include <time.h>

#include "tests/unit/vring-driver.h"

static void fake_notify_queue(struct vdev *vdev, unsigned qidx)
{
	__atomic_add_fetch(&((struct vring_drv *)vdev->transport_priv)->notified[qidx], 1,
			   __ATOMIC_SEQ_CST);
}

static void fake_notify_config(struct vdev *vdev)
{
	__atomic_add_fetch(&((struct vring_drv *)vdev->transport_priv)->config_notified, 1,
			   __ATOMIC_SEQ_CST);
}

static uint64_t desc_gpa(unsigned q)
{
	return VRING_RING_BASE + (uint64_t)q * VRING_RING_STRIDE;
}

static uint64_t avail_gpa(struct vring_drv *v, unsigned q)
{
	return desc_gpa(q) + 16u * v->dev->vqs[q].size;
}

static uint64_t used_gpa(unsigned q)
{
	return desc_gpa(q) + VRING_RING_STRIDE / 2;
}

void vring_drv_init(struct vring_drv *v, uint64_t ram_size)
{
	struct err *e = NULL;

	memset(v, 0, sizeof(*v));
	assert_int_equal(gmem_init(&v->mem, ram_size, &e), 0);
	v->ram_size = ram_size;
	v->log.level = VLOG_ERROR;
	v->log.fd = 2;
	v->bump = VRING_DATA_BASE;
}

void vring_drv_destroy(struct vring_drv *v)
{
	gmem_destroy(&v->mem);
}

void vring_drv_attach(struct vring_drv *v, struct vdev *dev, uint64_t features)
{
	v->dev = dev;
	v->tops.notify_queue = fake_notify_queue;
	v->tops.notify_config = fake_notify_config;
	dev->transport = &v->tops;
	dev->transport_priv = v;
	dev->driver_features = features;
	for (unsigned q = 0; q < dev->nqueues; q++) {
		struct virtqueue *vq = &dev->vqs[q];

		vq->mem = &v->mem;
		vq->size = dev->queue_max;
		vq->desc_gpa = desc_gpa(q);
		vq->avail_gpa = avail_gpa(v, q);
		vq->used_gpa = used_gpa(q);
		vq->event_idx = features >> VIRTIO_RING_F_EVENT_IDX & 1;
		vq->ready = true;
	}
	__atomic_store_n(&dev->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, __ATOMIC_RELEASE);
}

uint64_t vring_alloc(struct vring_drv *v, uint32_t len)
{
	uint64_t g = v->bump;

	v->bump += (len + 15) & ~15u;
	assert_true(v->bump < v->ram_size);
	return g;
}

void *vring_ptr(struct vring_drv *v, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&v->mem, gpa, len);

	assert_non_null(p);
	return p;
}

uint16_t vring_add(struct vring_drv *v, unsigned q, const struct vring_seg *s, unsigned n)
{
	uint16_t size = v->dev->vqs[q].size;
	uint8_t *desc = vring_ptr(v, desc_gpa(q), 16u * size);
	uint16_t *avail = vring_ptr(v, avail_gpa(v, q), 4 + 2u * size);
	uint16_t head = v->next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t id = (uint16_t)((head + i) % size);
		uint16_t next = htole16((uint16_t)((id + 1) % size));
		uint16_t flags = htole16((s[i].write ? VRING_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		uint64_t a = htole64(s[i].gpa);
		uint32_t l = htole32(s[i].len);

		memcpy(desc + 16u * id, &a, 8);
		memcpy(desc + 16u * id + 8, &l, 4);
		memcpy(desc + 16u * id + 12, &flags, 2);
		memcpy(desc + 16u * id + 14, &next, 2);
	}
	v->next_desc[q] = (uint16_t)((head + n) % size);
	avail[2 + v->avail_idx[q] % size] = htole16(head);
	__atomic_store_n(&avail[1], htole16(++v->avail_idx[q]), __ATOMIC_RELEASE);
	return head;
}

uint64_t vring_add_buffer(struct vring_drv *v, unsigned q, uint32_t len, bool dev_writes)
{
	uint64_t g = vring_alloc(v, len);
	struct vring_seg s = { g, len, dev_writes };

	vring_add(v, q, &s, 1);
	return g;
}

bool vring_used(struct vring_drv *v, unsigned q, uint32_t *head, uint32_t *len)
{
	uint16_t size = v->dev->vqs[q].size;
	uint8_t *used = vring_ptr(v, used_gpa(q), 4 + 8u * size);
	uint16_t idx = le16toh(__atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE));
	uint32_t h, l;

	if (idx == v->used_seen[q])
		return false;
	memcpy(&h, used + 4 + 8u * (v->used_seen[q] % size), 4);
	memcpy(&l, used + 8 + 8u * (v->used_seen[q] % size), 4);
	if (head)
		*head = le32toh(h);
	*len = le32toh(l);
	v->used_seen[q]++;
	return true;
}

bool vring_wait_used(struct vring_drv *v, unsigned q, uint32_t *head, uint32_t *len)
{
	for (unsigned i = 0; i < 50000; i++) {
		if (vring_used(v, q, head, len))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
	}
	return false;
}

unsigned vring_notified(struct vring_drv *v, unsigned q)
{
	return __atomic_load_n(&v->notified[q], __ATOMIC_SEQ_CST);
}
