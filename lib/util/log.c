#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

static const char *const level_names[] = {
	[VLOG_ERROR] = "error",
	[VLOG_WARNING] = "warning",
	[VLOG_INFO] = "info",
	[VLOG_DEBUG] = "debug",
};

/* Journal priorities for our levels (syslog numbering). */
static const int level_priority[] = {
	[VLOG_ERROR] = LOG_ERR,
	[VLOG_WARNING] = LOG_WARNING,
	[VLOG_INFO] = LOG_INFO,
	[VLOG_DEBUG] = LOG_DEBUG,
};

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= ARRAY_SIZE(level_names))
		return "unknown";
	return level_names[level];
}

int log_level_parse(const char *s, enum log_level *out, struct err **errp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warn") == 0) {
		*out = VLOG_WARNING;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0') {
		*out = (enum log_level)(s[0] - '0');
		return 0;
	}
	return err_set(errp, ERR_INVALID,
		       _("invalid log level '%s' (expected error, warning, info or debug)"), s);
}

bool log_fd_is_journal_stream(int fd, const char *journal_stream)
{
	uint64_t dev, ino;
	struct stat st;
	char tail;

	/* systemd sets JOURNAL_STREAM=<device>:<inode> of the stream it connected to
	 * stdout/stderr; if stderr has been redirected since, they no longer match. */
	if (!journal_stream)
		return false;
	if (sscanf(journal_stream, "%" SCNu64 ":%" SCNu64 "%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

int logger_init(struct logger *lg, const char *ident, int verbose, struct err **errp)
{
	const char *env = getenv("VIREO_LOG");
	int rc = 0;
	int level;

	memset(lg, 0, sizeof(*lg));
	lg->level = VLOG_WARNING;
	lg->fd = STDERR_FILENO;
	snprintf(lg->ident, sizeof(lg->ident), "%s", ident);
	if (env && *env)
		rc = log_level_parse(env, &lg->level, errp);
	level = (int)lg->level + (verbose > 0 ? verbose : 0);
	lg->level = level > VLOG_DEBUG ? VLOG_DEBUG : (enum log_level)level;
	lg->target = log_fd_is_journal_stream(STDERR_FILENO, getenv("JOURNAL_STREAM"))
			     ? VLOG_TO_JOURNAL
			     : VLOG_TO_STDERR;
	return rc;
}

static void write_stderr_line(const struct logger *lg, enum log_level level, const char *msg)
{
	char stamp[40] = "";
	char *line;
	size_t len, off = 0;

	if (lg->timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03ld ",
			 ts.tv_nsec / 1000000);
	}
	line = xasprintf("%s%s: %s: %s\n", stamp, lg->ident, log_level_name(level), msg);
	/* One write() per line so lines from several processes sharing the log file do
	 * not interleave mid-line. */
	len = strlen(line);
	while (off < len) {
		ssize_t n = write(lg->fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(line);
}

void log_msgv(const struct logger *lg, enum log_level level, const char *fmt, va_list ap)
{
	char *msg;

	if (!lg || level > lg->level)
		return;
	msg = xvasprintf(fmt, ap);
	if (lg->target == VLOG_TO_JOURNAL)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level_priority[level],
				"SYSLOG_IDENTIFIER=%s", lg->ident, NULL);
	else
		write_stderr_line(lg, level, msg);
	free(msg);
}

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_msgv(lg, level, fmt, ap);
	va_end(ap);
}

void log_err(const struct logger *lg, enum log_level level, const struct err *e)
{
	char *text = err_describe(e);

	log_msg(lg, level, "%s", text);
	free(text);
}
