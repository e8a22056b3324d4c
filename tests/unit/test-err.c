/* Unit tests: lib/util/err */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util/err.h"

static void first_error_wins_and_set_returns_minus_one(void **state)
{
	struct err *e = NULL;

	assert_int_equal(err_set(&e, ERR_INVALID, "first %d", 1), -1);
	assert_int_equal(err_set(&e, ERR_IO, "second"), -1);
	assert_string_equal(e->code, ERR_INVALID);
	assert_string_equal(e->message, "first 1");
	assert_null(e->cause);
	err_free(e);
}

static void null_errp_is_allowed(void **state)
{
	assert_int_equal(err_set(NULL, ERR_INVALID, "ignored"), -1);
	assert_int_equal(err_wrap(NULL, ERR_INVALID, "ignored"), -1);
	assert_int_equal(err_set_errno(NULL, NULL, ENOENT, "ignored"), -1);
}

static void wrap_keeps_cause_and_describe_reads_top_down(void **state)
{
	struct err *e = NULL;
	char *text;

	err_set_errno(&e, NULL, ENOSPC, "cannot write /etc/vireo/domains/web.xml");
	err_wrap(&e, ERR_INTERNAL, "cannot define 'web'");
	assert_string_equal(err_code(e), ERR_INTERNAL);
	assert_non_null(e->cause);
	assert_string_equal(e->cause->code, ERR_IO);
	assert_true(err_has_code(e, ERR_IO));
	assert_false(err_has_code(e, ERR_PERM));
	text = err_describe(e);
	assert_string_equal(text, "cannot define 'web': cannot write /etc/vireo/domains/web.xml: "
				  "No space left on device");
	free(text);
	err_free(e);
}

static void errno_maps_to_stable_codes(void **state)
{
	assert_string_equal(err_code_from_errno(ENOENT), ERR_NOT_FOUND);
	assert_string_equal(err_code_from_errno(EACCES), ERR_PERM);
	assert_string_equal(err_code_from_errno(EPERM), ERR_PERM);
	assert_string_equal(err_code_from_errno(EEXIST), ERR_EXISTS);
	assert_string_equal(err_code_from_errno(ENOSPC), ERR_IO);
	assert_string_equal(err_code_from_errno(EMFILE), ERR_SYSTEM);
}

static void exit_codes_per_kind(void **state)
{
	struct err *e = NULL;

	assert_int_equal(err_exit_code(NULL), 0);
	err_set(&e, ERR_USAGE, "bad option");
	assert_int_equal(err_exit_code(e), 2);
	err_clear(&e);
	assert_null(e);
	err_set(&e, ERR_NOT_FOUND, "no domain");
	assert_int_equal(err_exit_code(e), 1);
	err_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_error_wins_and_set_returns_minus_one),
		cmocka_unit_test(null_errp_is_allowed),
		cmocka_unit_test(wrap_keeps_cause_and_describe_reads_top_down),
		cmocka_unit_test(errno_maps_to_stable_codes),
		cmocka_unit_test(exit_codes_per_kind),
	};

	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
