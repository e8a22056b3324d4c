/* virtio-net's userspace data path: frames between the guest's rings and the
 * back-end fd (one frame per read/write, the 12-byte header first).
 *
 * tx: each chain's readable buffers go out with one writev(2) (header included:
 * the tap takes the same header); EAGAIN puts the chain back and the thread waits
 * until the fd is writable; a chain too short for the header breaks the device
 * (NEEDS_RESET), other write errors drop the frame, and a dead fd takes the link down.
 *
 * rx: chains are popped ahead until their room covers the largest frame that can
 * come (64 KiB with the guest's GSO offloads, else the MTU), and the frame is read
 * straight into them with readv(2), the pair's stash buffer appended last. With
 * MRG_RXBUF a frame spans as many chains as it needs (num_buffers), published
 * together; the chains it did not need are handed back (vq_unpop) when the round
 * ends. A frame longer than the room the ring had went partly into the stash: it
 * waits there, whole, until the guest adds buffers (with a kick asked for past the
 * buffers already there), or is dropped if the whole ring cannot hold it. Without
 * MRG_RXBUF a frame must fit one chain, else it is dropped. Frames the receive filter
 * rejects are dropped after the read; the chains stay for the next frame. */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "drivers/virtio/net_priv.h"
#include "lib/util/i18n.h"

enum rx_result { RX_DONE, RX_EMPTY, RX_NO_ROOM, RX_BROKEN };

#define STAT_ADD(p, field, v) __atomic_fetch_add(&(p)->stats.field, (v), __ATOMIC_RELAXED)

/* Copy len bytes at offset off of the iovecs to/from buf; returns bytes copied. */
static size_t iov_xfer(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len,
		       bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + off, (uint8_t *)buf + done, l);
		else
			memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

static struct virtqueue *rx_vq(struct net_pair *p)
{
	return &p->n->vdev.vqs[2 * p->idx];
}

static struct virtqueue *tx_vq(struct net_pair *p)
{
	return &p->n->vdev.vqs[2 * p->idx + 1];
}

static bool ready(const struct virtqueue *vq)
{
	return __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) && !vq->broken;
}

/* ---- tx ---- */

enum tx_result { TX_SENT, TX_AGAIN, TX_DROPPED };

/* Write one chain's frame. The iovecs start with the header; a back-end without one
 * gets the frame from byte 12 on. */
static enum tx_result tx_write(struct net_pair *p, const struct vq_chain *c)
{
	const struct iovec *iov = c->iov;
	unsigned n = c->n_out;
	ssize_t w;

	if (net_frames_dropped(p->n))
		return TX_DROPPED;
	if (!p->n->o.vnet_hdr) {
		size_t skip = VIRTIO_NET_HDR_LEN;
		unsigned k = 0;

		while (k < n && c->iov[k].iov_len <= skip)
			skip -= c->iov[k++].iov_len;
		if (k == n)
			return TX_DROPPED;	/* a header and no frame */
		memcpy(p->rx_iov, c->iov + k, (n - k) * sizeof(*iov));
		p->rx_iov[0].iov_base = (uint8_t *)p->rx_iov[0].iov_base + skip;
		p->rx_iov[0].iov_len -= skip;
		iov = p->rx_iov;
		n -= k;
	}
	do
		w = writev(p->fd, iov, (int)n);
	while (w < 0 && errno == EINTR);
	if (w >= 0)
		return TX_SENT;
	switch (errno) {
	case EAGAIN:
		return TX_AGAIN;
	case EBADFD:
	case ENODEV:
	case ENXIO:
	case EPIPE:
		net_backend_lost(p->n, p->idx, errno);
		return TX_DROPPED;
	default:
		/* EIO (the host's interface is down), EINVAL (a frame the tap refuses),
		 * ENOBUFS, ...: this frame is lost, the next may go. */
		log_debug(p->n->vdev.log, "%s: tx queue %u: frame dropped: %s", p->n->vdev.name,
			  2 * p->idx + 1, strerror(errno));
		return TX_DROPPED;
	}
}

