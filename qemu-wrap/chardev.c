/* Character-device back-ends (see chardev.h).
 *
 * Threads: the main thread owns the event loop, reads, accepts, and changes which fds
 * exist; any thread may write. `lock` guards everything a writer touches (out_fd,
 * connected, the queue, in_src's event mask), so an fd is never closed under a
 * writer. Callbacks to the front-end run with the lock released. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/chardev.h"

#define OUT_LIMIT_DEFAULT	(64u * 1024)
#define READ_CHUNK		4096
/* QEMU polls a pty without a slave once a second; a console attached right after start
 * loses less output with a shorter period, and an idle timerfd costs nothing. */
#define PTY_POLL_MS		250
/* A file or terminal that does not take output for this long loses it. */
#define FULL_WRITE_WAIT_MS	1000

struct chardev {
	struct chardev_opts o;
	struct evloop *loop;
	char *pty_path;
	char *sock_path;		/* the socket's address, for query-chardev */
	int listen_fd;
	struct ev_source *listen_src;
	bool unlink_path;		/* we bound sock_path: remove it at the end */
	int in_fd;
	bool owns_io;			/* in_fd/out_fd are ours to close (not stdio's) */
	struct ev_source *pty_timer;	/* armed while a pty has no slave */
	int log_fd;
	struct termios saved_tios;
	bool restore_tios;
	int saved_stdin_flags;		/* -1: unchanged */

	pthread_mutex_t lock;		/* guards what follows */
	struct ev_source *in_src;	/* watches in_fd; EPOLLOUT too for stream back-ends */
	int out_fd;
	bool stream;			/* non-blocking out_fd with a queue; else written fully */
	bool is_socket;			/* send() with MSG_NOSIGNAL */
	bool connected;
	struct buf outq;
	size_t out_limit;
	uint32_t events;		/* in_src's current mask */
	bool input_paused;
	uint64_t input_gen;		/* counts chardev_accept_input() calls */
	uint64_t dropped;
	const struct chardev_frontend *fe;
	void *fe_opaque;
};

/* ---- options ---- */

static const char *const backend_names[] = {
	[CHARDEV_NULL] = "null", [CHARDEV_FILE] = "file", [CHARDEV_STDIO] = "stdio",
	[CHARDEV_PTY] = "pty", [CHARDEV_SOCKET] = "socket",
};

const char *chardev_backend_name(enum chardev_backend b)
{
	return (size_t)b < ARRAY_SIZE(backend_names) ? backend_names[b] : "?";
}

void chardev_opts_init(struct chardev_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->wait = true;
	o->signal = true;
}

void chardev_opts_clear(struct chardev_opts *o)
{
	free(o->id);
	free(o->path);
	free(o->logfile);
	chardev_opts_init(o);
}

static void opts_copy(struct chardev_opts *dst, const struct chardev_opts *src)
{
	*dst = *src;
	dst->id = xstrdup(src->id ? src->id : "");
	dst->path = src->path ? xstrdup(src->path) : NULL;
	dst->logfile = src->logfile ? xstrdup(src->logfile) : NULL;
}

/* ---- output ---- */

/* Write all of buf to a blocking (or briefly busy) fd. Returns 0 or -1 with errno. */
static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, FULL_WRITE_WAIT_MS) > 0)
				continue;
			errno = EAGAIN;
			return -1;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t write_nb(struct chardev *chr, const void *buf, size_t len)
{
	if (chr->is_socket)
		return send(chr->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return write(chr->out_fd, buf, len);
}

static void update_events_locked(struct chardev *chr)
{
	uint32_t ev = (chr->input_paused ? 0 : EPOLLIN) | (chr->outq.len ? EPOLLOUT : 0);

	if (chr->in_src && ev != chr->events && evloop_fd_set_events(chr->in_src, ev, NULL) == 0)
		chr->events = ev;
}

/* Write what the peer takes now, queue the rest within the limit. Returns the bytes
 * written or queued. */
static size_t write_stream_locked(struct chardev *chr, const uint8_t *buf, size_t len)
{
	size_t done = 0, rest;

	if (chr->outq.len == 0) {
		ssize_t n = write_nb(chr, buf, len);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			chr->dropped += len;	/* a broken peer: the loop sees its hangup */
			return 0;
		}
		done = n > 0 ? (size_t)n : 0;
		if (done == len)
			return len;
	}
	rest = len - done;
	if (chr->outq.len + rest > chr->out_limit) {
		chr->dropped += rest;
		return done;
	}
	buf_append(&chr->outq, buf + done, rest, NULL);
	update_events_locked(chr);
	return len;
}

