/* Unit tests: qemu-wrap/qmp (the QMP server, driven without sockets). */
#include "tests/unit/unit.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "lib/util/evloop.h"
#include "qemu-wrap/chardev.h"
#include "qemu-wrap/qmp.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
		 "\"package\": \"vireo-vmm " PACKAGE_VERSION "\"}, \"capabilities\": []}}\r\n"

/* ---- a fake machine ---- */

struct fake_vm {
	struct qmp *q;
	int stops, conts, powerdowns, resets, quits;
	int64_t balloon;
	bool fail_stop;
	bool no_balloon_device;
	char *qom_path, *qom_prop, *qom_value;
};

static json_object *fake_query_status(void *vm)
{
	struct fake_vm *f = vm;
	json_object *o = json_object_new_object();
	bool running = f->stops <= f->conts;

	json_object_object_add(o, "status", json_object_new_string(running ? "running" : "paused"));
	json_object_object_add(o, "singlestep", json_object_new_boolean(false));
	json_object_object_add(o, "running", json_object_new_boolean(running));
	return o;
}

static json_object *fake_query_name(void *vm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string("web"));
	return o;
}

static json_object *fake_query_uuid(void *vm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "UUID",
			       json_object_new_string("c7a5fdbd-cdaf-9455-926a-d65c16db1809"));
	return o;
}

static json_object *fake_query_chardev(void *vm)
{
	json_object *a = json_object_new_array(), *c = json_object_new_object();

	json_object_object_add(c, "frontend-open", json_object_new_boolean(true));
	json_object_object_add(c, "filename", json_object_new_string("pty:/dev/pts/7"));
	json_object_object_add(c, "label", json_object_new_string("charserial0"));
	json_object_array_add(a, c);
	return a;
}

static int fake_stop(void *vm, struct err **errp)
{
	struct fake_vm *f = vm;

	if (f->fail_stop)
		return err_set(errp, ERR_INVALID, "cannot stop: %s", "the vCPUs are busy");
	f->stops++;
	qmp_emit_event(f->q, "STOP", NULL);	/* QEMU: before the reply */
	return 0;
}

static int fake_cont(void *vm, struct err **errp)
{
	((struct fake_vm *)vm)->conts++;
	return 0;
}

static int fake_powerdown(void *vm, struct err **errp)
{
	((struct fake_vm *)vm)->powerdowns++;
	return 0;
}

static int fake_reset(void *vm, struct err **errp)
{
	((struct fake_vm *)vm)->resets++;
	return 0;
}

static int fake_quit(void *vm, struct err **errp)
{
	((struct fake_vm *)vm)->quits++;
	return 0;
}

static int fake_balloon(void *vm, int64_t bytes, struct err **errp)
{
	struct fake_vm *f = vm;

	if (f->no_balloon_device)
		return err_set(errp, QMP_CLASS_DEVICE_NOT_ACTIVE,
			       "No balloon device has been activated");
	f->balloon = bytes;
	return 0;
}

static json_object *fake_query_balloon(void *vm, struct err **errp)
{
	struct fake_vm *f = vm;
	json_object *o;

	if (f->no_balloon_device) {
		err_set(errp, QMP_CLASS_DEVICE_NOT_ACTIVE, "No balloon device has been activated");
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "actual", json_object_new_int64(f->balloon));
	return o;
}

static json_object *fake_qom_get(void *vm, const char *path, const char *prop,
				 struct err **errp)
{
	if (strcmp(path, "/machine/peripheral/balloon0") != 0) {
		err_set(errp, QMP_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return NULL;
	}
	return json_object_new_int(5);
}

static int fake_qom_set(void *vm, const char *path, const char *prop, json_object *value,
			struct err **errp)
{
	struct fake_vm *f = vm;

