/* virtio-net (virtio 1.x §5.1): features, configuration, the control queue, the
 * link, and the device's ops table. The data path is net_rxtx.c (userspace) or
 * vhost (net_pair.c); see net.h for the queue layout.
 *
 * The control queue runs on pair 0's thread: VQ_PAIRS_SET parks the threads of the
 * pairs it switches off (after they sent what their tx rings held) and detaches
 * their tap queues, or attaches and wakes them; the receive filter is published to
 * the pair threads through a generation counter (each keeps a copy); the guest
 * offloads go to the tap (TUNSETOFFLOAD). */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/net/tap.h"
#include "drivers/net/vhost_net.h"
#include "drivers/virtio/net_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define BIT(b) (UINT64_C(1) << (b))
#define GUEST_OFFLOAD_BITS (BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) | \
			    BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) | \
			    BIT(VIRTIO_NET_F_GUEST_UFO))
/* Offloads need the header on the back-end fd. */
#define HDR_FEATURES (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | \
		      BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | \
		      BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_GUEST_TSO4) | \
		      BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) | \
		      BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))

/* Config space offsets (struct virtio_net_config). */
#define CFG_MAC		0
#define CFG_STATUS	6
#define CFG_MAX_PAIRS	8
#define CFG_MTU		10
#define CFG_SPEED	12
#define CFG_DUPLEX	16

/* ---- pure helpers ---- */

uint64_t virtio_net_guest_offloads(uint64_t features)
{
	return features & GUEST_OFFLOAD_BITS;
}

unsigned virtio_net_tun_flags(uint64_t offloads)
{
	struct tap_offload o = {
		.csum = offloads & BIT(VIRTIO_NET_F_GUEST_CSUM),
		.tso4 = offloads & BIT(VIRTIO_NET_F_GUEST_TSO4),
		.tso6 = offloads & BIT(VIRTIO_NET_F_GUEST_TSO6),
		.ecn = offloads & BIT(VIRTIO_NET_F_GUEST_ECN),
		.ufo = offloads & BIT(VIRTIO_NET_F_GUEST_UFO),
	};

	return tap_offload_flags(&o);
}

bool virtio_net_hdr_to_guest(struct virtio_net_hdr *h, uint64_t offloads, uint16_t num_buffers)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	h->num_buffers = htole16(num_buffers);
	if (!(offloads & BIT(VIRTIO_NET_F_GUEST_CSUM))) {
		/* §5.1.6.4.1: flags 0 then. DATA_VALID only says the sum was checked. */
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		h->flags = 0;
	}
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(offloads & BIT(VIRTIO_NET_F_GUEST_ECN)))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN);
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return offloads & BIT(VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return offloads & BIT(VIRTIO_NET_F_GUEST_TSO6);
	case VIRTIO_NET_HDR_GSO_UDP:
		return offloads & BIT(VIRTIO_NET_F_GUEST_UFO);
	default:
		return false;
	}
}

static bool mac_in(const uint8_t (*table)[6], unsigned n, const uint8_t mac[6])
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(table[i], mac, 6) == 0)
			return true;
	return false;
}

bool virtio_net_filter_accepts(const struct virtio_net_rx_filter *f, const uint8_t dst[6])
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (f->promisc)
		return true;
	if (dst[0] & 1) {
		if (memcmp(dst, bcast, 6) == 0)
			return true;	/* no NOBCAST: CTRL_RX_EXTRA is not offered */
		return f->allmulti || f->multi_overflow || mac_in(f->multi, f->n_multi, dst);
	}
	return f->uni_overflow || memcmp(dst, f->mac, 6) == 0 || mac_in(f->uni, f->n_uni, dst);
}

/* ---- state shared with the pair threads ---- */

unsigned net_ctrl_qidx(const struct virtio_net *n)
{
	return vdev_has_feature(&n->vdev, VIRTIO_NET_F_MQ) ? 2 * n->max_pairs : 2;
}

bool net_frames_dropped(const struct virtio_net *n)
{
	return n->o.nfds == 0 || __atomic_load_n(&n->link_down, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&n->backend_lost, __ATOMIC_RELAXED);
}