int chardev_write(struct chardev *chr, const void *buf, size_t len)
{
	int rc = (int)len;

	if (len > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&chr->lock);
	if (chr->log_fd >= 0)
		(void)write_full(chr->log_fd, buf, len);
	if (chr->o.backend == CHARDEV_NULL) {
		rc = (int)len;
	} else if (!chr->connected || chr->out_fd < 0) {
		chr->dropped += len;
		rc = 0;
	} else if (!chr->stream) {
		rc = write_full(chr->out_fd, buf, len) < 0 ? -1 : (int)len;
	} else {
		rc = (int)write_stream_locked(chr, buf, len);
	}
	pthread_mutex_unlock(&chr->lock);
	return rc;
}

/* EPOLLOUT: the peer takes more of the queue. */
static void flush_out(struct chardev *chr)
{
	pthread_mutex_lock(&chr->lock);
	if (chr->out_fd >= 0 && chr->outq.len) {
		ssize_t n = write_nb(chr, chr->outq.data, chr->outq.len);

		if (n > 0)
			buf_consume(&chr->outq, (size_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			buf_clear(&chr->outq);
	}
	update_events_locked(chr);
	pthread_mutex_unlock(&chr->lock);
}

/* ---- input and peers ---- */

static void on_io(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		  void *data);

/* Start watching fd as the connected peer (socket client, pty master with a slave). */
static int peer_up(struct chardev *chr, int fd, struct err **errp)
{
	struct ev_source *src;
	uint32_t ev = chr->input_paused ? 0 : EPOLLIN;

	src = evloop_add_fd(chr->loop, fd, ev, on_io, chr, errp);
	if (!src)
		return -1;
	pthread_mutex_lock(&chr->lock);
	chr->in_src = src;
	chr->events = ev;
	chr->in_fd = fd;
	chr->out_fd = fd;
	chr->connected = true;
	pthread_mutex_unlock(&chr->lock);
	return 0;
}

static void notify(struct chardev *chr, bool opened)
{
	const struct chardev_frontend *fe = chr->fe;

	if (fe && opened && fe->opened)
		fe->opened(chr->fe_opaque);
	else if (fe && !opened && fe->closed)
		fe->closed(chr->fe_opaque);
}

/* The peer went away: stop watching, drop the queue, listen or poll again. */
static void peer_gone(struct chardev *chr)
{
	int fd = chr->in_fd;

	pthread_mutex_lock(&chr->lock);
	evloop_remove(chr->in_src);
	chr->in_src = NULL;
	chr->events = 0;
	buf_clear(&chr->outq);
	if (chr->o.backend != CHARDEV_STDIO)
		chr->connected = false;
	if (chr->o.backend == CHARDEV_SOCKET)
		chr->out_fd = -1;
	pthread_mutex_unlock(&chr->lock);
	if (chr->o.backend == CHARDEV_SOCKET) {
		close(fd);
		chr->in_fd = -1;
		if (chr->listen_src)
			evloop_fd_set_events(chr->listen_src, EPOLLIN, NULL);
	} else if (chr->o.backend == CHARDEV_PTY) {
		evloop_timer_set(chr->pty_timer, PTY_POLL_MS, PTY_POLL_MS, NULL);
	} else {
		chr->in_fd = -1;	/* stdin at EOF; stdout still works */
	}
	notify(chr, false);
}

/* Stop reading, unless the front-end made room since it said it had none (gen is
 * input_gen from before can_receive()): a vCPU may drain the UART meanwhile. */
static void pause_input(struct chardev *chr, uint64_t gen)
{
	pthread_mutex_lock(&chr->lock);
	if (chr->input_gen == gen) {
		chr->input_paused = true;
		update_events_locked(chr);
	}
	pthread_mutex_unlock(&chr->lock);
}

void chardev_accept_input(struct chardev *chr)
{
	pthread_mutex_lock(&chr->lock);
	chr->input_gen++;
	chr->input_paused = false;
	update_events_locked(chr);
	pthread_mutex_unlock(&chr->lock);
}

/* How much the front-end takes now (READ_CHUNK at most); *gen gets input_gen as it
 * was before asking. */
static size_t receive_room(struct chardev *chr, uint64_t *gen)
{
	const struct chardev_frontend *fe = chr->fe;
	size_t room;

	pthread_mutex_lock(&chr->lock);
	*gen = chr->input_gen;
	pthread_mutex_unlock(&chr->lock);
	if (!fe || !fe->can_receive)
		return READ_CHUNK;
	room = fe->can_receive(chr->fe_opaque);
	return room < READ_CHUNK ? room : READ_CHUNK;
}

static void read_in(struct chardev *chr, uint32_t events)
{
	uint8_t buf[READ_CHUNK];
	uint64_t gen;
	size_t room = receive_room(chr, &gen);
	ssize_t n;

	if (room == 0) {
		/* A hung-up fd keeps reporting EPOLLHUP: what it still holds is lost. */
		if (events & (EPOLLHUP | EPOLLERR))
			peer_gone(chr);
		else
			pause_input(chr, gen);
		return;
	}
	n = read(chr->in_fd, buf, room);
	if (n > 0) {
		if (chr->fe && chr->fe->receive)
			chr->fe->receive(chr->fe_opaque, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	peer_gone(chr);		/* EOF, EIO (pty without slave), or an error */
}

static void on_io(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		  void *data)
{
	struct chardev *chr = data;

	if (events & EPOLLOUT)
		flush_out(chr);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_in(chr, events);
}

/* One client at a time, as QEMU: while one is connected the listener is not watched,
 * so others wait in the backlog until it leaves. */
static int accept_client(struct chardev *chr, struct err **errp)
{
	int fd = accept4(chr->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("chardev '%s': cannot accept a client"),
				     chr->o.id);
	if (peer_up(chr, fd, errp) < 0) {
		close(fd);
		return -1;
	}
	if (chr->listen_src)
		evloop_fd_set_events(chr->listen_src, 0, NULL);
	return 0;
}

static void on_listen(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		      void *data)
{
	struct chardev *chr = data;

	if (chr->in_fd < 0 && accept_client(chr, NULL) == 0)
		notify(chr, true);
}

/* A pty's master reports a hangup while no one has the slave open. */
static void on_pty_poll(struct evloop *loop, struct ev_source *src, uint64_t expirations,
			void *data)
{
	struct chardev *chr = data;
	struct pollfd pfd = { .fd = chr->in_fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLHUP))
		return;
	if (peer_up(chr, chr->in_fd, NULL) < 0)
		return;
	evloop_timer_set(src, 0, 0, NULL);
	notify(chr, true);
}

/* ---- back-ends ---- */

static int open_out_file(const char *path, bool append, struct err **errp)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : O_TRUNC);
	int fd = open(path, flags, 0666);

	if (fd < 0)
		err_set_errno(errp, NULL, errno, _("cannot open %s"), path);
	return fd;
}

static int open_file(struct chardev *chr, struct err **errp)
{
	int fd = open_out_file(chr->o.path, chr->o.append, errp);

	if (fd < 0)
		return -1;
	chr->out_fd = fd;
	chr->owns_io = true;
	chr->connected = true;
	return 0;
}

/* Raw input as QEMU's stdio backend sets it: no echo, no line editing; ^C stays a
 * signal unless signal=off. */
static void stdio_raw(struct chardev *chr)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &chr->saved_tios) < 0)
		return;
	t = chr->saved_tios;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	if (!chr->o.signal)
		t.c_lflag &= ~(tcflag_t)ISIG;
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	chr->restore_tios = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void restore_stdio(struct chardev *chr)
{
	if (chr->restore_tios)
		tcsetattr(STDIN_FILENO, TCSANOW, &chr->saved_tios);
	if (chr->saved_stdin_flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, chr->saved_stdin_flags);
}

