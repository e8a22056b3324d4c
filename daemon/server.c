/* The RPC server: see server.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/server.h"
#include "lib/rpc/errors.h"
#include "lib/rpc/frame.h"
#include "lib/rpc/message.h"
#include "lib/rpc/protocol.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define MAX_STREAMS 4
#define LISTEN_BACKLOG 128

struct listener {
	int fd;
	bool readonly;
	bool created;			/* we bound it: remove the file at exit */
	char *path;
	struct ev_source *src;
};

struct conn_stream {
	int64_t id;
	const struct stream_handler *h;
	void *opaque;
};

struct conn {
	int refs;
	struct server *srv;
	int fd;
	struct ev_source *src;
	uint32_t events;	/* what src is registered for now (epoll_ctl only on change) */
	bool open;
	bool readonly_socket;
	bool may_write;
	bool hello_done;
	bool subscribed;
	unsigned uid;
	unsigned inflight;
	int64_t last_input_ms;
	struct rpc_reader reader;
	struct buf out;
	struct conn_stream streams[MAX_STREAMS];
	int64_t next_stream;
	struct conn *next;
};

struct server {
	struct daemon *d;
	struct listener listeners[2];
	size_t n_listeners;
	struct conn *conns;
	unsigned n_conns;
	struct ev_source *sweep;
};

static void conn_close(struct conn *c);

/* ---- connections: output ---- */

static void conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (!c->open)
		return;
	if (c->inflight < CONN_MAX_INFLIGHT)
		ev |= EPOLLIN;
	if (c->out.len)
		ev |= EPOLLOUT;
	/* A call's reply usually leaves in one send(): the mask is the same before and
	 * after, and skipping the epoll_ctl halves the syscalls of a round trip. */
	if (ev != c->events && evloop_fd_set_events(c->src, ev, NULL) == 0)
		c->events = ev;
}