	free(f->qom_path);
	free(f->qom_prop);
	free(f->qom_value);
	f->qom_path = xstrdup(path);
	f->qom_prop = xstrdup(prop);
	f->qom_value = xstrdup(json_object_to_json_string(value));
	return 0;
}

static const struct qmp_machine_ops full_ops = {
	.query_status = fake_query_status,
	.query_name = fake_query_name,
	.query_uuid = fake_query_uuid,
	.query_chardev = fake_query_chardev,
	.stop = fake_stop,
	.cont = fake_cont,
	.system_powerdown = fake_powerdown,
	.system_reset = fake_reset,
	.quit = fake_quit,
	.balloon = fake_balloon,
	.query_balloon = fake_query_balloon,
	.qom_get = fake_qom_get,
	.qom_set = fake_qom_set,
};

/* A machine without a balloon and without QOM. */
static const struct qmp_machine_ops small_ops = {
	.query_status = fake_query_status,
	.stop = fake_stop,
	.cont = fake_cont,
};

/* ---- harness ---- */

struct rig {
	struct fake_vm vm;
	struct qmp *q;
	pthread_mutex_t lock;	/* events may come from other threads */
	struct buf out;
	size_t messages;
};

static void capture(void *opaque, const char *data, size_t len)
{
	struct rig *r = opaque;

	pthread_mutex_lock(&r->lock);
	buf_append(&r->out, data, len, NULL);
	r->messages++;
	pthread_mutex_unlock(&r->lock);
}

static struct rig *rig_new_ops(const struct qmp_machine_ops *ops)
{
	struct rig *r = xzalloc(sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	buf_init(&r->out, 0);
	r->q = qmp_new(ops, &r->vm);
	r->vm.q = r->q;
	qmp_set_output(r->q, capture, r);
	return r;
}

static void rig_free(struct rig *r)
{
	qmp_free(r->q);
	buf_free(&r->out);
	free(r->vm.qom_path);
	free(r->vm.qom_prop);
	free(r->vm.qom_value);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* The next message written, as text without its CRLF (NULL if none). */
static char *next_text(struct rig *r)
{
	char *end, *s;

	if (!r->out.data || !(end = strstr(r->out.data, "\r\n")))
		return NULL;
	s = xstrndup(r->out.data, (size_t)(end - r->out.data));
	buf_consume(&r->out, (size_t)(end - r->out.data) + 2);
	return s;
}

/* The next message, parsed; fails the test if there is none or it is not JSON. */
static json_object *next_msg(struct rig *r)
{
	char *s = next_text(r);
	json_object *o;

	if (!s)
		fail_msg("no message (output: '%s')", r->out.data ? r->out.data : "");
	o = json_tokener_parse(s);
	if (!json_object_is_type(o, json_type_object))
		fail_msg("not a JSON object: %s", s);
	free(s);
	return o;
}

static void feed(struct rig *r, const char *s)
{
	qmp_feed(r->q, s, strlen(s));
}

/* Connected, greeted and negotiated, with the output cleared. */
static struct rig *rig_ready_ops(const struct qmp_machine_ops *ops)
{
	struct rig *r = rig_new_ops(ops);
	json_object *m;

	qmp_connected(r->q);
	feed(r, "{\"execute\": \"qmp_capabilities\"}\r\n");
	json_object_put(next_msg(r));	/* greeting */
	m = next_msg(r);
	assert_true(json_object_object_get_ex(m, "return", NULL));
	json_object_put(m);
	assert_null(r->out.data && *r->out.data ? r->out.data : NULL);
	return r;
}

static struct rig *rig_ready(void)
{
	return rig_ready_ops(&full_ops);
}

static const char *get_str(json_object *o, const char *path)
{
	char *copy = xstrdup(path), *save = NULL, *part;
	json_object *cur = o;

	for (part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, part, &cur))
			fail_msg("no member %s in %s", path, json_object_to_json_string(o));
	free(copy);
	return json_object_get_string(cur);
}

/* The next message that is not an event. */
static json_object *next_reply(struct rig *r)
{
	json_object *m = next_msg(r);

	while (json_object_object_get_ex(m, "event", NULL)) {
		json_object_put(m);
		m = next_msg(r);
	}
	return m;
}

/* Send one request and check the error reply's class and description. */
static void expect_error(struct rig *r, const char *request, const char *cls, const char *desc)
{
	json_object *m;

	feed(r, request);
	m = next_reply(r);
	assert_string_equal(get_str(m, "error.class"), cls);
	assert_string_equal(get_str(m, "error.desc"), desc);
	json_object_put(m);
}

/* Send one request and return the reply's "return" member as JSON text. */
static char *expect_return(struct rig *r, const char *request)
{
	json_object *m, *ret;
	char *s;

	feed(r, request);
	m = next_reply(r);
	if (!json_object_object_get_ex(m, "return", &ret))
		fail_msg("no return: %s", json_object_to_json_string(m));
	s = xstrdup(json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN));
	json_object_put(m);
	return s;
}

static void expect_return_eq(struct rig *r, const char *request, const char *want)
{
	char *got = expect_return(r, request);

	assert_string_equal(got, want);
	free(got);
}

/* ---- greeting and negotiation ---- */

static void greeting_is_sent_on_connect_in_qemu_format(void **state)
{
	struct rig *r = rig_new_ops(&full_ops);
	char *g;

	qmp_connected(r->q);
	g = buf_steal(&r->out);
	assert_string_equal(g, GREETING);
	free(g);
	rig_free(r);
}

static void commands_before_capabilities_are_refused(void **state)
{
	struct rig *r = rig_new_ops(&full_ops);

	qmp_connected(r->q);
	json_object_put(next_msg(r));
	expect_error(r, "{\"execute\": \"query-status\"}", "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	/* Unknown commands get the same hint before negotiation, as QEMU. */
	expect_error(r, "{\"execute\": \"no-such\"}", "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_int_equal(r->vm.stops, 0);
	expect_error(r, "{\"execute\": \"stop\"}", "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_int_equal(r->vm.stops, 0);
	expect_return_eq(r, "{\"execute\": \"qmp_capabilities\"}", "{}");
	assert_true(qmp_negotiated(r->q));
	expect_return_eq(r, "{\"execute\": \"stop\"}", "{}");
	rig_free(r);
}

static void second_capabilities_is_refused_and_oob_is_not_offered(void **state)
{
	struct rig *r = rig_new_ops(&full_ops);

	qmp_connected(r->q);
	json_object_put(next_msg(r));
	expect_error(r, "{\"execute\": \"qmp_capabilities\", "
		     "\"arguments\": {\"enable\": [\"oob\"]}}",
		     "GenericError", "Capability 'oob' not available");
	expect_error(r, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"x\"]}}",
		     "GenericError", "Parameter 'enable[0]' does not accept value 'x'");
	expect_error(r, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": \"oob\"}}",
		     "GenericError", "Invalid parameter type for 'enable', expected: array");
	assert_false(qmp_negotiated(r->q));
	expect_return_eq(r, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": []}}",
			 "{}");
	expect_error(r, "{\"execute\": \"qmp_capabilities\"}", "CommandNotFound",
		     "Capabilities negotiation is already complete, command ignored");
	rig_free(r);
}

static void reconnect_starts_a_new_session(void **state)
{
	struct rig *r = rig_ready();
	char *g;

	qmp_disconnected(r->q);
	assert_false(qmp_negotiated(r->q));
	qmp_emit_event(r->q, "STOP", NULL);	/* nobody to tell */
	assert_null(r->out.data && *r->out.data ? r->out.data : NULL);
	/* A half-sent request of the old client is forgotten. */
	feed(r, "{\"execute\": \"qu");
	qmp_disconnected(r->q);
	qmp_connected(r->q);
	g = next_text(r);
	assert_string_equal(g, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
			       "\"major\": 7}, \"package\": \"vireo-vmm " PACKAGE_VERSION
			       "\"}, \"capabilities\": []}}");
	free(g);
	expect_error(r, "{\"execute\": \"query-status\"}", "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	rig_free(r);
}

/* ---- commands ---- */

static void query_version_reports_qemu_7_2(void **state)
{
	struct rig *r = rig_ready();

	expect_return_eq(r, "{\"execute\": \"query-version\"}",
			 "{\"qemu\":{\"micro\":0,\"minor\":2,\"major\":7},\"package\":\"vireo-vmm "
			 PACKAGE_VERSION "\"}");
	rig_free(r);
}

static bool list_has(const char *list, const char *name)
{
	char *needle = xasprintf("{\"name\":\"%s\"}", name);
	bool found = strstr(list, needle) != NULL;

	free(needle);
	return found;
}

static void query_commands_lists_what_the_machine_provides(void **state)
{
	static const char *const all[] = {
		"qmp_capabilities", "query-version", "query-commands", "query-status",
		"query-name", "query-uuid", "query-chardev", "stop", "cont",
		"system_powerdown", "system_reset", "quit", "balloon", "query-balloon",
		"qom-get", "qom-set",
	};
	struct rig *r = rig_ready();
	char *list = expect_return(r, "{\"execute\": \"query-commands\"}");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (!list_has(list, all[i]))
			fail_msg("%s missing from %s", all[i], list);
	free(list);
	rig_free(r);

	r = rig_ready_ops(&small_ops);
	list = expect_return(r, "{\"execute\": \"query-commands\"}");
	assert_true(list_has(list, "stop"));
	assert_false(list_has(list, "balloon"));
	assert_false(list_has(list, "qom-get"));
	assert_false(list_has(list, "quit"));
	free(list);
	expect_error(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1}}",
		     "CommandNotFound", "The command balloon has not been found");
	rig_free(r);
}

static void queries_return_the_machine_answers(void **state)
{
	struct rig *r = rig_ready();

	expect_return_eq(r, "{\"execute\": \"query-status\"}",
			 "{\"status\":\"running\",\"singlestep\":false,\"running\":true}");
	expect_return_eq(r, "{\"execute\": \"query-name\"}", "{\"name\":\"web\"}");
	expect_return_eq(r, "{\"execute\": \"query-uuid\"}",
			 "{\"UUID\":\"c7a5fdbd-cdaf-9455-926a-d65c16db1809\"}");
	expect_return_eq(r, "{\"execute\": \"query-chardev\"}",
			 "[{\"frontend-open\":true,\"filename\":\"pty:\\/dev\\/pts\\/7\","
			 "\"label\":\"charserial0\"}]");
	rig_free(r);
}

static void actions_reach_the_machine_once_each(void **state)
{
	struct rig *r = rig_ready();
	json_object *m;

	feed(r, "{\"execute\": \"stop\"}");
	m = next_msg(r);	/* the STOP event comes first, as in QEMU */
	assert_string_equal(get_str(m, "event"), "STOP");
	json_object_put(m);
	m = next_msg(r);
	assert_true(json_object_object_get_ex(m, "return", NULL));
	json_object_put(m);
	expect_return_eq(r, "{\"execute\": \"query-status\"}",
			 "{\"status\":\"paused\",\"singlestep\":false,\"running\":false}");
	expect_return_eq(r, "{\"execute\": \"cont\"}", "{}");
	expect_return_eq(r, "{\"execute\": \"system_powerdown\"}", "{}");
	expect_return_eq(r, "{\"execute\": \"system_reset\"}", "{}");
	expect_return_eq(r, "{\"execute\": \"quit\"}", "{}");
	assert_int_equal(r->vm.stops, 1);
	assert_int_equal(r->vm.conts, 1);
	assert_int_equal(r->vm.powerdowns, 1);
	assert_int_equal(r->vm.resets, 1);
	assert_int_equal(r->vm.quits, 1);
	rig_free(r);
}

static void machine_errors_become_error_replies(void **state)
{
	struct rig *r = rig_ready();

	r->vm.fail_stop = true;
	expect_error(r, "{\"execute\": \"stop\", \"id\": 3}", "GenericError",
		     "cannot stop: the vCPUs are busy");
	r->vm.no_balloon_device = true;
	expect_error(r, "{\"execute\": \"query-balloon\"}", "DeviceNotActive",
		     "No balloon device has been activated");
	expect_error(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1048576}}",
		     "DeviceNotActive", "No balloon device has been activated");
	expect_error(r, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/x\", "
		     "\"property\": \"guest-stats\"}}", "DeviceNotFound", "Device '/x' not found");
	rig_free(r);
}

static void balloon_and_qom_pass_checked_arguments(void **state)
{
	struct rig *r = rig_ready();

	expect_return_eq(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 536870912}}",
			 "{}");
	assert_int_equal(r->vm.balloon, 536870912);
	expect_return_eq(r, "{\"execute\": \"query-balloon\"}", "{\"actual\":536870912}");
	expect_error(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 0}}",
		     "GenericError", "Parameter 'target' expects a size");
	expect_error(r, "{\"execute\": \"balloon\"}", "GenericError",
		     "Parameter 'value' is missing");
	expect_error(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": \"1G\"}}",
		     "GenericError", "Invalid parameter type for 'value', expected: integer");
	expect_error(r, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1.5}}",
		     "GenericError", "Invalid parameter type for 'value', expected: integer");
	expect_return_eq(r, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": "
			 "\"/machine/peripheral/balloon0\", "
			 "\"property\": \"guest-stats-polling-interval\"}}",
			 "5");
	expect_return_eq(r, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/p\", "
			 "\"property\": \"guest-stats-polling-interval\", \"value\": 10}}", "{}");
	assert_string_equal(r->vm.qom_path, "/p");
	assert_string_equal(r->vm.qom_prop, "guest-stats-polling-interval");
	assert_string_equal(r->vm.qom_value, "10");
	expect_error(r, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/p\", "
		     "\"property\": \"x\"}}", "GenericError", "Parameter 'value' is missing");
	rig_free(r);
}

