/* The blocking RPC client: see client.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/rpc/client.h"
#include "lib/rpc/frame.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* Bounds on what may wait unread: a client that never reads its events or a console
 * it no longer shows must not grow without limit. */
#define MAX_QUEUED_EVENTS 4096
#define MAX_QUEUED_STREAM_BYTES ((size_t)64 << 20)

struct queued_event {
	char *name;
	struct json_object *data;
};

struct queued_chunk {
	int64_t stream;
	bool end;
	struct buf data;
};

struct rpc_client {
	int rfd, wfd;
	struct rpc_reader reader;
	struct buf out;			/* encoded frames not yet written */
	int64_t next_id;
	int timeout_ms;
	struct err *dead;		/* the transport failed: every call fails with this */
	bool readonly;
	char *daemon_name, *uri;
	int64_t wait_id;		/* the id rpc_client_call waits for, -1: none */
	struct json_object *reply;	/* its reply or error frame, once here */
	struct queued_event *events;
	size_t n_events;
	struct queued_chunk *chunks;
	size_t n_chunks, chunk_bytes;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The poll timeout left until deadline (-1: none). */
static int time_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Record a transport failure; later calls report it again. */
static int fail(struct rpc_client *c, struct err **errp)
{
	err_set(errp, err_code(c->dead), "%s", c->dead->message);
	return -1;
}

static int set_dead(struct rpc_client *c, struct err **errp, struct err *e)
{
	if (!c->dead)
		c->dead = e;
	else
		err_free(e);
	return fail(c, errp);
}

/* ---- incoming frames ---- */

static void queue_event(struct rpc_client *c, const struct rpc_msg *m)
{
	struct queued_event *ev;

	if (c->n_events >= MAX_QUEUED_EVENTS)
		return;		/* dropped: the caller is not reading its events */
	c->events = xreallocarray(c->events, c->n_events + 1, sizeof(*c->events));
	ev = &c->events[c->n_events++];
	ev->name = xstrdup(m->event);
	ev->data = m->data ? json_object_get(m->data) : json_object_new_object();
}

static int queue_chunk(struct rpc_client *c, const struct rpc_msg *m, struct err **errp)
{
	struct queued_chunk ch = { .stream = m->stream, .end = m->kind == RPC_MSG_STREAM_END };

	buf_init(&ch.data, 0);
	if (!ch.end && rpc_b64_decode(m->b64, &ch.data, errp) < 0) {
		buf_free(&ch.data);
		return -1;
	}
	if (c->chunk_bytes + ch.data.len > MAX_QUEUED_STREAM_BYTES) {
		buf_free(&ch.data);
		return err_set(errp, RPC_ERR_OPERATION_FAILED,
			       _("more than %zu bytes of stream data were left unread"),
			       MAX_QUEUED_STREAM_BYTES);
	}
	c->chunk_bytes += ch.data.len;
	c->chunks = xreallocarray(c->chunks, c->n_chunks + 1, sizeof(*c->chunks));
	c->chunks[c->n_chunks++] = ch;
	return 0;
}

static int dispatch(struct rpc_client *c, struct json_object *frame, struct err **errp)
{
	struct rpc_msg m;

	if (rpc_msg_parse(frame, &m, errp) < 0)
		return -1;
	switch (m.kind) {
	case RPC_MSG_REPLY:
	case RPC_MSG_ERROR:
		if (m.id >= 0 && m.id == c->wait_id && !c->reply)
			c->reply = json_object_get(frame);
		else if (m.kind == RPC_MSG_ERROR && m.id < 0)
			/* the daemon gave up on this connection ("invalid-frame"): say why */
			return err_set(errp, rpc_code_to_err(m.err_code), "%s", m.err_message);
		return 0;	/* a late reply to a call that timed out */
	case RPC_MSG_EVENT:
		queue_event(c, &m);
		return 0;
	case RPC_MSG_STREAM_DATA:
	case RPC_MSG_STREAM_END:
		return queue_chunk(c, &m, errp);
	case RPC_MSG_REQUEST:
		break;
	}
	return err_set(errp, RPC_ERR_PROTOCOL, _("the daemon sent a request"));
}

/* Read once (the fd is non-blocking) and dispatch every complete frame. */
static int read_some(struct rpc_client *c, struct err **errp)
{
	struct json_object *frame;
	struct err *e = NULL;
	ssize_t n;
	int rc;

	n = rpc_reader_fill(&c->reader, c->rfd, &e);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !e)
		return 0;
	if (n < 0)
		return set_dead(c, errp, e);
	if (n == 0) {
		err_set(&e, RPC_ERR_OPERATION_FAILED, _("the daemon closed the connection"));
		return set_dead(c, errp, e);
	}
	while ((rc = rpc_reader_next(&c->reader, &frame, &e)) == 1) {
		rc = dispatch(c, frame, &e);
		json_object_put(frame);
		if (rc < 0)
			break;
	}
	if (rc < 0)
		return set_dead(c, errp, e);
	return 0;
}

