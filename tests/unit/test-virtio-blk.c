/* Unit tests: drivers/virtio/blk (virtio-blk) and drivers/block/raw, driven through
 * real split rings in guest memory, as a guest driver would. */
#include "tests/unit/unit.h"

#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/block/raw.h"
#include "drivers/virtio/blk.h"
#include "lib/util/mem.h"

#define RAM_SIZE	(8u << 20)
#define RING_BASE	0x10000u	/* queue q's rings at RING_BASE + q * RING_STRIDE */
#define RING_STRIDE	0x10000u
#define DATA_BASE	0x200000u
#define IMG_SECTORS	64

/* ---- a tiny split-ring driver ---- */

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
	unsigned notified[VDEV_MAX_QUEUES];
	uint16_t avail_idx[VDEV_MAX_QUEUES], used_seen[VDEV_MAX_QUEUES];
	uint16_t next_desc[VDEV_MAX_QUEUES];
	uint64_t bump;
	char *dir;
	char path[512];
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

/* Attach the fake transport and make every queue live, as the transport would after
 * DRIVER_OK. */
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

/* Queue a chain on q (not kicked). Returns its head. */
static uint16_t ring_add(struct fx *f, unsigned q, const struct seg *s, unsigned n)
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
	return head;
}

/* The next used element of q: true with *head and *len, false if none. */
static bool ring_used(struct fx *f, unsigned q, uint32_t *head, uint32_t *len)
{
	uint16_t size = f->dev->vqs[q].size;
	uint8_t *used = gptr(f, used_gpa(q), 4 + 8u * size);
	uint16_t idx = __atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE);

	if (idx == f->used_seen[q])
		return false;
	memcpy(head, used + 4 + 8u * (f->used_seen[q] % size), 4);
	memcpy(len, used + 8 + 8u * (f->used_seen[q] % size), 4);
	f->used_seen[q]++;
	return true;
}

/* ---- fixture: a temp image of IMG_SECTORS sectors filled with a pattern ---- */

static uint8_t pattern_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static struct fx *fx_new(uint64_t img_bytes)
{
	struct fx *f = xzalloc(sizeof(*f));
	struct err *e = NULL;
	uint8_t *buf = xmalloc(img_bytes);
	int fd;

	assert_int_equal(gmem_init(&f->mem, RAM_SIZE, &e), 0);
	f->log.level = VLOG_ERROR;
	f->log.fd = 2;
	f->bump = DATA_BASE;
	f->dir = make_temp_dir();
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	for (uint64_t i = 0; i < img_bytes; i++)
		buf[i] = pattern_byte(i);
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, img_bytes), (ssize_t)img_bytes);
	close(fd);
	free(buf);
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_blk_free(f->dev);
	gmem_destroy(&f->mem);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
}

/* A device on the fixture's image. */
static struct vdev *blk_on(struct fx *f, bool readonly, unsigned nq, const char *serial)
{
	struct err *e = NULL;
	struct virtio_blk_opts o = { .readonly = readonly, .num_queues = nq };
	struct vdev *d;

	o.img = raw_open(f->path, readonly, &e);
	assert_non_null(o.img);
	snprintf(o.serial, sizeof(o.serial), "%s", serial ? serial : "");
	d = virtio_blk_new(&o, &f->mem, &f->log, &e);
	assert_non_null(d);
	fx_attach(f, d, d->ops->features(d) | 1ULL << VIRTIO_F_VERSION_1);
	return d;
}

