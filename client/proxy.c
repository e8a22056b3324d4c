/* `vireo --proxy-stdio`: the far side of `vireo -c ssh://host`.
 *
 * ssh starts it with the connection on stdin/stdout; it connects to the local daemon
 * and copies bytes both ways. Frames pass through untouched (the daemon checks them),
 * so a console stream works exactly as on a local socket. Each direction has its own
 * bounded buffer and every fd is non-blocking: a slow reader on one side never stops
 * the other direction. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/conn.h"
#include "lib/util/i18n.h"

#define PROXY_BUF (64 * 1024)

struct pipe_dir {
	int from, to;
	char buf[PROXY_BUF];
	size_t len;
	bool eof;		/* `from` ended: nothing more will come */
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Read what fits; 0 ok, -1 with errno on a real error. EOF sets d->eof. */
static int pipe_read(struct pipe_dir *d)
{
	ssize_t n = read(d->from, d->buf + d->len, sizeof(d->buf) - d->len);

	if (n > 0)
		d->len += (size_t)n;
	else if (n == 0)
		d->eof = true;
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -1;
	return 0;
}

static int pipe_write(struct pipe_dir *d)
{
	ssize_t n = write(d->to, d->buf, d->len);

	if (n > 0) {
		memmove(d->buf, d->buf + n, d->len - (size_t)n);
		d->len -= (size_t)n;
	} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		return -1;
	}
	return 0;
}

/* Poll flags for one direction: read when there is room, write when there is data. */
static void want(const struct pipe_dir *d, struct pollfd *in, struct pollfd *out)
{
	if (!d->eof && d->len < sizeof(d->buf))
		in->events |= POLLIN;
	if (d->len)
		out->events |= POLLOUT;
}

static int shuttle(struct pipe_dir *up, struct pipe_dir *down, int sock, struct err **errp)
{
	bool up_shut = false;

	for (;;) {
		struct pollfd p[3] = { { .fd = 0 }, { .fd = 1 }, { .fd = sock } };
		int rc;

		/* stdin ended and all of it went out: tell the daemon, keep relaying replies */
		if (up->eof && !up->len && !up_shut) {
			shutdown(sock, SHUT_WR);
			up_shut = true;
		}
		/* the daemon ended and its last bytes reached stdout: done */
		if (down->eof && !down->len)
			return 0;
		want(up, &p[0], &p[2]);
		want(down, &p[2], &p[1]);
		/* poll on fd -1 is ignored: do not watch stdin after its end */
		if (up->eof)
			p[0].fd = -1;
		rc = poll(p, 3, -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return err_set_errno(errp, ERR_SYSTEM, errno, _("proxy: poll failed"));
		if ((p[1].revents & (POLLERR | POLLHUP)) && !(p[1].revents & POLLOUT))
			return 0;	/* ssh went away: nobody to relay to */
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pipe_read(up) < 0)
			return err_set_errno(errp, ERR_IO, errno, _("proxy: cannot read stdin"));
		if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) && pipe_read(down) < 0)
			return err_set_errno(errp, ERR_IO, errno, _("proxy: cannot read from the daemon"));
		if ((p[2].revents & POLLOUT) && pipe_write(up) < 0)
			return err_set_errno(errp, ERR_IO, errno, _("proxy: cannot send to the daemon"));
		if ((p[1].revents & POLLOUT) && pipe_write(down) < 0)
			return err_set_errno(errp, ERR_IO, errno, _("proxy: cannot write stdout"));
	}
}

int proxy_stdio(const struct target *t, struct err **errp)
{
	struct pipe_dir up = { .from = 0 }, down = { .to = 1 };
	int sock, rc;

	if (t->kind != TARGET_UNIX)
		return err_set(errp, ERR_USAGE, _("--proxy-stdio needs a local daemon, not ssh"));
	/* The command is unknown here: take the ro socket when the rw one refuses; the
	 * daemon then answers write methods with permission-denied, naming the access. */
	sock = unix_socket_connect(t->socket);
	if (sock < 0 && (errno == EACCES || errno == EPERM) && t->ro_socket)
		sock = unix_socket_connect(t->ro_socket);
	if (sock < 0)
		return err_set_errno(errp, err_code_from_errno(errno), errno,
				     _("Failed to connect socket to '%s'"), t->socket);
	/* A write to a closed ssh must be an error here, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	up.to = sock;
	down.from = sock;
	if (set_nonblock(0) < 0 || set_nonblock(1) < 0 || set_nonblock(sock) < 0) {
		close(sock);
		return err_set_errno(errp, ERR_SYSTEM, errno, _("proxy: cannot set up the fds"));
	}
	rc = shuttle(&up, &down, sock, errp);
	close(sock);
	return rc;
}
