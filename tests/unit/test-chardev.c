/* Unit tests: qemu-wrap/chardev (back-ends through a real event loop). */
#include "tests/unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util/buf.h"
#include "lib/util/evloop.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/chardev.h"

/* ---- harness ---- */

struct rec {
	struct buf in;
	int opened, closed;
	bool paused;		/* can_receive says 0 */
};

static void rec_receive(void *opaque, const uint8_t *buf, size_t len)
{
	buf_append(&((struct rec *)opaque)->in, buf, len, NULL);
}

static void rec_opened(void *opaque)
{
	((struct rec *)opaque)->opened++;
}

static void rec_closed(void *opaque)
{
	((struct rec *)opaque)->closed++;
}

static size_t rec_can_receive(void *opaque)
{
	return ((struct rec *)opaque)->paused ? 0 : 64;
}

static const struct chardev_frontend rec_fe = {
	.receive = rec_receive, .opened = rec_opened, .closed = rec_closed,
	.can_receive = rec_can_receive,
};

struct rig {
	char *dir;
	struct evloop *loop;
	struct chardev *chr;
	struct rec rec;
};

static struct rig *rig_new(void)
{
	struct rig *r = xzalloc(sizeof(*r));

	r->dir = make_temp_dir();
	r->loop = evloop_new(NULL);
	assert_non_null(r->loop);
	buf_init(&r->rec.in, 0);
	return r;
}

static char *rig_path(struct rig *r, const char *name)
{
	return xasprintf("%s/%s", r->dir, name);
}

/* Options for backend b labelled id, with the file name (if any) in the rig's directory. */
static struct chardev_opts rig_opts(struct rig *r, enum chardev_backend b, const char *id,
				    const char *name)
{
	struct chardev_opts o;

	chardev_opts_init(&o);
	o.backend = b;
	o.id = xstrdup(id);
	o.path = name ? rig_path(r, name) : NULL;
	return o;
}

/* Open o (then cleared) and attach rec. */
static struct chardev *rig_open(struct rig *r, struct chardev_opts *o)
{
	struct err *e = NULL;

	r->chr = chardev_open(o, r->loop, &e);
	if (!r->chr)
		fail_msg("%s: %s", o->id, err_describe(e));
	assert_int_equal(chardev_attach(r->chr, &rec_fe, &r->rec, NULL), 0);
	chardev_opts_clear(o);
	return r->chr;
}

/* "socket,id=s0,path=DIR/s.sock,server=on,wait=off", as libvirt writes it. */
static struct chardev *rig_server(struct rig *r)
{
	struct chardev_opts o = rig_opts(r, CHARDEV_SOCKET, "s0", "s.sock");

	o.server = true;
	o.wait = false;
	return rig_open(r, &o);
}

static void rig_free(struct rig *r)
{
	chardev_free(r->chr);
	assert_int_equal(evloop_source_count(r->loop), 0);
	evloop_free(r->loop);
	buf_free(&r->rec.in);
	rm_rf(r->dir);
	free(r->dir);
	free(r);
}

/* Run the loop until *counter reaches want (or 5 s pass: then fail). */
static void run_until_count(struct rig *r, const int *counter, int want)
{
	int i;

	for (i = 0; i < 500 && *counter < want; i++)
		evloop_run_once(r->loop, 10, NULL);
	if (*counter < want)
		fail_msg("waited in vain: %d < %d", *counter, want);
}