bool net_tx_run(struct net_pair *p)
{
	struct virtqueue *vq = tx_vq(p);
	unsigned done = 0, i;
	bool stop = false;

	if (!net_live(p->n) || !ready(vq) || p->tx_blocked)
		return false;
	vq_disable_kicks(vq);
	for (i = 0; i < NET_BUDGET && !stop; i++) {
		struct err *e = NULL;
		int rc = vq_pop(vq, &p->chain, &e);

		if (rc <= 0) {
			if (rc < 0)
				net_broken(p->n, 2 * p->idx + 1, e ? e->message : "?");
			err_free(e);
			stop = rc < 0;
			break;
		}
		if (p->chain.out_len < VIRTIO_NET_HDR_LEN) {
			/* As QEMU's "virtio-net header not in first element": the driver
			 * broke the ring's contract; nothing more is taken from it. */
			vq->broken = true;
			net_broken(p->n, 2 * p->idx + 1,
				   _("a tx chain is shorter than the 12-byte virtio-net header"));
			stop = true;
			break;
		}
		switch (tx_write(p, &p->chain)) {
		case TX_AGAIN:
			vq_unpop(vq, 1);
			p->tx_blocked = true;
			stop = true;
			continue;
		case TX_SENT:
			STAT_ADD(p, tx_packets, 1);
			STAT_ADD(p, tx_bytes, p->chain.out_len - VIRTIO_NET_HDR_LEN);
			break;
		case TX_DROPPED:
			STAT_ADD(p, tx_dropped, 1);
			break;
		}
		vq_fill(vq, done++, p->chain.head, 0);
	}
	if (done) {
		vq_flush(vq, done);
		vdev_notify_queue(&p->n->vdev, 2 * p->idx + 1);
	}
	if (stop)
		return false;
	if (i == NET_BUDGET)
		return true;
	return vq_enable_kicks(vq);
}

/* ---- rx: chains gathered ahead ---- */

static void slots_reset(struct net_pair *p)
{
	p->slot_first = p->slot_count = 0;
	p->iov_end = 0;
	p->rx_cap = 0;
}

/* Hand the gathered chains back to the ring (they are the last popped). */
static void rx_unpop(struct net_pair *p)
{
	if (p->slot_count)
		vq_unpop(rx_vq(p), p->slot_count);
	slots_reset(p);
}

void net_rx_forget(struct net_pair *p)
{
	slots_reset(p);
	p->stash_len = 0;
	p->rx_stalled = false;
	p->rx_big = false;
}

void net_rx_kicked(struct net_pair *p)
{
	p->rx_stalled = false;
}

/* Move the unused slots (and their iovecs) to the front of the arrays. */
static void slots_compact(struct net_pair *p)
{
	struct net_rx_slot *s = &p->rx_slots[p->slot_first];
	unsigned first_iov, shift;

	if (!p->slot_first)
		return;
	if (!p->slot_count) {
		slots_reset(p);
		return;
	}
	first_iov = s->iov_first;
	shift = first_iov;
	memmove(p->rx_slots, s, p->slot_count * sizeof(*s));
	memmove(p->rx_iov, p->rx_iov + first_iov, (p->iov_end - first_iov) * sizeof(*p->rx_iov));
	for (unsigned i = 0; i < p->slot_count; i++)
		p->rx_slots[i].iov_first -= shift;
	p->iov_end -= shift;
	p->slot_first = 0;
}

/* Pop chains until the gathered room reaches want (without MRG_RXBUF: one chain).
 * Returns RX_DONE when it stopped at want or at the end of the ring, RX_NO_ROOM when
 * the pair's arrays are full (more chains cannot be held for one frame), or
 * RX_BROKEN. */
static enum rx_result rx_gather(struct net_pair *p, uint64_t want, bool mergeable)
{
	struct virtqueue *vq = rx_vq(p);
	struct vq_chain *c = &p->chain;

