/* Definitions on disk: see defstore.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/defstore.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/mem.h"

char *defstore_path(const char *dir, const char *name)
{
	char *file = xasprintf("%s.xml", name);
	char *path = path_join(dir, file);

	free(file);
	return path;
}

int defstore_save(const char *dir, const char *name, const char *xml, struct err **errp)
{
	char *path = defstore_path(dir, name);
	int rc = file_write_atomic(path, xml, strlen(xml), 0600, errp);

	if (rc < 0)
		err_wrap(errp, RPC_ERR_OPERATION_FAILED, _("cannot save the definition of '%s'"),
			 name);
	free(path);
	return rc;
}

static int unlink_if_there(const char *path, struct err **errp)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno, _("cannot remove %s"),
				     path);
	return 0;
}

int defstore_delete(const char *dir, const char *autostart_dir, const char *name,
		    struct err **errp)
{
	char *path = defstore_path(autostart_dir, name);
	int rc = unlink_if_there(path, errp);

	free(path);
	path = defstore_path(dir, name);
	if (rc == 0)
		rc = unlink_if_there(path, errp);
	free(path);
	return rc;
}

int defstore_set_autostart(const char *autostart_dir, const char *name, bool on,
			   struct err **errp)
{
	char *link = defstore_path(autostart_dir, name);
	char *target = xasprintf("../%s.xml", name);
	int rc = unlink_if_there(link, errp);

	if (rc == 0 && on && symlink(target, link) < 0)
		rc = err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno, _("cannot create %s"),
				   link);
	free(link);
	free(target);
	return rc;
}

bool defstore_is_autostart(const char *autostart_dir, const char *name)
{
	char *link = defstore_path(autostart_dir, name);
	bool on = access(link, F_OK) == 0;

	free(link);
	return on;
}

int defstore_list(const char *dir, struct strv *files)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (file_is_atomic_temp(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
		else if (de->d_name[0] != '.' && str_ends_with(de->d_name, ".xml"))
			strv_push(files, de->d_name);
	}
	closedir(d);
	return 0;
}

bool defstore_file_is(const char *file, const char *name)
{
	size_t n = strlen(name);

	return strlen(file) == n + 4 && strncmp(file, name, n) == 0;
}

void defstore_warn_ignored(const struct logger *lg, const char *path, struct err *e)
{
	char *why = err_describe(e);

	log_warning(lg, _("ignoring %s: %s"), path, why);
	free(why);
	err_free(e);
}

void dir_list_names(const char *dir, struct strv *names)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(names, de->d_name);
	closedir(d);
}
