/* The daemon's QMP client: see client.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/qmp/client.h"
#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define READ_CHUNK 16384
/* What may wait unsent: commands are small; a worker that stops reading is stuck. */
#define MAX_OUTPUT ((size_t)1 << 20)

struct pending {
	int64_t id;
	qmp_reply_fn fn;
	void *opaque;
	struct pending *next;
};

enum qmp_phase { QMP_GREETING, QMP_NEGOTIATING, QMP_READY, QMP_CLOSED };

struct qmp_client {
	struct evloop *loop;
	struct ev_source *src;
	int fd;
	const struct qmp_client_ops *ops;
	void *opaque;
	enum qmp_phase phase;
	struct json_tokener *tok;
	size_t msg_bytes;		/* bytes fed into the message being parsed */
	struct buf out;			/* bytes not yet written */
	struct buf held;		/* commands queued until ready (already encoded) */
	struct pending *pending, **pending_tail;
	int64_t next_id;
	struct json_object *version;
	int depth;			/* callbacks running right now */
	bool free_wanted;		/* qmp_client_free() was called from a callback */
};

static void update_events(struct qmp_client *q)
{
	uint32_t ev = EPOLLIN | (q->out.len ? EPOLLOUT : 0);

	if (q->src)
		evloop_fd_set_events(q->src, ev, NULL);
}

static void really_free(struct qmp_client *q)
{
	struct pending *p, *next;

	evloop_remove(q->src);
	if (q->fd >= 0)
		close(q->fd);
	for (p = q->pending; p; p = next) {
		next = p->next;
		free(p);
	}
	json_tokener_free(q->tok);
	json_object_put(q->version);
	buf_free(&q->out);
	buf_free(&q->held);
	free(q);
}

void qmp_client_free(struct qmp_client *q)
{
	if (!q)
		return;
	if (q->depth > 0) {
		q->free_wanted = true;
		return;
	}
	really_free(q);
}

/* Close the connection: fail every pending command, then tell the owner once. */
static void close_with(struct qmp_client *q, struct err *why)
{
	struct pending *p;

	if (q->phase == QMP_CLOSED) {
		err_free(why);
		return;
	}
	q->phase = QMP_CLOSED;
	evloop_remove(q->src);
	q->src = NULL;
	while ((p = q->pending) && !q->free_wanted) {
		q->pending = p->next;
		if (p->fn)
			p->fn(p->opaque, NULL, why);
		free(p);
	}
	if (!q->pending)
		q->pending_tail = &q->pending;
	if (!q->free_wanted && q->ops->closed)
		q->ops->closed(q->opaque, why);
	err_free(why);
}

static void close_msg(struct qmp_client *q, const char *msg)
{
	struct err *e = NULL;

	err_set(&e, ERR_IO, "%s", msg);
	close_with(q, e);
}

static int queue_text(struct qmp_client *q, struct buf *b, struct json_object *o)
{
	size_t len;
	const char *t = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);

	if (buf_append(b, t, len, NULL) < 0 || buf_append(b, "\r\n", 2, NULL) < 0)
		return -1;
	return 0;
}

void qmp_client_close(struct qmp_client *q, const char *why)
{
	q->depth++;
	close_msg(q, why);
	q->depth--;
}

/* ---- input ---- */

static void handle_reply(struct qmp_client *q, struct json_object *msg, struct json_object *ret,
			 struct json_object *error)
{
	struct json_object *idv = NULL;
	struct pending **pp = &q->pending, *p;
	struct err *e = NULL;

