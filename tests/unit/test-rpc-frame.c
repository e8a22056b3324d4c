/* Unit tests: lib/rpc/frame (the length-prefixed JSON frame codec) */
#include "tests/unit/unit.h"

#include <errno.h>
#include <unistd.h>

#include "lib/rpc/errors.h"
#include "lib/rpc/frame.h"

static void encode(const char *json, struct buf *out)
{
	struct json_object *o = json_tokener_parse(json);

	assert_non_null(o);
	assert_int_equal(rpc_frame_encode(o, out, NULL), 0);
	json_object_put(o);
}

static void raw_frame(struct buf *out, const char *text, size_t len)
{
	unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8), (unsigned char)len };

	assert_int_equal(buf_append(out, hdr, 4, NULL), 0);
	assert_int_equal(buf_append(out, text, len, NULL), 0);
}

static void frame_round_trips_with_big_endian_length(void **state)
{
	struct buf b = BUF_INIT;
	struct rpc_reader r;
	struct json_object *o;

	encode("{\"id\":7,\"method\":\"ping\"}", &b);
	assert_int_equal(b.len, 4 + 24);
	assert_memory_equal(b.data, "\0\0\0\x18", 4);
	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_feed(&r, b.data, b.len, NULL), 0);
	assert_int_equal(rpc_reader_next(&r, &o, NULL), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "id")), 7);
	json_object_put(o);
	assert_int_equal(rpc_reader_next(&r, &o, NULL), 0);
	assert_false(rpc_reader_partial(&r));
	rpc_reader_free(&r);
	buf_free(&b);
}

static void frames_fed_one_byte_at_a_time_come_out_whole(void **state)
{
	struct buf b = BUF_INIT;
	struct rpc_reader r;
	struct json_object *o;
	int got = 0;

	encode("{\"a\":\"\xe4\xbd\xa0\xe5\xa5\xbd\"}", &b);
	encode("{\"b\":[1,2,3]}", &b);
	encode("{}", &b);
	rpc_reader_init(&r);
	for (size_t i = 0; i < b.len; i++) {
		assert_int_equal(rpc_reader_feed(&r, b.data + i, 1, NULL), 0);
		while (rpc_reader_next(&r, &o, NULL) == 1) {
			got++;
			json_object_put(o);
		}
	}
	assert_int_equal(got, 3);
	rpc_reader_free(&r);
	buf_free(&b);
}

static void four_gib_length_is_refused_before_any_allocation(void **state)
{
	struct rpc_reader r;
	struct err *e = NULL;
	struct json_object *o;

	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_feed(&r, "\xff\xff\xff\xff", 4, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "over the limit");
	assert_true(r.in.cap <= 4096);
	/* poisoned: later calls fail the same way */
	assert_int_equal(rpc_reader_next(&r, &o, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "over the limit");
	rpc_reader_free(&r);
}

static void zero_length_and_limit_plus_one_are_invalid(void **state)
{
	struct rpc_reader r;
	struct err *e = NULL;
	uint32_t n = (uint32_t)RPC_FRAME_MAX + 1;
	unsigned char hdr[4] = { n >> 24, n >> 16, n >> 8, n };

	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_feed(&r, "\0\0\0\0", 4, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "length 0");
	rpc_reader_free(&r);
	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_feed(&r, hdr, 4, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "over the limit");
	rpc_reader_free(&r);
}

static void expect_bad_frame(const char *text, size_t len, const char *why)
{
	struct buf b = BUF_INIT;
	struct rpc_reader r;
	struct err *e = NULL;
	struct json_object *o;

	raw_frame(&b, text, len);
	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_feed(&r, b.data, b.len, NULL), 0);
	assert_int_equal(rpc_reader_next(&r, &o, &e), -1);
	assert_null(o);
	assert_err(e, RPC_ERR_INVALID_FRAME, why);
	rpc_reader_free(&r);
	buf_free(&b);
}

static void garbage_and_non_objects_are_invalid_frames(void **state)
{
	expect_bad_frame("hello", 5, "not valid JSON");
	expect_bad_frame("{\"a\":", 5, "not valid JSON");
	expect_bad_frame("[1,2]", 5, "not a JSON object");
	expect_bad_frame("42", 2, "not a JSON object");
	expect_bad_frame("{} {}", 5, "frame");
	expect_bad_frame("{}\0xx", 5, "frame");
	expect_bad_frame("{\"a\":\"\xff\xfe\"}", 10, "not valid JSON");
}

static void trailing_white_space_is_allowed(void **state)
{
	struct err *e = NULL;
	struct json_object *o = rpc_json_parse_object("{\"x\":1}\n ", 9, &e);

	assert_non_null(o);
	json_object_put(o);
}

static void fill_reads_from_a_pipe_and_reports_eof(void **state)
{
	struct buf b = BUF_INIT;
	struct rpc_reader r;
	struct json_object *o;
	int p[2];

	assert_int_equal(pipe(p), 0);
	encode("{\"event\":\"x\"}", &b);
	assert_int_equal(write(p[1], b.data, b.len), (ssize_t)b.len);
	close(p[1]);
	rpc_reader_init(&r);
	assert_int_equal(rpc_reader_fill(&r, p[0], NULL), (ssize_t)b.len);
	assert_int_equal(rpc_reader_next(&r, &o, NULL), 1);
	json_object_put(o);
	assert_int_equal(rpc_reader_fill(&r, p[0], NULL), 0);
	close(p[0]);
	rpc_reader_free(&r);
	buf_free(&b);
}

static void a_frame_of_exactly_the_limit_is_accepted(void **state)
{
	size_t n = RPC_FRAME_MAX;
	char *text = malloc(n);
	struct buf b = BUF_INIT;
	struct rpc_reader r;
	struct json_object *o;
	int p[2];
	ssize_t got;

	memset(text, ' ', n);
	memcpy(text, "{\"pad\":\"", 8);
	text[n - 2] = '"';
	text[n - 1] = '}';
	raw_frame(&b, text, n);
	free(text);
	assert_int_equal(pipe(p), 0);
	rpc_reader_init(&r);
	/* through fill(): the reader grows with what arrives */
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(p[1], b.data + off, b.len - off > 65536 ? 65536 : b.len - off);

		assert_true(w > 0);
		off += (size_t)w;
		while ((got = rpc_reader_fill(&r, p[0], NULL)) > 0 && r.in.len < off)
			;
	}
	assert_int_equal(rpc_reader_next(&r, &o, NULL), 1);
	assert_int_equal(json_object_get_string_len(json_object_object_get(o, "pad")), n - 10);
	json_object_put(o);
	close(p[0]);
	close(p[1]);
	rpc_reader_free(&r);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_round_trips_with_big_endian_length),
		cmocka_unit_test(frames_fed_one_byte_at_a_time_come_out_whole),
		cmocka_unit_test(four_gib_length_is_refused_before_any_allocation),
		cmocka_unit_test(zero_length_and_limit_plus_one_are_invalid),
		cmocka_unit_test(garbage_and_non_objects_are_invalid_frames),
		cmocka_unit_test(trailing_white_space_is_allowed),
		cmocka_unit_test(fill_reads_from_a_pipe_and_reports_eof),
		cmocka_unit_test(a_frame_of_exactly_the_limit_is_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
