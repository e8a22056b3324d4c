/*
 * kernel.c: the CPL0 part of the test guest: GDT/TSS, IDT, 8259 PIC, local APIC virtual
 * wire, the trap handler and the services behind the int3 syscall gate. Kept short on
 * purpose: under PVM every CPL0 instruction is emulated (architecture.md section 8), so
 * the work runs at CPL3.
 */
#include "guest.h"
#include "io.h"

#define SEL_KCODE	0x08
#define SEL_TSS		0x28

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1u << 11)
#define LAPIC_TPR	0x080
#define LAPIC_SVR	0x0f0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERROR	0x370
#define LVT_MASKED	0x10000
#define LVT_EXTINT	0x700
#define LVT_NMI		0x400

#define VEC_NMI		2
#define VEC_BREAKPOINT	3	/* also the syscall gate, see syscall1 in entry.S */
#define VEC_SPURIOUS	0xff

/*
 * 64-bit TSS followed by its I/O permission bitmap: all zeros (every port allowed at
 * CPL3, since PVM ignores RFLAGS.IOPL) and the terminating 0xff byte. Placed in .data so
 * the image carries it already zeroed: no CPL0 loop clears it.
 */
struct tss64 {
	struct tss64_hw hw;
	uint8_t iopb[8192];
	uint8_t iopb_end;
} __attribute__((packed));

static struct tss64 tss __attribute__((section(".data"), aligned(16))) = {
	.hw.iomap_base = sizeof(struct tss64_hw),
	.iopb_end = 0xff,
};

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

/* Not static: the application processors load it too (smp_entry.S, smp.c). */
struct idt_gate idt[256] __attribute__((aligned(16)));

/* The saved state trap_common (entry.S) hands to trap(). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct trap_entry {
	uint64_t vec;
	uint64_t stub;
};

extern uint64_t gdt[];
extern const struct trap_entry trap_table[], trap_table_end[];
extern char kstack_top[], ist1_top[], syscall_gate_ret[];
void enter_user(void (*entry)(uint64_t), void *stack, uint64_t arg) __attribute__((noreturn));

struct kstate kstate;

static void tss_install(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;

	tss.hw.rsp[0] = (uint64_t)kstack_top;
	tss.hw.ist[0] = (uint64_t)ist1_top;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

static void idt_install(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (const struct trap_entry *t = trap_table; t < trap_table_end; t++) {
		struct idt_gate *g = &idt[t->vec];

		g->off_lo = (uint16_t)t->stub;
		g->sel = SEL_KCODE;
		g->ist = t->vec == 8 ? 1 : 0;	/* #DF on its own stack */
		/* Interrupt gates; only int3 (the syscall gate) may be raised from CPL3. */
		g->attr = t->vec == VEC_BREAKPOINT ? 0xee : 0x8e;
		g->off_mid = (uint16_t)(t->stub >> 16);
		g->off_hi = (uint32_t)(t->stub >> 32);
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Remaps the 8259s to vectors 0x20-0x2f and masks every line; CPL3 code unmasks. */
static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, IRQ_BASE);
	outb(PIC2_DATA, IRQ_BASE + 8);
	outb(PIC1_DATA, 0x04);		/* slave on IRQ2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);		/* 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfb);		/* all masked but the cascade */
	outb(PIC2_DATA, 0xff);
}

/*
 * Puts the local APIC in virtual wire mode (LINT0 = ExtINT) so 8259 interrupts reach the
 * CPU whatever the firmware left behind: after reset LINT0 is masked, and both QEMU and
 * KVM then drop PIC interrupts while the APIC is enabled.
 */
static void lapic_virtual_wire(void)
{
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		return;
	base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_EN))
		return;
	base &= 0xfffff000ull;
	mmio_write32(base + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	mmio_write32(base + LAPIC_TPR, 0);
	mmio_write32(base + LAPIC_LVT_TIMER, LVT_MASKED);
	mmio_write32(base + LAPIC_LVT_ERROR, LVT_MASKED);
	mmio_write32(base + LAPIC_LVT_LINT0, LVT_EXTINT);
	mmio_write32(base + LAPIC_LVT_LINT1, LVT_NMI);
}

void kmain(uint32_t start_info)
{
	serial_init();
	tss_install();
	idt_install();
	pic_init();
	lapic_virtual_wire();
	/* %rsp = 8 mod 16 at entry, as after a call. */
	enter_user(user_main, (void *)((uintptr_t)ustack_top - 8), start_info);
}

static void report_exception(const struct trap_frame *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	if (!serial_at_line_start())
		gprintf("\n");
	gprintf("not ok - exception %lu at 0x%lx # cpl %lu, error 0x%lx, cr2 0x%lx, rsp 0x%lx\n",
		f->vec, f->rip, f->cs & 3, f->err, cr2, f->rsp);
	debug_exit(EXIT_CRASH);
}

/* IRQ n of the 8259 pair: count it, then EOI; spurious IRQ 7/15 are not acknowledged. */
static void handle_irq(unsigned irq)
{
	if (irq == 7 || irq == 15) {
		uint16_t cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;

		outb(cmd, 0x0b);		/* OCW3: read ISR */
		if (!(inb(cmd) & 0x80)) {
			kstate.spurious++;
			if (irq == 15)
				outb(PIC1_CMD, PIC_EOI);
			return;
		}
	}
	kstate.irq_count[irq]++;
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

static uint64_t handle_syscall(uint64_t nr, uint64_t arg)
{
	switch (nr) {
	case SYS_PING:
		return arg ^ SYS_PING_MAGIC;
	case SYS_WAIT_IRQ:
		/* sti's one-instruction shadow makes "sti; hlt" race-free. */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		return 0;
	case SYS_HALT:
		for (;;)
			__asm__ volatile("cli; hlt");
	case SYS_TRIPLE_FAULT: {
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) empty = { 0, 0 };

		/* ud2, not int3: PVM's CPL0 emulator fails on int3 (KVM emulation failure). */
		__asm__ volatile("lidt %0; ud2" : : "m"(empty));
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	case SYS_UD2:
		__asm__ volatile("ud2");
		return 0;
	case SYS_MAP_UC: {
		/* The identity map's 2 MiB PDE for arg (entry.S: pml4 -> pdpt -> pd0..pd3). */
		uint64_t cr3, *pdpt, *pd;

		if (arg >= (4ull << 30))
			return (uint64_t)-1;
		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		pdpt = (uint64_t *)(((uint64_t *)(cr3 & ~0xfffull))[0] & ~0xfffull);
		pd = (uint64_t *)(pdpt[arg >> 30] & ~0xfffull);
		pd[(arg >> 21) & 511] |= 0x18;		/* PCD | PWT */
		__asm__ volatile("invlpg (%0)" : : "r"(arg) : "memory");
		return 0;
	}
	default:
		return (uint64_t)-1;
	}
}

void trap(struct trap_frame *f);

void trap(struct trap_frame *f)
{
	if (f->vec == VEC_BREAKPOINT && f->rip == (uint64_t)syscall_gate_ret && (f->cs & 3) == 3) {
		f->rax = handle_syscall(f->rax, f->rdi);
		return;
	}
	if (f->vec >= IRQ_BASE && f->vec < IRQ_BASE + 16) {
		handle_irq((unsigned)(f->vec - IRQ_BASE));
		return;
	}
	if (f->vec == VEC_SPURIOUS) {
		kstate.spurious++;
		return;
	}
	if (f->vec == VEC_NMI) {
		kstate.nmi++;		/* e.g. QMP inject-nmi; idle mode reports it */
		return;
	}
	report_exception(f);
}