/* Wait until the connection is readable (and writable, if want_write), up to timeout:
 * returns the poll events seen (0 on timeout), or -1. */
static int wait_io(struct rpc_client *c, bool want_write, int timeout, struct err **errp)
{
	struct pollfd p[2] = { { .fd = c->rfd, .events = POLLIN } };
	nfds_t n = 1;
	int rc, ev;

	if (want_write) {
		if (c->wfd == c->rfd) {
			p[0].events |= POLLOUT;
		} else {
			p[1] = (struct pollfd){ .fd = c->wfd, .events = POLLOUT };
			n = 2;
		}
	}
	do
		rc = poll(p, n, timeout);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		struct err *e = NULL;

		err_set_errno(&e, RPC_ERR_OPERATION_FAILED, errno, _("cannot wait for the daemon"));
		return set_dead(c, errp, e);
	}
	if ((p[0].revents | p[1].revents) & POLLNVAL) {
		struct err *e = NULL;

		err_set(&e, RPC_ERR_OPERATION_FAILED, _("the connection to the daemon is closed"));
		return set_dead(c, errp, e);
	}
	/* POLLHUP/POLLERR count as ready: the read or write then finds out what happened */
	ev = 0;
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
		ev |= POLLIN;
	if (want_write && ((p[0].revents & POLLOUT) || p[1].revents))
		ev |= POLLOUT;
	return ev;
}

/* ---- outgoing frames ---- */

static int write_some(struct rpc_client *c, struct err **errp)
{
	/* MSG_NOSIGNAL: a daemon that went away is an error, not a SIGPIPE. Pipes (ssh)
	 * cannot take it: there the caller ignores SIGPIPE. */
	ssize_t n = send(c->wfd, c->out.data, c->out.len, MSG_NOSIGNAL);

	if (n < 0 && errno == ENOTSOCK)
		n = write(c->wfd, c->out.data, c->out.len);

	if (n < 0) {
		struct err *e = NULL;

		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		err_set_errno(&e, RPC_ERR_OPERATION_FAILED, errno,
			      _("cannot send to the daemon"));
		return set_dead(c, errp, e);
	}
	buf_consume(&c->out, (size_t)n);
	return 0;
}

/* Send obj (taken over), reading whatever the daemon sends meanwhile. */
static int send_frame(struct rpc_client *c, struct json_object *obj, int64_t deadline,
		      struct err **errp)
{
	int rc = rpc_frame_encode(obj, &c->out, errp);

	json_object_put(obj);
	if (rc < 0)
		return -1;
	while (c->out.len > 0) {
		int ev = wait_io(c, true, time_left(deadline), errp);

		if (ev < 0)
			return -1;
		if (ev == 0)
			return err_set(errp, RPC_ERR_TIMEOUT, _("timed out sending to the daemon"));
		if ((ev & POLLIN) && read_some(c, errp) < 0)
			return -1;
		if ((ev & POLLOUT) && write_some(c, errp) < 0)
			return -1;
	}
	return 0;
}

