/* Who may change things: SO_PEERCRED (and SO_PEERGROUPS) of a client. */
#include "config.h"

#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/server.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define ACCESS_GROUP "vireo"
#define MAX_GROUPS 1024

/* The peer's supplementary groups as the kernel recorded them at connect(). */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool access_peer_may_write(int fd, unsigned *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct group *gr;

	*uid = (unsigned)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	*uid = cr.uid;
	/* root, or whoever runs this (an unprivileged --root instance serves its owner) */
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	gr = getgrnam(ACCESS_GROUP);
	if (!gr)
		return false;
	return cr.gid == gr->gr_gid || peer_in_group(fd, gr->gr_gid);
}
