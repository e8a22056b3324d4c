#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/err.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

int err_setv(struct err **errp, const char *code, const char *fmt, va_list ap)
{
	struct err *e;

	if (!errp || *errp)
		return -1;
	e = xzalloc(sizeof(*e));
	e->code = xstrdup(code ? code : ERR_INTERNAL);
	e->message = xvasprintf(fmt, ap);
	*errp = e;
	return -1;
}

int err_set(struct err **errp, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(errp, code, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_errno(struct err **errp, const char *code, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!errp || *errp)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(errp, code ? code : err_code_from_errno(errnum), "%s: %s", msg,
		strerror(errnum));
	free(msg);
	return -1;
}

int err_wrap(struct err **errp, const char *code, const char *fmt, ...)
{
	struct err *cause;
	va_list ap;

	if (!errp)
		return -1;
	cause = *errp;
	*errp = NULL;
	va_start(ap, fmt);
	err_setv(errp, code, fmt, ap);
	va_end(ap);
	(*errp)->cause = cause;
	return -1;
}

const char *err_code(const struct err *e)
{
	return e ? e->code : ERR_INTERNAL;
}

bool err_has_code(const struct err *e, const char *code)
{
	for (; e; e = e->cause)
		if (strcmp(e->code, code) == 0)
			return true;
	return false;
}

char *err_describe(const struct err *e)
{
	struct strv parts = STRV_INIT;
	char *out;

	if (!e)
		return xstrdup("unknown error");
	for (; e; e = e->cause)
		strv_push(&parts, e->message);
	out = strv_join(&parts, ": ");
	strv_free(&parts);
	return out;
}

/* Exit statuses of the command-line tools, per kind of error. 1 is the general
 * failure, as virsh uses; misuse of the command line is 2, as for most Unix tools. */
static const struct {
	const char *code;
	int status;
} exit_codes[] = {
	{ ERR_USAGE, 2 },
};

int err_exit_code(const struct err *e)
{
	size_t i;

	if (!e)
		return 0;
	for (i = 0; i < ARRAY_SIZE(exit_codes); i++)
		if (strcmp(exit_codes[i].code, e->code) == 0)
			return exit_codes[i].status;
	return 1;
}

const char *err_code_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENODEV:
	case ESRCH:
		return ERR_NOT_FOUND;
	case EEXIST:
		return ERR_EXISTS;
	case EACCES:
	case EPERM:
		return ERR_PERM;
	case EINVAL:
		return ERR_INVALID;
	case ERANGE:
	case EOVERFLOW:
		return ERR_RANGE;
	case EIO:
	case ENOSPC:
	case EDQUOT:
	case EROFS:
		return ERR_IO;
	case ETIMEDOUT:
		return ERR_TIMEOUT;
	case ENOTSUP:
		return ERR_UNSUPPORTED;
	default:
		return ERR_SYSTEM;
	}
}

void err_free(struct err *e)
{
	while (e) {
		struct err *cause = e->cause;

		free(e->code);
		free(e->message);
		free(e);
		e = cause;
	}
}

void err_clear(struct err **errp)
{
	if (!errp)
		return;
	err_free(*errp);
	*errp = NULL;
}
