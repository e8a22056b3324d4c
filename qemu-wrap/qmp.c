/* QMP server: session, input stream, dispatch, output (see qmp.h). The commands
 * themselves are in qmp_commands.c. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/chardev.h"
#include "qemu-wrap/qmp_priv.h"

struct qmp *qmp_new(const struct qmp_machine_ops *ops, void *vm)
{
	struct qmp *q = xzalloc(sizeof(*q));

	q->ops = ops;
	q->vm = vm;
	q->tok = json_tokener_new();
	if (!q->tok)
		abort();	/* out of memory, as xmalloc */
	json_tokener_set_flags(q->tok, JSON_TOKENER_VALIDATE_UTF8);
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void qmp_free(struct qmp *q)
{
	if (!q)
		return;
	if (q->chr)
		chardev_detach(q->chr);
	json_tokener_free(q->tok);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void qmp_set_output(struct qmp *q, qmp_write_fn fn, void *opaque)
{
	pthread_mutex_lock(&q->lock);
	q->out = fn;
	q->out_opaque = opaque;
	pthread_mutex_unlock(&q->lock);
}

void qmp_set_negotiated(struct qmp *q, bool negotiated)
{
	pthread_mutex_lock(&q->lock);
	q->negotiated = negotiated;
	pthread_mutex_unlock(&q->lock);
}

bool qmp_negotiated(struct qmp *q)
{
	bool n;

	pthread_mutex_lock(&q->lock);
	n = q->negotiated;
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* ---- JSON output as QEMU writes it ---- */

/* One code point from s (at most len bytes); *used gets its length. Returns -1 for
 * bytes that are not UTF-8 (one byte used). */
static long utf8_decode(const unsigned char *s, size_t len, size_t *used)
{
	static const long min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	long cp = n == 4 ? (s[0] & 0x07) : n == 3 ? (s[0] & 0x0f) : (s[0] & 0x1f);
	size_t i;

	*used = 1;
	if (s[0] < 0x80)
		return s[0];
	if (n == 0 || n > len)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = n;
	return cp;
}

static void format_char(struct buf *b, long cp)
{
	switch (cp) {
	case '"': buf_append_str(b, "\\\"", NULL); return;
	case '\\': buf_append_str(b, "\\\\", NULL); return;
	case '\b': buf_append_str(b, "\\b", NULL); return;
	case '\f': buf_append_str(b, "\\f", NULL); return;
	case '\n': buf_append_str(b, "\\n", NULL); return;
	case '\r': buf_append_str(b, "\\r", NULL); return;
	case '\t': buf_append_str(b, "\\t", NULL); return;
	}
	if (cp < 0)
		cp = 0xfffd;	/* as QEMU: bad bytes become U+FFFD */
	if (cp > 0xffff) {
		cp -= 0x10000;
		buf_appendf(b, NULL, "\\u%04lX\\u%04lX", 0xd800 | (cp >> 10),
			    0xdc00 | (cp & 0x3ff));
	} else if (cp < 0x20 || cp >= 0x7f) {
		buf_appendf(b, NULL, "\\u%04lX", cp);
	} else {
		char c = (char)cp;

		buf_append(b, &c, 1, NULL);
	}
}

static void format_string(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used;

	buf_append_str(b, "\"", NULL);
	while (len > 0) {
		format_char(b, utf8_decode(p, len, &used));
		p += used;
		len -= used;
	}
	buf_append_str(b, "\"", NULL);
}

static void format_int(struct buf *b, json_object *v)
{
	int64_t i = json_object_get_int64(v);
	uint64_t u = json_object_get_uint64(v);

	/* json-c keeps integers above INT64_MAX as uint64, clamping get_int64. */
	if (i == INT64_MAX && u > (uint64_t)INT64_MAX)
		buf_appendf(b, NULL, "%llu", (unsigned long long)u);
	else
		buf_appendf(b, NULL, "%lld", (long long)i);
}

static void format_container(struct buf *b, json_object *v)
{
	bool first = true;

	if (json_object_is_type(v, json_type_object)) {
		buf_append_str(b, "{", NULL);
		json_object_object_foreach(v, key, val) {
			buf_append_str(b, first ? "" : ", ", NULL);
			format_string(b, key, strlen(key));
			buf_append_str(b, ": ", NULL);
			qmp_json_format(b, val);
			first = false;
		}
		buf_append_str(b, "}", NULL);
		return;
	}
	buf_append_str(b, "[", NULL);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		buf_append_str(b, i ? ", " : "", NULL);
		qmp_json_format(b, json_object_array_get_idx(v, i));
	}
	buf_append_str(b, "]", NULL);
}

void qmp_json_format(struct buf *b, json_object *v)
{
	double d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		buf_append_str(b, "null", NULL);
		break;
	case json_type_boolean:
		buf_append_str(b, json_object_get_boolean(v) ? "true" : "false", NULL);
		break;
	case json_type_int:
		format_int(b, v);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (isfinite(d))
			buf_appendf(b, NULL, "%.17g", d);
		else
			buf_append_str(b, "null", NULL);	/* JSON has no inf/nan */
		break;
	case json_type_string:
		format_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_object:
	case json_type_array:
		format_container(b, v);
		break;
	}
}

