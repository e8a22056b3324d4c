/* A blocking RPC client for vireod (docs/rpc.md): what the vireo CLI uses.
 *
 * One connection, one call at a time. rpc_client_call() sends a request and waits for
 * the reply with its id; events and stream frames that arrive meanwhile are queued
 * (bounded) for rpc_client_next_event() and rpc_client_stream_read(). Writes never
 * deadlock against a daemon that is sending: while a frame goes out, incoming frames
 * are read into the queues.
 *
 * Errors: an error reply becomes a struct err whose code is the RPC code itself
 * ("no-domain", "permission-denied", ... see lib/rpc/errors.h) and whose message is
 * the daemon's. Transport failures are operation-failed (connect, I/O, the daemon
 * hung up) or invalid-frame (the daemon sent garbage); after one, every later call
 * fails too. Over a socket a hung-up daemon is an error, never SIGPIPE; over pipes
 * (rpc_client_open_fds with ssh's pipes) the caller must ignore SIGPIPE.
 *
 * A console loop (the client side of domain.console):
 *
 *	for (;;) {
 *		while ((rc = rpc_client_stream_read(c, stream, 0, &out, &e)) == 1)
 *			write out to the terminal, buf_clear(&out);
 *		if (rc != 0) break;			// 2: stream ended, -1: error
 *		poll() on stdin and rpc_client_poll_fd(c) (POLLIN);
 *		stdin readable: read it, rpc_client_stream_write(c, stream, ...);
 *	}
 *
 * rpc_client_stream_read() with timeout 0 returns what is queued, else reads once
 * without blocking; so after poll() says the connection is readable, calling it takes
 * whatever arrived. */
#ifndef VIREO_RPC_CLIENT_H
#define VIREO_RPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/rpc/errors.h"
#include "lib/rpc/message.h"
#include "lib/util/buf.h"
#include "lib/util/err.h"

struct rpc_client;

/* Connect to the unix socket at path and say hello (client_name: "vireo 0.1.0"). */
struct rpc_client *rpc_client_connect(const char *path, const char *client_name,
				      struct err **errp);

/* Use an already connected pair of fds (the pipes of `ssh host vireo --proxy-stdio`;
 * read_fd may equal write_fd for a socket) and say hello. The client owns the fds
 * from here on, also on failure, and makes them non-blocking. */
struct rpc_client *rpc_client_open_fds(int read_fd, int write_fd, const char *client_name,
				       struct err **errp);

/* Close the connection and free everything. NULL is ignored. */
void rpc_client_close(struct rpc_client *c);

/* What the daemon said in its hello reply. */
bool rpc_client_readonly(const struct rpc_client *c);
const char *rpc_client_daemon_name(const struct rpc_client *c);	/* "vireod 0.1.0" */
const char *rpc_client_uri(const struct rpc_client *c);		/* "vireo:///system" */

/* How long a call waits for its reply, in ms (-1: forever, the default). A call that
 * times out fails with code timeout; its late reply is dropped. */
void rpc_client_set_timeout(struct rpc_client *c, int timeout_ms);

/* Call method with params (taken over; NULL: {}). On success *result holds the reply's
 * result object (caller puts it; result may be NULL to ignore it). */
int rpc_client_call(struct rpc_client *c, const char *method, struct json_object *params,
		    struct json_object **result, struct err **errp);

/* The next event (after events.subscribe): 1 with *event (caller frees) and *data
 * (caller puts), 0 when none came within timeout_ms (-1: wait forever), -1 on error. */
int rpc_client_next_event(struct rpc_client *c, int timeout_ms, char **event,
			  struct json_object **data, struct err **errp);

/* Console bytes for a stream opened by a call (domain.console's "stream"). */
int rpc_client_stream_write(struct rpc_client *c, int64_t stream, const void *data, size_t len,
			    struct err **errp);
/* End the stream from this side (the daemon stops proxying and releases the console). */
int rpc_client_stream_end(struct rpc_client *c, int64_t stream, struct err **errp);

#define RPC_STREAM_NONE 0	/* nothing arrived within the timeout */
#define RPC_STREAM_DATA 1	/* bytes were appended to out */
#define RPC_STREAM_ENDED 2	/* the daemon ended the stream (no more data will come) */

/* Wait up to timeout_ms (0: do not block; -1: forever) for data of `stream`; appends
 * every queued chunk of it to out. Returns one of RPC_STREAM_*, or -1 on error
 * (including the daemon hanging up). Frames of other streams are dropped. */
int rpc_client_stream_read(struct rpc_client *c, int64_t stream, int timeout_ms, struct buf *out,
			   struct err **errp);

/* The fd to poll() for POLLIN when waiting for events or stream data. */
int rpc_client_poll_fd(const struct rpc_client *c);

#endif