static void unexpected_and_mistyped_arguments_are_refused(void **state)
{
	struct rig *r = rig_ready();

	expect_error(r, "{\"execute\": \"stop\", \"arguments\": {\"now\": true}}", "GenericError",
		     "Parameter 'now' is unexpected");
	assert_int_equal(r->vm.stops, 0);
	expect_error(r, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": 1, "
		     "\"property\": \"p\"}}", "GenericError",
		     "Invalid parameter type for 'path', expected: string");
	expect_error(r, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/p\", "
		     "\"property\": \"p\", \"extra\": null}}", "GenericError",
		     "Parameter 'extra' is unexpected");
	expect_return_eq(r, "{\"execute\": \"stop\", \"arguments\": {}}", "{}");
	rig_free(r);
}

/* ---- ids and bad requests ---- */

static void id_is_echoed_whatever_its_type(void **state)
{
	static const char *const ids[] = {
		"\"libvirt-12\"", "7", "{\"a\": [1, 2]}", "null", "-1.5", "true",
	};
	struct rig *r = rig_ready();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		char *req = xasprintf("{\"execute\": \"cont\", \"id\": %s}", ids[i]);
		char *bad = xasprintf("{\"id\": %s, \"execute\": \"nope\"}", ids[i]);
		char *want = xasprintf("{\"return\": {}, \"id\": %s}", ids[i]);
		char *want_err = xasprintf("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
					   "\"The command nope has not been found\"}, \"id\": %s}",
					   ids[i]);
		char *got;

		feed(r, req);
		got = next_text(r);
		assert_string_equal(got, want);
		free(got);
		feed(r, bad);
		got = next_text(r);
		assert_string_equal(got, want_err);
		free(got);
		free(req);
		free(bad);
		free(want);
		free(want_err);
	}
	rig_free(r);
}