void net_broken(struct virtio_net *n, unsigned qidx, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), _("queue %u: %s"), qidx, why);
	vdev_set_needs_reset(&n->vdev, msg);
}

/* The link is up unless set_link said down or the back-end failed; a change bumps
 * the config generation and interrupts a running driver (as QEMU's
 * virtio_net_set_link_status). */
static void update_status(struct virtio_net *n)
{
	bool down = __atomic_load_n(&n->link_down, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&n->backend_lost, __ATOMIC_RELAXED);
	uint16_t now = down ? 0 : VIRTIO_NET_S_LINK_UP;

	if (__atomic_exchange_n(&n->status, now, __ATOMIC_ACQ_REL) == now)
		return;
	__atomic_fetch_add(&n->vdev.config_generation, 1, __ATOMIC_RELEASE);
	if ((__atomic_load_n(&n->vdev.status, __ATOMIC_ACQUIRE) & VIRTIO_STATUS_DRIVER_OK) &&
	    n->vdev.transport && n->vdev.transport->notify_config)
		n->vdev.transport->notify_config(&n->vdev);
}

void net_backend_lost(struct virtio_net *n, unsigned pair, int errnum)
{
	if (__atomic_exchange_n(&n->backend_lost, true, __ATOMIC_ACQ_REL))
		return;
	log_warning(n->vdev.log, _("%s: the back-end of queue pair %u failed (%s); the link is down"),
		    n->vdev.name, pair, errnum ? strerror(errnum) : _("error or hang-up on its fd"));
	update_status(n);
}

void virtio_net_set_link(struct vdev *vdev, bool up)
{
	struct virtio_net *n = to_net(vdev);

	__atomic_store_n(&n->link_down, !up, __ATOMIC_RELEASE);
	update_status(n);
	/* Down, the pairs run in the worker, which drops frames both ways (and drains
	 * the back-end), as QEMU stops vhost while the link is down. */
	for (unsigned i = 0; i < n->max_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		net_pair_hold(p);
		if (up)
			net_pair_vhost_start(p);
		else
			net_pair_vhost_stop(p);
		net_pair_release(p);
		net_pair_wake(p);
	}
}

bool virtio_net_link_up(struct vdev *vdev)
{
	return __atomic_load_n(&to_net(vdev)->status, __ATOMIC_ACQUIRE) & VIRTIO_NET_S_LINK_UP;
}

static void set_backend_offloads(struct virtio_net *n, uint64_t offloads)
{
	struct err *e = NULL;

	__atomic_store_n(&n->offloads, offloads, __ATOMIC_RELEASE);
	if (!n->o.nfds || !n->o.be || !n->o.be->set_offload)
		return;
	if (n->o.be->set_offload(n->o.be_ctx, virtio_net_tun_flags(offloads), &e) < 0) {
		log_err(n->vdev.log, VLOG_WARNING, e);
		err_free(e);
	}
}

static void backend_queue_enable(struct virtio_net *n, unsigned q, bool on)
{
	struct err *e = NULL;

	if (q >= n->o.nfds || !n->o.be || !n->o.be->queue_enable)
		return;
	if (n->o.be->queue_enable(n->o.be_ctx, q, on, &e) < 0) {
		log_err(n->vdev.log, VLOG_WARNING, e);
		err_free(e);
	}
}

/* The driver uses `pairs` queue pairs from now on (with the pairs parked or not
 * running: at reset, or from pair 0's thread). */
static void set_pairs(struct virtio_net *n, unsigned pairs)
{
	unsigned old;

	pthread_mutex_lock(&n->lock);
	old = n->curr_pairs;
	n->curr_pairs = pairs;
	pthread_mutex_unlock(&n->lock);
	/* Going off: the thread sends what its tx ring holds and parks, then the tap
	 * queue is detached (its packets are dropped by the kernel, none is left
	 * stranded in a queue the guest does not read). */
	for (unsigned i = pairs; i < old; i++) {
		net_pair_set_active(&n->pairs[i], false);
		backend_queue_enable(n, i, false);
	}
	for (unsigned i = old; i < pairs; i++) {
		backend_queue_enable(n, i, true);
		net_pair_set_active(&n->pairs[i], true);
	}
}

/* ---- the control queue ---- */

