/*
 * net.c: the test guest's virtio-net driver (virtio 1.x §5.1): feature negotiation (MAC,
 * STATUS, MTU, CSUM, GUEST_CSUM, CTRL_VQ, MQ, MRG_RXBUF, each optional; netbench adds
 * HOST_TSO4, GUEST_TSO4 and CTRL_GUEST_OFFLOADS through net.extra), every queue pair
 * the device offers up to NET_MAX_PAIRS, the control queue, tx of single-buffer and split
 * chains, rx with merged buffers, and the checksums. Polled from the one vCPU; the rings
 * ask for no interrupts. See net.h for the memory layout, README.md for the host contract.
 */
#include "net.h"
#include "io.h"

#define NET_WANTED	(NET_F_CSUM | NET_F_GUEST_CSUM | NET_F_MTU | NET_F_MAC | NET_F_MRG_RXBUF | \
			 NET_F_STATUS | NET_F_CTRL_VQ | NET_F_MQ)
#define CFG_MAC		0
#define CFG_STATUS	6
#define CFG_MAX_PAIRS	8
#define CFG_MTU		10
#define MRG_BUFSZ	2048
#define CTRL_TIMEOUT_MS	2000
#define VRING_AVAIL_F_NO_INTERRUPT 1

static const uint8_t fallback_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

bool net_has(const struct net *nd, uint64_t f)
{
	return (nd->d.features & f) == f;
}

/* ---- checksums and frames ---------------------------------------------------------------- */

uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void net_build_ipv4(uint8_t *f, uint32_t len, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		    const uint8_t src_ip[4], const uint8_t dst_ip[4], uint8_t proto,
		    uint16_t ip_id)
{
	uint8_t *ip = f + NET_ETH_LEN;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(len - NET_ETH_LEN));
	put_be16(ip + 4, ip_id);
	put_be16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	put_be16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
}

void net_build_udp(uint8_t *f, uint32_t len, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   const uint8_t src_ip[4], const uint8_t dst_ip[4], uint16_t sport,
		   uint16_t dport, uint16_t ip_id, bool partial)
{
	uint8_t *udp = f + NET_ETH_LEN + 20;
	uint16_t ulen = (uint16_t)(len - NET_ETH_LEN - 20), c;
	uint32_t pseudo;

	net_build_ipv4(f, len, dst_mac, src_mac, src_ip, dst_ip, 17, ip_id);
	put_be16(udp, sport);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, ulen);
	put_be16(udp + 6, 0);
	pseudo = csum_add(csum_add(0, src_ip, 4), dst_ip, 4) + 17 + ulen;
	if (partial) {
		/* What the device completes: the pseudo-header sum, not inverted (§5.1.6.2). */
		put_be16(udp + 6, csum_fold(pseudo));
		return;
	}
	c = (uint16_t)~csum_fold(csum_add(pseudo, udp, ulen));
	put_be16(udp + 6, c ? c : 0xffff);
}

/* ---- rings ------------------------------------------------------------------------------- */

static uint64_t ring_addr(unsigned slot)
{
	return NET_RINGS + slot * 3 * 4096ull;
}

/* Sets up queue `index` in ring slot `slot`; tx and ctrl queues get all ids free. */
static bool nq_setup(struct nq *q, struct vdev *d, uint16_t index, unsigned slot, char *why,
		     size_t n)
{
	uint64_t r = ring_addr(slot);

	memset((void *)(uintptr_t)r, 0, 3 * 4096);
	memset(q, 0, sizeof(*q));
	q->desc = (struct vring_desc *)(uintptr_t)r;
	q->avail = (volatile struct nq_avail *)(uintptr_t)(r + 4096);
	q->used = (volatile struct nq_used *)(uintptr_t)(r + 8192);
	q->index = index;
	q->size = vq_setup_rings(d, index, NET_QMAX, r, r + 4096, r + 8192, &q->notify, why, n);
	if (!q->size)
		return false;
	q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;	/* we poll */
	for (uint16_t i = 0; i < q->size; i++)
		q->free[i] = (uint16_t)(q->size - 1 - i);
	q->nfree = q->size;
	return true;
}

void nq_kick(struct nq *q)
{
	mb();
	mw16(q->notify, q->index);
}

void nq_publish(struct nq *q, uint16_t head, bool defer, bool force)
{
	q->avail->ring[q->avail_idx % q->size] = head;
	barrier();
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
	if (defer)
		return;
	mb();
	if (force || !(q->used->flags & VRING_USED_F_NO_NOTIFY))
		mw16(q->notify, q->index);
}

/* Takes the next used element of q; false when there is none. */
static bool nq_used(struct nq *q, uint32_t *id, uint32_t *len)
{
	volatile struct vring_used_elem *e;

	if (q->used->idx == q->last_used)
		return false;
	barrier();
	e = &q->used->ring[q->last_used % q->size];
	*id = e->id;
	*len = e->len;
	q->last_used++;
	return true;
}

