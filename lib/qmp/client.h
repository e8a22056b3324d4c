/* A non-blocking QMP client on an event loop: how vireod talks to a worker.
 *
 * The worker (vireo-vmm or stock QEMU) sends a greeting; the client answers with
 * qmp_capabilities and then reports ready. Commands go out with an integer "id" and
 * their replies are matched by it (a reply without an id matches the oldest command,
 * as QEMU answers in order). Events arrive through ops->event.
 *
 * The worker is not trusted further than the guest running in it: input is bounded
 * (QMP_CLIENT_MAX_MESSAGE per message, json-c's nesting limit), anything that is not
 * a JSON object closes the connection, and nothing the worker sends can block the
 * daemon.
 *
 * Callbacks run on the loop's thread. Any of them may call qmp_client_free() (the
 * free is deferred until the callback returns). When the connection drops, every
 * pending command's callback gets an error, then ops->closed runs once;
 * qmp_client_free() itself calls no callbacks. */
#ifndef VIREO_QMP_CLIENT_H
#define VIREO_QMP_CLIENT_H

#include <stdbool.h>

#include <json-c/json.h>

#include "lib/util/err.h"
#include "lib/util/evloop.h"

/* The largest single QMP message accepted from a worker. */
#define QMP_CLIENT_MAX_MESSAGE ((size_t)4 << 20)

struct qmp_client;

struct qmp_client_ops {
	/* Capabilities negotiated: commands may be sent (they may be queued before). */
	void (*ready)(void *opaque);
	/* An asynchronous event: name ("SHUTDOWN") and data (borrowed; may be NULL). */
	void (*event)(void *opaque, const char *name, struct json_object *data);
	/* The connection is gone (worker exited, bad input, I/O error): why says which. */
	void (*closed)(void *opaque, const struct err *why);
};

/* A command's outcome: ret (borrowed; the "return" value) on success, or e (the QMP
 * error: code operation-failed, message "<class>: <desc>"; or the connection loss). */
typedef void (*qmp_reply_fn)(void *opaque, struct json_object *ret, const struct err *e);

/* Connect to the worker's QMP unix socket at path (non-blocking). Fails at once when
 * nothing listens there. */
struct qmp_client *qmp_client_connect(struct evloop *loop, const char *path,
				      const struct qmp_client_ops *ops, void *opaque,
				      struct err **errp);

/* Use a connected socket (tests: one end of a socketpair). Takes fd over. */
struct qmp_client *qmp_client_open_fd(struct evloop *loop, int fd,
				      const struct qmp_client_ops *ops, void *opaque,
				      struct err **errp);

/* Send cmd with args (taken over; NULL for none). fn (may be NULL) gets the reply.
 * Commands sent before ready are queued. Fails only when the connection is closed. */
int qmp_client_execute(struct qmp_client *q, const char *cmd, struct json_object *args,
		       qmp_reply_fn fn, void *opaque, struct err **errp);

bool qmp_client_is_ready(const struct qmp_client *q);

/* The greeting's QEMU version ({"qemu": {"major": ...}, "package": ...}), once ready;
 * borrowed, may be NULL. */
struct json_object *qmp_client_version(const struct qmp_client *q);

/* Close the connection now, as if the worker had hung up: every pending command's
 * callback gets an error saying why, then ops->closed runs. Callbacks must not free q;
 * the caller frees it afterwards. Nothing happens if it is closed already. */
void qmp_client_close(struct qmp_client *q, const char *why);

/* Close and free. No callbacks run; pending commands are forgotten. NULL is ignored. */
void qmp_client_free(struct qmp_client *q);

#endif
