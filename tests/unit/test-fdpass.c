/* Unit tests: lib/util/fdpass */
#include "tests/unit/unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util/fdpass.h"

static int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void passed_fds_work_and_are_cloexec(void **state)
{
	int sv[2], p[2], got[4];
	size_t nfds;
	char data[8], c;
	struct err *e = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fdpass_send(sv[0], "tap", 3, &p[1], 1, &e), 0);
	assert_int_equal(fdpass_recv(sv[1], data, sizeof(data), got, 4, &nfds, &e), 3);
	assert_int_equal(nfds, 1);
	assert_memory_equal(data, "tap", 3);
	assert_true(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	/* The received fd is the same pipe: a byte written to it comes out of p[0]. */
	assert_int_equal(write(got[0], "z", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	close(got[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void many_fds_in_one_message(void **state)
{
	int sv[2], fds[200], got[FDPASS_MAX_FDS];
	size_t nfds, i;
	char b;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (i = 0; i < 200; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	assert_int_equal(fdpass_send(sv[0], "q", 1, fds, 200, NULL), 0);
	assert_int_equal(fdpass_recv(sv[1], &b, 1, got, FDPASS_MAX_FDS, &nfds, NULL), 1);
	assert_int_equal(nfds, 200);
	for (i = 0; i < 200; i++) {
		assert_true(got[i] >= 0);
		close(got[i]);
		close(fds[i]);
	}
	close(sv[0]);
	close(sv[1]);
}

static void too_many_fds_are_all_closed_and_refused(void **state)
{
	int sv[2], fds[10], got[2];
	size_t nfds = 99, i;
	int before;
	char b;
	struct err *e = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (i = 0; i < 10; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	before = open_fd_count();
	assert_int_equal(fdpass_send(sv[0], "q", 1, fds, 10, NULL), 0);
	assert_int_equal(fdpass_recv(sv[1], &b, 1, got, 2, &nfds, &e), -1);
	assert_err(e, ERR_LIMIT, "received 10 fds, expected at most 2");
	assert_int_equal(nfds, 0);
	assert_int_equal(open_fd_count(), before);	/* nothing leaked */
	for (i = 0; i < 10; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

static void sender_checks_its_arguments(void **state)
{
	int sv[2], fds[FDPASS_MAX_FDS + 1] = { 0 };
	struct err *e = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fdpass_send(sv[0], "", 0, fds, 1, &e), -1);
	assert_err(e, ERR_INVALID, "at least one data byte");
	assert_int_equal(fdpass_send(sv[0], "x", 1, fds, FDPASS_MAX_FDS + 1, &e), -1);
	assert_err(e, ERR_LIMIT, "at most 253");
	close(sv[1]);
	assert_int_equal(fdpass_send(sv[0], "x", 1, NULL, 0, &e), -1);	/* peer gone */
	assert_err(e, ERR_SYSTEM, "cannot send fds");
	close(sv[0]);
}

static void plain_data_and_eof(void **state)
{
	int sv[2], got[1];
	size_t nfds;
	char data[16];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fdpass_send(sv[0], "hello", 5, NULL, 0, NULL), 0);
	assert_int_equal(fdpass_recv(sv[1], data, sizeof(data), got, 1, &nfds, NULL), 5);
	assert_int_equal(nfds, 0);
	close(sv[0]);
	assert_int_equal(fdpass_recv(sv[1], data, sizeof(data), got, 1, &nfds, NULL), 0);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passed_fds_work_and_are_cloexec),
		cmocka_unit_test(many_fds_in_one_message),
		cmocka_unit_test(too_many_fds_are_all_closed_and_refused),
		cmocka_unit_test(sender_checks_its_arguments),
		cmocka_unit_test(plain_data_and_eof),
	};

	return cmocka_run_group_tests_name("fdpass", tests, NULL, NULL);
}
