/* The I/O dispatch bus: which device answers an address.
 *
 * One instance holds the port-I/O space (KVM_EXIT_IO), another the MMIO space
 * (KVM_EXIT_MMIO). A region is [base, base + len) with an ops table and the device
 * pointer its callbacks receive; regions never overlap. Lookup is a binary search
 * in a sorted array.
 *
 * Threads: any number of vCPU threads may dispatch at once (the lookup holds a
 * shared lock); registration takes the lock exclusively. The device callback runs
 * after the lock is dropped, so a callback may itself (un)register regions: the
 * PCI host bridge moves BARs from inside a config-space write. The bus does not
 * keep a device alive: free a device only when no vCPU can still be dispatching to
 * it (the vCPUs are stopped). Devices lock their own state.
 *
 * Guest accesses are hostile: the bus hands a callback only accesses with 1 <= size
 * <= 8 that lie wholly inside its region (offset + size <= len); the value of a
 * write is cut to size bytes and so is the value a read returns. */
#ifndef VIREO_DRIVERS_BUS_IOBUS_H
#define VIREO_DRIVERS_BUS_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"

struct io_ops {
	const char *name;	/* names the region in errors ("uart", "pci-conf1") */
	/* Bytes [offset, offset + size) of the region, little-endian; NULL reads 0. */
	uint64_t (*read)(void *dev, uint64_t offset, unsigned size);
	/* The guest wrote value's low size bytes at offset; NULL ignores writes. */
	void (*write)(void *dev, uint64_t offset, unsigned size, uint64_t value);
};

struct iobus;

/* A new empty bus; never fails. */
struct iobus *iobus_new(void);
void iobus_free(struct iobus *bus);

/* Claim [base, base + len) for ops/dev. Returns 0, or -1 with an error: len is 0,
 * the range wraps past 2^64, or it overlaps a registered region (the message names
 * both). */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, const struct io_ops *ops,
		   void *dev, struct err **errp);

/* Drop the region that starts at base and belongs to dev; no-op if there is none. */
void iobus_unregister(struct iobus *bus, uint64_t base, void *dev);

/* Route one guest access. A read stores the value in *value. Returns false if no
 * region claims the whole access (or size is 0 or above 8): the caller then makes
 * reads return all ones and drops writes, as on a PC. */
bool iobus_dispatch(struct iobus *bus, uint64_t addr, unsigned size, bool is_write,
		    uint64_t *value);

/* Number of regions (for tests and diagnostics). */
unsigned iobus_count(struct iobus *bus);

/* Helpers for devices whose registers are byte-addressable little-endian values. */

/* The low size bytes of v (size >= 8 returns v). */
static inline uint64_t io_mask(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
}

/* Bytes [offset, offset + size) of a register whose value is reg (width bytes wide):
 * bytes beyond width read as 0. */
static inline uint64_t io_reg_read(uint64_t reg, unsigned width, uint64_t offset,
				   unsigned size)
{
	if (offset >= width || width > 8)
		return 0;
	return io_mask(io_mask(reg, width) >> (offset * 8), size);
}

/* reg with bytes [offset, offset + size) replaced by value's low bytes; bytes beyond
 * width are dropped. */
static inline uint64_t io_reg_merge(uint64_t reg, unsigned width, uint64_t offset,
				    unsigned size, uint64_t value)
{
	uint64_t mask;

	if (offset >= width || width > 8)
		return reg;
	mask = io_mask(io_mask(UINT64_MAX, size) << (offset * 8), width);
	return (reg & ~mask) | ((value << (offset * 8)) & mask);
}

#endif
