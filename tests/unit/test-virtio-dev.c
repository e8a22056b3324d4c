/* Unit tests: drivers/virtio/console (single-port virtio-console) and
 * drivers/virtio/rng (virtio-rng), driven through split rings in guest memory. */
#include "tests/unit/unit.h"

#include <endian.h>
#include <stdio.h>

#include "drivers/virtio/console.h"
#include "drivers/virtio/rng.h"
#include "lib/util/mem.h"

#define RAM_SIZE	(4u << 20)
#define RING_BASE	0x10000u
#define RING_STRIDE	0x10000u
#define DATA_BASE	0x200000u

/* ---- a tiny split-ring driver (as in test-virtio-blk.c) ---- */

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

struct fx {
	struct gmem mem;
	struct logger log;
	struct vdev_transport_ops tops;
	struct vdev *dev;
	unsigned notified[4];
	uint16_t avail_idx[4], used_seen[4], next_desc[4];
	uint64_t bump;
	/* console back-end */
	char txbuf[256];
	size_t txlen;
	unsigned rx_ready_calls;
};

static void fake_notify_queue(struct vdev *vdev, unsigned qidx)
{
	((struct fx *)vdev->transport_priv)->notified[qidx]++;
}

static void fake_notify_config(struct vdev *vdev)
{
}

static uint64_t desc_gpa(unsigned q)
{
	return RING_BASE + (uint64_t)q * RING_STRIDE;
}

static uint64_t avail_gpa(struct fx *f, unsigned q)
{
	return desc_gpa(q) + 16u * f->dev->vqs[q].size;
}

static uint64_t used_gpa(unsigned q)
{
	return desc_gpa(q) + RING_STRIDE / 2;
}

static void fx_attach(struct fx *f, struct vdev *dev, uint64_t features)
{
	f->dev = dev;
	f->tops.notify_queue = fake_notify_queue;
	f->tops.notify_config = fake_notify_config;
	dev->transport = &f->tops;
	dev->transport_priv = f;
	dev->driver_features = features;
	dev->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	for (unsigned q = 0; q < dev->nqueues; q++) {
		struct virtqueue *vq = &dev->vqs[q];

		vq->mem = &f->mem;
		vq->size = dev->queue_max;
		vq->desc_gpa = desc_gpa(q);
		vq->avail_gpa = avail_gpa(f, q);
		vq->used_gpa = used_gpa(q);
		vq->ready = true;
	}
}

static uint64_t galloc(struct fx *f, uint32_t len)
{
	uint64_t g = f->bump;

	f->bump += (len + 15) & ~15u;
	assert_true(f->bump < RAM_SIZE);
	return g;
}

