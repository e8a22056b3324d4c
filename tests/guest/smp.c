/*
 * smp.c: starts the application processors (see smp.h). Everything here runs at CPL3 on
 * the BSP: the local APIC (uncached, user-accessible in the identity map) takes the
 * INIT and SIPI writes from CPL3, and the APs' GDTs and TSSs are plain memory. Only the
 * mode switches in smp_entry.S run at CPL0, on the AP.
 */
#include "smp.h"
#include "io.h"

#define SEL_COUNT	7		/* null, kcode, kdata, udata, ucode, TSS (2) */
#define LAPIC_DEFAULT	0xfee00000ull
#define LAPIC_ID	0x020
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define ICR_INIT	0x00000500
#define ICR_STARTUP	0x00000600
#define ICR_LEVEL	0x00008000
#define ICR_ASSERT	0x00004000
#define ICR_PENDING	0x00001000
#define INIT_WAIT_MS	10		/* INIT -> SIPI, as the MP specification asks */
#define SIPI_RETRY_US	200		/* no sign of the AP after this: the second SIPI */
#define AP_WAIT_MS	1000		/* and after this it is given up */
#define MADT_MAX	4096

/* The APs' GDTs and TSSs, then one I/O bitmap (all ports allowed) and its 0xff end. */
struct ap_tables {
	struct {
		uint64_t gdt[SEL_COUNT];
		struct tss64_hw tss;
	} cpu[SMP_MAX_CPUS - 1];
	uint8_t iopb[8192];
	uint8_t iopb_end;
};

struct pseudo_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* What ap_entry32/ap_entry64 (smp_entry.S) load; the offsets are fixed there. */
struct smp_boot {
	struct pseudo_desc gdtr;	/* 0 */
	uint8_t pad0[6];
	uint64_t kstack;		/* 16 */
	uint64_t ustack;		/* 24 */
	uint64_t cpu;			/* 32: enter_user's argument */
	uint64_t svr_addr;		/* 40: the local APIC's SVR, 0 = none */
	struct pseudo_desc idtr;	/* 48 */
	uint8_t pad1[6];
	uint64_t entry;			/* 64: enter_user's CPL3 entry point */
};
_Static_assert(__builtin_offsetof(struct smp_boot, kstack) == 16, "smp_entry.S offsets");
_Static_assert(__builtin_offsetof(struct smp_boot, idtr) == 48, "smp_entry.S offsets");
_Static_assert(__builtin_offsetof(struct smp_boot, entry) == 64, "smp_entry.S offsets");

struct smp_boot smp_boot __attribute__((aligned(16)));	/* read by smp_entry.S */

extern const char smp_tramp[], smp_tramp_end[];
extern char smp_ap_stacks[];
extern uint64_t gdt[];		/* entry.S: the BSP's GDT, copied for each AP */
extern char idt[];		/* kernel.c: 256 gates of 16 bytes, shared */

static struct ap_tables tables __attribute__((aligned(16)));
static struct smp_cpu cpus[SMP_MAX_CPUS];
static unsigned ncpus;
static uint64_t lapic_base;
static void (*ap_fn)(unsigned cpu, void *arg);
static void *ap_arg;

const struct smp_cpu *smp_cpu(unsigned cpu)
{
	return cpu < ncpus ? &cpus[cpu] : NULL;
}

unsigned smp_cpu_count(void)
{
	return ncpus;
}

/*
 * From the local APIC's ID register, not CPUID: under PVM, CPUID at CPL3 runs natively
 * and reports the host CPU's APIC id (and count), whichever vCPU asks.
 */
uint32_t smp_apic_id(void)
{
	return lapic_base ? mmio_read32(lapic_base + LAPIC_ID) >> 24 : 0;
}

