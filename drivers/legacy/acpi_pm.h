/* ACPI fixed hardware: the PM1a event and control blocks, the PM timer, the reset
 * register (ACPI 6.5 section 4.8).
 *
 * One I/O region at ACPI_PM_IOBASE covers the three blocks the FADT points to:
 *   ACPI_PM1A_EVT_BLK  PM1_STS (2 bytes, write 1 to clear) and PM1_EN (2 bytes)
 *   ACPI_PM1A_CNT_BLK  PM1_CNT (2 bytes): SCI_EN, SLP_TYP, SLP_EN
 *   ACPI_PM_TMR_BLK    PM_TMR (4 bytes): a 24-bit counter at 3.579545 MHz taken from
 *                      the host's monotonic clock (FADT flag TMR_VAL_EXT clear);
 *                      TMR_STS is brought up to date when the block is read, so
 *                      the timer raises no SCI of its own (no OS relies on one)
 * and a one-byte reset register that the machine places where its FADT RESET_REG
 * says; ACPI_RESET_REG is the PIIX port 0xcf9 (which the PCI host bridge forwards:
 * see pci_host_set_cf9_handler), written with ACPI_RESET_VALUE.
 *
 * There is no SMI: SCI_EN reads 1 from power-on (FADT SMI_CMD = 0, the OS finds the
 * machine in ACPI mode). The SCI (IRQ 9, level, active high: the MADT needs an
 * interrupt source override saying so) is high while any status bit with its enable
 * bit set is pending.
 *
 * Sleep: the DSDT's \_S5 package must advertise SLP_TYP ACPI_SLP_TYP_S5 (5), i.e.
 * Name (_S5, Package () { 5, 5, 0, 0 }); the guest then writes PM1_CNT with
 * SLP_TYP = 5 << 10 and SLP_EN (bit 13), and the device calls shutdown(). Other
 * sleep types are ignored (no S1-S4). */
#ifndef VIREO_DRIVERS_LEGACY_ACPI_PM_H
#define VIREO_DRIVERS_LEGACY_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/bus/iobus.h"
#include "drivers/irq.h"

#define ACPI_PM_IOBASE		0x600
#define ACPI_PM_IOLEN		0x0c
#define ACPI_PM1A_EVT_BLK	0x600
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1A_CNT_BLK	0x604
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_BLK		0x608
#define ACPI_PM_TMR_LEN		4
#define ACPI_PM_TMR_HZ		3579545
#define ACPI_RESET_REG		0xcf9
#define ACPI_RESET_VALUE	0x06
#define ACPI_SCI_IRQ		9
#define ACPI_SLP_TYP_S5		5	/* the first value of the DSDT's \_S5 package */

/* PM1_STS / PM1_EN bits */
#define ACPI_PM1_TMR		0x0001
#define ACPI_PM1_GBL		0x0020
#define ACPI_PM1_PWRBTN		0x0100
#define ACPI_PM1_SLPBTN		0x0200
#define ACPI_PM1_RTC		0x0400
#define ACPI_PM1_WAK_STS	0x8000
/* PM1_CNT bits */
#define ACPI_PM1_CNT_SCI_EN	0x0001
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP	(7 << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN	0x2000

struct acpi_pm_config {
	struct irq_line sci;			/* IRQ 9, level */
	void (*shutdown)(void *opaque);		/* the guest entered S5 */
	void (*reset)(void *opaque);		/* the guest wrote the reset register */
	void *opaque;
	/* Monotonic time in ns; NULL means CLOCK_MONOTONIC. */
	int64_t (*clock_ns)(void *opaque);
	void *clock_opaque;
};

struct acpi_pm;

/* The blocks in their power-on state; cfg is copied. Never fails. */
struct acpi_pm *acpi_pm_new(const struct acpi_pm_config *cfg);
void acpi_pm_free(struct acpi_pm *pm);
/* Back to the power-on state (system_reset); lowers the SCI. */
void acpi_pm_reset(struct acpi_pm *pm);

/* QMP system_powerdown: set PWRBTN_STS and raise the SCI if the guest enabled the
 * power button. Returns whether it had (false: nobody in the guest listens yet). */
bool acpi_pm_press_power_button(struct acpi_pm *pm);

/* Claim ACPI_PM_IOBASE..+ACPI_PM_IOLEN on bus. Returns 0 or -1 with an error. */
int acpi_pm_register(struct acpi_pm *pm, struct iobus *bus, struct err **errp);

/* The PM1a event/control/timer region (ACPI_PM_IOLEN bytes) and the one-byte reset
 * register (bit 2 written as 1 resets, as PIIX's 0xcf9), dev = the struct acpi_pm. */
extern const struct io_ops acpi_pm_io_ops;
extern const struct io_ops acpi_pm_reset_io_ops;

#endif