	if (json_object_object_get_ex(msg, "id", &idv) && json_object_is_type(idv, json_type_int))
		while (*pp && (*pp)->id != json_object_get_int64(idv))
			pp = &(*pp)->next;
	p = *pp;
	if (!p)
		return;		/* a reply nobody waits for (e.g. to the capabilities) */
	*pp = p->next;
	for (q->pending_tail = &q->pending; *q->pending_tail;)
		q->pending_tail = &(*q->pending_tail)->next;
	if (error) {
		struct json_object *cls = json_object_object_get(error, "class");
		struct json_object *desc = json_object_object_get(error, "desc");

		err_set(&e, "operation-failed", "%s: %s",
			cls ? json_object_get_string(cls) : "GenericError",
			desc ? json_object_get_string(desc) : "?");
	}
	if (p->fn)
		p->fn(p->opaque, error ? NULL : ret, e);
	err_free(e);
	free(p);
}

static void flush_held(struct qmp_client *q)
{
	if (q->held.len == 0)
		return;
	if (buf_append(&q->out, q->held.data, q->held.len, NULL) < 0) {
		close_msg(q, _("QMP output buffer is full"));
		return;
	}
	buf_clear(&q->held);
	update_events(q);
}

static void handle_greeting(struct qmp_client *q, struct json_object *msg)
{
	struct json_object *g, *cmd;

	if (!json_object_object_get_ex(msg, "QMP", &g)) {
		close_msg(q, _("the worker's QMP socket sent no greeting"));
		return;
	}
	q->version = json_object_get(json_object_object_get(g, "version"));
	q->phase = QMP_NEGOTIATING;
	cmd = json_object_new_object();
	json_object_object_add(cmd, "execute", json_object_new_string("qmp_capabilities"));
	json_object_object_add(cmd, "id", json_object_new_string("vireod-caps"));
	if (queue_text(q, &q->out, cmd) < 0)
		close_msg(q, _("QMP output buffer is full"));
	json_object_put(cmd);
	update_events(q);
}

static void handle_message(struct qmp_client *q, struct json_object *msg)
{
	struct json_object *ret = NULL, *error = NULL, *ev = NULL;
	bool is_ret = json_object_object_get_ex(msg, "return", &ret);
	bool is_err = json_object_object_get_ex(msg, "error", &error);

	if (q->phase == QMP_GREETING) {
		handle_greeting(q, msg);
		return;
	}
	if (json_object_object_get_ex(msg, "event", &ev)) {
		if (json_object_is_type(ev, json_type_string) && q->ops->event)
			q->ops->event(q->opaque, json_object_get_string(ev),
				      json_object_object_get(msg, "data"));
		return;
	}
	if (q->phase == QMP_NEGOTIATING && (is_ret || is_err)) {
		if (is_err) {
			close_msg(q, _("the worker refused qmp_capabilities"));
			return;
		}
		q->phase = QMP_READY;
		flush_held(q);
		if (q->phase == QMP_READY && q->ops->ready)
			q->ops->ready(q->opaque);
		return;
	}
	if (is_ret || is_err)
		handle_reply(q, msg, ret, is_err ? error : NULL);
}

/* Parse everything in data; stops early when the connection closed meanwhile. */
static void parse_input(struct qmp_client *q, const char *data, size_t len)
{
	while (len > 0 && q->phase != QMP_CLOSED && !q->free_wanted) {
		struct json_object *msg;
		enum json_tokener_error jerr;
		size_t used;

		/* white space between messages (QMP ends each with CRLF) */
		if (q->msg_bytes == 0 && strchr(" \t\r\n", *data)) {
			data++;
			len--;
			continue;
		}
		msg = json_tokener_parse_ex(q->tok, data, (int)len);
		jerr = json_tokener_get_error(q->tok);
		used = json_tokener_get_parse_end(q->tok);
		if (used > len)
			used = len;
		q->msg_bytes += used;
		if (jerr == json_tokener_continue) {
			if (q->msg_bytes > QMP_CLIENT_MAX_MESSAGE)
				close_msg(q, _("a QMP message from the worker is too large"));
			return;
		}
		data += used;
		len -= used;
		q->msg_bytes = 0;
		json_tokener_reset(q->tok);
		if (!msg || jerr != json_tokener_success ||
		    !json_object_is_type(msg, json_type_object)) {
			json_object_put(msg);
			close_msg(q, _("the worker sent bad QMP data"));
			return;
		}
		handle_message(q, msg);
		json_object_put(msg);
	}
}

