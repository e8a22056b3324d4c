/*
 * smp_entry.S: the application processors' way from the SIPI to CPL3 (smp.c drives it).
 *
 * smp_tramp is copied by the BSP (at CPL3) to SMP_TRAMP_PA, a page below 1 MiB; the SIPI
 * vector is that page. The AP starts there in real mode with CS = page >> 4, IP = 0,
 * loads the trampoline's own GDT (a 32-bit code segment, which the main GDT lacks),
 * enters protected mode and jumps to ap_entry32 in the image. From there it follows
 * pvh_entry (entry.S): its own GDT (a copy of the main one with its own TSS), PAE, the
 * BSP's page tables, EFER.LME, paging, a far jump to 64-bit code. ap_entry64 loads its TSS
 * and the shared IDT, enables its local APIC and drops to CPL3 through enter_user.
 *
 * Everything here runs at CPL0, which PVM emulates one instruction at a time: smp.c
 * prepares every table and value at CPL3 and this code only loads them. The BSP starts
 * one AP at a time, so one parameter block (smp_boot) serves them all.
 */

#include "smp.h"

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_TSS		0x28
#define TRAMP_CS32	0x08
#define TRAMP_DS32	0x10

	.section .rodata.smp_tramp, "a"
	.code16
	.globl smp_tramp, smp_tramp_end
smp_tramp:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdtr - smp_tramp		/* %ds-relative */
	movl	%cr0, %eax
	orl	$1, %eax			/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$TRAMP_CS32, $ap_entry32	/* the image is below 4 GiB */
	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08 flat 32-bit code */
	.quad 0x00cf92000000ffff		/* 0x10 flat data */
tramp_gdt_end:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long SMP_TRAMP_PA + tramp_gdt - smp_tramp	/* where the copy's GDT is */
smp_tramp_end:

	.text
	.code32
ap_entry32:
	movl	$TRAMP_DS32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	lgdt	smp_boot + 0			/* this AP's GDT (smp_boot.gdtr) */
	movl	%cr4, %eax
	orl	$0x20, %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax			/* the BSP's identity map (entry.S) */
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax			/* EFER.LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* CR0.PG | CR0.WP | CR0.PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $ap_entry64

	.code64
ap_entry64:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	smp_boot + 16, %rsp		/* smp_boot.kstack */
	movl	$SEL_TSS, %eax
	ltr	%ax
	lidt	smp_boot + 48			/* smp_boot.idtr */
	movq	smp_boot + 40, %rax		/* smp_boot.svr_addr: 0 = no local APIC */
	testq	%rax, %rax
	jz	1f
	movl	$0x1ff, (%rax)			/* SVR: APIC enabled, spurious vector 0xff */
1:	movq	smp_boot + 64, %rdi		/* enter_user(ap_user_entry, ustack, cpu) */
	movq	smp_boot + 24, %rsi
	movq	smp_boot + 32, %rdx
	jmp	enter_user

/* ---- the APs' stacks (not zeroed, not in the file) -------------------------------------- */
	.section .stack, "aw", @nobits
	.balign 4096
	.globl smp_ap_stacks, smp_ap_stacks_end
smp_ap_stacks:
	.space (SMP_MAX_CPUS - 1) * (SMP_KSTACK + SMP_ISTACK + SMP_USTACK)
smp_ap_stacks_end:

	.section .note.GNU-stack, "", @progbits