/* Write what the socket takes now. */
static void conn_flush(struct conn *c)
{
	while (c->open && c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	conn_update_events(c);
}

void conn_send(struct conn *c, struct json_object *obj)
{
	struct err *e = NULL;

	if (!c->open) {
		json_object_put(obj);
		return;
	}
	if (rpc_frame_encode(obj, &c->out, &e) < 0) {
		/* too large for a frame (a giant XML): tell the client instead */
		struct json_object *id = json_object_object_get(obj, "id");

		json_object_put(obj);
		obj = rpc_error_from_err(id ? json_object_get_int64(id) : -1, e);
		err_clear(&e);
		if (rpc_frame_encode(obj, &c->out, NULL) < 0) {
			json_object_put(obj);
			conn_close(c);
			return;
		}
	}
	json_object_put(obj);
	if (c->out.len > CONN_OUTPUT_MAX) {
		log_info(&c->srv->d->log, _("dropping client (uid %u): %zu bytes of replies unread"),
			 c->uid, c->out.len);
		conn_close(c);
		return;
	}
	conn_flush(c);
}

/* Send one error frame and hang up: the framing is broken, nothing after it counts. */
static void conn_fail_frame(struct conn *c, const struct err *e)
{
	conn_send(c, rpc_error_from_err(-1, e));
	conn_close(c);
}

/* ---- connections: life ---- */

struct conn *conn_ref(struct conn *c)
{
	c->refs++;
	return c;
}

/* Not inlined: GCC's use-after-free check cannot follow the count through nested
 * ref/unref pairs and warns falsely. */
__attribute__((noinline)) void conn_unref(struct conn *c)
{
	if (!c || --c->refs > 0)
		return;
	rpc_reader_free(&c->reader);
	buf_free(&c->out);
	free(c);
}

bool conn_is_open(const struct conn *c)
{
	return c->open;
}

void conn_subscribe(struct conn *c)
{
	c->subscribed = true;
}

static void conn_close(struct conn *c)
{
	struct server *s = c->srv;
	struct conn **pp;

	if (!c->open)
		return;
	c->open = false;
	evloop_remove(c->src);
	c->src = NULL;
	close(c->fd);
	c->fd = -1;
	for (size_t i = 0; i < MAX_STREAMS; i++) {
		struct conn_stream st = c->streams[i];

		c->streams[i].h = NULL;
		if (st.h && st.h->ended)
			st.h->ended(st.opaque);
	}
	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->n_conns--;
	daemon_touch(s->d);
	conn_unref(c);
}

/* ---- streams ---- */

static struct conn_stream *find_stream(struct conn *c, int64_t id)
{
	for (size_t i = 0; i < MAX_STREAMS; i++)
		if (c->streams[i].h && c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

int64_t conn_stream_open(struct conn *c, const struct stream_handler *h, void *opaque)
{
	for (size_t i = 0; c->open && i < MAX_STREAMS; i++) {
		if (c->streams[i].h)
			continue;
		c->streams[i] = (struct conn_stream){ ++c->next_stream, h, opaque };
		return c->next_stream;
	}
	return -1;
}

void conn_stream_send(struct conn *c, int64_t stream, const void *buf, size_t len)
{
	if (!c->open || !find_stream(c, stream) || c->out.len > CONN_STREAM_BACKLOG)
		return;
	conn_send(c, rpc_stream_data_new(stream, buf, len));
}

void conn_stream_close(struct conn *c, int64_t stream)
{
	struct conn_stream *st = find_stream(c, stream);

	if (!st)
		return;
	st->h = NULL;
	conn_send(c, rpc_stream_end_new(stream));
}

/* A stream frame from the client. */
static void conn_stream_input(struct conn *c, const struct rpc_msg *m)
{
	struct conn_stream *st = find_stream(c, m->stream);
	struct conn_stream copy;
	struct buf data = BUF_INIT;
	struct err *e = NULL;

	if (!st)
		return;		/* ended meanwhile: the client's frames may cross our end */
	if (m->kind == RPC_MSG_STREAM_END) {
		copy = *st;
		st->h = NULL;
		if (copy.h->ended)
			copy.h->ended(copy.opaque);
		return;
	}
	buf_init(&data, RPC_FRAME_MAX);
	if (rpc_b64_decode(m->b64, &data, &e) < 0) {
		conn_fail_frame(c, e);
		err_free(e);
	} else if (st->h->data) {
		st->h->data(st->opaque, data.data, data.len);
	}
	buf_free(&data);
}

/* ---- calls ---- */

static void call_free(struct call *call)
{
	call->conn->inflight--;
	conn_update_events(call->conn);
	conn_unref(call->conn);
	free(call->method);
	json_object_put(call->params);
	free(call);
}

void call_reply(struct call *call, struct json_object *result)
{
	conn_send(call->conn, rpc_reply_new(call->id, result));
	call_free(call);
}

void call_fail(struct call *call, struct err *e)
{
	conn_send(call->conn, rpc_error_from_err(call->id, e));
	if (strcmp(rpc_code_from_err(e), RPC_ERR_INTERNAL) == 0)
		log_err(&call->d->log, VLOG_ERROR, e);
	err_free(e);
	call_free(call);
}

void call_failf(struct call *call, const char *code, const char *fmt, ...)
{
	struct err *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	err_setv(&e, code, fmt, ap);
	va_end(ap);
	call_fail(call, e);
}

static void reply_error(struct conn *c, int64_t id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reply_error(struct conn *c, int64_t id, const char *code, const char *fmt, ...)
{
	struct err *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	err_setv(&e, code, fmt, ap);
	va_end(ap);
	conn_send(c, rpc_error_from_err(id, e));
	err_free(e);
}

static void do_hello(struct conn *c, const struct rpc_msg *m)
{
	struct json_object *v = NULL, *res;

	if (m->params)
		json_object_object_get_ex(m->params, "version", &v);
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != RPC_PROTOCOL_VERSION) {
		reply_error(c, m->id, RPC_ERR_PROTOCOL,
			    _("unsupported protocol version %s (this daemon speaks %d)"),
			    v ? json_object_to_json_string(v) : "(none)", RPC_PROTOCOL_VERSION);
		return;
	}
	c->hello_done = true;
	res = json_object_new_object();
	json_object_object_add(res, "version", json_object_new_int(RPC_PROTOCOL_VERSION));
	json_object_object_add(res, "daemon", json_object_new_string("vireod " PACKAGE_VERSION));
	json_object_object_add(res, "readonly", json_object_new_boolean(!c->may_write));
	json_object_object_add(res, "uri", json_object_new_string("vireo:///system"));
	conn_send(c, rpc_reply_new(m->id, res));
}

/* Check a request against the protocol and the connection's rights, then run it. */
static void conn_request(struct conn *c, const struct rpc_msg *m)
{
	const struct rpc_method_info *info = rpc_method_find(m->method);
	struct call *call;

	if (strcmp(m->method, "hello") == 0) {
		do_hello(c, m);
		return;
	}
	if (!c->hello_done) {
		reply_error(c, m->id, RPC_ERR_PROTOCOL, _("the first call must be 'hello'"));
		return;
	}
	if (!info) {
		reply_error(c, m->id, RPC_ERR_UNKNOWN_METHOD, _("unknown method '%s'"), m->method);
		return;
	}
	if (!info->readonly && !c->may_write) {
		if (c->readonly_socket)
			reply_error(c, m->id, RPC_ERR_PERMISSION,
				    _("'%s' needs read-write access: this is the read-only socket"),
				    m->method);
		else
			reply_error(c, m->id, RPC_ERR_PERMISSION,
				    _("'%s' needs read-write access (uid 0 or group vireo)"),
				    m->method);
		return;
	}
	call = xzalloc(sizeof(*call));
	call->d = c->srv->d;
	call->conn = conn_ref(c);
	call->id = m->id;
	call->method = xstrdup(m->method);
	call->params = m->params ? json_object_get(m->params) : json_object_new_object();
	c->inflight++;
	conn_update_events(c);
	dispatch_call(call);
}

static void conn_frame(struct conn *c, struct json_object *frame)
{
	struct rpc_msg m;
	struct err *e = NULL;

	if (rpc_msg_parse(frame, &m, &e) < 0) {
		conn_send(c, rpc_error_from_err(m.id, e));
		err_free(e);
		return;
	}
	switch (m.kind) {
	case RPC_MSG_REQUEST:
		conn_request(c, &m);
		break;
	case RPC_MSG_STREAM_DATA:
	case RPC_MSG_STREAM_END:
		conn_stream_input(c, &m);
		break;
	default:
		reply_error(c, m.id, RPC_ERR_PROTOCOL, _("clients send requests and stream frames"));
		break;
	}
}

static void conn_read(struct conn *c)
{
	struct json_object *frame;
	struct err *e = NULL;
	ssize_t n = rpc_reader_fill(&c->reader, c->fd, &e);
	int rc;

	if (n < 0 && !e)
		return;		/* EAGAIN */
	if (n < 0) {
		if (err_has_code(e, RPC_ERR_INVALID_FRAME))
			conn_fail_frame(c, e);
		else
			conn_close(c);
		err_free(e);
		return;
	}
	if (n == 0) {
		conn_close(c);	/* a frame cut short by the hang-up is simply dropped */
		return;
	}
	c->last_input_ms = daemon_now_ms();
	conn_ref(c);
	while (c->open && (rc = rpc_reader_next(&c->reader, &frame, &e)) == 1) {
		conn_frame(c, frame);
		json_object_put(frame);
	}
	if (c->open && rc < 0)
		conn_fail_frame(c, e);
	err_free(e);
	conn_unref(c);
}

static void on_conn_io(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		       void *data)
{
	struct conn *c = data;

	daemon_touch(c->srv->d);
	conn_ref(c);
	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->open && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
	conn_unref(c);
}

/* ---- listening ---- */

static void accept_one(struct server *s, struct listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return;
	if (s->n_conns >= SERVER_MAX_CONNS) {
		log_warning(&s->d->log, _("refusing a client: %u clients connected"), s->n_conns);
		close(fd);
		return;
	}
	c = xzalloc(sizeof(*c));
	c->refs = 1;
	c->srv = s;
	c->fd = fd;
	c->open = true;
	c->readonly_socket = l->readonly;
	c->may_write = access_peer_may_write(fd, &c->uid) && !l->readonly;
	c->last_input_ms = daemon_now_ms();
	rpc_reader_init(&c->reader);
	buf_init(&c->out, CONN_OUTPUT_MAX + RPC_FRAME_MAX + 64);
	c->src = evloop_add_fd(s->d->loop, fd, EPOLLIN, on_conn_io, c, NULL);
	if (!c->src) {
		close(fd);
		conn_unref(c);
		return;
	}
	c->events = EPOLLIN;
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	daemon_touch(s->d);
}

static void on_listen(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		      void *data)
{
	struct server *s = data;

	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].fd == fd)
			accept_one(s, &s->listeners[i]);
}

/* Close clients that said nothing for CONN_IDLE_MS and hold no stream. */
static void on_sweep(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct server *s = data;
	int64_t now = daemon_now_ms();
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		bool streams = false;

		next = c->next;
		for (size_t i = 0; i < MAX_STREAMS; i++)
			streams |= c->streams[i].h != NULL;
		if (!streams && c->inflight == 0 && now - c->last_input_ms > CONN_IDLE_MS)
			conn_close(c);
	}
}

