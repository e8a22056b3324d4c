/* A running domain's console, proxied to one RPC client as a stream: see console.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/console.h"
#include "daemon/lifecycle.h"
#include "daemon/server.h"
#include "lib/rpc/errors.h"
#include "lib/util/buf.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* Typed input waiting for the worker to take it; more is dropped. */
#define TO_GUEST_MAX 65536
#define READ_CHUNK 4096

struct console {
	struct domain *dom;		/* outlives us: the console goes with the worker */
	int fd;
	struct ev_source *src;
	char ring[CONSOLE_HISTORY];
	size_t ring_start, ring_len;
	struct buf to_guest;
	struct conn *client;		/* referenced; NULL when nobody is attached */
	int64_t stream;
	char *history_path;		/* console.history */
	int history_fd;			/* appending to it; -1: not kept (logged once) */
	off_t history_size;
};

static void use_unix_source(struct vdom_chr_source *src, const char *path)
{
	src->type = VDOM_CHR_UNIX;
	free(src->path);
	src->path = xstrdup(path);
	src->listen = true;
}

bool console_prepare_def(struct vdomain *live, const char *path)
{
	bool found = false;

	if (live->n_serials > 0 && live->serials[0].src.type == VDOM_CHR_PTY) {
		use_unix_source(&live->serials[0].src, path);
		found = true;
	}
	/* the <console> twin of serial 0 (or the serial port itself when there is no
	 * <serial>) must stay in step with it */
	if (live->n_consoles > 0 && live->consoles[0].target == VDOM_CON_TARGET_SERIAL &&
	    live->consoles[0].src.type == VDOM_CHR_PTY &&
	    (found || live->n_serials == 0)) {
		use_unix_source(&live->consoles[0].src, path);
		found = true;
	}
	return found;
}

static void ring_add(struct console *con, const char *data, size_t len)
{
	if (len >= CONSOLE_HISTORY) {
		data += len - CONSOLE_HISTORY;
		len = CONSOLE_HISTORY;
	}
	for (size_t i = 0; i < len; i++) {
		size_t pos = (con->ring_start + con->ring_len) % CONSOLE_HISTORY;

		con->ring[pos] = data[i];
		if (con->ring_len < CONSOLE_HISTORY)
			con->ring_len++;
		else
			con->ring_start = (con->ring_start + 1) % CONSOLE_HISTORY;
	}
}

/* The ring's bytes, oldest first, into out (CONSOLE_HISTORY bytes); returns how many. */
static size_t ring_copy(const struct console *con, char *out)
{
	size_t first = con->ring_len;

	if (con->ring_start + first > CONSOLE_HISTORY)
		first = CONSOLE_HISTORY - con->ring_start;
	memcpy(out, con->ring + con->ring_start, first);
	memcpy(out + first, con->ring, con->ring_len - first);
	return con->ring_len;
}

/* ---- console.history: the ring kept across a daemon restart ---- */

static void history_stop(struct console *con, const char *why)
{
	log_warning(&con->dom->d->log, _("domain %s: console history not kept in %s: %s"),
		    con->dom->name, con->history_path, why);
	if (con->history_fd >= 0)
		close(con->history_fd);
	con->history_fd = -1;
}

/* A previous daemon's history (re-attach): its last CONSOLE_HISTORY bytes into the
 * ring. A fresh start finds none (runtime_prepare made the directory empty). */
static void history_load(struct console *con)
{
	int fd = open(con->history_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	ssize_t n;

	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		off_t from = sb.st_size > CONSOLE_HISTORY ? sb.st_size - CONSOLE_HISTORY : 0;

		n = pread(fd, con->ring, CONSOLE_HISTORY, from);
		con->ring_len = n > 0 ? (size_t)n : 0;
	}
	close(fd);
}

