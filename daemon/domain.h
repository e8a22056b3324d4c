/* A domain as the daemon keeps it: definitions, state, the running worker.
 *
 * Lifetime: the registry holds one reference; every pending operation (a queued job,
 * a QMP command in flight, a timer) holds another, so a domain undefined or a
 * transient one that stopped stays valid until the last callback has run. `removed`
 * says it is no longer in the registry. */
#ifndef VIREO_DAEMON_DOMAIN_H
#define VIREO_DAEMON_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"
#include "lib/conf/domain.h"

struct qmp_client;
struct console;
struct job_waiter;

enum dom_state {
	DOM_SHUTOFF,
	DOM_RUNNING,
	DOM_PAUSED,
	DOM_SHUTDOWN,		/* "in shutdown" */
	DOM_CRASHED,
	DOM_PMSUSPENDED,
};

/* Why a worker is being taken down, so its exit gets the right reason. */
enum dom_stop_cause {
	STOP_NONE = 0,
	STOP_DESTROY,		/* destroy, or a lifecycle action "destroy" */
	STOP_SHUTDOWN,		/* the guest powered off (SHUTDOWN event seen) */
	STOP_CRASH,		/* the guest panicked */
	STOP_FAILED,		/* start failed */
};

/* Someone waiting for the worker to exit (destroy, shutdown --timeout). */
struct stop_waiter {
	void (*fn)(struct domain *dom, void *opaque);
	void *opaque;
	struct stop_waiter *next;
};

struct worker {
	pid_t pid;
	uint64_t start_time;		/* /proc/PID/stat field 22: tells a reused pid apart */
	bool is_child;			/* spawned by this daemon (reaped), else re-attached */
	struct ev_source *exit_src;	/* child watch or pidfd fd watch */
	int pidfd;			/* re-attached: the pidfd we watch (closed on exit) */
	struct qmp_client *qmp;
	struct console *console;
	enum dom_stop_cause cause;
	bool fake_reboot;		/* reboot asked: reset instead of stopping at SHUTDOWN */
	struct ev_source *kill_timer;	/* SIGKILL after SIGTERM did not work */
	bool exited;			/* reaped or gone: never signal the pid again */
	bool has_console;		/* the live definition has the console socket */
	void *start_op;			/* the start in progress (lifecycle.c), or NULL */
	bool starting;			/* spawned, start not finished: status.json says so */
};

struct domain {
	int refs;
	bool removed;
	struct daemon *d;
	char *name;
	uint8_t uuid[16];
	char uuid_str[37];
	struct vdomain *def;		/* the persistent definition (NULL: transient) */
	struct vdomain *live;		/* what runs (NULL: not running) */
	bool autostart;
	int id;				/* -1 when not running */
	enum dom_state state;
	const char *reason;		/* virsh's reason word ("booted", "crashed", ...) */
	struct worker *w;		/* NULL when not running */
	/* the job lock (job.c) */
	bool job_busy;
	const char *job_name;
	struct job_waiter *waiters;
	struct stop_waiter *stop_waiters;
};

struct domain *dom_ref(struct domain *dom);
void dom_unref(struct domain *dom);

const char *dom_state_name(enum dom_state s);
bool dom_is_active(const struct domain *dom);

/* ---- registry.c ---- */

/* Resolve a reference as virsh does: id of a running domain, else uuid, else name. */
struct domain *registry_find(struct daemon *d, const char *ref);
struct domain *registry_find_name(struct daemon *d, const char *name);
struct domain *registry_find_uuid(struct daemon *d, const uint8_t uuid[16]);
/* registry_find, or a no-domain error naming ref. */
struct domain *registry_lookup(struct daemon *d, const char *ref, struct err **errp);

/* A new domain for def (taken over) in the registry; persistent if def is. */
struct domain *registry_add(struct daemon *d, struct vdomain *def, bool persistent);
/* Take dom out of the registry (drops the registry's reference). */
void registry_remove(struct daemon *d, struct domain *dom);
/* Free every domain (daemon exit; workers keep running). */
void registry_free(struct daemon *d);

/* Load every definition and autostart mark from disk. Bad files are logged and
 * skipped, never fatal. */
void registry_load(struct daemon *d);

/* Parse and validate domain XML (errors: invalid-xml). */
struct vdomain *registry_parse_xml(struct daemon *d, const char *xml, struct err **errp);
/* A deep copy of def (through its XML). */
struct vdomain *registry_copy_def(struct daemon *d, const struct vdomain *def, struct err **errp);

/* Write dom's persistent definition (atomically) to <domains>/NAME.xml. */
int registry_save(struct daemon *d, const struct domain *dom, struct err **errp);
/* Remove the definition file and autostart mark. */
int registry_delete_files(struct daemon *d, const struct domain *dom, struct err **errp);
int registry_set_autostart(struct daemon *d, struct domain *dom, bool on, struct err **errp);

/* The domain object of docs/rpc.md ("Domain objects in results"). */
struct json_object *dom_to_json(const struct domain *dom);
/* The XML of the live (running) or persistent definition, with id='N' when running. */
char *dom_format_xml(const struct domain *dom, bool inactive);

#endif
