/* RPC messages: see message.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/rpc/errors.h"
#include "lib/rpc/message.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

static struct json_object *or_empty(struct json_object *o)
{
	return o ? o : json_object_new_object();
}

struct json_object *rpc_request_new(int64_t id, const char *method, struct json_object *params)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", or_empty(params));
	return o;
}

struct json_object *rpc_reply_new(int64_t id, struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "result", or_empty(result));
	return o;
}

struct json_object *rpc_error_new(int64_t id, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	json_object_object_add(o, "id", id < 0 ? NULL : json_object_new_int64(id));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message ? message : ""));
	json_object_object_add(o, "error", e);
	return o;
}

struct json_object *rpc_error_from_err(int64_t id, const struct err *e)
{
	char *text = err_describe(e);
	struct json_object *o = rpc_error_new(id, rpc_code_from_err(e), text);

	free(text);
	return o;
}

struct json_object *rpc_event_new(const char *event, struct json_object *data)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "data", or_empty(data));
	return o;
}

struct json_object *rpc_stream_data_new(int64_t stream, const void *data, size_t len)
{
	struct json_object *o = json_object_new_object();
	char *b64 = rpc_b64_encode(data, len);

	json_object_object_add(o, "stream", json_object_new_int64(stream));
	json_object_object_add(o, "data", json_object_new_string(b64));
	free(b64);
	return o;
}

struct json_object *rpc_stream_end_new(int64_t stream)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "stream", json_object_new_int64(stream));
	json_object_object_add(o, "end", json_object_new_boolean(1));
	return o;
}

/* ---- parsing ---- */

/* A non-negative integer member within RPC_INT_MAX: 1 found, 0 absent or null, -1 bad. */
static int get_count(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < 0 || n > RPC_INT_MAX)
		return -1;
	*out = n;
	return 1;
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_request(struct json_object *f, struct rpc_msg *m, int id_rc, struct err **errp)
{
	struct json_object *params = NULL;

	m->kind = RPC_MSG_REQUEST;
	if (id_rc <= 0)
		return err_set(errp, RPC_ERR_PROTOCOL,
			       _("a request needs an \"id\" that is a non-negative integer"));
	m->method = get_string(f, "method");
	if (!m->method)
		return err_set(errp, RPC_ERR_PROTOCOL, _("\"method\" must be a string"));
	if (json_object_object_get_ex(f, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object))
		return err_set(errp, RPC_ERR_PROTOCOL, _("\"params\" must be an object"));
	m->params = params;
	return 0;
}

static int parse_error(struct json_object *f, struct rpc_msg *m, struct err **errp)
{
	struct json_object *e = NULL;

	m->kind = RPC_MSG_ERROR;
	json_object_object_get_ex(f, "error", &e);
	if (!json_object_is_type(e, json_type_object) || !(m->err_code = get_string(e, "code")))
		return err_set(errp, RPC_ERR_PROTOCOL, _("\"error\" must have a string \"code\""));
	m->err_message = get_string(e, "message");
	if (!m->err_message)
		m->err_message = m->err_code;
	return 0;
}

static int parse_stream(struct json_object *f, struct rpc_msg *m, struct err **errp)
{
	struct json_object *end = NULL;

	if (get_count(f, "stream", &m->stream) <= 0)
		return err_set(errp, RPC_ERR_PROTOCOL,
			       _("\"stream\" must be a non-negative integer"));
	if (json_object_object_get_ex(f, "end", &end) && json_object_get_boolean(end)) {
		m->kind = RPC_MSG_STREAM_END;
		return 0;
	}
	m->kind = RPC_MSG_STREAM_DATA;
	m->b64 = get_string(f, "data");
	if (!m->b64)
		return err_set(errp, RPC_ERR_PROTOCOL, _("stream \"data\" must be a string"));
	return 0;
}