/* Gives a chain back to the free list, bounded by the ring size. */
static void nq_free_chain(struct nq *q, uint16_t head)
{
	for (unsigned k = 0; k < q->size && q->nfree < q->size; k++) {
		const struct vring_desc *dsc = &q->desc[head];

		q->free[q->nfree++] = head;
		if (!(dsc->flags & VRING_DESC_F_NEXT))
			break;
		head = dsc->next % q->size;
	}
}

unsigned net_tx_reap(struct nq *q)
{
	unsigned done = 0;
	uint32_t id, len;

	while (nq_used(q, &id, &len)) {
		if (id < q->size)
			nq_free_chain(q, (uint16_t)id);
		done++;
	}
	return done;
}

bool net_tx(struct nq *q, const struct net_hdr *h, const void *frame, uint32_t len, bool split)
{
	uint16_t need = split ? 3 : 1, ids[3];

	if (q->nfree < need)
		net_tx_reap(q);
	if (q->nfree < need || (!split && len + NET_HDR_LEN > q->bufsz))
		return false;
	for (unsigned i = 0; i < need; i++)
		ids[i] = q->free[--q->nfree];
	if (!split) {
		uint8_t *b = (uint8_t *)(uintptr_t)(q->buf + (uint64_t)ids[0] * q->bufsz);

		memcpy(b, h, NET_HDR_LEN);
		memcpy(b + NET_HDR_LEN, frame, len);
		q->desc[ids[0]] = (struct vring_desc){ (uintptr_t)b, NET_HDR_LEN + len, 0, 0 };
	} else {
		/* The header alone, then the frame in two pieces, straight from `frame`. */
		uint8_t *b = (uint8_t *)(uintptr_t)(q->buf + (uint64_t)ids[0] * q->bufsz);
		uint32_t first = len / 2;

		memcpy(b, h, NET_HDR_LEN);
		q->desc[ids[0]] = (struct vring_desc){ (uintptr_t)b, NET_HDR_LEN,
						       VRING_DESC_F_NEXT, ids[1] };
		q->desc[ids[1]] = (struct vring_desc){ (uintptr_t)frame, first,
						       VRING_DESC_F_NEXT, ids[2] };
		q->desc[ids[2]] = (struct vring_desc){ (uintptr_t)frame + first, len - first, 0,
						       0 };
	}
	nq_publish(q, ids[0], false, true);
	return true;
}

/* Posts rx buffer `id` (descriptor id, device-writable) without notifying. */
static void rx_post(struct nq *q, uint16_t id)
{
	q->desc[id] = (struct vring_desc){ q->buf + (uint64_t)id * q->bufsz, q->bufsz,
					   VRING_DESC_F_WRITE, 0 };
	nq_publish(q, id, true, false);
}

int net_rx(struct tg *g, struct net *nd, struct nq *q, struct net_rx *rx, char *why, size_t n)
{
	uint8_t *out = (uint8_t *)(uintptr_t)NET_FRAME;
	uint32_t id, len, total = 0;
	uint16_t want = 1;
	struct deadline dl;

	if (!nq_used(q, &id, &len))
		return 0;
	memset(rx, 0, sizeof(*rx));
	for (uint16_t got = 0; got < want; got++) {
		const uint8_t *b;

		if (got > 0) {
			/* The device publishes all buffers of a frame at once; allow a moment. */
			deadline_start(&dl, g, 100);
			while (!nq_used(q, &id, &len)) {
				if (deadline_passed(&dl)) {
					gsnprintf(why, n, "rx queue %u: frame of %u buffers "
						  "ends after %u", q->index, want, got);
					return -1;
				}
				cpu_pause();
			}
		}
		if (id >= q->nbufs || len > q->bufsz || (got == 0 && len < NET_HDR_LEN)) {
			gsnprintf(why, n, "rx queue %u: used id %u len %u (%u buffers of %u)",
				  q->index, id, len, q->nbufs, q->bufsz);
			return -1;
		}
		b = (const uint8_t *)(uintptr_t)(q->buf + (uint64_t)id * q->bufsz);
		if (got == 0) {
			memcpy(&rx->hdr, b, NET_HDR_LEN);
			if (net_has(nd, NET_F_MRG_RXBUF))
				want = rx->hdr.num_buffers;
			if (want == 0 || want > q->nbufs) {
				gsnprintf(why, n, "rx queue %u: num_buffers %u", q->index, want);
				return -1;
			}
			b += NET_HDR_LEN;
			len -= NET_HDR_LEN;
		}
		if (total + len > 0x10000)
			len = 0x10000 - total;
		memcpy(out + total, b, len);
		total += len;
		rx_post(q, (uint16_t)id);
	}
	nq_kick(q);
	rx->frame = out;
	rx->len = total;
	rx->nbufs = want;
	return 1;
}

