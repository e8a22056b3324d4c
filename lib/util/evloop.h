/* Event loop on epoll: fds, timers (timerfd), signals (signalfd), child exit (pidfd).
 *
 * One loop per thread, created and owned by that thread; nothing is global. Every
 * event kind is an fd in the epoll set, so the loop has a single wait. A source may
 * be removed at any time, also from inside any callback (its own or another's): it
 * is unhooked at once and freed after the current dispatch round. */
#ifndef VIREO_UTIL_EVLOOP_H
#define VIREO_UTIL_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "lib/util/err.h"

struct evloop;
struct ev_source;

typedef void (*ev_fd_fn)(struct evloop *loop, struct ev_source *src, int fd,
			 uint32_t events, void *data);
typedef void (*ev_timer_fn)(struct evloop *loop, struct ev_source *src, uint64_t expirations,
			    void *data);
typedef void (*ev_signal_fn)(struct evloop *loop, struct ev_source *src,
			     const struct signalfd_siginfo *si, void *data);
/* si_code is CLD_EXITED (si_status = exit code), CLD_KILLED or CLD_DUMPED
 * (si_status = signal). The child has been reaped; the source is removed after the
 * callback returns. */
typedef void (*ev_child_fn)(struct evloop *loop, struct ev_source *src, pid_t pid,
			    const siginfo_t *si, void *data);

struct evloop *evloop_new(struct err **errp);
/* Removes and frees every source (closing the fds the loop owns). */
void evloop_free(struct evloop *loop);

/* Watch fd (not owned: the caller closes it after removing the source). */
struct ev_source *evloop_add_fd(struct evloop *loop, int fd, uint32_t events, ev_fd_fn fn,
				void *data, struct err **errp);
int evloop_fd_set_events(struct ev_source *src, uint32_t events, struct err **errp);

/* Timer firing after first_ms, then every interval_ms (0: once). first_ms 0 with
 * interval 0 disarms it. */
struct ev_source *evloop_add_timer(struct evloop *loop, uint64_t first_ms, uint64_t interval_ms,
				   ev_timer_fn fn, void *data, struct err **errp);
int evloop_timer_set(struct ev_source *src, uint64_t first_ms, uint64_t interval_ms,
		     struct err **errp);

/* Deliver signo through the loop. Blocks signo in the calling thread (signalfd needs
 * that); children started with spawn() get a clean mask. One source per signal. */
struct ev_source *evloop_add_signal(struct evloop *loop, int signo, ev_signal_fn fn, void *data,
				    struct err **errp);

/* Watch a child's exit through its pidfd; the loop takes ownership of pidfd. */
struct ev_source *evloop_add_child(struct evloop *loop, pid_t pid, int pidfd, ev_child_fn fn,
				   void *data, struct err **errp);

/* Unhook and (later) free a source. NULL is ignored. */
void evloop_remove(struct ev_source *src);

/* Run until evloop_quit(); returns the status given to it, or -1 on a wait error. */
int evloop_run(struct evloop *loop, struct err **errp);
/* Wait up to timeout_ms (-1: forever) and dispatch one round. Returns the number of
 * events dispatched, or -1. */
int evloop_run_once(struct evloop *loop, int timeout_ms, struct err **errp);
void evloop_quit(struct evloop *loop, int status);

/* Number of live sources: tests use it to check nothing leaks. */
unsigned evloop_source_count(const struct evloop *loop);

#endif
