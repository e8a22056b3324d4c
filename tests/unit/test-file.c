/* Unit tests: lib/util/file (atomic writes, bounded reads, directories) */
#include "tests/unit/unit.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/file.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define CONTENT_SIZE (64 * 1024)

/* Distinct, easily recognised contents: every byte of "old" is 'o', of "new" 'n'. */
static char *content(char fill)
{
	char *p = xmalloc(CONTENT_SIZE);

	memset(p, fill, CONTENT_SIZE);
	return p;
}

static void assert_file_is(const char *path, char fill)
{
	char *data = NULL;
	size_t len = 0, i;

	assert_int_equal(file_read_all(path, 1 << 20, &data, &len, NULL), 0);
	assert_int_equal(len, CONTENT_SIZE);
	for (i = 0; i < len; i++)
		if (data[i] != fill)
			fail_msg("byte %zu is '%c', expected '%c' throughout", i, data[i], fill);
	free(data);
}

static void write_then_read_back(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "a.xml"), *data;
	size_t len;
	struct stat st;

	assert_int_equal(file_write_atomic(path, "one", 3, 0640, NULL), 0);
	assert_int_equal(file_write_atomic(path, "second", 6, 0600, NULL), 0);
	assert_int_equal(file_read_all(path, 100, &data, &len, NULL), 0);
	assert_string_equal(data, "second");
	assert_int_equal(len, 6);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(data);
	free(path);
	rm_rf(dir);
	free(dir);
}

struct kill_point {
	enum atomic_step at;
	int report_fd;
};

/* In the child: tell the parent we reached the step, then wait to be killed. */
static void stop_at_step(enum atomic_step s, void *arg)
{
	struct kill_point *kp = arg;

	if (s != kp->at)
		return;
	if (write(kp->report_fd, "x", 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

static void kill_writer_at(const char *path, enum atomic_step at)
{
	int pipefd[2];
	pid_t pid;
	char c;
	struct pollfd pfd;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kill_point kp = { .at = at, .report_fd = pipefd[1] };
		struct atomic_file af = { .step_hook = stop_at_step, .step_arg = &kp };
		char *fresh = content('n');

		if (atomic_file_begin(&af, path, 0644, NULL) < 0)
			_exit(1);
		/* Two halves, so ATOMIC_WRITTEN stops the writer mid-content. */
		if (atomic_file_write(&af, fresh, CONTENT_SIZE / 2, NULL) < 0 ||
		    atomic_file_write(&af, fresh + CONTENT_SIZE / 2, CONTENT_SIZE / 2, NULL) < 0 ||
		    atomic_file_commit(&af, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
}

static void sigkill_at_every_step_leaves_old_or_new_intact(void **state)
{
	static const struct {
		enum atomic_step at;
		char expect;
	} cases[] = {
		{ ATOMIC_CREATED, 'o' },
		{ ATOMIC_WRITTEN, 'o' },	/* half the new content written */
		{ ATOMIC_SYNCED, 'o' },
		{ ATOMIC_RENAMED, 'n' },
		{ ATOMIC_DIR_SYNCED, 'n' },
	};
	char *dir = make_temp_dir(), *path = path_join(dir, "dom.xml"), *old = content('o');
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(file_write_atomic(path, old, CONTENT_SIZE, 0644, NULL), 0);
		kill_writer_at(path, cases[i].at);
		assert_file_is(path, cases[i].expect);
	}
	free(old);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void sigkill_at_random_moments_never_truncates(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "dom.xml");
	char *old = content('o'), *fresh = content('n');
	int round;

	assert_int_equal(file_write_atomic(path, old, CONTENT_SIZE, 0644, NULL), 0);
	srand((unsigned)time(NULL));
	for (round = 0; round < 30; round++) {
		char *data = NULL;
		size_t len = 0, i;
		pid_t pid = fork();

		if (pid == 0) {
			/* Rewrite alternately with each content until killed. */
			for (int k = 0;; k++)
				file_write_atomic(path, k % 2 ? old : fresh, CONTENT_SIZE, 0644, NULL);
		}
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_int_equal(file_read_all(path, 1 << 20, &data, &len, NULL), 0);
		assert_int_equal(len, CONTENT_SIZE);
		for (i = 1; i < len; i++)
			assert_int_equal(data[i], data[0]);
		free(data);
	}
	free(old);
	free(fresh);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void leftover_temporaries_are_recognisable(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "web.xml");
	struct atomic_file af = { 0 };
	struct dirent *de;
	DIR *d;
	int temps = 0;

	assert_int_equal(atomic_file_begin(&af, path, 0644, NULL), 0);
	d = opendir(dir);
	while ((de = readdir(d)))
		if (file_is_atomic_temp(de->d_name))
			temps++;
	closedir(d);
	assert_int_equal(temps, 1);
	atomic_file_abort(&af);
	assert_int_equal(access(path, F_OK), -1);
	assert_false(file_is_atomic_temp("web.xml"));
	assert_false(file_is_atomic_temp(".hidden"));
	free(path);
	rm_rf(dir);
	free(dir);
}

static void errors_name_the_path(void **state)
{
	struct err *e = NULL;
	char *data;

	assert_int_equal(file_write_atomic("/nonexistent-dir/x.xml", "a", 1, 0644, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "/nonexistent-dir");
	assert_int_equal(file_read_all("/nonexistent-file", 10, &data, NULL, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "cannot open /nonexistent-file");
	assert_int_equal(file_write_atomic("/", "a", 1, 0644, &e), -1);
	assert_err(e, ERR_INVALID, "does not name a file");
}

static void read_all_enforces_its_limit(void **state)
{
	char *dir = make_temp_dir(), *path = path_join(dir, "big"), *data;
	char *big = content('b');
	struct err *e = NULL;

	file_write_atomic(path, big, CONTENT_SIZE, 0644, NULL);
	assert_int_equal(file_read_all(path, 1000, &data, NULL, &e), -1);
	assert_err(e, ERR_LIMIT, "larger than 1000 bytes");
	free(big);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void mkdir_p_and_path_join(void **state)
{
	char *dir = make_temp_dir(), *deep = path_join(dir, "a/b/c"), *file, *j;
	struct err *e = NULL;
	struct stat st;

	assert_int_equal(mkdir_p(deep, 0755, &e), 0);
	assert_int_equal(mkdir_p(deep, 0755, &e), 0);	/* exists: fine */
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	file = path_join(deep, "f");
	file_write_atomic(file, "x", 1, 0644, NULL);
	assert_int_equal(mkdir_p(file, 0755, &e), -1);
	assert_err(e, ERR_EXISTS, "not a directory");
	j = path_join("/", "etc/vireo");
	assert_string_equal(j, "/etc/vireo");
	free(j);
	j = path_join("/tmp/root//", "/run/vireo");
	assert_string_equal(j, "/tmp/root/run/vireo");
	free(j);
	free(file);
	free(deep);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_then_read_back),
		cmocka_unit_test(sigkill_at_every_step_leaves_old_or_new_intact),
		cmocka_unit_test(sigkill_at_random_moments_never_truncates),
		cmocka_unit_test(leftover_temporaries_are_recognisable),
		cmocka_unit_test(errors_name_the_path),
		cmocka_unit_test(read_all_enforces_its_limit),
		cmocka_unit_test(mkdir_p_and_path_join),
	};

	return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
