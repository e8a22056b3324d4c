/* `vireo console DOMAIN`: the guest's serial console through the RPC stream.
 *
 * The console bytes travel as stream frames on the same connection as the calls, so
 * the console works wherever the connection goes (a local socket, ssh). On a terminal
 * it behaves as virsh's: raw mode, ^] (0x1d) leaves, the terminal is restored on the
 * way out, also on SIGTERM/SIGHUP. Without a terminal (virsh refuses; we do not) it
 * is a pipe: stdin goes to the guest until it ends, the guest's output is printed
 * until the console closes, which scripts and tests use to watch a guest. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "client/commands.h"
#include "lib/rpc/client.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"

#define ESCAPE_CHAR 0x1d	/* ^] */
#define CONSOLE_CHUNK 4096

const struct opt_def opts_console[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "force", OPT_BOOL, 0,
	  N_("force console connection (disconnect already connected sessions)") },
	{ "safe", OPT_BOOL, 0, N_("only connect if safe console handling is supported") },
	{ NULL },
};

struct console {
	struct rpc_client *rpc;
	int64_t stream;
	bool stdin_open;
	bool raw;			/* the terminal is in raw mode: restore it */
	struct termios saved;
	int sigfd;			/* SIGTERM/SIGHUP/SIGQUIT while raw, else -1 */
	sigset_t saved_mask;
};

static int tty_raw(struct console *con, struct err **errp)
{
	struct termios raw;
	sigset_t mask;

	if (!isatty(0))
		return 0;
	if (tcgetattr(0, &con->saved) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot read the terminal's mode"));
	/* A signal must not leave the terminal raw: take them through a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &con->saved_mask);
	con->sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	raw = con->saved;
	cfmakeraw(&raw);
	if (tcsetattr(0, TCSAFLUSH, &raw) < 0) {
		sigprocmask(SIG_SETMASK, &con->saved_mask, NULL);
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot set the terminal to raw mode"));
	}
	con->raw = true;
	return 0;
}

static void tty_restore(struct console *con)
{
	if (!con->raw)
		return;
	tcsetattr(0, TCSAFLUSH, &con->saved);
	if (con->sigfd >= 0)
		close(con->sigfd);
	sigprocmask(SIG_SETMASK, &con->saved_mask, NULL);
	con->raw = false;
}

/* Print what the guest sent. 1: the stream ended, 0: go on, -1: error. */
static int drain_output(struct console *con, struct err **errp)
{
	struct buf out = BUF_INIT;
	int rc;

	while ((rc = rpc_client_stream_read(con->rpc, con->stream, 0, &out, errp)) ==
	       RPC_STREAM_DATA) {
		if (fd_write_all(1, out.data, out.len) < 0) {
			buf_free(&out);
			return err_set_errno(errp, ERR_IO, errno, _("cannot write the console output"));
		}
		buf_clear(&out);
	}
	buf_free(&out);
	return rc < 0 ? -1 : rc == RPC_STREAM_ENDED;
}

/* Send what the user typed; 1 when the escape character (or a signal) ends it. */
static int forward_input(struct console *con, struct err **errp)
{
	char data[CONSOLE_CHUNK];
	ssize_t n = read(0, data, sizeof(data));
	char *esc;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return err_set_errno(errp, ERR_IO, errno, _("cannot read the console input"));
	if (n == 0) {
		con->stdin_open = false;
		return 0;
	}
	esc = con->raw ? memchr(data, ESCAPE_CHAR, (size_t)n) : NULL;
	if (esc)
		n = esc - data;
	if (n > 0 && rpc_client_stream_write(con->rpc, con->stream, data, (size_t)n, errp) < 0)
		return -1;
	return esc ? 1 : 0;
}

static int console_loop(struct console *con, struct err **errp)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = rpc_client_poll_fd(con->rpc), .events = POLLIN },
			{ .fd = con->stdin_open ? 0 : -1, .events = POLLIN },
			{ .fd = con->raw ? con->sigfd : -1, .events = POLLIN },
		};
		int rc = drain_output(con, errp);

		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_set_errno(errp, ERR_SYSTEM, errno, _("poll failed"));
		}
		if (p[2].revents)
			break;
		if (p[1].revents) {
			rc = forward_input(con, errp);
			if (rc < 0)
				return -1;
			if (rc == 1)
				break;
		}
	}
	/* We leave: tell the daemon, so the console is free for the next client. */
	return rpc_client_stream_end(con->rpc, con->stream, errp);
}

int console_attach(struct client *c, const char *ref, bool force, struct err **errp)
{
	struct console con = { .stdin_open = true, .sigfd = -1 };
	struct json_object *params, *res = NULL, *v;
	struct dom_ref d;
	int rc;

	if (dom_lookup(c, false, ref, &d, errp) < 0)
		return -1;
	if (d.id < 0) {
		dom_ref_free(&d);
		return err_set(errp, RPC_ERR_OPERATION_INVALID, _("The domain is not running"));
	}
	params = json_object_new_object();
	json_object_object_add(params, "force", json_object_new_boolean(force));
	if (dom_call(c, false, "domain.console", d.uuid, params, &res, errp) < 0) {
		dom_ref_free(&d);
		return -1;
	}
	if (!json_object_object_get_ex(res, "stream", &v) || !json_object_is_type(v, json_type_int)) {
		json_object_put(res);
		dom_ref_free(&d);
		return err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"),
			       "domain.console", "stream");
	}
	con.stream = json_object_get_int64(v);
	con.rpc = client_rpc(c, false, errp);
	json_object_put(res);
	client_say(c, _("Connected to domain '%s'\n"), d.name);
	client_say(c, _("Escape character is %s"), "^]");
	client_say(c, " (Ctrl + %c)\n", ']');
	fflush(stdout);
	dom_ref_free(&d);
	if (tty_raw(&con, errp) < 0)
		return -1;
	rc = console_loop(&con, errp);
	tty_restore(&con);
	return rc;
}

int cmd_console(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return console_attach(c, args_str(a, "domain"), args_bool(a, "force"), errp);
}