/* Wait for readable data up to the deadline and take it: 1 read, 0 timed out, -1. */
static int pump(struct rpc_client *c, int64_t deadline, struct err **errp)
{
	int ev = wait_io(c, false, time_left(deadline), errp);

	if (ev <= 0)
		return ev;
	return read_some(c, errp) < 0 ? -1 : 1;
}

/* ---- calls ---- */

static int take_reply(struct rpc_client *c, struct json_object **result, struct err **errp)
{
	struct json_object *frame = c->reply;
	struct rpc_msg m;
	int rc = 0;

	c->reply = NULL;
	c->wait_id = -1;
	if (rpc_msg_parse(frame, &m, errp) < 0) {
		rc = -1;
	} else if (m.kind == RPC_MSG_ERROR) {
		rpc_msg_to_err(&m, errp);
		rc = -1;
	} else if (result) {
		*result = m.result ? json_object_get(m.result) : json_object_new_object();
	}
	json_object_put(frame);
	return rc;
}

int rpc_client_call(struct rpc_client *c, const char *method, struct json_object *params,
		    struct json_object **result, struct err **errp)
{
	int64_t deadline = deadline_after(c->timeout_ms);
	int64_t id = c->next_id++;

	if (result)
		*result = NULL;
	if (c->dead) {
		json_object_put(params);
		return fail(c, errp);
	}
	c->wait_id = id;
	if (send_frame(c, rpc_request_new(id, method, params), deadline, errp) < 0)
		return -1;
	while (!c->reply) {
		int rc = pump(c, deadline, errp);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			c->wait_id = -1;
			return err_set(errp, RPC_ERR_TIMEOUT,
				       _("no reply from the daemon to '%s' within %d ms"), method,
				       c->timeout_ms);
		}
	}
	return take_reply(c, result, errp);
}

int rpc_client_next_event(struct rpc_client *c, int timeout_ms, char **event,
			  struct json_object **data, struct err **errp)
{
	int64_t deadline = deadline_after(timeout_ms);

	*event = NULL;
	*data = NULL;
	while (c->n_events == 0) {
		int rc;

		if (c->dead)
			return fail(c, errp);
		rc = pump(c, deadline, errp);
		if (rc <= 0)
			return rc;
	}
	*event = c->events[0].name;
	*data = c->events[0].data;
	memmove(c->events, c->events + 1, --c->n_events * sizeof(*c->events));
	return 1;
}

/* ---- streams ---- */

int rpc_client_stream_write(struct rpc_client *c, int64_t stream, const void *data, size_t len,
			    struct err **errp)
{
	if (c->dead)
		return fail(c, errp);
	return send_frame(c, rpc_stream_data_new(stream, data, len), deadline_after(c->timeout_ms),
			  errp);
}

int rpc_client_stream_end(struct rpc_client *c, int64_t stream, struct err **errp)
{
	if (c->dead)
		return fail(c, errp);
	return send_frame(c, rpc_stream_end_new(stream), deadline_after(c->timeout_ms), errp);
}

/* Move the queued chunks of stream into out, up to and including an end. */
static int drain_chunks(struct rpc_client *c, int64_t stream, struct buf *out, struct err **errp)
{
	int status = RPC_STREAM_NONE;
	size_t i;

	/* Chunks of other streams are dropped: one client reads one console. */
	for (i = 0; i < c->n_chunks; i++) {
		struct queued_chunk *ch = &c->chunks[i];

		if (ch->stream == stream && status != RPC_STREAM_ENDED) {
			if (ch->end)
				status = RPC_STREAM_ENDED;
			else if (buf_append(out, ch->data.data, ch->data.len, errp) < 0)
				status = -1;
			else if (status != -1)
				status = RPC_STREAM_DATA;
		}
		c->chunk_bytes -= ch->data.len;
		buf_free(&ch->data);
	}
	c->n_chunks = 0;
	return status;
}

