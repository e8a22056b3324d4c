/* Unit tests: drivers/virtio/balloon (virtio-balloon): its pure parts (PFN ranges,
 * clipping to RAM, stats parsing) and the device driven through split rings in a real
 * memfd-backed guest RAM, whose allocated blocks show what was given back. */
#include "tests/unit/unit.h"

#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/virtio/balloon.h"
#include "lib/util/mem.h"

#define MIB		(1024u * 1024u)
#define RAM_SIZE	(8 * MIB)
#define RINGS		0x10000u	/* queue q's ring at RINGS + q * 0x2000 */
#define BUFS		0x40000u	/* driver buffers */
#define PAGE		4096u

/* ---- pure parts ---- */

static void pfns_become_sorted_merged_ranges(void **state)
{
	uint32_t pfns[] = { 0x105, 0x103, 0x104, 0x200, 0x104, 0x201, 0x7, 0x106 };
	struct balloon_range r[8];
	size_t n = balloon_pfns_to_ranges(pfns, 8, r);

	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0x7000);
	assert_int_equal(r[0].end, 0x8000);
	assert_int_equal(r[1].start, 0x103000);	/* 0x103-0x106, the duplicate 0x104 once */
	assert_int_equal(r[1].end, 0x107000);
	assert_int_equal(r[2].start, 0x200000);
	assert_int_equal(r[2].end, 0x202000);
}

static void descending_pfns_make_one_range(void **state)
{
	uint32_t pfns[256];
	struct balloon_range r[256];

	for (unsigned i = 0; i < 256; i++)
		pfns[i] = 0x20000 - i;	/* what a guest growing its balloon downwards sends */
	assert_int_equal(balloon_pfns_to_ranges(pfns, 256, r), 1);
	assert_int_equal(r[0].start, (uint64_t)(0x20000 - 255) << 12);
	assert_int_equal(r[0].end, (uint64_t)0x20001 << 12);
	assert_int_equal(balloon_pfns_to_ranges(pfns, 0, r), 0);
}

struct pieces {
	struct balloon_range got[4];
	unsigned n;
};

static void record_piece(void *ctx, uint64_t gpa, uint64_t len)
{
	struct pieces *p = ctx;

	assert_true(p->n < 4);
	p->got[p->n++] = (struct balloon_range){ gpa, gpa + len };
}

static void ranges_outside_ram_are_skipped(void **state)
{
	const struct balloon_range ram[] = { { 0x100000, 0xc0000000 },
					     { 0x100000000, 0x140000000 } };
	struct balloon_range below = { 0x80000, 0x180000 }, hole = { 0xbfff0000, 0x100010000 };
	struct balloon_range outside = { 0x200000000, 0x200001000 };
	struct pieces p = { 0 };

	/* Half in the firmware area below 1 MiB: only the RAM half is released. */
	assert_int_equal(balloon_clip_range(&below, ram, 2, record_piece, &p), 0x80000);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.got[0].start, 0x100000);
	assert_int_equal(p.got[0].end, 0x180000);
	/* Across the PCI hole: both RAM sides, the hole skipped. */
	p.n = 0;
	assert_int_equal(balloon_clip_range(&hole, ram, 2, record_piece, &p),
			 0x100000000 - 0xc0000000);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.got[0].end, 0xc0000000);
	assert_int_equal(p.got[1].start, 0x100000000);
	/* Beyond RAM: nothing released. */
	p.n = 0;
	assert_int_equal(balloon_clip_range(&outside, ram, 2, record_piece, &p), 0x1000);
	assert_int_equal(p.n, 0);
}

static void put_stat(uint8_t *p, uint16_t tag, uint64_t val)
{
	tag = htole16(tag);
	val = htole64(val);
	memcpy(p, &tag, 2);
	memcpy(p + 2, &val, 8);
}

