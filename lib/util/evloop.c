#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/util/evloop.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum ev_kind { EV_FD, EV_TIMER, EV_SIGNAL, EV_CHILD };

struct ev_source {
	struct evloop *loop;
	enum ev_kind kind;
	int fd;			/* the fd in the epoll set */
	bool owns_fd;		/* timerfd, signalfd, pidfd: closed with the source */
	bool dead;		/* removed; freed after this dispatch round */
	int signo;
	pid_t pid;
	union {
		ev_fd_fn fd;
		ev_timer_fn timer;
		ev_signal_fn signal;
		ev_child_fn child;
	} fn;
	void *data;
	struct ev_source *next;	/* in loop->sources or loop->graveyard */
};

struct evloop {
	int epfd;
	bool quit;
	int quit_status;
	unsigned live;
	struct ev_source *sources;
	struct ev_source *graveyard;	/* removed during dispatch, freed after it */
};

struct evloop *evloop_new(struct err **errp)
{
	struct evloop *loop = xzalloc(sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot create an epoll instance"));
		free(loop);
		return NULL;
	}
	return loop;
}

static void free_graveyard(struct evloop *loop)
{
	while (loop->graveyard) {
		struct ev_source *s = loop->graveyard;

		loop->graveyard = s->next;
		free(s);
	}
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	while (loop->sources)
		evloop_remove(loop->sources);
	free_graveyard(loop);
	close(loop->epfd);
	free(loop);
}

static struct ev_source *add_source(struct evloop *loop, enum ev_kind kind, int fd, bool owns_fd,
				    uint32_t events, void *data, struct err **errp)
{
	struct ev_source *s = xzalloc(sizeof(*s));
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot watch fd %d"), fd);
		if (owns_fd)
			close(fd);
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->kind = kind;
	s->fd = fd;
	s->owns_fd = owns_fd;
	s->data = data;
	s->next = loop->sources;
	loop->sources = s;
	loop->live++;
	return s;
}

struct ev_source *evloop_add_fd(struct evloop *loop, int fd, uint32_t events, ev_fd_fn fn,
				void *data, struct err **errp)
{
	struct ev_source *s = add_source(loop, EV_FD, fd, false, events, data, errp);

	if (s)
		s->fn.fd = fn;
	return s;
}

int evloop_fd_set_events(struct ev_source *s, uint32_t events, struct err **errp)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(s->loop->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
		return err_set_errno(errp, NULL, errno, _("cannot change events of fd %d"), s->fd);
	return 0;
}

static void ms_to_timespec(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int evloop_timer_set(struct ev_source *s, uint64_t first_ms, uint64_t interval_ms,
		     struct err **errp)
{
	struct itimerspec its;

	/* it_value 0 would disarm: a periodic timer asked to start "now" starts in 1 ns. */
	ms_to_timespec(first_ms, &its.it_value);
	ms_to_timespec(interval_ms, &its.it_interval);
	if (first_ms == 0 && interval_ms != 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(s->fd, 0, &its, NULL) < 0)
		return err_set_errno(errp, NULL, errno, _("cannot arm a timer"));
	return 0;
}

struct ev_source *evloop_add_timer(struct evloop *loop, uint64_t first_ms, uint64_t interval_ms,
				   ev_timer_fn fn, void *data, struct err **errp)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct ev_source *s;

	if (fd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot create a timer"));
		return NULL;
	}
	s = add_source(loop, EV_TIMER, fd, true, EPOLLIN, data, errp);
	if (!s)
		return NULL;
	s->fn.timer = fn;
	if (evloop_timer_set(s, first_ms, interval_ms, errp) < 0) {
		evloop_remove(s);
		return NULL;
	}
	return s;
}

struct ev_source *evloop_add_signal(struct evloop *loop, int signo, ev_signal_fn fn, void *data,
				    struct err **errp)
{
	struct ev_source *s;
	sigset_t mask;
	int fd;

