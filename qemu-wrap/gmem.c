#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/i18n.h"
#include "qemu-wrap/gmem.h"

int gmem_init(struct gmem *m, uint64_t size, struct err **errp)
{
	uint64_t low;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (size < (2 << 20))
		return err_set(errp, ERR_INVALID, _("guest RAM of %llu bytes is too small (at least 2 MiB)"),
			       (unsigned long long)size);
	/* A memfd (not anonymous memory) so vhost and the balloon can work on it. */
	m->memfd = memfd_create("vireo-guest-ram", MFD_CLOEXEC);
	if (m->memfd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot create guest RAM"));
	if (ftruncate(m->memfd, (off_t)size) < 0) {
		err_set_errno(errp, NULL, errno, _("cannot size guest RAM to %llu bytes"),
			      (unsigned long long)size);
		goto fail;
	}
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->memfd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		err_set_errno(errp, NULL, errno, _("cannot map guest RAM"));
		goto fail;
	}
	/* Huge pages where the kernel allows them for shared memory: every first touch
	 * of guest RAM is a (nested) page fault, 512 times fewer with 2 MiB pages. */
	madvise(m->base, size, MADV_HUGEPAGE);
	m->size = size;
	low = size < GMEM_LOW_LIMIT ? size : GMEM_LOW_LIMIT;
	m->slots[0] = (struct gmem_slot){ .gpa = 0, .size = low, .host = m->base, .offset = 0 };
	m->nslots = 1;
	if (size > low) {
		m->slots[1] = (struct gmem_slot){ .gpa = GMEM_HIGH_BASE, .size = size - low,
						  .host = m->base + low, .offset = low };
		m->nslots = 2;
	}
	return 0;
fail:
	gmem_destroy(m);
	return -1;
}

void gmem_destroy(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->base = NULL;
	m->memfd = -1;
	m->nslots = 0;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	for (unsigned i = 0; i < m->nslots; i++) {
		const struct gmem_slot *s = &m->slots[i];

		if (gpa >= s->gpa && gpa + len <= s->gpa + s->size)
			return s->host + (gpa - s->gpa);
	}
	return NULL;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

void gmem_clear(struct gmem *m)
{
	if (fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)m->size) < 0)
		memset(m->base, 0, m->size);
}

int gmem_release(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(m, gpa, len);
	off_t off;

	if (!p) {
		errno = EINVAL;
		return -1;
	}
	off = (off_t)(p - m->base);
	if (fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len) == 0)
		return 0;
	return madvise(p, len, MADV_REMOVE);
}

int gmem_zero(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const uint64_t page = 4096;
	uint8_t *p = gmem_ptr(m, gpa, len);
	uint64_t first = (gpa + page - 1) & ~(page - 1), last = (gpa + len) & ~(page - 1);

	if (!p) {
		errno = EINVAL;
		return -1;
	}
	if (first >= last || gmem_release(m, first, last - first) < 0) {
		memset(p, 0, len);	/* no whole page, or the memfd cannot punch */
		return 0;
	}
	memset(p, 0, first - gpa);
	memset(p + (last - gpa), 0, gpa + len - last);
	return 0;
}

bool gmem_gpa_of(const struct gmem *m, const void *p, uint64_t *gpa)
{
	const uint8_t *h = p;

	for (unsigned i = 0; i < m->nslots; i++) {
		const struct gmem_slot *s = &m->slots[i];

		if (h >= s->host && h < s->host + s->size) {
			*gpa = s->gpa + (uint64_t)(h - s->host);
			return true;
		}
	}
	return false;
}

uint64_t gmem_low_top(const struct gmem *m)
{
	return m->slots[0].size;
}