int rpc_client_stream_read(struct rpc_client *c, int64_t stream, int timeout_ms, struct buf *out,
			   struct err **errp)
{
	int64_t deadline = deadline_after(timeout_ms);
	int status = drain_chunks(c, stream, out, errp);

	if (status != RPC_STREAM_NONE)
		return status;
	if (c->dead)
		return fail(c, errp);
	for (;;) {
		int rc = pump(c, deadline, errp);

		if (rc <= 0)
			return rc;
		status = drain_chunks(c, stream, out, errp);
		if (status != RPC_STREAM_NONE || timeout_ms == 0)
			return status;
	}
}

int rpc_client_poll_fd(const struct rpc_client *c)
{
	return c->rfd;
}

/* ---- setting up ---- */

static int hello(struct rpc_client *c, const char *client_name, struct err **errp)
{
	struct json_object *params = json_object_new_object(), *res = NULL, *v;

	json_object_object_add(params, "version", json_object_new_int(RPC_PROTOCOL_VERSION));
	json_object_object_add(params, "client", json_object_new_string(client_name));
	if (rpc_client_call(c, "hello", params, &res, errp) < 0)
		return -1;
	if (json_object_object_get_ex(res, "readonly", &v))
		c->readonly = json_object_get_boolean(v);
	if (json_object_object_get_ex(res, "daemon", &v))
		c->daemon_name = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(res, "uri", &v))
		c->uri = xstrdup(json_object_get_string(v));
	json_object_put(res);
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct rpc_client *rpc_client_open_fds(int read_fd, int write_fd, const char *client_name,
				       struct err **errp)
{
	struct rpc_client *c = xzalloc(sizeof(*c));

	c->rfd = read_fd;
	c->wfd = write_fd;
	c->next_id = 1;
	c->timeout_ms = -1;
	c->wait_id = -1;
	rpc_reader_init(&c->reader);
	buf_init(&c->out, 0);
	if (set_nonblock(read_fd) < 0 || set_nonblock(write_fd) < 0) {
		err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno,
			      _("cannot set up the connection to the daemon"));
		rpc_client_close(c);
		return NULL;
	}
	if (hello(c, client_name ? client_name : "vireo", errp) < 0) {
		rpc_client_close(c);
		return NULL;
	}
	return c;
}

struct rpc_client *rpc_client_connect(const char *path, const char *client_name,
				      struct err **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set(errp, RPC_ERR_INVALID_ARGUMENT,
			_("socket path '%s' is longer than %zu bytes"), path,
			sizeof(sa.sun_path) - 1);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno,
			      _("cannot connect to vireod at %s"), path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return rpc_client_open_fds(fd, fd, client_name, errp);
}

void rpc_client_set_timeout(struct rpc_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

bool rpc_client_readonly(const struct rpc_client *c)
{
	return c->readonly;
}

const char *rpc_client_daemon_name(const struct rpc_client *c)
{
	return c->daemon_name ? c->daemon_name : "";
}

const char *rpc_client_uri(const struct rpc_client *c)
{
	return c->uri ? c->uri : "";
}

void rpc_client_close(struct rpc_client *c)
{
	size_t i;

	if (!c)
		return;
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	rpc_reader_free(&c->reader);
	buf_free(&c->out);
	err_free(c->dead);
	free(c->daemon_name);
	free(c->uri);
	json_object_put(c->reply);
	for (i = 0; i < c->n_events; i++) {
		free(c->events[i].name);
		json_object_put(c->events[i].data);
	}
	free(c->events);
	for (i = 0; i < c->n_chunks; i++)
		buf_free(&c->chunks[i].data);
	free(c->chunks);
	free(c);
}