/* ---- messages ---- */

/* Write one message, CRLF-terminated, and free it. An event goes only to a client
 * past capabilities negotiation, as in QEMU (checked under the write lock, so a
 * client that connects meanwhile does not get it). */
static void send_msg(struct qmp *q, json_object *msg, bool is_event)
{
	struct buf b = BUF_INIT;

	qmp_json_format(&b, msg);
	buf_append_str(&b, "\r\n", NULL);
	pthread_mutex_lock(&q->lock);
	if (q->out && (q->negotiated || !is_event))
		q->out(q->out_opaque, b.data, b.len);
	pthread_mutex_unlock(&q->lock);
	buf_free(&b);
	json_object_put(msg);
}

json_object *qmp_error_object(const char *cls, const char *desc)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	return e;
}

static const char *error_class(const struct err *e)
{
	static const char *const classes[] = {
		QMP_CLASS_COMMAND_NOT_FOUND, QMP_CLASS_DEVICE_NOT_ACTIVE,
		QMP_CLASS_DEVICE_NOT_FOUND, QMP_CLASS_KVM_MISSING_CAP,
	};
	size_t i;

	for (i = 0; e && i < ARRAY_SIZE(classes); i++)
		if (strcmp(e->code, classes[i]) == 0)
			return classes[i];
	return QMP_CLASS_GENERIC;
}

/* {"error": {...}, "id": id}; consumes e. */
static json_object *error_reply(struct err *e, bool has_id, json_object *id)
{
	json_object *r = json_object_new_object();
	char *desc = err_describe(e);

	json_object_object_add(r, "error", qmp_error_object(error_class(e), desc));
	if (has_id)
		json_object_object_add(r, "id", json_object_get(id));
	free(desc);
	err_free(e);
	return r;
}

static json_object *return_reply(json_object *ret, bool has_id, json_object *id)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "return", ret);
	if (has_id)
		json_object_object_add(r, "id", json_object_get(id));
	return r;
}