static int open_stdio(struct chardev *chr, struct err **errp)
{
	chr->out_fd = STDOUT_FILENO;
	chr->connected = true;
	stdio_raw(chr);
	chr->saved_stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
	if (chr->saved_stdin_flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, chr->saved_stdin_flags | O_NONBLOCK);
	chr->in_src = evloop_add_fd(chr->loop, STDIN_FILENO, EPOLLIN, on_io, chr, NULL);
	if (!chr->in_src) {
		/* epoll refuses regular files and /dev/null: output only, then. */
		restore_stdio(chr);
		chr->restore_tios = false;
		chr->saved_stdin_flags = -1;
		return 0;
	}
	chr->events = EPOLLIN;
	chr->in_fd = STDIN_FILENO;
	return 0;
}

/* The slave in raw mode (the settings stay with the pty while the master is open). */
static int pty_slave_raw(const char *path, struct err **errp)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;

	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot open %s"), path);
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSAFLUSH, &t);
	}
	close(fd);
	return 0;
}

static int open_pty(struct chardev *chr, struct err **errp)
{
	char name[128];
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot allocate a pty"));
	chr->in_fd = chr->out_fd = fd;
	chr->owns_io = true;
	chr->stream = true;
	if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, name, sizeof(name)) != 0)
		return err_set_errno(errp, NULL, errno, _("cannot allocate a pty"));
	if (pty_slave_raw(name, errp) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	chr->pty_path = xstrdup(name);
	chr->pty_timer = evloop_add_timer(chr->loop, PTY_POLL_MS, PTY_POLL_MS, on_pty_poll, chr,
					  errp);
	if (!chr->pty_timer)
		return -1;
	/* Not translated: libvirt and scripts look for exactly this line. */
	fprintf(stderr, "char device redirected to %s (label %s)\n", name, chr->o.id);
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa, struct err **errp)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return err_set(errp, ERR_INVALID, _("UNIX socket path '%s' is too long"), path);
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static int socket_listen(struct chardev *chr, struct err **errp)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(chr->o.path, &sa, errp) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot create a socket"));
	chr->listen_fd = fd;
	/* A stale socket from an earlier run is replaced, as QEMU does. */
	if (unlink(chr->o.path) < 0 && errno != ENOENT)
		return err_set_errno(errp, NULL, errno, _("cannot remove %s"), chr->o.path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_set_errno(errp, NULL, errno, _("cannot bind a socket to %s"),
				     chr->o.path);
	chr->unlink_path = true;
	if (listen(fd, 1) < 0)
		return err_set_errno(errp, NULL, errno, _("cannot listen on %s"), chr->o.path);
	return 0;
}

