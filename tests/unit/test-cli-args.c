/* Unit tests: the vireo CLI's command lines: virsh's option rules and messages
 * (client/args.c) and the connection targets (client/target.c). */
#include "tests/unit/unit.h"

#include "client/args.h"
#include "client/target.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

static const struct opt_def setmem_opts[] = {
	{ "domain", OPT_DATA, OPT_REQ, "domain" },
	{ "size", OPT_INT, OPT_REQ | OPT_POS, "size" },
	{ "config", OPT_BOOL, 0, "config" },
	{ "live", OPT_BOOL, 0, "live" },
	{ "period", OPT_INT, 0, "period" },
	{ NULL },
};

/* Parse a command line given as one string split at blanks. */
static int parse(const char *line, struct cmd_args *a, struct strv *words, struct err **e)
{
	strv_split(words, line, ' ');
	return args_parse(words->items[0], setmem_opts, (int)words->len, words->items, a, e);
}

static void positional_and_named_forms_are_the_same(void **state)
{
	const char *lines[] = { "setmem web 1G --live", "setmem --domain web --size 1G --live",
				"setmem --size=1G web --live", "setmem --live -- web 1G" };

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct strv w = STRV_INIT;
		struct cmd_args a;
		struct err *e = NULL;

		assert_int_equal(parse(lines[i], &a, &w, &e), 0);
		assert_string_equal(args_str(&a, "domain"), "web");
		assert_string_equal(args_str(&a, "size"), "1G");
		assert_true(args_bool(&a, "live"));
		assert_false(args_bool(&a, "config"));
		assert_null(args_str(&a, "period"));
		strv_free(&w);
	}
}

static void errors_are_virshs_words(void **state)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
		{ "setmem", "command 'setmem' requires <domain> option" },
		{ "setmem web", "command 'setmem' requires --size option" },
		{ "setmem web 1G --bogus", "command 'setmem' doesn't support option --bogus" },
		{ "setmem web 1G extra", "unexpected data 'extra'" },
		{ "setmem web 1G --period", "expected syntax: --period <number>" },
		{ "setmem web --domain x 1G", "option --domain already seen" },
		{ "setmem web 1G --live=yes", "invalid '=' after option --live" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strv w = STRV_INIT;
		struct cmd_args a;
		struct err *e = NULL;

		assert_int_equal(parse(cases[i].line, &a, &w, &e), -1);
		assert_non_null(e);
		assert_string_equal(e->message, cases[i].message);
		assert_err(e, ERR_USAGE, "");
		strv_free(&w);
	}
}

static void help_option_skips_the_required_check(void **state)
{
	struct strv w = STRV_INIT;
	struct cmd_args a;
	struct err *e = NULL;

	assert_int_equal(parse("setmem --help", &a, &w, &e), 0);
	assert_true(a.help);
	strv_free(&w);
}

static void current_excludes_live_and_config(void **state)
{
	const struct opt_def defs[] = {
		{ "live", OPT_BOOL, 0, "" }, { "config", OPT_BOOL, 0, "" },
		{ "current", OPT_BOOL, 0, "" }, { NULL },
	};
	char *both[] = { "setmem", "--config", "--current" }, *alone[] = { "setmem", "--current" };
	char *pair[] = { "setmem", "--live", "--config" };
	struct cmd_args a;
	struct err *e = NULL;

	assert_int_equal(args_parse("setmem", defs, 3, both, &a, &e), -1);
	assert_err(e, ERR_USAGE, "Options --current and --config are mutually exclusive");
	assert_int_equal(args_parse("setmem", defs, 2, alone, &a, NULL), 0);
	assert_int_equal(args_parse("setmem", defs, 3, pair, &a, NULL), 0);
	assert_true(args_bool(&a, "live") && args_bool(&a, "config"));
}