/* Run the loop until rec.in holds n bytes. */
static void run_until_input(struct rig *r, size_t n)
{
	int i;

	for (i = 0; i < 500 && r->rec.in.len < n; i++)
		evloop_run_once(r->loop, 10, NULL);
	if (r->rec.in.len < n)
		fail_msg("got %zu of %zu bytes", r->rec.in.len, n);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read exactly n bytes from fd (waiting at most 5 s), returned NUL-terminated. */
static char *read_n(int fd, size_t n)
{
	char *b = xzalloc(n + 1);
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 5000) <= 0)
			fail_msg("read timed out after %zu of %zu bytes", got, n);
		k = read(fd, b + got, n - got);
		if (k <= 0)
			fail_msg("read failed after %zu of %zu bytes", got, n);
		got += (size_t)k;
	}
	return b;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT;
	char tmp[256];
	size_t n;

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n, NULL);
	fclose(f);
	return buf_steal(&b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- file ---- */

static void file_backend_truncates_and_writes_everything(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "out.log"), *got;

	struct chardev_opts o = rig_opts(r, CHARDEV_FILE, "f0", "out.log");

	write_file(path, "old content\n");
	rig_open(r, &o);
	assert_int_equal(r->rec.opened, 1);	/* a file is open at once */
	assert_int_equal(chardev_write(r->chr, "hello ", 6), 6);
	assert_int_equal(chardev_write(r->chr, "world\n", 6), 6);
	got = slurp(path);
	assert_string_equal(got, "hello world\n");
	free(got);
	free(path);
	rig_free(r);
}

static void file_backend_append_keeps_existing_content(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "out.log"), *got;

	struct chardev_opts o = rig_opts(r, CHARDEV_FILE, "f0", "out.log");

	o.append = true;
	write_file(path, "boot 1\n");
	rig_open(r, &o);
	assert_int_equal(chardev_write(r->chr, "boot 2\n", 7), 7);
	got = slurp(path);
	assert_string_equal(got, "boot 1\nboot 2\n");
	free(got);
	free(path);
	rig_free(r);
}

/* ---- socket ---- */

static void socket_server_round_trip_through_the_loop(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock"), *got;
	int fd;

	rig_server(r);
	assert_false(chardev_is_connected(r->chr));
	fd = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	assert_true(chardev_is_connected(r->chr));
	assert_int_equal(write(fd, "ping", 4), 4);
	run_until_input(r, 4);
	assert_memory_equal(r->rec.in.data, "ping", 4);
	assert_int_equal(chardev_write(r->chr, "pong", 4), 4);
	got = read_n(fd, 4);
	assert_string_equal(got, "pong");
	free(got);
	close(fd);
	run_until_count(r, &r->rec.closed, 1);
	assert_false(chardev_is_connected(r->chr));
	chardev_free(r->chr);
	r->chr = NULL;
	assert_int_equal(access(path, F_OK), -1);	/* the socket file is gone */
	free(path);
	rig_free(r);
}

static void second_client_waits_until_the_first_leaves(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock"), *got;
	int a, b, i;

	rig_server(r);
	a = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	b = connect_unix(path);		/* sits in the backlog */
	for (i = 0; i < 10; i++)
		evloop_run_once(r->loop, 10, NULL);
	assert_int_equal(r->rec.opened, 1);
	assert_int_equal(chardev_write(r->chr, "to-a", 4), 4);
	got = read_n(a, 4);
	assert_string_equal(got, "to-a");
	free(got);
	close(a);
	run_until_count(r, &r->rec.closed, 1);
	run_until_count(r, &r->rec.opened, 2);	/* now b is served */
	assert_int_equal(chardev_write(r->chr, "to-b", 4), 4);
	got = read_n(b, 4);
	assert_string_equal(got, "to-b");
	free(got);
	close(b);
	free(path);
	rig_free(r);
}

static void client_can_disconnect_and_reconnect(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock");
	int round, fd;

	rig_server(r);
	for (round = 1; round <= 3; round++) {
		char msg[8];

		fd = connect_unix(path);
		run_until_count(r, &r->rec.opened, round);
		snprintf(msg, sizeof(msg), "m%d", round);
		assert_int_equal(write(fd, msg, 2), 2);
		run_until_input(r, (size_t)round * 2);
		close(fd);
		run_until_count(r, &r->rec.closed, round);
	}
	assert_memory_equal(r->rec.in.data, "m1m2m3", 6);
	free(path);
	rig_free(r);
}

static void writes_without_a_client_are_dropped_without_blocking(void **state)
{
	struct rig *r = rig_new();
	char chunk[4096];
	int i;

	memset(chunk, 'x', sizeof(chunk));
	rig_server(r);
	for (i = 0; i < 1024; i++)
		assert_int_equal(chardev_write(r->chr, chunk, sizeof(chunk)), 0);
	assert_int_equal(chardev_dropped_bytes(r->chr), 1024 * sizeof(chunk));
	rig_free(r);
}