static int socket_connect(struct chardev *chr, struct err **errp)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(chr->o.path, &sa, errp) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot create a socket"));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot connect to %s"), chr->o.path);
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* fd=N: a listening socket (libvirt's monitor) or a connected one. Returns the fd
 * when it is connected, -2 when it was set up as the listener, -1 on error. */
static int socket_adopt(struct chardev *chr, struct err **errp)
{
	int fd = chr->o.fd, listening = 0;
	socklen_t len = sizeof(listening);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
		return err_set_errno(errp, ERR_INVALID, errno,
				     _("chardev '%s': fd %d is not a socket"), chr->o.id, fd);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 && sa.sun_family == AF_UNIX)
		chr->sock_path = xstrndup(sa.sun_path, sizeof(sa.sun_path));
	if (!listening)
		return fd;
	chr->listen_fd = fd;
	chr->o.server = true;
	return -2;
}

/* server=on without wait=off: QEMU does not start the machine before a client is
 * there. */
static int wait_first_client(struct chardev *chr, struct err **errp)
{
	struct pollfd pfd = { .fd = chr->listen_fd, .events = POLLIN };

	fprintf(stderr, _("waiting for a connection on %s"), chr->sock_path);
	fputc('\n', stderr);
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	return accept_client(chr, errp);
}

