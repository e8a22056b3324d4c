/* Unit tests: lib/util/spawn */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/spawn.h"

/* Run `bash -c script` with the given fd map and return what it wrote to the pipe it
 * got as fd `out_dst` (the caller includes that mapping). */
static char *run_sh(const char *script, struct spawn_fd_map *extra, size_t nextra, int out_dst,
		    bool inherit_stdio, int *status)
{
	static char text[4096];
	/* bash, not sh: dash only redirects fds 0-9. */
	char *argv[] = { "bash", "-c", (char *)script, NULL };
	struct spawn_fd_map map[8];
	struct spawn_opts o = { .path = "/bin/bash", .argv = argv, .fds = map,
				.inherit_stdio = inherit_stdio };
	struct spawn_child child;
	struct err *e = NULL;
	int p[2];
	size_t i, used = 0;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	map[0].src = p[1];
	map[0].dst = out_dst;
	for (i = 0; i < nextra; i++)
		map[i + 1] = extra[i];
	o.nfds = nextra + 1;
	if (spawn(&o, &child, &e) < 0)
		fail_msg("spawn: %s", e->message);
	close(p[1]);
	while ((n = read(p[0], text + used, sizeof(text) - 1 - used)) > 0)
		used += (size_t)n;
	text[used] = '\0';
	close(p[0]);
	assert_int_equal(spawn_wait(&child, status, NULL), 0);
	return text;
}

static void fd_is_mapped_to_requested_number(void **state)
{
	int status;

	assert_string_equal(run_sh("echo hi >&5", NULL, 0, 5, false, &status), "hi\n");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void crossing_mappings_do_not_clobber_each_other(void **state)
{
	int a[2], b[2], status;
	char buf[8] = "";
	struct spawn_fd_map swap[2];

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(dup2(a[1], 40), 40);
	assert_int_equal(dup2(b[1], 41), 41);
	close(a[1]);
	close(b[1]);
	/* 40 -> 41 and 41 -> 40: a naive dup2 order loses one of the pipes. */
	swap[0] = (struct spawn_fd_map){ 40, 41 };
	swap[1] = (struct spawn_fd_map){ 41, 40 };
	run_sh("printf A >&41; printf B >&40", swap, 2, 9, false, &status);
	close(40);
	close(41);
	assert_int_equal(read(a[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'A');
	assert_int_equal(read(b[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'B');
	close(a[0]);
	close(b[0]);
}

static void unmapped_fds_are_closed_in_the_child(void **state)
{
	int status;

	/* Not close-on-exec: only spawn's hygiene keeps it out of the child. */
	assert_int_equal(dup2(STDERR_FILENO, 50), 50);
	assert_string_equal(run_sh("[ -e /proc/self/fd/50 ] && echo open || echo closed >&5",
				   NULL, 0, 5, false, &status),
			    "closed\n");
	close(50);
}

static void unmapped_stdio_is_dev_null_unless_inherited(void **state)
{
	int status, saved = dup(STDIN_FILENO), p[2];

	assert_string_equal(run_sh("readlink /proc/self/fd/0", NULL, 0, 1, false, &status),
			    "/dev/null\n");
	/* Give ourselves a pipe as stdin: an inheriting child must see that pipe. */
	assert_int_equal(pipe(p), 0);
	dup2(p[0], STDIN_FILENO);
	assert_true(strncmp(run_sh("readlink /proc/self/fd/0 >&7", NULL, 0, 7, true, &status),
			    "pipe:", 5) == 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
}

static void signal_mask_is_reset(void **state)
{
	sigset_t set, old;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	assert_string_equal(run_sh("grep SigBlk /proc/self/status", NULL, 0, 1, false, &status),
			    "SigBlk:\t0000000000000000\n");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void exec_failure_is_an_error_not_exit_127(void **state)
{
	char *argv[] = { "nope", NULL };
	struct spawn_opts o = { .path = "/nonexistent/vireo-vmm", .argv = argv };
	struct spawn_child child;
	struct err *e = NULL;

	assert_int_equal(spawn(&o, &child, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "cannot execute /nonexistent/vireo-vmm: No such file");
	assert_int_equal(child.pid, -1);
	o.path = "definitely-not-a-command-vireo";
	assert_int_equal(spawn(&o, &child, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "definitely-not-a-command-vireo");
}

static void exit_status_and_pidfd(void **state)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct spawn_opts o = { .path = "sh", .argv = argv };
	struct spawn_child child;
	int status;

	assert_int_equal(spawn(&o, &child, NULL), 0);
	assert_true(child.pid > 0);
	assert_true(child.pidfd >= 0);
	assert_int_equal(spawn_wait(&child, &status, NULL), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_int_equal(child.pidfd, -1);
}

static void bad_maps_are_refused(void **state)
{
	char *argv[] = { "true", NULL };
	struct spawn_fd_map map[SPAWN_MAX_FDS + 1] = { { 0, 0 } };
	struct spawn_opts o = { .path = "true", .argv = argv, .fds = map };
	struct spawn_child child;
	struct err *e = NULL;

	o.nfds = SPAWN_MAX_FDS + 1;
	assert_int_equal(spawn(&o, &child, &e), -1);
	assert_err(e, ERR_LIMIT, "at most 64");
	o.nfds = 1;
	map[0].src = -1;
	assert_int_equal(spawn(&o, &child, &e), -1);
	assert_err(e, ERR_INVALID, "bad fd mapping");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fd_is_mapped_to_requested_number),
		cmocka_unit_test(crossing_mappings_do_not_clobber_each_other),
		cmocka_unit_test(unmapped_fds_are_closed_in_the_child),
		cmocka_unit_test(unmapped_stdio_is_dev_null_unless_inherited),
		cmocka_unit_test(signal_mask_is_reset),
		cmocka_unit_test(exec_failure_is_an_error_not_exit_127),
		cmocka_unit_test(exit_status_and_pidfd),
		cmocka_unit_test(bad_maps_are_refused),
	};

	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