	while (p->rx_cap < want && (mergeable || !p->slot_count) && p->slot_count < vq->size) {
		struct net_rx_slot *s;
		struct err *e = NULL;
		int rc;

		/* Used slots at the front: move the rest down once the arrays fill up. */
		if (p->slot_first && (p->slot_first + p->slot_count >= NET_RX_MAX_SLOTS ||
				      p->iov_end > NET_RX_MAX_IOV / 2))
			slots_compact(p);
		if (p->slot_first + p->slot_count >= NET_RX_MAX_SLOTS)
			return RX_NO_ROOM;
		rc = vq_pop(vq, c, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			net_broken(p->n, 2 * p->idx, e ? e->message : "?");
			err_free(e);
			return RX_BROKEN;
		}
		/* §5.1.6.3.1: every receive buffer holds at least the header. */
		if (c->in_len < VIRTIO_NET_HDR_LEN) {
			vq->broken = true;
			net_broken(p->n, 2 * p->idx,
				   _("a receive buffer is smaller than the 12-byte virtio-net header"));
			return RX_BROKEN;
		}
		if (p->iov_end + c->n_in > NET_RX_MAX_IOV) {
			vq_unpop(vq, 1);
			return RX_NO_ROOM;
		}
		s = &p->rx_slots[p->slot_first + p->slot_count++];
		s->head = c->head;
		s->cap = (uint32_t)c->in_len;
		s->iov_first = p->iov_end;
		s->iov_count = c->n_in;
		memcpy(p->rx_iov + p->iov_end, c->iov + c->n_out, c->n_in * sizeof(struct iovec));
		p->iov_end += c->n_in;
		p->rx_cap += c->in_len;
	}
	return RX_DONE;
}

/* The largest frame without GSO, header included. */
static uint64_t rx_mtu_frame(const struct net_pair *p)
{
	unsigned mtu = p->n->o.mtu > 1500 ? p->n->o.mtu : 1500;

	return VIRTIO_NET_HDR_LEN + mtu + 14 + 4;
}

/* How much room to gather before a read: an MTU-sized frame, or 64 KiB when the
 * guest takes GSO frames and the last frame was one. Guessing small costs a copy of
 * the tail from the stash when a GSO frame comes after all; guessing large costs
 * popping (and handing back) some 30 chains per round. */
static uint64_t rx_want(const struct net_pair *p)
{
	uint64_t gso = (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO4) |
		       (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO6) |
		       (UINT64_C(1) << VIRTIO_NET_F_GUEST_UFO);

	if (p->rx_big && (__atomic_load_n(&p->n->offloads, __ATOMIC_RELAXED) & gso))
		return NET_STASH_SIZE;
	return rx_mtu_frame(p);
}

/* Should a frame to dst reach the guest (the driver's receive filter)? */
static bool rx_accept(struct net_pair *p, const uint8_t dst[6])
{
	unsigned gen = __atomic_load_n(&p->n->filter_gen, __ATOMIC_ACQUIRE);

	if (gen != p->filter_gen) {
		virtio_net_rx_filter(&p->n->vdev, &p->filter);
		p->filter_gen = gen;
	}
	return virtio_net_filter_accepts(&p->filter, dst);
}

/* The frame of len bytes (header included) lies in the first gathered slots; hdr is
 * its header as the back-end wrote it. Fill in num_buffers, publish the used
 * elements together. Returns false if the frame was dropped instead. */
static bool rx_publish(struct net_pair *p, struct virtio_net_hdr *hdr, uint64_t len,
		       bool mergeable)
{
	struct virtqueue *vq = rx_vq(p);
	const struct net_rx_slot *first = &p->rx_slots[p->slot_first];
	uint64_t left = len;
	unsigned nbufs = 0;

	for (; left; nbufs++)
		left -= first[nbufs].cap < left ? first[nbufs].cap : left;
	if (!virtio_net_hdr_to_guest(hdr, __atomic_load_n(&p->n->offloads, __ATOMIC_RELAXED),
				     (uint16_t)(mergeable ? nbufs : 1))) {
		/* GSO or a partial checksum the driver did not ask for: not with the
		 * offloads set on the tap, but never hand such a frame over. */
		STAT_ADD(p, rx_dropped, 1);
		return false;
	}
	iov_xfer(p->rx_iov + first->iov_first, first->iov_count, 0, hdr, VIRTIO_NET_HDR_LEN, true);
	left = len;
	for (unsigned i = 0; i < nbufs; i++) {
		uint32_t used = first[i].cap < left ? first[i].cap : (uint32_t)left;

		vq_fill(vq, i, first[i].head, used);
		left -= used;
		p->rx_cap -= first[i].cap;
	}
	vq_flush(vq, nbufs);
	p->slot_first += nbufs;
	p->slot_count -= nbufs;
	STAT_ADD(p, rx_packets, 1);
	STAT_ADD(p, rx_bytes, len - VIRTIO_NET_HDR_LEN);
	return true;
}