static void sizes_are_virsh_scaled_integers_in_kib(void **state)
{
	static const struct {
		const char *size;
		uint64_t kib;
	} ok[] = {
		{ "1024", 1024 }, { "1G", 1048576 }, { "512M", 524288 }, { "512MiB", 524288 },
		{ "1000KB", 977 }, { "4096b", 4 }, { "1b", 1 }, { "2T", 2147483648ull },
	};
	static const char *const bad[] = { "abc", "1.5G", "-1", "12Q", "", "G" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		const struct opt_def defs[] = { { "size", OPT_INT, OPT_POS, "" }, { NULL } };
		char *argv[] = { "x", (char *)ok[i].size };
		struct cmd_args a;
		uint64_t kib = 0;

		assert_int_equal(args_parse("x", defs, 2, argv, &a, NULL), 0);
		assert_int_equal(args_size_kib(&a, "size", &kib, NULL), 1);
		assert_int_equal(kib, ok[i].kib);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct opt_def defs[] = { { "size", OPT_INT, OPT_POS, "" }, { NULL } };
		char *argv[] = { "x", "--size", (char *)bad[i] };
		struct cmd_args a;
		struct err *e = NULL;
		uint64_t kib;

		assert_int_equal(args_parse("x", defs, 3, argv, &a, NULL), 0);
		assert_int_equal(args_size_kib(&a, "size", &kib, &e), -1);
		assert_err(e, ERR_INVALID, "for <size> option is malformed or out of range");
	}
}

static void numbers_are_checked_and_absent_is_zero(void **state)
{
	const struct opt_def defs[] = { { "period", OPT_INT, 0, "" }, { NULL } };
	char *good[] = { "x", "--period", "10" }, *bad[] = { "x", "--period", "ten" };
	struct cmd_args a;
	struct err *e = NULL;
	uint64_t v = 7;

	assert_int_equal(args_parse("x", defs, 1, good, &a, NULL), 0);
	assert_int_equal(args_uint(&a, "period", 100, &v, NULL), 0);
	assert_int_equal(v, 7);
	assert_int_equal(args_parse("x", defs, 3, good, &a, NULL), 0);
	assert_int_equal(args_uint(&a, "period", 100, &v, NULL), 1);
	assert_int_equal(v, 10);
	assert_int_equal(args_parse("x", defs, 3, bad, &a, NULL), 0);
	assert_int_equal(args_uint(&a, "period", 100, &v, &e), -1);
	assert_err(e, ERR_INVALID, "Numeric value 'ten' for <period> option");
}

static void help_text_has_virshs_sections(void **state)
{
	struct buf out = BUF_INIT;

	args_format_help("setmem", "change memory allocation", NULL, setmem_opts, &out);
	assert_non_null(strstr(out.data, "  NAME\n    setmem - change memory allocation\n"));
	assert_non_null(strstr(out.data,
			       "    setmem <domain> <size> [--config] [--live] [--period <number>]\n"));
	assert_non_null(strstr(out.data, "    [--domain] <string>  domain\n"));
	assert_non_null(strstr(out.data, "    --config         config\n"));
	buf_free(&out);
}

/* ---- connection targets ---- */

static void default_and_root_targets_use_the_standard_sockets(void **state)
{
	struct target t;

	assert_int_equal(target_parse(NULL, NULL, &t, NULL), 0);
	assert_int_equal(t.kind, TARGET_UNIX);
	assert_string_equal(t.socket, "/run/vireo/vireod.sock");
	assert_string_equal(t.ro_socket, "/run/vireo/vireod-ro.sock");
	target_free(&t);
	assert_int_equal(target_parse(NULL, "/tmp/r", &t, NULL), 0);
	assert_string_equal(t.socket, "/tmp/r/run/vireo/vireod.sock");
	assert_string_equal(t.ro_socket, "/tmp/r/run/vireo/vireod-ro.sock");
	target_free(&t);
	assert_int_equal(target_parse("vireo:///system", NULL, &t, NULL), 0);
	assert_string_equal(t.socket, "/run/vireo/vireod.sock");
	target_free(&t);
	assert_int_equal(target_parse("vireo:///system?root=/tmp/r", NULL, &t, NULL), 0);
	assert_string_equal(t.socket, "/tmp/r/run/vireo/vireod.sock");
	target_free(&t);
}

static void unix_targets_name_one_socket(void **state)
{
	struct target t;

	assert_int_equal(target_parse("unix:/tmp/a b.sock", NULL, &t, NULL), 0);
	assert_int_equal(t.kind, TARGET_UNIX);
	assert_string_equal(t.socket, "/tmp/a b.sock");
	assert_null(t.ro_socket);
	target_free(&t);
	assert_int_equal(target_parse("vireo+unix:///system?socket=/tmp/x%20y.sock", NULL, &t,
				      NULL), 0);
	assert_string_equal(t.socket, "/tmp/x y.sock");
	assert_null(t.ro_socket);
	target_free(&t);
}