/* ---- device setup ------------------------------------------------------------------------ */

static void read_config(struct net *nd)
{
	struct vdev *d = &nd->d;

	memcpy(nd->mac, fallback_mac, 6);
	if (net_has(nd, NET_F_MAC) && d->devcfg_len >= 6)
		for (unsigned i = 0; i < 6; i++)
			nd->mac[i] = mr8(d->devcfg + CFG_MAC + i);
	nd->status = net_has(nd, NET_F_STATUS) && d->devcfg_len >= 8 ?
		     mr16(d->devcfg + CFG_STATUS) : 0;
	nd->max_pairs = net_has(nd, NET_F_MQ) && d->devcfg_len >= 10 ?
			mr16(d->devcfg + CFG_MAX_PAIRS) : 1;
	nd->mtu = net_has(nd, NET_F_MTU) && d->devcfg_len >= 12 ? mr16(d->devcfg + CFG_MTU)
								    : 1500;
	if (nd->mtu > NET_MTU_MAX)
		nd->mtu = NET_MTU_MAX;
}

/* Rx buffers: 2 KiB with merged buffers, else room for a whole frame (§5.1.6.3.1). */
static bool setup_queues(struct net *nd, char *why, size_t n)
{
	uint32_t rxsz = net_has(nd, NET_F_MRG_RXBUF) ? MRG_BUFSZ
			: ((NET_HDR_LEN + nd->mtu + NET_ETH_LEN + 63) & ~63u);

	if (rxsz < NET_HDR_LEN + 1514)
		rxsz = (NET_HDR_LEN + 1514 + 63) & ~63u;
	for (uint16_t p = 0; p < nd->pairs; p++) {
		struct nq *rq = &nd->rx[p], *tq = &nd->tx[p];

		if (!nq_setup(rq, &nd->d, (uint16_t)(2 * p), 2 * p, why, n) ||
		    !nq_setup(tq, &nd->d, (uint16_t)(2 * p + 1), 2 * p + 1, why, n))
			return false;
		rq->buf = NET_RXBUFS + p * NET_RX_AREA;
		rq->bufsz = rxsz;
		rq->nbufs = (uint16_t)(NET_RX_AREA / rxsz < rq->size ? NET_RX_AREA / rxsz
								    : rq->size);
		tq->buf = NET_TXBUFS + p * NET_TX_AREA;
		tq->bufsz = NET_TX_SLOT;
	}
	if (net_has(nd, NET_F_CTRL_VQ)) {
		/* The control queue follows the last pair the device has, used or not. */
		if (!nq_setup(&nd->ctrl, &nd->d, (uint16_t)(2 * nd->max_pairs), NET_NRINGS - 1,
			      why, n))
			return false;
	}
	return true;
}

bool net_ram_covers(const struct tg *g, uint64_t a, uint64_t b)
{
	const struct hvm_memmap_table_entry *e;

	if (!g->si || g->si->version < 1 || !g->si->memmap_paddr)
		return false;
	e = (const struct hvm_memmap_table_entry *)(uintptr_t)g->si->memmap_paddr;
	for (uint32_t i = 0; i < g->si->memmap_entries && i < 64; i++)
		if (e[i].type == 1 && e[i].addr <= a && e[i].addr + e[i].size >= b)
			return true;
	return false;
}

/* Negotiated features whose dependencies were not (§5.1.3.1); GUEST_TSO4 also needs
 * MRG_RXBUF here: without it the rx buffers are too small for 64 KiB frames. */
static uint64_t net_unmet(const struct net *nd)
{
	uint64_t bad = 0;

	if (net_has(nd, NET_F_MQ) && !net_has(nd, NET_F_CTRL_VQ))
		bad |= NET_F_MQ;
	if (net_has(nd, NET_F_CTRL_GUEST_OFFLOADS) && !net_has(nd, NET_F_CTRL_VQ))
		bad |= NET_F_CTRL_GUEST_OFFLOADS;
	if (net_has(nd, NET_F_HOST_TSO4) && !net_has(nd, NET_F_CSUM))
		bad |= NET_F_HOST_TSO4;
	if (net_has(nd, NET_F_GUEST_TSO4) &&
	    !net_has(nd, NET_F_GUEST_CSUM | NET_F_MRG_RXBUF))
		bad |= NET_F_GUEST_TSO4;
	return bad;
}

