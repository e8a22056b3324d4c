/* Logging.
 *
 * A logger is a plain value owned by main() and handed to whatever needs it; there
 * is no process-wide logger. It writes to stderr, or, when systemd's JOURNAL_STREAM
 * says that stderr already is a journal stream, to the journal with structured
 * fields (priority, identifier) instead: never to both, so no line appears twice.
 *
 * The level comes from VIREO_LOG (error, warning, info, debug) and is raised one
 * step per --verbose. */
#ifndef VIREO_UTIL_LOG_H
#define VIREO_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "lib/util/err.h"

/* Not LOG_ERR & co.: <syslog.h> owns those names. */
enum log_level {
	VLOG_ERROR = 0,
	VLOG_WARNING = 1,
	VLOG_INFO = 2,
	VLOG_DEBUG = 3,
};

enum log_target {
	VLOG_TO_STDERR,
	VLOG_TO_JOURNAL,
};

struct logger {
	enum log_level level;	/* messages above this level are dropped */
	enum log_target target;
	int fd;			/* where VLOG_TO_STDERR writes (2 unless a test changes it) */
	bool timestamps;	/* prefix stderr lines with the wall-clock time */
	char ident[32];		/* "vireod", "vireo-vmm", ... */
};

/* Set up from the environment: VIREO_LOG for the level (default warning), plus
 * `verbose` steps; JOURNAL_STREAM for the target. An unparsable VIREO_LOG is
 * reported through errp; the logger is still usable (default level). */
int logger_init(struct logger *lg, const char *ident, int verbose, struct err **errp);

/* "error", "warning"/"warn", "info", "debug", or a digit 0-3. */
int log_level_parse(const char *s, enum log_level *out, struct err **errp);
const char *log_level_name(enum log_level level);

/* True when fd is the stream named by JOURNAL_STREAM ("<dev>:<inode>"). */
bool log_fd_is_journal_stream(int fd, const char *journal_stream);

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_msgv(const struct logger *lg, enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Log an error object as one line, with its causes. */
void log_err(const struct logger *lg, enum log_level level, const struct err *e);

#define log_error(lg, ...)	log_msg((lg), VLOG_ERROR, __VA_ARGS__)
#define log_warning(lg, ...)	log_msg((lg), VLOG_WARNING, __VA_ARGS__)
#define log_info(lg, ...)	log_msg((lg), VLOG_INFO, __VA_ARGS__)
#define log_debug(lg, ...)	log_msg((lg), VLOG_DEBUG, __VA_ARGS__)

#endif
