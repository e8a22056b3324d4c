/*
 * fmt.c: a small printf for the guest: %d %i %u %x %X %c %s %p %%, flags 0 and -, a width,
 * a precision for %s only, and the l, ll and z length modifiers (all 64-bit).
 */
#include "guest.h"

struct sink {
	char *buf;
	size_t cap;
	size_t len;	/* characters produced, even past cap */
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

static void put_padded(struct sink *s, const char *str, size_t n, unsigned width, bool left,
		       char pad)
{
	size_t fill = width > n ? width - n : 0;

	if (!left) {
		/* A zero-padded negative number keeps its sign first. */
		if (pad == '0' && n && str[0] == '-') {
			put(s, '-');
			str++;
			n--;
		}
		while (fill--)
			put(s, pad);
	}
	for (size_t i = 0; i < n; i++)
		put(s, str[i]);
	if (left)
		while (fill--)
			put(s, ' ');
}

/* Writes v in base into tmp (backwards); returns the start of the digits. */
static char *utoa(uint64_t v, unsigned base, bool upper, char *end)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return p;
}

int gvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct sink s = { buf, n, 0 };
	char tmp[24];

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		unsigned width = 0;
		size_t prec = (size_t)-1;
		int lng = 0;

		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		if (*fmt == '.') {
			prec = 0;
			for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (size_t)(*fmt - '0');
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		if (!*fmt)
			break;

		char *end = tmp + sizeof(tmp);
		char *p;
		uint64_t u;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);

			u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			p = utoa(u, 10, false, end);
			if (v < 0)
				*--p = '-';
			put_padded(&s, p, (size_t)(end - p), width, left, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			p = utoa(u, *fmt == 'u' ? 10 : 16, *fmt == 'X', end);
			put_padded(&s, p, (size_t)(end - p), width, left, pad);
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			p = utoa(u, 16, false, end);
			*--p = 'x';
			*--p = '0';
			put_padded(&s, p, (size_t)(end - p), width, left, ' ');
			break;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&s, tmp, 1, width, left, ' ');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (!str)
				str = "(null)";
			put_padded(&s, str, strnlen(str, prec), width, left, ' ');
			break;
		}
		default:
			put(&s, *fmt);
			break;
		}
	}
	if (n)
		buf[s.len < n ? s.len : n - 1] = '\0';
	return (int)s.len;
}

int gsnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

/* Formats into a line buffer and writes it to COM1; long output is cut at 255 bytes. */
void gprintf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	serial_write(line, strnlen(line, sizeof(line)));
}