	for (s = loop->sources; s; s = s->next)
		if (s->kind == EV_SIGNAL && s->signo == signo) {
			err_set(errp, ERR_EXISTS, _("signal %d is already watched"), signo);
			return NULL;
		}
	sigemptyset(&mask);
	if (sigaddset(&mask, signo) < 0) {
		err_set(errp, ERR_INVALID, _("invalid signal number %d"), signo);
		return NULL;
	}
	/* Blocked, the signal stays pending for the signalfd instead of running its
	 * default action. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) {
		err_set(errp, ERR_SYSTEM, _("cannot block signal %d"), signo);
		return NULL;
	}
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot create a signalfd"));
		return NULL;
	}
	s = add_source(loop, EV_SIGNAL, fd, true, EPOLLIN, data, errp);
	if (!s)
		return NULL;
	s->signo = signo;
	s->fn.signal = fn;
	return s;
}

struct ev_source *evloop_add_child(struct evloop *loop, pid_t pid, int pidfd, ev_child_fn fn,
				   void *data, struct err **errp)
{
	struct ev_source *s;

	if (pidfd < 0) {
		err_set(errp, ERR_INVALID, _("no pidfd for process %d"), (int)pid);
		return NULL;
	}
	s = add_source(loop, EV_CHILD, pidfd, true, EPOLLIN, data, errp);
	if (!s)
		return NULL;
	s->pid = pid;
	s->fn.child = fn;
	return s;
}

void evloop_remove(struct ev_source *s)
{
	struct evloop *loop;
	struct ev_source **pp;

	if (!s || s->dead)
		return;
	loop = s->loop;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->owns_fd)
		close(s->fd);
	s->fd = -1;
	s->dead = true;
	for (pp = &loop->sources; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	/* Events for s may still sit in the current epoll_wait batch: keep the memory
	 * until the round is over. */
	s->next = loop->graveyard;
	loop->graveyard = s;
	loop->live--;
}

static void dispatch_timer(struct ev_source *s)
{
	uint64_t expirations = 0;

	if (read(s->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;	/* EAGAIN: re-armed meanwhile */
	s->fn.timer(s->loop, s, expirations, s->data);
}

static void dispatch_signal(struct ev_source *s)
{
	struct signalfd_siginfo si;

	/* Drain: several instances of a standard signal merge, but read them all. */
	while (!s->dead && read(s->fd, &si, sizeof(si)) == sizeof(si))
		s->fn.signal(s->loop, s, &si, s->data);
}

static void dispatch_child(struct ev_source *s)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)s->fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	s->fn.child(s->loop, s, s->pid, &si, s->data);
	evloop_remove(s);
}

static void dispatch(struct ev_source *s, uint32_t events)
{
	if (s->dead)
		return;
	switch (s->kind) {
	case EV_FD:
		s->fn.fd(s->loop, s, s->fd, events, s->data);
		break;
	case EV_TIMER:
		dispatch_timer(s);
		break;
	case EV_SIGNAL:
		dispatch_signal(s);
		break;
	case EV_CHILD:
		dispatch_child(s);
		break;
	}
}

int evloop_run_once(struct evloop *loop, int timeout_ms, struct err **errp)
{
	struct epoll_event events[32];
	int n, i;

	n = epoll_wait(loop->epfd, events, (int)ARRAY_SIZE(events), timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return err_set_errno(errp, NULL, errno, _("epoll_wait failed"));
	}
	for (i = 0; i < n; i++)
		dispatch(events[i].data.ptr, events[i].events);
	free_graveyard(loop);
	return n;
}

int evloop_run(struct evloop *loop, struct err **errp)
{
	loop->quit = false;
	while (!loop->quit)
		if (evloop_run_once(loop, -1, errp) < 0)
			return -1;
	return loop->quit_status;
}

void evloop_quit(struct evloop *loop, int status)
{
	loop->quit = true;
	loop->quit_status = status;
}

unsigned evloop_source_count(const struct evloop *loop)
{
	return loop->live;
}
