/* Unit tests: drivers/virtio/console (single-port virtio-console) and
 * drivers/virtio/rng (virtio-rng), driven through split rings in guest memory. */
#include "tests/unit/unit.h"

#include <unistd.h>

#include <endian.h>
#include <stdio.h>

#include "drivers/virtio/console.h"
#include "drivers/virtio/rng.h"
#include "lib/util/mem.h"
#include "tests/unit/vring-driver.h"

#define RAM_SIZE	(4u << 20)

struct fx {
	struct vring_drv v;
	/* console back-end */
	char txbuf[256];
	size_t txlen;
	unsigned rx_ready_calls;
};

static struct fx *fx_new(void)
{
	struct fx *f = xzalloc(sizeof(*f));

	vring_drv_init(&f->v, RAM_SIZE);
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
	struct vdev *d = virtio_console_new(&o, &f->v.mem, &f->v.log, &e);

	assert_non_null(d);
	vring_drv_attach(&f->v, d, d->ops->features(d) | 1ULL << VIRTIO_F_VERSION_1);
	return f;
}

static void console_free(struct fx *f)
{
	virtio_console_free(f->v.dev);
	vring_drv_destroy(&f->v);
	free(f);
}

static void console_is_single_port_with_emergency_write(void **state)
{
	struct fx *f = console_fx();
	struct vdev *d = f->v.dev;
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
	uint64_t a = vring_alloc(&f->v, 6), b = vring_alloc(&f->v, 7);
	struct vring_seg s[2] = { { a, 6, false }, { b, 7, false } };
	uint32_t len;

	memcpy(vring_ptr(&f->v, a, 6), "hello ", 6);
	memcpy(vring_ptr(&f->v, b, 7), "world\n", 7);	/* 7 bytes: includes the NUL */
	vring_add(&f->v, VIRTIO_CONSOLE_TX_QUEUE, s, 2);
	memcpy(vring_ptr(&f->v, vring_add_buffer(&f->v, VIRTIO_CONSOLE_TX_QUEUE, 3, false), 3), "abc", 3);
	f->v.dev->ops->queue_notify(f->v.dev, VIRTIO_CONSOLE_TX_QUEUE);
	assert_int_equal(f->txlen, 16);
	assert_memory_equal(f->txbuf, "hello world\n\0abc", 16);
	assert_true(vring_used(&f->v, VIRTIO_CONSOLE_TX_QUEUE, NULL, &len));
	assert_int_equal(len, 0);
	assert_true(vring_used(&f->v, VIRTIO_CONSOLE_TX_QUEUE, NULL, &len));
	assert_false(vring_used(&f->v, VIRTIO_CONSOLE_TX_QUEUE, NULL, &len));
	assert_int_equal(f->v.notified[VIRTIO_CONSOLE_TX_QUEUE], 1);
	console_free(f);
}