static int open_socket(struct chardev *chr, struct err **errp)
{
	int fd = -2;

	chr->owns_io = true;
	chr->stream = true;
	chr->is_socket = true;
	if (chr->o.fd >= 0)
		fd = socket_adopt(chr, errp);
	else if (chr->o.server)
		fd = socket_listen(chr, errp) < 0 ? -1 : -2;
	else
		fd = socket_connect(chr, errp);
	if (fd == -1)
		return -1;
	if (!chr->sock_path)
		chr->sock_path = xstrdup(chr->o.path ? chr->o.path : "");
	if (fd >= 0 && peer_up(chr, fd, errp) < 0) {
		if (fd != chr->o.fd)
			close(fd);
		return -1;
	}
	if (fd >= 0)
		return 0;
	chr->listen_src = evloop_add_fd(chr->loop, chr->listen_fd, EPOLLIN, on_listen, chr, errp);
	if (!chr->listen_src)
		return -1;
	return chr->o.wait ? wait_first_client(chr, errp) : 0;
}

/* A failed open leaves fd=N to the caller, as it was. */
static void disown_passed_fd(struct chardev *chr)
{
	int fd = chr->o.fd;

	if (fd < 0)
		return;
	if (chr->listen_fd == fd)
		chr->listen_fd = -1;
	if (chr->in_fd == fd)
		chr->in_fd = -1;
	if (chr->out_fd == fd)
		chr->out_fd = -1;
}

struct chardev *chardev_open(const struct chardev_opts *o, struct evloop *loop,
			     struct err **errp)
{
	struct chardev *chr = xzalloc(sizeof(*chr));
	int rc = 0;

	opts_copy(&chr->o, o);
	chr->loop = loop;
	chr->listen_fd = chr->in_fd = chr->out_fd = chr->log_fd = -1;
	chr->saved_stdin_flags = -1;
	chr->out_limit = OUT_LIMIT_DEFAULT;
	buf_init(&chr->outq, 0);
	pthread_mutex_init(&chr->lock, NULL);
	if (o->logfile) {
		chr->log_fd = open_out_file(o->logfile, o->logappend, errp);
		rc = chr->log_fd < 0 ? -1 : 0;
	}
	if (rc == 0) {
		switch (o->backend) {
		case CHARDEV_NULL: break;
		case CHARDEV_FILE: rc = open_file(chr, errp); break;
		case CHARDEV_STDIO: rc = open_stdio(chr, errp); break;
		case CHARDEV_PTY: rc = open_pty(chr, errp); break;
		case CHARDEV_SOCKET: rc = open_socket(chr, errp); break;
		}
	}
	if (rc < 0) {
		if (errp)
			err_wrap(errp, err_code(*errp), _("cannot open character device '%s'"),
				 chr->o.id);
		disown_passed_fd(chr);
		chardev_free(chr);
		return NULL;
	}
	return chr;
}

