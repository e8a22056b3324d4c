/* Guest RAM: one memfd, mapped MAP_SHARED, presented to KVM as one or two slots
 * (below the PCI hole, and above 4 GiB when there is more RAM than fits below it).
 *
 * Every device reaches guest memory through gmem_ptr(): the one checked door. It
 * returns a host pointer for [gpa, gpa+len) only when every byte lies inside guest
 * RAM, with the overflow of gpa+len checked here, once. */
#ifndef VIREO_VMM_GMEM_H
#define VIREO_VMM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"

/* RAM above this guest-physical address moves to 4 GiB: the space up to 4 GiB holds
 * PCI MMIO windows, the IOAPIC, LAPIC and the firmware area. */
#define GMEM_LOW_LIMIT	0xc0000000ULL
#define GMEM_HIGH_BASE	0x100000000ULL

struct gmem_slot {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;
	uint8_t *host;		/* host mapping of this slot */
	uint64_t offset;	/* offset in the memfd */
};

struct gmem {
	int memfd;
	uint8_t *base;		/* the whole memfd mapped */
	uint64_t size;		/* total RAM bytes */
	struct gmem_slot slots[2];
	unsigned nslots;
};

/* Create `size` bytes of guest RAM (a multiple of 2 MiB is best). */
int gmem_init(struct gmem *m, uint64_t size, struct err **errp);
void gmem_destroy(struct gmem *m);

/* Host pointer for [gpa, gpa+len) inside one RAM slot, or NULL if any byte is
 * outside guest RAM (or len is 0 or gpa+len overflows). */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copy into / out of guest RAM; -1 if the range is not all RAM. */
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len);
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len);

/* Zero all of RAM again (system_reset reloads the image into clean memory). Uses
 * fallocate(PUNCH_HOLE), so it also gives touched memory back to the host. */
void gmem_clear(struct gmem *m);

/* Give [gpa, gpa+len) back to the host (the balloon): the memfd range is punched
 * (fallocate PUNCH_HOLE, else madvise MADV_REMOVE), so the host frees the pages and
 * the guest reads zeroes on its next touch. The range must lie in one RAM slot.
 * Returns 0, or -1 (outside RAM, or the kernel refused: errno). */
int gmem_release(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Zero [gpa, gpa+len) (one RAM slot): whole pages are punched rather than written, so
 * a loader's .bss and stacks cost no page the guest never touches. Returns 0, or -1
 * if the range is not in RAM. */
int gmem_zero(const struct gmem *m, uint64_t gpa, uint64_t len);

/* The guest-physical address of host pointer p inside guest RAM (as gmem_ptr gave it).
 * Returns false if p is not in guest RAM. */
bool gmem_gpa_of(const struct gmem *m, const void *p, uint64_t *gpa);

/* The highest guest-physical address + 1 below 4 GiB that is RAM. */
uint64_t gmem_low_top(const struct gmem *m);

#endif
