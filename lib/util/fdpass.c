#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util/fdpass.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t nfds,
		struct err **errp)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char *control = NULL;
	ssize_t n;

	if (len == 0)
		return err_set(errp, ERR_INVALID, _("fd passing needs at least one data byte"));
	if (nfds > FDPASS_MAX_FDS)
		return err_set(errp, ERR_LIMIT, _("cannot pass %zu fds in one message (at most %d)"),
			       nfds, FDPASS_MAX_FDS);
	if (nfds) {
		struct cmsghdr *cmsg;

		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		control = xzalloc(msg.msg_controllen);
		msg.msg_control = control;
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(control);
	if (n < 0)
		return err_set_errno(errp, NULL, errno, _("cannot send fds"));
	if ((size_t)n != len)
		/* The fds went with the first byte; the caller's framing must not
		 * continue half-sent, so report it. */
		return err_set(errp, ERR_IO, _("short send while passing fds (%zd of %zu bytes)"),
			       n, len);
	return 0;
}

static void close_received(struct msghdr *msg)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t i, count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds,
		    struct err **errp)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	/* Room for the kernel's maximum so an oversized message is seen whole and its
	 * fds can all be closed, rather than silently truncated. */
	size_t control_len = CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int));
	char *control = xzalloc(control_len);
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = control_len,
	};
	struct cmsghdr *cmsg;
	size_t got = 0;
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		free(control);
		return err_set_errno(errp, NULL, errno, _("cannot receive fds"));
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		close_received(&msg);
		free(control);
		return err_set(errp, ERR_LIMIT, _("received message carried too many fds"));
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
			got += (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	}
	if (got > maxfds) {
		close_received(&msg);
		free(control);
		return err_set(errp, ERR_LIMIT, _("received %zu fds, expected at most %zu"), got,
			       maxfds);
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds + *nfds, CMSG_DATA(cmsg), count * sizeof(int));
		*nfds += count;
	}
	free(control);
	return n;
}
