/* QEMU's pvpanic ISA device: the guest says it panicked.
 *
 * One port (PVPANIC_IOBASE, 0x505 as QEMU's default). A read returns the events
 * the device supports (PVPANIC_EVENTS: panicked and crash-loaded), which Linux's
 * pvpanic driver checks before using it; a write of a bitmap reports events: bit 0
 * "panicked" calls panicked() (the machine emits GUEST_PANICKED and applies
 * on_crash), bit 1 "crash kernel loaded" calls crashloaded(). Bits the device does
 * not support are ignored. */
#ifndef VIREO_DRIVERS_LEGACY_PVPANIC_H
#define VIREO_DRIVERS_LEGACY_PVPANIC_H

#include "drivers/bus/iobus.h"

#define PVPANIC_IOBASE		0x505
#define PVPANIC_IOLEN		1
#define PVPANIC_PANICKED	0x01
#define PVPANIC_CRASH_LOADED	0x02
#define PVPANIC_EVENTS		(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic_config {
	void (*panicked)(void *opaque);		/* optional */
	void (*crashloaded)(void *opaque);	/* optional */
	void *opaque;
};

struct pvpanic;

/* A device with cfg (copied). Never fails. */
struct pvpanic *pvpanic_new(const struct pvpanic_config *cfg);
void pvpanic_free(struct pvpanic *dev);

/* For iobus_register(bus, PVPANIC_IOBASE, PVPANIC_IOLEN, &pvpanic_io_ops, dev, errp). */
extern const struct io_ops pvpanic_io_ops;

#endif
