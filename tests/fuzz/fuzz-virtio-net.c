/* libFuzzer target: virtio-net's userspace data path (net_rxtx.c), its control queue
 * (net.c) and its pairs (net_pair.c) against a hostile guest and back-end.
 *
 * The input is a short header and a list of operations. The header picks the pairs,
 * queue sizes, MTU, whether the back-end carries the 12-byte header, and the features
 * the driver negotiates (MRG_RXBUF, the guest offloads, CTRL_VQ/RX/MAC, MQ, EVENT_IDX,
 * INDIRECT_DESC). The operations then: add well-formed or hostile chains to any queue
 * (direct or indirect, readable where writable is needed, zero, tiny or huge lengths,
 * addresses past RAM), write raw descriptors, avail entries and avail index jumps,
 * poke guest RAM, send frames of 0 to 80000 bytes with hostile headers into the
 * back-end socket (a SOCK_SEQPACKET pair, one frame per read as a tap), run rx, tx and
 * the control queue, kick, drain the back-end, set the link, reset the device and
 * renegotiate, and send control commands (VQ_PAIRS_SET, filters, offloads).
 *
 * The device runs without its threads (no_threads), driven as its pair threads would
 * drive it, so every run is deterministic. Guest RAM is one malloc'd buffer of exact
 * size (ASan sees any access past it). With --wrap, vq_pop/vq_fill/vq_flush are
 * watched: every used length on a rx queue must be at most the writable length of the
 * chain popped for that head, a frame is published in one flush, over one buffer
 * without MRG_RXBUF, and its length must be that of a frame the back-end sent on that
 * pair (frames may be dropped, never cut short). */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/virtio/net_priv.h"
#include "drivers/virtio/vdev_priv.h"
#include "qemu-wrap/gmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIT(b)		(UINT64_C(1) << (b))
#define MAXP		4
#define MAXQ		(2 * MAXP + 1)
#define RING_STRIDE	0x8000u		/* queue q's rings at q * RING_STRIDE */
#define DATA_BASE	(MAXQ * RING_STRIDE)
#define RAM		(DATA_BASE + 0x80000u)
#define BIG_FRAME	80000u		/* larger than any tap frame */
#define FIFO		4096u

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- the input ---- */

