/* virtio-blk (virtio 1.x §5.2): one raw image, 1..64 request queues.
 *
 * A request is a chain: a 16-byte header {le32 type, le32 reserved, le64 sector} in
 * the readable part, then data (readable for writes, writable for reads), and the
 * status byte as the LAST writable byte (§5.2.6). The framing is free (§2.6.4): the
 * header, data and status may share or split descriptors any way, so everything here
 * works on byte offsets over the chain's iovecs, never on descriptor counts.
 *
 * Requests are processed synchronously, in the thread that kicked the queue (a vCPU
 * thread or the I/O thread), one queue lock each. TODO(perf): the issue asks to
 * measure io_uring against a thread pool before this goes asynchronous; until then a
 * slow disk stalls the vCPU that kicked, as QEMU's aio=threads does not. */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/blk.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define BLK_HDR_SIZE 16
#define BLK_SEG_SIZE 16		/* struct virtio_blk_discard_write_zeroes */

struct blk_queue {
	pthread_mutex_t lock;		/* one processing thread per queue at a time */
	struct vq_chain chain;
	struct iovec data[VQ_MAX_SEGS];	/* the data part of the current request */
};

struct virtio_blk {
	struct vdev vdev;		/* first: container_of by cast */
	struct raw_image *img;
	bool readonly;
	uint64_t capacity;		/* 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];	/* zero-padded, not NUL-terminated when full */
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	bool io_error_logged;		/* host I/O errors: the first at warning level */
	struct blk_queue *queues;	/* vdev.nqueues of them */
};

/* What one request looks like after parsing the chain. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint8_t *status;		/* the last writable byte */
	uint64_t data_in;		/* writable bytes before the status byte */
	uint64_t data_out;		/* readable bytes after the header */
};

static struct virtio_blk *to_blk(struct vdev *vdev)
{
	return (struct virtio_blk *)vdev;
}

static uint64_t blk_features(struct vdev *vdev)
{
	struct virtio_blk *b = to_blk(vdev);
	uint64_t f = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		     1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_DISCARD |
		     1ULL << VIRTIO_BLK_F_WRITE_ZEROES;

	if (b->readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	if (vdev->nqueues > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	return f;
}

static bool blk_set_features(struct vdev *vdev, uint64_t features)
{
	return true;	/* every subset works: without MQ the driver just uses queue 0 */
}

static void blk_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, to_blk(vdev)->config + off, len);
}

static void blk_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	/* Nothing is writable: no CONFIG_WCE (the cache is always writeback + FLUSH). */
}

static void put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* The config space never changes after creation (no resize yet). */
static void blk_build_config(struct virtio_blk *b, unsigned queue_size)
{
	uint8_t *c = b->config;
	unsigned segs = queue_size < VQ_MAX_SEGS ? queue_size : VQ_MAX_SEGS;

	memset(c, 0, sizeof(b->config));
	put_le64(c + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
	/* Linux adds 2 descriptors (header, status) to seg_max: keep the whole chain
	 * within both the ring and what vq_pop accepts. */
	put_le32(c + VIRTIO_BLK_CFG_SEG_MAX, segs - 2);
	put_le32(c + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE);
	put_le16(c + VIRTIO_BLK_CFG_NUM_QUEUES, (uint16_t)b->vdev.nqueues);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
	put_le32(c + VIRTIO_BLK_CFG_DISCARD_ALIGNMENT, VIRTIO_BLK_DISCARD_ALIGNMENT);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, 1);
	c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

/* Copy the iovecs covering bytes [skip, skip+len) of src[0..n) into dst. Returns the
 * number of dst entries (at most n). */
static unsigned iov_slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
			  struct iovec *dst)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len > 0; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[k].iov_base = (char *)src[i].iov_base + skip;
		dst[k].iov_len = l - skip < len ? l - skip : (size_t)len;
		len -= dst[k].iov_len;
		skip = 0;
		k++;
	}
	return k;
}