static void console_receive_fills_guest_buffers_and_says_how_much_fit(void **state)
{
	struct fx *f = console_fx();
	uint64_t a, b;
	uint32_t len;

	a = vring_add_buffer(&f->v, VIRTIO_CONSOLE_RX_QUEUE, 4, true);
	b = vring_add_buffer(&f->v, VIRTIO_CONSOLE_RX_QUEUE, 4, true);
	f->v.dev->ops->queue_notify(f->v.dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 0);	/* nothing was waiting */
	assert_int_equal(virtio_console_receive(f->v.dev, "0123456789", 10), 8);
	assert_true(vring_used(&f->v, VIRTIO_CONSOLE_RX_QUEUE, NULL, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(vring_ptr(&f->v, a, 4), "0123", 4);
	assert_true(vring_used(&f->v, VIRTIO_CONSOLE_RX_QUEUE, NULL, &len));
	assert_memory_equal(vring_ptr(&f->v, b, 4), "4567", 4);
	assert_int_equal(f->v.notified[VIRTIO_CONSOLE_RX_QUEUE], 1);
	console_free(f);
}

static void console_input_waits_for_guest_buffers_then_retries(void **state)
{
	struct fx *f = console_fx();
	uint64_t a;
	uint32_t len;

	assert_int_equal(virtio_console_receive(f->v.dev, "xy", 2), 0);
	assert_int_equal(f->rx_ready_calls, 0);
	a = vring_add_buffer(&f->v, VIRTIO_CONSOLE_RX_QUEUE, 16, true);
	f->v.dev->ops->queue_notify(f->v.dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(virtio_console_receive(f->v.dev, "xy", 2), 2);
	assert_true(vring_used(&f->v, VIRTIO_CONSOLE_RX_QUEUE, NULL, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(vring_ptr(&f->v, a, 2), "xy", 2);
	/* Once satisfied, a later kick does not call back again. */
	vring_add_buffer(&f->v, VIRTIO_CONSOLE_RX_QUEUE, 16, true);
	f->v.dev->ops->queue_notify(f->v.dev, VIRTIO_CONSOLE_RX_QUEUE);
	assert_int_equal(f->rx_ready_calls, 1);
	console_free(f);
}

static void console_receive_before_the_driver_is_ready_takes_nothing(void **state)
{
	struct fx *f = console_fx();

	f->v.dev->vqs[VIRTIO_CONSOLE_RX_QUEUE].ready = false;
	assert_int_equal(virtio_console_receive(f->v.dev, "abc", 3), 0);
	console_free(f);
}

/* ---- rng ---- */

static struct fx *rng_fx(void)
{
	struct fx *f = fx_new();
	struct err *e = NULL;
	struct vdev *d = virtio_rng_new(&f->v.mem, &f->v.log, &e);

	assert_non_null(d);
	vring_drv_attach(&f->v, d, 1ULL << VIRTIO_F_VERSION_1);
	return f;
}

static void rng_free(struct fx *f)
{
	virtio_rng_free(f->v.dev);
	vring_drv_destroy(&f->v);
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
	uint64_t a = vring_add_buffer(&f->v, 0, 64, true);
	uint64_t b = vring_alloc(&f->v, 32), c = vring_alloc(&f->v, 32);
	struct vring_seg s[2] = { { b, 32, true }, { c, 32, true } };
	uint32_t len;

	vring_add(&f->v, 0, s, 2);
	f->v.dev->ops->queue_notify(f->v.dev, 0);
	assert_true(vring_used(&f->v, 0, NULL, &len));
	assert_int_equal(len, 64);
	assert_false(all_zero(vring_ptr(&f->v, a, 64), 64));
	assert_true(vring_used(&f->v, 0, NULL, &len));
	assert_int_equal(len, 64);
	assert_false(all_zero(vring_ptr(&f->v, b, 32), 32));
	assert_false(all_zero(vring_ptr(&f->v, c, 32), 32));
	assert_false(vring_used(&f->v, 0, NULL, &len));
	assert_int_equal(f->v.notified[0], 1);
	rng_free(f);
}

static void rng_bounds_one_request_to_64_kib(void **state)
{
	struct fx *f = rng_fx();
	uint64_t a = vring_add_buffer(&f->v, 0, 100 * 1024, true);
	uint8_t *p = vring_ptr(&f->v, a, 100 * 1024);
	uint32_t len;

	f->v.dev->ops->queue_notify(f->v.dev, 0);
	assert_true(vring_used(&f->v, 0, NULL, &len));
	assert_int_equal(len, VIRTIO_RNG_MAX_REQUEST);
	assert_true(all_zero(p + VIRTIO_RNG_MAX_REQUEST, 100 * 1024 - VIRTIO_RNG_MAX_REQUEST));
	rng_free(f);
}

static void rng_answers_a_readable_only_buffer_with_nothing(void **state)
{
	struct fx *f = rng_fx();
	uint32_t len = 99;

	vring_add_buffer(&f->v, 0, 16, false);
	f->v.dev->ops->queue_notify(f->v.dev, 0);
	assert_true(vring_used(&f->v, 0, NULL, &len));
	assert_int_equal(len, 0);
	assert_false(f->v.dev->status & VIRTIO_STATUS_NEEDS_RESET);
	rng_free(f);
}

static void rng_broken_ring_needs_reset(void **state)
{
	struct fx *f = rng_fx();
	struct vring_seg s = { RAM_SIZE - 8, 64, true };	/* runs past the end of RAM */
	uint32_t len;

	vring_add(&f->v, 0, &s, 1);
	f->v.dev->ops->queue_notify(f->v.dev, 0);
	assert_false(vring_used(&f->v, 0, NULL, &len));
	assert_true(f->v.dev->status & VIRTIO_STATUS_NEEDS_RESET);
	rng_free(f);
}

/* A ring that refills itself (the used ring over the avail ring, the used index one
 * ahead) must not hold the thread that serves kicks (the worker's main loop): the run
 * stops after its rounds and the kick handler returns. */
static void rng_a_ring_that_refills_itself_does_not_hold_the_loop(void **state)
{
	struct fx *f = rng_fx();
	struct virtqueue *vq = &f->v.dev->vqs[0];
	uint64_t buf = vring_add_buffer(&f->v, 0, 4, true);
	uint8_t *desc = vring_ptr(&f->v, vq->desc_gpa, 16u * vq->size);

	/* Every descriptor a valid 4-byte writable buffer, so whatever head the used
	 * entries (ids 0, lengths 4) leave in the avail ring names a good chain (the queue
	 * has 8 entries) and the ring never breaks. */
	for (unsigned i = 0; i < vq->size; i++) {
		uint64_t a = htole64(buf);
		uint32_t l = htole32(4);
		uint16_t fl = htole16(VRING_DESC_F_WRITE), nx = 0;

		memcpy(desc + 16 * i, &a, 8);
		memcpy(desc + 16 * i + 8, &l, 4);
		memcpy(desc + 16 * i + 12, &fl, 2);
		memcpy(desc + 16 * i + 14, &nx, 2);
	}
	vq->used_gpa = vq->avail_gpa;
	vq->used_idx = 1;
	alarm(10);		/* an endless run hangs here: SIGALRM fails the test */
	f->v.dev->ops->queue_notify(f->v.dev, 0);
	alarm(0);
	assert_false(vq->broken);
	assert_false(all_zero(vring_ptr(&f->v, buf, 4), 4));	/* it was served */
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
		cmocka_unit_test(rng_a_ring_that_refills_itself_does_not_hold_the_loop),
	};

	return cmocka_run_group_tests_name("virtio-dev", tests, NULL, NULL);
}
