/* Unit tests: daemon/runtime (what /proc says about workers, status files, domain
 * logs) and daemon/registry (lookups as virsh resolves them). */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/domain.h"
#include "daemon/runtime.h"
#include "lib/util/file.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

static void start_time_tells_a_live_process_from_a_reused_pid(void **state)
{
	uint64_t t = 0;
	pid_t child;
	int status;

	assert_int_equal(proc_start_time(getpid(), &t), 0);
	assert_true(t > 0);
	assert_true(proc_matches(getpid(), t));
	assert_false(proc_matches(getpid(), t + 1));
	assert_false(proc_matches(0, t));
	/* an exited child not yet reaped (a zombie) is not running */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(proc_start_time(child, &t), 0);
	for (int i = 0; i < 200; i++) {
		char path[64], *text = NULL;
		bool zombie;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		assert_int_equal(file_read_all(path, 4096, &text, NULL, NULL), 0);
		zombie = strstr(strrchr(text, ')'), ") Z ") != NULL;
		free(text);
		if (zombie)
			break;
		usleep(5000);
	}
	assert_false(proc_matches(child, t));
	waitpid(child, &status, 0);
	assert_false(proc_matches(child, t));
}

static void cpu_time_and_rss_of_this_process(void **state)
{
	uint64_t ns = 0;
	volatile uint64_t spin = 0;
	time_t start = time(NULL);

	/* the kernel counts in clock ticks: burn CPU until one was counted */
	while (ns == 0 && time(NULL) - start < 5) {
		for (uint64_t i = 0; i < 10000000; i++)
			spin += i;
		assert_int_equal(proc_cpu_time_ns(getpid(), &ns), 0);
	}
	assert_true(ns > 0);
	assert_true(proc_rss_kib(getpid()) > 100);
	assert_int_equal(proc_rss_kib(0), 0);
}

static void status_file_round_trips_and_rejects_garbage(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "status.json");
	const char *text = "{\"pid\": 1234, \"start_time\": 987654321, \"id\": 7, "
			   "\"state\": \"paused\", \"reason\": \"user\", \"persistent\": true}";
	struct runtime_status st;
	struct err *e = NULL;

	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600, NULL), 0);
	assert_int_equal(runtime_load_status(path, &st, NULL), 0);
	assert_int_equal(st.pid, 1234);
	assert_int_equal(st.start_time, 987654321);
	assert_int_equal(st.id, 7);
	assert_string_equal(st.state, "paused");
	assert_string_equal(st.reason, "user");
	assert_true(st.persistent);
	assert_false(st.starting);	/* an older vireod's file: a finished start */
	text = "{\"pid\": 1234, \"state\": \"paused\", \"starting\": true}";
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600, NULL), 0);
	assert_int_equal(runtime_load_status(path, &st, NULL), 0);
	assert_true(st.starting);
	assert_int_equal(file_write_atomic(path, "{\"pid\": \"x\"}", 12, 0600, NULL), 0);
	assert_int_equal(runtime_load_status(path, &st, &e), -1);
	assert_err(e, ERR_PARSE, "not a valid status file");
	assert_int_equal(file_write_atomic(path, "{\"pi", 4, 0600, NULL), 0);
	assert_int_equal(runtime_load_status(path, &st, &e), -1);
	assert_err(e, ERR_PARSE, "not a valid status file");
	free(path);
	rm_rf(dir);
	free(dir);
}

static struct daemon *test_daemon(const char *root)
{
	struct daemon *d = xzalloc(sizeof(*d));

	assert_int_equal(daemon_paths_init(&d->paths, root, NULL), 0);
	assert_int_equal(daemon_paths_create(&d->paths, NULL), 0);
	assert_int_equal(logger_init(&d->log, "test", 0, NULL), 0);
	d->reg.next_id = 1;
	return d;
}

static void free_daemon(struct daemon *d)
{
	registry_free(d);
	daemon_paths_free(&d->paths);
	free(d);
}