static void file_read(struct fx *f, uint64_t off, void *buf, size_t len)
{
	int fd = open(f->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

struct blk_result {
	uint8_t status;
	uint32_t used_len;
};

/* Send one request on q: header, `len` data bytes (device-writable for `dev_writes`),
 * status byte; kick; collect. `data` is copied in before and out after. */
static struct blk_result blk_req(struct fx *f, unsigned q, uint32_t type, uint64_t sector,
				 void *data, uint32_t len, bool dev_writes)
{
	uint8_t hdr[16] = { 0 };
	uint64_t hg = galloc(f, 16), dg = len ? galloc(f, len) : 0, sg = galloc(f, 1);
	struct seg s[3];
	unsigned n = 0;
	struct blk_result r;
	uint32_t head;

	type = htole32(type);
	sector = htole64(sector);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	assert_int_equal(gmem_write(&f->mem, hg, hdr, 16), 0);
	*(uint8_t *)gptr(f, sg, 1) = 0xee;
	s[n++] = (struct seg){ hg, 16, false };
	if (len) {
		assert_int_equal(gmem_write(&f->mem, dg, data, len), 0);
		s[n++] = (struct seg){ dg, len, dev_writes };
	}
	s[n++] = (struct seg){ sg, 1, true };
	ring_add(f, q, s, n);
	f->dev->ops->queue_notify(f->dev, q);
	assert_true(ring_used(f, q, &head, &r.used_len));
	if (len && dev_writes)
		assert_int_equal(gmem_read(&f->mem, dg, data, len), 0);
	r.status = *(uint8_t *)gptr(f, sg, 1);
	return r;
}

static uint32_t cfg32(struct vdev *d, uint32_t off)
{
	uint32_t v;

	d->ops->config_read(d, off, &v, 4);
	return le32toh(v);
}

static uint8_t *pattern(size_t len, uint8_t seed)
{
	uint8_t *p = xmalloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
	return p;
}

/* ---- tests ---- */

static void write_then_read_round_trips_through_the_file(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t *out = pattern(1024, 5), in[1024], file[1024];
	struct blk_result r;

	blk_on(f, false, 1, NULL);
	r = blk_req(f, 0, VIRTIO_BLK_T_OUT, 3, out, 1024, false);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	file_read(f, 3 * 512, file, 1024);
	assert_memory_equal(file, out, 1024);
	memset(in, 0, sizeof(in));
	r = blk_req(f, 0, VIRTIO_BLK_T_IN, 3, in, 1024, true);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 1025);
	assert_memory_equal(in, out, 1024);
	/* The sector before is untouched. */
	r = blk_req(f, 0, VIRTIO_BLK_T_IN, 2, in, 512, true);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(in[i], pattern_byte(2 * 512 + i));
	assert_true(f->notified[0] >= 3);
	free(out);
	fx_free(f);
}

static void capacity_of_an_odd_size_image_counts_whole_sectors(void **state)
{
	struct fx *f = fx_new(10 * 512 + 100);
	struct vdev *d = blk_on(f, false, 1, NULL);
	uint64_t cap;
	uint16_t nq;
	uint8_t buf[512];
	uint64_t feat = d->ops->features(d);

	d->ops->config_read(d, VIRTIO_BLK_CFG_CAPACITY, &cap, 8);
	assert_int_equal(le64toh(cap), 10);
	assert_int_equal(cfg32(d, VIRTIO_BLK_CFG_BLK_SIZE), 512);
	assert_int_equal(cfg32(d, VIRTIO_BLK_CFG_SEG_MAX), 254);
	assert_int_equal(cfg32(d, VIRTIO_BLK_CFG_MAX_DISCARD_SEG), 1);
	assert_int_equal(cfg32(d, VIRTIO_BLK_CFG_MAX_WZ_SEG), 1);
	d->ops->config_read(d, VIRTIO_BLK_CFG_NUM_QUEUES, &nq, 2);
	assert_int_equal(le16toh(nq), 1);
	assert_true(feat & 1ULL << VIRTIO_BLK_F_FLUSH);
	assert_true(feat & 1ULL << VIRTIO_BLK_F_DISCARD);
	assert_true(feat & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_false(feat & 1ULL << VIRTIO_BLK_F_RO);
	assert_false(feat & 1ULL << VIRTIO_BLK_F_MQ);
	/* The last whole sector reads; the partial one is past the end. */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, 9, buf, 512, true).status,
			 VIRTIO_BLK_S_OK);
	assert_int_equal(buf[0], pattern_byte(9 * 512));
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, 10, buf, 512, true).status,
			 VIRTIO_BLK_S_IOERR);
	fx_free(f);
}

static void flush_succeeds(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);

	blk_on(f, false, 1, NULL);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false).status,
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

static void get_id_returns_the_serial_nul_padded(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	char id[20];
	struct blk_result r;

	blk_on(f, false, 1, "disk-7");
	memset(id, 'x', sizeof(id));
	r = blk_req(f, 0, VIRTIO_BLK_T_GET_ID, 0, id, 20, true);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_memory_equal(id, "disk-7\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	fx_free(f);
}

static void get_id_with_a_full_20_byte_serial_has_no_nul(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	char id[20];

	blk_on(f, false, 1, "ABCDEFGHIJKLMNOPQRST");
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_GET_ID, 0, id, 20, true).status,
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(id, "ABCDEFGHIJKLMNOPQRST", 20);
	fx_free(f);
}

