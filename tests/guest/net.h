/*
 * net.h: the test guest's virtio-net driver (net.c), shared by its TAP checks (net_test.c)
 * and the benchmark (net_bench.c). Polled, no interrupts; up to NET_MAX_PAIRS queue pairs
 * driven from the BSP (netbench: one vCPU per pair when it can). Rings and buffers sit at fixed addresses from NET_BASE (not in
 * .bss: the boot code clears .bss at CPL0, which PVM emulates instruction by instruction).
 * See README.md ("virtio-net").
 */
#ifndef GUEST_NET_H
#define GUEST_NET_H

#include "virtio.h"

#define VIRTIO_ID_NET		1

#define NET_F_CSUM		(1ull << 0)
#define NET_F_GUEST_CSUM	(1ull << 1)
#define NET_F_CTRL_GUEST_OFFLOADS (1ull << 2)
#define NET_F_MTU		(1ull << 3)
#define NET_F_MAC		(1ull << 5)
#define NET_F_GUEST_TSO4	(1ull << 7)
#define NET_F_HOST_TSO4		(1ull << 11)
#define NET_F_MRG_RXBUF		(1ull << 15)
#define NET_F_STATUS		(1ull << 16)
#define NET_F_CTRL_VQ		(1ull << 17)
#define NET_F_MQ		(1ull << 22)

#define NET_HDR_F_NEEDS_CSUM	1
#define NET_HDR_F_DATA_VALID	2
#define NET_HDR_GSO_NONE	0
#define NET_HDR_GSO_TCPV4	1

#define NET_S_LINK_UP		1

#define NET_CTRL_MQ		4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0
#define NET_CTRL_GUEST_OFFLOADS	5
#define NET_CTRL_GUEST_OFFLOADS_SET 0
#define NET_OK			0
#define NET_ERR			1

#define NET_MAX_PAIRS	4
#define NET_QMAX	256		/* entries per ring we use at most */
#define NET_MTU_MAX	9000		/* the largest MTU the guest sends or sizes buffers for */
#define NET_ETH_LEN	14
#define NET_FRAME_MAX	(NET_MTU_MAX + NET_ETH_LEN)
#define NET_TX_SLOT	2048		/* one tx buffer: header + a frame up to 1514 bytes */

/* Fixed memory (needs RAM up to NET_END: -m 64 or more). */
#define NET_BASE	0x1400000ull				/* 20 MiB */
#define NET_RINGS	NET_BASE				/* 3 pages per queue */
#define NET_NRINGS	(2 * NET_MAX_PAIRS + 1)
#define NET_RXBUFS	(NET_RINGS + NET_NRINGS * 3 * 4096ull)	/* 1 MiB per rx queue */
#define NET_RX_AREA	(1ull << 20)
#define NET_TXBUFS	(NET_RXBUFS + NET_MAX_PAIRS * NET_RX_AREA)
#define NET_TX_AREA	((uint64_t)NET_QMAX * NET_TX_SLOT)
#define NET_SCRATCH	(NET_TXBUFS + NET_MAX_PAIRS * NET_TX_AREA)	/* 64 KiB each: */
#define NET_BIGTX	NET_SCRATCH				/* a large tx frame */
#define NET_FRAME	(NET_SCRATCH + 0x10000)			/* a received frame, gathered */
#define NET_CTRLBUF	(NET_SCRATCH + 0x20000)			/* ctrl command */
#define NET_END		(NET_SCRATCH + 0x21000)
/* netbench's TSO frames (tx): NET_TSO_BUFS buffers of 64 KiB per pair (needs -m 64). */
#define NET_TSO_BASE	0x2000000ull				/* 32 MiB */
#define NET_TSO_BUFS	16
#define NET_TSO_SLOT	0x10000ull
#define NET_TSO_END	(NET_TSO_BASE + NET_MAX_PAIRS * NET_TSO_BUFS * NET_TSO_SLOT)

/* struct virtio_net_hdr_v1 (with VERSION_1 num_buffers is always there: 12 bytes). */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
#define NET_HDR_LEN	((uint32_t)sizeof(struct net_hdr))

struct nq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[NET_QMAX];
};

struct nq_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[NET_QMAX];
};