static void filter_changed(struct virtio_net *n)
{
	__atomic_fetch_add(&n->filter_gen, 1, __ATOMIC_RELEASE);
	if (n->o.rx_filter_changed)
		n->o.rx_filter_changed(n->o.opaque);
}

static uint8_t ctrl_rx(struct virtio_net *n, uint8_t cmd, const struct vq_chain *c)
{
	uint8_t on;

	if (!vdev_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_RX) ||
	    (cmd != VIRTIO_NET_CTRL_RX_PROMISC && cmd != VIRTIO_NET_CTRL_RX_ALLMULTI) ||
	    vq_copy_from_out(c, 2, &on, 1) != 1)
		return VIRTIO_NET_ERR;
	pthread_mutex_lock(&n->lock);
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		n->filter.promisc = on;
	else
		n->filter.allmulti = on;
	pthread_mutex_unlock(&n->lock);
	filter_changed(n);
	return VIRTIO_NET_OK;
}

/* One table of MAC_TABLE_SET at *off: {le32 entries, entries * 6 bytes}; into
 * table[*used..] when it fits the room left, else *overflow. Returns false when the
 * chain is too short for it. */
static bool mac_table_read(const struct vq_chain *c, uint64_t *off, uint8_t (*table)[6],
			   unsigned *used, bool *overflow)
{
	uint32_t entries;
	uint64_t bytes;

	if (vq_copy_from_out(c, *off, &entries, 4) != 4)
		return false;
	entries = le32toh(entries);
	bytes = (uint64_t)entries * 6;
	*off += 4;
	if (bytes > c->out_len - *off)
		return false;
	if (entries <= VIRTIO_NET_MAC_TABLE_ENTRIES - *used) {
		vq_copy_from_out(c, *off, table + *used, bytes);
		*used += entries;
	} else {
		*overflow = true;
	}
	*off += bytes;
	return true;
}

/* MAC_TABLE_SET as QEMU parses it: unicast, then multicast, sharing 64 entries, the
 * multicast table ending the buffer exactly; applied only when all of it is right. */
static uint8_t ctrl_mac_table(struct virtio_net *n, const struct vq_chain *c)
{
	uint8_t (*all)[6] = xcalloc(VIRTIO_NET_MAC_TABLE_ENTRIES, 6);
	bool uni_over = false, multi_over = false;
	unsigned used = 0, n_uni;
	uint64_t off = 2;

	if (!mac_table_read(c, &off, all, &used, &uni_over))
		goto bad;
	n_uni = used;
	if (!mac_table_read(c, &off, all, &used, &multi_over) || off != c->out_len)
		goto bad;
	pthread_mutex_lock(&n->lock);
	n->filter.n_uni = n_uni;
	n->filter.n_multi = used - n_uni;
	memcpy(n->filter.uni, all, (size_t)n_uni * 6);
	memcpy(n->filter.multi, all + n_uni, (size_t)(used - n_uni) * 6);
	n->filter.uni_overflow = uni_over;
	n->filter.multi_overflow = multi_over;
	pthread_mutex_unlock(&n->lock);
	free(all);
	filter_changed(n);
	return VIRTIO_NET_OK;
bad:
	free(all);
	return VIRTIO_NET_ERR;
}

static uint8_t ctrl_mac(struct virtio_net *n, uint8_t cmd, const struct vq_chain *c)
{
	uint8_t mac[6];

	if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET && vdev_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_RX))
		return ctrl_mac_table(n, c);
	if (cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET ||
	    !vdev_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_MAC_ADDR) || c->out_len != 2 + 6)
		return VIRTIO_NET_ERR;
	vq_copy_from_out(c, 2, mac, 6);
	pthread_mutex_lock(&n->lock);
	memcpy(n->filter.mac, mac, 6);
	pthread_mutex_unlock(&n->lock);
	filter_changed(n);
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_mq(struct virtio_net *n, uint8_t cmd, const struct vq_chain *c)
{
	uint16_t pairs;

	if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !vdev_has_feature(&n->vdev, VIRTIO_NET_F_MQ) ||
	    vq_copy_from_out(c, 2, &pairs, 2) != 2)
		return VIRTIO_NET_ERR;
	pairs = le16toh(pairs);
	if (pairs < 1 || pairs > n->max_pairs)
		return VIRTIO_NET_ERR;
	set_pairs(n, pairs);
	log_debug(n->vdev.log, "%s: the driver set %u queue pair(s) in use", n->vdev.name, pairs);
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_offloads(struct virtio_net *n, uint8_t cmd, const struct vq_chain *c)
{
	uint64_t want;

	if (cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET ||
	    !vdev_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
	    vq_copy_from_out(c, 2, &want, 8) != 8)
		return VIRTIO_NET_ERR;
	want = le64toh(want);
	if (want & ~virtio_net_guest_offloads(n->vdev.driver_features))
		return VIRTIO_NET_ERR;
	set_backend_offloads(n, want);
	return VIRTIO_NET_OK;
}