static void read_input(struct qmp_client *q)
{
	char chunk[READ_CHUNK];
	ssize_t n = read(q->fd, chunk, sizeof(chunk));
	struct err *e = NULL;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		err_set_errno(&e, ERR_IO, errno, _("cannot read from the worker's QMP socket"));
		close_with(q, e);
		return;
	}
	if (n == 0) {
		close_msg(q, _("the worker closed its QMP socket"));
		return;
	}
	parse_input(q, chunk, (size_t)n);
}

static void write_output(struct qmp_client *q)
{
	/* MSG_NOSIGNAL: a worker that died must not take the daemon along (SIGPIPE). */
	ssize_t n = send(q->fd, q->out.data, q->out.len, MSG_NOSIGNAL);
	struct err *e = NULL;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		err_set_errno(&e, ERR_IO, errno, _("cannot write to the worker's QMP socket"));
		close_with(q, e);
		return;
	}
	buf_consume(&q->out, (size_t)n);
	update_events(q);
}

static void on_io(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		  void *data)
{
	struct qmp_client *q = data;

	q->depth++;
	if (events & EPOLLOUT)
		write_output(q);
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && q->phase != QMP_CLOSED &&
	    !q->free_wanted)
		read_input(q);
	q->depth--;
	if (q->depth == 0 && q->free_wanted)
		really_free(q);
}

/* ---- output ---- */

int qmp_client_execute(struct qmp_client *q, const char *cmd, struct json_object *args,
		       qmp_reply_fn fn, void *opaque, struct err **errp)
{
	struct json_object *o;
	struct pending *p;
	int rc;

	if (q->phase == QMP_CLOSED) {
		json_object_put(args);
		return err_set(errp, "operation-failed", _("the worker's QMP connection is closed"));
	}
	o = json_object_new_object();
	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", args);
	json_object_object_add(o, "id", json_object_new_int64(q->next_id));
	rc = queue_text(q, q->phase == QMP_READY ? &q->out : &q->held, o);
	json_object_put(o);
	if (rc < 0)
		return err_set(errp, "operation-failed", _("QMP output buffer is full"));
	p = xzalloc(sizeof(*p));
	p->id = q->next_id++;
	p->fn = fn;
	p->opaque = opaque;
	*q->pending_tail = p;
	q->pending_tail = &p->next;
	update_events(q);
	return 0;
}

bool qmp_client_is_ready(const struct qmp_client *q)
{
	return q->phase == QMP_READY;
}

struct json_object *qmp_client_version(const struct qmp_client *q)
{
	return q->version;
}

/* ---- setting up ---- */

struct qmp_client *qmp_client_open_fd(struct evloop *loop, int fd,
				      const struct qmp_client_ops *ops, void *opaque,
				      struct err **errp)
{
	struct qmp_client *q = xzalloc(sizeof(*q));

	q->loop = loop;
	q->fd = fd;
	q->ops = ops;
	q->opaque = opaque;
	q->next_id = 1;
	q->pending_tail = &q->pending;
	q->tok = json_tokener_new();
	buf_init(&q->out, MAX_OUTPUT);
	buf_init(&q->held, MAX_OUTPUT);
	q->src = evloop_add_fd(loop, fd, EPOLLIN, on_io, q, errp);
	if (!q->src) {
		really_free(q);
		return NULL;
	}
	return q;
}

struct qmp_client *qmp_client_connect(struct evloop *loop, const char *path,
				      const struct qmp_client_ops *ops, void *opaque,
				      struct err **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set(errp, ERR_INVALID, _("QMP socket path '%s' is too long"), path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot connect to the worker's QMP socket %s"),
			      path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return qmp_client_open_fd(loop, fd, ops, opaque, errp);
}