static void stats_keep_known_tags_and_skip_unknown_ones(void **state)
{
	uint8_t buf[4 * VIRTIO_BALLOON_STAT_SIZE + 5];
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	unsigned unknown = 0;

	for (unsigned i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		stats[i] = VIRTIO_BALLOON_STAT_UNSET;
	put_stat(buf, VIRTIO_BALLOON_S_SWAP_IN, 7);
	put_stat(buf + 10, 10, 99);		/* Linux 6.12's OOM_KILL: newer than QEMU 7.2 */
	put_stat(buf + 20, VIRTIO_BALLOON_S_MEMFREE, 1ull << 40);
	put_stat(buf + 30, 0xffff, 1);
	memset(buf + 40, 0xee, 5);		/* a partial stat at the end: ignored */
	assert_int_equal(balloon_parse_stats(buf, sizeof(buf), stats, &unknown), 4);
	assert_int_equal(unknown, 2);
	assert_int_equal(stats[VIRTIO_BALLOON_S_SWAP_IN], 7);
	assert_int_equal(stats[VIRTIO_BALLOON_S_MEMFREE], 1ull << 40);
	assert_true(stats[VIRTIO_BALLOON_S_MEMTOT] == VIRTIO_BALLOON_STAT_UNSET);
	assert_string_equal(virtio_balloon_stat_name(VIRTIO_BALLOON_S_AVAIL),
			    "stat-available-memory");
	assert_null(virtio_balloon_stat_name(10));
}

/* ---- the device on a ring ---- */

struct fx {
	struct gmem mem;
	struct logger log;
	char logpath[64];
	struct vdev_transport_ops tops;
	struct vdev *dev;
	unsigned config_irqs;
	uint16_t avail_idx[4], used_seen[4];
	uint32_t actual_seen[8];
	unsigned n_actual;
};

static void fx_notify_queue(struct vdev *vdev, unsigned qidx)
{
}

static void fx_notify_config(struct vdev *vdev)
{
	((struct fx *)vdev->transport_priv)->config_irqs++;
}

static void fx_actual_changed(void *opaque, uint32_t actual)
{
	struct fx *f = opaque;

	if (f->n_actual < 8)
		f->actual_seen[f->n_actual] = actual;
	f->n_actual++;
}

static uint8_t *gp(struct fx *f, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&f->mem, gpa, len);

	assert_non_null(p);
	return p;
}

/* A device with every feature, attached to a fake transport with live queues. */
static struct fx *fx_new(bool poison)
{
	static const struct balloon_range ram = { MIB, RAM_SIZE };
	struct virtio_balloon_opts o = { .free_page_reporting = true, .page_poison = poison,
					 .ram = &ram, .n_ram = 1,
					 .actual_changed = fx_actual_changed };
	struct fx *f = xzalloc(sizeof(*f));
	struct err *e = NULL;

	assert_int_equal(gmem_init(&f->mem, RAM_SIZE, &e), 0);
	snprintf(f->logpath, sizeof(f->logpath), "/tmp/test-balloon-log.XXXXXX");
	f->log.fd = mkstemp(f->logpath);
	assert_true(f->log.fd >= 0);
	f->log.level = VLOG_WARNING;
	o.opaque = f;
	f->dev = virtio_balloon_new(&o, &f->mem, &f->log, &e);
	assert_non_null(f->dev);
	assert_int_equal(f->dev->nqueues, 4);
	f->tops = (struct vdev_transport_ops){ .notify_queue = fx_notify_queue,
					       .notify_config = fx_notify_config };
	f->dev->transport = &f->tops;
	f->dev->transport_priv = f;
	f->dev->driver_features = f->dev->ops->features(f->dev) | 1ULL << VIRTIO_F_VERSION_1;
	f->dev->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	for (unsigned q = 0; q < 4; q++) {
		struct virtqueue *vq = &f->dev->vqs[q];

		vq->size = 16;
		vq->desc_gpa = RINGS + q * 0x2000u;
		vq->avail_gpa = vq->desc_gpa + 16 * 16;
		vq->used_gpa = vq->desc_gpa + 0x1000;
		vq->ready = true;
	}
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_balloon_free(f->dev);
	gmem_destroy(&f->mem);
	close(f->log.fd);
	unlink(f->logpath);
	free(f);
}

/* Post one chain of n buffers at gpa[i] (len[i] bytes, device-writable if `write`) on
 * queue q, descriptors 0..n-1, and kick. */
