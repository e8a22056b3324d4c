/* Files: atomic replacement, bounded reads, directories, paths.
 *
 * Persistent state is only ever replaced atomically: the new content goes to a
 * temporary file in the same directory, is fsync'ed, renamed over the old name, and
 * the directory is fsync'ed so the rename itself survives a power cut. A reader sees
 * the old content or the new, never a mix or a truncated file, whatever moment the
 * writer dies at. Temporaries are named ".NAME.tmp-XXXXXX" so directory scans that
 * skip dot files never mistake one for state. */
#ifndef VIREO_UTIL_FILE_H
#define VIREO_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/util/err.h"

/* The moments between the steps of an atomic write; a test hook sees each one. */
enum atomic_step {
	ATOMIC_CREATED,		/* temp file exists, empty */
	ATOMIC_WRITTEN,		/* after each atomic_file_write */
	ATOMIC_SYNCED,		/* temp file content fsync'ed */
	ATOMIC_RENAMED,		/* temp renamed over the target */
	ATOMIC_DIR_SYNCED,	/* directory fsync'ed: done */
};

struct atomic_file {
	int fd;			/* the temporary file */
	int dirfd;		/* the directory holding target and temp */
	char *path;		/* target path */
	char *tmp_name;		/* temp name, relative to dirfd */
	char *base_name;	/* target name, relative to dirfd */
	/* Called at each step when set: lets tests kill the writer at any point. */
	void (*step_hook)(enum atomic_step step, void *arg);
	void *step_arg;
};

/* Start replacing path. Zero-initialise af first (setting step_hook, if wanted):
 * begin keeps the hook and fills in everything else. */
int atomic_file_begin(struct atomic_file *af, const char *path, mode_t mode, struct err **errp);
int atomic_file_write(struct atomic_file *af, const void *data, size_t len, struct err **errp);
/* fsync, rename over the target, fsync the directory; af is released either way. */
int atomic_file_commit(struct atomic_file *af, struct err **errp);
/* Give up: remove the temporary and release af. Safe after a failed commit. */
void atomic_file_abort(struct atomic_file *af);

/* The three steps in one call. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct err **errp);

/* True for names atomic_file_begin uses for temporaries. */
bool file_is_atomic_temp(const char *name);

/* Read a whole file of at most `limit` bytes (ERR_LIMIT if larger). *data is
 * NUL-terminated; *len may be NULL. */
int file_read_all(const char *path, size_t limit, char **data, size_t *len, struct err **errp);

/* write() all of it, retrying short writes and EINTR. Returns 0 or -1 with errno. */
int fd_write_all(int fd, const void *data, size_t len);

/* mkdir -p with the given mode for directories it creates. */
int mkdir_p(const char *path, mode_t mode, struct err **errp);

/* "a/b": one slash between, whatever a ends with and b starts with. */
char *path_join(const char *a, const char *b);

#endif
