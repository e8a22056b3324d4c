/* Running the host tools vireod's networks need (nft, dnsmasq) and waiting for them
 * a bounded time, with what they said on stderr. */
#ifndef VIREO_DAEMON_NETWORK_CMD_H
#define VIREO_DAEMON_NETWORK_CMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/util/err.h"

/* How long a tool may take before it is killed. */
#define NETCMD_TIMEOUT_MS 10000

/* The full path of program: itself when it has a '/', else found in $PATH, then in
 * /usr/sbin and /sbin (daemons often run with a short PATH). NULL when missing. */
char *netcmd_find(const char *program);

/* Run argv (argv[0] a full path) with stdin from /dev/null and stdout/stderr kept;
 * wait at most NETCMD_TIMEOUT_MS (then SIGKILL). Returns the exit status (0-255), or
 * -1 with errp when it could not run or was killed. *output (may be NULL) gets what
 * it wrote, trailing newlines cut. */
int netcmd_run(char *const *argv, char **output, struct err **errp);

/* True when pid runs and its command line contains needle (a pid of ours that may
 * have been reused by another process since). */
bool netcmd_pid_matches(pid_t pid, const char *needle);

/* SIGTERM pid, wait up to a second for it to go, then SIGKILL. */
void netcmd_stop_pid(pid_t pid);

#endif
