/* ACPI tables for the worker's PC: RSDP, RSDT, XSDT, FADT, DSDT (with _S5) and MADT,
 * placed in the firmware area at 0xe0000 (reserved in the e820 map). The fixed
 * hardware they describe is drivers/legacy/acpi_pm.c: PM1a event block 0x600, PM1a
 * control 0x604, PM timer 0x608, SCI on IRQ 9, reset register 0xcf9 (value 6), a
 * fixed-feature power button, S5 with SLP_TYP 5. */
#ifndef VIREO_VMM_ACPI_H
#define VIREO_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"
#include "qemu-wrap/gmem.h"

#define ACPI_PM1A_EVT	0x600
#define ACPI_PM1A_CNT	0x604
#define ACPI_PM_TMR	0x608
#define ACPI_SCI_IRQ	9
#define ACPI_RESET_PORT	0xcf9
#define ACPI_RESET_VAL	0x06
#define ACPI_S5_SLP_TYP	5

/* Build the tables for ncpus processors into guest RAM; *rsdp_gpa gets the RSDP. */
int acpi_build(struct gmem *m, unsigned ncpus, uint64_t *rsdp_gpa, struct err **errp);

/* The byte that makes the sum of len bytes zero (what every ACPI table needs). */
uint8_t acpi_checksum(const void *data, size_t len);

#endif