/* Deliver the stashed frame if the ring has room for it now. */
static enum rx_result rx_from_stash(struct net_pair *p, bool mergeable, bool *pushed)
{
	struct virtqueue *vq = rx_vq(p);
	uint64_t len = p->stash_len;
	struct virtio_net_hdr hdr;
	const struct net_rx_slot *first;
	enum rx_result r;

	if (!rx_accept(p, p->stash + VIRTIO_NET_HDR_LEN)) {
		STAT_ADD(p, rx_filtered, 1);
		p->stash_len = 0;
		return RX_DONE;
	}
	r = rx_gather(p, len, mergeable);
	if (r == RX_BROKEN)
		return r;
	if (p->rx_cap < len) {
		/* More buffers may come, unless the ring (or what we can hold) is full
		 * already, or one chain per frame is all there is. */
		if (p->slot_count == 0 || (mergeable && r == RX_DONE && p->slot_count < vq->size))
			return RX_NO_ROOM;
		STAT_ADD(p, rx_dropped, 1);
		p->stash_len = 0;
		return RX_DONE;
	}
	first = &p->rx_slots[p->slot_first];
	memcpy(&hdr, p->stash, sizeof(hdr));
	iov_xfer(p->rx_iov + first->iov_first, p->iov_end - first->iov_first, 0, p->stash, len,
		 true);
	p->stash_len = 0;
	*pushed |= rx_publish(p, &hdr, len, mergeable);
	return RX_DONE;
}

/* Read one frame from the back-end into buf; returns its length, or -1 (nothing
 * there, or the back-end failed). */
static ssize_t rx_read(struct net_pair *p, const struct iovec *iov, int n)
{
	ssize_t r;

	do
		r = readv(p->fd, iov, n);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EAGAIN)
		net_backend_lost(p->n, p->idx, errno);
	return r;
}

/* A back-end without the header: the frame goes to the stash behind a zero one. */
static enum rx_result rx_headerless(struct net_pair *p, bool mergeable, bool *pushed)
{
	struct iovec v = { p->stash + VIRTIO_NET_HDR_LEN, NET_STASH_SIZE - VIRTIO_NET_HDR_LEN };
	ssize_t n = rx_read(p, &v, 1);

	if (n < 0)
		return RX_EMPTY;
	if (n < 14) {
		STAT_ADD(p, rx_dropped, 1);
		return RX_DONE;
	}
	memset(p->stash, 0, VIRTIO_NET_HDR_LEN);
	p->stash_len = (size_t)n + VIRTIO_NET_HDR_LEN;
	return rx_from_stash(p, mergeable, pushed);
}

static enum rx_result rx_one(struct net_pair *p, bool mergeable, bool *pushed)
{
	const struct net_rx_slot *first;
	struct virtio_net_hdr hdr;
	struct iovec *iov;
	uint8_t dst[6];
	unsigned niov;
	ssize_t n;

