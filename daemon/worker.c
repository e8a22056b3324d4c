/* The worker process of a running domain: spawn, exit watch, signals, re-attach. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/console.h"
#include "daemon/lifecycle.h"
#include "daemon/network/network.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/spawn.h"
#include "lib/util/str.h"

static void on_child_exit(struct evloop *loop, struct ev_source *src, pid_t pid,
			  const siginfo_t *si, void *data)
{
	struct domain *dom = data;

	if (!dom->w)
		return;
	dom->w->exit_src = NULL;	/* the loop removes it after this callback */
	dom->w->pidfd = -1;		/* owned by that source */
	lifecycle_worker_exited(dom, si->si_code == CLD_EXITED && si->si_status == 0);
}

/* A re-attached worker is not our child: its pidfd becomes readable when it exits,
 * and there is nothing to reap (init does). */
static void on_pidfd_exit(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
			  void *data)
{
	struct domain *dom = data;

	if (!dom->w)
		return;
	lifecycle_worker_exited(dom, false);
}

int worker_connect_qmp(struct domain *dom, struct err **errp)
{
	struct dom_paths p;

	dom_paths_init(dom->d, dom->name, &p);
	dom->w->qmp = qmp_client_connect(dom->d->loop, p.qmp, &lifecycle_qmp_ops, dom, errp);
	dom_paths_free(&p);
	return dom->w->qmp ? 0 : -1;
}

/* The listening socket the worker serves QMP on (passed as an fd, so the daemon can
 * connect before the worker runs and never polls for the socket to appear). */