struct in {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* ---- what the watch checks against ---- */

struct watch {
	struct virtio_net *n;
	bool mergeable;
	bool vnet_hdr;
	uint64_t in_len[MAXQ][VIRTIO_NET_MAX_QUEUE_SIZE];	/* by head, at its last pop */
	bool popped[MAXQ][VIRTIO_NET_MAX_QUEUE_SIZE];
	uint64_t pend_sum[MAXQ];
	unsigned pend_n[MAXQ];
	/* Per pair: the lengths (as the guest should see them) of frames sent. */
	uint32_t fifo[MAXP][FIFO];
	unsigned fifo_head[MAXP], fifo_tail[MAXP];
	bool oversized[MAXP];		/* a frame beyond any tap's was sent: no match check */
};

static struct watch w;

int __real_vq_pop(struct virtqueue *vq, struct vq_chain *chain, struct err **errp);
void __real_vq_fill(struct virtqueue *vq, unsigned off, uint16_t head, uint32_t written);
void __real_vq_flush(struct virtqueue *vq, unsigned n);
int __wrap_vq_pop(struct virtqueue *vq, struct vq_chain *chain, struct err **errp);
void __wrap_vq_fill(struct virtqueue *vq, unsigned off, uint16_t head, uint32_t written);
void __wrap_vq_flush(struct virtqueue *vq, unsigned n);

/* The rx queue index of vq, or -1. */
static int rx_queue(const struct virtqueue *vq)
{
	long q;

	if (!w.n)
		return -1;
	q = vq - w.n->vdev.vqs;
	if (q < 0 || q >= (long)(2 * w.n->max_pairs) || (q & 1) ||
	    (unsigned)q == net_ctrl_qidx(w.n))
		return -1;
	return (int)q;
}

static void fail(const char *what, unsigned long a, unsigned long b)
{
	fprintf(stderr, "fuzz-virtio-net: %s (%lu, %lu)\n", what, a, b);
	abort();
}

int __wrap_vq_pop(struct virtqueue *vq, struct vq_chain *chain, struct err **errp)
{
	int rc = __real_vq_pop(vq, chain, errp);
	int q = rx_queue(vq);

	if (rc == 1 && q >= 0) {
		if (chain->head >= vq->size || chain->head >= VIRTIO_NET_MAX_QUEUE_SIZE)
			fail("popped head past the ring", chain->head, vq->size);
		w.in_len[q][chain->head] = chain->in_len;
		w.popped[q][chain->head] = true;
	}
	return rc;
}

void __wrap_vq_fill(struct virtqueue *vq, unsigned off, uint16_t head, uint32_t written)
{
	int q = rx_queue(vq);

	if (q >= 0) {
		if (off != w.pend_n[q])
			fail("rx used elements filled out of order", off, w.pend_n[q]);
		if (head >= VIRTIO_NET_MAX_QUEUE_SIZE || !w.popped[q][head])
			fail("rx used element for a head never popped", head, q);
		if (written > w.in_len[q][head])
			fail("rx used length exceeds the chain's writable length", written,
			     (unsigned long)w.in_len[q][head]);
		w.pend_sum[q] += written;
		w.pend_n[q]++;
	}
	__real_vq_fill(vq, off, head, written);
}

void __wrap_vq_flush(struct virtqueue *vq, unsigned n)
{
	int q = rx_queue(vq);

	if (q >= 0) {
		unsigned pr = (unsigned)q / 2;
		bool found = false;

		if (n != w.pend_n[q])
			fail("rx flush of other than the filled elements", n, w.pend_n[q]);
		if (!w.mergeable && n != 1)
			fail("rx frame over several buffers without MRG_RXBUF", n, q);
		for (unsigned i = w.fifo_head[pr]; i != w.fifo_tail[pr]; i++) {
			if (w.fifo[pr][i % FIFO] == w.pend_sum[q]) {
				w.fifo_head[pr] = i + 1;
				found = true;
				break;
			}
		}
		if (!found && !w.oversized[pr])
			fail("rx frame delivered with a length no sent frame had", (unsigned long)w.pend_sum[q],
			     pr);
		w.pend_sum[q] = 0;
		w.pend_n[q] = 0;
	}
	__real_vq_flush(vq, n);
}

/* ---- the fake transport, guest and back-end ---- */

struct fz {
	struct gmem mem;
	struct logger log;
	struct vdev_transport_ops tops;
	struct virtio_net *n;
	struct vdev *dev;
	int dev_fd[MAXP], peer[MAXP];
	unsigned pairs;
	uint64_t offered, features;
	uint16_t avail_idx[MAXQ], next_desc[MAXQ];
	uint64_t bump;
	uint8_t ring_mode;		/* per-input: rings moved into odd places */
};

static uint8_t *ram;
static uint8_t frame[BIG_FRAME];
static uint8_t rbuf[BIG_FRAME];

static void no_notify_queue(struct vdev *vdev, unsigned qidx)
{
	(void)vdev;
	(void)qidx;
}

static void no_notify_config(struct vdev *vdev)
{
	(void)vdev;
}

static unsigned nq_used(const struct fz *f)
{
	return vdev_has_feature(f->dev, VIRTIO_NET_F_MQ) ? 2 * f->pairs + 1 : 3;
}

static uint64_t desc_gpa(unsigned q)
{
	return (uint64_t)q * RING_STRIDE;
}

static uint64_t avail_gpa(unsigned q)
{
	return desc_gpa(q) + 0x4000;
}

static uint64_t used_gpa(unsigned q)
{
	return desc_gpa(q) + 0x5000;
}

/* The driver negotiates `want`, sets up its rings and DRIVER_OK, as the transport. */
static void start(struct fz *f, uint64_t want, struct in *in)
{
	struct vdev *d = f->dev;
	uint64_t ring = BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC);
	uint8_t sizes = (uint8_t)take(in, 1);

