/*
 * smp.h: starting the application processors (INIT-SIPI-SIPI through the local APIC).
 *
 * smp_start() runs at CPL3 on the BSP: it finds the CPUs in the ACPI MADT (or, without
 * one, takes CPUID's logical processor count with APIC ids 0..n-1), starts them one at a
 * time and has each call fn(cpu, arg) at CPL3, with interrupts enabled but none routed
 * to it (its LINT0/LINT1 stay masked; NMIs arrive and are counted), on its own 32 KiB
 * stack, its own TSS (kernel stack, #DF stack, the all-zero I/O bitmap: port I/O works
 * as on the BSP) and GDT, and the BSP's IDT and page tables. When fn returns the AP
 * halts for good. Exceptions on an AP are reported like the BSP's (status 5).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#define SMP_MAX_CPUS	8		/* the BSP and up to 7 APs */
#define SMP_TRAMP_PA	0x8000		/* the SIPI page: real-mode entry of the APs */
#define SMP_KSTACK	8192		/* per AP: CPL0 stack (traps, syscalls) */
#define SMP_ISTACK	4096		/* per AP: #DF stack (IST 1) */
#define SMP_USTACK	32768		/* per AP: the CPL3 stack fn runs on */

#ifndef __ASSEMBLER__
#include "tg.h"

enum smp_state {
	SMP_ABSENT = 0,		/* not started (or not there) */
	SMP_STARTING,		/* INIT and SIPI sent, not arrived yet */
	SMP_RUNNING,		/* at CPL3, in fn */
	SMP_DONE,		/* fn returned; the AP halted */
};

struct smp_cpu {
	uint32_t apic_id;
	volatile uint32_t state;	/* enum smp_state */
	uint64_t start_us;		/* first SIPI -> the AP at CPL3 (0 for the BSP) */
	unsigned sipis;			/* SIPIs it took (1 or 2) */
};

/* Starts every AP (up to SMP_MAX_CPUS - 1) on fn(cpu, arg); cpu 0 is the BSP, which
 * does not run fn. Needs a calibrated TSC (g->tsc_khz) for its waits. Returns the
 * number of CPUs now running fn or done with it (APs only); on a CPU that did not come
 * up, why says which and how. Called once per boot. */
unsigned smp_start(struct tg *g, void (*fn)(unsigned cpu, void *arg), void *arg, char *why,
		   size_t n);

/* The CPUs smp_start() found (BSP first) and what became of them; NULL past the end. */
const struct smp_cpu *smp_cpu(unsigned cpu);
unsigned smp_cpu_count(void);

/* The calling CPU's APIC id (local APIC ID register; after smp_start()). */
uint32_t smp_apic_id(void);

/* Waits until every AP that came up has returned from fn or ms pass; true when all did. */
bool smp_wait_done(const struct tg *g, uint64_t ms);

/* smp_test.c: the "smp" mode's TAP plan (returns the number of failed checks); with
 * ap_crash ("smp-crash") the first AP executes ud2 at CPL3 once it has counted itself in */
unsigned smp_tests(struct tg *g, bool ap_crash);
#endif

#endif
