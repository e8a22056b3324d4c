/* Strings and string vectors. */
#ifndef VIREO_UTIL_STR_H
#define VIREO_UTIL_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);

/* A growable, always NULL-terminated vector of owned strings: argv building,
 * message parts, directory listings. */
struct strv {
	char **items;	/* items[len] == NULL whenever items != NULL */
	size_t len;
	size_t cap;
};
#define STRV_INIT { NULL, 0, 0 }

void strv_push(struct strv *v, const char *s);		/* copies s */
void strv_push_take(struct strv *v, char *s);		/* takes ownership of s */
void strv_pushf(struct strv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Join with sep into a new string ("" for an empty vector). */
char *strv_join(const struct strv *v, const char *sep);
/* The NULL-terminated array, valid until the next push (never NULL). */
char *const *strv_array(struct strv *v);
/* Split s at every occurrence of the character sep (empty fields kept). */
void strv_split(struct strv *v, const char *s, char sep);
void strv_free(struct strv *v);

#endif
