/* Shared includes for the cmocka unit tests. */
#ifndef VIREO_TESTS_UNIT_H
#define VIREO_TESTS_UNIT_H

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util/err.h"

/* Assert that a call failed with code and that its message contains `needle`. */
#define assert_err(e, want_code, needle)                                     \
	do {                                                                 \
		assert_non_null(e);                                          \
		assert_string_equal((e)->code, (want_code));                 \
		if (!strstr((e)->message, (needle)))                         \
			fail_msg("message '%s' lacks '%s'", (e)->message,     \
				 (needle));                                  \
		err_clear(&(e));                                             \
	} while (0)

/* A fresh empty directory under $TMPDIR; the caller removes it with rm_rf(). */
char *make_temp_dir(void);
void rm_rf(const char *path);

#endif
