/* virtio-net (virtio 1.x §5.1): queue pairs over a tap (drivers/net/tap.h), served
 * either by one I/O thread per pair in this process or by vhost-net in the kernel
 * (drivers/net/vhost_net.h), plus the control queue.
 *
 * Queues: rx of pair i is 2i, tx is 2i + 1, the control queue is 2 * pairs when the
 * driver negotiated VIRTIO_NET_F_MQ and 2 otherwise (§5.1.2). Every queue has its own
 * kick eventfd (virtio_net_kick_fd: the machine registers it as the queue's KVM
 * ioeventfd); in userspace mode pair i's thread waits on its rx and tx kicks and on
 * its back-end fd, pair 0's also on the control queue's kick; with vhost the kernel
 * waits on the data kicks.
 *
 * Frames carry the 12-byte virtio_net_hdr_v1 both in the rings and on the back-end
 * fd (a tap with IFF_VNET_HDR and TUNSETVNETHDRSZ 12), so the data path copies no
 * header; the device fills in num_buffers and hides offload flags the driver did not
 * ask for. A back-end fd without the header (a tap without IFF_VNET_HDR) gets frames
 * without it, and then no offloads are offered. */
#ifndef VIREO_DRIVERS_VIRTIO_NET_H
#define VIREO_DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"

struct vhost_net;

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_CTRL_VQ		17
#define VIRTIO_NET_F_CTRL_RX		18
#define VIRTIO_NET_F_CTRL_VLAN		19
#define VIRTIO_NET_F_CTRL_RX_EXTRA	20
#define VIRTIO_NET_F_GUEST_ANNOUNCE	21
#define VIRTIO_NET_F_MQ			22
#define VIRTIO_NET_F_CTRL_MAC_ADDR	23
#define VIRTIO_NET_F_SPEED_DUPLEX	63

#define VIRTIO_NET_S_LINK_UP	1

/* struct virtio_net_hdr_v1 (§5.1.6) */
#define VIRTIO_NET_HDR_LEN		12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;	/* little-endian, as the rest */
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* Control queue classes and commands (§5.1.6.5); acks. */
#define VIRTIO_NET_CTRL_RX			0
#define  VIRTIO_NET_CTRL_RX_PROMISC		0
#define  VIRTIO_NET_CTRL_RX_ALLMULTI		1
#define VIRTIO_NET_CTRL_MAC			1
#define  VIRTIO_NET_CTRL_MAC_TABLE_SET		0
#define  VIRTIO_NET_CTRL_MAC_ADDR_SET		1
#define VIRTIO_NET_CTRL_VLAN			2
#define VIRTIO_NET_CTRL_ANNOUNCE		3
#define VIRTIO_NET_CTRL_MQ			4
#define  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET	0
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS		5
#define  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET	0
#define VIRTIO_NET_OK	0
#define VIRTIO_NET_ERR	1

#define VIRTIO_NET_MAX_PAIRS		31	/* 2 * 31 + 1 queues fit VDEV_MAX_QUEUES */
#define VIRTIO_NET_MAC_TABLE_ENTRIES	64	/* QEMU's MAC_TABLE_ENTRIES */
#define VIRTIO_NET_CTRL_QUEUE_SIZE	64
#define VIRTIO_NET_DEFAULT_QUEUE_SIZE	256
#define VIRTIO_NET_MAX_QUEUE_SIZE	1024
#define VIRTIO_NET_CONFIG_SIZE		17	/* up to duplex */

/* Hooks into the tap (or a test's fake): the calls that are not reads and writes. */
struct virtio_net_backend_ops {
	/* TUNSETOFFLOAD with these TUN_F_* flags (tap_offload_flags). */
	int (*set_offload)(void *ctx, unsigned tun_flags, struct err **errp);
	/* Attach (on) or detach back-end queue q (TUNSETQUEUE). */
	int (*queue_enable)(void *ctx, unsigned q, bool on, struct err **errp);
};