/* The last writable byte of the chain (the ack), or NULL. */
static uint8_t *ack_byte(const struct vq_chain *c)
{
	for (unsigned i = c->n_out + c->n_in; i > c->n_out; i--)
		if (c->iov[i - 1].iov_len)
			return (uint8_t *)c->iov[i - 1].iov_base + c->iov[i - 1].iov_len - 1;
	return NULL;
}

void net_ctrl_run(struct virtio_net *n)
{
	unsigned q = net_ctrl_qidx(n);
	struct virtqueue *vq = &n->vdev.vqs[q];
	struct vq_chain *c = &n->pairs[0].chain;
	bool pushed = false;

	if (!net_live(n))
		return;
	/* Until the ring is empty with kicks asked for again (with EVENT_IDX the driver
	 * kicks only past avail_event, which must follow what was taken); a driver that
	 * keeps the ring full gets at most 4 rounds of it per kick. */
	for (unsigned budget = 4u * vq->size; budget; budget--) {
		struct err *e = NULL;
		uint8_t hdr[2], ack, *ackp;
		int rc = vq_pop(vq, c, &e);

		if (rc < 0) {
			net_broken(n, q, e ? e->message : "?");
			err_free(e);
			break;
		}
		if (rc == 0) {
			if (!vq_enable_kicks(vq))
				break;
			continue;
		}
		ackp = ack_byte(c);
		if (!ackp || vq_copy_from_out(c, 0, hdr, 2) != 2) {
			net_broken(n, q, _("a control command without its class, command or ack byte"));
			break;
		}
		switch (hdr[0]) {
		case VIRTIO_NET_CTRL_RX:		ack = ctrl_rx(n, hdr[1], c); break;
		case VIRTIO_NET_CTRL_MAC:		ack = ctrl_mac(n, hdr[1], c); break;
		case VIRTIO_NET_CTRL_MQ:		ack = ctrl_mq(n, hdr[1], c); break;
		case VIRTIO_NET_CTRL_GUEST_OFFLOADS:	ack = ctrl_offloads(n, hdr[1], c); break;
		default:				ack = VIRTIO_NET_ERR; break;
		}
		*ackp = ack;
		vq_push(vq, c->head, 1);
		pushed = true;
	}
	if (pushed)
		vdev_notify_queue(&n->vdev, q);
}

/* ---- ops ---- */

static uint64_t net_features(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);
	uint64_t f = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
		     BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
		     BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | BIT(VIRTIO_NET_F_SPEED_DUPLEX);

	if (n->o.nfds && n->o.vnet_hdr)
		f |= HDR_FEATURES;
	if (n->o.mtu)
		f |= BIT(VIRTIO_NET_F_MTU);
	if (n->o.mq)
		f |= BIT(VIRTIO_NET_F_MQ);
	if (n->o.vhost && !(vhost_net_features(n->o.vhost) & BIT(VIRTIO_NET_F_MRG_RXBUF)))
		f &= ~BIT(VIRTIO_NET_F_MRG_RXBUF);
	return f & ~n->o.features_off;
}