static void log_tail_gives_this_starts_last_words(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "web.log"), *tail;
	struct daemon *d = test_daemon(dir);
	off_t off;
	int fd;

	fd = domain_log_open(d, path, "starting domain web: first", &off, NULL);
	assert_true(fd >= 0);
	assert_int_equal(fd_write_all(fd, "old output\n", 11), 0);
	close(fd);
	fd = domain_log_open(d, path, "starting domain web: second", &off, NULL);
	assert_int_equal(fd_write_all(fd, "qemu: cannot open /x\nbye\n", 25), 0);
	close(fd);
	tail = domain_log_tail(path, off, 2048);
	assert_string_equal(tail, "qemu: cannot open /x\nbye");
	free(tail);
	/* at most max bytes, starting at a whole line */
	tail = domain_log_tail(path, off, 10);
	assert_string_equal(tail, "bye");
	free(tail);
	tail = domain_log_tail("/nonexistent/log", 0, 100);
	assert_string_equal(tail, "");
	free(tail);
	free_daemon(d);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void log_cap_cuts_a_log_a_running_worker_appends_to(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "big.log"), *text = NULL;
	struct daemon *d = test_daemon(dir);
	char chunk[4096];
	struct stat st;
	off_t off;
	int fd = domain_log_open(d, path, "start", &off, NULL);

	memset(chunk, 'x', sizeof(chunk));
	for (off_t n = 0; n <= DOMAIN_LOG_MAX; n += sizeof(chunk))
		assert_int_equal(fd_write_all(fd, chunk, sizeof(chunk)), 0);
	domain_log_cap(d, path);
	assert_int_equal(fd_write_all(fd, "after\n", 6), 0);	/* O_APPEND: at the new end */
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 200);
	assert_int_equal(file_read_all(path, 4096, &text, NULL, NULL), 0);
	assert_non_null(strstr(text, "log cut"));
	assert_true(str_ends_with(text, "\nafter\n"));
	free(text);
	free_daemon(d);
	free(path);
	rm_rf(dir);
	free(dir);
}

static struct domain *add_domain(struct daemon *d, const char *name, const char *uuid)
{
	char *xml = xasprintf("<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
			      "<memory>65536</memory><os><type>hvm</type></os></domain>",
			      name, uuid);
	struct vdomain *def = vdomain_parse(xml, strlen(xml), "t.xml", NULL, NULL);

	free(xml);
	assert_non_null(def);
	return registry_add(d, def, true);
}

static void references_resolve_as_virsh_does(void **state)
{
	char *dir = make_temp_dir();
	struct daemon *d = test_daemon(dir);
	struct domain *web = add_domain(d, "web", "11111111-2222-3333-4444-555555555555");
	struct domain *three = add_domain(d, "3", "aaaaaaaa-2222-3333-4444-555555555555");
	struct err *e = NULL;

	assert_ptr_equal(registry_find(d, "web"), web);
	assert_ptr_equal(registry_find(d, "11111111-2222-3333-4444-555555555555"), web);
	assert_ptr_equal(registry_find(d, "11111111222233334444555555555555"), web);
	/* "3" is a name while no running domain has id 3 ... */
	assert_ptr_equal(registry_find(d, "3"), three);
	/* ... and an id once one has */
	web->id = 3;
	assert_ptr_equal(registry_find(d, "3"), web);
	web->id = -1;
	assert_null(registry_lookup(d, "nope", &e));
	assert_err(e, "no-domain", "failed to get domain 'nope'");
	assert_null(registry_find(d, "-1"));
	free_daemon(d);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_time_tells_a_live_process_from_a_reused_pid),
		cmocka_unit_test(cpu_time_and_rss_of_this_process),
		cmocka_unit_test(status_file_round_trips_and_rejects_garbage),
		cmocka_unit_test(log_tail_gives_this_starts_last_words),
		cmocka_unit_test(log_cap_cuts_a_log_a_running_worker_appends_to),
		cmocka_unit_test(references_resolve_as_virsh_does),
	};

	signal(SIGCHLD, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
