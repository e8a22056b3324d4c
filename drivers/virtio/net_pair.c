/* virtio-net's queue pairs: one I/O thread per pair, and vhost.
 *
 * The thread of pair i sleeps in poll() on: its wake eventfd (control); in userspace
 * mode its rx and tx kick eventfds (the queues' KVM ioeventfds) and its back-end fd
 * (readable: only while the guest has rx buffers, so a full guest does not make us
 * spin; writable: only after a write said EAGAIN); with vhost, the call eventfds it
 * relays when the queue's MSI-X vector has no irqfd or is masked (the transport
 * pends the interrupt; net_pair_vhost_recall() switches); pair 0 also on the control
 * queue's kick. Woken, it runs tx then rx rounds of at most NET_BUDGET frames each
 * until both are idle, with one interrupt per queue per round. (It does not busy-poll
 * before sleeping: tried, 50 us after a busy round; on a 2-CPU host it took CPU from
 * the sender the guest's frames come from and lost rx throughput.)
 *
 * Control (pair->lock, the thread acknowledges with `parked`): a paused VM or a
 * device reset in progress (holds) parks the thread; a pair the driver stopped using
 * (VQ_PAIRS_SET) first sends what its tx ring still holds, then parks. The
 * controller changes the pair's state (vhost, rings) only while it is parked;
 * ctl_lock keeps controllers in different threads from holding it at once. */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/net/vhost_net.h"
#include "drivers/virtio/net_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

enum pair_state { P_RUN, P_PARK, P_OFF, P_EXIT };

/* Returns true if the eventfd had been signalled. */
static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

void net_pair_wake(struct net_pair *p)
{
	uint64_t one = 1;

	(void)!write(p->wake_fd, &one, sizeof(one));
}

static enum pair_state pair_state(struct net_pair *p)
{
	enum pair_state s;

