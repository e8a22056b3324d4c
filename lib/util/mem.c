#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/mem.h"

/* Not a recoverable condition for a daemon or a VMM: say so and stop. */
static void oom(size_t size)
{
	fprintf(stderr, "vireo: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

void *xzalloc(size_t size)
{
	return xcalloc(1, size);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

void *xreallocarray(void *ptr, size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		oom((size_t)-1);
	return xrealloc(ptr, n * size);
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *xmemdup(const void *src, size_t n)
{
	void *p = xmalloc(n);
	if (n)
		memcpy(p, src, n);
	return p;
}
