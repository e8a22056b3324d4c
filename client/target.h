/* Where the CLI's daemon is: --root DIR, -c URI, or the system default.
 *
 *   (nothing)                      /run/vireo/vireod.sock (ro: vireod-ro.sock)
 *   --root DIR                     DIR/run/vireo/vireod.sock (ro: vireod-ro.sock)
 *   -c unix:PATH                   the socket at PATH
 *   -c vireo:///system             the system default; ?socket=PATH, ?root=DIR
 *   -c vireo+unix:///system        the same
 *   -c ssh://[user@]host[:port][/DIR]      `ssh host vireo [--root DIR] --proxy-stdio`
 *   -c vireo+ssh://[user@]host[:port]/system   the same without a root
 *
 * ssh URIs take ?command=PATH (the far side's vireo), ?keyfile=PATH (ssh -i) and
 * ?socket=PATH (the far side's socket); $VIREO_SSH replaces "ssh" (it may carry options:
 * "ssh -F /tmp/cfg"). */
#ifndef VIREO_CLIENT_TARGET_H
#define VIREO_CLIENT_TARGET_H

#include "lib/util/err.h"
#include "lib/util/str.h"

#define TARGET_SYSTEM_RUNDIR "/run/vireo"

enum target_kind {
	TARGET_UNIX,
	TARGET_SSH,
};

struct target {
	enum target_kind kind;
	char *socket;		/* unix: the read-write socket (or the only one) */
	char *ro_socket;	/* unix: the read-only socket to fall back to, or NULL */
	char *user;		/* ssh: NULL for ssh's default */
	char *host;
	char *port;		/* NULL for ssh's default */
	char *root;		/* ssh: the far side's --root, or NULL */
	char *command;		/* ssh: the far side's vireo */
	char *keyfile;		/* ssh -i, or NULL */
	char *remote_socket;	/* ssh: the far side's -c unix:PATH, or NULL */
};

/* Resolve the connection target from -c (uri, may be NULL) and --root (may be NULL).
 * -1 (invalid-argument) for a URI vireo does not speak, naming it. */
int target_parse(const char *uri, const char *root, struct target *t, struct err **errp);
void target_free(struct target *t);

/* The argv that runs the far side's proxy: ssh_cmd (NULL: "ssh"; split at blanks),
 * its options, the host and the remote command line, quoted for the remote shell. */
void target_ssh_argv(const struct target *t, const char *ssh_cmd, struct strv *argv);

/* s quoted for a POSIX shell: unchanged when it holds only safe characters, else in
 * single quotes (a ' becomes '\''). */
char *shell_quote(const char *s);

#endif