static void post(struct fx *f, unsigned q, const uint64_t *gpa, const uint32_t *len, unsigned n,
		 bool write)
{
	struct virtqueue *vq = &f->dev->vqs[q];
	uint16_t *avail = (uint16_t *)gp(f, vq->avail_gpa, 4 + 2 * 16);

	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = gp(f, vq->desc_gpa + 16 * i, 16);
		uint64_t a = htole64(gpa[i]);
		uint32_t l = htole32(len[i]);
		uint16_t flags = htole16((write ? VRING_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		uint16_t next = htole16((uint16_t)(i + 1));

		memcpy(d, &a, 8);
		memcpy(d + 8, &l, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	avail[2 + f->avail_idx[q] % 16] = 0;
	__atomic_store_n(&avail[1], htole16(++f->avail_idx[q]), __ATOMIC_RELEASE);
	f->dev->ops->queue_notify(f->dev, q);
}

/* How many used elements q has that the test has not seen. */
static unsigned used_new(struct fx *f, unsigned q)
{
	uint16_t *used = (uint16_t *)gp(f, f->dev->vqs[q].used_gpa, 4);
	uint16_t idx = le16toh(__atomic_load_n(&used[1], __ATOMIC_ACQUIRE));
	unsigned n = (uint16_t)(idx - f->used_seen[q]);

	f->used_seen[q] = idx;
	return n;
}

/* A PFN buffer (le32s) at BUFS on queue q. */
static void post_pfns(struct fx *f, unsigned q, const uint32_t *pfns, unsigned n)
{
	uint8_t *b = gp(f, BUFS, 4ull * n);
	uint64_t gpa = BUFS;
	uint32_t len = 4 * n;

	for (unsigned i = 0; i < n; i++) {
		uint32_t v = htole32(pfns[i]);

		memcpy(b + 4 * i, &v, 4);
	}
	post(f, q, &gpa, &len, 1, false);
}

static uint64_t ram_bytes_held(struct fx *f)
{
	struct stat st;

	assert_int_equal(fstat(f->mem.memfd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static unsigned log_lines(struct fx *f, const char *needle)
{
	char buf[4096];
	ssize_t n = pread(f->log.fd, buf, sizeof(buf) - 1, 0);
	unsigned count = 0;

	buf[n > 0 ? n : 0] = '\0';
	for (const char *p = buf; (p = strstr(p, needle)); p++)
		count++;
	return count;
}

static void inflate_gives_the_pages_back_to_the_host(void **state)
{
	struct fx *f = fx_new(true);
	uint32_t pfns[512];
	uint64_t before;

	memset(gp(f, 0, MIB), 0, MIB);		/* rings and buffers: held already */
	memset(gp(f, 4 * MIB, 2 * MIB), 0xa5, 2 * MIB);
	before = ram_bytes_held(f);
	for (unsigned i = 0; i < 512; i++)
		pfns[i] = (6 * MIB >> 12) - 1 - i;	/* 4-6 MiB, top down */
	post_pfns(f, VIRTIO_BALLOON_Q_INFLATE, pfns, 512);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_INFLATE), 1);
	assert_true(before - ram_bytes_held(f) >= 2 * MIB);
	assert_int_equal(gp(f, 4 * MIB, 1)[0], 0);	/* a released page reads zero */
	assert_int_equal(gp(f, 6 * MIB - 1, 1)[0], 0);
	/* Deflate: the buffer comes back; the host has nothing to do. */
	post_pfns(f, VIRTIO_BALLOON_Q_DEFLATE, pfns, 512);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_DEFLATE), 1);
	assert_int_equal(log_lines(f, "ignored"), 0);
	fx_free(f);
}

static void pfns_outside_ram_are_ignored_and_logged_once(void **state)
{
	struct fx *f = fx_new(true);
	uint32_t pfns[] = { 0x80, 0x100000, (3 * MIB) >> 12 };

	gp(f, 0x80000, 1)[0] = 0x5a;		/* the loader's low memory */
	gp(f, 3 * MIB, 1)[0] = 0x5a;
	post_pfns(f, VIRTIO_BALLOON_Q_INFLATE, pfns, 3);
	post_pfns(f, VIRTIO_BALLOON_Q_INFLATE, pfns, 3);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_INFLATE), 2);
	assert_int_equal(gp(f, 0x80000, 1)[0], 0x5a);	/* below 1 MiB: kept */
	assert_int_equal(gp(f, 3 * MIB, 1)[0], 0);	/* RAM: released */
	assert_int_equal(log_lines(f, "ignored"), 1);
	assert_false(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	fx_free(f);
}

static void stats_are_held_until_polled(void **state)
{
	struct fx *f = fx_new(true);
	struct virtio_balloon_stats s;
	uint8_t *b = gp(f, BUFS, 30);
	uint64_t gpa = BUFS;
	uint32_t len = 30;

	put_stat(b, VIRTIO_BALLOON_S_MEMTOT, 512ull * MIB);
	put_stat(b + 10, 12, 5);			/* unknown tag: skipped, no error */
	put_stat(b + 20, VIRTIO_BALLOON_S_AVAIL, 100 * MIB);
	assert_false(virtio_balloon_request_stats(f->dev));	/* nothing held yet */
	post(f, VIRTIO_BALLOON_Q_STATS, &gpa, &len, 1, false);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_STATS), 0);	/* held */
	virtio_balloon_get_stats(f->dev, &s);
	assert_int_equal(s.value[VIRTIO_BALLOON_S_MEMTOT], 512ull * MIB);
	assert_int_equal(s.value[VIRTIO_BALLOON_S_AVAIL], 100 * MIB);
	assert_true(s.value[VIRTIO_BALLOON_S_SWAP_IN] == VIRTIO_BALLOON_STAT_UNSET);
	assert_true(s.last_update > 0);
	assert_true(virtio_balloon_request_stats(f->dev));
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_STATS), 1);
	assert_false(virtio_balloon_request_stats(f->dev));
	/* The next report replaces every value: MEMTOT was not sent again. */
	put_stat(b, VIRTIO_BALLOON_S_SWAP_IN, 3);
	len = 10;
	post(f, VIRTIO_BALLOON_Q_STATS, &gpa, &len, 1, false);
	virtio_balloon_get_stats(f->dev, &s);
	assert_int_equal(s.value[VIRTIO_BALLOON_S_SWAP_IN], 3);
	assert_true(s.value[VIRTIO_BALLOON_S_MEMTOT] == VIRTIO_BALLOON_STAT_UNSET);
	/* A reset drops the held buffer (the ring is gone). */
	f->dev->ops->reset(f->dev);
	assert_false(virtio_balloon_request_stats(f->dev));
	assert_false(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	fx_free(f);
}

