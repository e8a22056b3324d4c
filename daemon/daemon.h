/* vireod's context and the types its parts share.
 *
 * One thread runs everything: a single event loop (lib/util/evloop) carries the RPC
 * connections, every worker's QMP connection, console and exit watch, and the timers.
 * Multi-step operations (start: spawn, QMP greeting, balloon, cont) are chains of
 * callbacks; a per-domain job lock (job.c) keeps two of them from interleaving on one
 * domain. Nothing blocks for long: file writes (atomic, fsync'ed) are the only
 * synchronous I/O. */
#ifndef VIREO_DAEMON_DAEMON_H
#define VIREO_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/options.h"
#include "daemon/paths.h"
#include "lib/rpc/message.h"
#include "lib/util/err.h"
#include "lib/util/evloop.h"
#include "lib/util/log.h"

struct server;
struct conn;
struct domain;

struct registry {
	struct domain **doms;
	size_t n;
	int next_id;			/* the id the next started domain gets */
};

struct daemon {
	struct daemon_options opts;
	struct daemon_paths paths;
	struct logger log;
	struct evloop *loop;
	int lock_fd;
	struct server *server;
	struct registry reg;
	struct netreg *nets;		/* vireo networks (daemon/network/network.h) */
	const char *schema_dir;		/* RelaxNG dir for XML validation; NULL: none */
	char *default_emulator;		/* worker for domains without <emulator> */
	int64_t last_activity_ms;	/* for --timeout */
	struct ev_source *idle_timer;
	struct ev_source *log_timer;
	bool stopping;
};

/* Milliseconds on the monotonic clock. */
int64_t daemon_now_ms(void);

/* Note activity (a client, a running domain): --timeout counts from the last one. */
void daemon_touch(struct daemon *d);

/* Tell systemd the status line (domains running). */
void daemon_update_status(struct daemon *d);

/* ---- calls: one RPC request being served (server.c) ----
 * A handler answers exactly once, now or later, with call_reply or call_fail; both
 * free the call. If the client went away meanwhile the answer is dropped. */
struct call {
	struct daemon *d;
	struct conn *conn;		/* holds a reference */
	int64_t id;
	char *method;
	struct json_object *params;	/* never NULL (an empty object when absent) */
};

void call_reply(struct call *c, struct json_object *result);
void call_fail(struct call *c, struct err *e);
/* call_fail with a new error. */
void call_failf(struct call *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* dispatch.c: run the method of a request that passed the access checks. */
void dispatch_call(struct call *c);

/* Broadcast a domain.lifecycle event to the subscribed clients. */
void daemon_emit_lifecycle(struct daemon *d, const struct domain *dom, const char *event,
			   const char *detail);

#endif