static void malformed_json_is_answered_and_the_server_goes_on(void **state)
{
	struct rig *r = rig_ready();
	json_object *m;

	feed(r, "{\"execute\": stop}\n");
	m = next_msg(r);
	assert_string_equal(get_str(m, "error.class"), "GenericError");
	assert_non_null(strstr(get_str(m, "error.desc"), "JSON parse error"));
	assert_false(json_object_object_get_ex(m, "id", NULL));
	json_object_put(m);
	assert_null(next_text(r));	/* one error per bad line */
	expect_return_eq(r, "{\"execute\": \"cont\"}", "{}");
	/* Invalid UTF-8 and a NUL byte are parse errors too. */
	qmp_feed(r->q, "{\"execute\": \"\xc3\"}\n", 17);
	json_object_put(next_msg(r));
	qmp_feed(r->q, "{\"exe\0cute\"}\n", 13);
	json_object_put(next_msg(r));
	assert_null(next_text(r));
	expect_return_eq(r, "{\"execute\": \"cont\"}", "{}");
	rig_free(r);
}

static void non_objects_are_refused(void **state)
{
	static const char *const inputs[] = { "[1, 2]", "42\n", "\"stop\"", "null\n", "true\n" };
	struct rig *r = rig_ready();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(inputs); i++)
		expect_error(r, inputs[i], "GenericError", "QMP input must be a JSON object");
	expect_return_eq(r, "{\"execute\": \"cont\"}", "{}");
	rig_free(r);
}

