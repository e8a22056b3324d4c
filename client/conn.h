/* Opening the connection to vireod for a command: a local socket (with the fall-back
 * to the read-only socket) or `ssh host vireo --proxy-stdio`; and the proxy itself. */
#ifndef VIREO_CLIENT_CONN_H
#define VIREO_CLIENT_CONN_H

#include <stdbool.h>

#include "client/target.h"
#include "lib/rpc/client.h"
#include "lib/util/err.h"

struct vconn;

/* Connect and say hello. readonly: the command only reads, so when the read-write
 * socket refuses us (EACCES), the read-only one will do. */
struct vconn *vconn_open(const struct target *t, bool readonly, struct err **errp);
/* Close the connection; for ssh, wait (up to 5 s, then SIGTERM) for ssh to exit. */
void vconn_close(struct vconn *c);
struct rpc_client *vconn_rpc(const struct vconn *c);

/* A connected unix stream socket to path, or -1 with errno set. */
int unix_socket_connect(const char *path);

/* `vireo --proxy-stdio`: connect to the local daemon the target names and copy bytes
 * between stdin/stdout and the socket until either side ends. */
int proxy_stdio(const struct target *t, struct err **errp);

#endif
