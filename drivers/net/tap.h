/* The tap back-end of virtio-net: one tap interface, one fd per queue pair.
 *
 * A tap fd carries one Ethernet frame per read(2)/write(2), here always preceded by
 * the 12-byte virtio_net_hdr_v1 (IFF_VNET_HDR with TUNSETVNETHDRSZ 12), so frames go
 * between the guest's buffers and the tap without conversion. With several queues the
 * interface is IFF_MULTI_QUEUE: each fd is one of its queues, and a queue the guest
 * does not use is detached (TUNSETQUEUE IFF_DETACH_QUEUE) so the kernel never steers
 * packets to it. Every fd is non-blocking; the caller polls it.
 *
 * The fds come either from the caller (libvirt's fd=/fds=, opened by the daemon, as
 * QEMU's -netdev tap) or from tap_open() (ifname=, which needs CAP_NET_ADMIN when the
 * interface does not exist yet or is not the caller's). Knows nothing of virtio. */
#ifndef VIREO_DRIVERS_NET_TAP_H
#define VIREO_DRIVERS_NET_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"

#define TAP_MAX_QUEUES		64
#define TAP_VNET_HDR_LEN	12	/* struct virtio_net_hdr_v1 */

/* What the receiving side (the guest) can take from the tap: TUNSETOFFLOAD's input. */
struct tap_offload {
	bool csum;		/* partial checksums (VIRTIO_NET_F_GUEST_CSUM) */
	bool tso4, tso6;	/* TCP segmentation offload frames */
	bool ecn;		/* TSO frames with ECN set */
	bool ufo;		/* UDP fragmentation offload frames */
};

struct tap;

/* Open (or create) interface ifname with nqueues queues (IFF_TAP | IFF_NO_PI,
 * IFF_VNET_HDR when vnet_hdr, IFF_MULTI_QUEUE when nqueues > 1). Returns the tap, or
 * NULL with an error naming the interface. */
struct tap *tap_open(const char *ifname, unsigned nqueues, bool vnet_hdr, struct err **errp);

/* Adopt fds (n of them, one per queue) the caller opened on one tap interface: each
 * must be a tap (IFF_TAP, TUNGETIFF), with IFF_MULTI_QUEUE when n > 1. what names
 * the option in errors ("-netdev tap,id=n0"). Returns the tap, which owns the fds from
 * then on, or NULL with an error (the fds are then still the caller's). */
struct tap *tap_from_fds(const int *fds, unsigned n, const char *what, struct err **errp);

/* Closes every fd. NULL is fine. */
void tap_free(struct tap *t);

unsigned tap_queues(const struct tap *t);
/* Queue q's fd (non-blocking), or -1 past the last queue. */
int tap_fd(const struct tap *t, unsigned q);
const char *tap_ifname(const struct tap *t);
/* Whether the fds carry a virtio_net_hdr (IFF_VNET_HDR): frames from libvirt's fds
 * may not; tap_open() always asks for it. */
bool tap_has_vnet_hdr(const struct tap *t);

/* TUNSETVNETHDRSZ on the interface. Returns 0 or -1 with an error. */
int tap_set_vnet_hdr_len(struct tap *t, int len, struct err **errp);

/* The TUNSETOFFLOAD flags for o, minus what the kernel would refuse: TSO and UFO
 * need csum, ECN needs TSO (a flag the kernel does not accept makes the whole ioctl
 * fail). */
unsigned tap_offload_flags(const struct tap_offload *o);
/* TUNSETOFFLOAD with these flags (from tap_offload_flags). Returns 0 or -1 with an
 * error; a tap without the header takes no offloads. */
int tap_set_offload(struct tap *t, unsigned flags, struct err **errp);

/* Attach (on) or detach queue q (TUNSETQUEUE). Detached, the kernel does not queue
 * packets on it and drops what it held. A no-op for a single-queue tap and for a
 * queue already in that state. Returns 0 or -1 with an error. */
int tap_queue_enable(struct tap *t, unsigned q, bool on, struct err **errp);
/* Whether queue q is attached (as far as this tap knows). */
bool tap_queue_enabled(const struct tap *t, unsigned q);

#endif