	f->features = (want & (f->offered | (ring & ~d->transport_features_off))) |
		      BIT(VIRTIO_F_VERSION_1);
	w.mergeable = f->features & BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (!d->ops->set_features(d, f->features))
		return;
	d->driver_features = f->features;
	for (unsigned q = 0; q < nq_used(f); q++) {
		struct virtqueue *vq = &d->vqs[q];
		uint16_t max = d->queue_max_of[q] ? d->queue_max_of[q] : d->queue_max;

		vq->mem = &f->mem;
		/* The driver may pick a smaller ring (a power of two). */
		vq->size = (uint16_t)(max >> ((sizes >> (q % 4 * 2)) & 3 & (q < 2 ? 3 : 1)));
		vq->desc_gpa = desc_gpa(q);
		vq->avail_gpa = avail_gpa(q);
		vq->used_gpa = used_gpa(q);
		if (f->ring_mode & 1 && q == 0)		/* used ring over the descriptors */
			vq->used_gpa = desc_gpa(q) + 0x100;
		if (f->ring_mode & 2 && q == 1)		/* rings at the very end of RAM */
			vq->used_gpa = RAM - (8 + 8u * vq->size);
		vq->event_idx = f->features & BIT(VIRTIO_RING_F_EVENT_IDX);
		vq->indirect = f->features & BIT(VIRTIO_RING_F_INDIRECT_DESC);
		if (!(f->ring_mode & 4 && q == 1) && vq_check_rings(vq, NULL) == 0)
			vq->ready = true;
		f->avail_idx[q] = f->next_desc[q] = 0;
	}
	__atomic_store_n(&d->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, __ATOMIC_RELEASE);
	d->ops->driver_ok(d);
}

static void reset(struct fz *f, struct in *in)
{
	uint64_t want = take(in, 4);

	f->dev->ops->reset(f->dev);
	vdev_reset_common(f->dev);
	memset(ram, 0, DATA_BASE);
	memset(w.pend_n, 0, sizeof(w.pend_n));
	memset(w.pend_sum, 0, sizeof(w.pend_sum));
	if (want & 1)
		start(f, want >> 1 | (want & 2 ? f->features : 0), in);
}

/* Guest memory for a buffer of len bytes: a bump allocator over the data area. */
static uint64_t alloc(struct fz *f, uint64_t len)
{
	uint64_t g;

	if (len > RAM - DATA_BASE)
		return DATA_BASE;
	if (f->bump + len > RAM)
		f->bump = DATA_BASE;
	g = f->bump;
	f->bump = (f->bump + len + 15) & ~UINT64_C(15);
	return g;
}

static uint32_t buf_len(uint16_t v)
{
	static const uint32_t huge[8] = { 0xffffffffu, 0x80000000u, RAM, RAM + 1,
					  VIRTIO_NET_HDR_LEN + NET_MAX_FRAME,
					  VIRTIO_NET_HDR_LEN + 1514, VIRTIO_NET_HDR_LEN + 1518,
					  VIRTIO_NET_HDR_LEN };

	switch (v >> 14) {
	case 0: return v % 16;
	case 1: return v % 2048;
	case 2: return (v % 65) * 1024 + (v >> 7) % 16;
	default: return huge[v % 8];
	}
}

