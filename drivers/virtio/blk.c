/* virtio-blk (virtio 1.x §5.2): one raw image, 1..64 request queues.
 *
 * A request is a chain: a 16-byte header {le32 type, le32 reserved, le64 sector} in
 * the readable part, then data (readable for writes, writable for reads), and the
 * status byte as the LAST writable byte (§5.2.6). The framing is free (§2.6.4): the
 * header, data and status may share or split descriptors any way, so everything here
 * works on byte offsets over the chain's iovecs, never on descriptor counts.
 *
 * This file parses requests and answers what needs no I/O (GET_ID, bad requests);
 * reads, writes, flushes, discards and write-zeroes go to the queue's back-end
 * (drivers/block/aio.h) from the queue's worker thread (blk_queue.c). */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/blk_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define BLK_HDR_SIZE 16
#define BLK_SEG_SIZE 16		/* struct virtio_blk_discard_write_zeroes */

/* What the header and the chain's lengths say. */
struct blk_hdr {
	uint32_t type;
	uint64_t sector;
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

/* Is [sector, sector+n) on the disk? Overflow-safe. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

/* The back-end finished r: OK, or IOERR with the failure logged (the first one at
 * warning level, the rest at debug: a failing disk must not flood the log). */
uint8_t blk_req_status(struct virtio_blk *b, struct blk_req *r)
{
	struct err *e = r->aio.error;

	if (!e)
		return VIRTIO_BLK_S_OK;
	r->aio.error = NULL;
	log_err(b->vdev.log,
		__atomic_exchange_n(&b->io_error_logged, true, __ATOMIC_RELAXED) ? VLOG_DEBUG
										: VLOG_WARNING,
		e);
	err_free(e);
	return VIRTIO_BLK_S_IOERR;
}

/* Answer r without the back-end. Returns 0 (blk_req_parse's "answered"). */
static int blk_answer(struct blk_req *r, uint8_t status)
{
	r->result = status;
	return 0;
}

/* IN / OUT: data is whole sectors. Returns as blk_req_parse. */
static int blk_parse_rw(struct virtio_blk *b, const struct vq_chain *c, const struct blk_hdr *h,
			struct blk_req *r)
{
	bool write = h->type == VIRTIO_BLK_T_OUT;
	uint64_t len = write ? h->data_out : h->data_in;
	unsigned nsrc = write ? c->n_out : c->n_in;

	if (len % VIRTIO_BLK_SECTOR_SIZE != 0 ||
	    !blk_range_ok(b, h->sector, len / VIRTIO_BLK_SECTOR_SIZE))
		return blk_answer(r, VIRTIO_BLK_S_IOERR);
	if (write && b->readonly)
		return blk_answer(r, VIRTIO_BLK_S_IOERR);
	if (len == 0)
		return blk_answer(r, VIRTIO_BLK_S_OK);
	if (nsrc > BLK_REQ_INLINE_IOV)
		r->iov = xmalloc(nsrc * sizeof(*r->iov));
	if (write)
		r->aio.iovcnt = aio_iov_slice(c->iov, c->n_out, BLK_HDR_SIZE, len, r->iov);
	else
		r->aio.iovcnt = aio_iov_slice(c->iov + c->n_out, c->n_in, 0, len, r->iov);
	r->aio.iov = r->iov;
	r->aio.op = write ? RAW_OP_WRITE : RAW_OP_READ;
	r->aio.off = h->sector * VIRTIO_BLK_SECTOR_SIZE;
	r->aio.len = len;
	return 1;
}

/* DISCARD / WRITE_ZEROES: exactly one 16-byte segment {le64 sector, le32 num_sectors,
 * le32 flags}, as max_*_seg says (QEMU answers UNSUPP to more, so do we). Returns as
 * blk_req_parse. */
static int blk_parse_discard_wz(struct virtio_blk *b, const struct vq_chain *c,
				const struct blk_hdr *h, struct blk_req *r)
{
	uint8_t seg[BLK_SEG_SIZE];
	uint64_t sector;
	uint32_t nsect, flags;
	bool wz = h->type == VIRTIO_BLK_T_WRITE_ZEROES;

	if (h->data_out == 0 || h->data_out % BLK_SEG_SIZE != 0)
		return blk_answer(r, VIRTIO_BLK_S_IOERR);
	if (h->data_out > BLK_SEG_SIZE)
		return blk_answer(r, VIRTIO_BLK_S_UNSUPP);
	vq_copy_from_out(c, BLK_HDR_SIZE, seg, sizeof(seg));
	memcpy(&sector, seg, 8);
	memcpy(&nsect, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	sector = le64toh(sector);
	nsect = le32toh(nsect);
	flags = le32toh(flags);
	/* §5.2.6.2: unknown flags, or UNMAP on a discard, are UNSUPP. */
	if (flags & ~(uint32_t)(wz ? VIRTIO_BLK_WZ_F_UNMAP : 0))
		return blk_answer(r, VIRTIO_BLK_S_UNSUPP);
	if (nsect > VIRTIO_BLK_MAX_DISCARD_SECTORS || !blk_range_ok(b, sector, nsect) ||
	    b->readonly)
		return blk_answer(r, VIRTIO_BLK_S_IOERR);
	r->aio.op = wz ? RAW_OP_WRITE_ZEROES : RAW_OP_DISCARD;
	r->aio.off = sector * VIRTIO_BLK_SECTOR_SIZE;
	r->aio.len = (uint64_t)nsect * VIRTIO_BLK_SECTOR_SIZE;
	r->aio.may_unmap = flags & VIRTIO_BLK_WZ_F_UNMAP;
	return 1;
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

int blk_req_parse(struct virtio_blk *b, const struct vq_chain *c, struct blk_req *r)
{
	struct blk_hdr h = { 0 };
	uint8_t hdr[BLK_HDR_SIZE];

	memset(&r->aio, 0, sizeof(r->aio));
	r->head = c->head;
	r->written = 0;
	r->status = blk_status_byte(c);
	if (!r->status)
		return -1;
	/* Like QEMU: the whole writable part counts as written (data, then status). */
	r->written = (uint32_t)c->in_len;
	h.data_in = c->in_len - 1;
	if (c->out_len < BLK_HDR_SIZE) {
		log_debug(b->vdev.log, "%s: request header is %llu bytes, want %d", b->vdev.name,
			  (unsigned long long)c->out_len, BLK_HDR_SIZE);
		return blk_answer(r, VIRTIO_BLK_S_IOERR);
	}
	h.data_out = c->out_len - BLK_HDR_SIZE;
	vq_copy_from_out(c, 0, hdr, sizeof(hdr));
	memcpy(&h.type, hdr, 4);
	memcpy(&h.sector, hdr + 8, 8);
	h.type = le32toh(h.type);
	h.sector = le64toh(h.sector);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_parse_rw(b, c, &h, r);
	case VIRTIO_BLK_T_FLUSH:
		if (b->readonly)
			return blk_answer(r, VIRTIO_BLK_S_OK);	/* nothing was written */
		r->aio.op = RAW_OP_FLUSH;
		return 1;
	case VIRTIO_BLK_T_GET_ID:
		/* §5.2.6: 20 bytes, NUL-padded; a shorter buffer gets what fits. */
		vq_copy_to_in(c, 0, b->serial,
			      h.data_in < sizeof(b->serial) ? h.data_in : sizeof(b->serial));
		return blk_answer(r, VIRTIO_BLK_S_OK);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_parse_discard_wz(b, c, &h, r);
	default:
		return blk_answer(r, VIRTIO_BLK_S_UNSUPP);
	}
}

/* The guest broke the ring or sent a chain we cannot answer: NEEDS_RESET. */
void blk_broken(struct virtio_blk *b, unsigned qidx, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), _("queue %u: %s"), qidx, why);
	pthread_mutex_lock(&b->irq_lock);
	vdev_set_needs_reset(&b->vdev, msg);
	pthread_mutex_unlock(&b->irq_lock);
}

