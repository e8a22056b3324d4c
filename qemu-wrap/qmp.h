/* The QMP server of vireo-vmm: QEMU's machine protocol on a chardev.
 *
 * Wire format as QEMU 7.2 writes it: a greeting on connect, then one JSON object per
 * request, one reply per request (`{"return": ..., "id": ...}` or `{"error": {"class":
 * ..., "desc": ...}}`), asynchronous events in between, each followed by CRLF. A client
 * must send qmp_capabilities first. Input is a stream of JSON objects, split anywhere;
 * bad input gets an error reply and the server goes on reading after the next newline.
 *
 * The protocol part is pure: qmp_feed() takes bytes and replies through the write
 * callback, so tests drive it without sockets; qmp_attach_chardev() wires it to a
 * chardev. What the commands do to the machine is the machine code's business,
 * reached through struct qmp_machine_ops.
 *
 * Threads: qmp_feed(), qmp_connected() and qmp_disconnected() run on the main thread;
 * qmp_emit_event() may be called from any thread. Whole messages are written under
 * one lock, so a reply and an event never interleave. */
#ifndef VIREO_QEMU_WRAP_QMP_H
#define VIREO_QEMU_WRAP_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/err.h"

struct chardev;
struct qmp;

/* QMP error classes besides GenericError. A handler or machine op that fails with one
 * of these as its err code gets that class on the wire (libvirt tests for
 * DeviceNotActive on query-balloon); every other code is GenericError. */
#define QMP_CLASS_GENERIC		"GenericError"
#define QMP_CLASS_COMMAND_NOT_FOUND	"CommandNotFound"
#define QMP_CLASS_DEVICE_NOT_ACTIVE	"DeviceNotActive"
#define QMP_CLASS_DEVICE_NOT_FOUND	"DeviceNotFound"
#define QMP_CLASS_KVM_MISSING_CAP	"KVMMissingCap"

/* The most buffered input for one request. */
#define QMP_MAX_INPUT		(1024 * 1024)
/* The most output queued on the chardev for a client that does not read. */
#define QMP_MAX_OUTPUT		(16 * 1024 * 1024)

/* The machine behind the commands; vm is the opaque pointer given to qmp_new(). A
 * NULL member means the command does not exist (CommandNotFound, and query-commands
 * does not list it). Returned objects are the caller's (the QMP server frees them).
 * Ops run on the main thread; they may call qmp_emit_event() (QEMU sends STOP before
 * the reply to "stop"). quit must not exit: it schedules the exit, the reply is sent
 * after it returns. */
struct qmp_machine_ops {
	/* {"status": "running", "singlestep": false, "running": true} */
	json_object *(*query_status)(void *vm);
	/* {"name": "web"}, or {} without -name */
	json_object *(*query_name)(void *vm);
	/* {"UUID": "..."} */
	json_object *(*query_uuid)(void *vm);
	/* [chardev_query_info(), ...] */
	json_object *(*query_chardev)(void *vm);
	int (*stop)(void *vm, struct err **errp);
	int (*cont)(void *vm, struct err **errp);
	int (*system_powerdown)(void *vm, struct err **errp);
	int (*system_reset)(void *vm, struct err **errp);
	int (*quit)(void *vm, struct err **errp);
	/* Balloon target in bytes (> 0, checked before the call); without a balloon
	 * device fail with QMP_CLASS_DEVICE_NOT_ACTIVE, "No balloon device has been
	 * activated". */
	int (*balloon)(void *vm, int64_t bytes, struct err **errp);
	/* {"actual": bytes} */
	json_object *(*query_balloon)(void *vm, struct err **errp);
	/* qom-get/qom-set, for guest-stats and guest-stats-polling-interval. value is
	 * borrowed. */
	json_object *(*qom_get)(void *vm, const char *path, const char *property,
				struct err **errp);
	int (*qom_set)(void *vm, const char *path, const char *property, json_object *value,
		       struct err **errp);
	/* query-rx-filter: [RxFilterInfo, ...] of the NIC called name (NULL: all). */
	json_object *(*query_rx_filter)(void *vm, const char *name, struct err **errp);
	/* set_link: name is a NIC's or a netdev's; unknown: QMP_CLASS_DEVICE_NOT_FOUND. */
	int (*set_link)(void *vm, const char *name, bool up, struct err **errp);
};

/* Where the server's bytes go: one call per whole message (greeting, reply, event),
 * CRLF included. */
typedef void (*qmp_write_fn)(void *opaque, const char *data, size_t len);

/* A server for one machine; ops must outlive it. */
struct qmp *qmp_new(const struct qmp_machine_ops *ops, void *vm);
/* Detaches from its chardev, if any: free the server before the chardev. NULL is
 * ignored. */
void qmp_free(struct qmp *q);

/* Send output through fn (replaces any earlier one, including a chardev's). */
void qmp_set_output(struct qmp *q, qmp_write_fn fn, void *opaque);

/* Serve on chr: the chardev's opened/closed/receive drive qmp_connected(),
 * qmp_disconnected() and qmp_feed(); output goes to chr, whose queue is raised to
 * QMP_MAX_OUTPUT. */
int qmp_attach_chardev(struct qmp *q, struct chardev *chr, struct err **errp);

/* A client arrived: reset the session (capabilities not negotiated, input dropped)
 * and send the greeting. */
void qmp_connected(struct qmp *q);
/* The client left: no more events until the next one negotiates. */
void qmp_disconnected(struct qmp *q);

/* Bytes from the client: parse every complete request, reply to each. */
void qmp_feed(struct qmp *q, const void *buf, size_t len);

/* One parsed request to its reply (NULL never: every request gets one). For tests and
 * for callers that have the object already; the session state (capabilities) is
 * q's. */
json_object *qmp_dispatch(struct qmp *q, json_object *request);

/* Send an event to the client, if one has negotiated capabilities: {"timestamp":
 * {"seconds": S, "microseconds": U}, "event": NAME, "data": DATA} (no "data" when
 * data is NULL). Takes ownership of data. Any thread. */
void qmp_emit_event(struct qmp *q, const char *name, json_object *data);

/* Whether the client has sent qmp_capabilities. Any thread. */
bool qmp_negotiated(struct qmp *q);

/* Append v to b as QEMU formats JSON: `{"a": 1, "b": [true, null]}`, strings in
 * ASCII with \uXXXX escapes. */
void qmp_json_format(struct buf *b, json_object *v);

/* The error object of a reply: {"class": CLASS, "desc": DESC}. */
json_object *qmp_error_object(const char *cls, const char *desc);

#endif