/* One discard / write-zeroes segment. */
static void make_seg(uint8_t seg[16], uint64_t sector, uint32_t n, uint32_t flags)
{
	sector = htole64(sector);
	n = htole32(n);
	flags = htole32(flags);
	memcpy(seg, &sector, 8);
	memcpy(seg + 8, &n, 4);
	memcpy(seg + 12, &flags, 4);
}

static void assert_file_zero(struct fx *f, uint64_t off, size_t len)
{
	uint8_t *b = xmalloc(len);

	file_read(f, off, b, len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(b[i], 0);
	free(b);
}

static void discard_punches_the_range_and_keeps_the_size(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t seg[16], b[1];
	struct stat st;

	blk_on(f, false, 1, NULL);
	make_seg(seg, 8, 16, 0);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_OK);
	assert_file_zero(f, 8 * 512, 16 * 512);
	file_read(f, 24 * 512, b, 1);
	assert_int_equal(b[0], pattern_byte(24 * 512));
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SECTORS * 512);
	fx_free(f);
}

static void write_zeroes_zeroes_with_and_without_unmap(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t seg[16], b[1];

	blk_on(f, false, 1, NULL);
	make_seg(seg, 1, 2, 0);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_OK);
	assert_file_zero(f, 512, 1024);
	make_seg(seg, 40, 3, VIRTIO_BLK_WZ_F_UNMAP);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_OK);
	assert_file_zero(f, 40 * 512, 3 * 512);
	file_read(f, 3 * 512, b, 1);
	assert_int_equal(b[0], pattern_byte(3 * 512));
	fx_free(f);
}

static void discard_flags_and_extra_segments_are_unsupported(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t seg[32];

	blk_on(f, false, 1, NULL);
	make_seg(seg, 0, 1, VIRTIO_BLK_WZ_F_UNMAP);	/* UNMAP is for write-zeroes only */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_UNSUPP);
	make_seg(seg, 0, 1, 4);				/* an unknown flag */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_UNSUPP);
	make_seg(seg, 0, 1, 0);
	make_seg(seg + 16, 4, 1, 0);			/* max_discard_seg is 1 */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 32, false).status,
			 VIRTIO_BLK_S_UNSUPP);
	make_seg(seg, IMG_SECTORS - 1, 2, 0);		/* past the end */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 8, false).status,
			 VIRTIO_BLK_S_IOERR);		/* half a segment */
	fx_free(f);
}

static void read_only_disk_refuses_writes_but_reads(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	struct vdev *d = blk_on(f, true, 1, NULL);
	uint8_t *out = pattern(512, 9), in[512], seg[16];

	assert_true(d->ops->features(d) & 1ULL << VIRTIO_BLK_F_RO);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_OUT, 0, out, 512, false).status,
			 VIRTIO_BLK_S_IOERR);
	make_seg(seg, 0, 1, 0);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, false).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, 0, in, 512, true).status,
			 VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(in[i], pattern_byte(i));
	file_read(f, 0, in, 512);
	assert_int_equal(in[0], pattern_byte(0));
	free(out);
	fx_free(f);
}

static void out_of_range_sectors_are_io_errors(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t buf[1024];

	blk_on(f, false, 1, NULL);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, IMG_SECTORS, buf, 512, true).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, buf, 1024, true).status,
			 VIRTIO_BLK_S_IOERR);
	/* sector * 512 and sector + n overflow 64 bits. */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_OUT, UINT64_MAX, buf, 512, false).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, buf, 512,
				 false).status, VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, buf, 512, true).status,
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

static void unknown_request_types_are_unsupported(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t buf[512];

	blk_on(f, false, 1, NULL);
	assert_int_equal(blk_req(f, 0, 0x1234, 0, NULL, 0, false).status, VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_GET_LIFETIME, 0, buf, 16, true).status,
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_SECURE_ERASE, 0, buf, 16, false).status,
			 VIRTIO_BLK_S_UNSUPP);
	fx_free(f);
}