/* Read what arrives on fd while the loop flushes, until want bytes came. */
static size_t drain(struct rig *r, int fd, size_t want)
{
	char buf[65536];
	size_t got = 0;
	int idle = 0;

	while (got < want && idle < 500) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n = 0;

		evloop_run_once(r->loop, 0, NULL);
		if (poll(&p, 1, 10) > 0)
			n = read(fd, buf, sizeof(buf));
		if (n > 0)
			got += (size_t)n;
		idle = n > 0 ? 0 : idle + 1;
	}
	return got;
}

static void a_client_that_does_not_read_does_not_block_the_writer(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock"), chunk[4096];
	size_t accepted = 0, total = 0;
	int fd, i;

	rig_server(r);
	fd = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	for (i = 0; i < 1024; i++) {		/* 4 MiB, far beyond socket buffers */
		int n;

		memset(chunk, 'a' + i % 26, sizeof(chunk));
		n = chardev_write(r->chr, chunk, sizeof(chunk));
		assert_true(n >= 0);
		accepted += (size_t)n;
		total += sizeof(chunk);
	}
	assert_true(accepted < total);
	assert_int_equal(chardev_dropped_bytes(r->chr), total - accepted);
	/* What was accepted is delivered once the client reads: the queue drains. */
	assert_int_equal(drain(r, fd, accepted), accepted);
	assert_int_equal(chardev_write(r->chr, "more", 4), 4);
	assert_int_equal(drain(r, fd, 4), 4);
	close(fd);
	free(path);
	rig_free(r);
}

static void socket_client_mode_connects_and_sees_the_hangup(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "listen.sock"), *got;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	struct chardev_opts o;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	o = rig_opts(r, CHARDEV_SOCKET, "c0", "listen.sock");
	rig_open(r, &o);
	assert_int_equal(r->rec.opened, 1);
	c = accept(l, NULL, NULL);
	assert_true(c >= 0);
	assert_int_equal(chardev_write(r->chr, "hi", 2), 2);
	got = read_n(c, 2);
	assert_string_equal(got, "hi");
	free(got);
	assert_int_equal(write(c, "yo", 2), 2);
	run_until_input(r, 2);
	close(c);
	run_until_count(r, &r->rec.closed, 1);
	assert_int_equal(chardev_write(r->chr, "lost", 4), 0);
	close(l);
	free(path);
	rig_free(r);
}

static void listening_fd_passed_by_number_is_served(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "mon.sock"), *got;
	struct chardev_opts o;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	json_object *info;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	o = rig_opts(r, CHARDEV_SOCKET, "charmonitor", NULL);
	o.fd = l;
	o.server = true;
	o.wait = false;
	rig_open(r, &o);
	fd = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	info = chardev_query_info(r->chr);
	got = xasprintf("unix:%s,server=on", path);
	assert_string_equal(json_object_get_string(json_object_object_get(info, "filename")),
			    got);
	json_object_put(info);
	free(got);
	assert_int_equal(chardev_write(r->chr, "{}", 2), 2);
	got = read_n(fd, 2);
	assert_string_equal(got, "{}");
	free(got);
	close(fd);
	free(path);
	rig_free(r);	/* closes l: the chardev owns it */
	assert_int_equal(fcntl(l, F_GETFD), -1);
}

struct writer {
	struct chardev *chr;
	int id;
};

static void *write_lines(void *arg)
{
	struct writer *w = arg;
	char line[64];
	int i;

	for (i = 0; i < 2000; i++) {
		int n = snprintf(line, sizeof(line), "writer %d line %04d\n", w->id, i);

		if (chardev_write(w->chr, line, (size_t)n) != n)
			fail_msg("a line was dropped");
	}
	return NULL;
}

