/* -sandbox: the policy read from the options, and the filter really denying what the
 * policy says (each case runs in a child process that installs the filter, then tries
 * one thing; a denied call must kill it with SIGSYS, an allowed one must work). */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu-wrap/options.h"
#include "qemu-wrap/sandbox.h"

static void policy_of(struct sandbox_policy *p, const char *const *kv)
{
	struct vmm_props props = { 0 };

	for (; kv && kv[0]; kv += 2)
		vmm_props_set(&props, kv[0], kv[1]);
	sandbox_policy_from_props(p, &props);
	vmm_props_free(&props);
}

static void defaults_are_qemus_obsolete_deny_rest_allow(void **state)
{
	struct sandbox_policy p;

	(void)state;
	policy_of(&p, NULL);
	assert_true(p.deny_obsolete);
	assert_false(p.deny_elevate);
	assert_false(p.no_new_privs);
	assert_false(p.deny_spawn);
	assert_false(p.deny_resourcecontrol);
}

static void libvirts_line_denies_all_four(void **state)
{
	static const char *const kv[] = {
		"obsolete", "deny", "elevateprivileges", "deny", "spawn", "deny",
		"resourcecontrol", "deny", NULL,
	};
	struct sandbox_policy p;

	(void)state;
	policy_of(&p, kv);
	assert_true(p.deny_obsolete && p.deny_elevate && p.no_new_privs && p.deny_spawn &&
		    p.deny_resourcecontrol);
}

static void elevate_children_sets_only_no_new_privs(void **state)
{
	static const char *const kv[] = { "elevateprivileges", "children", "obsolete", "allow",
					  NULL };
	struct sandbox_policy p;

	(void)state;
	policy_of(&p, kv);
	assert_false(p.deny_elevate);
	assert_true(p.no_new_privs);
	assert_false(p.deny_obsolete);
}

static void *thread_fn(void *arg)
{
	return arg;
}

enum attempt { TRY_FORK, TRY_EXEC, TRY_THREAD, TRY_SETUID, TRY_SETPRIORITY, TRY_MOUNT,
	       TRY_NOTHING };

/* In a child: install p, then try one thing. Exit 0 when it was allowed and worked,
 * 3 when it was allowed but failed, 4 when installing the filter failed. */
static int run_child(const struct sandbox_policy *p, enum attempt what)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct err *e = NULL;
		pthread_t t;
		pid_t c;

		if (sandbox_apply(p, &e) < 0)
			_exit(4);
		switch (what) {
		case TRY_FORK:
			c = (pid_t)syscall(SYS_fork);
			if (c == 0)
				_exit(0);
			_exit(c > 0 ? 0 : 3);
		case TRY_EXEC:
			execl("/bin/true", "true", (char *)NULL);
			_exit(3);
		case TRY_THREAD:
			if (pthread_create(&t, NULL, thread_fn, NULL) != 0)
				_exit(3);
			pthread_join(t, NULL);
			_exit(0);
		case TRY_SETUID:
			_exit(syscall(SYS_setuid, getuid()) == 0 ? 0 : 3);
		case TRY_SETPRIORITY:
			_exit(setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0)) == 0 ? 0 : 3);
		case TRY_MOUNT:
			syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
			_exit(0);
		case TRY_NOTHING:
			_exit(0);
		}
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#define KILLED_BY_SIGSYS (128 + SIGSYS)

static void spawn_deny_kills_fork_and_exec_but_threads_work(void **state)
{
	struct sandbox_policy p = { .deny_spawn = true, .no_new_privs = true };

	(void)state;
	assert_int_equal(run_child(&p, TRY_NOTHING), 0);
	assert_int_equal(run_child(&p, TRY_FORK), KILLED_BY_SIGSYS);
	assert_int_equal(run_child(&p, TRY_EXEC), KILLED_BY_SIGSYS);
	assert_int_equal(run_child(&p, TRY_THREAD), 0);
}

static void spawn_allow_lets_fork_and_exec_through(void **state)
{
	struct sandbox_policy p = { .deny_obsolete = true };

	(void)state;
	assert_int_equal(run_child(&p, TRY_FORK), 0);
	assert_int_equal(run_child(&p, TRY_EXEC), 0);
}

static void elevate_deny_kills_setuid(void **state)
{
	struct sandbox_policy p = { .deny_elevate = true, .no_new_privs = true };
	struct sandbox_policy open_policy = { 0 };

	(void)state;
	assert_int_equal(run_child(&p, TRY_SETUID), KILLED_BY_SIGSYS);
	assert_int_equal(run_child(&open_policy, TRY_SETUID), 0);
}

static void resourcecontrol_deny_kills_setpriority(void **state)
{
	struct sandbox_policy p = { .deny_resourcecontrol = true };
	struct sandbox_policy open_policy = { 0 };

	(void)state;
	assert_int_equal(run_child(&p, TRY_SETPRIORITY), KILLED_BY_SIGSYS);
	assert_int_equal(run_child(&open_policy, TRY_SETPRIORITY), 0);
}

static void mount_is_always_denied(void **state)
{
	struct sandbox_policy open_policy = { 0 };

	(void)state;
	assert_int_equal(run_child(&open_policy, TRY_MOUNT), KILLED_BY_SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_qemus_obsolete_deny_rest_allow),
		cmocka_unit_test(libvirts_line_denies_all_four),
		cmocka_unit_test(elevate_children_sets_only_no_new_privs),
		cmocka_unit_test(spawn_deny_kills_fork_and_exec_but_threads_work),
		cmocka_unit_test(spawn_allow_lets_fork_and_exec_through),
		cmocka_unit_test(elevate_deny_kills_setuid),
		cmocka_unit_test(resourcecontrol_deny_kills_setpriority),
		cmocka_unit_test(mount_is_always_denied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
