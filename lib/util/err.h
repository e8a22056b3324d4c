/* One error type for every layer.
 *
 * A function that can fail returns -1 (or NULL) and, when the caller passed a
 * non-NULL `struct err **errp`, stores an error there. The error carries a stable
 * code string (what kind of failure: the RPC and the CLI map it to messages and exit
 * codes), a message for humans (already translated), and an optional cause: the
 * lower-level error it wraps, so "cannot define 'web': cannot write
 * /etc/vireo/domains/web.xml: No space left on device" reads top-down.
 *
 * Codes are part of the protocol: never rename one, only add. */
#ifndef VIREO_UTIL_ERR_H
#define VIREO_UTIL_ERR_H

#include <stdarg.h>
#include <stdbool.h>

#define ERR_INTERNAL	"internal-error"	/* a bug in vireo */
#define ERR_INVALID	"invalid-argument"	/* a value the caller gave is wrong */
#define ERR_USAGE	"usage"			/* command-line misuse */
#define ERR_RANGE	"out-of-range"		/* a number outside its allowed range */
#define ERR_PARSE	"parse-error"		/* malformed text: XML, JSON, options */
#define ERR_UNSUPPORTED	"unsupported"		/* valid, but vireo does not do it */
#define ERR_NOT_FOUND	"not-found"		/* no such file, domain, device */
#define ERR_EXISTS	"already-exists"
#define ERR_PERM	"permission-denied"
#define ERR_IO		"io-error"		/* read/write/fsync failed */
#define ERR_SYSTEM	"system-error"		/* a system call failed otherwise */
#define ERR_TIMEOUT	"timeout"
#define ERR_LIMIT	"limit-exceeded"	/* a size or count limit was hit */

struct err {
	char *code;		/* one of the ERR_* strings */
	char *message;		/* human-readable, translated */
	struct err *cause;	/* what this error wraps, or NULL */
};

/* Store a new error in *errp (if errp is non-NULL and *errp is still NULL: the first
 * error wins). Returns -1 so callers can write `return err_set(...)`. */
int err_set(struct err **errp, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_setv(struct err **errp, const char *code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like err_set, with ": <strerror(errnum)>" appended to the message. */
int err_set_errno(struct err **errp, const char *code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Replace *errp with a new error whose cause is the old one. If *errp is NULL this is
 * err_set. Returns -1. */
int err_wrap(struct err **errp, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The code of the outermost error (ERR_INTERNAL for NULL). */
const char *err_code(const struct err *e);

/* True if e or any of its causes has this code. */
bool err_has_code(const struct err *e, const char *code);

/* "message: cause message: ..." in a new string; the caller frees it. */
char *err_describe(const struct err *e);

/* Exit status for a command-line tool that failed with e (see err.c's table). */
int err_exit_code(const struct err *e);

/* Map an errno value to the closest code (ENOENT -> not-found, EACCES -> ...). */
const char *err_code_from_errno(int errnum);

void err_free(struct err *e);
/* Free *errp and set it to NULL. */
void err_clear(struct err **errp);

#endif