/* FEATURES_OK: the tap gets the offloads the driver can take. */
static bool net_set_features(struct vdev *vdev, uint64_t features)
{
	set_backend_offloads(to_net(vdev), virtio_net_guest_offloads(features));
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void net_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net *n = to_net(vdev);
	uint8_t cfg[VIRTIO_NET_CONFIG_SIZE];
	uint32_t speed = UINT32_MAX;		/* SPEED_UNKNOWN, as QEMU */

	pthread_mutex_lock(&n->lock);
	memcpy(cfg + CFG_MAC, n->filter.mac, 6);
	pthread_mutex_unlock(&n->lock);
	put16(cfg + CFG_STATUS, __atomic_load_n(&n->status, __ATOMIC_ACQUIRE));
	put16(cfg + CFG_MAX_PAIRS, (uint16_t)n->max_pairs);
	put16(cfg + CFG_MTU, (uint16_t)n->o.mtu);
	memcpy(cfg + CFG_SPEED, &speed, 4);
	cfg[CFG_DUPLEX] = 0xff;			/* DUPLEX_UNKNOWN */
	memcpy(buf, cfg + off, len);
}

static void net_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	/* VERSION_1: the driver changes the MAC with CTRL_MAC_ADDR, nothing is writable. */
}

static void net_queue_notify(struct vdev *vdev, unsigned qidx)
{
	int fd = virtio_net_kick_fd(vdev, qidx);
	uint64_t one = 1;

	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
}

/* The rings are set up: start the pairs (vhost or the threads), pair 0 active. */
static void net_driver_ok(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);

	for (unsigned i = 0; i < n->max_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		net_pair_hold(p);
		p->rx_stalled = p->tx_blocked = false;
		net_pair_vhost_start(p);
		net_pair_release(p);
		net_pair_wake(p);
	}
}

static void default_filter(struct virtio_net *n)
{
	pthread_mutex_lock(&n->lock);
	memset(&n->filter, 0, sizeof(n->filter));
	memcpy(n->filter.mac, n->o.mac, 6);
	n->filter.promisc = true;		/* QEMU's reset state */
	pthread_mutex_unlock(&n->lock);
	__atomic_fetch_add(&n->filter_gen, 1, __ATOMIC_RELEASE);
}

/* The transport set status 0: every pair parks and forgets its rings (vhost too),
 * one pair again, QEMU's reset filter, no offloads. */
static void net_reset(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);

	for (unsigned i = 0; i < n->max_pairs; i++) {
		net_pair_hold(&n->pairs[i]);
		net_pair_vhost_stop(&n->pairs[i]);
		net_rx_forget(&n->pairs[i]);
	}
	set_pairs(n, 1);
	default_filter(n);
	n->vhost_failed = false;
	set_backend_offloads(n, 0);
	for (unsigned i = 0; i < n->max_pairs; i++)
		net_pair_release(&n->pairs[i]);
}

/* A queue's MSI-X vector was masked or unmasked (vCPU thread, transport's lock). */
static void net_queue_irqfd_changed(struct vdev *vdev, unsigned qidx)
{
	struct virtio_net *n = to_net(vdev);
	struct net_pair *p;

	if (!n->o.vhost || qidx / 2 >= n->max_pairs || qidx == net_ctrl_qidx(n))
		return;
	p = &n->pairs[qidx / 2];
	net_pair_hold(p);
	net_pair_vhost_recall(p, qidx % 2);
	net_pair_release(p);	/* parked, it polls the relayed call fds afresh */
}

static const struct vdev_ops virtio_net_ops = {
	.name = "virtio-net-pci",
	.device_id = VIRTIO_ID_NET,
	.features = net_features,
	.set_features = net_set_features,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.queue_notify = net_queue_notify,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
	.queue_irqfd_changed = net_queue_irqfd_changed,
};

/* ---- creation ---- */

static bool size_ok(unsigned s)
{
	return s >= 256 && s <= VIRTIO_NET_MAX_QUEUE_SIZE && !(s & (s - 1));
}

