/* Host tools for the networks: see cmd.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/network/cmd.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/spawn.h"
#include "lib/util/str.h"

#define OUTPUT_MAX 4096

char *netcmd_find(const char *program)
{
	const char *path = getenv("PATH");
	struct strv dirs = STRV_INIT;
	char *found = NULL;

	if (strchr(program, '/'))
		return access(program, X_OK) == 0 ? xstrdup(program) : NULL;
	strv_split(&dirs, path ? path : "", ':');
	strv_push(&dirs, "/usr/sbin");
	strv_push(&dirs, "/sbin");
	for (size_t i = 0; i < dirs.len && !found; i++) {
		char *p;

		if (!*dirs.items[i])
			continue;
		p = path_join(dirs.items[i], program);
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	strv_free(&dirs);
	return found;
}

/* Wait for the child at most timeout_ms; -1 when it did not exit in time. */
static int wait_bounded(struct spawn_child *child, int timeout_ms, int *status)
{
	struct pollfd pfd = { .fd = child->pidfd, .events = POLLIN };
	int n;

	if (child->pidfd >= 0) {
		do
			n = poll(&pfd, 1, timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return -1;
	}
	return spawn_wait(child, status, NULL);
}

static char *read_output(int fd)
{
	char buf[OUTPUT_MAX + 1];
	ssize_t n = pread(fd, buf, OUTPUT_MAX, 0);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return xstrdup(buf);
}

int netcmd_run(char *const *argv, char **output, struct err **errp)
{
	int out = memfd_create("vireo-netcmd", MFD_CLOEXEC), status = 0;
	struct spawn_fd_map fds[] = { { out, 1 }, { out, 2 } };
	struct spawn_opts so = {
		.path = argv[0], .argv = argv, .fds = fds, .nfds = ARRAY_SIZE(fds), .cwd = "/",
	};
	struct spawn_child child;

	if (output)
		*output = NULL;
	if (out < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot run %s"), argv[0]);
	if (spawn(&so, &child, errp) < 0) {
		close(out);
		return -1;
	}
	if (wait_bounded(&child, NETCMD_TIMEOUT_MS, &status) < 0) {
		kill(child.pid, SIGKILL);
		spawn_wait(&child, &status, NULL);
		close(out);
		return err_set(errp, ERR_TIMEOUT, _("%s did not finish within %d s"), argv[0],
			       NETCMD_TIMEOUT_MS / 1000);
	}
	if (output)
		*output = read_output(out);
	close(out);
	if (WIFSIGNALED(status))
		return err_set(errp, ERR_SYSTEM, _("%s was killed by signal %d"), argv[0],
			       WTERMSIG(status));
	return WEXITSTATUS(status);
}

bool netcmd_pid_matches(pid_t pid, const char *needle)
{
	char path[64], *data = NULL;
	size_t len = 0;
	bool match = false;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (file_read_all(path, 65536, &data, &len, NULL) < 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\0')
			data[i] = ' ';
	match = strstr(data, needle) != NULL;
	free(data);
	return match;
}

static bool pid_gone(pid_t pid)
{
	char path[64], *st = NULL, *p;
	bool gone;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	/* a zombie (of ours, or one init has not reaped yet) is gone for us */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (file_read_all(path, 4096, &st, NULL, NULL) < 0)
		return true;
	p = strrchr(st, ')');
	gone = p && p[1] == ' ' && p[2] == 'Z';
	free(st);
	return gone;
}

void netcmd_stop_pid(pid_t pid)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (int i = 0; i < 50; i++) {
		if (pid_gone(pid))
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
}