static void *gptr(struct fx *f, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&f->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static void ring_add(struct fx *f, unsigned q, const struct seg *s, unsigned n)
{
	uint16_t size = f->dev->vqs[q].size;
	uint8_t *desc = gptr(f, desc_gpa(q), 16u * size);
	uint16_t *avail = gptr(f, avail_gpa(f, q), 4 + 2u * size);
	uint16_t head = f->next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t id = (uint16_t)((head + i) % size);
		uint16_t next = (uint16_t)((id + 1) % size);
		uint16_t flags = (s[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		uint64_t a = htole64(s[i].gpa);
		uint32_t l = htole32(s[i].len);

		memcpy(desc + 16u * id, &a, 8);
		memcpy(desc + 16u * id + 8, &l, 4);
		memcpy(desc + 16u * id + 12, &flags, 2);
		memcpy(desc + 16u * id + 14, &next, 2);
	}
	f->next_desc[q] = (uint16_t)((head + n) % size);
	avail[2 + f->avail_idx[q] % size] = head;
	__atomic_store_n(&avail[1], ++f->avail_idx[q], __ATOMIC_RELEASE);
}

static bool ring_used(struct fx *f, unsigned q, uint32_t *len)
{
	uint16_t size = f->dev->vqs[q].size;
	uint8_t *used = gptr(f, used_gpa(q), 4 + 8u * size);
	uint16_t idx = __atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE);

	if (idx == f->used_seen[q])
		return false;
	memcpy(len, used + 8 + 8u * (f->used_seen[q] % size), 4);
	f->used_seen[q]++;
	return true;
}

/* One buffer of len bytes on q; returns its guest address. */
static uint64_t add_buffer(struct fx *f, unsigned q, uint32_t len, bool dev_writes)
{
	uint64_t g = galloc(f, len);
	struct seg s = { g, len, dev_writes };

	ring_add(f, q, &s, 1);
	return g;
}

static struct fx *fx_new(void)
{
	struct fx *f = xzalloc(sizeof(*f));
	struct err *e = NULL;

	assert_int_equal(gmem_init(&f->mem, RAM_SIZE, &e), 0);
	f->log.level = VLOG_ERROR;
	f->log.fd = 2;
	f->bump = DATA_BASE;
	return f;
}

/* ---- console ---- */

static void con_tx(void *opaque, const void *buf, size_t len)
{
	struct fx *f = opaque;

	assert_true(f->txlen + len <= sizeof(f->txbuf));
	memcpy(f->txbuf + f->txlen, buf, len);
	f->txlen += len;
}

static void con_rx_ready(void *opaque)
{
	((struct fx *)opaque)->rx_ready_calls++;
}

static struct fx *console_fx(void)
{
	struct fx *f = fx_new();
	struct err *e = NULL;
	struct virtio_console_opts o = { .opaque = f, .tx = con_tx, .rx_ready = con_rx_ready };
	struct vdev *d = virtio_console_new(&o, &f->mem, &f->log, &e);

	assert_non_null(d);
	fx_attach(f, d, d->ops->features(d) | 1ULL << VIRTIO_F_VERSION_1);
	return f;
}

static void console_free(struct fx *f)
{
	virtio_console_free(f->dev);
	gmem_destroy(&f->mem);
	free(f);
}

static void console_is_single_port_with_emergency_write(void **state)
{
	struct fx *f = console_fx();
	struct vdev *d = f->dev;
	uint8_t cfg[VIRTIO_CONSOLE_CONFIG_SIZE];
	uint32_t ch = htole32('!');

	assert_int_equal(d->ops->device_id, VIRTIO_ID_CONSOLE);
	assert_int_equal(d->nqueues, 2);
	assert_false(d->ops->features(d) & 1ULL << VIRTIO_CONSOLE_F_MULTIPORT);
	assert_false(d->ops->set_features(d, 1ULL << VIRTIO_CONSOLE_F_MULTIPORT));
	memset(cfg, 0xff, sizeof(cfg));
	d->ops->config_read(d, 0, cfg, sizeof(cfg));
	for (unsigned i = 0; i < sizeof(cfg); i++)
		assert_int_equal(cfg[i], 0);	/* cols, rows 0 */
	d->ops->config_write(d, VIRTIO_CONSOLE_CFG_EMERG_WR, &ch, 4);
	assert_int_equal(f->txlen, 1);
	assert_int_equal(f->txbuf[0], '!');
	console_free(f);
}

static void console_sends_what_the_guest_transmits(void **state)
{
	struct fx *f = console_fx();
	uint64_t a = galloc(f, 6), b = galloc(f, 7);
	struct seg s[2] = { { a, 6, false }, { b, 7, false } };
	uint32_t len;

	memcpy(gptr(f, a, 6), "hello ", 6);
	memcpy(gptr(f, b, 7), "world\n", 7);	/* 7 bytes: includes the NUL */
	ring_add(f, VIRTIO_CONSOLE_TX_QUEUE, s, 2);
	memcpy(gptr(f, add_buffer(f, VIRTIO_CONSOLE_TX_QUEUE, 3, false), 3), "abc", 3);
	f->dev->ops->queue_notify(f->dev, VIRTIO_CONSOLE_TX_QUEUE);
	assert_int_equal(f->txlen, 16);
	assert_memory_equal(f->txbuf, "hello world\n\0abc", 16);
	assert_true(ring_used(f, VIRTIO_CONSOLE_TX_QUEUE, &len));
	assert_int_equal(len, 0);
	assert_true(ring_used(f, VIRTIO_CONSOLE_TX_QUEUE, &len));
	assert_false(ring_used(f, VIRTIO_CONSOLE_TX_QUEUE, &len));
	assert_int_equal(f->notified[VIRTIO_CONSOLE_TX_QUEUE], 1);
	console_free(f);
}

static void console_receive_fills_guest_buffers_and_says_how_much_fit(void **state)
{
	struct fx *f = console_fx();
	uint64_t a, b;
	uint32_t len;

	a = add_buffer(f, VIRTIO_CONSOLE_RX_QUEUE, 4, true);
	b = add_buffer(f, VIRTIO_CONSOLE_RX_QUEUE, 4, true);
	f->dev->ops->queue_notify(f->dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 0);	/* nothing was waiting */
	assert_int_equal(virtio_console_receive(f->dev, "0123456789", 10), 8);
	assert_true(ring_used(f, VIRTIO_CONSOLE_RX_QUEUE, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(gptr(f, a, 4), "0123", 4);
	assert_true(ring_used(f, VIRTIO_CONSOLE_RX_QUEUE, &len));
	assert_memory_equal(gptr(f, b, 4), "4567", 4);
	assert_int_equal(f->notified[VIRTIO_CONSOLE_RX_QUEUE], 1);
	console_free(f);
}

static void console_input_waits_for_guest_buffers_then_retries(void **state)
{
	struct fx *f = console_fx();
	uint64_t a;
	uint32_t len;

	assert_int_equal(virtio_console_receive(f->dev, "xy", 2), 0);
	assert_int_equal(f->rx_ready_calls, 0);
	a = add_buffer(f, VIRTIO_CONSOLE_RX_QUEUE, 16, true);
	f->dev->ops->queue_notify(f->dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(virtio_console_receive(f->dev, "xy", 2), 2);
	assert_true(ring_used(f, VIRTIO_CONSOLE_RX_QUEUE, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(gptr(f, a, 2), "xy", 2);
	/* Once satisfied, a later kick does not call back again. */
	add_buffer(f, VIRTIO_CONSOLE_RX_QUEUE, 16, true);
	f->dev->ops->queue_notify(f->dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 1);
	console_free(f);
}

static void console_receive_before_the_driver_is_ready_takes_nothing(void **state)
{
	struct fx *f = console_fx();

	f->dev->vqs[VIRTIO_CONSOLE_RX_QUEUE].ready = false;
	assert_int_equal(virtio_console_receive(f->dev, "abc", 3), 0);
	console_free(f);
}

/* ---- rng ---- */

static struct fx *rng_fx(void)
{
	struct fx *f = fx_new();
	struct err *e = NULL;
	struct vdev *d = virtio_rng_new(&f->mem, &f->log, &e);

	assert_non_null(d);
	fx_attach(f, d, 1ULL << VIRTIO_F_VERSION_1);
	return f;
}

static void rng_free(struct fx *f)
{
	virtio_rng_free(f->dev);
	gmem_destroy(&f->mem);
	free(f);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void rng_fills_every_buffer_the_guest_offers(void **state)
{
	struct fx *f = rng_fx();
	uint64_t a = add_buffer(f, 0, 64, true);
	uint64_t b = galloc(f, 32), c = galloc(f, 32);
	struct seg s[2] = { { b, 32, true }, { c, 32, true } };
	uint32_t len;

	ring_add(f, 0, s, 2);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &len));
	assert_int_equal(len, 64);
	assert_false(all_zero(gptr(f, a, 64), 64));
	assert_true(ring_used(f, 0, &len));
	assert_int_equal(len, 64);
	assert_false(all_zero(gptr(f, b, 32), 32));
	assert_false(all_zero(gptr(f, c, 32), 32));
	assert_false(ring_used(f, 0, &len));
	assert_int_equal(f->notified[0], 1);
	rng_free(f);
}

static void rng_bounds_one_request_to_64_kib(void **state)
{
	struct fx *f = rng_fx();
	uint64_t a = add_buffer(f, 0, 100 * 1024, true);
	uint8_t *p = gptr(f, a, 100 * 1024);
	uint32_t len;

	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &len));
	assert_int_equal(len, VIRTIO_RNG_MAX_REQUEST);
	assert_true(all_zero(p + VIRTIO_RNG_MAX_REQUEST, 100 * 1024 - VIRTIO_RNG_MAX_REQUEST));
	rng_free(f);
}

static void rng_answers_a_readable_only_buffer_with_nothing(void **state)
{
	struct fx *f = rng_fx();
	uint32_t len = 99;

	add_buffer(f, 0, 16, false);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &len));
	assert_int_equal(len, 0);
	assert_false(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	rng_free(f);
}

static void rng_broken_ring_needs_reset(void **state)
{
	struct fx *f = rng_fx();
	struct seg s = { RAM_SIZE - 8, 64, true };	/* runs past the end of RAM */
	uint32_t len;

	ring_add(f, 0, &s, 1);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_false(ring_used(f, 0, &len));
	assert_true(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	rng_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(console_is_single_port_with_emergency_write),
		cmocka_unit_test(console_sends_what_the_guest_transmits),
		cmocka_unit_test(console_receive_fills_guest_buffers_and_says_how_much_fit),
		cmocka_unit_test(console_input_waits_for_guest_buffers_then_retries),
		cmocka_unit_test(console_receive_before_the_driver_is_ready_takes_nothing),
		cmocka_unit_test(rng_fills_every_buffer_the_guest_offers),
		cmocka_unit_test(rng_bounds_one_request_to_64_kib),
		cmocka_unit_test(rng_answers_a_readable_only_buffer_with_nothing),
		cmocka_unit_test(rng_broken_ring_needs_reset),
	};

	return cmocka_run_group_tests_name("virtio-dev", tests, NULL, NULL);
}