static void malformed_requests_get_ioerr_when_they_have_a_status_byte(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t buf[700];
	uint64_t hg = galloc(f, 8), sg = galloc(f, 1);
	struct seg s[2] = { { hg, 8, false }, { sg, 1, true } };
	uint32_t head, len;

	blk_on(f, false, 1, NULL);
	/* Data that is not whole sectors. */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, 0, buf, 700, true).status,
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_OUT, 0, buf, 100, false).status,
			 VIRTIO_BLK_S_IOERR);
	/* A header of 8 bytes. */
	memset(gptr(f, hg, 8), 0, 8);
	ring_add(f, 0, s, 2);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &head, &len));
	assert_int_equal(*(uint8_t *)gptr(f, sg, 1), VIRTIO_BLK_S_IOERR);
	assert_false(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	fx_free(f);
}

static void a_chain_without_a_writable_byte_needs_reset(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint64_t hg = galloc(f, 16);
	struct seg s[1] = { { hg, 16, false } };
	uint32_t head, len;
	uint8_t buf[512];

	blk_on(f, false, 1, NULL);
	memset(gptr(f, hg, 16), 0, 16);
	ring_add(f, 0, s, 1);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &head, &len));
	assert_int_equal(len, 0);
	assert_true(f->dev->status & VIRTIO_STATUS_NEEDS_RESET);
	/* The device carries on: the next good request still works. */
	assert_int_equal(blk_req(f, 0, VIRTIO_BLK_T_IN, 0, buf, 512, true).status,
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

static void status_byte_may_share_a_buffer_with_the_data(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint8_t hdr[16] = { 0 };
	uint64_t hg = galloc(f, 16), dg = galloc(f, 512 + 1);
	struct seg s[2] = { { hg, 16, false }, { dg, 513, true } };
	uint32_t head, len;
	uint64_t sector = htole64(5);
	uint8_t *p;

	blk_on(f, false, 1, NULL);
	memcpy(hdr + 8, &sector, 8);		/* type 0 = IN */
	assert_int_equal(gmem_write(&f->mem, hg, hdr, 16), 0);
	ring_add(f, 0, s, 2);
	f->dev->ops->queue_notify(f->dev, 0);
	assert_true(ring_used(f, 0, &head, &len));
	assert_int_equal(len, 513);
	p = gptr(f, dg, 513);
	assert_int_equal(p[512], VIRTIO_BLK_S_OK);
	assert_int_equal(p[0], pattern_byte(5 * 512));
	assert_int_equal(p[511], pattern_byte(5 * 512 + 511));
	fx_free(f);
}

static void several_requests_in_one_kick_complete_with_one_interrupt(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	uint64_t sg[5];
	uint32_t head, len;

	blk_on(f, false, 1, NULL);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t hg = galloc(f, 16), dg = galloc(f, 512);
		uint8_t hdr[16] = { 0 };
		uint64_t sector = htole64(i);
		struct seg s[3];

		sg[i] = galloc(f, 1);
		memcpy(hdr + 8, &sector, 8);
		assert_int_equal(gmem_write(&f->mem, hg, hdr, 16), 0);
		s[0] = (struct seg){ hg, 16, false };
		s[1] = (struct seg){ dg, 512, true };
		s[2] = (struct seg){ sg[i], 1, true };
		ring_add(f, 0, s, 3);
	}
	f->dev->ops->queue_notify(f->dev, 0);
	for (unsigned i = 0; i < 5; i++) {
		assert_true(ring_used(f, 0, &head, &len));
		assert_int_equal(*(uint8_t *)gptr(f, sg[i], 1), VIRTIO_BLK_S_OK);
	}
	assert_false(ring_used(f, 0, &head, &len));
	assert_int_equal(f->notified[0], 1);
	fx_free(f);
}