static int bind_socket(struct server *s, const char *path, bool readonly, struct err **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct listener *l = &s->listeners[s->n_listeners];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(errp, ERR_INVALID, _("socket path %s is too long"), path);
	strcpy(sa.sun_path, path);
	/* the instance lock is ours: a socket file left here is stale */
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot listen on %s"), path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*l = (struct listener){ .fd = fd, .readonly = readonly, .created = true,
				.path = xstrdup(path) };
	s->n_listeners++;
	return 0;
}

/* Which activated socket is the read-only one: by FileDescriptorName, else by path. */
static bool activated_is_readonly(struct server *s, int fd, const char *name)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	if (name && (strcmp(name, "ro") == 0 || strcmp(name, "vireod-ro.socket") == 0))
		return true;
	if (name && (strcmp(name, "rw") == 0 || strcmp(name, "vireod.socket") == 0))
		return false;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return false;
	return strcmp(sa.sun_path, s->d->paths.ro_socket) == 0;
}

static void set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int take_activated(struct server *s, struct err **errp)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	if (n < 0)
		return err_set_errno(errp, NULL, -n, _("cannot take the sockets from systemd"));
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (s->n_listeners < ARRAY_SIZE(s->listeners) &&
		    sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1) > 0) {
			s->listeners[s->n_listeners++] = (struct listener){
				.fd = fd, .readonly = activated_is_readonly(s, fd, names ? names[i] : NULL),
			};
		} else {
			log_warning(&s->d->log, _("ignoring socket %d passed by systemd"), fd);
			close(fd);
		}
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return n;
}