bool net_start(struct tg *g, struct net *nd, char *why, size_t n)
{
	const uint64_t wanted = NET_WANTED | nd->extra;
	uint64_t unmet;

	nd->ok = false;
	if (!nd->d.found && !vdev_find(&nd->d, VIRTIO_ID_NET, why, n))
		return false;
	if (!net_ram_covers(g, NET_BASE, NET_END)) {
		gsnprintf(why, n, "no RAM at 0x%llx-0x%llx (use -m 64 or more)", NET_BASE, NET_END);
		return false;
	}
	if (!vdev_begin(g, &nd->d, wanted, why, n))
		return false;
	/* Features without what they depend on: negotiate again without them. */
	unmet = net_unmet(nd);
	if (unmet && !vdev_begin(g, &nd->d, wanted & ~unmet, why, n))
		return false;
	read_config(nd);
	if (nd->max_pairs == 0 || nd->max_pairs > 0x8000) {
		gsnprintf(why, n, "max_virtqueue_pairs %u", nd->max_pairs);
		return false;
	}
	if (nd->d.num_queues < 2 * nd->max_pairs + (net_has(nd, NET_F_CTRL_VQ) ? 1 : 0)) {
		gsnprintf(why, n, "%u queues for %u pairs%s", nd->d.num_queues, nd->max_pairs,
			  net_has(nd, NET_F_CTRL_VQ) ? " and a control queue" : "");
		return false;
	}
	nd->pairs = nd->max_pairs < NET_MAX_PAIRS ? nd->max_pairs : NET_MAX_PAIRS;
	nd->active = 1;
	if (!setup_queues(nd, why, n) || !vdev_driver_ok(&nd->d, why, n))
		return false;
	for (uint16_t p = 0; p < nd->pairs; p++) {
		for (uint16_t i = 0; i < nd->rx[p].nbufs; i++)
			rx_post(&nd->rx[p], i);
		nq_kick(&nd->rx[p]);
	}
	nd->ok = true;
	return true;
}

/* ---- control queue ----------------------------------------------------------------------- */

int net_ctrl(struct tg *g, struct net *nd, uint8_t class, uint8_t cmd, const void *data,
	     uint32_t len)
{
	struct nq *q = &nd->ctrl;
	uint8_t *b = (uint8_t *)(uintptr_t)NET_CTRLBUF;
	volatile uint8_t *ack = b + 2048;
	struct deadline dl;
	uint32_t id, ulen;
	uint16_t ids[3], ndesc = data ? 3 : 2;

	if (!net_has(nd, NET_F_CTRL_VQ) || len > 1024)
		return -1;
	net_tx_reap(q);
	if (q->nfree < ndesc)
		return -1;
	for (unsigned i = 0; i < ndesc; i++)
		ids[i] = q->free[--q->nfree];
	b[0] = class;
	b[1] = cmd;
	if (data)
		memcpy(b + 16, data, len);
	*ack = 0xff;
	q->desc[ids[0]] = (struct vring_desc){ (uintptr_t)b, 2, VRING_DESC_F_NEXT, ids[1] };
	if (data)
		q->desc[ids[1]] = (struct vring_desc){ (uintptr_t)b + 16, len, VRING_DESC_F_NEXT,
						       ids[2] };
	q->desc[ids[ndesc - 1]] = (struct vring_desc){ (uintptr_t)ack, 1, VRING_DESC_F_WRITE, 0 };
	nq_publish(q, ids[0], false, true);
	deadline_start(&dl, g, CTRL_TIMEOUT_MS);
	while (!nq_used(q, &id, &ulen)) {
		if (deadline_passed(&dl))
			return -1;
		cpu_pause();
	}
	if (id < q->size)
		nq_free_chain(q, (uint16_t)id);
	barrier();
	return *ack;
}

bool net_set_pairs(struct tg *g, struct net *nd, uint16_t pairs, char *why, size_t n)
{
	uint16_t v = pairs;	/* le16 */
	int ack = net_ctrl(g, nd, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET, &v, sizeof(v));

	if (ack != NET_OK) {
		gsnprintf(why, n, "VQ_PAIRS_SET %u: %s %d (status 0x%02x)", pairs,
			  ack < 0 ? "no answer" : "ack", ack, vdev_status(&nd->d));
		return false;
	}
	nd->active = pairs;
	return true;
}

bool net_set_offloads(struct tg *g, struct net *nd, uint64_t offloads, char *why, size_t n)
{
	uint64_t v = offloads;	/* le64 */
	int ack = net_ctrl(g, nd, NET_CTRL_GUEST_OFFLOADS, NET_CTRL_GUEST_OFFLOADS_SET, &v,
			   sizeof(v));

	if (ack != NET_OK) {
		gsnprintf(why, n, "GUEST_OFFLOADS_SET 0x%lx: %s %d (status 0x%02x)", offloads,
			  ack < 0 ? "no answer" : "ack", ack, vdev_status(&nd->d));
		return false;
	}
	return true;
}
