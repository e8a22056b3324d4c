/* Raw image back-end: see raw.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/block/raw.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* Writing zeros by hand goes in pieces of this size (one zeroed buffer). */
#define RAW_ZERO_CHUNK (1u << 20)

struct raw_image {
	int fd;
	bool readonly;
	bool is_blockdev;
	uint64_t size;
	char *name;
};

/* The image's size in bytes into *size. Returns 0 or -1. */
static int raw_probe_size(int fd, const char *name, bool *is_blockdev, uint64_t *size,
			  struct err **errp)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_set_errno(errp, err_code_from_errno(errno), errno, _("cannot stat %s"),
				     name);
	*is_blockdev = S_ISBLK(st.st_mode);
	if (*is_blockdev) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return err_set_errno(errp, ERR_SYSTEM, errno,
					     _("cannot get the size of block device %s"), name);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return err_set(errp, ERR_INVALID,
			       _("%s is not a regular file or a block device"), name);
	*size = (uint64_t)st.st_size;
	return 0;
}

struct raw_image *raw_open_fd(int fd, const char *name, bool readonly, struct err **errp)
{
	struct raw_image *img;
	int fl = fcntl(fd, F_GETFL);
	bool blk = false;
	uint64_t size = 0;

	if (fl < 0) {
		err_set_errno(errp, ERR_INVALID, errno, _("%s: not an open file descriptor"), name);
		return NULL;
	}
	if (!readonly && (fl & O_ACCMODE) != O_RDWR) {
		err_set(errp, ERR_PERM, _("%s: read-write disk needs a file descriptor opened for "
					  "reading and writing"), name);
		return NULL;
	}
	if (raw_probe_size(fd, name, &blk, &size, errp) < 0)
		return NULL;
	/* A passed fd must not leak into children (helpers spawned later). */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		err_set_errno(errp, ERR_SYSTEM, errno, _("%s: cannot set close-on-exec"), name);
		return NULL;
	}
	img = xzalloc(sizeof(*img));
	img->fd = fd;
	img->readonly = readonly;
	img->is_blockdev = blk;
	img->size = size;
	img->name = xstrdup(name);
	return img;
}

struct raw_image *raw_open(const char *path, bool readonly, struct err **errp)
{
	struct raw_image *img;
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		err_set_errno(errp, err_code_from_errno(errno), errno, _("cannot open disk image %s"),
			      path);
		return NULL;
	}
	img = raw_open_fd(fd, path, readonly, errp);
	if (!img)
		close(fd);
	return img;
}

void raw_close(struct raw_image *img)
{
	if (!img)
		return;
	close(img->fd);
	free(img->name);
	free(img);
}

uint64_t raw_size(const struct raw_image *img)
{
	return img->size;
}

bool raw_readonly(const struct raw_image *img)
{
	return img->readonly;
}

const char *raw_name(const struct raw_image *img)
{
	return img->name;
}

int raw_fd(const struct raw_image *img)
{
	return img->fd;
}

int raw_error(const struct raw_image *img, enum raw_op op, uint64_t off, int errnum,
	      struct err **errp)
{
	unsigned long long o = (unsigned long long)off;

	switch (op) {
	case RAW_OP_READ:
		return err_set_errno(errp, ERR_IO, errnum, _("%s: read at offset %llu failed"),
				     img->name, o);
	case RAW_OP_WRITE:
		return err_set_errno(errp, ERR_IO, errnum, _("%s: write at offset %llu failed"),
				     img->name, o);
	case RAW_OP_FLUSH:
		return err_set_errno(errp, ERR_IO, errnum, _("%s: flush failed"), img->name);
	case RAW_OP_DISCARD:
		return err_set_errno(errp, ERR_IO, errnum, _("%s: discard at offset %llu failed"),
				     img->name, o);
	default:
		return err_set_errno(errp, ERR_IO, errnum, _("%s: zeroing at offset %llu failed"),
				     img->name, o);
	}
}

/* Does [off, off+len) lie inside the image? Sets ERR_RANGE if not. Returns 0 or -1. */
static int raw_check_range(const struct raw_image *img, uint64_t off, uint64_t len,
			   struct err **errp)
{
	if (off > img->size || len > img->size - off)
		return err_set(errp, ERR_RANGE, _("%s: %llu bytes at offset %llu are past the end "
						  "of the image (%llu bytes)"),
			       img->name, (unsigned long long)len, (unsigned long long)off,
			       (unsigned long long)img->size);
	return 0;
}

static uint64_t iov_total(const struct iovec *iov, unsigned n)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Skip `done` bytes of the iovecs in place: returns the first one not fully done. */
static unsigned iov_advance(struct iovec *iov, unsigned n, size_t done)
{
	unsigned i = 0;

	while (i < n && done >= iov[i].iov_len)
		done -= iov[i++].iov_len;
	if (i < n) {
		iov[i].iov_base = (char *)iov[i].iov_base + done;
		iov[i].iov_len -= done;
	}
	return i;
}

