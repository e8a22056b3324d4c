/* Growable byte buffers with checked growth.
 *
 * A buffer has a limit (the most it may ever hold): a frame reader, say, sets it to
 * the protocol's maximum, and an append that would pass it fails with ERR_LIMIT
 * instead of allocating whatever a peer asked for. Size arithmetic is overflow
 * checked. The data is always NUL-terminated, so text can be used in place. */
#ifndef VIREO_UTIL_BUF_H
#define VIREO_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/util/err.h"

struct buf {
	char *data;	/* NULL until the first append; then data[len] == '\0' */
	size_t len;
	size_t cap;	/* allocated bytes, including room for the NUL */
	size_t limit;	/* the most len may become */
};

/* The limit when none is given: large, but far from SIZE_MAX so sums cannot wrap. */
#define BUF_DEFAULT_LIMIT ((size_t)1 << 40)

#define BUF_INIT { NULL, 0, 0, BUF_DEFAULT_LIMIT }

void buf_init(struct buf *b, size_t limit);	/* limit 0: BUF_DEFAULT_LIMIT */
/* Make room for `extra` more bytes. */
int buf_reserve(struct buf *b, size_t extra, struct err **errp);
int buf_append(struct buf *b, const void *data, size_t len, struct err **errp);
int buf_append_str(struct buf *b, const char *s, struct err **errp);
int buf_appendf(struct buf *b, struct err **errp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Drop the first n bytes (a consumed frame), keeping the rest. */
void buf_consume(struct buf *b, size_t n);
/* Give the contents to the caller (NUL-terminated, never NULL); b is emptied. */
char *buf_steal(struct buf *b);
void buf_clear(struct buf *b);	/* len = 0, memory kept */
void buf_free(struct buf *b);

#endif
