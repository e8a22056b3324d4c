#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->limit = limit ? limit : BUF_DEFAULT_LIMIT;
}

int buf_reserve(struct buf *b, size_t extra, struct err **errp)
{
	size_t want, cap;

	if (extra > b->limit || b->len > b->limit - extra)
		return err_set(errp, ERR_LIMIT,
			       _("buffer limit of %zu bytes exceeded (have %zu, adding %zu)"),
			       b->limit, b->len, extra);
	want = b->len + extra + 1;	/* + NUL; cannot wrap: limit <= 2^40 */
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len, struct err **errp)
{
	if (buf_reserve(b, len, errp) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_append_str(struct buf *b, const char *s, struct err **errp)
{
	return buf_append(b, s, strlen(s), errp);
}

int buf_appendf(struct buf *b, struct err **errp, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = buf_append_str(b, s, errp);
	free(s);
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_clear(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