/* The transfer loop for both directions: retries EINTR and short transfers on a
 * private copy of the iovecs. At end-of-file a read zero-fills the rest; a write that
 * makes no progress is an error. Returns 0 or -1. */
static int raw_rw(struct raw_image *img, const struct iovec *iov_in, unsigned n, uint64_t off,
		  bool write, struct err **errp)
{
	struct iovec *iov = xmemdup(iov_in, (n ? n : 1) * sizeof(*iov));
	struct iovec *cur = iov;
	int rc = 0;

	while (n > 0) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t r = write ? pwritev(img->fd, cur, cnt, (off_t)off)
				  : preadv(img->fd, cur, cnt, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = raw_error(img, write ? RAW_OP_WRITE : RAW_OP_READ, off, errno, errp);
			break;
		}
		if (r == 0 && write) {
			rc = err_set(errp, ERR_IO, _("%s: write at offset %llu made no progress"),
				     img->name, (unsigned long long)off);
			break;
		}
		if (r == 0) {
			for (unsigned i = 0; i < n; i++)
				memset(cur[i].iov_base, 0, cur[i].iov_len);
			break;
		}
		off += (uint64_t)r;
		unsigned skip = iov_advance(cur, n, (size_t)r);
		cur += skip;
		n -= skip;
	}
	free(iov);
	return rc;
}

static int raw_check_writable(const struct raw_image *img, struct err **errp)
{
	if (img->readonly)
		return err_set(errp, ERR_PERM, _("%s: the disk is read-only"), img->name);
	return 0;
}

int raw_preadv(struct raw_image *img, const struct iovec *iov, unsigned iovcnt, uint64_t off,
	       struct err **errp)
{
	if (raw_check_range(img, off, iov_total(iov, iovcnt), errp) < 0)
		return -1;
	return raw_rw(img, iov, iovcnt, off, false, errp);
}

int raw_pwritev(struct raw_image *img, const struct iovec *iov, unsigned iovcnt, uint64_t off,
		struct err **errp)
{
	if (raw_check_writable(img, errp) < 0 ||
	    raw_check_range(img, off, iov_total(iov, iovcnt), errp) < 0)
		return -1;
	return raw_rw(img, iov, iovcnt, off, true, errp);
}

int raw_flush(struct raw_image *img, struct err **errp)
{
	if (img->readonly)
		return 0;
	while (fdatasync(img->fd) < 0) {
		if (errno != EINTR)
			return raw_error(img, RAW_OP_FLUSH, 0, errno, errp);
	}
	return 0;
}

/* fallocate with EINTR retried. Returns 0 or -errno. */
static int raw_fallocate(struct raw_image *img, int mode, uint64_t off, uint64_t len)
{
	while (fallocate(img->fd, mode, (off_t)off, (off_t)len) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Errors meaning "this file system or device cannot do that", not "it failed". */
static bool raw_not_supported(int neg_errno)
{
	return neg_errno == -EOPNOTSUPP || neg_errno == -ENOSYS || neg_errno == -EINVAL ||
	       neg_errno == -ENODEV;
}

int raw_discard(struct raw_image *img, uint64_t off, uint64_t len, struct err **errp)
{
	int r;

	if (raw_check_writable(img, errp) < 0 || raw_check_range(img, off, len, errp) < 0)
		return -1;
	if (len == 0)
		return 0;
	r = raw_fallocate(img, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (r == 0 || raw_not_supported(r))
		return 0;
	return raw_error(img, RAW_OP_DISCARD, off, -r, errp);
}

/* Zero the range by writing a zeroed buffer over it. Returns 0 or -1. */
static int raw_write_zero_buffers(struct raw_image *img, uint64_t off, uint64_t len,
				  struct err **errp)
{
	size_t chunk = len < RAW_ZERO_CHUNK ? (size_t)len : RAW_ZERO_CHUNK;
	void *zeros = xzalloc(chunk ? chunk : 1);
	int rc = 0;

	while (len > 0 && rc == 0) {
		struct iovec v = { zeros, len < chunk ? (size_t)len : chunk };

		rc = raw_rw(img, &v, 1, off, true, errp);
		off += v.iov_len;
		len -= v.iov_len;
	}
	free(zeros);
	return rc;
}

int raw_write_zeroes(struct raw_image *img, uint64_t off, uint64_t len, bool may_unmap,
		     struct err **errp)
{
	int r = -EOPNOTSUPP;

	if (raw_check_writable(img, errp) < 0 || raw_check_range(img, off, len, errp) < 0)
		return -1;
	if (len == 0)
		return 0;
	/* A punched hole reads back as zeros in a regular file, and Linux's block-device
	 * fallocate(PUNCH_HOLE) guarantees zeros too (it is BLKZEROOUT with unmap). */
	if (may_unmap)
		r = raw_fallocate(img, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (r != 0)
		r = raw_fallocate(img, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);
	if (r == 0)
		return 0;
	if (!raw_not_supported(r))
		return raw_error(img, RAW_OP_WRITE_ZEROES, off, -r, errp);
	return raw_write_zero_buffers(img, off, len, errp);
}
