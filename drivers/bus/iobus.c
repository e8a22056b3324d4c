/* The I/O dispatch bus: a sorted array of non-overlapping regions behind a rwlock. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/bus/iobus.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct io_region {
	uint64_t base;
	uint64_t len;
	const struct io_ops *ops;
	void *dev;
};

struct iobus {
	pthread_rwlock_t lock;
	struct io_region *regions;	/* sorted by base, never overlapping */
	unsigned count;
	unsigned capacity;
};

struct iobus *iobus_new(void)
{
	struct iobus *bus = xzalloc(sizeof(*bus));

	pthread_rwlock_init(&bus->lock, NULL);
	return bus;
}

void iobus_free(struct iobus *bus)
{
	if (!bus)
		return;
	pthread_rwlock_destroy(&bus->lock);
	free(bus->regions);
	free(bus);
}

/* Index of the first region whose base is above addr (0..count). */
static unsigned first_above(const struct iobus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (bus->regions[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The region containing addr, or NULL. */
static const struct io_region *find_region(const struct iobus *bus, uint64_t addr)
{
	unsigned i = first_above(bus, addr);
	const struct io_region *r;

	if (i == 0)
		return NULL;
	r = &bus->regions[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

static const char *region_name(const struct io_ops *ops)
{
	return ops && ops->name ? ops->name : "?";
}

/* -1 with an error naming both regions if [base, base+len) overlaps r. */
static int check_overlap(const struct io_region *r, uint64_t base, uint64_t len,
			 const struct io_ops *ops, struct err **errp)
{
	if (base - r->base >= r->len && r->base - base >= len)
		return 0;
	return err_set(errp, ERR_EXISTS,
		       _("I/O region %s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx"),
		       region_name(ops), (unsigned long long)base,
		       (unsigned long long)(base + len - 1), region_name(r->ops),
		       (unsigned long long)r->base, (unsigned long long)(r->base + r->len - 1));
}

static int check_new_region(uint64_t base, uint64_t len, const struct io_ops *ops,
			    struct err **errp)
{
	if (!ops)
		return err_set(errp, ERR_INTERNAL, _("I/O region at 0x%llx has no operations"),
			       (unsigned long long)base);
	if (len == 0 || base + (len - 1) < base)
		return err_set(errp, ERR_INVALID,
			       _("I/O region %s at 0x%llx has an invalid length 0x%llx"),
			       region_name(ops), (unsigned long long)base,
			       (unsigned long long)len);
	return 0;
}

/* Insert at i, shifting the tail; the caller holds the write lock. */
static void insert_at(struct iobus *bus, unsigned i, const struct io_region *r)
{
	if (bus->count == bus->capacity) {
		bus->capacity = bus->capacity ? bus->capacity * 2 : 16;
		bus->regions = xreallocarray(bus->regions, bus->capacity, sizeof(*r));
	}
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->count - i) * sizeof(*r));
	bus->regions[i] = *r;
	bus->count++;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, const struct io_ops *ops,
		   void *dev, struct err **errp)
{
	struct io_region r = { .base = base, .len = len, .ops = ops, .dev = dev };
	unsigned i;
	int rc = 0;

	if (check_new_region(base, len, ops, errp) < 0)
		return -1;
	pthread_rwlock_wrlock(&bus->lock);
	i = first_above(bus, base);
	/* Sorted and disjoint: only the neighbours on either side can overlap. */
	if (i > 0)
		rc = check_overlap(&bus->regions[i - 1], base, len, ops, errp);
	if (rc == 0 && i < bus->count)
		rc = check_overlap(&bus->regions[i], base, len, ops, errp);
	if (rc == 0)
		insert_at(bus, i, &r);
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

void iobus_unregister(struct iobus *bus, uint64_t base, void *dev)
{
	unsigned i;

	pthread_rwlock_wrlock(&bus->lock);
	i = first_above(bus, base);
	if (i > 0 && bus->regions[i - 1].base == base && bus->regions[i - 1].dev == dev) {
		i--;
		memmove(&bus->regions[i], &bus->regions[i + 1],
			(bus->count - i - 1) * sizeof(bus->regions[0]));
		bus->count--;
	}
	pthread_rwlock_unlock(&bus->lock);
}

bool iobus_dispatch(struct iobus *bus, uint64_t addr, unsigned size, bool is_write,
		    uint64_t *value)
{
	const struct io_region *found;
	struct io_region r;
	uint64_t offset;

	if (size == 0 || size > 8)
		return false;
	pthread_rwlock_rdlock(&bus->lock);
	found = find_region(bus, addr);
	if (found)
		r = *found;
	pthread_rwlock_unlock(&bus->lock);
	if (!found)
		return false;
	offset = addr - r.base;
	if (size > r.len - offset)
		return false;	/* straddles the end of the region */
	if (is_write) {
		if (r.ops->write)
			r.ops->write(r.dev, offset, size, io_mask(*value, size));
	} else {
		*value = r.ops->read ? io_mask(r.ops->read(r.dev, offset, size), size) : 0;
	}
	return true;
}

unsigned iobus_count(struct iobus *bus)
{
	unsigned n;

	pthread_rwlock_rdlock(&bus->lock);
	n = bus->count;
	pthread_rwlock_unlock(&bus->lock);
	return n;
}
