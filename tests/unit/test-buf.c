/* Unit tests: lib/util/buf */
#include "tests/unit/unit.h"

#include "lib/util/buf.h"

static void append_keeps_data_nul_terminated(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	assert_int_equal(buf_append_str(&b, "hello", NULL), 0);
	assert_int_equal(buf_appendf(&b, NULL, " %s %d", "world", 42), 0);
	assert_int_equal(b.len, 14);
	assert_string_equal(b.data, "hello world 42");
	s = buf_steal(&b);
	assert_string_equal(s, "hello world 42");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	s = buf_steal(&b);	/* empty buffer: empty string, never NULL */
	assert_string_equal(s, "");
	free(s);
}

static void limit_is_enforced_and_buffer_unchanged(void **state)
{
	struct buf b;
	struct err *e = NULL;

	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345678", 8, &e), 0);
	assert_int_equal(buf_append(&b, "9", 1, &e), -1);
	assert_err(e, ERR_LIMIT, "limit of 8 bytes");
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "12345678", 8);
	buf_free(&b);
}

static void huge_reservation_fails_without_overflow(void **state)
{
	struct buf b = BUF_INIT;
	struct err *e = NULL;

	buf_append_str(&b, "x", NULL);
	/* len + SIZE_MAX would wrap; must be refused, not turned into a tiny malloc. */
	assert_int_equal(buf_reserve(&b, SIZE_MAX, &e), -1);
	assert_err(e, ERR_LIMIT, "exceeded");
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1, &e), -1);
	err_clear(&e);
	buf_free(&b);
}

static void consume_drops_a_prefix(void **state)
{
	struct buf b = BUF_INIT;

	buf_append_str(&b, "frame1frame2", NULL);
	buf_consume(&b, 6);
	assert_string_equal(b.data, "frame2");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void binary_data_survives_growth(void **state)
{
	struct buf b = BUF_INIT;
	unsigned char chunk[1000];
	size_t i;

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i;
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk), NULL), 0);
	assert_int_equal(b.len, 100000);
	assert_memory_equal(b.data + 99000, chunk, sizeof(chunk));
	assert_true(b.cap > b.len);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_keeps_data_nul_terminated),
		cmocka_unit_test(limit_is_enforced_and_buffer_unchanged),
		cmocka_unit_test(huge_reservation_fails_without_overflow),
		cmocka_unit_test(consume_drops_a_prefix),
		cmocka_unit_test(binary_data_survives_growth),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
