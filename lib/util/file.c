#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define TEMP_INFIX ".tmp-"

static void step(struct atomic_file *af, enum atomic_step s)
{
	if (af->step_hook)
		af->step_hook(s, af->step_arg);
}

static void atomic_file_release(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	if (af->dirfd >= 0)
		close(af->dirfd);
	af->fd = af->dirfd = -1;
	XFREE(&af->path);
	XFREE(&af->tmp_name);
	XFREE(&af->base_name);
}

int atomic_file_begin(struct atomic_file *af, const char *path, mode_t mode, struct err **errp)
{
	char *dir_copy = xstrdup(path), *base_copy = xstrdup(path);
	const char *dir = dirname(dir_copy), *base = basename(base_copy);
	int rc = -1;

	af->fd = af->dirfd = -1;
	af->path = xstrdup(path);
	af->tmp_name = NULL;
	af->base_name = xstrdup(base);
	if (!*base || streq(base, "/") || streq(base, ".") || streq(base, "..")) {
		err_set(errp, ERR_INVALID, _("'%s' does not name a file"), path);
		goto out;
	}
	af->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (af->dirfd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot open directory %s"), dir);
		goto out;
	}
	/* mkostempsat does not exist: try random names until one is free. */
	for (int tries = 0; tries < 100; tries++) {
		unsigned long r = 0;

		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = ((unsigned long)getpid() << 8) ^ (unsigned long)tries;

		free(af->tmp_name);
		af->tmp_name = xasprintf(".%s" TEMP_INFIX "%06lx", base, r & 0xffffff);
		af->fd = openat(af->dirfd, af->tmp_name,
				O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (af->fd >= 0 || errno != EEXIST)
			break;
	}
	if (af->fd < 0) {
		err_set_errno(errp, NULL, errno, _("cannot create a temporary file for %s"), path);
		goto out;
	}
	/* The umask may have narrowed mode; state files get exactly what was asked. */
	if (fchmod(af->fd, mode) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot set the mode of %s"), path);
		unlinkat(af->dirfd, af->tmp_name, 0);
		goto out;
	}
	rc = 0;
	step(af, ATOMIC_CREATED);
out:
	free(dir_copy);
	free(base_copy);
	if (rc < 0)
		atomic_file_release(af);
	return rc;
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomic_file_write(struct atomic_file *af, const void *data, size_t len, struct err **errp)
{
	if (fd_write_all(af->fd, data, len) < 0)
		return err_set_errno(errp, ERR_IO, errno, _("cannot write %s"), af->path);
	step(af, ATOMIC_WRITTEN);
	return 0;
}

int atomic_file_commit(struct atomic_file *af, struct err **errp)
{
	if (fsync(af->fd) < 0) {
		err_set_errno(errp, ERR_IO, errno, _("cannot sync %s"), af->path);
		goto fail;
	}
	step(af, ATOMIC_SYNCED);
	if (close(af->fd) < 0) {
		af->fd = -1;
		err_set_errno(errp, ERR_IO, errno, _("cannot write %s"), af->path);
		goto fail;
	}
	af->fd = -1;
	if (renameat(af->dirfd, af->tmp_name, af->dirfd, af->base_name) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot replace %s"), af->path);
		goto fail;
	}
	step(af, ATOMIC_RENAMED);
	/* Without this the rename may be lost on a crash even though the data is safe. */
	if (fsync(af->dirfd) < 0) {
		err_set_errno(errp, ERR_IO, errno, _("cannot sync the directory of %s"), af->path);
		atomic_file_release(af);
		return -1;
	}
	step(af, ATOMIC_DIR_SYNCED);
	atomic_file_release(af);
	return 0;
fail:
	atomic_file_abort(af);
	return -1;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->dirfd >= 0 && af->tmp_name)
		unlinkat(af->dirfd, af->tmp_name, 0);
	atomic_file_release(af);
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct err **errp)
{
	struct atomic_file af = { 0 };

	if (atomic_file_begin(&af, path, mode, errp) < 0)
		return -1;
	if (atomic_file_write(&af, data, len, errp) < 0) {
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, errp);
}

bool file_is_atomic_temp(const char *name)
{
	return name[0] == '.' && strstr(name, TEMP_INFIX) != NULL;
}

int file_read_all(const char *path, size_t limit, char **data, size_t *len, struct err **errp)
{
	size_t used = 0, cap = 4096;
	char *p;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot open %s"), path);
	p = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			cap *= 2;
			p = xrealloc(p, cap);
		}
		n = read(fd, p + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set_errno(errp, ERR_IO, errno, _("cannot read %s"), path);
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > limit) {
			err_set(errp, ERR_LIMIT, _("%s is larger than %zu bytes"), path, limit);
			goto fail;
		}
	}
	close(fd);
	p[used] = '\0';
	*data = p;
	if (len)
		*len = used;
	return 0;
fail:
	close(fd);
	free(p);
	return -1;
}

int mkdir_p(const char *path, mode_t mode, struct err **errp)
{
	char *copy = xstrdup(path), *p;
	struct stat st;

	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			err_set_errno(errp, NULL, errno, _("cannot create directory %s"), copy);
			free(copy);
			return -1;
		}
		*p = saved;
		if (!saved)
			break;
	}
	free(copy);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(errp, ERR_EXISTS, _("%s exists and is not a directory"), path);
	return 0;
}

char *path_join(const char *a, const char *b)
{
	size_t alen = strlen(a);

	while (alen > 1 && a[alen - 1] == '/')
		alen--;
	while (*b == '/')
		b++;
	if (alen == 1 && a[0] == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)alen, a, b);
}