static void bad_request_members_are_refused(void **state)
{
	struct rig *r = rig_ready();

	expect_error(r, "{}", "GenericError", "QMP input lacks member 'execute'");
	expect_error(r, "{\"arguments\": {}, \"id\": 1}", "GenericError",
		     "QMP input lacks member 'execute'");
	expect_error(r, "{\"execute\": 1}", "GenericError",
		     "QMP input member 'execute' must be a string");
	expect_error(r, "{\"execute\": \"stop\", \"arguments\": []}", "GenericError",
		     "QMP input member 'arguments' must be an object");
	expect_error(r, "{\"execute\": \"stop\", \"argument\": {}}", "GenericError",
		     "QMP input member 'argument' is unexpected");
	expect_error(r, "{\"execute\": \"system_powerdow\"}", "CommandNotFound",
		     "The command system_powerdow has not been found");
	assert_int_equal(r->vm.stops + r->vm.powerdowns, 0);
	rig_free(r);
}

/* ---- the input stream ---- */

static void request_split_across_feeds_is_reassembled(void **state)
{
	const char *req = "{\"execute\": \"query-name\", \"id\": \"a\\u00e9\\ud83d\\ude00\"}\r\n";
	struct rig *r = rig_ready();
	char *got;
	size_t i;

	for (i = 0; req[i]; i++) {
		qmp_feed(r->q, &req[i], 1);
		if (req[i + 1] && req[i + 1] != '\r' && req[i + 1] != '\n')
			assert_null(r->out.data && *r->out.data ? r->out.data : NULL);
	}
	got = next_text(r);
	/* ids come back in QEMU's ASCII escapes, a surrogate pair for U+1F600 */
	assert_string_equal(got, "{\"return\": {\"name\": \"web\"}, "
				 "\"id\": \"a\\u00E9\\uD83D\\uDE00\"}");
	free(got);
	rig_free(r);
}

