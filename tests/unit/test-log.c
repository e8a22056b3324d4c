/* Unit tests: lib/util/log */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/log.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* Everything a logger wrote to its fd so far. */
static char *captured(int fd)
{
	static char text[4096];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void level_names_parse_both_ways(void **state)
{
	enum log_level l;
	struct err *e = NULL;

	assert_int_equal(log_level_parse("debug", &l, &e), 0);
	assert_int_equal(l, VLOG_DEBUG);
	assert_int_equal(log_level_parse("WARN", &l, &e), 0);
	assert_int_equal(l, VLOG_WARNING);
	assert_int_equal(log_level_parse("2", &l, &e), 0);
	assert_int_equal(l, VLOG_INFO);
	assert_int_equal(log_level_parse("loud", &l, &e), -1);
	assert_err(e, ERR_INVALID, "invalid log level 'loud'");
	assert_string_equal(log_level_name(VLOG_ERROR), "error");
}

static void vireo_log_and_verbose_set_the_level(void **state)
{
	struct logger lg;
	struct err *e = NULL;

	unsetenv("VIREO_LOG");
	logger_init(&lg, "t", 0, &e);
	assert_int_equal(lg.level, VLOG_WARNING);
	logger_init(&lg, "t", 1, &e);
	assert_int_equal(lg.level, VLOG_INFO);
	logger_init(&lg, "t", 5, &e);
	assert_int_equal(lg.level, VLOG_DEBUG);
	setenv("VIREO_LOG", "error", 1);
	logger_init(&lg, "t", 1, &e);
	assert_int_equal(lg.level, VLOG_WARNING);
	setenv("VIREO_LOG", "nonsense", 1);
	assert_int_equal(logger_init(&lg, "t", 0, &e), -1);
	assert_err(e, ERR_INVALID, "nonsense");
	assert_int_equal(lg.level, VLOG_WARNING);
	unsetenv("VIREO_LOG");
}

static void messages_below_level_are_dropped(void **state)
{
	struct logger lg;
	int fd = memfd_create("log", 0);

	unsetenv("VIREO_LOG");
	unsetenv("JOURNAL_STREAM");
	logger_init(&lg, "vireod", 0, NULL);
	lg.fd = fd;
	log_info(&lg, "hidden %d", 1);
	log_warning(&lg, "shown %d", 2);
	assert_string_equal(captured(fd), "vireod: warning: shown 2\n");
	close(fd);
}

static void journal_stream_is_detected_by_device_and_inode(void **state)
{
	struct stat st;
	char *js;
	int fd = memfd_create("stream", 0);

	assert_int_equal(fstat(fd, &st), 0);
	js = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
		       (unsigned long long)st.st_ino);
	assert_true(log_fd_is_journal_stream(fd, js));
	free(js);
	js = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
		       (unsigned long long)st.st_ino + 1);
	assert_false(log_fd_is_journal_stream(fd, js));
	free(js);
	assert_false(log_fd_is_journal_stream(fd, "garbage"));
	assert_false(log_fd_is_journal_stream(fd, NULL));
	close(fd);
}

static void journal_target_never_writes_stderr(void **state)
{
	struct logger lg;
	struct stat st;
	char *js;
	int saved = dup(STDERR_FILENO), fd = memfd_create("stderr", 0);

	/* Make stderr "the journal stream" the way systemd announces it. */
	dup2(fd, STDERR_FILENO);
	fstat(STDERR_FILENO, &st);
	js = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
		       (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	logger_init(&lg, "t", 0, NULL);
	assert_int_equal(lg.target, VLOG_TO_JOURNAL);
	log_error(&lg, "to the journal only");
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_string_equal(captured(fd), "");
	unsetenv("JOURNAL_STREAM");
	logger_init(&lg, "t", 0, NULL);
	assert_int_equal(lg.target, VLOG_TO_STDERR);
	free(js);
	close(fd);
}

static void errors_are_logged_with_their_causes(void **state)
{
	struct logger lg;
	struct err *e = NULL;
	int fd = memfd_create("log", 0);

	unsetenv("JOURNAL_STREAM");
	logger_init(&lg, "x", 0, NULL);
	lg.fd = fd;
	err_set(&e, ERR_IO, "disk full");
	err_wrap(&e, ERR_INTERNAL, "cannot save");
	log_err(&lg, VLOG_ERROR, e);
	assert_string_equal(captured(fd), "x: error: cannot save: disk full\n");
	err_free(e);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(level_names_parse_both_ways),
		cmocka_unit_test(vireo_log_and_verbose_set_the_level),
		cmocka_unit_test(messages_below_level_are_dropped),
		cmocka_unit_test(journal_stream_is_detected_by_device_and_inode),
		cmocka_unit_test(journal_target_never_writes_stderr),
		cmocka_unit_test(errors_are_logged_with_their_causes),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