static void history_open(struct console *con)
{
	struct stat sb;

	con->history_fd = open(con->history_path,
			       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (con->history_fd < 0 || fstat(con->history_fd, &sb) < 0) {
		history_stop(con, strerror(errno));
		return;
	}
	con->history_size = sb.st_size;
}

/* The file reached its cap: the ring (already holding the newest bytes) replaces it,
 * atomically, so a daemon dying meanwhile finds the old file or the new one. */
static void history_cut(struct console *con)
{
	char *text = xmalloc(CONSOLE_HISTORY);
	size_t len = ring_copy(con, text);
	struct err *e = NULL;

	close(con->history_fd);
	con->history_fd = -1;
	if (file_write_atomic(con->history_path, text, len, 0600, &e) < 0) {
		history_stop(con, e->message);
		err_free(e);
	} else {
		history_open(con);
	}
	free(text);
}

/* Keep the bytes just added to the ring in the file too. */
static void history_add(struct console *con, const char *data, size_t len)
{
	if (con->history_fd < 0)
		return;
	if (con->history_size + (off_t)len > CONSOLE_HISTORY_FILE_MAX) {
		history_cut(con);
		return;
	}
	if (fd_write_all(con->history_fd, data, len) < 0) {
		history_stop(con, strerror(errno));
		return;
	}
	con->history_size += (off_t)len;
}

static void detach_client(struct console *con, bool send_end)
{
	struct conn *c = con->client;

	if (!c)
		return;
	con->client = NULL;
	if (send_end)
		conn_stream_close(c, con->stream);
	conn_unref(c);
}

static void close_socket(struct console *con)
{
	evloop_remove(con->src);
	con->src = NULL;
	if (con->fd >= 0)
		close(con->fd);
	con->fd = -1;
}

static void flush_to_guest(struct console *con)
{
	ssize_t n;

	if (con->fd < 0)
		return;
	n = send(con->fd, con->to_guest.data, con->to_guest.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		buf_consume(&con->to_guest, (size_t)n);
	evloop_fd_set_events(con->src, EPOLLIN | (con->to_guest.len ? EPOLLOUT : 0), NULL);
}

static void on_console_io(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
			  void *data)
{
	struct console *con = data;
	char chunk[READ_CHUNK];
	ssize_t n;

	if (events & EPOLLOUT)
		flush_to_guest(con);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the worker is going away; its exit ends the client's stream */
		close_socket(con);
		return;
	}
	ring_add(con, chunk, (size_t)n);
	history_add(con, chunk, (size_t)n);
	if (con->client)
		conn_stream_send(con->client, con->stream, chunk, (size_t)n);
}

struct console *console_open(struct domain *dom, const struct dom_paths *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = p->console;
	struct console *con;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_warning(&dom->d->log, _("domain %s: cannot connect to the console %s: %s"),
			    dom->name, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	con = xzalloc(sizeof(*con));
	con->dom = dom;
	con->fd = fd;
	con->history_path = xstrdup(p->console_history);
	history_load(con);
	history_open(con);
	buf_init(&con->to_guest, TO_GUEST_MAX);
	con->src = evloop_add_fd(dom->d->loop, fd, EPOLLIN, on_console_io, con, NULL);
	if (!con->src) {
		console_free(con);
		return NULL;
	}
	return con;
}

void console_free(struct console *con)
{
	if (!con)
		return;
	detach_client(con, true);
	close_socket(con);
	if (con->history_fd >= 0)
		close(con->history_fd);
	free(con->history_path);
	buf_free(&con->to_guest);
	free(con);
}

/* ---- the client's side ---- */

static void client_data(void *opaque, const void *buf, size_t len)
{
	struct console *con = opaque;

	/* beyond the limit typed bytes are dropped, as a real serial line would */
	if (buf_append(&con->to_guest, buf, len, NULL) == 0)
		flush_to_guest(con);
}

static void client_ended(void *opaque)
{
	detach_client(opaque, false);
}

static const struct stream_handler console_stream = { client_data, client_ended };

static void send_history(struct console *con)
{
	char *text = xmalloc(CONSOLE_HISTORY);
	size_t len = ring_copy(con, text);

	if (len)
		conn_stream_send(con->client, con->stream, text, len);
	free(text);
}

void console_method(struct domain *dom, struct call *call)
{
	struct console *con = dom->w ? dom->w->console : NULL;
	struct err *e = NULL;
	struct json_object *res;
	bool force = false;
	int64_t stream;

	if (rpc_param_bool(call->params, "force", &force, &e) < 0) {
		call_fail(call, e);
		return;
	}
	if (!dom_require_active(dom, call))
		return;
	if (!con || con->fd < 0) {
		call_failf(call, RPC_ERR_OPERATION_FAILED, _("domain '%s' has no serial console"),
			   dom->name);
		return;
	}
	if (con->client && !force) {
		call_failf(call, RPC_ERR_OPERATION_FAILED,
			   _("Active console session exists for this domain"));
		return;
	}
	stream = conn_stream_open(call->conn, &console_stream, con);
	if (stream < 0) {
		call_failf(call, RPC_ERR_OPERATION_FAILED, _("too many streams on this connection"));
		return;
	}
	detach_client(con, true);
	con->client = conn_ref(call->conn);
	con->stream = stream;
	res = json_object_new_object();
	json_object_object_add(res, "stream", json_object_new_int64(stream));
	call_reply(call, res);
	send_history(con);
}
