/* isa-debug-exit, as QEMU's hw/misc/debugexit.c. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>

#include "drivers/legacy/debug_exit.h"
#include "lib/util/mem.h"

struct debug_exit {
	struct debug_exit_config cfg;
};

int debug_exit_status(uint64_t value)
{
	return (int)(((value << 1) | 1) & INT_MAX);
}

static uint64_t debug_exit_read(void *dev, uint64_t offset, unsigned size)
{
	return 0;
}

static void debug_exit_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct debug_exit *d = dev;

	if (d->cfg.exit)
		d->cfg.exit(d->cfg.opaque, debug_exit_status(value));
}

const struct io_ops debug_exit_io_ops = {
	.name = "isa-debug-exit",
	.read = debug_exit_read,
	.write = debug_exit_write,
};

struct debug_exit *debug_exit_new(const struct debug_exit_config *cfg)
{
	struct debug_exit *d = xzalloc(sizeof(*d));

	if (cfg)
		d->cfg = *cfg;
	if (!d->cfg.iobase)
		d->cfg.iobase = DEBUG_EXIT_IOBASE;
	if (!d->cfg.iosize)
		d->cfg.iosize = DEBUG_EXIT_IOSIZE;
	return d;
}

void debug_exit_free(struct debug_exit *dev)
{
	free(dev);
}

int debug_exit_register(struct debug_exit *dev, struct iobus *bus, struct err **errp)
{
	return iobus_register(bus, dev->cfg.iobase, dev->cfg.iosize, &debug_exit_io_ops, dev,
			      errp);
}