static void ssh_targets_split_user_host_port_and_root(void **state)
{
	struct target t;

	assert_int_equal(target_parse("ssh://alice@example.org:2222/srv/vireo", NULL, &t, NULL), 0);
	assert_int_equal(t.kind, TARGET_SSH);
	assert_string_equal(t.user, "alice");
	assert_string_equal(t.host, "example.org");
	assert_string_equal(t.port, "2222");
	assert_string_equal(t.root, "/srv/vireo");
	assert_string_equal(t.command, "vireo");
	target_free(&t);
	assert_int_equal(target_parse("vireo+ssh://[fe80::1%25eth0]/system?command=/opt/vireo",
				      NULL, &t, NULL), 0);
	assert_null(t.user);
	assert_string_equal(t.host, "fe80::1%eth0");
	assert_null(t.port);
	assert_null(t.root);
	assert_string_equal(t.command, "/opt/vireo");
	target_free(&t);
	assert_int_equal(target_parse("ssh://host", NULL, &t, NULL), 0);
	assert_string_equal(t.host, "host");
	assert_null(t.root);
	target_free(&t);
}

static void bad_targets_are_named(void **state)
{
	static const char *const bad[] = {
		"qemu:///system", "unix:", "ssh://", "ssh://@host", "ssh://host:22x",
		"vireo:///session", "ssh://host?bogus=1", "vireo:///system?socket",
		"ssh://[::1",
	};
	struct target t;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct err *e = NULL;

		assert_int_equal(target_parse(bad[i], NULL, &t, &e), -1);
		assert_non_null(e);
		if (!strstr(e->message, bad[i]))
			fail_msg("'%s': message '%s' does not name it", bad[i], e->message);
		err_clear(&e);
		target_free(&t);
	}
	{
		struct err *e = NULL;

		assert_int_equal(target_parse("unix:/x", "/r", &t, &e), -1);
		assert_err(e, ERR_USAGE, "--root and --connect");
		target_free(&t);
	}
}

static void ssh_argv_runs_the_proxy_with_quoted_arguments(void **state)
{
	struct target t;
	struct strv argv = STRV_INIT;
	char *line;

	assert_int_equal(target_parse("ssh://bob@h:2200/tmp/my%20root?keyfile=/k&command=/b/vireo",
				      NULL, &t, NULL), 0);
	target_ssh_argv(&t, "ssh  -F /tmp/cfg", &argv);
	line = strv_join(&argv, "|");
	assert_string_equal(line, "ssh|-F|/tmp/cfg|-T|-p|2200|-l|bob|-i|/k|--|h|"
				  "/b/vireo --root '/tmp/my root' --proxy-stdio");
	free(line);
	strv_free(&argv);
	target_free(&t);
	assert_int_equal(target_parse("ssh://h", NULL, &t, NULL), 0);
	target_ssh_argv(&t, NULL, &argv);
	line = strv_join(&argv, "|");
	assert_string_equal(line, "ssh|-T|--|h|vireo --proxy-stdio");
	free(line);
	strv_free(&argv);
	target_free(&t);
}

static void shell_quote_leaves_safe_words_alone(void **state)
{
	char *q;

	q = shell_quote("/usr/bin/vireo");
	assert_string_equal(q, "/usr/bin/vireo");
	free(q);
	q = shell_quote("it's here");
	assert_string_equal(q, "'it'\\''s here'");
	free(q);
	q = shell_quote("");
	assert_string_equal(q, "''");
	free(q);
	q = shell_quote("$(rm -rf /)");
	assert_string_equal(q, "'$(rm -rf /)'");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(positional_and_named_forms_are_the_same),
		cmocka_unit_test(errors_are_virshs_words),
		cmocka_unit_test(help_option_skips_the_required_check),
		cmocka_unit_test(current_excludes_live_and_config),
		cmocka_unit_test(sizes_are_virsh_scaled_integers_in_kib),
		cmocka_unit_test(numbers_are_checked_and_absent_is_zero),
		cmocka_unit_test(help_text_has_virshs_sections),
		cmocka_unit_test(default_and_root_targets_use_the_standard_sockets),
		cmocka_unit_test(unix_targets_name_one_socket),
		cmocka_unit_test(ssh_targets_split_user_host_port_and_root),
		cmocka_unit_test(bad_targets_are_named),
		cmocka_unit_test(ssh_argv_runs_the_proxy_with_quoted_arguments),
		cmocka_unit_test(shell_quote_leaves_safe_words_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