/* The receive filter the driver set (CTRL_RX, CTRL_MAC), as query-rx-filter shows it. */
struct virtio_net_rx_filter {
	uint8_t mac[6];			/* the device's address (MAC_ADDR_SET changes it) */
	bool promisc, allmulti;
	bool uni_overflow, multi_overflow;	/* the driver's table was too long */
	unsigned n_uni, n_multi;
	uint8_t uni[VIRTIO_NET_MAC_TABLE_ENTRIES][6];
	uint8_t multi[VIRTIO_NET_MAC_TABLE_ENTRIES][6];
};

/* Counters, per device. */
struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_filtered;
	uint64_t tx_packets, tx_bytes, tx_dropped;
};

struct virtio_net_opts {
	uint8_t mac[6];
	unsigned pairs;			/* queue pairs (1 to VIRTIO_NET_MAX_PAIRS); 0 means 1 */
	bool mq;			/* offer VIRTIO_NET_F_MQ */
	unsigned rx_queue_size;		/* 0: 256; a power of 2 from 256 to 1024 */
	unsigned tx_queue_size;		/* 0: 256; likewise */
	unsigned mtu;			/* host_mtu (offers VIRTIO_NET_F_MTU), 0: none */
	bool event_idx_off;		/* event_idx=off */
	uint64_t features_off;		/* device features switched off (csum=off, ...) */
	/* The back-end: fds[q] for pair q (nfds == pairs), or nfds 0 for none (frames
	 * sent are dropped, nothing is received). fds stay the caller's. */
	const int *fds;
	unsigned nfds;
	bool vnet_hdr;			/* the fds carry struct virtio_net_hdr */
	const struct virtio_net_backend_ops *be;
	void *be_ctx;
	/* vhost=on: rx/tx in the kernel through this (the caller's, one fd per pair). */
	struct vhost_net *vhost;
	/* CTRL_RX / CTRL_MAC changed the filter (NIC_RX_FILTER_CHANGED): any thread. */
	void (*rx_filter_changed)(void *opaque);
	void *opaque;
	/* Tests: no I/O threads; the test drives the pairs (net_priv.h). */
	bool no_threads;
};

/* A virtio-net device, or NULL with an error naming the bad option. */
struct vdev *virtio_net_new(const struct virtio_net_opts *o, const struct gmem *mem,
			    const struct logger *log, struct err **errp);
/* Stops the threads and vhost; closes no back-end fd. NULL is fine. */
void virtio_net_free(struct vdev *vdev);

/* The eventfd for queue qidx's kicks (register it as the queue's KVM ioeventfd), or
 * -1 past the last queue. The device keeps it. */
int virtio_net_kick_fd(struct vdev *vdev, unsigned qidx);

/* The VM stops: the I/O threads park (nothing touches guest memory) and vhost rings
 * stop with their state kept; resume undoes it. Idempotent. */
void virtio_net_pause(struct vdev *vdev);
void virtio_net_resume(struct vdev *vdev);

/* set_link: the administrative link state (STATUS in the config, a config
 * interrupt when it changes). Frames are dropped both ways while it is down. */
void virtio_net_set_link(struct vdev *vdev, bool up);
bool virtio_net_link_up(struct vdev *vdev);

void virtio_net_rx_filter(struct vdev *vdev, struct virtio_net_rx_filter *out);
void virtio_net_get_stats(struct vdev *vdev, struct virtio_net_stats *out);
/* Queue pairs the driver uses now (1 until VQ_PAIRS_SET), and whether vhost runs. */
unsigned virtio_net_active_pairs(struct vdev *vdev);
bool virtio_net_vhost_running(struct vdev *vdev);

/* Pure helpers (exposed for the tests). */
/* Whether a frame to dst passes f (QEMU's receive_filter, without VLANs). */
bool virtio_net_filter_accepts(const struct virtio_net_rx_filter *f, const uint8_t dst[6]);
/* The guest offload bits (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN, GUEST_UFO) in features. */
uint64_t virtio_net_guest_offloads(uint64_t features);
/* TUN_F_* flags for guest offload bits. */
unsigned virtio_net_tun_flags(uint64_t offloads);
/* Make a header from the back-end fit what the driver negotiated: flags and GSO it
 * did not ask for are a frame it cannot take (false: drop it); num_buffers set. */
bool virtio_net_hdr_to_guest(struct virtio_net_hdr *h, uint64_t offloads, uint16_t num_buffers);

#endif
