/* Unit tests: lib/qmp/client (the daemon's QMP client) against a scripted worker end
 * of a socketpair, driven by the event loop. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/qmp/client.h"
#include "lib/util/evloop.h"

struct seen {
	int ready, closed, replies, errors;
	char events[256];
	char last_ret[256];
	char last_err[256];
	struct qmp_client *q;
	bool free_in_reply;
};

static void on_ready(void *opaque)
{
	((struct seen *)opaque)->ready++;
}

static void on_event(void *opaque, const char *name, struct json_object *data)
{
	struct seen *s = opaque;

	strncat(s->events, name, sizeof(s->events) - strlen(s->events) - 2);
	strcat(s->events, " ");
}

static void on_closed(void *opaque, const struct err *why)
{
	struct seen *s = opaque;

	s->closed++;
	snprintf(s->last_err, sizeof(s->last_err), "%s", why->message);
}

static const struct qmp_client_ops ops = { on_ready, on_event, on_closed };

static void on_reply(void *opaque, struct json_object *ret, const struct err *e)
{
	struct seen *s = opaque;

	if (e) {
		s->errors++;
		snprintf(s->last_err, sizeof(s->last_err), "%s", e->message);
	} else {
		s->replies++;
		snprintf(s->last_ret, sizeof(s->last_ret), "%s",
			 ret ? json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN) : "-");
	}
	if (s->free_in_reply) {
		qmp_client_free(s->q);
		s->q = NULL;
	}
}

static void worker_says(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Read what the client sent so far (one run of the loop must have flushed it). */
static void worker_hears(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
}

static void spin(struct evloop *loop, int rounds)
{
	for (int i = 0; i < rounds; i++)
		evloop_run_once(loop, 20, NULL);
}

struct rig {
	struct evloop *loop;
	int worker;
	struct seen s;
};

static void rig_up(struct rig *r)
{
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->loop = evloop_new(NULL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv),
			 0);
	r->worker = sv[1];
	r->s.q = qmp_client_open_fd(r->loop, sv[0], &ops, &r->s, NULL);
	assert_non_null(r->s.q);
}

static void rig_ready(struct rig *r)
{
	char heard[512];

	worker_says(r->worker, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, "
			       "\"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n");
	spin(r->loop, 2);
	worker_hears(r->worker, heard, sizeof(heard));
	assert_non_null(strstr(heard, "\"execute\":\"qmp_capabilities\""));
	worker_says(r->worker, "{\"return\": {}, \"id\": \"vireod-caps\"}\r\n");
	spin(r->loop, 2);
	assert_int_equal(r->s.ready, 1);
}

static void rig_down(struct rig *r)
{
	qmp_client_free(r->s.q);
	close(r->worker);
	evloop_free(r->loop);
}

static void greeting_then_capabilities_then_ready(void **state)
{
	struct rig r;

	rig_up(&r);
	assert_false(qmp_client_is_ready(r.s.q));
	rig_ready(&r);
	assert_true(qmp_client_is_ready(r.s.q));
	assert_int_equal(json_object_get_int(json_object_object_get(
				 json_object_object_get(qmp_client_version(r.s.q), "qemu"), "major")),
			 7);
	rig_down(&r);
}

static void commands_before_ready_are_held_then_sent(void **state)
{
	struct rig r;
	char heard[512];

	rig_up(&r);
	assert_int_equal(qmp_client_execute(r.s.q, "cont", NULL, on_reply, &r.s, NULL), 0);
	spin(r.loop, 1);
	worker_hears(r.worker, heard, sizeof(heard));
	assert_string_equal(heard, "");
	rig_ready(&r);
	worker_hears(r.worker, heard, sizeof(heard));
	assert_string_equal(heard, "{\"execute\":\"cont\",\"id\":1}\r\n");
	rig_down(&r);
}

static void replies_match_by_id_and_events_interleave(void **state)
{
	struct rig r;

	rig_up(&r);
	rig_ready(&r);
	qmp_client_execute(r.s.q, "query-status", NULL, on_reply, &r.s, NULL);
	qmp_client_execute(r.s.q, "query-balloon", NULL, on_reply, &r.s, NULL);
	spin(r.loop, 1);
	/* answers out of order, an event in between, split mid-message */
	worker_says(r.worker, "{\"return\": {\"actual\": 1024}, \"id\": 2}\r\n{\"event\": \"STOP\","
			      " \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n{\"ret");
	spin(r.loop, 2);
	assert_int_equal(r.s.replies, 1);
	assert_string_equal(r.s.last_ret, "{\"actual\":1024}");
	assert_string_equal(r.s.events, "STOP ");
	worker_says(r.worker, "urn\": {\"status\": \"paused\"}, \"id\": 1}\r\n");
	spin(r.loop, 2);
	assert_int_equal(r.s.replies, 2);
	assert_string_equal(r.s.last_ret, "{\"status\":\"paused\"}");
	rig_down(&r);
}