static void blk_queue_notify(struct vdev *vdev, unsigned qidx)
{
	struct virtio_blk *b = to_blk(vdev);

	if (qidx < vdev->nqueues)
		blk_queue_kick(&b->queues[qidx]);
}

/* Buffers the driver queued before DRIVER_OK were not kicked for (the transport drops
 * those kicks): look at every ring once. */
static void blk_driver_ok(struct vdev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_notify(vdev, i);
}

/* The transport set status 0 before calling this: park every worker (what was in
 * flight completes without reaching the used ring), then let them go; they see
 * status 0 and wait for the next DRIVER_OK. */
static void blk_reset(struct vdev *vdev)
{
	struct virtio_blk *b = to_blk(vdev);

	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_hold(&b->queues[i]);
	__atomic_store_n(&b->io_error_logged, false, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_release(&b->queues[i]);
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
	b->aio = o->aio;
	pthread_mutex_init(&b->irq_lock, NULL);
	blk_build_config(b, qs);
	b->queues = xcalloc(nq, sizeof(*b->queues));
	for (unsigned i = 0; i < nq; i++)
		blk_queue_init(b, i, &b->queues[i]);
	return &b->vdev;
}

void virtio_blk_free(struct vdev *vdev)
{
	struct virtio_blk *b;

	if (!vdev)
		return;
	b = to_blk(vdev);
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_destroy(&b->queues[i]);
	free(b->queues);
	raw_close(b->img);
	pthread_mutex_destroy(&b->irq_lock);
	pthread_mutex_destroy(&vdev->lock);
	free(b);
}

int virtio_blk_kick_fd(struct vdev *vdev, unsigned qidx)
{
	struct virtio_blk *b = to_blk(vdev);

	return qidx < vdev->nqueues && b->queues[qidx].threaded ? b->queues[qidx].kick_fd : -1;
}

void virtio_blk_pause(struct vdev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_pause(&to_blk(vdev)->queues[i]);
}

void virtio_blk_resume(struct vdev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++)
		blk_queue_resume(&to_blk(vdev)->queues[i]);
}

const char *virtio_blk_queue_mode(struct vdev *vdev, unsigned qidx)
{
	const struct blk_queue *q = &to_blk(vdev)->queues[qidx];

	return q->threaded ? aio_kind_name(aio_kind(q->aio)) : "in-line";
}

void virtio_blk_queue_stats(struct vdev *vdev, unsigned qidx, uint64_t *submits,
			    uint64_t *requests)
{
	aio_stats(to_blk(vdev)->queues[qidx].aio, submits, requests);
}