static void several_requests_in_one_feed_get_replies_in_order(void **state)
{
	struct rig *r = rig_ready();
	json_object *m;
	int i;

	feed(r, "{\"execute\":\"cont\",\"id\":1}{\"execute\":\"nope\",\"id\":2}\r\n"
		"{\"execute\":\"query-name\",\"id\":3}  {\"execute\": \"cont\", \"id\": 4}");
	for (i = 1; i <= 4; i++) {
		json_object *id;

		m = next_msg(r);
		assert_true(json_object_object_get_ex(m, "id", &id));
		assert_int_equal(json_object_get_int(id), i);
		assert_int_equal(json_object_object_get_ex(m, "error", NULL), i == 2);
		json_object_put(m);
	}
	assert_null(next_text(r));
	rig_free(r);
}

static void oversize_input_is_refused_then_resynchronised(void **state)
{
	struct rig *r = rig_ready();
	size_t big = QMP_MAX_INPUT + 4096, i;
	char *s = xmalloc(big + 1);
	json_object *m;

	memcpy(s, "{\"execute\": \"cont\", \"id\": \"", 27);
	for (i = 27; i < big; i++)
		s[i] = 'x';
	s[big] = '\0';
	qmp_feed(r->q, s, big);
	m = next_msg(r);
	assert_string_equal(get_str(m, "error.class"), "GenericError");
	assert_non_null(strstr(get_str(m, "error.desc"), "exceeds the limit"));
	json_object_put(m);
	/* The rest of that line is skipped; later lines are served. */
	qmp_feed(r->q, s + 27, 100000);
	assert_null(next_text(r));
	feed(r, "xxxx\"}\n{\"execute\": \"cont\", \"id\": 9}\n");
	m = next_msg(r);
	assert_int_equal(json_object_get_int(json_object_object_get(m, "id")), 9);
	json_object_put(m);
	assert_int_equal(r->vm.conts, 1);
	free(s);
	rig_free(r);
}

/* ---- events ---- */

static void events_carry_timestamp_event_and_data(void **state)
{
	struct rig *r = rig_ready();
	json_object *m, *data = json_object_new_object(), *ts;
	char *text;

	json_object_object_add(data, "guest", json_object_new_boolean(true));
	json_object_object_add(data, "reason", json_object_new_string("guest-shutdown"));
	qmp_emit_event(r->q, "SHUTDOWN", data);
	text = next_text(r);
	assert_true(str_starts_with(text, "{\"timestamp\": {\"seconds\": "));
	assert_true(str_ends_with(text, "}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
				  "\"reason\": \"guest-shutdown\"}}"));
	m = json_tokener_parse(text);
	assert_true(json_object_object_get_ex(m, "timestamp", &ts));
	assert_true(json_object_get_int64(json_object_object_get(ts, "seconds")) > 1600000000);
	assert_in_range(json_object_get_int64(json_object_object_get(ts, "microseconds")), 0,
			999999);
	json_object_put(m);
	free(text);
	qmp_emit_event(r->q, "RESUME", NULL);
	text = next_text(r);
	assert_true(str_ends_with(text, "}, \"event\": \"RESUME\"}"));
	free(text);
	rig_free(r);
}

static void events_wait_for_negotiation(void **state)
{
	struct rig *r = rig_new_ops(&full_ops);

	qmp_emit_event(r->q, "STOP", NULL);
	assert_int_equal(r->messages, 0);
	qmp_connected(r->q);
	json_object_put(next_msg(r));
	qmp_emit_event(r->q, "STOP", json_object_new_object());
	assert_int_equal(r->messages, 1);
	rig_free(r);
}

struct emitter {
	struct qmp *q;
	int n;
};

static void *emit_many(void *arg)
{
	struct emitter *e = arg;
	int i;

	for (i = 0; i < e->n; i++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "i", json_object_new_int(i));
		qmp_emit_event(e->q, "BALLOON_CHANGE", d);
	}
	return NULL;
}