static void each_of_several_queues_serves_requests(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	struct vdev *d = blk_on(f, false, 4, NULL);
	uint16_t nq;
	uint8_t *out = pattern(512, 77), in[512];

	assert_true(d->ops->features(d) & 1ULL << VIRTIO_BLK_F_MQ);
	d->ops->config_read(d, VIRTIO_BLK_CFG_NUM_QUEUES, &nq, 2);
	assert_int_equal(le16toh(nq), 4);
	assert_int_equal(blk_req(f, 2, VIRTIO_BLK_T_OUT, 7, out, 512, false).status,
			 VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(f, 3, VIRTIO_BLK_T_IN, 7, in, 512, true).status,
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(in, out, 512);
	assert_int_equal(f->notified[0], 0);
	assert_int_equal(f->notified[2], 1);
	assert_int_equal(f->notified[3], 1);
	/* A kick for a queue the device does not have is ignored. */
	d->ops->queue_notify(d, 9);
	free(out);
	fx_free(f);
}

static void bad_options_are_rejected_naming_the_property(void **state)
{
	struct fx *f = fx_new(IMG_SECTORS * 512);
	struct err *e = NULL;
	struct virtio_blk_opts o = { 0 };

	o.img = raw_open(f->path, true, &e);
	assert_non_null(o.img);
	o.queue_size = 100;
	assert_null(virtio_blk_new(&o, &f->mem, &f->log, &e));
	assert_err(e, ERR_RANGE, "queue-size=100");
	o.queue_size = 0;
	o.num_queues = 65;
	assert_null(virtio_blk_new(&o, &f->mem, &f->log, &e));
	assert_err(e, ERR_RANGE, "num-queues=65");
	o.num_queues = 1;
	assert_null(virtio_blk_new(&o, &f->mem, &f->log, &e));	/* rw device, ro image */
	assert_err(e, ERR_INVALID, "read-only");
	raw_close(o.img);
	fx_free(f);
}

static void raw_open_errors_name_the_file(void **state)
{
	struct fx *f = fx_new(512);
	struct err *e = NULL;
	char missing[600];
	int fd;

	snprintf(missing, sizeof(missing), "%s/nope.img", f->dir);
	assert_null(raw_open(missing, false, &e));
	assert_err(e, ERR_NOT_FOUND, "nope.img");
	assert_null(raw_open(f->dir, true, &e));
	assert_non_null(strstr(e->message, f->dir));
	err_clear(&e);
	fd = open(f->path, O_RDONLY);
	assert_null(raw_open_fd(fd, "fd 42", false, &e));
	assert_err(e, ERR_PERM, "fd 42");
	close(fd);
	fx_free(f);
}

static void raw_passed_fd_reads_writes_and_zeroes(void **state)
{
	struct fx *f = fx_new(8 * 512 + 1);
	struct err *e = NULL;
	int fd = open(f->path, O_RDWR);
	struct raw_image *img = raw_open_fd(fd, "fd 7", false, &e);
	uint8_t a[300], b[300];
	struct iovec v[2] = { { a, 100 }, { a + 100, 200 } };
	struct iovec w = { b, 300 };

	assert_non_null(img);
	assert_int_equal(raw_size(img), 8 * 512 + 1);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	memset(a, 0x5a, sizeof(a));
	assert_int_equal(raw_pwritev(img, v, 2, 1000, &e), 0);
	assert_int_equal(raw_preadv(img, &w, 1, 1000, &e), 0);
	assert_memory_equal(a, b, 300);
	assert_int_equal(raw_write_zeroes(img, 1000, 300, false, &e), 0);
	assert_int_equal(raw_preadv(img, &w, 1, 1000, &e), 0);
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(raw_flush(img, &e), 0);
	assert_int_equal(raw_preadv(img, &w, 1, 8 * 512 - 100, &e), -1);
	assert_err(e, ERR_RANGE, "fd 7");
	raw_close(img);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_then_read_round_trips_through_the_file),
		cmocka_unit_test(capacity_of_an_odd_size_image_counts_whole_sectors),
		cmocka_unit_test(flush_succeeds),
		cmocka_unit_test(get_id_returns_the_serial_nul_padded),
		cmocka_unit_test(get_id_with_a_full_20_byte_serial_has_no_nul),
		cmocka_unit_test(discard_punches_the_range_and_keeps_the_size),
		cmocka_unit_test(write_zeroes_zeroes_with_and_without_unmap),
		cmocka_unit_test(discard_flags_and_extra_segments_are_unsupported),
		cmocka_unit_test(read_only_disk_refuses_writes_but_reads),
		cmocka_unit_test(out_of_range_sectors_are_io_errors),
		cmocka_unit_test(unknown_request_types_are_unsupported),
		cmocka_unit_test(malformed_requests_get_ioerr_when_they_have_a_status_byte),
		cmocka_unit_test(a_chain_without_a_writable_byte_needs_reset),
		cmocka_unit_test(status_byte_may_share_a_buffer_with_the_data),
		cmocka_unit_test(several_requests_in_one_kick_complete_with_one_interrupt),
		cmocka_unit_test(each_of_several_queues_serves_requests),
		cmocka_unit_test(bad_options_are_rejected_naming_the_property),
		cmocka_unit_test(raw_open_errors_name_the_file),
		cmocka_unit_test(raw_passed_fd_reads_writes_and_zeroes),
	};

	return cmocka_run_group_tests_name("virtio-blk", tests, NULL, NULL);
}