/* The CPL3 entry of every AP (enter_user from ap_entry64). */
static void __attribute__((noreturn)) ap_user_entry(uint64_t cpu)
{
	__atomic_store_n(&cpus[cpu].state, SMP_RUNNING, __ATOMIC_RELEASE);
	ap_fn((unsigned)cpu, ap_arg);
	__atomic_store_n(&cpus[cpu].state, SMP_DONE, __ATOMIC_RELEASE);
	for (;;)
		syscall1(SYS_HALT, 0);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The MADT ("APIC") listed by the root table behind g->acpi.rsdp, checksum good; or 0. */
static const uint8_t *madt_find(const struct tg *g)
{
	const uint8_t *rsdp = (const uint8_t *)(uintptr_t)g->acpi.rsdp, *root;
	bool xsdt;
	uint32_t len;

	if (!g->acpi.rsdp)
		return NULL;
	xsdt = rsdp[15] >= 2 && (rd32(rsdp + 24) || rd32(rsdp + 28));
	if (xsdt && rd32(rsdp + 28))
		return NULL;		/* above 4 GiB: not mapped */
	root = (const uint8_t *)(uintptr_t)rd32(rsdp + (xsdt ? 24 : 16));
	len = rd32(root + 4);
	for (uint32_t off = 36; off + (xsdt ? 8 : 4) <= len && off < 36 + 64 * 8;
	     off += xsdt ? 8 : 4) {
		const uint8_t *t;
		uint8_t sum = 0;

		if (xsdt && rd32(root + off + 4))
			continue;
		t = (const uint8_t *)(uintptr_t)rd32(root + off);
		if (!t || memcmp(t, "APIC", 4) != 0 || rd32(t + 4) < 44 || rd32(t + 4) > MADT_MAX)
			continue;
		for (uint32_t i = 0; i < rd32(t + 4); i++)
			sum = (uint8_t)(sum + t[i]);
		if (sum == 0)
			return t;
	}
	return NULL;
}

/*
 * Fills cpus[] (BSP first) from the MADT's enabled processor local APIC entries, or,
 * without a MADT, from CPUID leaf 1 (APIC ids 0..n-1; under PVM that is the host's
 * count). Sets lapic_base from the MADT (else the default).
 */
static void cpus_find(const struct tg *g, const char **source)
{
	const uint8_t *m = madt_find(g);
	uint32_t a, b, c, d, bsp_id;

	lapic_base = m && rd32(m + 36) ? rd32(m + 36) : LAPIC_DEFAULT;
	bsp_id = smp_apic_id();
	ncpus = 1;
	cpus[0] = (struct smp_cpu){ .apic_id = bsp_id, .state = SMP_RUNNING };
	if (m) {
		uint32_t len = rd32(m + 4);

		*source = "madt";
		for (uint32_t off = 44; off + 2 <= len && m[off + 1] >= 2; off += m[off + 1]) {
			if (m[off] != 0 || m[off + 1] < 8 || !(rd32(m + off + 4) & 1) ||
			    m[off + 3] == bsp_id || ncpus == SMP_MAX_CPUS)
				continue;
			cpus[ncpus++] = (struct smp_cpu){ .apic_id = m[off + 3] };
		}
		return;
	}
	*source = "cpuid";
	cpuid(1, &a, &b, &c, &d);
	if (d & (1u << 28)) {
		for (uint32_t id = 0; id < ((b >> 16) & 0xff) && ncpus < SMP_MAX_CPUS; id++)
			if (id != bsp_id)
				cpus[ncpus++] = (struct smp_cpu){ .apic_id = id };
	}
}

/* True when the trampoline page lies in RAM by start_info's memory map (or no map). */
static bool tramp_page_is_ram(const struct tg *g)
{
	const struct hvm_memmap_table_entry *e;

	if (!g->si || g->si->version < 1 || !g->si->memmap_paddr)
		return true;
	e = (const struct hvm_memmap_table_entry *)(uintptr_t)g->si->memmap_paddr;
	for (uint32_t i = 0; i < g->si->memmap_entries && i < 64; i++)
		if (e[i].type == 1 && e[i].addr <= SMP_TRAMP_PA &&
		    e[i].addr + e[i].size >= SMP_TRAMP_PA + 4096)
			return true;
	return false;
}

static bool icr_send(uint64_t lapic, uint32_t apic_id, uint32_t lo)
{
	mmio_write32(lapic + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic + LAPIC_ICR_LO, lo);
	for (unsigned i = 0; i < 1000; i++)
		if (!(mmio_read32(lapic + LAPIC_ICR_LO) & ICR_PENDING))
			return true;
	return false;
}

/* AP k's GDT (the BSP's, with its own TSS descriptor) and TSS, and its boot block. */
static void ap_tables_fill(unsigned cpu, uint64_t lapic)
{
	struct tss64_hw *t = &tables.cpu[cpu - 1].tss;
	uint64_t *gd = tables.cpu[cpu - 1].gdt;
	char *stacks = smp_ap_stacks + (cpu - 1) * (SMP_KSTACK + SMP_ISTACK + SMP_USTACK);
	uint64_t base = (uint64_t)(uintptr_t)t;
	uint64_t limit = (uint64_t)((uintptr_t)&tables.iopb_end - (uintptr_t)t);

	memcpy(gd, gdt, 5 * sizeof(uint64_t));
	memset(t, 0, sizeof(*t));
	t->rsp[0] = (uint64_t)(uintptr_t)(stacks + SMP_KSTACK);
	t->ist[0] = (uint64_t)(uintptr_t)(stacks + SMP_KSTACK + SMP_ISTACK);
	t->iomap_base = (uint16_t)((uintptr_t)tables.iopb - (uintptr_t)t);
	gd[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		(((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gd[6] = base >> 32;
	smp_boot = (struct smp_boot){
		.gdtr = { SEL_COUNT * 8 - 1, (uint64_t)(uintptr_t)gd },
		.kstack = t->rsp[0],
		/* %rsp = 8 mod 16 at fn's entry, as after a call */
		.ustack = (uint64_t)(uintptr_t)(stacks + SMP_KSTACK + SMP_ISTACK + SMP_USTACK) - 8,
		.cpu = cpu,
		.svr_addr = lapic ? lapic + LAPIC_SVR : 0,
		.idtr = { 256 * 16 - 1, (uint64_t)(uintptr_t)idt },
		.entry = (uint64_t)(uintptr_t)ap_user_entry,
	};
}

/* SIPI (twice if need be) and wait for AP cpu to reach CPL3; false with why if not. */
static bool ap_boot(struct tg *g, unsigned cpu, uint64_t lapic, char *why, size_t n)
{
	struct smp_cpu *c = &cpus[cpu];
	uint64_t khz = tsc_khz_or_guess(g), t0;
	struct deadline d;

	ap_tables_fill(cpu, lapic);
	__atomic_store_n(&c->state, SMP_STARTING, __ATOMIC_RELEASE);
	t0 = rdtsc();
	for (c->sipis = 1; c->sipis <= 2; c->sipis++) {
		if (!icr_send(lapic, c->apic_id, ICR_STARTUP | ICR_ASSERT | (SMP_TRAMP_PA >> 12))) {
			gsnprintf(why, n, "cpu %u (apic %u): SIPI stays pending in the ICR", cpu,
				  c->apic_id);
			return false;
		}
		deadline_start(&d, g, c->sipis == 1 ? 1 : AP_WAIT_MS);
		if (c->sipis == 1)
			d.ticks = khz * SIPI_RETRY_US / 1000;
		while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == SMP_STARTING &&
		       !deadline_passed(&d))
			cpu_pause();
		if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != SMP_STARTING) {
			c->start_us = (rdtsc() - t0) * 1000 / khz;
			return true;
		}
	}
	c->sipis = 2;
	gsnprintf(why, n, "cpu %u (apic %u): not at CPL3 %u ms after INIT-SIPI-SIPI", cpu,
		  c->apic_id, AP_WAIT_MS);
	return false;
}

unsigned smp_start(struct tg *g, void (*fn)(unsigned cpu, void *arg), void *arg, char *why,
		   size_t n)
{
	uint32_t a, b, c, d;
	uint64_t lapic;
	unsigned up = 0;
	const char *source = "";
	char *tramp = (char *)(uintptr_t)SMP_TRAMP_PA;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 9))) {
		ncpus = 1;
		gsnprintf(why, n, "no local APIC (CPUID.1:EDX.APIC clear)");
		return 0;
	}
	cpus_find(g, &source);
	lapic = lapic_base;
	gprintf("# smp: %u cpus (%s), bsp apic %u, local apic 0x%lx\n", ncpus, source,
		cpus[0].apic_id, lapic);
	if (ncpus == 1)
		return 0;
	if (!tramp_page_is_ram(g)) {
		gsnprintf(why, n, "the SIPI page 0x%x is not RAM in the memory map", SMP_TRAMP_PA);
		return 0;
	}
	__asm__("" : "+r"(tramp));	/* a fixed address, not an object the compiler knows */
	memcpy(tramp, smp_tramp, (size_t)(smp_tramp_end - smp_tramp));
	memset(tables.iopb, 0, sizeof(tables.iopb));
	tables.iopb_end = 0xff;
	ap_fn = fn;
	ap_arg = arg;
	for (unsigned i = 1; i < ncpus; i++) {
		if (!icr_send(lapic, cpus[i].apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT) ||
		    !icr_send(lapic, cpus[i].apic_id, ICR_INIT | ICR_LEVEL)) {
			gsnprintf(why, n, "cpu %u (apic %u): INIT stays pending in the ICR", i,
				  cpus[i].apic_id);
			return 0;
		}
	}
	delay_ms(g, INIT_WAIT_MS);
	for (unsigned i = 1; i < ncpus; i++) {
		if (!ap_boot(g, i, lapic, why, n))
			break;		/* it may still come up: smp_boot must stay its own */
		up++;
	}
	return up;
}

bool smp_wait_done(const struct tg *g, uint64_t ms)
{
	struct deadline d;
	bool busy = true;

	deadline_start(&d, g, ms);
	while (busy) {
		busy = false;
		for (unsigned i = 1; i < ncpus; i++)
			if (__atomic_load_n(&cpus[i].state, __ATOMIC_ACQUIRE) == SMP_RUNNING)
				busy = true;
		if (!busy || deadline_passed(&d))
			break;
		cpu_pause();
	}
	return !busy;
}
