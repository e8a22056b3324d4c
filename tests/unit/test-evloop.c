/* Unit tests: lib/util/evloop */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "lib/util/evloop.h"
#include "lib/util/spawn.h"

struct counter {
	int calls;
	int last;
	struct ev_source *other;	/* removed by the callback, when set */
};

static struct evloop *new_loop(void)
{
	struct err *e = NULL;
	struct evloop *loop = evloop_new(&e);

	if (!loop)
		fail_msg("evloop_new: %s", e->message);
	return loop;
}

static void on_readable(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
			void *data)
{
	struct counter *c = data;
	char b;

	c->calls++;
	if (read(fd, &b, 1) == 1)
		c->last = b;
	if (c->other)
		evloop_remove(c->other);
	evloop_remove(src);
}

static void fd_readiness_calls_back(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_non_null(evloop_add_fd(loop, p[0], EPOLLIN, on_readable, &c, NULL));
	assert_int_equal(evloop_run_once(loop, 0, NULL), 0);	/* nothing yet */
	assert_int_equal(write(p[1], "k", 1), 1);
	assert_int_equal(evloop_run_once(loop, 1000, NULL), 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, 'k');
	assert_int_equal(evloop_source_count(loop), 0);	/* removed itself */
	close(p[0]);
	close(p[1]);
	evloop_free(loop);
}

static void removing_another_ready_source_in_the_same_round(void **state)
{
	struct evloop *loop = new_loop();
	struct counter ca = { 0 }, cb = { 0 };
	int p[2], q[2];
	struct ev_source *a, *b;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	a = evloop_add_fd(loop, p[0], EPOLLIN, on_readable, &ca, NULL);
	b = evloop_add_fd(loop, q[0], EPOLLIN, on_readable, &cb, NULL);
	ca.other = b;
	cb.other = a;
	assert_int_equal(write(p[1], "1", 1), 1);
	assert_int_equal(write(q[1], "2", 1), 1);
	/* Both are ready in one epoll batch; whichever runs first removes the other,
	 * so exactly one callback runs, and (under ASan) the removed source's pending
	 * event touches no freed memory. */
	assert_int_equal(evloop_run_once(loop, 1000, NULL), 2);
	assert_int_equal(ca.calls + cb.calls, 1);
	assert_int_equal(evloop_source_count(loop), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	evloop_free(loop);
}

static void on_tick(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct counter *c = data;

	c->calls += (int)n;
	if (c->calls >= 3) {
		evloop_remove(src);
		evloop_quit(loop, 42);
	}
}

static void periodic_timer_ticks_until_removed(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };

	assert_non_null(evloop_add_timer(loop, 5, 5, on_tick, &c, NULL));
	assert_int_equal(evloop_run(loop, NULL), 42);
	assert_true(c.calls >= 3);
	assert_int_equal(evloop_source_count(loop), 0);
	evloop_free(loop);
}

static void one_shot_timer_fires_once(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };

	assert_non_null(evloop_add_timer(loop, 10, 0, on_tick, &c, NULL));
	assert_int_equal(evloop_run_once(loop, 1000, NULL), 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(evloop_run_once(loop, 50, NULL), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(evloop_source_count(loop), 1);
	evloop_free(loop);	/* frees the remaining source */
}

static void on_signal(struct evloop *loop, struct ev_source *src,
		      const struct signalfd_siginfo *si, void *data)
{
	struct counter *c = data;

	c->calls++;
	c->last = (int)si->ssi_signo;
}

static void signals_arrive_through_the_loop(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };
	struct err *e = NULL;

	assert_non_null(evloop_add_signal(loop, SIGUSR1, on_signal, &c, NULL));
	assert_null(evloop_add_signal(loop, SIGUSR1, on_signal, &c, &e));
	assert_err(e, ERR_EXISTS, "already watched");
	kill(getpid(), SIGUSR1);	/* blocked: pending for the signalfd, not fatal */
	assert_int_equal(evloop_run_once(loop, 1000, NULL), 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, SIGUSR1);
	evloop_free(loop);
}

static void on_child(struct evloop *loop, struct ev_source *src, pid_t pid, const siginfo_t *si,
		     void *data)
{
	struct counter *c = data;

	c->calls++;
	c->last = si->si_code == CLD_EXITED ? si->si_status : 1000 + si->si_status;
	evloop_quit(loop, 0);
}

static void watch_child(struct evloop *loop, const char *script, struct counter *c)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct spawn_opts o = { .path = "/bin/sh", .argv = argv };
	struct spawn_child child;

	assert_int_equal(spawn(&o, &child, NULL), 0);
	assert_non_null(evloop_add_child(loop, child.pid, child.pidfd, on_child, c, NULL));
	assert_int_equal(evloop_run(loop, NULL), 0);
}

static void child_exit_and_kill_are_reported(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };

	watch_child(loop, "exit 7", &c);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, 7);
	watch_child(loop, "kill -9 $$", &c);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.last, 1000 + SIGKILL);
	assert_int_equal(evloop_source_count(loop), 0);
	evloop_free(loop);
}

static void bad_arguments_are_errors(void **state)
{
	struct evloop *loop = new_loop();
	struct counter c = { 0 };
	struct err *e = NULL;

	assert_null(evloop_add_fd(loop, 12345, EPOLLIN, on_readable, &c, &e));
	assert_err(e, ERR_SYSTEM, "cannot watch fd 12345");
	assert_null(evloop_add_child(loop, 1, -1, on_child, &c, &e));
	assert_err(e, ERR_INVALID, "no pidfd");
	assert_null(evloop_add_signal(loop, 999, on_signal, &c, &e));
	assert_err(e, ERR_INVALID, "invalid signal number 999");
	evloop_remove(NULL);
	evloop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fd_readiness_calls_back),
		cmocka_unit_test(removing_another_ready_source_in_the_same_round),
		cmocka_unit_test(periodic_timer_ticks_until_removed),
		cmocka_unit_test(one_shot_timer_fires_once),
		cmocka_unit_test(signals_arrive_through_the_loop),
		cmocka_unit_test(child_exit_and_kill_are_reported),
		cmocka_unit_test(bad_arguments_are_errors),
	};

	return cmocka_run_group_tests_name("evloop", tests, NULL, NULL);
}
