/* virtio-net's insides, shared by net.c (features, config, control queue, ops),
 * net_rxtx.c (the userspace data path) and net_pair.c (the per-pair threads and
 * vhost). Not for other devices; the unit tests use it to drive pairs by hand. */
#ifndef VIREO_DRIVERS_VIRTIO_NET_PRIV_H
#define VIREO_DRIVERS_VIRTIO_NET_PRIV_H

#include <pthread.h>
#include <sys/uio.h>

#include "drivers/virtio/net.h"

#define NET_BUDGET		64	/* packets per direction per round */
#define NET_RX_MAX_IOV		1023	/* UIO_MAXIOV - 1: the stash takes the last */
#define NET_RX_MAX_SLOTS	256	/* chains gathered for one or more frames */
/* Largest frame from the back-end: 64 KiB of GSO payload, Ethernet and VLAN header. */
#define NET_MAX_FRAME		(65536 + 14 + 4)
#define NET_STASH_SIZE		(VIRTIO_NET_HDR_LEN + NET_MAX_FRAME)

/* A popped rx chain waiting for a frame: its writable iovecs are
 * rx_iov[iov_first, iov_first + iov_count). */
struct net_rx_slot {
	uint16_t head;
	uint32_t cap;			/* writable bytes */
	unsigned iov_first, iov_count;
};

/* Where a pair's thread stands (under pair->lock). */
struct net_pair_ctl {
	bool paused;			/* the VM is stopped */
	unsigned holds;			/* a reset or MQ change needs the thread still */
	bool active;			/* pair < the driver's pair count */
	bool exit;
	bool parked;			/* acknowledged: the thread touches nothing */
};

struct virtio_net;

struct net_pair {
	struct virtio_net *n;
	unsigned idx;
	int fd;				/* back-end fd, or -1 */
	int kick_fd[2];			/* rx, tx kick eventfds */
	int call_fd[2];			/* vhost's call eventfds when relayed by us */
	int wake_fd;			/* control: wake the thread */
	pthread_t thread;
	bool threaded;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct net_pair_ctl ctl;
	/* Held from net_pair_hold() to net_pair_release(): one controller at a time
	 * (reset, DRIVER_OK, set_link, a vector's mask change from a vCPU). Taken
	 * before lock; by several pairs, in index order. */
	pthread_mutex_t ctl_lock;

	/* The processing thread's (or, while it is parked, the controller's). */
	bool rx_stalled;		/* no rx buffers: the tap is not polled until a kick */
	bool tx_blocked;		/* the back-end said EAGAIN: wait until writable */
	bool vhost_on;			/* this pair runs in vhost */
	bool call_relayed[2];		/* vhost signals call_fd[i], we forward it */
	struct vq_chain chain;
	struct iovec rx_iov[NET_RX_MAX_IOV + 1];
	struct net_rx_slot rx_slots[NET_RX_MAX_SLOTS];
	unsigned slot_first, slot_count;	/* gathered chains not used yet */
	unsigned iov_end;		/* rx_iov entries in use */
	uint64_t rx_cap;		/* writable bytes of the gathered chains */
	bool rx_big;			/* the last frame was larger than the MTU (GSO) */
	uint8_t *stash;			/* a frame the ring had no room for yet */
	size_t stash_len;
	struct virtio_net_rx_filter filter;	/* this thread's copy */
	unsigned filter_gen;
	struct virtio_net_stats stats;	/* atomics */
};

struct virtio_net {
	struct vdev vdev;		/* first: container_of by cast */
	struct virtio_net_opts o;	/* fds, be, vhost: the caller's */
	unsigned max_pairs;
	int ctrl_kick_fd;

	pthread_mutex_t lock;		/* filter, link, curr_pairs, offloads */
	struct virtio_net_rx_filter filter;
	unsigned filter_gen;		/* atomic: bumped on every filter change */
	unsigned curr_pairs;
	uint64_t offloads;		/* guest offloads now (atomic) */
	bool link_down;			/* set_link off */
	bool backend_lost;		/* the back-end failed (logged once) */
	uint16_t status;		/* config status (atomic) */
	bool vhost_failed;		/* vhost refused to start: userspace until reset */
	bool paused;			/* the VM is stopped */
	struct net_pair *pairs;
};

static inline struct virtio_net *to_net(struct vdev *vdev)
{
	return (struct virtio_net *)vdev;
}

static inline bool net_live(const struct virtio_net *n)
{
	uint8_t s = __atomic_load_n(&n->vdev.status, __ATOMIC_ACQUIRE);

	return (s & VIRTIO_STATUS_DRIVER_OK) && !(s & VIRTIO_STATUS_NEEDS_RESET);
}

/* The control queue's index for the features the driver negotiated. */
unsigned net_ctrl_qidx(const struct virtio_net *n);
/* Frames go nowhere (link down, back-end gone or absent). */
bool net_frames_dropped(const struct virtio_net *n);

/* net.c */
void net_broken(struct virtio_net *n, unsigned qidx, const char *why);
/* The back-end fd failed: link down, logged once. */
void net_backend_lost(struct virtio_net *n, unsigned pair, int errnum);
/* Process the control queue (pair 0's thread, or the test). */
void net_ctrl_run(struct virtio_net *n);

/* net_rxtx.c: one round of each direction. Returns true if there is more to do now
 * (the budget ran out, or buffers came in while kicks were switched back on). */
bool net_tx_run(struct net_pair *p);
bool net_rx_run(struct net_pair *p);
/* Drop gathered chains and a stashed frame (reset, the pair going inactive). */
void net_rx_forget(struct net_pair *p);
/* After a rx kick: buffers were added, poll the back-end again. */
void net_rx_kicked(struct net_pair *p);

/* net_pair.c */
int net_pair_init(struct virtio_net *n, unsigned idx, struct err **errp);
void net_pair_destroy(struct net_pair *p);
void net_pair_wake(struct net_pair *p);
/* Stop the thread (it parks) / let it go; for the controller of the device. */
void net_pair_hold(struct net_pair *p);
void net_pair_release(struct net_pair *p);
void net_pair_set_active(struct net_pair *p, bool active);
void net_pair_set_paused(struct net_pair *p, bool paused);
/* With the pair parked: start vhost on it if the device runs in vhost (and the VM,
 * the driver and the link are up, the rings set up); or stop vhost, the userspace
 * path taking over the rings where the kernel left them. */
void net_pair_vhost_start(struct net_pair *p);
void net_pair_vhost_stop(struct net_pair *p);
/* With the pair held: queue i's interrupt path may have changed (its MSI-X vector
 * was masked or unmasked). A pair in vhost points the queue's call at the vector's
 * irqfd again, or while it has none (masked) at our eventfd, which the thread relays
 * to the transport (that pends it while masked); a call left unrelayed when going
 * back to the irqfd is relayed here. */
void net_pair_vhost_recall(struct net_pair *p, unsigned i);

#endif
