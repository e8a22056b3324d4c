/* Strict number parsing, used everywhere instead of atoi/strtol.
 *
 * The whole string must be the number: no leading blanks, no trailing junk, no sign
 * on unsigned values (strtoull happily turns "-1" into 2^64-1). Decimal, or hex with
 * 0x; a leading 0 is still decimal (no octal surprises in "010"). Every failure
 * names the text and the allowed range. */
#ifndef VIREO_UTIL_PARSE_H
#define VIREO_UTIL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct err **errp);
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out, struct err **errp);
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out, struct err **errp);
int parse_int(const char *s, int min, int max, int *out, struct err **errp);

/* QEMU-style size: "4096", "64M", "1.5G"; suffixes B K M G T P E (any case, powers of
 * 1024). A bare number is in bytes. */
int parse_size(const char *s, uint64_t *out, struct err **errp);
/* The same with another unit for bare numbers (QEMU's -m takes MiB). */
int parse_size_default(const char *s, uint64_t default_unit, uint64_t *out, struct err **errp);

/* libvirt's scaled integers: value in `unit` to bytes. Units as libvirt: b, byte,
 * bytes = 1; k, KiB = 1024, KB = 1000; likewise M, G, T, P, E; case-insensitive.
 * NULL or "" unit means default_scale. Fails if the result exceeds max. */
int parse_scaled(uint64_t value, const char *unit, uint64_t default_scale, uint64_t max,
		 uint64_t *out, struct err **errp);

/* on/off, yes/no, true/false (QEMU's spellings). */
int parse_bool(const char *s, bool *out, struct err **errp);

#endif
