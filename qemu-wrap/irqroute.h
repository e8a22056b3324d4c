/* KVM GSI routing and irqfds: the MSI-X fast path (architecture §6).
 *
 * KVM_SET_GSI_ROUTING replaces every route at once, so this module keeps the whole
 * table: first the routes KVM gives the in-kernel irqchip by default (GSI n to IOAPIC
 * pin n for n < 24, and for n < 16 also to pin n % 8 of the master or slave PIC, in
 * kvm_setup_default_irq_routing()'s order), then one MSI route per GSI handed out from
 * IRQROUTE_FIRST_MSI_GSI up. irqroute_commit() sends the table in one ioctl. Until the
 * first commit KVM has its defaults, which the table repeats: KVM_IRQ_LINE and the
 * in-kernel PIT behave the same before and after.
 *
 * irqroute_irqfd_bind() gives a vector its fast path: an eventfd, an MSI route and
 * KVM_IRQFD between them; a write(2) of 1 to the eventfd then injects the message in
 * the kernel, from any thread, without an ioctl or a lock. If KVM refuses routing or
 * irqfds, the first failure is logged (once) and every later bind fails at once:
 * callers keep KVM_SIGNAL_MSI.
 *
 * All KVM calls go through ops->vm_ioctl, so tests run without /dev/kvm.
 *
 * Threads: every function takes the table's lock and may be called from any thread;
 * commits are issued under it, so the last table written is KVM's. */
#ifndef VIREO_VMM_IRQROUTE_H
#define VIREO_VMM_IRQROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"
#include "lib/util/log.h"

#define IRQROUTE_IRQCHIP_GSIS	24		/* the IOAPIC's pins */
#define IRQROUTE_DEFAULT_ROUTES	40		/* 24 IOAPIC + 16 PIC entries */
#define IRQROUTE_FIRST_MSI_GSI	IRQROUTE_IRQCHIP_GSIS
#define IRQROUTE_MAX_GSIS	4096		/* KVM's x86 limit (KVM_MAX_IRQ_ROUTES) */

struct irqroute_ops {
	/* ioctl(2) on the VM fd: its result, or -1 with errno. KVM_CHECK_EXTENSION
	 * (KVM_CAP_IRQ_ROUTING: the GSI count; KVM_CAP_IRQFD), KVM_SET_GSI_ROUTING and
	 * KVM_IRQFD go through here. */
	int (*vm_ioctl)(void *ctx, unsigned long request, void *arg);
};

struct irqroute;

/* Asks KVM (through ops) how many GSIs it routes and whether it has irqfds; with
 * none of either every bind fails (routing "unavailable"). log may be NULL. */
struct irqroute *irqroute_new(const struct irqroute_ops *ops, void *ctx,
			      const struct logger *log);
void irqroute_free(struct irqroute *r);

/* GSIs MSI routes may use, 0 when routing is unavailable. */
unsigned irqroute_msi_capacity(struct irqroute *r);
/* Routes the next commit sends: the defaults plus one per allocated MSI GSI. */
unsigned irqroute_count(struct irqroute *r);

/* A GSI routed to (addr, data) from the next commit on; -1 with ERR_LIMIT when every
 * GSI is taken (or routing is unavailable). */
int irqroute_msi_alloc(struct irqroute *r, uint64_t addr, uint32_t data, struct err **errp);
/* Point an allocated GSI at (addr, data) (not committed). -1 with ERR_NOT_FOUND for a
 * GSI that is not an allocated MSI route. */
int irqroute_msi_update(struct irqroute *r, unsigned gsi, uint64_t addr, uint32_t data,
			struct err **errp);
/* The GSI leaves the table at the next commit; unknown GSIs are ignored. */
void irqroute_msi_free(struct irqroute *r, unsigned gsi);
/* KVM_SET_GSI_ROUTING with the whole table. Returns 0 or -1 with an error. */
int irqroute_commit(struct irqroute *r, struct err **errp);

/* An eventfd whose write delivers (addr, data): returns the fd and sets *gsi, or -1
 * (routing unavailable, no GSI left, or KVM refused; logged once). */
int irqroute_irqfd_bind(struct irqroute *r, uint64_t addr, uint32_t data, unsigned *gsi);
/* Re-route a bound GSI to (addr, data) and commit. Returns 0 or -1. */
int irqroute_irqfd_update(struct irqroute *r, unsigned gsi, uint64_t addr, uint32_t data);
/* Undo irqroute_irqfd_bind: KVM forgets the irqfd, fd is closed, the GSI is freed. */
void irqroute_irqfd_unbind(struct irqroute *r, unsigned gsi, int fd);

#endif
