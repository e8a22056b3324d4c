/* RPC frame codec: see frame.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/rpc/errors.h"
#include "lib/rpc/frame.h"
#include "lib/util/i18n.h"
#include "lib/util/str.h"

/* What one read() takes when no big frame is waiting: a few small frames at once. */
#define READ_CHUNK ((size_t)64 << 10)

void rpc_reader_init(struct rpc_reader *r)
{
	buf_init(&r->in, RPC_FRAME_HEADER + RPC_FRAME_MAX + READ_CHUNK);
	r->broken = NULL;
}

void rpc_reader_free(struct rpc_reader *r)
{
	buf_free(&r->in);
	err_clear(&r->broken);
}

static uint32_t get_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static int reader_fail(struct rpc_reader *r, struct err **errp)
{
	if (r->broken)
		err_set(errp, r->broken->code, "%s", r->broken->message);
	return -1;
}

/* Check the header of the frame at the front, once its 4 bytes are there; a bad one
 * poisons the reader. */
static int check_header(struct rpc_reader *r, struct err **errp)
{
	uint32_t n;

	if (r->broken)
		return reader_fail(r, errp);
	if (r->in.len < RPC_FRAME_HEADER)
		return 0;
	n = get_be32(r->in.data);
	if (n == 0)
		err_set(&r->broken, RPC_ERR_INVALID_FRAME, _("frame of length 0"));
	else if (n > RPC_FRAME_MAX)
		err_set(&r->broken, RPC_ERR_INVALID_FRAME,
			_("frame of %u bytes is over the limit of %zu bytes"), n, RPC_FRAME_MAX);
	return r->broken ? reader_fail(r, errp) : 0;
}

int rpc_reader_feed(struct rpc_reader *r, const void *data, size_t len, struct err **errp)
{
	if (r->broken)
		return reader_fail(r, errp);
	if (buf_append(&r->in, data, len, NULL) < 0) {
		err_set(&r->broken, RPC_ERR_INVALID_FRAME,
			_("more than %zu bytes of unprocessed frames"), r->in.limit);
		return reader_fail(r, errp);
	}
	return check_header(r, errp);
}

/* How many bytes the next read may take: the rest of a large frame, else a chunk. */
static size_t want_bytes(const struct rpc_reader *r)
{
	size_t room = r->in.limit - r->in.len;
	size_t want = READ_CHUNK;

	if (r->in.len >= RPC_FRAME_HEADER) {
		size_t total = RPC_FRAME_HEADER + get_be32(r->in.data);

		/* Grow with what actually arrived, so a peer announcing 16 MiB and
		 * sending nothing does not make us allocate 16 MiB. */
		if (total > r->in.len && total - r->in.len > want)
			want = total - r->in.len < r->in.len ? total - r->in.len
							      : (r->in.len > want ? r->in.len : want);
	}
	return want < room ? want : room;
}

ssize_t rpc_reader_fill(struct rpc_reader *r, int fd, struct err **errp)
{
	size_t want;
	ssize_t n;

	if (r->broken)
		return reader_fail(r, errp);
	want = want_bytes(r);
	if (want == 0) {
		errno = ENOBUFS;
		return err_set(errp, RPC_ERR_INVALID_FRAME, _("receive buffer is full"));
	}
	if (buf_reserve(&r->in, want, errp) < 0)
		return -1;
	n = read(fd, r->in.data + r->in.len, want);
	if (n < 0) {
		int saved = errno;

		if (saved != EAGAIN && saved != EWOULDBLOCK && saved != EINTR)
			err_set_errno(errp, NULL, saved, _("cannot read from the connection"));
		errno = saved;
		return -1;
	}
	r->in.len += (size_t)n;
	r->in.data[r->in.len] = '\0';
	if (n > 0 && check_header(r, errp) < 0)
		return -1;
	return n;
}

bool rpc_reader_partial(const struct rpc_reader *r)
{
	return r->in.len > 0;
}

/* Only JSON's own white space may follow the object inside a frame. */
static bool only_space(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", p[i]))
			return false;
	return true;
}

struct json_object *rpc_json_parse_object(const char *text, size_t len, struct err **errp)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare number at the end of the text may still be going on: a NUL ends it. */
	if (!obj && jerr == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		err_set(errp, RPC_ERR_INVALID_FRAME, _("frame is not valid JSON: %s"),
			jerr == json_tokener_continue ? _("unexpected end of text")
						      : json_tokener_error_desc(jerr));
		return NULL;
	}
	if (end > len || !only_space(text + end, len - end)) {
		json_object_put(obj);
		err_set(errp, RPC_ERR_INVALID_FRAME, _("frame has data after its JSON object"));
		return NULL;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		err_set(errp, RPC_ERR_INVALID_FRAME, _("frame is not a JSON object"));
		return NULL;
	}
	return obj;
}

int rpc_reader_next(struct rpc_reader *r, struct json_object **out, struct err **errp)
{
	struct json_object *obj;
	size_t n;

	*out = NULL;
	if (check_header(r, errp) < 0)
		return -1;
	if (r->in.len < RPC_FRAME_HEADER)
		return 0;
	n = get_be32(r->in.data);
	if (r->in.len - RPC_FRAME_HEADER < n)
		return 0;
	obj = rpc_json_parse_object(r->in.data + RPC_FRAME_HEADER, n, &r->broken);
	if (!obj)
		return reader_fail(r, errp);
	buf_consume(&r->in, RPC_FRAME_HEADER + n);
	*out = obj;
	return 1;
}

int rpc_frame_encode(struct json_object *obj, struct buf *out, struct err **errp)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	unsigned char hdr[RPC_FRAME_HEADER];

	if (len == 0 || len > RPC_FRAME_MAX)
		return err_set(errp, RPC_ERR_INVALID_FRAME,
			       _("message of %zu bytes is over the frame limit of %zu bytes"), len,
			       RPC_FRAME_MAX);
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (buf_append(out, hdr, sizeof(hdr), errp) < 0 || buf_append(out, text, len, errp) < 0)
		return -1;
	return 0;
}