	pthread_mutex_lock(&p->lock);
	s = p->ctl.exit ? P_EXIT : p->ctl.paused || p->ctl.holds ? P_PARK :
	    !p->ctl.active ? P_OFF : P_RUN;
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void park(struct net_pair *p)
{
	pthread_mutex_lock(&p->lock);
	p->ctl.parked = true;
	pthread_cond_broadcast(&p->cond);
	while ((p->ctl.paused || p->ctl.holds || !p->ctl.active) && !p->ctl.exit)
		pthread_cond_wait(&p->cond, &p->lock);
	p->ctl.parked = false;
	pthread_mutex_unlock(&p->lock);
}

/* With p->lock held: wait until the thread has parked (at once without a thread). */
static void wait_parked(struct net_pair *p)
{
	if (!p->threaded)
		return;
	net_pair_wake(p);
	while (!p->ctl.parked)
		pthread_cond_wait(&p->cond, &p->lock);
}

void net_pair_hold(struct net_pair *p)
{
	pthread_mutex_lock(&p->ctl_lock);
	pthread_mutex_lock(&p->lock);
	p->ctl.holds++;
	wait_parked(p);
	pthread_mutex_unlock(&p->lock);
}

void net_pair_release(struct net_pair *p)
{
	pthread_mutex_lock(&p->lock);
	p->ctl.holds--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_unlock(&p->ctl_lock);
}

void net_pair_set_active(struct net_pair *p, bool active)
{
	pthread_mutex_lock(&p->lock);
	p->ctl.active = active || p->idx == 0;
	if (p->ctl.active)
		pthread_cond_broadcast(&p->cond);
	else
		wait_parked(p);
	pthread_mutex_unlock(&p->lock);
	if (!active && p->idx)
		net_rx_forget(p);	/* parked: the frames it held go with the queue */
}

void net_pair_set_paused(struct net_pair *p, bool paused)
{
	pthread_mutex_lock(&p->lock);
	p->ctl.paused = paused;
	if (paused)
		wait_parked(p);
	else
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* ---- vhost ---- */

/* Queue q's ring as vhost wants it: host addresses of the rings (checked when the
 * driver enabled the queue). Returns false when they are not (or no longer) in RAM. */
static bool vhost_ring(struct virtio_net *n, unsigned q, uint16_t base, int kick, int call,
		       struct vhost_net_ring *r)
{
	struct virtqueue *vq = &n->vdev.vqs[q];

	r->num = vq->size;
	r->desc = gmem_ptr(vq->mem, vq->desc_gpa, (uint64_t)vq->size * 16);
	r->avail = gmem_ptr(vq->mem, vq->avail_gpa, 6 + 2 * (uint64_t)vq->size);
	r->used = gmem_ptr(vq->mem, vq->used_gpa, 6 + 8 * (uint64_t)vq->size);
	r->base = base;
	r->kick = kick;
	r->call = call;
	return r->desc && r->avail && r->used;
}

/* The call eventfd for queue q: the vector's irqfd (the kernel interrupts the guest
 * by itself), else ours, which the thread relays to the transport. */
static int call_fd_for(struct net_pair *p, unsigned i)
{
	struct vdev *vdev = &p->n->vdev;
	int fd = -1;

	if (vdev->transport && vdev->transport->queue_irqfd)
		fd = vdev->transport->queue_irqfd(vdev, 2 * p->idx + i);
	p->call_relayed[i] = fd < 0;
	return fd < 0 ? p->call_fd[i] : fd;
}

static bool vhost_wanted(struct net_pair *p)
{
	struct virtio_net *n = p->n;

	return n->o.vhost && !n->vhost_failed && net_live(n) && !n->paused &&
	       !__atomic_load_n(&n->link_down, __ATOMIC_RELAXED) &&
	       (p->idx == 0 || vdev_has_feature(&n->vdev, VIRTIO_NET_F_MQ)) &&
	       __atomic_load_n(&n->vdev.vqs[2 * p->idx].ready, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&n->vdev.vqs[2 * p->idx + 1].ready, __ATOMIC_ACQUIRE);
}

void net_pair_vhost_start(struct net_pair *p)
{
	struct virtio_net *n = p->n;
	struct vhost_net_ring r[2];
	struct err *e = NULL;

	if (!vhost_wanted(p) || vhost_net_running(n->o.vhost, p->idx))
		return;
	for (unsigned i = 0; i < 2; i++) {
		/* Where the ring stands: 0 after a reset, else where vhost (pause) or
		 * the userspace path (link down, a failed start) stopped. */
		uint16_t base = n->vdev.vqs[2 * p->idx + i].last_avail;

		if (!vhost_ring(n, 2 * p->idx + i, base, p->kick_fd[i], call_fd_for(p, i), &r[i])) {
			net_broken(n, 2 * p->idx + i, _("the ring left guest RAM"));
			return;
		}
	}
	if (vhost_net_start(n->o.vhost, p->idx, n->vdev.driver_features, n->vdev.mem, r, p->fd,
			    &e) < 0) {
		log_err(n->vdev.log, VLOG_WARNING, e);
		log_warning(n->vdev.log, _("%s: vhost-net did not start; the queues run in the worker"),
			    n->vdev.name);
		err_free(e);
		n->vhost_failed = true;
		p->vhost_on = false;
		return;
	}
	p->vhost_on = true;
	log_debug(n->vdev.log, "%s: pair %u in vhost-net (call: %s, %s)", n->vdev.name, p->idx,
		  p->call_relayed[0] ? "relayed" : "irqfd", p->call_relayed[1] ? "relayed" : "irqfd");
}

/* vhost wrote the used ring; the userspace path continues from the kernel's state. */
static void take_over_ring(struct virtio_net *n, unsigned q, uint16_t base)
{
	struct virtqueue *vq = &n->vdev.vqs[q];
	uint16_t *used_idx = gmem_ptr(vq->mem, vq->used_gpa + 2, 2);

	vq->last_avail = base;
	vq->used_idx = used_idx ? le16toh(__atomic_load_n(used_idx, __ATOMIC_ACQUIRE)) : 0;
	vq->signalled_valid = false;
}

void net_pair_vhost_stop(struct net_pair *p)
{
	struct virtio_net *n = p->n;
	uint16_t base[2];

	p->vhost_on = false;
	if (!n->o.vhost || !vhost_net_running(n->o.vhost, p->idx))
		return;
	vhost_net_stop(n->o.vhost, p->idx, base);
	for (unsigned i = 0; i < 2; i++)
		take_over_ring(n, 2 * p->idx + i, base[i]);
}

static void relay_call(struct net_pair *p, unsigned i)
{
	struct vdev *vdev = &p->n->vdev;

	if (drain(p->call_fd[i]) && vdev->transport && vdev->transport->notify_queue)
		vdev->transport->notify_queue(vdev, 2 * p->idx + i);
}

/* As QEMU's guest notifier masking: the kernel would write the irqfd of a masked
 * vector and KVM deliver it; ours goes through the transport, which pends it. */
void net_pair_vhost_recall(struct net_pair *p, unsigned i)
{
	struct virtio_net *n = p->n;
	bool was_relayed = p->call_relayed[i];
	int fd;

	if (!p->vhost_on || !vhost_net_running(n->o.vhost, p->idx))
		return;
	fd = call_fd_for(p, i);
	if (p->call_relayed[i] == was_relayed)
		return;
	if (vhost_net_set_call(n->o.vhost, p->idx, i, fd) < 0) {
		/* The kernel keeps signalling the old fd. */
		log_warning(n->vdev.log, _("%s: queue %u: vhost-net refused a new call fd (%s)"),
			    n->vdev.name, 2 * p->idx + i, strerror(errno));
		p->call_relayed[i] = was_relayed;
		return;
	}
	log_debug(n->vdev.log, "%s: queue %u: call %s", n->vdev.name, 2 * p->idx + i,
		  p->call_relayed[i] ? "relayed (vector masked)" : "irqfd");
	if (was_relayed)
		relay_call(p, i);	/* signalled before the switch: not lost */
}

/* ---- the thread ---- */

/* The control queue's kick eventfd (pair 0 watches it): without MQ the control queue
 * is queue 2, whose eventfd is pair 1's rx kick. */
static int ctrl_kick_fd(struct virtio_net *n)
{
	return virtio_net_kick_fd(&n->vdev, net_ctrl_qidx(n));
}

/* Userspace rounds until both directions are idle or control wants the thread. */
static void run_queues(struct net_pair *p)
{
	if (p->vhost_on || !net_live(p->n))
		return;
	for (;;) {
		bool more = net_tx_run(p);

		more = net_rx_run(p) || more;
		if (!more || pair_state(p) != P_RUN)
			return;
	}
}

enum { PF_WAKE, PF_KICK_RX, PF_KICK_TX, PF_BACKEND, PF_CTRL, PF_CALL_RX, PF_CALL_TX, PF_N };

/* Sleep until there is something to do. Returns true if queues should be looked at. */
static bool pair_wait(struct net_pair *p)
{
	struct virtio_net *n = p->n;
	struct pollfd pf[PF_N];
	bool dropping = net_frames_dropped(n) && p->fd >= 0 &&
			!__atomic_load_n(&n->backend_lost, __ATOMIC_RELAXED);
	bool look = false;

	for (unsigned i = 0; i < PF_N; i++)
		pf[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	pf[PF_WAKE].fd = p->wake_fd;
	if (p->vhost_on) {
		pf[PF_CALL_RX].fd = p->call_relayed[0] ? p->call_fd[0] : -1;
		pf[PF_CALL_TX].fd = p->call_relayed[1] ? p->call_fd[1] : -1;
	} else {
		pf[PF_KICK_RX].fd = p->kick_fd[0];
		pf[PF_KICK_TX].fd = p->kick_fd[1];
		if (p->fd >= 0 && !__atomic_load_n(&n->backend_lost, __ATOMIC_RELAXED)) {
			pf[PF_BACKEND].fd = p->fd;
			pf[PF_BACKEND].events = (!p->rx_stalled || dropping ? POLLIN : 0) |
						(p->tx_blocked ? POLLOUT : 0);
		}
	}
	if (p->idx == 0)
		pf[PF_CTRL].fd = ctrl_kick_fd(n);
	while (poll(pf, PF_N, -1) < 0 && errno == EINTR)
		;
	if (pf[PF_WAKE].revents & POLLIN)
		drain(p->wake_fd);
	if (pf[PF_KICK_RX].revents & POLLIN) {
		drain(p->kick_fd[0]);
		net_rx_kicked(p);
		look = true;
	}
	if (pf[PF_KICK_TX].revents & POLLIN) {
		drain(p->kick_fd[1]);
		look = true;
	}
	if (pf[PF_BACKEND].revents & (POLLERR | POLLHUP | POLLNVAL)) {
		net_backend_lost(n, p->idx, 0);
	} else if (pf[PF_BACKEND].revents) {
		if (pf[PF_BACKEND].revents & POLLOUT)
			p->tx_blocked = false;
		look = true;
	}
	for (unsigned i = 0; i < 2; i++)
		if (pf[PF_CALL_RX + i].revents & POLLIN)
			relay_call(p, i);
	if (pf[PF_CTRL].revents & POLLIN) {
		drain(pf[PF_CTRL].fd);
		net_ctrl_run(n);
	}
	return look || (pf[PF_WAKE].revents & POLLIN);
}

/* The driver stopped using the pair: its tx ring is sent out before it parks, so
 * nothing the guest queued stays in flight (a guest may hold socket memory for it). */
static void flush_tx(struct net_pair *p)
{
	if (p->vhost_on || !net_live(p->n))
		return;
	for (unsigned i = 0; i <= VIRTIO_NET_MAX_QUEUE_SIZE / NET_BUDGET && net_tx_run(p); i++)
		;
}

static void *pair_thread(void *arg)
{
	struct net_pair *p = arg;
	bool look = true;

	for (;;) {
		switch (pair_state(p)) {
		case P_EXIT:
			return NULL;
		case P_OFF:
			flush_tx(p);
			/* fall through */
		case P_PARK:
			park(p);
			look = true;	/* kicks that came meanwhile were not acted on */
			continue;
		case P_RUN:
			break;
		}
		if (look)
			run_queues(p);
		look = pair_wait(p);
	}
}

/* ---- setup ---- */

static int new_eventfd(struct net_pair *p, int *fd, struct err **errp)
{
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("virtio-net: pair %u: eventfd"),
				     p->idx);
	return 0;
}

int net_pair_init(struct virtio_net *n, unsigned idx, struct err **errp)
{
	struct net_pair *p = &n->pairs[idx];
	int rc;

	p->n = n;
	p->idx = idx;
	p->fd = idx < n->o.nfds ? n->o.fds[idx] : -1;
	p->kick_fd[0] = p->kick_fd[1] = p->call_fd[0] = p->call_fd[1] = p->wake_fd = -1;
	p->ctl.active = idx == 0;
	p->stash = xmalloc(NET_STASH_SIZE);
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->ctl_lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (new_eventfd(p, &p->kick_fd[0], errp) < 0 || new_eventfd(p, &p->kick_fd[1], errp) < 0 ||
	    new_eventfd(p, &p->call_fd[0], errp) < 0 || new_eventfd(p, &p->call_fd[1], errp) < 0 ||
	    new_eventfd(p, &p->wake_fd, errp) < 0)
		goto fail;
	if (n->o.no_threads)
		return 0;
	rc = pthread_create(&p->thread, NULL, pair_thread, p);
	if (rc) {
		err_set_errno(errp, ERR_SYSTEM, rc, _("virtio-net: cannot start the thread of pair %u"),
			      idx);
		goto fail;
	}
	p->threaded = true;
	{
		char name[16];

		snprintf(name, sizeof(name), "vireo-net-q%u", idx);
		pthread_setname_np(p->thread, name);	/* for top -H and gdb */
	}
	return 0;
fail:
	net_pair_destroy(p);
	return -1;
}

void net_pair_destroy(struct net_pair *p)
{
	if (p->threaded) {
		pthread_mutex_lock(&p->lock);
		p->ctl.exit = true;
		pthread_cond_broadcast(&p->cond);
		net_pair_wake(p);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		p->threaded = false;
	}
	if (p->n && p->n->o.vhost) {
		uint16_t base[2];

		vhost_net_stop(p->n->o.vhost, p->idx, base);
	}
	for (unsigned i = 0; i < 2; i++) {
		if (p->kick_fd[i] >= 0)
			close(p->kick_fd[i]);
		if (p->call_fd[i] >= 0)
			close(p->call_fd[i]);
		p->kick_fd[i] = p->call_fd[i] = -1;
	}
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	p->wake_fd = -1;
	free(p->stash);
	p->stash = NULL;
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->ctl_lock);
}