static void writes_from_several_threads_arrive_whole(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock"), buf[4096];
	struct writer w[4];
	pthread_t t[4];
	struct buf got = BUF_INIT;
	size_t want = 4 * 2000 * strlen("writer 0 line 0000\n");
	int fd, i;
	char *line, *save = NULL;
	int seen[4] = { 0 };

	rig_server(r);
	chardev_set_out_limit(r->chr, 4 << 20);
	fd = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	for (i = 0; i < 4; i++) {
		w[i].chr = r->chr;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, write_lines, &w[i]), 0);
	}
	while (got.len < want) {	/* the main thread flushes and reads */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		evloop_run_once(r->loop, 0, NULL);
		if (poll(&p, 1, 10) > 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			buf_append(&got, buf, (size_t)n, NULL);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (line = strtok_r(got.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id, no;

		if (sscanf(line, "writer %d line %d", &id, &no) != 2 || id < 0 || id > 3 ||
		    no != seen[id]++)
			fail_msg("torn or reordered line '%s'", line);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(seen[i], 2000);
	buf_free(&got);
	close(fd);
	free(path);
	rig_free(r);
}

static void input_pauses_while_the_frontend_is_full(void **state)
{
	struct rig *r = rig_new();
	char *path = rig_path(r, "s.sock");
	int fd, i;

	rig_server(r);
	fd = connect_unix(path);
	run_until_count(r, &r->rec.opened, 1);
	r->rec.paused = true;
	assert_int_equal(write(fd, "abcdef", 6), 6);
	for (i = 0; i < 10; i++)
		evloop_run_once(r->loop, 10, NULL);
	assert_int_equal(r->rec.in.len, 0);
	r->rec.paused = false;
	chardev_accept_input(r->chr);
	run_until_input(r, 6);
	assert_memory_equal(r->rec.in.data, "abcdef", 6);
	close(fd);
	free(path);
	rig_free(r);
}

/* ---- pty ---- */

static void pty_path_can_be_opened_and_carries_data_both_ways(void **state)
{
	struct rig *r = rig_new();
	const char *pts;
	char *got, *want;
	json_object *info;
	int fd;

	struct chardev_opts o = rig_opts(r, CHARDEV_PTY, "charserial0", NULL);

	rig_open(r, &o);
	pts = chardev_pty_path(r->chr);
	assert_non_null(pts);
	assert_true(str_starts_with(pts, "/dev/pts/"));
	assert_false(chardev_is_connected(r->chr));
	assert_int_equal(chardev_write(r->chr, "early", 5), 0);	/* nobody there yet */
	fd = open(pts, O_RDWR | O_NOCTTY);
	assert_true(fd >= 0);
	run_until_count(r, &r->rec.opened, 1);
	assert_int_equal(chardev_write(r->chr, "login: \n", 8), 8);
	got = read_n(fd, 8);
	assert_string_equal(got, "login: \n");	/* raw: no \r added */
	free(got);
	assert_int_equal(write(fd, "root\n", 5), 5);
	run_until_input(r, 5);
	assert_memory_equal(r->rec.in.data, "root\n", 5);	/* raw: no echo, no \r */
	info = chardev_query_info(r->chr);
	want = xasprintf("pty:%s", pts);
	assert_string_equal(json_object_get_string(json_object_object_get(info, "filename")),
			    want);
	free(want);
	json_object_put(info);
	close(fd);
	run_until_count(r, &r->rec.closed, 1);
	fd = open(pts, O_RDWR | O_NOCTTY);	/* a console may come back */
	run_until_count(r, &r->rec.opened, 2);
	close(fd);
	rig_free(r);
}

/* ---- logfile, options, front-ends ---- */

static void logfile_gets_a_copy_of_all_output(void **state)
{
	struct rig *r = rig_new();
	char *log = rig_path(r, "serial.log"), *got;

	struct chardev_opts o = rig_opts(r, CHARDEV_SOCKET, "s0", "s.sock");

	o.server = true;
	o.wait = false;
	o.logfile = xstrdup(log);
	o.logappend = true;
	write_file(log, "earlier\n");
	rig_open(r, &o);
	/* No client: the socket drops it, the log keeps it. */
	assert_int_equal(chardev_write(r->chr, "no one listens\n", 15), 0);
	got = slurp(log);
	assert_string_equal(got, "earlier\nno one listens\n");
	free(got);
	chardev_free(r->chr);
	r->chr = NULL;
	o = rig_opts(r, CHARDEV_NULL, "n0", NULL);
	o.logfile = xstrdup(log);
	rig_open(r, &o);
	assert_int_equal(chardev_write(r->chr, "fresh\n", 6), 6);
	got = slurp(log);
	assert_string_equal(got, "fresh\n");
	free(got);
	free(log);
	rig_free(r);
}

static void a_chardev_has_one_frontend_and_null_swallows_output(void **state)
{
	struct rig *r = rig_new();
	struct rec other = { BUF_INIT, 0, 0, false };
	struct err *e = NULL;
	json_object *info;

	struct chardev_opts o = rig_opts(r, CHARDEV_NULL, "n0", NULL);

	rig_open(r, &o);
	assert_int_equal(r->rec.opened, 0);	/* null never opens, as QEMU */
	assert_int_equal(chardev_attach(r->chr, &rec_fe, &other, &e), -1);
	assert_err(e, ERR_EXISTS, "n0");
	assert_int_equal(chardev_write(r->chr, "gone", 4), 4);
	info = chardev_query_info(r->chr);
	assert_string_equal(json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN),
			    "{\"frontend-open\":true,\"filename\":\"null\",\"label\":\"n0\"}");
	json_object_put(info);
	chardev_detach(r->chr);
	assert_int_equal(chardev_attach(r->chr, &rec_fe, &other, NULL), 0);
	rig_free(r);
}

/* Opening o fails with code; the message names the chardev, the cause the detail. */
static void expect_open_error(struct rig *r, struct chardev_opts *o, const char *code,
			      const char *detail)
{
	struct err *e = NULL;
	char *label = xasprintf("'%s'", o->id), *text;

	assert_null(chardev_open(o, r->loop, &e));
	assert_non_null(e);
	assert_string_equal(e->code, code);
	text = err_describe(e);
	if (!strstr(e->message, label) || !strstr(text, detail))
		fail_msg("'%s' lacks %s or %s", text, label, detail);
	free(text);
	free(label);
	err_clear(&e);
	chardev_opts_clear(o);
}

static void open_errors_name_the_chardev(void **state)
{
	struct rig *r = rig_new();
	struct chardev_opts o = rig_opts(r, CHARDEV_SOCKET, "c9", "nobody.sock");

	expect_open_error(r, &o, ERR_NOT_FOUND, "nobody.sock");
	o = rig_opts(r, CHARDEV_FILE, "f9", "no/such/dir/x.log");
	expect_open_error(r, &o, ERR_NOT_FOUND, "x.log");
	o = rig_opts(r, CHARDEV_SOCKET, "s9", NULL);
	o.fd = 0x7fff;		/* not an open fd */
	expect_open_error(r, &o, ERR_INVALID, "fd 32767 is not a socket");
	assert_int_equal(evloop_source_count(r->loop), 0);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_backend_truncates_and_writes_everything),
		cmocka_unit_test(file_backend_append_keeps_existing_content),
		cmocka_unit_test(socket_server_round_trip_through_the_loop),
		cmocka_unit_test(second_client_waits_until_the_first_leaves),
		cmocka_unit_test(client_can_disconnect_and_reconnect),
		cmocka_unit_test(writes_without_a_client_are_dropped_without_blocking),
		cmocka_unit_test(a_client_that_does_not_read_does_not_block_the_writer),
		cmocka_unit_test(socket_client_mode_connects_and_sees_the_hangup),
		cmocka_unit_test(listening_fd_passed_by_number_is_served),
		cmocka_unit_test(writes_from_several_threads_arrive_whole),
		cmocka_unit_test(input_pauses_while_the_frontend_is_full),
		cmocka_unit_test(pty_path_can_be_opened_and_carries_data_both_ways),
		cmocka_unit_test(logfile_gets_a_copy_of_all_output),
		cmocka_unit_test(a_chardev_has_one_frontend_and_null_swallows_output),
		cmocka_unit_test(open_errors_name_the_chardev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