int server_start(struct server *s, struct err **errp)
{
	int n = 0;

	if (!s->d->opts.listen && (n = take_activated(s, errp)) < 0)
		return -1;
	if (s->n_listeners == 0 &&
	    (bind_socket(s, s->d->paths.rw_socket, false, errp) < 0 ||
	     bind_socket(s, s->d->paths.ro_socket, true, errp) < 0))
		return -1;
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct listener *l = &s->listeners[i];

		set_nonblock_cloexec(l->fd);
		l->src = evloop_add_fd(s->d->loop, l->fd, EPOLLIN, on_listen, s, errp);
		if (!l->src)
			return -1;
	}
	s->sweep = evloop_add_timer(s->d->loop, 30000, 30000, on_sweep, s, errp);
	if (!s->sweep)
		return -1;
	if (n > 0)
		log_info(&s->d->log, _("serving %d socket(s) passed by systemd"), n);
	else
		log_info(&s->d->log, _("listening on %s and %s"), s->d->paths.rw_socket,
			 s->d->paths.ro_socket);
	return 0;
}

struct server *server_new(struct daemon *d)
{
	struct server *s = xzalloc(sizeof(*s));

	s->d = d;
	return s;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct listener *l = &s->listeners[i];

		evloop_remove(l->src);
		close(l->fd);
		if (l->created)
			unlink(l->path);
		free(l->path);
	}
	evloop_remove(s->sweep);
	free(s);
}

unsigned server_conn_count(const struct server *s)
{
	return s->n_conns;
}

void server_broadcast(struct server *s, const char *event, struct json_object *data)
{
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->subscribed)
			conn_send(c, rpc_event_new(event, json_object_get(data)));
	}
	json_object_put(data);
}