/* One virtqueue of the net device, rings of any size up to NET_QMAX. */
struct nq {
	struct vring_desc *desc;
	volatile struct nq_avail *avail;
	volatile struct nq_used *used;
	uint16_t index, size, avail_idx, last_used;
	uint64_t notify;
	uint64_t buf;		/* buffer i at buf + i * bufsz (rx: descriptor i; tx: slot i) */
	uint32_t bufsz;
	uint16_t nbufs;		/* rx: buffers posted */
	uint16_t free[NET_QMAX];	/* tx and ctrl: free descriptor ids */
	uint16_t nfree;
};

struct net {
	bool tried, ok;
	uint64_t extra;		/* features wanted on top of the usual ones (set before net_start) */
	char why[160];
	struct vdev d;
	uint8_t mac[6];
	uint16_t status;	/* config status at init (0 without STATUS) */
	uint16_t max_pairs;	/* config max_virtqueue_pairs (1 without MQ) */
	uint16_t pairs;		/* pairs set up: min(max_pairs, NET_MAX_PAIRS) */
	uint16_t active;	/* pairs the device uses (VQ_PAIRS_SET) */
	uint16_t mtu;		/* config mtu (capped at NET_MTU_MAX), else 1500 */
	struct nq rx[NET_MAX_PAIRS], tx[NET_MAX_PAIRS], ctrl;
};

/* A received frame, gathered at NET_FRAME. */
struct net_rx {
	struct net_hdr hdr;
	uint8_t *frame;
	uint32_t len;		/* frame length, without the virtio-net header */
	uint16_t nbufs;		/* buffers it came in (num_buffers) */
};

/* net.c */
bool net_has(const struct net *nd, uint64_t f);
/* Is [a, b) inside one RAM entry of the PVH memory map? */
bool net_ram_covers(const struct tg *g, uint64_t a, uint64_t b);
/* Finds, negotiates and starts the device, posts rx buffers; sets nd->ok. */
bool net_start(struct tg *g, struct net *nd, char *why, size_t n);
/* Sends a control command; returns the ack byte, or -1 when the device did not answer. */
int net_ctrl(struct tg *g, struct net *nd, uint8_t class, uint8_t cmd, const void *data,
	     uint32_t len);
bool net_set_pairs(struct tg *g, struct net *nd, uint16_t pairs, char *why, size_t n);
/* GUEST_OFFLOADS_SET: the guest offloads (NET_F_GUEST_* bits) the device may use now. */
bool net_set_offloads(struct tg *g, struct net *nd, uint64_t offloads, char *why, size_t n);
/* Publishes descriptor chain `head` on q; kicks unless `defer` or the device said not to. */
void nq_publish(struct nq *q, uint16_t head, bool defer, bool force);
void nq_kick(struct nq *q);
/* Frees the tx chains the device has used; returns how many. */
unsigned net_tx_reap(struct nq *q);
/*
 * Sends one frame (header + frame in one buffer, or three descriptors when split) on q.
 * Returns false when no slot is free even after reaping.
 */
bool net_tx(struct nq *q, const struct net_hdr *h, const void *frame, uint32_t len, bool split);
/* Takes the next received frame of q into *rx (gathered when it spans buffers); returns
 * 1, 0 when there is none, -1 on a malformed completion (with why). */
int net_rx(struct tg *g, struct net *nd, struct nq *q, struct net_rx *rx, char *why, size_t n);

/* Internet checksums (RFC 1071), over big-endian 16-bit words. */
uint32_t csum_add(uint32_t sum, const void *p, size_t len);
uint16_t csum_fold(uint32_t sum);
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
/* Builds the Ethernet and IPv4 headers (20 bytes, DF, TTL 64) of a frame of `len` bytes. */
void net_build_ipv4(uint8_t *f, uint32_t len, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		    const uint8_t src_ip[4], const uint8_t dst_ip[4], uint8_t proto,
		    uint16_t ip_id);
/* Builds an Ethernet + IPv4 + UDP frame of `len` bytes (payload already in place at 42);
 * the UDP checksum full, or the pseudo-header sum for NEEDS_CSUM when `partial`. */
void net_build_udp(uint8_t *f, uint32_t len, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   const uint8_t src_ip[4], const uint8_t dst_ip[4], uint16_t sport,
		   uint16_t dport, uint16_t ip_id, bool partial);
#define NET_UDP_PAYLOAD	42	/* 14 Ethernet + 20 IPv4 + 8 UDP */
#define NET_CSUM_START	34
#define NET_CSUM_OFFSET	6

/* net_test.c ("net") and net_bench.c ("netbench") are called from main.c. */

#endif
