/* Starting child processes with exactly the fds they should have.
 *
 * The daemon starts workers holding fds for taps, disks and sockets at numbers the
 * worker's command line names (`-netdev tap,fd=3`). spawn() maps each given source
 * fd to its destination number in the child, closes every other fd (the daemon's
 * listening sockets, other VMs' taps), resets signal dispositions and the signal mask
 * (the parent blocks signals for signalfd), then execs. An exec failure comes back
 * as an error from spawn() itself, not as a mysterious exit 127. */
#ifndef VIREO_UTIL_SPAWN_H
#define VIREO_UTIL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/util/err.h"

/* The most fds one child can be given: mapping happens after fork, where only
 * stack memory is safe to use. */
#define SPAWN_MAX_FDS 64

struct spawn_fd_map {
	int src;	/* fd in the parent */
	int dst;	/* number it gets in the child */
};

struct spawn_opts {
	const char *path;		/* program; searched in PATH if it has no '/' */
	char *const *argv;		/* argv[0] included, NULL-terminated */
	char *const *envp;		/* NULL: inherit the parent's environment */
	const struct spawn_fd_map *fds;
	size_t nfds;
	/* 0, 1, 2 not named as a dst: inherit them (true) or /dev/null (false). */
	bool inherit_stdio;
	bool new_session;		/* setsid(): detach from the terminal */
	const char *cwd;		/* chdir() first, when set */
};

struct spawn_child {
	pid_t pid;
	int pidfd;	/* for the event loop's child watch; -1 if the kernel has none */
};

int spawn(const struct spawn_opts *opts, struct spawn_child *child, struct err **errp);

/* Wait for the child to exit and collect it; *status as from waitpid(). Closes the
 * pidfd. */
int spawn_wait(struct spawn_child *child, int *status, struct err **errp);

/* Close every fd >= lowfd (close_range where the kernel has it). */
void fd_close_from(int lowfd);

/* Open a pidfd for pid, or -1 with errno. */
int pidfd_open_compat(pid_t pid);

#endif
