#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/paths.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

int daemon_paths_init(struct daemon_paths *p, const char *root, struct err **errp)
{
	memset(p, 0, sizeof(*p));
	if (!root || !*root) {
		p->root = xstrdup("/");
	} else if (root[0] == '/') {
		p->root = xstrdup(root);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return err_set_errno(errp, NULL, errno,
					     _("cannot resolve the relative root '%s'"), root);
		p->root = path_join(cwd, root);
	}
	p->config_dir = path_join(p->root, "etc/vireo");
	p->domains_dir = path_join(p->config_dir, "domains");
	p->autostart_dir = path_join(p->domains_dir, "autostart");
	p->run_dir = path_join(p->root, "run/vireo");
	p->run_domains_dir = path_join(p->run_dir, "domains");
	p->log_dir = path_join(p->root, "var/log/vireo");
	p->rw_socket = path_join(p->run_dir, "vireod.sock");
	p->ro_socket = path_join(p->run_dir, "vireod-ro.sock");
	p->pid_file = path_join(p->run_dir, "vireod.pid");
	p->autostarted = path_join(p->run_dir, "autostarted");
	return 0;
}

int daemon_paths_create(const struct daemon_paths *p, struct err **errp)
{
	if (mkdir_p(p->autostart_dir, 0755, errp) < 0 || mkdir_p(p->log_dir, 0755, errp) < 0 ||
	    mkdir_p(p->run_dir, 0755, errp) < 0 || mkdir_p(p->run_domains_dir, 0700, errp) < 0)
		return -1;
	return 0;
}

void daemon_paths_free(struct daemon_paths *p)
{
	XFREE(&p->root);
	XFREE(&p->config_dir);
	XFREE(&p->domains_dir);
	XFREE(&p->autostart_dir);
	XFREE(&p->run_dir);
	XFREE(&p->run_domains_dir);
	XFREE(&p->log_dir);
	XFREE(&p->rw_socket);
	XFREE(&p->ro_socket);
	XFREE(&p->pid_file);
	XFREE(&p->autostarted);
}
