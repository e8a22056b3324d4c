/* The RPC server: listening sockets, client connections, frames in and out.
 *
 * Every connection has its own input reader and output buffer; sockets are
 * non-blocking and the loop only writes what a client takes, so a slow or dead client
 * costs memory up to its limit (then it is dropped), never time for the others.
 * docs/rpc.md is the protocol; this file's job is the transport, hello, access, and
 * routing requests to dispatch_call() and stream frames to their handlers. */
#ifndef VIREO_DAEMON_SERVER_H
#define VIREO_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Output a client may leave unread before it is disconnected. */
#define CONN_OUTPUT_MAX ((size_t)64 << 20)
/* Past this much unread output, stream data (console bytes) for it is dropped. */
#define CONN_STREAM_BACKLOG ((size_t)1 << 20)
/* Requests of one client being served at once; more wait in its socket. */
#define CONN_MAX_INFLIGHT 64
/* Clients at once; more are refused. */
#define SERVER_MAX_CONNS 1024
/* A client that sent nothing this long (and has no stream open) is closed. */
#define CONN_IDLE_MS (5 * 60 * 1000)

struct server *server_new(struct daemon *d);
/* Take the sockets from systemd (LISTEN_FDS) unless --listen, else bind
 * <run>/vireod.sock and vireod-ro.sock (mode 0666: SO_PEERCRED decides). */
int server_start(struct server *s, struct err **errp);
/* Close every connection and listener; remove the socket files we created. */
void server_free(struct server *s);

unsigned server_conn_count(const struct server *s);
/* Send an event to every client that called events.subscribe; data is taken over. */
void server_broadcast(struct server *s, const char *event, struct json_object *data);

/* ---- connections, for calls and streams ---- */

struct conn *conn_ref(struct conn *c);
void conn_unref(struct conn *c);
bool conn_is_open(const struct conn *c);
/* Subscribe the connection to domain.lifecycle events. */
void conn_subscribe(struct conn *c);
/* Queue a frame (obj taken over). A client over CONN_OUTPUT_MAX is disconnected. */
void conn_send(struct conn *c, struct json_object *obj);

struct stream_handler {
	/* Bytes the client sent on the stream. */
	void (*data)(void *opaque, const void *buf, size_t len);
	/* The client ended the stream or went away; the stream is gone afterwards. */
	void (*ended)(void *opaque);
};

/* Open a stream on c; its number goes into the reply. -1 if c is closed or has too
 * many streams. */
int64_t conn_stream_open(struct conn *c, const struct stream_handler *h, void *opaque);
/* Send bytes on the stream (dropped when the client is far behind). */
void conn_stream_send(struct conn *c, int64_t stream, const void *buf, size_t len);
/* End the stream from the daemon's side: sends the end frame, calls no handler. */
void conn_stream_close(struct conn *c, int64_t stream);

/* ---- access.c ---- */

/* May the peer on fd use read-write methods? uid 0, the daemon's own uid, or group
 * "vireo" (primary or supplementary; no such group: nobody else). *uid gets the
 * peer's uid. */
bool access_peer_may_write(int fd, unsigned *uid);

#endif