void chardev_free(struct chardev *chr)
{
	if (!chr)
		return;
	pthread_mutex_lock(&chr->lock);
	evloop_remove(chr->in_src);
	evloop_remove(chr->listen_src);
	evloop_remove(chr->pty_timer);
	chr->in_src = NULL;
	chr->connected = false;
	pthread_mutex_unlock(&chr->lock);
	if (chr->owns_io && chr->out_fd >= 0)
		close(chr->out_fd);
	if (chr->owns_io && chr->in_fd >= 0 && chr->in_fd != chr->out_fd)
		close(chr->in_fd);
	if (chr->listen_fd >= 0)
		close(chr->listen_fd);
	if (chr->unlink_path)
		unlink(chr->o.path);
	restore_stdio(chr);
	if (chr->log_fd >= 0)
		close(chr->log_fd);
	buf_free(&chr->outq);
	pthread_mutex_destroy(&chr->lock);
	chardev_opts_clear(&chr->o);
	free(chr->pty_path);
	free(chr->sock_path);
	free(chr);
}

/* ---- front-ends and queries ---- */

int chardev_attach(struct chardev *chr, const struct chardev_frontend *fe, void *opaque,
		   struct err **errp)
{
	bool open;

	pthread_mutex_lock(&chr->lock);
	if (chr->fe) {
		pthread_mutex_unlock(&chr->lock);
		return err_set(errp, ERR_EXISTS, _("character device '%s' is already in use"),
			       chr->o.id);
	}
	chr->fe = fe;
	chr->fe_opaque = opaque;
	open = chr->connected && chr->o.backend != CHARDEV_NULL;
	pthread_mutex_unlock(&chr->lock);
	if (open)
		notify(chr, true);
	return 0;
}

void chardev_detach(struct chardev *chr)
{
	pthread_mutex_lock(&chr->lock);
	chr->fe = NULL;
	chr->fe_opaque = NULL;
	pthread_mutex_unlock(&chr->lock);
}

void chardev_set_out_limit(struct chardev *chr, size_t bytes)
{
	pthread_mutex_lock(&chr->lock);
	chr->out_limit = bytes;
	pthread_mutex_unlock(&chr->lock);
}

const char *chardev_label(const struct chardev *chr)
{
	return chr->o.id;
}

enum chardev_backend chardev_backend_type(const struct chardev *chr)
{
	return chr->o.backend;
}

bool chardev_is_connected(struct chardev *chr)
{
	bool c;

	pthread_mutex_lock(&chr->lock);
	c = chr->connected;
	pthread_mutex_unlock(&chr->lock);
	return c;
}

const char *chardev_pty_path(const struct chardev *chr)
{
	return chr->pty_path;
}

uint64_t chardev_dropped_bytes(struct chardev *chr)
{
	uint64_t n;

	pthread_mutex_lock(&chr->lock);
	n = chr->dropped;
	pthread_mutex_unlock(&chr->lock);
	return n;
}

/* The filename QEMU reports for this back-end. */
static char *query_filename(struct chardev *chr)
{
	bool connected = chardev_is_connected(chr);

	switch (chr->o.backend) {
	case CHARDEV_PTY:
		return xasprintf("pty:%s", chr->pty_path);
	case CHARDEV_FILE:
		return xstrdup("file");	/* QEMU 7.2 reports just the back-end here */
	case CHARDEV_SOCKET:
		return xasprintf("%sunix:%s%s", connected ? "" : "disconnected:", chr->sock_path,
				 chr->o.server ? ",server=on" : "");
	case CHARDEV_NULL:
	case CHARDEV_STDIO:
		break;
	}
	return xstrdup(backend_names[chr->o.backend]);
}

json_object *chardev_query_info(struct chardev *chr)
{
	json_object *o = json_object_new_object();
	bool fe_open;

	pthread_mutex_lock(&chr->lock);
	fe_open = chr->fe != NULL;
	pthread_mutex_unlock(&chr->lock);
	json_object_object_add(o, "frontend-open", json_object_new_boolean(fe_open));
	char *filename = query_filename(chr);

	json_object_object_add(o, "filename", json_object_new_string(filename));
	free(filename);
	json_object_object_add(o, "label", json_object_new_string(chr->o.id));
	return o;
}
