/* Unit tests: lib/rpc/message, lib/rpc/errors, lib/rpc/protocol */
#include "tests/unit/unit.h"

#include "lib/rpc/errors.h"
#include "lib/rpc/message.h"
#include "lib/rpc/protocol.h"

static const char *text_of(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void builders_make_the_documented_shapes(void **state)
{
	struct json_object *o;

	o = rpc_request_new(7, "domain.start", NULL);
	assert_string_equal(text_of(o), "{\"id\":7,\"method\":\"domain.start\",\"params\":{}}");
	json_object_put(o);
	o = rpc_error_new(-1, "invalid-frame", "bad");
	assert_string_equal(text_of(o),
			    "{\"id\":null,\"error\":{\"code\":\"invalid-frame\",\"message\":\"bad\"}}");
	json_object_put(o);
	o = rpc_stream_data_new(3, "hi!", 3);
	assert_string_equal(text_of(o), "{\"stream\":3,\"data\":\"aGkh\"}");
	json_object_put(o);
	o = rpc_stream_end_new(3);
	assert_string_equal(text_of(o), "{\"stream\":3,\"end\":true}");
	json_object_put(o);
	o = rpc_event_new("domain.lifecycle", NULL);
	assert_string_equal(text_of(o), "{\"event\":\"domain.lifecycle\",\"data\":{}}");
	json_object_put(o);
}

static int parse_text(const char *json, struct rpc_msg *m, struct json_object **keep,
		      struct err **errp)
{
	*keep = json_tokener_parse(json);
	assert_non_null(*keep);
	return rpc_msg_parse(*keep, m, errp);
}

static void every_kind_is_recognised(void **state)
{
	struct json_object *f;
	struct rpc_msg m;

	assert_int_equal(parse_text("{\"id\":1,\"method\":\"ping\"}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_REQUEST);
	assert_string_equal(m.method, "ping");
	assert_null(m.params);
	json_object_put(f);
	assert_int_equal(parse_text("{\"id\":2,\"result\":{\"a\":1}}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_REPLY);
	assert_int_equal(m.id, 2);
	json_object_put(f);
	assert_int_equal(parse_text("{\"id\":3,\"error\":{\"code\":\"no-domain\",\"message\":"
				    "\"domain 'x' not found\"}}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_ERROR);
	assert_string_equal(m.err_code, "no-domain");
	json_object_put(f);
	assert_int_equal(parse_text("{\"event\":\"e\",\"data\":{}}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_EVENT);
	json_object_put(f);
	assert_int_equal(parse_text("{\"stream\":4,\"data\":\"\"}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_STREAM_DATA);
	assert_int_equal(m.stream, 4);
	json_object_put(f);
	assert_int_equal(parse_text("{\"stream\":4,\"end\":true}", &m, &f, NULL), 0);
	assert_int_equal(m.kind, RPC_MSG_STREAM_END);
	json_object_put(f);
}

static void bad_ids_and_params_are_protocol_errors(void **state)
{
	static const char *const bad[] = {
		"{\"method\":\"ping\"}",
		"{\"id\":-1,\"method\":\"ping\"}",
		"{\"id\":\"7\",\"method\":\"ping\"}",
		"{\"id\":1.5,\"method\":\"ping\"}",
		"{\"id\":1,\"method\":7}",
		"{\"id\":1,\"method\":\"ping\",\"params\":[]}",
		"{\"id\":99999999999999999999,\"method\":\"ping\"}",
		"{\"stream\":\"x\",\"data\":\"\"}",
		"{\"hello\":1}",
	};
	struct json_object *f;
	struct rpc_msg m;
	struct err *e = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_text(bad[i], &m, &f, &e), -1);
		assert_non_null(e);
		assert_string_equal(e->code, RPC_ERR_PROTOCOL);
		err_clear(&e);
		json_object_put(f);
	}
	/* the id is kept when readable, so the error reply can carry it */
	assert_int_equal(parse_text("{\"id\":5,\"method\":\"x\",\"params\":1}", &m, &f, &e), -1);
	assert_int_equal(m.id, 5);
	err_clear(&e);
	json_object_put(f);
}

static void base64_round_trips_every_length(void **state)
{
	unsigned char data[64];
	struct err *e = NULL;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 200);
	for (size_t len = 0; len <= sizeof(data); len++) {
		char *t = rpc_b64_encode(data, len);
		struct buf b = BUF_INIT;

		assert_int_equal(strlen(t) % 4, 0);
		assert_int_equal(rpc_b64_decode(t, &b, NULL), 0);
		assert_int_equal(b.len, len);
		if (len)
			assert_memory_equal(b.data, data, len);
		buf_free(&b);
		free(t);
	}
	{
		struct buf b = BUF_INIT;

		assert_int_equal(rpc_b64_decode("abc", &b, &e), -1);
		assert_err(e, RPC_ERR_INVALID_FRAME, "base64");
		assert_int_equal(rpc_b64_decode("a=bc", &b, &e), -1);
		assert_err(e, RPC_ERR_INVALID_FRAME, "base64");
		assert_int_equal(rpc_b64_decode("ab!c", &b, &e), -1);
		assert_err(e, RPC_ERR_INVALID_FRAME, "base64");
		buf_free(&b);
	}
}

static void params_name_the_wrong_param(void **state)
{
	struct json_object *p = json_tokener_parse(
		"{\"domain\":3,\"all\":\"yes\",\"kib\":-5,\"big\":9007199254740993,\"ok\":12}");
	const char *s = NULL;
	bool flag = false;
	uint64_t v = 0;
	struct err *e = NULL;

	assert_int_equal(rpc_param_string(p, "domain", true, &s, &e), -1);
	assert_err(e, RPC_ERR_INVALID_ARGUMENT, "'domain' must be a string");
	assert_int_equal(rpc_param_string(p, "name", true, &s, &e), -1);
	assert_err(e, RPC_ERR_INVALID_ARGUMENT, "'name' is missing");
	assert_int_equal(rpc_param_string(p, "name", false, &s, &e), 0);
	assert_null(s);
	assert_int_equal(rpc_param_bool(p, "all", &flag, &e), -1);
	assert_err(e, RPC_ERR_INVALID_ARGUMENT, "'all' must be true or false");
	assert_int_equal(rpc_param_uint64(p, "kib", true, 100, &v, &e), -1);
	assert_err(e, RPC_ERR_INVALID_ARGUMENT, "'kib' must be an integer from 0 to 100");
	assert_int_equal(rpc_param_uint64(p, "big", true, RPC_INT_MAX, &v, &e), -1);
	assert_err(e, RPC_ERR_INVALID_ARGUMENT, "'big'");
	assert_int_equal(rpc_param_uint64(p, "ok", true, 100, &v, &e), 0);
	assert_int_equal(v, 12);
	json_object_put(p);
}

static void error_codes_map_both_ways(void **state)
{
	struct err *e = NULL;

	assert_true(rpc_code_is_known("no-domain"));
	assert_true(rpc_code_is_known("permission-denied"));
	assert_false(rpc_code_is_known("not-found"));
	err_set(&e, ERR_USAGE, "x");
	assert_string_equal(rpc_code_from_err(e), "invalid-argument");
	err_clear(&e);
	err_set(&e, ERR_PARSE, "x");
	assert_string_equal(rpc_code_from_err(e), "invalid-xml");
	err_clear(&e);
	err_set(&e, ERR_IO, "x");
	assert_string_equal(rpc_code_from_err(e), "operation-failed");
	err_clear(&e);
	err_set(&e, "busy", "x");
	assert_string_equal(rpc_code_from_err(e), "busy");
	err_clear(&e);
	err_set(&e, "who-knows", "x");
	assert_string_equal(rpc_code_from_err(e), "internal-error");
	err_clear(&e);
	assert_string_equal(rpc_code_from_err(NULL), "internal-error");
	assert_string_equal(rpc_code_to_err("timeout"), "timeout");
	assert_string_equal(rpc_code_to_err("from-the-future"), "internal-error");
}

static void error_reply_carries_the_whole_message(void **state)
{
	struct err *e = NULL;
	struct json_object *o;

	err_set(&e, ERR_IO, "No space left on device");
	err_wrap(&e, "operation-failed", "cannot define 'web'");
	o = rpc_error_from_err(4, e);
	assert_string_equal(text_of(o),
			    "{\"id\":4,\"error\":{\"code\":\"operation-failed\",\"message\":"
			    "\"cannot define 'web': No space left on device\"}}");
	json_object_put(o);
	err_free(e);
}

static void method_table_knows_read_only_methods(void **state)
{
	size_t n;
	const struct rpc_method_info *all = rpc_methods(&n);

	assert_true(n >= 25);
	assert_non_null(all);
	assert_true(rpc_method_find("domain.list")->readonly);
	assert_false(rpc_method_find("domain.define")->readonly);
	assert_false(rpc_method_find("domain.console")->readonly);
	assert_null(rpc_method_find("domain.fly"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builders_make_the_documented_shapes),
		cmocka_unit_test(every_kind_is_recognised),
		cmocka_unit_test(bad_ids_and_params_are_protocol_errors),
		cmocka_unit_test(base64_round_trips_every_length),
		cmocka_unit_test(params_name_the_wrong_param),
		cmocka_unit_test(error_codes_map_both_ways),
		cmocka_unit_test(error_reply_carries_the_whole_message),
		cmocka_unit_test(method_table_knows_read_only_methods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