/* Is [sector, sector+n) on the disk? Overflow-safe. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

/* A host-side I/O failure: IOERR for the guest, one warning in the log. */
static uint8_t blk_io_failed(struct virtio_blk *b, struct err *e)
{
	log_err(b->vdev.log, b->io_error_logged ? VLOG_DEBUG : VLOG_WARNING, e);
	b->io_error_logged = true;
	err_free(e);
	return VIRTIO_BLK_S_IOERR;
}

/* IN / OUT: data is whole sectors. Returns the status. */
static uint8_t blk_rw(struct virtio_blk *b, struct blk_queue *q, const struct blk_req *r)
{
	const struct vq_chain *c = &q->chain;
	bool write = r->type == VIRTIO_BLK_T_OUT;
	uint64_t len = write ? r->data_out : r->data_in;
	struct err *e = NULL;
	unsigned n;
	int rc;

	if (len % VIRTIO_BLK_SECTOR_SIZE != 0 ||
	    !blk_range_ok(b, r->sector, len / VIRTIO_BLK_SECTOR_SIZE))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (write) {
		n = iov_slice(c->iov, c->n_out, BLK_HDR_SIZE, len, q->data);
		rc = raw_pwritev(b->img, q->data, n, r->sector * VIRTIO_BLK_SECTOR_SIZE, &e);
	} else {
		n = iov_slice(c->iov + c->n_out, c->n_in, 0, len, q->data);
		rc = raw_preadv(b->img, q->data, n, r->sector * VIRTIO_BLK_SECTOR_SIZE, &e);
	}
	return rc < 0 ? blk_io_failed(b, e) : VIRTIO_BLK_S_OK;
}

/* DISCARD / WRITE_ZEROES: exactly one 16-byte segment {le64 sector, le32 num_sectors,
 * le32 flags}, as max_*_seg says (QEMU answers UNSUPP to more, so do we). */
