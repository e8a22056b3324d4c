/*
 * entry.S: PVH entry of the Vireo test guest.
 *
 * The VMM (QEMU's pvh.bin option ROM or vireo-vmm) enters pvh_entry in 32-bit protected
 * mode, paging off, flat CS/DS/SS, interrupts off, %ebx = guest-physical address of a
 * struct hvm_start_info (Xen public/arch-x86/hvm/start_info.h). No stack is given.
 *
 * Everything here runs at CPL0, which PVM emulates one instruction at a time (about
 * 1.4 M instructions/s, architecture.md section 8): the page tables, the GDT and the TSS
 * are built by the assembler, not by loops at run time.
 */

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	0x1b	/* 0x18 | RPL 3 */
#define SEL_UCODE	0x23	/* 0x20 | RPL 3 */

/* Page table entry bits: present, writable, user, page size (2 MiB), cache disable. */
#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_U		0x004
#define PTE_PWT		0x008
#define PTE_PCD		0x010
#define PTE_PS		0x080
#define PTE_TABLE	(PTE_P + PTE_W + PTE_U)
#define PTE_2M		(PTE_P + PTE_W + PTE_U + PTE_PS)

/* ---- Xen ELF note 18 (XEN_ELFNOTE_PHYS32_ENTRY): the 32-bit entry point ---------------- */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4			/* namesz: "Xen\0" */
	.long 8			/* descsz */
	.long 18		/* type: XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_entry		/* QEMU reads a size_t for ELF64; Xen reads 32 bits */

/* ---- 32-bit entry --------------------------------------------------------------------- */
	.section .text.boot, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	cld
	/* %ebx (start_info) is kept untouched until kmain. */
	lgdt	gdt_ptr
	movl	%cr4, %eax
	orl	$0x20, %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax			/* EFER.LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* CR0.PG | CR0.WP | CR0.PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $long_entry

	.code64
long_entry:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$kstack_top, %rsp
	/* Zero .bss (small: stacks live in .stack and are not cleared). */
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq
	movl	%ebx, %edi			/* upper halves undefined after the switch */
	call	kmain
1:	cli
	hlt
	jmp	1b

/*
 * enter_user(entry %rdi, stack %rsi, arg %rdx): iretq to CPL3 with IF=1. Does not return.
 */
	.text
	.globl enter_user
enter_user:
	pushq	$SEL_UDATA
	pushq	%rsi
	pushq	$0x202				/* RFLAGS: IF, reserved bit 1; IOPL 0 */
	pushq	$SEL_UCODE
	pushq	%rdi
	movq	%rdx, %rdi
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%ebp, %ebp
	iretq

/*
 * syscall1(nr %rdi, arg %rsi): the CPL3 -> CPL0 gate. It is the int3 just below (vector 3,
 * DPL 3). PVM's own ABI allows only int3, int 4 and int 0x80 from user mode, and on the
 * build hosts "int n" from CPL3 of this (not PVM-aware) guest raised #UD for n = 0x80,
 * 0x30 and 0xf0, while int3 arrives through the guest's IDT as #BP: int3 works everywhere.
 * trap() treats a #BP from CPL3 whose return address is syscall_gate_ret as a service call
 * (number in %rax, argument in %rdi, result in %rax) and any other #BP as a crash.
 */
	.globl syscall1
syscall1:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	int3
	.globl syscall_gate_ret
syscall_gate_ret:
	ret

/* ---- interrupt and exception stubs ------------------------------------------------------ */
/*
 * Every stub pushes an error code (0 where the CPU pushes none) and the vector, then
 * trap_common saves the general registers as a struct trap_frame (kernel.c) and calls
 * trap(). 5 CPU words + 2 + 15 registers = 22 words: %rsp stays 16-byte aligned.
 */
.macro STUB vec, has_err
	.text
trap_stub_\vec:
	.if \has_err == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
	.section .rodata.trap_table, "a"
	.quad	\vec, trap_stub_\vec
.endm

	.section .rodata.trap_table, "a"
	.balign 8
	.globl trap_table
trap_table:
	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0
	STUB 32, 0
	STUB 33, 0
	STUB 34, 0
	STUB 35, 0
	STUB 36, 0
	STUB 37, 0
	STUB 38, 0
	STUB 39, 0
	STUB 40, 0
	STUB 41, 0
	STUB 42, 0
	STUB 43, 0
	STUB 44, 0
	STUB 45, 0
	STUB 46, 0
	STUB 47, 0
	STUB 255, 0
	.section .rodata.trap_table, "a"
	.globl trap_table_end
trap_table_end:

	.text
trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/* ---- GDT -------------------------------------------------------------------------------- */
	.data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cff2000000ffff	/* 0x18 user data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x20 user code, 64-bit, DPL 3 */
	.quad 0, 0			/* 0x28 64-bit TSS, filled in by kmain */
gdt_end:
	.balign 8
	.word 0, 0, 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

/* ---- page tables: identity map of 0-4 GiB, user accessible ------------------------------ */
/*
 * 2 MiB pages throughout. Page 0 stays mapped: firmware puts start_info pieces in it
 * (SeaBIOS's pvh.bin places the memory map at 0x5a8). The top GiB (PCI hole, IOAPIC,
 * LAPIC) is uncached.
 */
	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4				/* the APs load it too (smp_entry.S) */
pml4:
	.quad pdpt + PTE_TABLE
	.fill 511, 8, 0
pdpt:
	.quad pd0 + PTE_TABLE
	.quad pd1 + PTE_TABLE
	.quad pd2 + PTE_TABLE
	.quad pd3 + PTE_TABLE
	.fill 508, 8, 0
	.set i, 0
pd0:
	.rept 512
	.quad (i << 21) + PTE_2M
	.set i, i + 1
	.endr
pd1:
	.rept 512
	.quad (i << 21) + PTE_2M
	.set i, i + 1
	.endr
pd2:
	.rept 512
	.quad (i << 21) + PTE_2M
	.set i, i + 1
	.endr
pd3:
	.rept 512
	.quad (i << 21) + PTE_2M + PTE_PCD + PTE_PWT
	.set i, i + 1
	.endr

/* ---- stacks (not zeroed, not in the file) ------------------------------------------------ */
	.section .stack, "aw", @nobits
	.balign 4096
	.space 16384
	.globl kstack_top
kstack_top:
	.space 4096
	.globl ist1_top
ist1_top:
	.space 65536
	.globl ustack_top
ustack_top:

	.section .note.GNU-stack, "", @progbits
