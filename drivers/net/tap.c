/* The tap back-end (see tap.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drivers/net/tap.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct tap {
	unsigned n;
	int fds[TAP_MAX_QUEUES];
	bool attached[TAP_MAX_QUEUES];
	bool vnet_hdr;
	bool multi_queue;
	char ifname[IFNAMSIZ];
};

static struct tap *tap_alloc(void)
{
	struct tap *t = xzalloc(sizeof(*t));

	for (unsigned q = 0; q < TAP_MAX_QUEUES; q++)
		t->fds[q] = -1;
	return t;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct tap *tap_open(const char *ifname, unsigned nqueues, bool vnet_hdr, struct err **errp)
{
	struct tap *t;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		err_set(errp, ERR_INVALID, _("tap: interface name '%s' is empty or longer than %d bytes"),
			ifname ? ifname : "", IFNAMSIZ - 1);
		return NULL;
	}
	if (nqueues < 1 || nqueues > TAP_MAX_QUEUES) {
		err_set(errp, ERR_RANGE, _("tap %s: %u queues (1 to %d)"), ifname, nqueues,
			TAP_MAX_QUEUES);
		return NULL;
	}
	t = tap_alloc();
	t->vnet_hdr = vnet_hdr;
	t->multi_queue = nqueues > 1;
	for (t->n = 0; t->n < nqueues; t->n++) {
		struct ifreq ifr = { 0 };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0) {
			err_set_errno(errp, err_code_from_errno(errno), errno, _("tap %s: /dev/net/tun"),
				      ifname);
			goto fail;
		}
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
				(t->multi_queue ? IFF_MULTI_QUEUE : 0);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			err_set_errno(errp, err_code_from_errno(errno), errno,
				      _("tap %s: cannot attach queue %u (TUNSETIFF)"), ifname, t->n);
			close(fd);
			goto fail;
		}
		if (t->n == 0)
			snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
		t->fds[t->n] = fd;
		t->attached[t->n] = true;
	}
	return t;
fail:
	tap_free(t);
	return NULL;
}

/* Check one adopted fd: a tap without packet info; *ifr gets its TUNGETIFF answer.
 * Returns 0 or -1. */
