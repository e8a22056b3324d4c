/* The CLI's connection to vireod: a local socket or ssh (see conn.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/conn.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/spawn.h"

#define CLIENT_NAME "vireo " PACKAGE_VERSION
#define SSH_EXIT_WAIT_MS 5000

struct vconn {
	struct rpc_client *rpc;
	struct spawn_child ssh;		/* pid 0: not ssh */
};

int unix_socket_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* The rw socket, or for a read-only command the ro one when the rw one refuses us.
 * Errors in virsh's words: "Failed to connect socket to '...': ...". */
static int connect_local(const struct target *t, bool readonly, struct err **errp)
{
	int fd = unix_socket_connect(t->socket), e = errno;

	if (fd >= 0)
		return fd;
	if ((e == EACCES || e == EPERM) && t->ro_socket) {
		if (!readonly)
			return err_set(errp, ERR_PERM,
				       _("Failed to connect socket to '%s': %s (this command needs read-write access: uid 0 or group vireo)"),
				       t->socket, strerror(e));
		fd = unix_socket_connect(t->ro_socket);
		if (fd >= 0)
			return fd;
		return err_set_errno(errp, err_code_from_errno(errno), errno,
				     _("Failed to connect socket to '%s'"), t->ro_socket);
	}
	return err_set_errno(errp, err_code_from_errno(e), e, _("Failed to connect socket to '%s'"),
			     t->socket);
}

/* Start `ssh host vireo --proxy-stdio` on one end of a socketpair; the other end is
 * the connection. */
static int connect_ssh(const struct target *t, struct spawn_child *child, struct err **errp)
{
	struct strv argv = STRV_INIT;
	struct spawn_fd_map fds[2];
	struct spawn_opts o = { 0 };
	int sp[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot create a socket pair"));
	target_ssh_argv(t, getenv("VIREO_SSH"), &argv);
	fds[0] = (struct spawn_fd_map){ .src = sp[1], .dst = 0 };
	fds[1] = (struct spawn_fd_map){ .src = sp[1], .dst = 1 };
	o.path = argv.items[0];
	o.argv = strv_array(&argv);
	o.fds = fds;
	o.nfds = 2;
	o.inherit_stdio = true;		/* ssh's stderr: password prompts, host key errors */
	rc = spawn(&o, child, errp);
	close(sp[1]);
	if (rc < 0) {
		err_wrap(errp, err_code(errp ? *errp : NULL), _("cannot run '%s'"), argv.items[0]);
		close(sp[0]);
		strv_free(&argv);
		return -1;
	}
	strv_free(&argv);
	return sp[0];
}

struct vconn *vconn_open(const struct target *t, bool readonly, struct err **errp)
{
	struct vconn *c = xzalloc(sizeof(*c));
	int fd;

	c->ssh.pidfd = -1;
	if (t->kind == TARGET_SSH)
		fd = connect_ssh(t, &c->ssh, errp);
	else
		fd = connect_local(t, readonly, errp);
	if (fd >= 0)
		c->rpc = rpc_client_open_fds(fd, fd, CLIENT_NAME, errp);
	if (!c->rpc) {
		err_wrap(errp, err_code(errp ? *errp : NULL),
			 _("failed to connect to the hypervisor"));
		vconn_close(c);
		return NULL;
	}
	return c;
}

/* Reap ssh: it exits once the far side saw our end of the connection close. */
static void reap_ssh(struct spawn_child *child)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status;

	for (int waited = 0; waited < SSH_EXIT_WAIT_MS; waited += 10) {
		if (waitpid(child->pid, &status, WNOHANG) != 0)
			goto done;
		nanosleep(&tick, NULL);
	}
	kill(child->pid, SIGTERM);
	waitpid(child->pid, &status, 0);
done:
	if (child->pidfd >= 0)
		close(child->pidfd);
	child->pid = 0;
}

void vconn_close(struct vconn *c)
{
	if (!c)
		return;
	rpc_client_close(c->rpc);
	if (c->ssh.pid > 0)
		reap_ssh(&c->ssh);
	free(c);
}

struct rpc_client *vconn_rpc(const struct vconn *c)
{
	return c->rpc;
}