void qmp_emit_event(struct qmp *q, const char *name, json_object *data)
{
	json_object *ev = json_object_new_object(), *ts = json_object_new_object();
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(ts, "seconds", json_object_new_int64(now.tv_sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(now.tv_nsec / 1000));
	json_object_object_add(ev, "timestamp", ts);
	json_object_object_add(ev, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(ev, "data", data);
	send_msg(q, ev, true);
}

/* ---- dispatch ---- */

/* QEMU's checks of the request's members (qmp_dispatch_check_obj). */
static int check_request(json_object *req, const char **name, struct err **errp)
{
	*name = NULL;
	json_object_object_foreach(req, key, val) {
		if (strcmp(key, "execute") == 0) {
			if (!json_object_is_type(val, json_type_string))
				return err_set(errp, ERR_INVALID,
					       _("QMP input member 'execute' must be a string"));
			*name = json_object_get_string(val);
			/* "quit\u0000junk" must not be taken for "quit": a name with an
			 * embedded NUL matches no command. */
			if (strlen(*name) != (size_t)json_object_get_string_len(val))
				*name = "";
		} else if (strcmp(key, "arguments") == 0) {
			if (!json_object_is_type(val, json_type_object))
				return err_set(errp, ERR_INVALID,
					       _("QMP input member 'arguments' must be an object"));
		} else if (strcmp(key, "id") != 0) {
			return err_set(errp, ERR_INVALID, _("QMP input member '%s' is unexpected"),
				       key);
		}
	}
	if (!*name)
		return err_set(errp, ERR_INVALID, _("QMP input lacks member 'execute'"));
	return 0;
}

static json_object *run_command(struct qmp *q, json_object *req, struct err **errp)
{
	const struct qmp_command *cmd;
	const char *name;
	json_object *args, *ret;

	if (check_request(req, &name, errp) < 0)
		return NULL;
	cmd = qmp_command_find(q, name);
	/* Until negotiation only qmp_capabilities exists (QEMU rewrites the message). */
	if (!qmp_negotiated(q) && (!cmd || strcmp(name, "qmp_capabilities") != 0)) {
		err_set(errp, QMP_CLASS_COMMAND_NOT_FOUND,
			_("Expecting capabilities negotiation with 'qmp_capabilities'"));
		return NULL;
	}
	if (!cmd) {
		err_set(errp, QMP_CLASS_COMMAND_NOT_FOUND, _("The command %s has not been found"),
			name);
		return NULL;
	}
	if (!json_object_object_get_ex(req, "arguments", &args))
		args = NULL;
	args = args ? json_object_get(args) : json_object_new_object();
	ret = qmp_check_args(cmd, args, errp) < 0 ? NULL : cmd->handler(q, args, errp);
	json_object_put(args);
	if (!ret && errp && !*errp)
		err_set(errp, ERR_INTERNAL, _("command %s failed without a reason"), name);
	return ret;
}

json_object *qmp_dispatch(struct qmp *q, json_object *req)
{
	struct err *e = NULL;
	json_object *id = NULL, *ret;
	bool has_id;

	if (!json_object_is_type(req, json_type_object)) {
		err_set(&e, ERR_INVALID, _("QMP input must be a JSON object"));
		return error_reply(e, false, NULL);
	}
	/* Any JSON value, null included (json-c's null is a NULL pointer). */
	has_id = json_object_object_get_ex(req, "id", &id);
	ret = run_command(q, req, &e);
	return ret ? return_reply(ret, has_id, id) : error_reply(e, has_id, id);
}

/* ---- session and input ---- */

static void reset_input(struct qmp *q)
{
	json_tokener_reset(q->tok);
	q->pending = 0;
}

void qmp_connected(struct qmp *q)
{
	json_object *g = json_object_new_object(), *body = json_object_new_object();

	qmp_set_negotiated(q, false);
	reset_input(q);
	q->resync = false;
	json_object_object_add(body, "version", qmp_version_object());
	json_object_object_add(body, "capabilities", json_object_new_array());
	json_object_object_add(g, "QMP", body);
	send_msg(q, g, false);
}

void qmp_disconnected(struct qmp *q)
{
	qmp_set_negotiated(q, false);
	reset_input(q);
	q->resync = false;
}

/* An error reply for bad input, then skip to the next line. */
static void input_error(struct qmp *q, struct err *e)
{
	send_msg(q, error_reply(e, false, NULL), false);
	reset_input(q);
	q->resync = true;
}

/* Skip bad input up to and including the next newline. Returns the bytes used. */
static size_t resync(struct qmp *q, const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);

	if (!nl)
		return len;
	q->resync = false;
	return (size_t)(nl - p) + 1;
}

/* Feed the tokener what fits under the limit; act on a request or an error. Returns
 * the bytes used (at least one). */
static size_t parse_some(struct qmp *q, const char *p, size_t len)
{
	size_t room = QMP_MAX_INPUT - q->pending;
	size_t n = len < room ? len : room;
	json_object *obj = json_tokener_parse_ex(q->tok, p, (int)n);
	enum json_tokener_error jerr = json_tokener_get_error(q->tok);
	size_t end = json_tokener_get_parse_end(q->tok);
	struct err *e = NULL;

	if (jerr == json_tokener_success) {
		reset_input(q);
		send_msg(q, qmp_dispatch(q, obj), false);	/* a JSON null is obj == NULL */
		json_object_put(obj);
		return end ? end : n;
	}
	if (jerr == json_tokener_continue) {
		q->pending += n;
		if (q->pending >= QMP_MAX_INPUT) {
			err_set(&e, ERR_LIMIT, _("QMP input exceeds the limit of %zu bytes"),
				(size_t)QMP_MAX_INPUT);
			input_error(q, e);
		}
		return n;
	}
	err_set(&e, ERR_PARSE, _("JSON parse error, %s"), json_tokener_error_desc(jerr));
	input_error(q, e);
	return end < n ? end : n;
}

void qmp_feed(struct qmp *q, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		size_t used = q->resync ? resync(q, p, len) : parse_some(q, p, len);

		p += used;
		len -= used;
	}
}

/* ---- on a chardev ---- */

static void chr_write(void *opaque, const char *data, size_t len)
{
	chardev_write(opaque, data, len);
}

static void chr_receive(void *opaque, const uint8_t *buf, size_t len)
{
	qmp_feed(opaque, buf, len);
}

static void chr_opened(void *opaque)
{
	qmp_connected(opaque);
}

static void chr_closed(void *opaque)
{
	qmp_disconnected(opaque);
}

static const struct chardev_frontend qmp_frontend = {
	.receive = chr_receive,
	.opened = chr_opened,
	.closed = chr_closed,
};

int qmp_attach_chardev(struct qmp *q, struct chardev *chr, struct err **errp)
{
	qmp_set_output(q, chr_write, chr);
	q->chr = chr;
	chardev_set_out_limit(chr, QMP_MAX_OUTPUT);
	if (chardev_attach(chr, &qmp_frontend, q, errp) < 0) {
		q->chr = NULL;
		qmp_set_output(q, NULL, NULL);
		return -1;
	}
	return 0;
}
