/* Unit tests: the vireo CLI's output shapes (client/format.c), byte for byte against
 * what virsh 9.0 prints on test:///default for the same inputs. */
#include "tests/unit/unit.h"

#include <locale.h>

#include "client/format.h"
#include "lib/util/mem.h"

static struct dom_info dom(const char *name, int64_t id, const char *state)
{
	struct dom_info d = {
		.name = xstrdup(name),
		.uuid = xstrdup("6695eb01-f6a4-8304-79aa-97f2502e193f"),
		.id = id,
		.state = xstrdup(state),
		.reason = xstrdup("booted"),
		.os_type = xstrdup("hvm"),
		.persistent = true,
		.vcpus = 2,
		.max_memory_kib = 8388608,
		.memory_kib = 2097152,
		.cpu_time_ns = 1795749199200000000ull,
	};
	return d;
}

static void list_table_matches_virsh_for_one_domain(void **state)
{
	struct dom_info d = dom("test", 1, "running");
	struct buf out = BUF_INIT;

	list_format_table(&d, 1, true, &out);
	assert_string_equal(out.data, " Id   Name   State\n"
				      "----------------------\n"
				      " 1    test   running\n");
	buf_free(&out);
	dom_info_free(&d);
}

static void list_table_widths_follow_the_longest_cell(void **state)
{
	struct dom_info d[2] = { dom("test", 1, "running"),
				 dom("a-much-longer-domain-name", -1, "shut off") };
	struct buf out = BUF_INIT;

	list_format_table(d, 2, true, &out);
	/* virsh: the dashes are the sum of (column width + 3). */
	assert_string_equal(out.data, " Id   Name                        State\n"
				      "--------------------------------------------\n"
				      " 1    test                        running\n"
				      " -    a-much-longer-domain-name   shut off\n");
	buf_free(&out);
	dom_info_free(&d[0]);
	dom_info_free(&d[1]);
}

static void list_table_without_header_is_virsh_quiet(void **state)
{
	struct dom_info d = dom("test", 1, "running");
	struct buf out = BUF_INIT;

	list_format_table(&d, 1, false, &out);
	assert_string_equal(out.data, " 1   test   running\n");
	buf_free(&out);
	dom_info_free(&d);
}

static void empty_list_is_header_and_dashes(void **state)
{
	struct buf out = BUF_INIT;

	list_format_table(NULL, 0, true, &out);
	assert_string_equal(out.data, " Id   Name   State\n"
				      "--------------------\n");
	buf_free(&out);
}

static void table_pads_wide_characters_by_columns(void **state)
{
	const char *head[2] = { "A", "B" };
	struct strv cells = STRV_INIT;
	struct buf out = BUF_INIT;

	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "zh_CN.UTF-8"))
		skip();
	strv_push(&cells, "\xe4\xb8\xad\xe6\x96\x87");	/* two CJK characters: 4 columns */
	strv_push(&cells, "x");
	strv_push(&cells, "abcde");
	strv_push(&cells, "y");
	table_format(head, &cells, 2, &out);
	assert_string_equal(out.data, " A       B\n"
				      "------------\n"
				      " \xe4\xb8\xad\xe6\x96\x87    x\n"
				      " abcde   y\n");
	setlocale(LC_CTYPE, "C");
	buf_free(&out);
	strv_free(&cells);
}

static void dominfo_labels_align_at_column_16(void **state)
{
	struct dom_info d = dom("test", 1, "running");
	struct buf out = BUF_INIT;

	dominfo_format(&d, &out);
	assert_string_equal(out.data, "Id:             1\n"
				      "Name:           test\n"
				      "UUID:           6695eb01-f6a4-8304-79aa-97f2502e193f\n"
				      "OS Type:        hvm\n"
				      "State:          running\n"
				      "CPU(s):         2\n"
				      "CPU time:       1795749199.2s\n"
				      "Max memory:     8388608 KiB\n"
				      "Used memory:    2097152 KiB\n"
				      "Persistent:     yes\n"
				      "Autostart:      disable\n"
				      "Managed save:   no\n"
				      "Security model: none\n"
				      "Security DOI:   0\n");
	buf_free(&out);
	dom_info_free(&d);
}

static void dominfo_of_a_stopped_domain_has_dash_id_and_no_cpu_time(void **state)
{
	struct dom_info d = dom("web", -1, "shut off");
	struct buf out = BUF_INIT;

	d.cpu_time_ns = 0;
	d.autostart = true;
	dominfo_format(&d, &out);
	assert_non_null(strstr(out.data, "Id:             -\n"));
	assert_null(strstr(out.data, "CPU time:"));
	assert_non_null(strstr(out.data, "State:          shut off\nCPU(s):         2\nMax memory:"));
	assert_non_null(strstr(out.data, "Autostart:      enable\n"));
	buf_free(&out);
	dom_info_free(&d);
}