int rpc_msg_parse(struct json_object *f, struct rpc_msg *m, struct err **errp)
{
	int id_rc;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	m->stream = -1;
	id_rc = get_count(f, "id", &m->id);
	if (json_object_object_get_ex(f, "method", NULL))
		return parse_request(f, m, id_rc, errp);
	if (json_object_object_get_ex(f, "stream", NULL))
		return parse_stream(f, m, errp);
	if (json_object_object_get_ex(f, "event", NULL)) {
		m->kind = RPC_MSG_EVENT;
		m->event = get_string(f, "event");
		json_object_object_get_ex(f, "data", &m->data);
		if (!m->event)
			return err_set(errp, RPC_ERR_PROTOCOL, _("\"event\" must be a string"));
		return 0;
	}
	if (id_rc < 0)
		return err_set(errp, RPC_ERR_PROTOCOL, _("\"id\" must be a non-negative integer"));
	if (json_object_object_get_ex(f, "error", NULL))
		return parse_error(f, m, errp);
	if (json_object_object_get_ex(f, "result", &m->result)) {
		m->kind = RPC_MSG_REPLY;
		if (id_rc == 0)
			return err_set(errp, RPC_ERR_PROTOCOL, _("a reply has no \"id\""));
		return 0;
	}
	return err_set(errp, RPC_ERR_PROTOCOL,
		       _("frame is neither a request, reply, error, event nor stream frame"));
}

void rpc_msg_to_err(const struct rpc_msg *m, struct err **errp)
{
	err_set(errp, rpc_code_to_err(m->err_code), "%s",
		m->err_message ? m->err_message : m->err_code);
}

/* ---- base64 ---- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *rpc_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *q = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*q++ = b64_alphabet[v >> 18];
		*q++ = b64_alphabet[(v >> 12) & 63];
		*q++ = b64_alphabet[(v >> 6) & 63];
		*q++ = b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		*q++ = b64_alphabet[v >> 18];
		*q++ = b64_alphabet[(v >> 12) & 63];
		*q++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*q++ = '=';
	}
	*q = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

int rpc_b64_decode(const char *text, struct buf *out, struct err **errp)
{
	size_t len = strlen(text), i;

	if (len % 4)
		return err_set(errp, RPC_ERR_INVALID_FRAME, _("stream data is not valid base64"));
	if (buf_reserve(out, len / 4 * 3, errp) < 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
		int a = b64_value(text[i]), b = b64_value(text[i + 1]);
		int c = pad >= 2 ? 0 : b64_value(text[i + 2]);
		int d = pad >= 1 ? 0 : b64_value(text[i + 3]);
		uint32_t v;
		unsigned char bytes[3];

		if ((a | b | c | d) < 0)
			return err_set(errp, RPC_ERR_INVALID_FRAME,
				       _("stream data is not valid base64"));
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		bytes[0] = (unsigned char)(v >> 16);
		bytes[1] = (unsigned char)(v >> 8);
		bytes[2] = (unsigned char)v;
		if (buf_append(out, bytes, 3 - (size_t)pad, errp) < 0)
			return -1;
	}
	return 0;
}

/* ---- params ---- */

static struct json_object *param_get(struct json_object *params, const char *key)
{
	struct json_object *v = NULL;

	if (params)
		json_object_object_get_ex(params, key, &v);
	return v;
}

int rpc_param_string(struct json_object *params, const char *key, bool required,
		     const char **out, struct err **errp)
{
	struct json_object *v = param_get(params, key);

	if (!v) {
		if (required)
			return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("'%s' is missing"), key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("'%s' must be a string"), key);
	*out = json_object_get_string(v);
	return 0;
}

int rpc_param_bool(struct json_object *params, const char *key, bool *out, struct err **errp)
{
	struct json_object *v = param_get(params, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("'%s' must be true or false"),
			       key);
	*out = json_object_get_boolean(v);
	return 0;
}

int rpc_param_uint64(struct json_object *params, const char *key, bool required, uint64_t max,
		     uint64_t *out, struct err **errp)
{
	struct json_object *v = param_get(params, key);
	int64_t n;

	if (!v) {
		if (required)
			return err_set(errp, RPC_ERR_INVALID_ARGUMENT, _("'%s' is missing"), key);
		return 0;
	}
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
	if (n < 0 || (uint64_t)n > max)
		return err_set(errp, RPC_ERR_INVALID_ARGUMENT,
			       _("'%s' must be an integer from 0 to %llu"), key,
			       (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}