static uint32_t cfg32(struct fx *f, uint32_t off)
{
	uint32_t v;

	f->dev->ops->config_read(f->dev, off, &v, 4);
	return le32toh(v);
}

static void config_target_and_actual(void **state)
{
	struct fx *f = fx_new(true);
	uint32_t v = htole32(1234), t = htole32(77);

	virtio_balloon_set_num_pages(f->dev, 98304);
	assert_int_equal(cfg32(f, 0), 98304);
	assert_int_equal(f->config_irqs, 1);
	assert_int_equal(f->dev->config_generation, 1);
	f->dev->ops->config_write(f->dev, 4, &v, 4);
	f->dev->ops->config_write(f->dev, 4, &v, 4);	/* unchanged: no second event */
	f->dev->ops->config_write(f->dev, 0, &t, 4);	/* num_pages is the host's */
	assert_int_equal(f->n_actual, 1);
	assert_int_equal(f->actual_seen[0], 1234);
	assert_int_equal(virtio_balloon_actual(f->dev), 1234);
	assert_int_equal(cfg32(f, 0), 98304);
	assert_int_equal(cfg32(f, 4), 1234);
	/* The target and actual survive a device reset, as in QEMU. */
	f->dev->ops->reset(f->dev);
	assert_int_equal(cfg32(f, 0), 98304);
	assert_int_equal(virtio_balloon_actual(f->dev), 1234);
	fx_free(f);
}

static void reported_free_pages_are_released_unless_poisoned(void **state)
{
	struct fx *f = fx_new(true);
	uint64_t gpa[2] = { 2 * MIB, 5 * MIB + 512 };
	uint32_t len[2] = { MIB, PAGE }, poison = htole32(0xaa);

	memset(gp(f, 2 * MIB, MIB), 1, MIB);
	memset(gp(f, 5 * MIB, 2 * PAGE), 1, 2 * PAGE);
	post(f, VIRTIO_BALLOON_Q_REPORTING, gpa, len, 2, true);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_REPORTING), 1);
	assert_int_equal(gp(f, 2 * MIB, 1)[0], 0);		/* released */
	assert_int_equal(gp(f, 5 * MIB + 512, 1)[0], 1);	/* unaligned: kept */
	/* With a poison value the guest wants its pattern back: nothing is released. */
	memset(gp(f, 2 * MIB, MIB), 1, MIB);
	f->dev->ops->config_write(f->dev, 12, &poison, 4);
	post(f, VIRTIO_BALLOON_Q_REPORTING, gpa, len, 1, true);
	assert_int_equal(used_new(f, VIRTIO_BALLOON_Q_REPORTING), 1);
	assert_int_equal(gp(f, 2 * MIB, 1)[0], 1);
	fx_free(f);
}

static void a_broken_ring_sets_needs_reset(void **state)
{
	struct fx *f = fx_new(false);
	uint64_t gpa = 1ull << 40;	/* outside RAM */
	uint32_t len = 1024;

	post(f, VIRTIO_BALLOON_Q_INFLATE, &gpa, &len, 1, false);
	assert_true(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	assert_false(f->dev->ops->features(f->dev) & (1ull << VIRTIO_BALLOON_F_PAGE_POISON));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pfns_become_sorted_merged_ranges),
		cmocka_unit_test(descending_pfns_make_one_range),
		cmocka_unit_test(ranges_outside_ram_are_skipped),
		cmocka_unit_test(stats_keep_known_tags_and_skip_unknown_ones),
		cmocka_unit_test(inflate_gives_the_pages_back_to_the_host),
		cmocka_unit_test(pfns_outside_ram_are_ignored_and_logged_once),
		cmocka_unit_test(stats_are_held_until_polled),
		cmocka_unit_test(config_target_and_actual),
		cmocka_unit_test(reported_free_pages_are_released_unless_poisoned),
		cmocka_unit_test(a_broken_ring_sets_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
