/* RPC frames: a 4-byte big-endian length N (1..RPC_FRAME_MAX), then N bytes of one
 * UTF-8 JSON object (docs/rpc.md).
 *
 * The reader is incremental: bytes arrive in any pieces (one byte at a time, several
 * frames at once) and complete frames come out. The length prefix is checked as soon
 * as its 4 bytes are there, so a peer announcing 4 GiB is refused before anything is
 * allocated for it; the reader never holds more than one frame's worth beyond what it
 * was fed. After an error the reader is poisoned: every later call fails the same way,
 * since nothing after broken framing can be trusted. */
#ifndef VIREO_RPC_FRAME_H
#define VIREO_RPC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/err.h"

#define RPC_FRAME_MAX ((size_t)16 << 20)
#define RPC_FRAME_HEADER 4

struct rpc_reader {
	struct buf in;		/* bytes not yet taken as frames */
	struct err *broken;	/* set once framing failed */
};

void rpc_reader_init(struct rpc_reader *r);
void rpc_reader_free(struct rpc_reader *r);

/* Append bytes received from the peer. Fails (invalid-frame) when the reader is
 * broken or the bytes would pass the limit of the frame being assembled. */
int rpc_reader_feed(struct rpc_reader *r, const void *data, size_t len, struct err **errp);

/* read() once from fd into the reader, at most what the current frame still needs
 * (or a chunk). Returns the byte count, 0 at end of file, -1 with errno set (EAGAIN
 * for a non-blocking fd with nothing to read) and errp filled unless EAGAIN/EINTR. */
ssize_t rpc_reader_fill(struct rpc_reader *r, int fd, struct err **errp);

/* Take the next complete frame: 1 with *out (a JSON object, caller puts it), 0 when
 * no complete frame is there yet, -1 (code invalid-frame) for a bad length, bytes that
 * are not one JSON object, or invalid UTF-8. */
int rpc_reader_next(struct rpc_reader *r, struct json_object **out, struct err **errp);

/* True when the reader holds bytes of a frame not yet complete (a peer that hangs up
 * now has cut a frame short). */
bool rpc_reader_partial(const struct rpc_reader *r);

/* Append obj as one frame (header + compact JSON) to out. Fails (invalid-frame) if
 * the text exceeds RPC_FRAME_MAX. */
int rpc_frame_encode(struct json_object *obj, struct buf *out, struct err **errp);

/* Parse exactly len bytes as one JSON object (UTF-8 checked). NULL with invalid-frame
 * otherwise. */
struct json_object *rpc_json_parse_object(const char *text, size_t len, struct err **errp);

#endif