static void events_from_other_threads_do_not_interleave_with_replies(void **state)
{
	struct rig *r = rig_ready();
	struct emitter e = { r->q, 500 };
	pthread_t t[2];
	int i, events = 0, replies = 0;
	json_object *m;

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, emit_many, &e), 0);
	for (i = 0; i < 200; i++)
		feed(r, "{\"execute\": \"query-status\"}\r\n");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	while (r->out.len) {
		m = next_msg(r);	/* fails on a torn message */
		if (json_object_object_get_ex(m, "event", NULL))
			events++;
		else
			replies++;
		json_object_put(m);
	}
	assert_int_equal(events, 1000);
	assert_int_equal(replies, 200);
	rig_free(r);
}

static void json_output_is_qemu_style(void **state)
{
	json_object *o = json_tokener_parse("{\"s\": \"a\\\"b\\\\c\\n\\u0001/\\u007f\", \"e\": {}, "
					    "\"l\": [], "
					    "\"n\": [1, -2, 18446744073709551615, 0.5]}");
	struct buf b = BUF_INIT;

	qmp_json_format(&b, o);
	assert_string_equal(b.data, "{\"s\": \"a\\\"b\\\\c\\n\\u0001/\\u007F\", "
			    "\"e\": {}, \"l\": [], "
			    "\"n\": [1, -2, 18446744073709551615, 0.5]}");
	buf_free(&b);
	json_object_put(o);
}

/* ---- fuzz-ish: random and mangled input never crashes the server ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const seeds[] = {
	"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/p\", \"property\": \"x\", "
	"\"value\": {\"a\": [1, 2.5, null]}}, \"id\": \"z\"}",
	"{\"execute\": \"balloon\", \"arguments\": {\"value\": 1073741824}}",
	"{\"execute\": \"query-status\", \"id\": [1, {\"x\": \"\\u00e9\"}]}",
	"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
};

/* A random mangling of a valid request, or plain random bytes. */
static char *fuzz_input(uint64_t *s, size_t *len, bool *random_bytes)
{
	const char *seed = seeds[rnd(s) % ARRAY_SIZE(seeds)];
	size_t n = strlen(seed), i, edits = 1 + rnd(s) % 6;
	char *p;

	*random_bytes = rnd(s) % 3 == 0;
	if (*random_bytes) {
		n = 1 + rnd(s) % 300;
		p = xmalloc(n);
		for (i = 0; i < n; i++)
			p[i] = (char)(rnd(s) & 0xff);
		*len = n;
		return p;
	}
	p = xmemdup(seed, n);
	for (i = 0; i < edits; i++) {
		size_t at = rnd(s) % n;

		switch (rnd(s) % 3) {
		case 0: p[at] = (char)(rnd(s) & 0xff); break;		/* flip */
		case 1: n = at + 1; break;				/* truncate */
		default: p[at] = "{}[]\",:\\\n\0x"[rnd(s) % 12]; break;	/* syntax */
		}
	}
	*len = n;
	return p;
}

/* Every message is an error, or a reply to a mangled request that still made sense. */
static void check_fuzz_output(struct rig *r, bool random_bytes, size_t round)
{
	json_object *m;

	while (r->out.len) {
		m = next_msg(r);
		if (!json_object_object_get_ex(m, "error", NULL) &&
		    (random_bytes || !json_object_object_get_ex(m, "return", NULL)))
			fail_msg("round %zu: unexpected %s", round, json_object_to_json_string(m));
		json_object_put(m);
	}
}

static void random_and_malformed_input_never_crashes(void **state)
{
	const char *env = getenv("QMP_FUZZ_SEED"), *rounds_env = getenv("QMP_FUZZ_ROUNDS");
	uint64_t s = env ? strtoull(env, NULL, 0) : 0x9e3779b97f4a7c15ull;
	size_t rounds = rounds_env ? strtoull(rounds_env, NULL, 0) : 200, round;
	struct rig *r = rig_ready();

	for (round = 0; round < rounds; round++) {
		bool random_bytes;
		size_t len, off = 0;
		char *in = fuzz_input(&s, &len, &random_bytes);

		while (off < len) {	/* in random pieces */
			size_t piece = 1 + rnd(&s) % (len - off);

			qmp_feed(r->q, in + off, piece);
			off += piece;
		}
		free(in);
		check_fuzz_output(r, random_bytes, round);
		/* A new session each round: a mangled string may have swallowed the
		 * newline that would end the resynchronisation. */
		qmp_disconnected(r->q);
		qmp_connected(r->q);
		json_object_put(next_msg(r));
		feed(r, "{\"execute\": \"qmp_capabilities\"}\n");
		json_object_put(next_msg(r));
	}
	expect_return_eq(r, "{\"execute\": \"query-name\"}", "{\"name\":\"web\"}");
	rig_free(r);
}