static void put_desc(uint8_t *d, uint64_t gpa, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t a = htole64(gpa);
	uint32_t l = htole32(len);

	flags = htole16(flags);
	next = htole16(next);
	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void avail_push(struct fz *f, unsigned q, uint16_t head)
{
	struct virtqueue *vq = &f->dev->vqs[q];
	uint16_t *avail = gmem_ptr(&f->mem, vq->avail_gpa, 4 + 2u * vq->size);
	uint16_t idx;

	if (!avail || !vq->size)
		return;
	avail[2 + f->avail_idx[q] % vq->size] = htole16(head);
	idx = htole16(++f->avail_idx[q]);
	__atomic_store_n(&avail[1], idx, __ATOMIC_RELEASE);
}

/* A chain of 1..8 buffers, direct or through an indirect table. */
static void add_chain(struct fz *f, struct in *in)
{
	unsigned q = (unsigned)take(in, 1) % nq_used(f);
	uint8_t shape = (uint8_t)take(in, 1);
	unsigned nseg = 1 + (shape & 7);
	bool indirect = shape & 8, hostile_addr = (shape & 0x30) == 0x30;
	uint8_t wbits = (uint8_t)take(in, 1);
	struct virtqueue *vq = &f->dev->vqs[q];
	uint8_t *desc = gmem_ptr(&f->mem, vq->desc_gpa, 16u * vq->size);
	uint64_t tbl = 0;
	uint8_t *t = NULL;
	uint16_t head;

	if (!desc || !vq->size)
		return;
	/* What a driver means: readable buffers first, then writable ones. */
	if (shape & 0x40)
		wbits = (uint8_t)(0xff << (wbits % (nseg + 1)));
	head = f->next_desc[q] % vq->size;
	if (indirect) {
		tbl = alloc(f, 16u * nseg);
		t = ram + tbl;
		put_desc(desc + 16u * head, tbl, 16u * nseg, VRING_DESC_F_INDIRECT, 0);
		f->next_desc[q] = (uint16_t)(head + 1) % vq->size;
	}
	for (unsigned i = 0; i < nseg; i++) {
		uint32_t len = buf_len((uint16_t)take(in, 2));
		uint64_t gpa = hostile_addr && i == 0 ? take(in, 4) << (shape >> 7 ? 20 : 0)
						      : alloc(f, len);
		uint16_t flags = (wbits >> i & 1 ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < nseg ? VRING_DESC_F_NEXT : 0);

		if (indirect) {
			put_desc(t + 16u * i, gpa, len, flags, (uint16_t)(i + 1));
		} else {
			uint16_t id = (uint16_t)(head + i) % vq->size;

			put_desc(desc + 16u * id, gpa, len, flags, (uint16_t)(id + 1) % vq->size);
		}
	}
	if (!indirect)
		f->next_desc[q] = (uint16_t)(head + nseg) % vq->size;
	avail_push(f, q, head);
}

/* One descriptor with fuzz-chosen fields. */
static void raw_desc(struct fz *f, struct in *in)
{
	unsigned q = (unsigned)take(in, 1) % nq_used(f);
	struct virtqueue *vq = &f->dev->vqs[q];
	uint16_t idx = (uint16_t)take(in, 2);
	uint64_t gpa = take(in, 1) & 1 ? take(in, 8) : DATA_BASE + take(in, 2) * 16;
	uint32_t len = (uint32_t)take(in, 4);
	uint16_t flags = (uint16_t)take(in, 1), next = (uint16_t)take(in, 2);
	uint8_t *desc = gmem_ptr(&f->mem, vq->desc_gpa, 16u * vq->size);

	if (desc && vq->size)
		put_desc(desc + 16u * (idx % vq->size), gpa, len, flags, next);
}

/* A frame from the back-end: 12-byte header (hostile), Ethernet header, payload. */
static void send_frame(struct fz *f, struct in *in)
{
	static const uint32_t edge[8] = { VIRTIO_NET_HDR_LEN + NET_MAX_FRAME,
					  VIRTIO_NET_HDR_LEN + NET_MAX_FRAME - 1,
					  VIRTIO_NET_HDR_LEN + 1514, VIRTIO_NET_HDR_LEN + 1518,
					  VIRTIO_NET_HDR_LEN + 1519, 65536,
					  VIRTIO_NET_HDR_LEN + NET_MAX_FRAME + 1, BIG_FRAME };
	unsigned pr = (unsigned)take(in, 1) % f->pairs;
	uint16_t v = (uint16_t)take(in, 2);
	uint8_t dst = (uint8_t)take(in, 1);
	uint32_t len, want;
	ssize_t r;

	switch (v >> 14) {
	case 0: len = v % 64; break;
	case 1: len = VIRTIO_NET_HDR_LEN + 14 + v % 1600; break;
	case 2: len = 1500 + (uint32_t)((uint64_t)(v & 0x3fff) * (NET_STASH_SIZE - 1500) / 0x3fff); break;
	default: len = edge[v % 8]; break;
	}
	for (unsigned i = 0; i < 10; i++)
		frame[i] = (uint8_t)take(in, 1);
	frame[10] = frame[11] = 0;
	switch (dst & 3) {
	case 0: memcpy(frame + 12, MAC, 6); break;
	case 1: memset(frame + 12, 0xff, 6); break;
	case 2: memcpy(frame + 12, "\x01\x00\x5e\x00\x00\x01", 6); break;
	default: for (unsigned i = 0; i < 6; i++) frame[12 + i] = (uint8_t)take(in, 1); break;
	}
	memset(frame + 18, dst, len > 18 ? len - 18 : 0);
	/* Without the header on the fd, the frame is all but the first 12 bytes. */
	if (!w.vnet_hdr) {
		if (len <= VIRTIO_NET_HDR_LEN)
			return;
		r = write(f->peer[pr], frame + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN);
	} else {
		r = write(f->peer[pr], frame, len);
	}
	if (r < 0)
		return;		/* the socket is full (or refuses the size) */
	want = w.vnet_hdr ? len : (uint32_t)r + VIRTIO_NET_HDR_LEN;
	if (len > VIRTIO_NET_HDR_LEN + NET_MAX_FRAME)
		w.oversized[pr] = true;
	if (w.fifo_tail[pr] - w.fifo_head[pr] < FIFO)
		w.fifo[pr][w.fifo_tail[pr]++ % FIFO] = want;
	else
		w.oversized[pr] = true;		/* lost track: no match check */
}

/* What the back-end (the tap) took from tx; the fd is writable again. */
static void drain_peer(struct fz *f, unsigned pr)
{
	for (unsigned i = 0; i < 512 && read(f->peer[pr], rbuf, sizeof(rbuf)) >= 0; i++)
		;
	f->n->pairs[pr].tx_blocked = false;
}

/* A well-formed control command (mostly): class, cmd, data, then the ack byte. */
static void ctrl_cmd(struct fz *f, struct in *in)
{
	unsigned q = net_ctrl_qidx(f->n);
	uint8_t kind = (uint8_t)take(in, 1);
	uint32_t len = kind & 0x80 ? (uint32_t)take(in, 1) : 0;
	struct virtqueue *vq = &f->dev->vqs[q];
	uint8_t *desc = gmem_ptr(&f->mem, vq->desc_gpa, 16u * vq->size);
	uint64_t hg, ag;
	uint8_t *h;
	uint16_t head;

	if (!desc || !vq->size)
		return;
	hg = alloc(f, 2 + 8 + len);
	ag = alloc(f, 1);
	h = ram + hg;
	switch (kind & 7) {
	case 0:	/* VQ_PAIRS_SET */
		h[0] = VIRTIO_NET_CTRL_MQ;
		h[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
		h[2] = (uint8_t)(take(in, 1) % (MAXP + 2));
		h[3] = 0;
		len = len ? len : 2;
		break;
	case 1:
		h[0] = VIRTIO_NET_CTRL_RX;
		h[1] = (uint8_t)(take(in, 1) & 1);
		h[2] = (uint8_t)take(in, 1);
		len = len ? len : 1;
		break;
	case 2:
		h[0] = VIRTIO_NET_CTRL_GUEST_OFFLOADS;
		h[1] = 0;
		for (unsigned i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)take(in, 1);
		len = len ? len : 8;
		break;
	case 3:
		h[0] = VIRTIO_NET_CTRL_MAC;
		h[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
		memcpy(h + 2, kind & 8 ? MAC : (const uint8_t *)"\x02\0\0\0\0\1", 6);
		len = len ? len : 6;
		break;
	default:	/* MAC_TABLE_SET and anything else: fuzz bytes */
		h[0] = (uint8_t)take(in, 1) % 6;
		h[1] = (uint8_t)take(in, 1) % 2;
		for (unsigned i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)take(in, 1);
		break;
	}
	if (len > 8)
		len = 8;
	head = f->next_desc[q] % vq->size;
	put_desc(desc + 16u * head, hg, 2 + len, VRING_DESC_F_NEXT, (uint16_t)(head + 1) % vq->size);
	put_desc(desc + 16u * ((head + 1) % vq->size), ag, 1, kind & 0x40 ? 0 : VRING_DESC_F_WRITE,
		 0);
	f->next_desc[q] = (uint16_t)(head + 2) % vq->size;
	avail_push(f, q, head);
	net_ctrl_run(f->n);
}

static struct net_pair *pair_of(struct fz *f, struct in *in)
{
	struct net_pair *p = &f->n->pairs[take(in, 1) % f->pairs];

	/* A pair the driver does not use has its thread parked. */
	return p->ctl.active ? p : NULL;
}

static void run_ops(struct fz *f, struct in *in)
{
	for (unsigned ops = 0; in->left && ops < 512; ops++) {
		uint8_t op = (uint8_t)take(in, 1);
		struct net_pair *p;

		switch (op % 16) {
		case 0: case 1: case 2:
			add_chain(f, in);
			break;
		case 3:
			raw_desc(f, in);
			break;
		case 4: {	/* an avail entry with any head */
			unsigned q = (unsigned)take(in, 1) % nq_used(f);

			avail_push(f, q, (uint16_t)take(in, 2));
			break;
		}
		case 5: {	/* the avail index jumps (or the used ring's flags/event) */
			unsigned q = (unsigned)take(in, 1) % nq_used(f);
			struct virtqueue *vq = &f->dev->vqs[q];
			uint16_t v = (uint16_t)take(in, 2);
			uint16_t *a = gmem_ptr(&f->mem, vq->avail_gpa, 4 + 2u * vq->size + 2);

			if (!a)
				break;
			if (op & 0x10) {
				f->avail_idx[q] = (uint16_t)(f->avail_idx[q] + v);
				a[1] = htole16(f->avail_idx[q]);
			} else if (op & 0x20) {
				a[2 + vq->size] = htole16(v);	/* used_event */
			} else {
				a[0] = htole16(v & 1);		/* NO_INTERRUPT */
			}
			break;
		}
		case 6: {	/* raw bytes anywhere in RAM */
			uint32_t off = (uint32_t)take(in, 3) % RAM;
			unsigned n = (unsigned)take(in, 1) % 32;

			for (unsigned i = 0; i < n && off + i < RAM; i++)
				ram[off + i] = (uint8_t)take(in, 1);
			break;
		}
		case 7: case 8:
			send_frame(f, in);
			break;
		case 9: case 10:
			if ((p = pair_of(f, in)))
				for (unsigned i = 0; i < 4 && net_rx_run(p); i++)
					;
			break;
		case 11:
			if ((p = pair_of(f, in)))
				for (unsigned i = 0; i < 4 && net_tx_run(p); i++)
					;
			break;
		case 12:
			if (op & 0x10) {
				ctrl_cmd(f, in);
			} else {
				net_ctrl_run(f->n);
			}
			break;
		case 13: {	/* a kick, acted on as the pair thread does */
			unsigned q = (unsigned)take(in, 1) % nq_used(f);

			f->dev->ops->queue_notify(f->dev, q);
			if (q == net_ctrl_qidx(f->n)) {
				net_ctrl_run(f->n);
			} else if (f->n->pairs[q / 2].ctl.active) {
				p = &f->n->pairs[q / 2];
				if (q % 2 == 0) {
					net_rx_kicked(p);
					net_rx_run(p);
				} else {
					net_tx_run(p);
				}
			}
			break;
		}
		case 14:
			if (op & 0x10)
				drain_peer(f, (unsigned)take(in, 1) % f->pairs);
			else
				virtio_net_set_link(f->dev, !(op & 0x20));
			break;
		case 15:
			if ((op & 0x30) == 0x30)
				reset(f, in);
			else if ((p = pair_of(f, in)))
				net_rx_forget(p);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	static const struct vdev_transport_ops tops = {
		.notify_queue = no_notify_queue, .notify_config = no_notify_config,
	};
	static int devnull = -1;
	static bool verbose;		/* FUZZ_NET_VERBOSE=1: counters per input */
	struct virtio_net_opts o = { 0 };
	struct in in = { data, size };
	struct err *e = NULL;
	uint8_t cfg;
	uint64_t want;

	if (!ram) {
		ram = malloc(RAM);	/* exact size: ASan sees a byte past it */
		if (!ram)
			abort();
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		verbose = getenv("FUZZ_NET_VERBOSE") != NULL;
	}
	if (size < 6)
		return 0;
	memset(ram, 0, RAM);
	memset(&w, 0, sizeof(w));
	memset(&f, 0, sizeof(f));
	f.mem.base = ram;
	f.mem.size = RAM;
	f.mem.nslots = 1;
	f.mem.slots[0] = (struct gmem_slot){ .gpa = 0, .size = RAM, .host = ram };
	f.mem.memfd = -1;
	f.log.level = VLOG_ERROR;
	f.log.fd = devnull;
	f.tops = tops;
	f.bump = DATA_BASE;

	cfg = (uint8_t)take(&in, 1);
	f.pairs = 1 + cfg % MAXP;
	o.mq = cfg & 4;
	o.rx_queue_size = 256u << (cfg >> 3 & 3) % 3;
	o.tx_queue_size = 256u << (cfg >> 5 & 1);
	o.mtu = cfg & 0x40 ? 68 + (unsigned)take(&in, 2) % 9000 : 0;
	o.event_idx_off = cfg & 0x80;
	w.vnet_hdr = o.vnet_hdr = !(take(&in, 1) & 1);
	f.ring_mode = (uint8_t)take(&in, 1);
	f.ring_mode = (f.ring_mode & 0xf0) == 0xf0 ? f.ring_mode : 0;
	for (unsigned i = 0; i < f.pairs; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			abort();
		f.dev_fd[i] = sv[0];
		f.peer[i] = sv[1];
	}
	memcpy(o.mac, MAC, 6);
	o.pairs = f.pairs;
	o.fds = f.dev_fd;
	o.nfds = f.pairs;
	o.no_threads = true;
	f.dev = virtio_net_new(&o, &f.mem, &f.log, &e);
	if (!f.dev)
		abort();
	f.n = (struct virtio_net *)f.dev;
	w.n = f.n;
	f.dev->transport = &f.tops;
	f.offered = f.dev->ops->features(f.dev);
	want = take(&in, 4) | (uint64_t)take(&in, 1) << 32;
	/* Mostly what the interesting paths need; the input can switch any of it off. */
	if (!(want & BIT(31)))
		want |= BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
			BIT(VIRTIO_NET_F_MQ);
	start(&f, want, &in);
	run_ops(&f, &in);
	if (verbose) {
		struct virtio_net_stats st;

		virtio_net_get_stats(f.dev, &st);
		fprintf(stderr, "status %#x features %#llx; rx %llu frames %llu bytes, %llu dropped, %llu filtered; tx %llu frames, %llu dropped\n",
			f.dev->status, (unsigned long long)f.features,
			(unsigned long long)st.rx_packets, (unsigned long long)st.rx_bytes,
			(unsigned long long)st.rx_dropped, (unsigned long long)st.rx_filtered,
			(unsigned long long)st.tx_packets, (unsigned long long)st.tx_dropped);
	}

	w.n = NULL;
	virtio_net_free(f.dev);
	for (unsigned i = 0; i < f.pairs; i++) {
		close(f.dev_fd[i]);
		close(f.peer[i]);
	}
	err_free(e);
	return 0;
}
