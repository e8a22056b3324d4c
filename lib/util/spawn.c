#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/i18n.h"
#include "lib/util/spawn.h"

extern char **environ;

int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* close_range(2), straight to the kernel (async-signal-safe: used after fork). */
static int close_range_sys(unsigned first, unsigned last)
{
#ifdef SYS_close_range
	return (int)syscall(SYS_close_range, first, last, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

void fd_close_from(int lowfd)
{
	DIR *d;
	struct dirent *de;

	if (close_range_sys((unsigned)lowfd, ~0U) == 0)
		return;
	/* Older kernels: walk /proc/self/fd (not after fork: opendir allocates). */
	d = opendir("/proc/self/fd");
	if (!d) {
		for (int fd = lowfd; fd < 65536; fd++)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd >= lowfd && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

/* Everything below runs in the child between fork and exec: only async-signal-safe
 * calls, only stack memory. On failure it reports errno through err_fd. */
static void child_fail(int err_fd, int step)
{
	int payload[2] = { step, errno };

	if (write(err_fd, payload, sizeof(payload)) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(127);
}

enum child_step { STEP_FDS = 1, STEP_STDIO, STEP_SIGNALS, STEP_SESSION, STEP_CWD, STEP_EXEC };

static void child_setup_fds(const struct spawn_opts *o, int *err_fd)
{
	int tmp[SPAWN_MAX_FDS], keep[SPAWN_MAX_FDS + 4];
	int base = 3, nkeep = 0, i, j;

	for (i = 0; i < (int)o->nfds; i++) {
		if (o->fds[i].dst >= base)
			base = o->fds[i].dst + 1;
		if (o->fds[i].src >= base)
			base = o->fds[i].src + 1;
	}
	if (*err_fd >= base)
		base = *err_fd + 1;
	/* First move every source above all destinations, so no dup2() below can
	 * clobber a source that is still to be moved (e.g. 3->4 and 4->3). */
	*err_fd = fcntl(*err_fd, F_DUPFD_CLOEXEC, base);
	if (*err_fd < 0)
		_exit(127);
	for (i = 0; i < (int)o->nfds; i++) {
		tmp[i] = fcntl(o->fds[i].src, F_DUPFD, base);
		if (tmp[i] < 0)
			child_fail(*err_fd, STEP_FDS);
	}
	for (i = 0; i < (int)o->nfds; i++) {
		if (dup2(tmp[i], o->fds[i].dst) < 0)	/* dup2 clears FD_CLOEXEC */
			child_fail(*err_fd, STEP_FDS);
		keep[nkeep++] = o->fds[i].dst;
	}
	for (i = 0; i < 3; i++) {
		bool mapped = false;

		for (j = 0; j < (int)o->nfds; j++)
			mapped |= o->fds[j].dst == i;
		if (!mapped && !o->inherit_stdio) {
			int null_fd = open("/dev/null", O_RDWR);

			if (null_fd < 0 || dup2(null_fd, i) < 0)
				child_fail(*err_fd, STEP_STDIO);
			if (null_fd != i)
				close(null_fd);
		}
		if (!mapped)
			keep[nkeep++] = i;
	}
	keep[nkeep++] = *err_fd;
	/* Sort what stays, then close the gaps between. */
	for (i = 1; i < nkeep; i++)
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (i = 0; i < nkeep; i++) {
		int from = i ? keep[i - 1] + 1 : 0;

		if (from < keep[i] && close_range_sys((unsigned)from, (unsigned)keep[i] - 1) < 0)
			for (j = from; j < keep[i]; j++)
				close(j);
	}
	if (close_range_sys((unsigned)keep[nkeep - 1] + 1, ~0U) < 0)
		for (j = keep[nkeep - 1] + 1; j < 65536; j++)
			close(j);
}

static void child_reset_signals(int err_fd)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);	/* fails harmlessly for RT holes */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(err_fd, STEP_SIGNALS);
}

static void child_exec(const struct spawn_opts *o, int err_fd)
{
	char *const *envp = o->envp ? o->envp : environ;

	child_setup_fds(o, &err_fd);
	child_reset_signals(err_fd);
	if (o->new_session && setsid() < 0)
		child_fail(err_fd, STEP_SESSION);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(err_fd, STEP_CWD);
	if (strchr(o->path, '/'))
		execve(o->path, o->argv, envp);
	else
		execvpe(o->path, o->argv, envp);
	child_fail(err_fd, STEP_EXEC);
}

static const char *step_what(int step)
{
	switch (step) {
	case STEP_FDS: return _("cannot map fds for");
	case STEP_STDIO: return _("cannot open /dev/null for");
	case STEP_SIGNALS: return _("cannot reset signals for");
	case STEP_SESSION: return _("cannot start a new session for");
	case STEP_CWD: return _("cannot change directory for");
	default: return _("cannot execute");
	}
}

int spawn(const struct spawn_opts *o, struct spawn_child *child, struct err **errp)
{
	int pipefd[2], payload[2];
	ssize_t n;
	pid_t pid;

	child->pid = -1;
	child->pidfd = -1;
	if (o->nfds > SPAWN_MAX_FDS)
		return err_set(errp, ERR_LIMIT, _("cannot give %zu fds to %s (at most %d)"),
			       o->nfds, o->path, SPAWN_MAX_FDS);
	for (size_t i = 0; i < o->nfds; i++)
		if (o->fds[i].src < 0 || o->fds[i].dst < 0)
			return err_set(errp, ERR_INVALID, _("bad fd mapping %d -> %d for %s"),
				       o->fds[i].src, o->fds[i].dst, o->path);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_set_errno(errp, NULL, errno, _("cannot start %s"), o->path);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_set_errno(errp, NULL, errno, _("cannot start %s"), o->path);
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_exec(o, pipefd[1]);
	}
	close(pipefd[1]);
	/* The pipe closes on a successful exec (CLOEXEC): EOF means the child runs. */
	do
		n = read(pipefd[0], payload, sizeof(payload));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(payload)) {
		waitpid(pid, NULL, 0);
		return err_set_errno(errp, NULL, payload[1], "%s %s", step_what(payload[0]),
				     o->path);
	}
	child->pid = pid;
	child->pidfd = pidfd_open_compat(pid);
	return 0;
}

int spawn_wait(struct spawn_child *child, int *status, struct err **errp)
{
	pid_t r;

	do
		r = waitpid(child->pid, status, 0);
	while (r < 0 && errno == EINTR);
	if (child->pidfd >= 0)
		close(child->pidfd);
	child->pidfd = -1;
	if (r < 0)
		return err_set_errno(errp, NULL, errno, _("cannot wait for process %d"),
				     (int)child->pid);
	return 0;
}
