/* vireod: the Vireo daemon.
 *
 * main() sets up the state directories under --root, the single-instance lock, the
 * event loop (signals, idle timeout, the log cap timer), the domain registry
 * (definitions from disk, then re-attach to the workers a previous daemon left
 * running), the RPC server, and tells systemd it is ready; autostart follows. On
 * SIGTERM it stops serving and exits, leaving every worker running. See
 * docs/architecture.md ("vireod") and docs/rpc.md. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/domain.h"
#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/network/network.h"
#include "daemon/options.h"
#include "daemon/paths.h"
#include "daemon/runtime.h"
#include "daemon/server.h"
#include "lib/util/evloop.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* How often the log sizes of running domains are checked. */
#define LOG_CAP_INTERVAL_MS 30000

int64_t daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void daemon_touch(struct daemon *d)
{
	d->last_activity_ms = daemon_now_ms();
}

static unsigned running_count(const struct daemon *d)
{
	unsigned n = 0;

	for (size_t i = 0; i < d->reg.n; i++)
		n += d->reg.doms[i]->w != NULL;
	return n;
}

void daemon_update_status(struct daemon *d)
{
	sd_notifyf(0, "STATUS=%s %u", _("running domains:"), running_count(d));
}

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

/* --timeout: exit once no client and no running domain was seen for that long. */
static void on_idle_check(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct daemon *d = data;

	if (running_count(d) > 0 || (d->server && server_conn_count(d->server) > 0)) {
		daemon_touch(d);
		return;
	}
	if (daemon_now_ms() - d->last_activity_ms < (int64_t)d->opts.timeout_s * 1000)
		return;
	log_info(&d->log, _("no activity for %u seconds, exiting"), d->opts.timeout_s);
	evloop_quit(loop, 0);
}

static void on_log_cap(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct daemon *d = data;

	for (size_t i = 0; i < d->reg.n; i++) {
		struct dom_paths p;

		if (!d->reg.doms[i]->w)
			continue;
		dom_paths_init(d, d->reg.doms[i]->name, &p);
		domain_log_cap(d, p.log);
		dom_paths_free(&p);
	}
}

/* Where workers come from for domains without <emulator>: $VIREO_VMM, else the one
 * installed next to vireod's bin directory. */
static char *find_default_emulator(void)
{
	const char *env = getenv("VIREO_VMM");

	if (env && *env)
		return xstrdup(env);
	return xstrdup(BINDIR "/vireo-vmm");
}

static const char *find_schema_dir(void)
{
	const char *dir = getenv("VIREO_SCHEMA_DIR");

	/* An empty VIREO_SCHEMA_DIR skips schema validation, as for the CLI. */
	if (dir)
		return *dir ? dir : NULL;
	return PKGDATADIR "/schemas";
}

static int daemon_setup(struct daemon *d, struct err **errp)
{
	uint64_t check_ms;

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
	daemon_touch(d);
	check_ms = d->opts.timeout_s ? (uint64_t)d->opts.timeout_s * 1000 : 0;
	if (check_ms > 500)
		check_ms = 500;
	if (check_ms && !evloop_add_timer(d->loop, check_ms, check_ms, on_idle_check, d, errp))
		return -1;
	d->log_timer = evloop_add_timer(d->loop, LOG_CAP_INTERVAL_MS, LOG_CAP_INTERVAL_MS,
					on_log_cap, d, errp);
	if (!d->log_timer)
		return -1;
	d->schema_dir = find_schema_dir();
	d->default_emulator = find_default_emulator();
	d->reg.next_id = 1;
	registry_load(d);
	netreg_load(d);
	reattach_all(d);
	d->server = server_new(d);
	return server_start(d->server, errp);
}

static void daemon_teardown(struct daemon *d)
{
	server_free(d->server);
	d->server = NULL;
	for (size_t i = 0; i < d->reg.n; i++) {
		struct domain *dom = d->reg.doms[i];

		job_cancel_all(dom);
		/* a worker still starting never ran its guest: it goes with us */
		if (dom->w && dom->w->start_op)
			worker_kill(dom, true);
	}
	/* the others go on running: only our side of their connections closes. A
	 * failing start may take its transient domain out of the registry meanwhile. */
	for (size_t i = d->reg.n; i-- > 0;)
		if (i < d->reg.n)
			worker_free(d->reg.doms[i]);
	registry_free(d);
	netreg_free(d);
	if (d->lock_fd >= 0) {
		unlink(d->paths.pid_file);
		close(d->lock_fd);
	}
	evloop_free(d->loop);
	free(d->default_emulator);
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
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());
	daemon_update_status(&d);
	autostart_all(&d);
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
