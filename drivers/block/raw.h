/* A raw disk image on an fd: a regular file or a block device, read and written at
 * byte offsets. Knows nothing of virtio.
 *
 * vireo-vmm either opens the image itself (a path) or is handed an open fd by the
 * daemon (-add-fd / file=/dev/fdset/N, fd=N), as vmd's parent passes fds down. Every
 * operation returns 0 or -1 with an error naming the image; short transfers and EINTR
 * are retried inside, so a caller never sees a partial success. */
#ifndef VIREO_DRIVERS_BLOCK_RAW_H
#define VIREO_DRIVERS_BLOCK_RAW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/util/err.h"

struct raw_image;

/* What a request does (the asynchronous back-ends, drivers/block/aio.h, name them). */
enum raw_op { RAW_OP_READ, RAW_OP_WRITE, RAW_OP_FLUSH, RAW_OP_DISCARD, RAW_OP_WRITE_ZEROES };

/* Open `path` read-only or read-write (O_CLOEXEC). Returns the image, or NULL with
 * *errp naming the path. */
struct raw_image *raw_open(const char *path, bool readonly, struct err **errp);

/* Take over an already open fd; `name` is what messages call it (the path the user
 * gave, or "fd 5"). A read-write image needs an fd opened O_RDWR. Returns the image
 * (which now owns fd and closes it), or NULL with *errp set (fd is then still the
 * caller's). */
struct raw_image *raw_open_fd(int fd, const char *name, bool readonly, struct err **errp);

/* Close the fd and free; NULL is fine. */
void raw_close(struct raw_image *img);

/* Size in bytes, as found when opened (fstat, or BLKGETSIZE64 for a block device). */
uint64_t raw_size(const struct raw_image *img);
bool raw_readonly(const struct raw_image *img);
const char *raw_name(const struct raw_image *img);

/* The open file descriptor (still the image's: do not close it), for the back-ends
 * that submit requests themselves (io_uring). */
int raw_fd(const struct raw_image *img);

/* Set *errp to the error raw_* gives when `op` at byte offset `off` fails with
 * errno `errnum` (the message names the image). Returns -1. */
int raw_error(const struct raw_image *img, enum raw_op op, uint64_t off, int errnum,
	      struct err **errp);

/* Read / write the bytes the iovecs describe at byte offset `off`. The range must lie
 * inside the image (ERR_RANGE otherwise). A read that meets end-of-file early (the
 * file shrank under us) fills the rest with zeros. Writing a read-only image is
 * ERR_PERM. Return 0 or -1. */
int raw_preadv(struct raw_image *img, const struct iovec *iov, unsigned iovcnt, uint64_t off,
	       struct err **errp);
int raw_pwritev(struct raw_image *img, const struct iovec *iov, unsigned iovcnt, uint64_t off,
		struct err **errp);

/* Make written data durable (fdatasync). Returns 0 or -1. */
int raw_flush(struct raw_image *img, struct err **errp);

/* Tell the host the range is unused (a hole is punched, size kept). Discard is
 * advisory: a file system that cannot punch holes makes this a successful no-op.
 * Returns 0 or -1 (ERR_PERM on a read-only image, ERR_IO on a failure). */
int raw_discard(struct raw_image *img, uint64_t off, uint64_t len, struct err **errp);

/* Make the range read back as zeros: a punched hole when `may_unmap`, else
 * FALLOC_FL_ZERO_RANGE, else writing zeros. Returns 0 or -1. */
int raw_write_zeroes(struct raw_image *img, uint64_t off, uint64_t len, bool may_unmap,
		     struct err **errp);

#endif
