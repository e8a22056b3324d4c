#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/util/mem.h"
#include "lib/util/str.h"

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "vireo: out of memory formatting a string\n");
		abort();
	}
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

void strv_push_take(struct strv *v, char *s)
{
	if (v->len + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = xreallocarray(v->items, v->cap, sizeof(*v->items));
	}
	v->items[v->len++] = s;
	v->items[v->len] = NULL;
}

void strv_push(struct strv *v, const char *s)
{
	strv_push_take(v, xstrdup(s));
}

void strv_pushf(struct strv *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push_take(v, xvasprintf(fmt, ap));
	va_end(ap);
}

char *strv_join(const struct strv *v, const char *sep)
{
	size_t total = 1, seplen = strlen(sep), i;
	char *out, *p;

	for (i = 0; i < v->len; i++)
		total += strlen(v->items[i]) + (i ? seplen : 0);
	out = p = xmalloc(total);
	for (i = 0; i < v->len; i++) {
		size_t n = strlen(v->items[i]);

		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, v->items[i], n);
		p += n;
	}
	*p = '\0';
	return out;
}

char *const *strv_array(struct strv *v)
{
	if (!v->items) {
		v->cap = 8;
		v->items = xcalloc(v->cap, sizeof(*v->items));
	}
	return v->items;
}

void strv_split(struct strv *v, const char *s, char sep)
{
	const char *start = s, *p;

	for (p = s;; p++) {
		if (*p == sep || *p == '\0') {
			strv_push_take(v, xstrndup(start, (size_t)(p - start)));
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
}

void strv_free(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->len = v->cap = 0;
}