static uint8_t blk_discard_wz(struct virtio_blk *b, struct blk_queue *q,
			      const struct blk_req *r)
{
	uint8_t seg[BLK_SEG_SIZE];
	uint64_t sector;
	uint32_t nsect, flags;
	bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	struct err *e = NULL;
	int rc;

	if (r->data_out == 0 || r->data_out % BLK_SEG_SIZE != 0)
		return VIRTIO_BLK_S_IOERR;
	if (r->data_out > BLK_SEG_SIZE)
		return VIRTIO_BLK_S_UNSUPP;
	vq_copy_from_out(&q->chain, BLK_HDR_SIZE, seg, sizeof(seg));
	memcpy(&sector, seg, 8);
	memcpy(&nsect, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	sector = le64toh(sector);
	nsect = le32toh(nsect);
	flags = le32toh(flags);
	/* §5.2.6.2: unknown flags, or UNMAP on a discard, are UNSUPP. */
	if (flags & ~(uint32_t)(wz ? VIRTIO_BLK_WZ_F_UNMAP : 0))
		return VIRTIO_BLK_S_UNSUPP;
	if (nsect > VIRTIO_BLK_MAX_DISCARD_SECTORS || !blk_range_ok(b, sector, nsect) ||
	    b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (wz)
		rc = raw_write_zeroes(b->img, sector * VIRTIO_BLK_SECTOR_SIZE,
				      (uint64_t)nsect * VIRTIO_BLK_SECTOR_SIZE,
				      flags & VIRTIO_BLK_WZ_F_UNMAP, &e);
	else
		rc = raw_discard(b->img, sector * VIRTIO_BLK_SECTOR_SIZE,
				 (uint64_t)nsect * VIRTIO_BLK_SECTOR_SIZE, &e);
	return rc < 0 ? blk_io_failed(b, e) : VIRTIO_BLK_S_OK;
}

/* Carry out a parsed request. Returns the status byte's value. */
static uint8_t blk_execute(struct virtio_blk *b, struct blk_queue *q, const struct blk_req *r)
{
	struct err *e = NULL;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_rw(b, q, r);
	case VIRTIO_BLK_T_FLUSH:
		if (raw_flush(b->img, &e) < 0)
			return blk_io_failed(b, e);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		/* §5.2.6: 20 bytes, NUL-padded; a shorter buffer gets what fits. */
		vq_copy_to_in(&q->chain, 0, b->serial,
			      r->data_in < sizeof(b->serial) ? r->data_in : sizeof(b->serial));
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_discard_wz(b, q, r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* The status byte: the last byte of the last non-empty writable buffer, or NULL. */
static uint8_t *blk_status_byte(const struct vq_chain *c)
{
	for (unsigned i = c->n_out + c->n_in; i > c->n_out; i--) {
		const struct iovec *v = &c->iov[i - 1];

		if (v->iov_len > 0)
			return (uint8_t *)v->iov_base + v->iov_len - 1;
	}
	return NULL;
}

/* Handle the popped chain. Returns the bytes written for vq_push, or -1 if the chain
 * has no status byte (the caller marks the device NEEDS_RESET). */
static int64_t blk_handle_chain(struct virtio_blk *b, struct blk_queue *q)
{
	const struct vq_chain *c = &q->chain;
	struct blk_req r = { 0 };
	uint8_t hdr[BLK_HDR_SIZE];

	r.status = blk_status_byte(c);
	if (!r.status)
		return -1;
	r.data_in = c->in_len - 1;
	if (c->out_len < BLK_HDR_SIZE) {
		log_debug(b->vdev.log, "%s: request header is %llu bytes, want %d", b->vdev.name,
			  (unsigned long long)c->out_len, BLK_HDR_SIZE);
		*r.status = VIRTIO_BLK_S_IOERR;
		return (int64_t)c->in_len;
	}
	r.data_out = c->out_len - BLK_HDR_SIZE;
	vq_copy_from_out(c, 0, hdr, sizeof(hdr));
	memcpy(&r.type, hdr, 4);
	memcpy(&r.sector, hdr + 8, 8);
	r.type = le32toh(r.type);
	r.sector = le64toh(r.sector);
	*r.status = blk_execute(b, q, &r);
	/* Like QEMU: the whole writable part counts as written (data, then status). */
	return (int64_t)c->in_len;
}

/* The guest broke the ring or sent a chain we cannot answer: NEEDS_RESET. */
static void blk_broken(struct virtio_blk *b, unsigned qidx, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), _("queue %u: %s"), qidx, why);
	vdev_set_needs_reset(&b->vdev, msg);
}

/* Pop and complete up to one ring's worth of requests. Returns how many, or -1 once
 * the queue is broken. */
static int blk_process_round(struct virtio_blk *b, unsigned qidx)
{
	struct virtqueue *vq = &b->vdev.vqs[qidx];
	struct blk_queue *q = &b->queues[qidx];
	int done = 0;

	while (done < vq->size) {
		struct err *e = NULL;
		int r = vq_pop(vq, &q->chain, &e);
		int64_t written;

		if (r == 0)
			break;
		if (r < 0) {
			blk_broken(b, qidx, e ? e->message : "?");
			err_free(e);
			return done ? done : -1;
		}
		written = blk_handle_chain(b, q);
		if (written < 0) {
			blk_broken(b, qidx, _("a request has no writable status byte"));
			written = 0;
		}
		vq_push(vq, q->chain.head, (uint32_t)written);
		done++;
	}
	return done;
}

static void blk_queue_notify(struct vdev *vdev, unsigned qidx)
{
	struct virtio_blk *b = to_blk(vdev);
	struct virtqueue *vq;

	if (qidx >= vdev->nqueues)
		return;
	vq = &vdev->vqs[qidx];
	pthread_mutex_lock(&b->queues[qidx].lock);
	for (;;) {
		int n;

		vq_disable_kicks(vq);
		n = blk_process_round(b, qidx);
		if (n > 0)
			vdev_notify_queue(vdev, qidx);
		if (n < 0 || vq->broken)
			break;
		/* A full round may have left more behind: look again (kicks stay off);
		 * otherwise re-enable kicks and catch what raced in meanwhile. */
		if (n < vq->size && !vq_enable_kicks(vq))
			break;
	}
	pthread_mutex_unlock(&b->queues[qidx].lock);
}

/* Buffers the driver queued before DRIVER_OK were not kicked for (the transport drops
 * those kicks): look at every ring once. */
static void blk_driver_ok(struct vdev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_notify(vdev, i);
}

static void blk_reset(struct vdev *vdev)
{
	struct virtio_blk *b = to_blk(vdev);

	/* Requests complete synchronously: taking each lock waits out one in progress. */
	for (unsigned i = 0; i < vdev->nqueues; i++) {
		pthread_mutex_lock(&b->queues[i].lock);
		pthread_mutex_unlock(&b->queues[i].lock);
	}
	b->io_error_logged = false;
}

static const struct vdev_ops virtio_blk_ops = {
	.name = "virtio-blk-pci",
	.device_id = VIRTIO_ID_BLOCK,
	.features = blk_features,
	.set_features = blk_set_features,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.queue_notify = blk_queue_notify,
	.driver_ok = blk_driver_ok,
	.reset = blk_reset,
};

/* Check num-queues and queue-size. Returns 0 or -1. */
static int blk_check_opts(const struct virtio_blk_opts *o, unsigned nq, unsigned qs,
			  struct err **errp)
{
	if (nq < 1 || nq > VDEV_MAX_QUEUES)
		return err_set(errp, ERR_RANGE,
			       _("virtio-blk: num-queues=%u is out of range (1 to %u)"), nq,
			       VDEV_MAX_QUEUES);
	if (qs < 4 || qs > VIRTIO_BLK_MAX_QUEUE_SIZE || (qs & (qs - 1)) != 0)
		return err_set(errp, ERR_RANGE,
			       _("virtio-blk: queue-size=%u must be a power of 2 from 4 to %u"),
			       qs, VIRTIO_BLK_MAX_QUEUE_SIZE);
	if (!o->readonly && raw_readonly(o->img))
		return err_set(errp, ERR_INVALID,
			       _("virtio-blk: %s was opened read-only but the disk is read-write"),
			       raw_name(o->img));
	return 0;
}

struct vdev *virtio_blk_new(const struct virtio_blk_opts *o, const struct gmem *mem,
			    const struct logger *log, struct err **errp)
{
	unsigned nq = o->num_queues ? o->num_queues : 1;
	unsigned qs = o->queue_size ? o->queue_size : VIRTIO_BLK_DEFAULT_QUEUE_SIZE;
	struct virtio_blk *b;

	if (!o->img)
		return err_set(errp, ERR_INTERNAL, "virtio-blk: no image"), NULL;
	if (blk_check_opts(o, nq, qs, errp) < 0)
		return NULL;
	b = xzalloc(sizeof(*b));
	vdev_init(&b->vdev, &virtio_blk_ops, mem, log, nq, (uint16_t)qs, VIRTIO_BLK_CONFIG_SIZE);
	b->img = o->img;
	b->readonly = o->readonly;
	/* A trailing partial sector is not addressable, as in QEMU (which rounds down). */
	b->capacity = raw_size(o->img) / VIRTIO_BLK_SECTOR_SIZE;
	/* Zero-padded; all 20 bytes used means no NUL (§5.2.6). */
	memcpy(b->serial, o->serial, strnlen(o->serial, sizeof(b->serial)));
	b->queues = xcalloc(nq, sizeof(*b->queues));
	for (unsigned i = 0; i < nq; i++)
		pthread_mutex_init(&b->queues[i].lock, NULL);
	blk_build_config(b, qs);
	return &b->vdev;
}

void virtio_blk_free(struct vdev *vdev)
{
	struct virtio_blk *b;

	if (!vdev)
		return;
	b = to_blk(vdev);
	for (unsigned i = 0; i < vdev->nqueues; i++)
		pthread_mutex_destroy(&b->queues[i].lock);
	free(b->queues);
	raw_close(b->img);
	pthread_mutex_destroy(&vdev->lock);
	free(b);
}
