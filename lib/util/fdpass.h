/* Passing file descriptors over Unix sockets (SCM_RIGHTS).
 *
 * The daemon opens every host resource (taps, vhost, disks) and hands the fds to a
 * worker; this is the one place that builds and reads the control messages. Many fds
 * travel in one message, with at least one byte of ordinary data (a stream socket
 * cannot carry ancillary data alone). Received fds are close-on-exec. */
#ifndef VIREO_UTIL_FDPASS_H
#define VIREO_UTIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/util/err.h"

/* The kernel's SCM_MAX_FD: the most fds one message may carry. */
#define FDPASS_MAX_FDS 253

/* Send len (>= 1) bytes of data and nfds fds in one message. */
int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t nfds,
		struct err **errp);

/* Receive up to cap bytes and up to maxfds fds. Returns the byte count (0 at EOF)
 * or -1. If the sender sent more fds than maxfds, every fd that did arrive is closed
 * and the call fails: a message is taken whole or not at all. */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds,
		    struct err **errp);

#endif
