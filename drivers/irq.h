/* An interrupt line as a device sees it.
 *
 * A device is handed a struct irq_line by the machine and never learns how the line
 * is wired: the machine implements set() with KVM_IRQ_LINE on the in-kernel irqchip,
 * a unit test with a fake that records levels. An edge-triggered ISA interrupt is a
 * raise followed by a lower (the PIC and IOAPIC latch the rising edge); a level-
 * triggered one (PCI INTx, the ACPI SCI) stays raised while the condition lasts.
 * A line whose set is NULL is not connected: every call is a no-op. */
#ifndef VIREO_DRIVERS_IRQ_H
#define VIREO_DRIVERS_IRQ_H

#include <stddef.h>

struct irq_line {
	/* Drive gsi to level (0 or 1); returns 0 or a negative errno. */
	int (*set)(void *ctx, unsigned gsi, int level);
	void *ctx;
	unsigned gsi;
};

static inline void irq_set_level(const struct irq_line *line, int level)
{
	if (line && line->set)
		line->set(line->ctx, line->gsi, level ? 1 : 0);
}

static inline void irq_raise(const struct irq_line *line)
{
	irq_set_level(line, 1);
}

static inline void irq_lower(const struct irq_line *line)
{
	irq_set_level(line, 0);
}

/* A rising then a falling edge: one edge-triggered interrupt. */
static inline void irq_pulse(const struct irq_line *line)
{
	irq_set_level(line, 1);
	irq_set_level(line, 0);
}

#endif
