/* Unit tests: lib/util/str and mem */
#include "tests/unit/unit.h"

#include "lib/util/mem.h"
#include "lib/util/str.h"

static void prefix_and_suffix(void **state)
{
	assert_true(str_starts_with("virtio-net-pci", "virtio-"));
	assert_false(str_starts_with("e1000", "virtio-"));
	assert_true(str_ends_with("web.xml", ".xml"));
	assert_false(str_ends_with("ml", ".xml"));
	assert_true(streq("a", "a"));
	assert_false(streq("a", NULL));
}

static void strv_builds_a_null_terminated_argv(void **state)
{
	struct strv v = STRV_INIT;
	char *const *argv;

	strv_push(&v, "vireo-vmm");
	strv_pushf(&v, "-m %d", 128);
	strv_push_take(&v, xstrdup("-S"));
	argv = strv_array(&v);
	assert_int_equal(v.len, 3);
	assert_string_equal(argv[1], "-m 128");
	assert_null(argv[3]);
	strv_free(&v);
	assert_null(v.items);
	/* An empty vector still gives a valid (empty) argv. */
	assert_null(strv_array(&v)[0]);
	strv_free(&v);
}

static void strv_join_and_split_round_trip(void **state)
{
	struct strv v = STRV_INIT, w = STRV_INIT;
	char *joined;

	strv_split(&v, "a,,b,c", ',');
	assert_int_equal(v.len, 4);
	assert_string_equal(v.items[1], "");
	joined = strv_join(&v, ",");
	assert_string_equal(joined, "a,,b,c");
	free(joined);
	joined = strv_join(&w, ", ");
	assert_string_equal(joined, "");
	free(joined);
	strv_free(&v);
}

static void many_pushes_grow_correctly(void **state)
{
	struct strv v = STRV_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		strv_pushf(&v, "%d", i);
	assert_int_equal(v.len, 1000);
	assert_string_equal(v.items[999], "999");
	assert_null(v.items[1000]);
	strv_free(&v);
}

static void xstrndup_and_memdup(void **state)
{
	char *s = xstrndup("abcdef", 3);
	char *m = xmemdup("xyz", 4);

	assert_string_equal(s, "abc");
	assert_string_equal(m, "xyz");
	free(s);
	free(m);
	s = xstrndup("ab", 10);
	assert_string_equal(s, "ab");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_and_suffix),
		cmocka_unit_test(strv_builds_a_null_terminated_argv),
		cmocka_unit_test(strv_join_and_split_round_trip),
		cmocka_unit_test(many_pushes_grow_correctly),
		cmocka_unit_test(xstrndup_and_memdup),
	};

	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