/* ---- on a real socket chardev ---- */

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Run the loop until one CRLF-terminated line arrives on fd; returns it without CRLF. */
static char *read_line(struct evloop *loop, int fd)
{
	struct buf b = BUF_INIT;
	char c;
	int i;

	for (i = 0; i < 5000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		evloop_run_once(loop, 0, NULL);
		if (poll(&p, 1, 1) <= 0)
			continue;
		if (read(fd, &c, 1) != 1)
			break;
		buf_append(&b, &c, 1, NULL);
		if (b.len >= 2 && str_ends_with(b.data, "\r\n")) {
			b.data[b.len - 2] = '\0';
			return buf_steal(&b);
		}
	}
	fail_msg("no line (so far: '%s')", b.data ? b.data : "");
	return NULL;
}

static void send_line(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void serves_clients_one_after_another_on_a_socket(void **state)
{
	char *dir = make_temp_dir(), *path = xasprintf("%s/qmp.sock", dir), *line;
	struct evloop *loop = evloop_new(NULL);
	struct chardev_opts o;
	struct chardev *chr;
	struct fake_vm vm = { 0 };
	struct qmp *q = qmp_new(&full_ops, &vm);
	int round, fd;

	vm.q = q;
	chardev_opts_init(&o);
	o.backend = CHARDEV_SOCKET;	/* -qmp unix:PATH,server=on,wait=off */
	o.id = xstrdup("compat_monitor0");
	o.path = xstrdup(path);
	o.server = true;
	o.wait = false;
	chr = chardev_open(&o, loop, NULL);
	assert_non_null(chr);
	assert_int_equal(qmp_attach_chardev(q, chr, NULL), 0);
	for (round = 0; round < 2; round++) {
		fd = connect_unix(path);
		line = read_line(loop, fd);
		assert_true(str_starts_with(line, "{\"QMP\": {\"version\""));
		free(line);
		send_line(fd, "{\"execute\": \"query-status\"}\r\n");
		line = read_line(loop, fd);
		assert_non_null(strstr(line, "Expecting capabilities negotiation"));
		free(line);
		send_line(fd, "{\"execute\":\"qmp_capabilities\",\"id\":\"libvirt-1\"}\r\n");
		line = read_line(loop, fd);
		assert_string_equal(line, "{\"return\": {}, \"id\": \"libvirt-1\"}");
		free(line);
		qmp_emit_event(q, "POWERDOWN", NULL);
		line = read_line(loop, fd);
		assert_true(str_ends_with(line, "\"event\": \"POWERDOWN\"}"));
		free(line);
		close(fd);
		while (qmp_negotiated(q))
			evloop_run_once(loop, 10, NULL);
	}
	qmp_free(q);
	chardev_free(chr);
	chardev_opts_clear(&o);
	assert_int_equal(evloop_source_count(loop), 0);
	evloop_free(loop);
	rm_rf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(greeting_is_sent_on_connect_in_qemu_format),
		cmocka_unit_test(commands_before_capabilities_are_refused),
		cmocka_unit_test(second_capabilities_is_refused_and_oob_is_not_offered),
		cmocka_unit_test(reconnect_starts_a_new_session),
		cmocka_unit_test(query_version_reports_qemu_7_2),
		cmocka_unit_test(query_commands_lists_what_the_machine_provides),
		cmocka_unit_test(queries_return_the_machine_answers),
		cmocka_unit_test(actions_reach_the_machine_once_each),
		cmocka_unit_test(machine_errors_become_error_replies),
		cmocka_unit_test(balloon_and_qom_pass_checked_arguments),
		cmocka_unit_test(unexpected_and_mistyped_arguments_are_refused),
		cmocka_unit_test(id_is_echoed_whatever_its_type),
		cmocka_unit_test(malformed_json_is_answered_and_the_server_goes_on),
		cmocka_unit_test(non_objects_are_refused),
		cmocka_unit_test(bad_request_members_are_refused),
		cmocka_unit_test(request_split_across_feeds_is_reassembled),
		cmocka_unit_test(several_requests_in_one_feed_get_replies_in_order),
		cmocka_unit_test(oversize_input_is_refused_then_resynchronised),
		cmocka_unit_test(events_carry_timestamp_event_and_data),
		cmocka_unit_test(events_wait_for_negotiation),
		cmocka_unit_test(events_from_other_threads_do_not_interleave_with_replies),
		cmocka_unit_test(json_output_is_qemu_style),
		cmocka_unit_test(random_and_malformed_input_never_crashes),
		cmocka_unit_test(serves_clients_one_after_another_on_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