static void qmp_error_reaches_the_callback_with_class_and_desc(void **state)
{
	struct rig r;

	rig_up(&r);
	rig_ready(&r);
	qmp_client_execute(r.s.q, "balloon", json_tokener_parse("{\"value\": 1}"), on_reply, &r.s,
			   NULL);
	spin(r.loop, 1);
	worker_says(r.worker, "{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"No balloon "
			      "device has been activated\"}, \"id\": 1}\r\n");
	spin(r.loop, 2);
	assert_int_equal(r.s.errors, 1);
	assert_string_equal(r.s.last_err, "DeviceNotActive: No balloon device has been activated");
	assert_int_equal(r.s.closed, 0);
	rig_down(&r);
}

static void hangup_fails_pending_commands_then_reports_closed(void **state)
{
	struct rig r;
	struct err *e = NULL;

	rig_up(&r);
	rig_ready(&r);
	qmp_client_execute(r.s.q, "system_powerdown", NULL, on_reply, &r.s, NULL);
	close(r.worker);
	spin(r.loop, 2);
	assert_int_equal(r.s.errors, 1);
	assert_int_equal(r.s.closed, 1);
	assert_non_null(strstr(r.s.last_err, "QMP socket"));
	assert_int_equal(qmp_client_execute(r.s.q, "cont", NULL, NULL, NULL, &e), -1);
	assert_err(e, "operation-failed", "closed");
	qmp_client_free(r.s.q);
	evloop_free(r.loop);
}

static void garbage_from_the_worker_closes_the_connection(void **state)
{
	struct rig r;

	rig_up(&r);
	rig_ready(&r);
	worker_says(r.worker, "[1, 2]\r\n");
	spin(r.loop, 2);
	assert_int_equal(r.s.closed, 1);
	assert_non_null(strstr(r.s.last_err, "bad QMP data"));
	rig_down(&r);
}

static void endless_message_is_cut_off(void **state)
{
	struct rig r;
	char chunk[4096];

	rig_up(&r);
	rig_ready(&r);
	memset(chunk, ' ', sizeof(chunk));
	worker_says(r.worker, "{\"return\": \"");
	for (size_t sent = 0; sent <= QMP_CLIENT_MAX_MESSAGE && !r.s.closed;
	     sent += sizeof(chunk)) {
		if (write(r.worker, chunk, sizeof(chunk)) < 0)
			spin(r.loop, 1);
		spin(r.loop, 1);
	}
	spin(r.loop, 4);
	assert_int_equal(r.s.closed, 1);
	assert_non_null(strstr(r.s.last_err, "too large"));
	rig_down(&r);
}

static void free_inside_a_reply_callback_is_safe(void **state)
{
	struct rig r;

	rig_up(&r);
	rig_ready(&r);
	r.s.free_in_reply = true;
	qmp_client_execute(r.s.q, "cont", NULL, on_reply, &r.s, NULL);
	qmp_client_execute(r.s.q, "stop", NULL, on_reply, &r.s, NULL);
	spin(r.loop, 1);
	worker_says(r.worker, "{\"return\": {}, \"id\": 1}\r\n{\"return\": {}, \"id\": 2}\r\n");
	spin(r.loop, 2);
	assert_int_equal(r.s.replies, 1);	/* the second reply was never delivered */
	assert_null(r.s.q);
	assert_int_equal(evloop_source_count(r.loop), 0);
	close(r.worker);
	evloop_free(r.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(greeting_then_capabilities_then_ready),
		cmocka_unit_test(commands_before_ready_are_held_then_sent),
		cmocka_unit_test(replies_match_by_id_and_events_interleave),
		cmocka_unit_test(qmp_error_reaches_the_callback_with_class_and_desc),
		cmocka_unit_test(hangup_fails_pending_commands_then_reports_closed),
		cmocka_unit_test(garbage_from_the_worker_closes_the_connection),
		cmocka_unit_test(endless_message_is_cut_off),
		cmocka_unit_test(free_inside_a_reply_callback_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