static int check_opts(const struct virtio_net_opts *o, unsigned pairs, struct err **errp)
{
	if (pairs < 1 || pairs > VIRTIO_NET_MAX_PAIRS)
		return err_set(errp, ERR_RANGE, _("virtio-net: %u queue pairs (1 to %d)"), pairs,
			       VIRTIO_NET_MAX_PAIRS);
	if (o->nfds && o->nfds != pairs)
		return err_set(errp, ERR_INVALID, _("virtio-net: %u queue pairs but %u back-end fds"),
			       pairs, o->nfds);
	if ((o->rx_queue_size && !size_ok(o->rx_queue_size)) ||
	    (o->tx_queue_size && !size_ok(o->tx_queue_size)))
		return err_set(errp, ERR_RANGE,
			       _("virtio-net: rx_queue_size=%u, tx_queue_size=%u: each must be a power of 2 from 256 to %d"),
			       o->rx_queue_size, o->tx_queue_size, VIRTIO_NET_MAX_QUEUE_SIZE);
	if (o->mtu && (o->mtu < 68 || o->mtu > 65535))
		return err_set(errp, ERR_RANGE, _("virtio-net: host_mtu=%u (68 to 65535)"), o->mtu);
	if (o->vhost && (!o->nfds || vhost_net_pairs(o->vhost) < pairs))
		return err_set(errp, ERR_INVALID, _("virtio-net: vhost needs a tap and one vhost fd per queue pair"));
	if (o->vhost && !(vhost_net_features(o->vhost) & BIT(VIRTIO_F_VERSION_1)))
		return err_set(errp, ERR_UNSUPPORTED,
			       _("virtio-net: this kernel's vhost-net lacks VIRTIO_F_VERSION_1"));
	return 0;
}

static void set_queue_sizes(struct virtio_net *n)
{
	unsigned rx = n->o.rx_queue_size ? n->o.rx_queue_size : VIRTIO_NET_DEFAULT_QUEUE_SIZE;
	unsigned tx = n->o.tx_queue_size ? n->o.tx_queue_size : VIRTIO_NET_DEFAULT_QUEUE_SIZE;

	for (unsigned i = 0; i < n->max_pairs; i++) {
		n->vdev.queue_max_of[2 * i] = (uint16_t)rx;
		n->vdev.queue_max_of[2 * i + 1] = (uint16_t)tx;
	}
	n->vdev.queue_max_of[2 * n->max_pairs] = VIRTIO_NET_CTRL_QUEUE_SIZE;
}

struct vdev *virtio_net_new(const struct virtio_net_opts *o, const struct gmem *mem,
			    const struct logger *log, struct err **errp)
{
	unsigned pairs = o->pairs ? o->pairs : 1;
	unsigned rx = o->rx_queue_size ? o->rx_queue_size : VIRTIO_NET_DEFAULT_QUEUE_SIZE;
	unsigned tx = o->tx_queue_size ? o->tx_queue_size : VIRTIO_NET_DEFAULT_QUEUE_SIZE;
	struct virtio_net *n;

	if (check_opts(o, pairs, errp) < 0)
		return NULL;
	n = xzalloc(sizeof(*n));
	vdev_init(&n->vdev, &virtio_net_ops, mem, log, 2 * pairs + 1,
		  (uint16_t)(rx > tx ? rx : tx), VIRTIO_NET_CONFIG_SIZE);
	n->o = *o;
	n->max_pairs = pairs;
	n->curr_pairs = 1;
	n->status = VIRTIO_NET_S_LINK_UP;
	pthread_mutex_init(&n->lock, NULL);
	set_queue_sizes(n);
	if (o->event_idx_off)
		n->vdev.transport_features_off |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (o->vhost) {
		uint64_t vf = vhost_net_features(o->vhost);

		n->vdev.transport_features_off |= (BIT(VIRTIO_RING_F_EVENT_IDX) |
						   BIT(VIRTIO_RING_F_INDIRECT_DESC)) & ~vf;
	}
	default_filter(n);
	n->ctrl_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->pairs = xcalloc(pairs, sizeof(*n->pairs));
	for (unsigned i = 0; i < pairs; i++) {
		if (net_pair_init(n, i, errp) < 0) {
			n->max_pairs = i;	/* the ones made so far */
			virtio_net_free(&n->vdev);
			return NULL;
		}
	}
	/* Only pair 0 is in use until the driver says otherwise. */
	for (unsigned i = 1; i < pairs; i++)
		backend_queue_enable(n, i, false);
	backend_queue_enable(n, 0, true);
	return &n->vdev;
}

