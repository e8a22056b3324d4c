/* Unit tests: lib/rpc/client against a scripted fake daemon in a child process */
#include "tests/unit/unit.h"

#include <ctype.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rpc/client.h"
#include "lib/rpc/frame.h"

struct fake {
	int fd;
	struct rpc_reader r;
};

static struct json_object *fake_read(struct fake *f)
{
	struct json_object *o;

	for (;;) {
		if (rpc_reader_next(&f->r, &o, NULL) == 1)
			return o;
		if (rpc_reader_fill(&f->r, f->fd, NULL) <= 0)
			_exit(0);
	}
}

static void fake_send(struct fake *f, struct json_object *o)
{
	struct buf b = BUF_INIT;

	rpc_frame_encode(o, &b, NULL);
	json_object_put(o);
	if (write(f->fd, b.data, b.len) != (ssize_t)b.len)
		_exit(3);
	buf_free(&b);
}

static void fake_console(struct fake *f, int64_t id)
{
	struct json_object *res = json_object_new_object(), *o;
	struct rpc_msg m;

	json_object_object_add(res, "stream", json_object_new_int(9));
	fake_send(f, rpc_reply_new(id, res));
	fake_send(f, rpc_stream_data_new(8, "other stream", 12));
	fake_send(f, rpc_stream_data_new(9, "abc", 3));
	/* echo what the client types, upper-cased, until it ends the stream */
	for (;;) {
		struct buf b = BUF_INIT;

		o = fake_read(f);
		rpc_msg_parse(o, &m, NULL);
		if (m.kind == RPC_MSG_STREAM_END) {
			json_object_put(o);
			break;
		}
		rpc_b64_decode(m.b64, &b, NULL);
		for (size_t i = 0; i < b.len; i++)
			b.data[i] = (char)toupper((unsigned char)b.data[i]);
		fake_send(f, rpc_stream_data_new(9, b.data, b.len));
		buf_free(&b);
		json_object_put(o);
	}
	fake_send(f, rpc_stream_end_new(9));
}

/* The fake daemon: answers hello, echo, fail, console, garbage, slow, bye. */
static void fake_daemon(int fd)
{
	struct fake f = { .fd = fd };
	struct json_object *o, *res;
	struct rpc_msg m;

	rpc_reader_init(&f.r);
	for (;;) {
		o = fake_read(&f);
		if (rpc_msg_parse(o, &m, NULL) < 0 || m.kind != RPC_MSG_REQUEST)
			_exit(4);
		if (strcmp(m.method, "hello") == 0) {
			res = json_tokener_parse("{\"version\":1,\"daemon\":\"fake 1\","
						 "\"readonly\":true,\"uri\":\"vireo:///system\"}");
			fake_send(&f, rpc_reply_new(m.id, res));
		} else if (strcmp(m.method, "echo") == 0) {
			/* events and stream frames first: the call must skip and keep them */
			fake_send(&f, rpc_event_new("domain.lifecycle",
						    json_tokener_parse("{\"name\":\"a\"}")));
			fake_send(&f, rpc_stream_data_new(5, "xy", 2));
			fake_send(&f, rpc_reply_new(m.id + 1000, NULL));	/* stale id */
			fake_send(&f, rpc_reply_new(m.id, json_object_get(m.params)));
		} else if (strcmp(m.method, "fail") == 0) {
			fake_send(&f, rpc_error_new(m.id, "no-domain", "domain 'x' not found"));
		} else if (strcmp(m.method, "console") == 0) {
			fake_console(&f, m.id);
		} else if (strcmp(m.method, "garbage") == 0) {
			if (write(fd, "\0\0\0\3abc", 7) != 7)
				_exit(3);
		} else if (strcmp(m.method, "slow") == 0) {
			usleep(300 * 1000);
			fake_send(&f, rpc_reply_new(m.id, NULL));
		} else if (strcmp(m.method, "bye") == 0) {
			_exit(0);
		}
		json_object_put(o);
	}
}

static pid_t start_fake(int *client_fd)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		fake_daemon(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	*client_fd = sv[0];
	return pid;
}

static void stop_fake(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void hello_is_said_and_its_reply_kept(void **state)
{
	struct err *e = NULL;
	int fd;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	assert_non_null(c);
	assert_true(rpc_client_readonly(c));
	assert_string_equal(rpc_client_daemon_name(c), "fake 1");
	assert_string_equal(rpc_client_uri(c), "vireo:///system");
	rpc_client_close(c);
	stop_fake(pid);
}

static void call_skips_events_and_streams_and_queues_them(void **state)
{
	struct err *e = NULL;
	struct json_object *res, *ev_data;
	struct buf out = BUF_INIT;
	char *ev;
	int fd;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	assert_int_equal(rpc_client_call(c, "echo", json_tokener_parse("{\"k\":42}"), &res, &e),
			 0);
	assert_int_equal(json_object_get_int(json_object_object_get(res, "k")), 42);
	json_object_put(res);
	assert_int_equal(rpc_client_next_event(c, 0, &ev, &ev_data, &e), 1);
	assert_string_equal(ev, "domain.lifecycle");
	assert_string_equal(json_object_get_string(json_object_object_get(ev_data, "name")), "a");
	free(ev);
	json_object_put(ev_data);
	assert_int_equal(rpc_client_next_event(c, 0, &ev, &ev_data, &e), 0);
	assert_int_equal(rpc_client_stream_read(c, 5, 0, &out, &e), RPC_STREAM_DATA);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "xy", 2);
	buf_free(&out);
	rpc_client_close(c);
	stop_fake(pid);
}