static void domstate_with_and_without_reason(void **state)
{
	struct buf out = BUF_INIT;

	domstate_format("running", "booted", false, &out);
	domstate_format("shut off", "destroyed", true, &out);
	domstate_format("paused", NULL, true, &out);
	assert_string_equal(out.data, "running\nshut off (destroyed)\npaused (unknown)\n");
	buf_free(&out);
}

static void memstat_prints_in_virsh_order_whatever_the_object_order(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"rss\": 1048576, \"unused\": 1048576, \"frobs\": 3, \"swap_in\": 0,"
		" \"actual\": 2097152, \"last_update\": 627319920}");
	struct buf out = BUF_INIT;
	struct err *e = NULL;

	assert_int_equal(memstat_format(o, &out, &e), 0);
	assert_string_equal(out.data, "actual 2097152\n"
				      "swap_in 0\n"
				      "unused 1048576\n"
				      "last_update 627319920\n"
				      "frobs 3\n"
				      "rss 1048576\n");
	buf_free(&out);
	json_object_put(o);
}

static void memstat_refuses_a_value_that_is_not_a_number(void **state)
{
	struct json_object *o = json_tokener_parse("{\"actual\": \"lots\"}");
	struct buf out = BUF_INIT;
	struct err *e = NULL;

	assert_int_equal(memstat_format(o, &out, &e), -1);
	assert_err(e, ERR_INVALID, "'actual'");
	buf_free(&out);
	json_object_put(o);
}

static void dom_info_from_json_reads_the_rpc_domain_object(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"name\": \"web\", \"uuid\": \"u\", \"id\": 3, \"state\": \"running\","
		" \"reason\": \"booted\", \"persistent\": true, \"autostart\": false, \"vcpus\": 1,"
		" \"max_memory_kib\": 524288, \"memory_kib\": 262144,"
		" \"cpu_time_ns\": 123456789, \"os_type\": \"hvm\"}");
	struct dom_info d;
	struct err *e = NULL;

	assert_int_equal(dom_info_from_json(o, &d, &e), 0);
	assert_string_equal(d.name, "web");
	assert_int_equal(d.id, 3);
	assert_int_equal(d.memory_kib, 262144);
	assert_int_equal(d.max_memory_kib, 524288);
	assert_true(d.persistent);
	assert_int_equal(d.vcpus, 1);
	dom_info_free(&d);
	json_object_put(o);
}

static void dom_info_from_json_names_a_missing_field(void **state)
{
	struct json_object *o = json_tokener_parse("{\"name\": \"web\", \"uuid\": \"u\","
						   " \"state\": \"running\"}");
	struct dom_info d;
	struct err *e = NULL;

	assert_int_equal(dom_info_from_json(o, &d, &e), -1);
	assert_err(e, ERR_INVALID, "'id'");
	dom_info_free(&d);
	json_object_put(o);
}

static void json_output_is_parseable_and_ends_with_newline(void **state)
{
	struct json_object *o = json_tokener_parse("{\"state\": \"running\", \"reason\": \"a/b\"}");
	struct json_object *back;
	struct buf out = BUF_INIT;

	json_format(o, &out);
	assert_true(out.len > 0 && out.data[out.len - 1] == '\n');
	assert_non_null(strstr(out.data, "\"a/b\""));
	back = json_tokener_parse(out.data);
	assert_non_null(back);
	assert_true(json_object_equal(o, back));
	json_object_put(back);
	json_object_put(o);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(list_table_matches_virsh_for_one_domain),
		cmocka_unit_test(list_table_widths_follow_the_longest_cell),
		cmocka_unit_test(list_table_without_header_is_virsh_quiet),
		cmocka_unit_test(empty_list_is_header_and_dashes),
		cmocka_unit_test(table_pads_wide_characters_by_columns),
		cmocka_unit_test(dominfo_labels_align_at_column_16),
		cmocka_unit_test(dominfo_of_a_stopped_domain_has_dash_id_and_no_cpu_time),
		cmocka_unit_test(domstate_with_and_without_reason),
		cmocka_unit_test(memstat_prints_in_virsh_order_whatever_the_object_order),
		cmocka_unit_test(memstat_refuses_a_value_that_is_not_a_number),
		cmocka_unit_test(dom_info_from_json_reads_the_rpc_domain_object),
		cmocka_unit_test(dom_info_from_json_names_a_missing_field),
		cmocka_unit_test(json_output_is_parseable_and_ends_with_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