void virtio_net_free(struct vdev *vdev)
{
	struct virtio_net *n;

	if (!vdev)
		return;
	n = to_net(vdev);
	if (vdev->log && vdev->log->level >= VLOG_DEBUG) {
		struct virtio_net_stats st;

		virtio_net_get_stats(vdev, &st);
		log_debug(vdev->log, "%s: rx %llu frames %llu bytes, %llu dropped, %llu filtered; tx %llu frames %llu bytes, %llu dropped",
			  vdev->name, (unsigned long long)st.rx_packets,
			  (unsigned long long)st.rx_bytes, (unsigned long long)st.rx_dropped,
			  (unsigned long long)st.rx_filtered, (unsigned long long)st.tx_packets,
			  (unsigned long long)st.tx_bytes, (unsigned long long)st.tx_dropped);
		for (unsigned i = 0; i < n->max_pairs; i++)
			log_debug(vdev->log, "%s: pair %u: rx %llu tx %llu frames; rx %s, %zu bytes waiting; tx %s",
				  vdev->name, i,
				  (unsigned long long)__atomic_load_n(&n->pairs[i].stats.rx_packets, __ATOMIC_RELAXED),
				  (unsigned long long)__atomic_load_n(&n->pairs[i].stats.tx_packets, __ATOMIC_RELAXED),
				  n->pairs[i].rx_stalled ? "waiting for buffers" : "polling",
				  n->pairs[i].stash_len, n->pairs[i].tx_blocked ? "blocked" : "free");
	}
	for (unsigned i = 0; i < n->max_pairs; i++)
		net_pair_destroy(&n->pairs[i]);
	free(n->pairs);
	if (n->ctrl_kick_fd >= 0)
		close(n->ctrl_kick_fd);
	pthread_mutex_destroy(&n->lock);
	pthread_mutex_destroy(&vdev->lock);
	free(n);
}

int virtio_net_kick_fd(struct vdev *vdev, unsigned qidx)
{
	struct virtio_net *n = to_net(vdev);

	if (qidx == 2 * n->max_pairs)
		return n->ctrl_kick_fd;
	if (qidx >= 2 * n->max_pairs)
		return -1;
	return n->pairs[qidx / 2].kick_fd[qidx % 2];
}

void virtio_net_pause(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);

	if (n->paused)
		return;
	n->paused = true;
	for (unsigned i = 0; i < n->max_pairs; i++) {
		net_pair_set_paused(&n->pairs[i], true);	/* returns with it parked */
		net_pair_vhost_stop(&n->pairs[i]);
	}
}

void virtio_net_resume(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);

	if (!n->paused)
		return;
	n->paused = false;
	for (unsigned i = 0; i < n->max_pairs; i++) {
		net_pair_vhost_start(&n->pairs[i]);	/* still parked: paused */
		net_pair_set_paused(&n->pairs[i], false);
	}
}

void virtio_net_rx_filter(struct vdev *vdev, struct virtio_net_rx_filter *out)
{
	struct virtio_net *n = to_net(vdev);

	pthread_mutex_lock(&n->lock);
	*out = n->filter;
	pthread_mutex_unlock(&n->lock);
}

void virtio_net_get_stats(struct vdev *vdev, struct virtio_net_stats *out)
{
	struct virtio_net *n = to_net(vdev);

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < n->max_pairs; i++) {
		const struct virtio_net_stats *s = &n->pairs[i].stats;

		out->rx_packets += __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
		out->rx_bytes += __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
		out->rx_dropped += __atomic_load_n(&s->rx_dropped, __ATOMIC_RELAXED);
		out->rx_filtered += __atomic_load_n(&s->rx_filtered, __ATOMIC_RELAXED);
		out->tx_packets += __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED);
		out->tx_bytes += __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
		out->tx_dropped += __atomic_load_n(&s->tx_dropped, __ATOMIC_RELAXED);
	}
}

unsigned virtio_net_active_pairs(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);
	unsigned p;

	pthread_mutex_lock(&n->lock);
	p = n->curr_pairs;
	pthread_mutex_unlock(&n->lock);
	return p;
}

bool virtio_net_vhost_running(struct vdev *vdev)
{
	struct virtio_net *n = to_net(vdev);

	return n->o.vhost && vhost_net_running(n->o.vhost, 0);
}
