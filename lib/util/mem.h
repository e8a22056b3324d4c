/* Allocation helpers.
 *
 * Running out of memory aborts the process with a message, as glib and libvirt do:
 * every caller handling a NULL from malloc would add thousands of untested paths.
 * What we do check is size arithmetic: a size computed from input that overflows is
 * an error the caller reports (see buf.h), never a short allocation. */
#ifndef VIREO_UTIL_MEM_H
#define VIREO_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xzalloc(size_t size);
/* calloc-style: n * size, aborting if the product overflows. */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Free *pp and set it to NULL. */
#define XFREE(pp) do { free(*(pp)); *(pp) = NULL; } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
