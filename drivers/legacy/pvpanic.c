/* pvpanic, as QEMU's hw/misc/pvpanic.c (docs/specs/pvpanic.rst). */
#include "config.h"

#include <stdlib.h>

#include "drivers/legacy/pvpanic.h"
#include "lib/util/mem.h"

struct pvpanic {
	struct pvpanic_config cfg;
};

static uint64_t pvpanic_read(void *dev, uint64_t offset, unsigned size)
{
	return offset == 0 ? PVPANIC_EVENTS : 0;
}

static void pvpanic_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct pvpanic *p = dev;

	if (offset != 0)
		return;
	/* QEMU reports a panic in preference to crash-loaded when both are set. */
	if (value & PVPANIC_PANICKED) {
		if (p->cfg.panicked)
			p->cfg.panicked(p->cfg.opaque);
	} else if (value & PVPANIC_CRASH_LOADED) {
		if (p->cfg.crashloaded)
			p->cfg.crashloaded(p->cfg.opaque);
	}
}

const struct io_ops pvpanic_io_ops = {
	.name = "pvpanic",
	.read = pvpanic_read,
	.write = pvpanic_write,
};

struct pvpanic *pvpanic_new(const struct pvpanic_config *cfg)
{
	struct pvpanic *p = xzalloc(sizeof(*p));

	if (cfg)
		p->cfg = *cfg;
	return p;
}

void pvpanic_free(struct pvpanic *dev)
{
	free(dev);
}