static void error_reply_becomes_an_err_with_the_rpc_code(void **state)
{
	struct err *e = NULL;
	struct json_object *res = (void *)1;
	int fd;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	assert_int_equal(rpc_client_call(c, "fail", NULL, &res, &e), -1);
	assert_null(res);
	assert_err(e, "no-domain", "domain 'x' not found");
	/* the connection is still good */
	assert_int_equal(rpc_client_call(c, "echo", NULL, NULL, &e), 0);
	rpc_client_close(c);
	stop_fake(pid);
}

static void console_stream_flows_both_ways_and_ends(void **state)
{
	struct err *e = NULL;
	struct json_object *res;
	struct buf out = BUF_INIT;
	int64_t stream;
	int fd, rc;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	assert_int_equal(rpc_client_call(c, "console", NULL, &res, &e), 0);
	stream = json_object_get_int64(json_object_object_get(res, "stream"));
	json_object_put(res);
	assert_int_equal(stream, 9);
	assert_int_equal(rpc_client_stream_read(c, stream, 2000, &out, &e), RPC_STREAM_DATA);
	assert_int_equal(rpc_client_stream_write(c, stream, "hello", 5, &e), 0);
	while (out.len < 8) {
		rc = rpc_client_stream_read(c, stream, 2000, &out, &e);
		assert_int_equal(rc, RPC_STREAM_DATA);
	}
	assert_memory_equal(out.data, "abcHELLO", 8);
	assert_int_equal(rpc_client_stream_end(c, stream, &e), 0);
	assert_int_equal(rpc_client_stream_read(c, stream, 2000, &out, &e), RPC_STREAM_ENDED);
	assert_int_equal(rpc_client_stream_read(c, stream, 0, &out, &e), RPC_STREAM_NONE);
	buf_free(&out);
	rpc_client_close(c);
	stop_fake(pid);
}

static void daemon_garbage_or_hangup_fails_every_later_call(void **state)
{
	struct err *e = NULL;
	int fd;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	assert_int_equal(rpc_client_call(c, "garbage", NULL, NULL, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "not valid JSON");
	assert_int_equal(rpc_client_call(c, "echo", NULL, NULL, &e), -1);
	assert_err(e, RPC_ERR_INVALID_FRAME, "not valid JSON");
	rpc_client_close(c);
	stop_fake(pid);

	pid = start_fake(&fd);
	c = rpc_client_open_fds(fd, fd, "test", &e);
	assert_int_equal(rpc_client_call(c, "bye", NULL, NULL, &e), -1);
	assert_err(e, RPC_ERR_OPERATION_FAILED, "closed the connection");
	rpc_client_close(c);
	stop_fake(pid);
}

static void call_times_out_and_the_late_reply_is_dropped(void **state)
{
	struct err *e = NULL;
	struct json_object *res;
	int fd;
	pid_t pid = start_fake(&fd);
	struct rpc_client *c = rpc_client_open_fds(fd, fd, "test", &e);

	rpc_client_set_timeout(c, 50);
	assert_int_equal(rpc_client_call(c, "slow", NULL, NULL, &e), -1);
	assert_err(e, RPC_ERR_TIMEOUT, "'slow'");
	rpc_client_set_timeout(c, 5000);
	assert_int_equal(rpc_client_call(c, "echo", json_tokener_parse("{\"n\":1}"), &res, &e), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(res, "n")), 1);
	json_object_put(res);
	rpc_client_close(c);
	stop_fake(pid);
}

static void connecting_to_a_missing_socket_names_it(void **state)
{
	struct err *e = NULL;

	assert_null(rpc_client_connect("/nonexistent/vireod.sock", "test", &e));
	assert_err(e, RPC_ERR_OPERATION_FAILED, "/nonexistent/vireod.sock");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_is_said_and_its_reply_kept),
		cmocka_unit_test(call_skips_events_and_streams_and_queues_them),
		cmocka_unit_test(error_reply_becomes_an_err_with_the_rpc_code),
		cmocka_unit_test(console_stream_flows_both_ways_and_ends),
		cmocka_unit_test(daemon_garbage_or_hangup_fails_every_later_call),
		cmocka_unit_test(call_times_out_and_the_late_reply_is_dropped),
		cmocka_unit_test(connecting_to_a_missing_socket_names_it),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
