/* RPC messages: building and recognising the five kinds of frame (docs/rpc.md).
 *
 *   request  {"id": N, "method": "...", "params": {...}}
 *   reply    {"id": N, "result": {...}}
 *   error    {"id": N|null, "error": {"code": "...", "message": "..."}}
 *   event    {"event": "...", "data": {...}}
 *   stream   {"stream": N, "data": "<base64>"} or {"stream": N, "end": true}
 *
 * Builders return a new object (json_object_put it); an object argument is taken over
 * (NULL means an empty object). rpc_msg_parse() sorts a received frame into a struct
 * rpc_msg whose pointers borrow from the frame, so the frame must outlive it. */
#ifndef VIREO_RPC_MESSAGE_H
#define VIREO_RPC_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/err.h"

#define RPC_PROTOCOL_VERSION 1

/* The largest id, stream number or integer param the protocol carries (2^53 - 1:
 * exact in every JSON implementation). */
#define RPC_INT_MAX ((int64_t)9007199254740991)

struct json_object *rpc_request_new(int64_t id, const char *method, struct json_object *params);
struct json_object *rpc_reply_new(int64_t id, struct json_object *result);
/* id < 0 writes "id": null (an error about a frame that had no usable id). */
struct json_object *rpc_error_new(int64_t id, const char *code, const char *message);
/* The error reply for e: its RPC code (rpc_code_from_err) and its full message. */
struct json_object *rpc_error_from_err(int64_t id, const struct err *e);
struct json_object *rpc_event_new(const char *event, struct json_object *data);
struct json_object *rpc_stream_data_new(int64_t stream, const void *data, size_t len);
struct json_object *rpc_stream_end_new(int64_t stream);

enum rpc_msg_kind {
	RPC_MSG_REQUEST,
	RPC_MSG_REPLY,
	RPC_MSG_ERROR,
	RPC_MSG_EVENT,
	RPC_MSG_STREAM_DATA,
	RPC_MSG_STREAM_END,
};

struct rpc_msg {
	enum rpc_msg_kind kind;
	int64_t id;			/* request, reply, error (-1: null id) */
	const char *method;		/* request */
	struct json_object *params;	/* request: an object, or NULL when absent */
	struct json_object *result;	/* reply */
	const char *err_code;		/* error */
	const char *err_message;	/* error */
	const char *event;		/* event */
	struct json_object *data;	/* event: the data object (may be NULL) */
	int64_t stream;			/* stream data/end */
	const char *b64;		/* stream data: the base64 text (rpc_b64_decode) */
};

/* Sort a frame into *m. A frame that is none of the five shapes, or whose id, method,
 * params or stream number has the wrong type, fails with protocol-error; when the id
 * itself was readable, *m->id holds it (else -1) so the error reply can name it. */
int rpc_msg_parse(struct json_object *frame, struct rpc_msg *m, struct err **errp);

/* The error an error reply carries, as a struct err: code from rpc_code_to_err(), the
 * daemon's message. */
void rpc_msg_to_err(const struct rpc_msg *m, struct err **errp);

/* ---- base64 (RFC 4648, with padding) for stream data ---- */

char *rpc_b64_encode(const void *data, size_t len);
/* Append the decoded bytes of text to out; -1 (invalid-frame) on bad base64. */
int rpc_b64_decode(const char *text, struct buf *out, struct err **errp);

/* ---- params: typed access that names the param in every error ----
 * Each returns 0 (found, or absent and not required: *out untouched), or -1 with
 * invalid-argument "'<key>' must be ..." / "'<key>' is missing". */

int rpc_param_string(struct json_object *params, const char *key, bool required,
		     const char **out, struct err **errp);
int rpc_param_bool(struct json_object *params, const char *key, bool *out, struct err **errp);
int rpc_param_uint64(struct json_object *params, const char *key, bool required, uint64_t max,
		     uint64_t *out, struct err **errp);

#endif