static int listen_qmp(const char *path, struct err **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(errp, RPC_ERR_OPERATION_FAILED, _("socket path %s is too long"),
			       path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno, _("cannot listen on %s"),
			      path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool emulator_is_qemu(const char *path)
{
	const char *base = strrchr(path, '/');

	return str_starts_with(base ? base + 1 : path, "qemu");
}

static char **build_argv(struct domain *dom, const struct hostnet *hn, struct err **errp)
{
	struct vdom_argv_ctx ctx = { .monitor_fd = WORKER_QMP_FD, .net_fds = hn->fds,
				     .n_net_fds = hn->n };
	const char *emulator = dom->live->emulator ? dom->live->emulator
						   : dom->d->default_emulator;

	ctx.emulator = emulator;
	ctx.flavor = emulator_is_qemu(emulator) ? VDOM_FLAVOR_QEMU : VDOM_FLAVOR_VIREO_VMM;
	return vdomain_to_argv(dom->live, &ctx, errp);
}

static int spawn_worker(struct domain *dom, char **argv, int qmp_fd, int log_fd,
			const struct hostnet *hn, struct err **errp)
{
	struct spawn_fd_map fds[SPAWN_MAX_FDS] = {
		{ qmp_fd, WORKER_QMP_FD }, { log_fd, 1 }, { log_fd, 2 },
	};
	size_t nfds = 3;
	struct spawn_opts so = {
		.path = argv[0], .argv = argv, .fds = fds,
		/* its own session: the worker outlives the daemon (KillMode=process) and
		 * is not hit by signals meant for the daemon's process group */
		.new_session = true, .cwd = "/",
	};
	struct spawn_child child;
	struct worker *w;

	/* the taps and vhost fds (hostnet_prepare kept them within SPAWN_MAX_FDS) */
	for (size_t i = 0; i < hn->n_map && nfds < SPAWN_MAX_FDS; i++)
		fds[nfds++] = hn->map[i];
	so.nfds = nfds;
	if (spawn(&so, &child, errp) < 0)
		return -1;
	w = dom->w;
	w->pid = child.pid;
	w->is_child = true;
	w->pidfd = child.pidfd;
	if (proc_start_time(w->pid, &w->start_time) < 0)
		w->start_time = 0;
	w->exit_src = evloop_add_child(dom->d->loop, child.pid, child.pidfd, on_child_exit, dom,
				       errp);
	return w->exit_src ? 0 : -1;
}

int worker_spawn(struct domain *dom, off_t *log_offset, struct err **errp)
{
	struct dom_paths p;
	struct hostnet hn;
	char **argv, *line = NULL, *header;
	int qmp_fd = -1, log_fd = -1, rc = -1;

	/* the host side of the interfaces: fds from number 4 on */
	if (hostnet_prepare(dom, WORKER_QMP_FD + 1, SPAWN_MAX_FDS - 3, &hn, errp) < 0)
		return -1;
	argv = build_argv(dom, &hn, errp);
	if (!argv) {
		hostnet_close(&hn);
		hostnet_release(dom->d, dom->name);
		return -1;
	}
	dom_paths_init(dom->d, dom->name, &p);
	dom->w = xzalloc(sizeof(*dom->w));
	dom->w->pidfd = -1;
	{
		struct strv words = { argv, 0, 0 };

		while (argv[words.len])
			words.len++;
		line = strv_join(&words, " ");
	}
	header = xasprintf(_("starting domain %s: %s"), dom->name, line);
	qmp_fd = listen_qmp(p.qmp, errp);
	if (qmp_fd >= 0)
		log_fd = domain_log_open(dom->d, p.log, header, log_offset, errp);
	/* connect before the worker runs: the listening socket queues us */
	if (log_fd >= 0 && worker_connect_qmp(dom, errp) == 0)
		rc = spawn_worker(dom, argv, qmp_fd, log_fd, &hn, errp);
	hostnet_close(&hn);	/* the worker has its own copies now */
	if (qmp_fd >= 0)
		close(qmp_fd);
	if (log_fd >= 0)
		close(log_fd);
	free(header);
	free(line);
	vdomain_argv_free(argv);
	dom_paths_free(&p);
	if (rc < 0 && dom->w->pid > 0)
		kill(dom->w->pid, SIGKILL);	/* its exit watch could not be set up */
	if (rc < 0) {
		worker_free(dom);
		hostnet_release(dom->d, dom->name);
	}
	return rc;
}

int worker_attach(struct domain *dom, pid_t pid, uint64_t start_time, struct err **errp)
{
	int fd = pidfd_open_compat(pid);
	struct worker *w;

	if (fd < 0)
		return err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno,
				     _("cannot watch process %d"), (int)pid);
	w = dom->w = xzalloc(sizeof(*w));
	w->pid = pid;
	w->start_time = start_time;
	w->pidfd = fd;
	w->exit_src = evloop_add_fd(dom->d->loop, fd, EPOLLIN, on_pidfd_exit, dom, errp);
	if (!w->exit_src) {
		worker_free(dom);
		return -1;
	}
	/* it may have died between the /proc check and the pidfd */
	if (!proc_matches(pid, start_time)) {
		worker_free(dom);
		return err_set(errp, RPC_ERR_OPERATION_FAILED, _("process %d is gone"), (int)pid);
	}
	return 0;
}

void worker_signal(struct domain *dom, int sig)
{
	struct worker *w = dom->w;

	if (!w || w->exited)
		return;
#ifdef SYS_pidfd_send_signal
	if (w->pidfd >= 0 && syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0) == 0)
		return;
#endif
	/* our child stays a zombie until reaped by the loop: the pid cannot be reused */
	if (w->is_child)
		kill(w->pid, sig);
}

static void on_kill_timer(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct domain *dom = data;

	if (!dom->w)
		return;
	evloop_remove(dom->w->kill_timer);
	dom->w->kill_timer = NULL;
	log_info(&dom->d->log, _("domain %s: the worker ignored SIGTERM, sending SIGKILL"),
		 dom->name);
	worker_signal(dom, SIGKILL);
}

void worker_kill(struct domain *dom, bool force)
{
	struct worker *w = dom->w;

	if (!w)
		return;
	if (force) {
		worker_signal(dom, SIGKILL);
		return;
	}
	worker_signal(dom, SIGTERM);
	if (!w->kill_timer)
		w->kill_timer = evloop_add_timer(dom->d->loop, KILL_GRACE_MS, 0, on_kill_timer, dom,
						 NULL);
}

void worker_free(struct domain *dom)
{
	struct worker *w = dom->w;

	if (!w)
		return;
	dom->w = NULL;
	if (w->qmp) {
		qmp_client_close(w->qmp, _("the domain is not running"));
		qmp_client_free(w->qmp);
	}
	console_free(w->console);
	evloop_remove(w->kill_timer);
	evloop_remove(w->exit_src);
	if (!w->is_child && w->pidfd >= 0)
		close(w->pidfd);
	free(w);
}
