/* Taps and vhost-net fds: see tap.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "daemon/network/tap.h"
#include "lib/util/i18n.h"

void tap_host_mac(const uint8_t guest[6], uint8_t host[6])
{
	memcpy(host, guest, 6);
	host[0] = guest[0] == 0xfe ? 0xfa : 0xfe;
}

void fds_close(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* One queue: TUNSETIFF with name (a template on the first queue). */
static int tap_attach(const char *name, short flags, char out_name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	snprintf(out_name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

int tap_open_queues(const char *name, unsigned nqueues, bool vnet_hdr, bool must_exist,
		    char out_name[IFNAMSIZ], int *fds, struct err **errp)
{
	short flags = IFF_TAP | IFF_NO_PI;
	bool exists = !strchr(name, '%') && if_nametoindex(name) > 0;

	if (strlen(name) >= IFNAMSIZ)
		return err_set(errp, ERR_INVALID,
			       _("tap device name '%s' is too long (at most %d characters)"), name,
			       IFNAMSIZ - 1);
	if (nqueues == 0 || nqueues > TAP_MAX_QUEUES)
		return err_set(errp, ERR_RANGE, _("tap '%s': %u queues (1 to %d)"), name, nqueues,
			       TAP_MAX_QUEUES);
	if (must_exist && !exists)
		return err_set(errp, ERR_NOT_FOUND,
			       _("tap device '%s' does not exist (<target managed='no'> uses an existing tap)"),
			       name);
	if (!must_exist && exists)
		return err_set(errp, ERR_EXISTS, _("the interface '%s' already exists"), name);
	if (vnet_hdr)
		flags |= IFF_VNET_HDR;
	if (nqueues > 1)
		flags |= IFF_MULTI_QUEUE;
	for (unsigned q = 0; q < nqueues; q++)
		fds[q] = -1;
	for (unsigned q = 0; q < nqueues; q++) {
		fds[q] = tap_attach(q ? out_name : name, flags, out_name);
		if (fds[q] < 0) {
			int e = errno;

			fds_close(fds, q);
			if (e == EINVAL && must_exist)
				return err_set_errno(errp, ERR_INVALID, e,
						     _("cannot open tap '%s' for %u queue(s): its multi_queue flag does not match"),
						     name, nqueues);
			return err_set_errno(errp, ERR_SYSTEM, e, _("cannot open tap '%s'"), name);
		}
	}
	return 0;
}

int vhost_open(unsigned n, int *fds)
{
	for (unsigned i = 0; i < n; i++) {
		fds[i] = open(VHOST_NET_PATH, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0) {
			int e = errno;

			fds_close(fds, i);
			errno = e;
			return -1;
		}
	}
	return 0;
}
