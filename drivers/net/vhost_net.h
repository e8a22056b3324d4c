/* The vhost-net back-end: virtio-net's rx and tx rings served by the host kernel.
 *
 * One /dev/vhost-net fd per queue pair (passed by the daemon as vhostfd=/vhostfds=,
 * or opened here), each owned by this process (VHOST_SET_OWNER). Starting a pair hands
 * the kernel the negotiated features, the guest RAM layout (one memfd mapping, so
 * the table is the RAM slots), both rings (size, addresses, the index to start from),
 * the kick eventfd it waits on (the queue's KVM ioeventfd), the call eventfd it
 * signals (the MSI-X vector's KVM irqfd, or an eventfd the device relays) and the
 * tap queue's fd as the back-end. Stopping it takes the back-end away and reads the
 * rings' avail indices back (VHOST_GET_VRING_BASE), so a later start resumes where
 * the kernel stopped; the used index lives in guest memory.
 *
 * Every ioctl goes through ops, so the sequence is testable without /dev/vhost-net.
 * One thread at a time per pair (the device serialises start and stop). */
#ifndef VIREO_DRIVERS_NET_VHOST_NET_H
#define VIREO_DRIVERS_NET_VHOST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"
#include "qemu-wrap/gmem.h"

#define VHOST_NET_MAX_PAIRS 64

struct vhost_net_ops {
	/* ioctl(2): its result, or -1 with errno. */
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	/* open("/dev/vhost-net"): an fd or -1 with errno. NULL: open(2). */
	int (*open)(void *ctx);
};

/* One ring as vhost wants it (host addresses inside the guest RAM mapping). */
struct vhost_net_ring {
	unsigned num;
	void *desc, *avail, *used;
	uint16_t base;		/* avail index to start from */
	int kick, call;		/* eventfds */
};

struct vhost_net;

/* vhost for npairs queue pairs: fds (npairs of them, adopted: closed by
 * vhost_net_free) or, when fds is NULL, /dev/vhost-net opened npairs times. Each gets
 * VHOST_SET_OWNER and VHOST_GET_FEATURES. ops NULL: the real system calls. what
 * names the option in errors. Returns NULL with an error (adopted fds are then
 * still the caller's). */
struct vhost_net *vhost_net_new(const int *fds, unsigned npairs, const struct vhost_net_ops *ops,
				void *ctx, const char *what, struct err **errp);
void vhost_net_free(struct vhost_net *v);

/* What the kernel supports (the AND over the pairs' fds). */
uint64_t vhost_net_features(const struct vhost_net *v);
unsigned vhost_net_pairs(const struct vhost_net *v);

/* Start pair: features (what the guest negotiated, masked to vhost_net_features),
 * the memory table from mem, rings[0] = rx, rings[1] = tx, back-end tap_fd. Returns 0,
 * or -1 with an error (the pair is left stopped). */
int vhost_net_start(struct vhost_net *v, unsigned pair, uint64_t features,
		    const struct gmem *mem, const struct vhost_net_ring rings[2], int tap_fd,
		    struct err **errp);
/* Stop a started pair: no back-end, both rings stopped; base[0], base[1] get the
 * avail indices to resume from. A pair not started is left alone (bases 0). */
void vhost_net_stop(struct vhost_net *v, unsigned pair, uint16_t base[2]);
bool vhost_net_running(const struct vhost_net *v, unsigned pair);

/* Point ring idx (0 rx, 1 tx) of a started pair at another call eventfd. Returns 0
 * or -1. */
int vhost_net_set_call(struct vhost_net *v, unsigned pair, unsigned idx, int call_fd);

#endif
