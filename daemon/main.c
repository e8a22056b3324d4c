/* vireod: the Vireo daemon.
 *
 * This is the daemon's skeleton: options, the state directories under --root, a
 * single-instance lock, the event loop with clean shutdown on SIGTERM/SIGINT, the
 * idle timeout, and systemd readiness notification. The RPC server, the domain
 * registry and worker supervision plug into the loop (see docs/architecture.md). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/options.h"
#include "daemon/paths.h"
#include "lib/util/evloop.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

struct daemon {
	struct daemon_options opts;
	struct daemon_paths paths;
	struct logger log;
	struct evloop *loop;
	int lock_fd;
};

/* Hold an exclusive lock on <run>/vireod.lock for the daemon's life: two daemons on
 * one root would fight over the same workers and files. */
static int take_instance_lock(struct daemon *d, struct err **errp)
{
	char *lock_path = path_join(d->paths.run_dir, "vireod.lock");
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot open %s"), lock_path);
		free(lock_path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char *pid = NULL;

		if (file_read_all(d->paths.pid_file, 64, &pid, NULL, NULL) == 0)
			pid[strcspn(pid, "\n")] = '\0';
		err_set(errp, ERR_EXISTS, _("another vireod (pid %s) is running with root %s"),
			pid && *pid ? pid : "?", d->paths.root);
		free(pid);
		free(lock_path);
		close(fd);
		return -1;
	}
	free(lock_path);
	d->lock_fd = fd;
	return 0;
}

static int write_pid_file(struct daemon *d, struct err **errp)
{
	char *text = xasprintf("%d\n", (int)getpid());
	int rc = file_write_atomic(d->paths.pid_file, text, strlen(text), 0644, errp);

	free(text);
	return rc;
}

static void on_stop_signal(struct evloop *loop, struct ev_source *src,
			   const struct signalfd_siginfo *si, void *data)
{
	struct daemon *d = data;

	log_info(&d->log, _("received signal %u, shutting down"), si->ssi_signo);
	evloop_quit(loop, 0);
}

static void on_idle_timeout(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct daemon *d = data;

	log_info(&d->log, _("no activity for %u seconds, exiting"), d->opts.timeout_s);
	evloop_quit(loop, 0);
}

static int daemon_setup(struct daemon *d, struct err **errp)
{
	if (daemon_paths_create(&d->paths, errp) < 0 || take_instance_lock(d, errp) < 0 ||
	    write_pid_file(d, errp) < 0)
		return -1;
	d->loop = evloop_new(errp);
	if (!d->loop)
		return -1;
	if (!evloop_add_signal(d->loop, SIGTERM, on_stop_signal, d, errp) ||
	    !evloop_add_signal(d->loop, SIGINT, on_stop_signal, d, errp))
		return -1;
	/* A client that goes away mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (d->opts.timeout_s &&
	    !evloop_add_timer(d->loop, (uint64_t)d->opts.timeout_s * 1000, 0, on_idle_timeout, d,
			      errp))
		return -1;
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	if (d->lock_fd >= 0) {
		unlink(d->paths.pid_file);
		close(d->lock_fd);
	}
	evloop_free(d->loop);
	daemon_paths_free(&d->paths);
}

int main(int argc, char **argv)
{
	struct daemon d = { .lock_fd = -1 };
	struct err *e = NULL;
	int status;

	i18n_init();
	if (daemon_options_parse(&d.opts, argc, argv, &e) < 0) {
		fprintf(stderr, "vireod: %s\n", e->message);
		fprintf(stderr, _("Try 'vireod --help' for more information.\n"));
		status = err_exit_code(e);
		err_free(e);
		return status;
	}
	if (d.opts.show_help) {
		daemon_options_usage("vireod");
		return 0;
	}
	if (d.opts.show_version) {
		printf("vireod (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (logger_init(&d.log, "vireod", d.opts.verbose, &e) < 0) {
		fprintf(stderr, "vireod: %s\n", e->message);
		err_clear(&e);
	}
	d.log.timestamps = d.log.target == VLOG_TO_STDERR;
	if (daemon_paths_init(&d.paths, d.opts.root, &e) < 0 || daemon_setup(&d, &e) < 0)
		goto fail;
	log_info(&d.log, _("vireod %s started, root %s"), PACKAGE_VERSION, d.paths.root);
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", _("running"), (int)getpid());
	status = evloop_run(d.loop, &e);
	sd_notify(0, "STOPPING=1");
	if (status < 0)
		goto fail;
	daemon_teardown(&d);
	return status;
fail:
	log_err(&d.log, VLOG_ERROR, e);
	status = err_exit_code(e);
	err_free(e);
	daemon_teardown(&d);
	return status;
}
