/* A running domain's files: <root>/run/vireo/domains/NAME/ (status.json, live.xml,
 * qmp.sock, console.sock, console.history) and its log <root>/var/log/vireo/NAME.log;
 * plus what /proc tells about a worker.
 *
 * status.json is what a restarted daemon re-attaches by:
 *   {"pid": 1234, "start_time": 56789, "id": 3, "state": "running", "reason": "booted",
 *    "persistent": true, "starting": false}
 * start_time is field 22 of /proc/PID/stat, so a pid reused by another process after
 * the worker died is not mistaken for it. "starting" is true from the spawn until the
 * start finished (the guest runs, or was left paused as asked): a worker found in that
 * state by a restarted daemon is destroyed (its start failed); a file without it is
 * one of a finished start. */
#ifndef VIREO_DAEMON_RUNTIME_H
#define VIREO_DAEMON_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"

/* The most a domain's log may grow to before vireod cuts it. */
#define DOMAIN_LOG_MAX ((off_t)1 << 20)

struct dom_paths {
	char *dir;		/* <run>/domains/NAME */
	char *status;		/* .../status.json */
	char *live_xml;		/* .../live.xml */
	char *qmp;		/* .../qmp.sock */
	char *console;		/* .../console.sock */
	char *console_history;	/* .../console.history: its last output (console.c) */
	char *log;		/* <root>/var/log/vireo/NAME.log */
};

void dom_paths_init(struct daemon *d, const char *name, struct dom_paths *p);
void dom_paths_free(struct dom_paths *p);

struct runtime_status {
	pid_t pid;
	uint64_t start_time;
	int id;
	char state[32];
	char reason[32];
	bool persistent;
	bool starting;		/* the start had not finished */
};

struct domain;

/* Write status.json and live.xml for a running domain (atomically). */
int runtime_save(struct daemon *d, const struct domain *dom, struct err **errp);
int runtime_load_status(const char *path, struct runtime_status *st, struct err **errp);
/* Remove the runtime directory and everything in it. */
void runtime_clean(struct daemon *d, const char *name);
/* Make a fresh, empty runtime directory (0700). */
int runtime_prepare(struct daemon *d, const char *name, struct err **errp);

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
int proc_start_time(pid_t pid, uint64_t *out);
/* utime + stime of the process, in ns. */
int proc_cpu_time_ns(pid_t pid, uint64_t *out);
/* VmRSS in KiB (0 if unknown). */
uint64_t proc_rss_kib(pid_t pid);
/* True if pid runs and started at start_time. */
bool proc_matches(pid_t pid, uint64_t start_time);

/* Open the domain's log for a worker's stdout/stderr (append), cutting it first when
 * over DOMAIN_LOG_MAX; writes a header line. *offset gets where this start's output
 * begins. */
int domain_log_open(struct daemon *d, const char *path, const char *header, off_t *offset,
		    struct err **errp);
/* The last lines (at most max bytes) written to path since offset, for an error
 * message; "" when none. */
char *domain_log_tail(const char *path, off_t offset, size_t max);
/* Cut a log that grew past DOMAIN_LOG_MAX (a running worker appends to it, so the
 * cut is a truncate with a note; the worker's O_APPEND writes go on at the end). */
void domain_log_cap(struct daemon *d, const char *path);

#endif