	if (p->stash_len)
		return rx_from_stash(p, mergeable, pushed);
	if (!p->n->o.vnet_hdr)
		return rx_headerless(p, mergeable, pushed);
	if (rx_gather(p, rx_want(p), mergeable) == RX_BROKEN)
		return RX_BROKEN;
	if (!p->slot_count)
		return RX_NO_ROOM;
	first = &p->rx_slots[p->slot_first];
	iov = p->rx_iov + first->iov_first;
	niov = p->iov_end - first->iov_first;
	/* The stash catches what does not fit: no frame is ever cut short. */
	p->rx_iov[p->iov_end] = (struct iovec){ p->stash, NET_STASH_SIZE };
	n = rx_read(p, iov, (int)niov + 1);
	if (n < 0)
		return RX_EMPTY;
	if (n < VIRTIO_NET_HDR_LEN + 14) {
		STAT_ADD(p, rx_dropped, 1);
		return RX_DONE;
	}
	p->rx_big = (uint64_t)n > rx_mtu_frame(p);
	if ((uint64_t)n > p->rx_cap) {
		uint64_t head = p->rx_cap;
		enum rx_result r;

		/* Past the stash's size a frame cannot wait whole in it (and may have
		 * been cut short by the read): only a back-end beyond a tap's 64 KiB
		 * GSO limit sends one. */
		if (!mergeable || (uint64_t)n > NET_STASH_SIZE) {
			STAT_ADD(p, rx_dropped, 1);
			return RX_DONE;
		}
		/* The stash holds the tail. More chains for it, if the ring has them;
		 * gathering may move the iovecs, so they are looked up again. */
		r = rx_gather(p, (uint64_t)n, mergeable);
		if (r == RX_BROKEN)
			return r;
		first = &p->rx_slots[p->slot_first];
		iov = p->rx_iov + first->iov_first;
		niov = p->iov_end - first->iov_first;
		if (p->rx_cap >= (uint64_t)n) {
			iov_xfer(iov, niov, head, p->stash, (size_t)n - head, true);
		} else {
			/* Put the head in front of the tail, then wait for room for all
			 * of it. */
			memmove(p->stash + head, p->stash, (size_t)n - head);
			iov_xfer(iov, niov, 0, p->stash, head, false);
			p->stash_len = (size_t)n;
			return rx_from_stash(p, mergeable, pushed);
		}
	}
	iov_xfer(iov, niov, VIRTIO_NET_HDR_LEN, dst, sizeof(dst), false);
	if (!rx_accept(p, dst)) {
		STAT_ADD(p, rx_filtered, 1);
		return RX_DONE;
	}
	iov_xfer(iov, niov, 0, &hdr, sizeof(hdr), false);
	*pushed |= rx_publish(p, &hdr, (uint64_t)n, mergeable);
	return RX_DONE;
}

/* The link is down: what the back-end has is read and dropped. Returns true if the
 * budget ran out. */
static bool rx_drain(struct net_pair *p)
{
	struct iovec v = { p->stash, NET_STASH_SIZE };

	p->stash_len = 0;
	for (unsigned i = 0; i < NET_BUDGET; i++) {
		if (rx_read(p, &v, 1) < 0)
			return false;
		STAT_ADD(p, rx_dropped, 1);
	}
	return true;
}

bool net_rx_run(struct net_pair *p)
{
	struct virtqueue *vq = rx_vq(p);
	enum rx_result r = RX_DONE;
	bool mergeable, pushed = false;

	if (!net_live(p->n) || p->fd < 0 || __atomic_load_n(&p->n->backend_lost, __ATOMIC_RELAXED))
		return false;
	if (net_frames_dropped(p->n))
		return rx_drain(p);
	if (!ready(vq) || p->rx_stalled)
		return false;
	mergeable = vdev_has_feature(&p->n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	vq_disable_kicks(vq);
	for (unsigned i = 0; i < NET_BUDGET && r == RX_DONE; i++)
		r = rx_one(p, mergeable, &pushed);
	rx_unpop(p);
	if (pushed)
		vdev_notify_queue(&p->n->vdev, 2 * p->idx);
	switch (r) {
	case RX_DONE:
		return true;	/* the budget ran out */
	case RX_NO_ROOM:
		/* Sleep until the driver adds buffers past those there now. */
		p->rx_stalled = true;
		if (!vq_enable_kicks_beyond(vq))
			return false;
		p->rx_stalled = false;
		return true;
	case RX_EMPTY:
	case RX_BROKEN:
		break;
	}
	return false;
}
