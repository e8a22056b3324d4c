#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/i18n.h"
#include "lib/util/parse.h"

/* Parse the digits of an unsigned number starting at s; *end gets the first byte
 * after them. Fails on no digits or overflow of 64 bits. */
static int scan_u64(const char *s, const char **end, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *p = s;
	bool any = false;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
		any = true;
	}
	*end = p;
	*out = v;
	return any ? 0 : -1;
}

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct err **errp)
{
	const char *end;
	uint64_t v;
	int rc;

	if (!s || !*s)
		return err_set(errp, ERR_INVALID, _("empty value where a number is expected"));
	rc = scan_u64(s, &end, &v);
	if (rc == -2)
		return err_set(errp, ERR_RANGE, _("'%s' is too large"), s);
	if (rc < 0 || *end)
		return err_set(errp, ERR_INVALID, _("'%s' is not a valid number"), s);
	if (v < min || v > max)
		return err_set(errp, ERR_RANGE,
			       _("'%s' is out of range (%" PRIu64 " to %" PRIu64 ")"), s, min, max);
	*out = v;
	return 0;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out, struct err **errp)
{
	bool neg = s && s[0] == '-';
	const char *end;
	uint64_t mag;
	int64_t v;
	int rc;

	if (!s || !*s)
		return err_set(errp, ERR_INVALID, _("empty value where a number is expected"));
	rc = scan_u64(s + neg, &end, &mag);
	if (rc == -1 || *end)
		return err_set(errp, ERR_INVALID, _("'%s' is not a valid number"), s);
	if (rc == -2 || mag > (uint64_t)INT64_MAX + neg)
		return err_set(errp, ERR_RANGE, _("'%s' is too large"), s);
	if (neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v = (int64_t)mag;
	if (v < min || v > max)
		return err_set(errp, ERR_RANGE,
			       _("'%s' is out of range (%" PRId64 " to %" PRId64 ")"), s, min, max);
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out, struct err **errp)
{
	uint64_t v = 0;

	if (parse_uint64(s, min, max, &v, errp) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int parse_int(const char *s, int min, int max, int *out, struct err **errp)
{
	int64_t v = 0;

	if (parse_int64(s, min, max, &v, errp) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Power-of-1024 multiplier for a QEMU size suffix letter, 0 if not one. */
static uint64_t size_suffix(char c)
{
	static const char letters[] = "bkmgtpe";
	const char *p = c ? strchr(letters, tolower((unsigned char)c)) : NULL;

	return p ? (uint64_t)1 << (10 * (p - letters)) : 0;
}

int parse_size_default(const char *s, uint64_t default_unit, uint64_t *out, struct err **errp)
{
	uint64_t whole, frac = 0, frac_div = 1, mult = default_unit;
	const char *p, *end;

	if (!s || !*s)
		return err_set(errp, ERR_INVALID, _("empty value where a size is expected"));
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint64_t v;

		if (parse_uint64(s, 0, UINT64_MAX / default_unit, &v, errp) < 0)
			return -1;
		*out = v * default_unit;
		return 0;
	}
	if (scan_u64(s, &end, &whole) == -2)
		return err_set(errp, ERR_RANGE, _("size '%s' is too large"), s);
	if (end == s)
		return err_set(errp, ERR_INVALID, _("'%s' is not a valid size"), s);
	p = end;
	if (*p == '.') {
		/* A fraction only makes sense scaled ("1.5G"); keep up to 9 digits. */
		for (p++; isdigit((unsigned char)*p); p++) {
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
		if (p == end + 1)
			return err_set(errp, ERR_INVALID, _("'%s' is not a valid size"), s);
	}
	if (*p) {
		mult = size_suffix(*p);
		if (!mult || p[1])
			return err_set(errp, ERR_INVALID,
				       _("'%s' is not a valid size (suffixes: B K M G T P E)"), s);
	}
	if (whole > UINT64_MAX / mult)
		return err_set(errp, ERR_RANGE, _("size '%s' is too large"), s);
	whole *= mult;
	/* mult <= 2^60 and frac < frac_div <= 10^9: compute frac*mult/frac_div in two
	 * steps so the product cannot overflow. */
	frac = (mult / frac_div) * frac + (mult % frac_div) * frac / frac_div;
	if (whole > UINT64_MAX - frac)
		return err_set(errp, ERR_RANGE, _("size '%s' is too large"), s);
	*out = whole + frac;
	return 0;
}

int parse_size(const char *s, uint64_t *out, struct err **errp)
{
	return parse_size_default(s, 1, out, errp);
}

int parse_scaled(uint64_t value, const char *unit, uint64_t default_scale, uint64_t max,
		 uint64_t *out, struct err **errp)
{
	static const char powers[] = "kmgtpe";
	uint64_t scale = default_scale, base;
	const char *p;
	int i;

	if (unit && *unit) {
		if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
		    strcasecmp(unit, "bytes") == 0) {
			scale = 1;
		} else {
			p = strchr(powers, tolower((unsigned char)unit[0]));
			if (!p)
				return err_set(errp, ERR_INVALID, _("unknown unit '%s'"), unit);
			if (unit[1] == '\0' || strcasecmp(unit + 1, "iB") == 0)
				base = 1024;
			else if (strcasecmp(unit + 1, "B") == 0)
				base = 1000;
			else
				return err_set(errp, ERR_INVALID, _("unknown unit '%s'"), unit);
			for (scale = 1, i = 0; i <= p - powers; i++)
				scale *= base;
		}
	}
	if (scale && value > max / scale)
		return err_set(errp, ERR_RANGE,
			       _("value %" PRIu64 " %s is too large (at most %" PRIu64 " bytes)"),
			       value, unit && *unit ? unit : "", max);
	*out = value * scale;
	return 0;
}

int parse_bool(const char *s, bool *out, struct err **errp)
{
	static const char *const yes[] = { "on", "yes", "true" };
	static const char *const no[] = { "off", "no", "false" };
	size_t i;

	for (i = 0; s && i < 3; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return err_set(errp, ERR_INVALID, _("'%s' is not on/off, yes/no or true/false"),
		       s ? s : "");
}