static int check_fd(int fd, unsigned q, const char *what, struct ifreq *ifr, struct err **errp)
{
	memset(ifr, 0, sizeof(*ifr));
	if (ioctl(fd, TUNGETIFF, ifr) < 0)
		return err_set_errno(errp, ERR_INVALID, errno, _("%s: fd %d (queue %u) is not a tap"),
				     what, fd, q);
	if ((ifr->ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP)
		return err_set(errp, ERR_INVALID, _("%s: fd %d (queue %u) is a tun, not a tap device"),
			       what, fd, q);
	if (!(ifr->ifr_flags & IFF_NO_PI))
		return err_set(errp, ERR_UNSUPPORTED,
			       _("%s: fd %d (queue %u) was opened without IFF_NO_PI"), what, fd, q);
	return 0;
}

struct tap *tap_from_fds(const int *fds, unsigned n, const char *what, struct err **errp)
{
	struct ifreq ifr, first;
	struct tap *t;

	if (n < 1 || n > TAP_MAX_QUEUES) {
		err_set(errp, ERR_RANGE, _("%s: %u tap fds (1 to %d)"), what, n, TAP_MAX_QUEUES);
		return NULL;
	}
	for (unsigned q = 0; q < n; q++) {
		if (check_fd(fds[q], q, what, q ? &ifr : &first, errp) < 0)
			return NULL;
		if (q == 0)
			continue;
		/* One interface, one header setting: the guest's queues are interchangeable. */
		if (strncmp(ifr.ifr_name, first.ifr_name, IFNAMSIZ) != 0 ||
		    (ifr.ifr_flags & IFF_VNET_HDR) != (first.ifr_flags & IFF_VNET_HDR)) {
			err_set(errp, ERR_INVALID,
				_("%s: fd %d (queue %u) is not a queue of the tap %.16s as fd %d is"),
				what, fds[q], q, first.ifr_name, fds[0]);
			return NULL;
		}
	}
	if (n > 1 && !(first.ifr_flags & IFF_MULTI_QUEUE)) {
		err_set(errp, ERR_INVALID,
			_("%s: %u fds, but the tap %.16s is not multi-queue (IFF_MULTI_QUEUE)"), what,
			n, first.ifr_name);
		return NULL;
	}
	t = tap_alloc();
	snprintf(t->ifname, sizeof(t->ifname), "%.*s", IFNAMSIZ - 1, first.ifr_name);
	t->vnet_hdr = first.ifr_flags & IFF_VNET_HDR;
	t->multi_queue = first.ifr_flags & IFF_MULTI_QUEUE;
	for (t->n = 0; t->n < n; t->n++) {
		set_nonblock(fds[t->n]);
		t->fds[t->n] = fds[t->n];
		/* An fd handed over attached (TUNSETIFF attaches; TUNGETIFF worked). */
		t->attached[t->n] = true;
	}
	return t;
}

void tap_free(struct tap *t)
{
	if (!t)
		return;
	for (unsigned q = 0; q < TAP_MAX_QUEUES; q++)
		if (t->fds[q] >= 0)
			close(t->fds[q]);
	free(t);
}

unsigned tap_queues(const struct tap *t)
{
	return t->n;
}

int tap_fd(const struct tap *t, unsigned q)
{
	return q < t->n ? t->fds[q] : -1;
}

const char *tap_ifname(const struct tap *t)
{
	return t->ifname;
}

bool tap_has_vnet_hdr(const struct tap *t)
{
	return t->vnet_hdr;
}

/* The header size and the offloads belong to the interface, not to one queue's fd;
 * set them through every attached fd anyway (a detached fd answers EBADFD), so it
 * does not matter which queues are attached when it is called. */
int tap_set_vnet_hdr_len(struct tap *t, int len, struct err **errp)
{
	for (unsigned q = 0; q < t->n; q++) {
		if (!t->attached[q])
			continue;
		if (ioctl(t->fds[q], TUNSETVNETHDRSZ, &len) < 0)
			return err_set_errno(errp, ERR_SYSTEM, errno,
					     _("tap %s: cannot set the header size to %d (TUNSETVNETHDRSZ)"),
					     t->ifname, len);
	}
	return 0;
}

unsigned tap_offload_flags(const struct tap_offload *o)
{
	unsigned f = 0;

	if (!o->csum)
		return 0;
	f |= TUN_F_CSUM;
	if (o->tso4)
		f |= TUN_F_TSO4;
	if (o->tso6)
		f |= TUN_F_TSO6;
	if (o->ecn && (o->tso4 || o->tso6))
		f |= TUN_F_TSO_ECN;
	if (o->ufo)
		f |= TUN_F_UFO;
	return f;
}

int tap_set_offload(struct tap *t, unsigned flags, struct err **errp)
{
	if (!t->vnet_hdr)
		return flags ? err_set(errp, ERR_UNSUPPORTED,
				       _("tap %s: offloads need a virtio-net header (IFF_VNET_HDR)"),
				       t->ifname) : 0;
	/* The offloads belong to the interface: one attached queue's fd sets them. */
	for (unsigned q = 0; q < t->n; q++) {
		if (!t->attached[q])
			continue;
		if (ioctl(t->fds[q], TUNSETOFFLOAD, (unsigned long)flags) < 0)
			return err_set_errno(errp, ERR_SYSTEM, errno,
					     _("tap %s: cannot set offloads 0x%x (TUNSETOFFLOAD)"),
					     t->ifname, flags);
		return 0;
	}
	return 0;
}

int tap_queue_enable(struct tap *t, unsigned q, bool on, struct err **errp)
{
	struct ifreq ifr = { 0 };

	if (q >= t->n)
		return err_set(errp, ERR_RANGE, _("tap %s: no queue %u"), t->ifname, q);
	if (!t->multi_queue || t->attached[q] == on)
		return 0;
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(t->fds[q], TUNSETQUEUE, &ifr) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, on ?
				     _("tap %s: cannot attach queue %u (TUNSETQUEUE)") :
				     _("tap %s: cannot detach queue %u (TUNSETQUEUE)"),
				     t->ifname, q);
	t->attached[q] = on;
	return 0;
}

bool tap_queue_enabled(const struct tap *t, unsigned q)
{
	return q < t->n && t->attached[q];
}
