/* The PS/2 controller (i8042), without keyboard or mouse behind it.
 *
 * Enough for Linux's i8042 driver to probe it quickly (self-test 0xAA -> 0x55, the
 * command byte through 0x20/0x60, ports disabled/enabled with 0xAD/0xAE/0xA7/0xA8,
 * the interface tests, the loopback commands 0xD2/0xD3) and for the reboot paths that
 * go through it: command 0xFE (pulse the reset line) and an output-port write
 * (0xD1) with bit 0 clear call the machine's reset() callback. Bytes meant for the
 * keyboard or the mouse are dropped: no device answers them.
 *
 * Registers: data at I8042_DATA_PORT, status (read) / command (write) at
 * I8042_CMD_PORT, one byte each; i8042_register() claims both. */
#ifndef VIREO_DRIVERS_LEGACY_I8042_H
#define VIREO_DRIVERS_LEGACY_I8042_H

#include "drivers/bus/iobus.h"
#include "drivers/irq.h"

#define I8042_DATA_PORT	0x60
#define I8042_CMD_PORT	0x64
#define I8042_KBD_IRQ	1
#define I8042_AUX_IRQ	12

struct i8042_config {
	struct irq_line kbd_irq;	/* IRQ 1 (optional) */
	struct irq_line aux_irq;	/* IRQ 12 (optional) */
	void (*reset)(void *opaque);	/* the guest asked for a system reset */
	void *opaque;
};

struct i8042;

/* A controller in its power-on state; cfg is copied. Never fails. */
struct i8042 *i8042_new(const struct i8042_config *cfg);
void i8042_free(struct i8042 *kbc);
/* Back to the power-on state (system_reset). */
void i8042_reset(struct i8042 *kbc);

/* Claim the data and command ports on bus. Returns 0 or -1 with an error. */
int i8042_register(struct i8042 *kbc, struct iobus *bus, struct err **errp);

/* The two one-byte regions i8042_register() uses, dev = the struct i8042. */
extern const struct io_ops i8042_data_io_ops;
extern const struct io_ops i8042_cmd_io_ops;

#endif
