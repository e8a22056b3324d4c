/* Unit tests: lib/util/parse */
#include "tests/unit/unit.h"

#include "lib/util/parse.h"

static void uint64_accepts_decimal_and_hex_only_whole(void **state)
{
	uint64_t v;
	struct err *e = NULL;

	assert_int_equal(parse_uint64("4096", 0, UINT64_MAX, &v, &e), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_uint64("0x1F", 0, UINT64_MAX, &v, &e), 0);
	assert_int_equal(v, 31);
	assert_int_equal(parse_uint64("010", 0, UINT64_MAX, &v, &e), 0);
	assert_int_equal(v, 10);	/* not octal */
	assert_int_equal(parse_uint64("18446744073709551615", 0, UINT64_MAX, &v, &e), 0);
	assert_true(v == UINT64_MAX);
}

static void uint64_rejections_name_the_text(void **state)
{
	uint64_t v = 7;
	struct err *e = NULL;

	assert_int_equal(parse_uint64("-1", 0, UINT64_MAX, &v, &e), -1);
	assert_err(e, ERR_INVALID, "'-1' is not a valid number");
	assert_int_equal(parse_uint64(" 5", 0, 10, &v, &e), -1);
	assert_err(e, ERR_INVALID, "' 5'");
	assert_int_equal(parse_uint64("5x", 0, 10, &v, &e), -1);
	assert_err(e, ERR_INVALID, "'5x'");
	assert_int_equal(parse_uint64("", 0, 10, &v, &e), -1);
	assert_err(e, ERR_INVALID, "empty");
	assert_int_equal(parse_uint64("0x", 0, 10, &v, &e), -1);
	assert_err(e, ERR_INVALID, "'0x'");
	assert_int_equal(parse_uint64("18446744073709551616", 0, UINT64_MAX, &v, &e), -1);
	assert_err(e, ERR_RANGE, "too large");
	assert_int_equal(parse_uint64("300", 0, 255, &v, &e), -1);
	assert_err(e, ERR_RANGE, "'300' is out of range (0 to 255)");
	assert_int_equal(v, 7);	/* untouched on failure */
}

static void int64_handles_sign_and_extremes(void **state)
{
	int64_t v;
	struct err *e = NULL;

	assert_int_equal(parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v, &e), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_int64("9223372036854775807", INT64_MIN, INT64_MAX, &v, &e), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v, &e), -1);
	assert_err(e, ERR_RANGE, "too large");
	assert_int_equal(parse_int64("-5", -3, 3, &v, &e), -1);
	assert_err(e, ERR_RANGE, "-3 to 3");
	assert_int_equal(parse_int64("--5", -10, 10, &v, &e), -1);
	assert_err(e, ERR_INVALID, "'--5'");
}

static void int_and_uint_wrappers(void **state)
{
	int i;
	unsigned u;
	struct err *e = NULL;

	assert_int_equal(parse_int("-42", -100, 100, &i, &e), 0);
	assert_int_equal(i, -42);
	assert_int_equal(parse_uint("65535", 0, 65535, &u, &e), 0);
	assert_int_equal(u, 65535);
	assert_int_equal(parse_uint("65536", 0, 65535, &u, &e), -1);
	err_clear(&e);
}

static void size_suffixes_are_powers_of_1024(void **state)
{
	uint64_t v;
	struct err *e = NULL;

	assert_int_equal(parse_size("64M", &v, &e), 0);
	assert_true(v == 64ULL << 20);
	assert_int_equal(parse_size("4096", &v, &e), 0);
	assert_true(v == 4096);
	assert_int_equal(parse_size("2k", &v, &e), 0);
	assert_true(v == 2048);
	assert_int_equal(parse_size("1G", &v, &e), 0);
	assert_true(v == 1ULL << 30);
	assert_int_equal(parse_size("1.5G", &v, &e), 0);
	assert_true(v == 3ULL << 29);
	assert_int_equal(parse_size("16E", &v, &e), -1);
	assert_err(e, ERR_RANGE, "too large");
	assert_int_equal(parse_size("15E", &v, &e), 0);
	assert_true(v == 15ULL << 60);
}

static void size_default_unit_and_rejections(void **state)
{
	uint64_t v;
	struct err *e = NULL;

	assert_int_equal(parse_size_default("512", 1 << 20, &v, &e), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(parse_size_default("512K", 1 << 20, &v, &e), 0);
	assert_true(v == 512ULL << 10);
	assert_int_equal(parse_size("64MB", &v, &e), -1);
	assert_err(e, ERR_INVALID, "suffixes");
	assert_int_equal(parse_size("M", &v, &e), -1);
	assert_err(e, ERR_INVALID, "'M'");
	assert_int_equal(parse_size("1.G", &v, &e), -1);
	assert_err(e, ERR_INVALID, "'1.G'");
	assert_int_equal(parse_size("-1M", &v, &e), -1);
	assert_err(e, ERR_INVALID, "'-1M'");
}

static void libvirt_units_match_libvirt(void **state)
{
	uint64_t v;
	struct err *e = NULL;

	assert_int_equal(parse_scaled(1, "KiB", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1024);
	assert_int_equal(parse_scaled(1, "KB", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1000);
	assert_int_equal(parse_scaled(1, "k", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1024);
	assert_int_equal(parse_scaled(2, "MB", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 2000000);
	assert_int_equal(parse_scaled(2, "M", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 2 << 20);
	assert_int_equal(parse_scaled(3, "GiB", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 3ULL << 30);
	assert_int_equal(parse_scaled(1, "TB", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1000000000000ULL);
	assert_int_equal(parse_scaled(1000, "b", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1000);
	assert_int_equal(parse_scaled(1000, "bytes", 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 1000);
	/* No unit: the caller's default (KiB for <memory>). */
	assert_int_equal(parse_scaled(524288, NULL, 1024, UINT64_MAX, &v, &e), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(parse_scaled(1, "KX", 1024, UINT64_MAX, &v, &e), -1);
	assert_err(e, ERR_INVALID, "unknown unit 'KX'");
	assert_int_equal(parse_scaled(1, "Q", 1024, UINT64_MAX, &v, &e), -1);
	assert_err(e, ERR_INVALID, "unknown unit 'Q'");
	assert_int_equal(parse_scaled(17, "EiB", 1024, UINT64_MAX, &v, &e), -1);
	assert_err(e, ERR_RANGE, "too large");
	assert_int_equal(parse_scaled(2, "GiB", 1024, 1ULL << 30, &v, &e), -1);
	assert_err(e, ERR_RANGE, "at most 1073741824");
}

static void bool_spellings(void **state)
{
	bool b = false;
	struct err *e = NULL;

	assert_int_equal(parse_bool("on", &b, &e), 0);
	assert_true(b);
	assert_int_equal(parse_bool("no", &b, &e), 0);
	assert_false(b);
	assert_int_equal(parse_bool("true", &b, &e), 0);
	assert_true(b);
	assert_int_equal(parse_bool("1", &b, &e), -1);
	assert_err(e, ERR_INVALID, "'1' is not on/off");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uint64_accepts_decimal_and_hex_only_whole),
		cmocka_unit_test(uint64_rejections_name_the_text),
		cmocka_unit_test(int64_handles_sign_and_extremes),
		cmocka_unit_test(int_and_uint_wrappers),
		cmocka_unit_test(size_suffixes_are_powers_of_1024),
		cmocka_unit_test(size_default_unit_and_rejections),
		cmocka_unit_test(libvirt_units_match_libvirt),
		cmocka_unit_test(bool_spellings),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
