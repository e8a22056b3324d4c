/* QEMU's isa-debug-exit: a test guest's way out with a status.
 *
 * A write of value v to any of its ports asks the VMM to exit with status
 * (v << 1) | 1, so a guest can never produce status 0 (QEMU's convention; test
 * harnesses map it back). The device calls the machine's exit() callback and never
 * exits itself: the machine decides (flush the chardevs, stop the vCPUs, then
 * exit). Reads return 0. Defaults as QEMU: iobase 0x501, iosize 2. */
#ifndef VIREO_DRIVERS_LEGACY_DEBUG_EXIT_H
#define VIREO_DRIVERS_LEGACY_DEBUG_EXIT_H

#include "drivers/bus/iobus.h"

#define DEBUG_EXIT_IOBASE	0x501
#define DEBUG_EXIT_IOSIZE	0x02

struct debug_exit_config {
	uint16_t iobase;		/* 0: DEBUG_EXIT_IOBASE */
	uint16_t iosize;		/* 0: DEBUG_EXIT_IOSIZE */
	void (*exit)(void *opaque, int status);
	void *opaque;
};

struct debug_exit;

/* A device with cfg (copied; zero iobase/iosize take the defaults). Never fails. */
struct debug_exit *debug_exit_new(const struct debug_exit_config *cfg);
void debug_exit_free(struct debug_exit *dev);

/* Claim [iobase, iobase + iosize) on bus. Returns 0 or -1 with an error. */
int debug_exit_register(struct debug_exit *dev, struct iobus *bus, struct err **errp);

/* The exit status for a written value: (value << 1) | 1, kept to 31 bits (exit()
 * passes on only the low 8 anyway). */
int debug_exit_status(uint64_t value);

extern const struct io_ops debug_exit_io_ops;

#endif
