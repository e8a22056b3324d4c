/*
 * power.c: the ACPI power button, S5 poweroff, reset (i8042, ACPI reset register, triple
 * fault) and the final exit through isa-debug-exit.
 */
#include "tg.h"
#include "io.h"

#define PM1_PWRBTN	(1u << 8)	/* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */
#define PM1_SCI_EN	(1u << 0)
#define PM1_SLP_TYP	(7u << 10)
#define PM1_SLP_EN	(1u << 13)
#define I8042_STATUS	0x64
#define I8042_CMD	0x64
#define I8042_IBF	0x02
#define I8042_RESET	0xfe

/* PM1x_EN is the second half of the PM1x event block (ACPI 4.8.3.1). */
static uint16_t pm1_en_port(const struct acpi_info *ai, uint32_t evt)
{
	return (uint16_t)(evt + ai->pm1_evt_len / 2);
}

/*
 * Switches to ACPI mode when SCI_EN is clear (ACPI_ENABLE to SMI_CMD, waiting up to 300 ms
 * as the spec allows), then clears a stale PWRBTN_STS and sets PWRBTN_EN: QEMU's PIIX4 and
 * ICH9 only latch a press while PWRBTN_EN is set.
 */
void power_button_enable(struct tg *g)
{
	const struct acpi_info *ai = &g->acpi;

	if (!(inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN) && ai->smi_cmd && ai->acpi_enable) {
		struct deadline d;

		outb((uint16_t)ai->smi_cmd, ai->acpi_enable);
		deadline_start(&d, g, 300);
		while (!(inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN) && !deadline_passed(&d))
			delay_ms(g, 1);
		gprintf("# acpi: ACPI mode %s (SMI_CMD 0x%x <- 0x%02x)\n",
			inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN ? "enabled" : "NOT enabled",
			ai->smi_cmd, ai->acpi_enable);
	}
	outw((uint16_t)ai->pm1a_evt, PM1_PWRBTN);
	outw(pm1_en_port(ai, ai->pm1a_evt), inw(pm1_en_port(ai, ai->pm1a_evt)) | PM1_PWRBTN);
	if (ai->pm1b_evt) {
		outw((uint16_t)ai->pm1b_evt, PM1_PWRBTN);
		outw(pm1_en_port(ai, ai->pm1b_evt),
		     inw(pm1_en_port(ai, ai->pm1b_evt)) | PM1_PWRBTN);
	}
}

/* Returns true (and acknowledges it) when PWRBTN_STS is set in PM1a or PM1b. */
bool power_button_pressed(struct tg *g)
{
	const struct acpi_info *ai = &g->acpi;
	uint16_t sts = inw((uint16_t)ai->pm1a_evt);

	if (ai->pm1b_evt)
		sts |= inw((uint16_t)ai->pm1b_evt);
	if (!(sts & PM1_PWRBTN))
		return false;
	outw((uint16_t)ai->pm1a_evt, PM1_PWRBTN);	/* write-1-to-clear */
	if (ai->pm1b_evt)
		outw((uint16_t)ai->pm1b_evt, PM1_PWRBTN);
	return true;
}

/* Writes SLP_TYP, then SLP_TYP | SLP_EN, to PM1a_CNT (and PM1b_CNT), as ACPICA does. */
static void s5_enter(const struct acpi_info *ai)
{
	uint16_t a = (uint16_t)(inw((uint16_t)ai->pm1a_cnt) & ~(PM1_SLP_TYP | PM1_SLP_EN));
	uint16_t b = 0;

	a |= (uint16_t)(ai->slp_typa << 10);
	if (ai->pm1b_cnt) {
		b = (uint16_t)(inw((uint16_t)ai->pm1b_cnt) & ~(PM1_SLP_TYP | PM1_SLP_EN));
		b |= (uint16_t)(ai->slp_typb << 10);
		outw((uint16_t)ai->pm1b_cnt, b);
	}
	outw((uint16_t)ai->pm1a_cnt, a);
	if (ai->pm1b_cnt)
		outw((uint16_t)ai->pm1b_cnt, (uint16_t)(b | PM1_SLP_EN));
	outw((uint16_t)ai->pm1a_cnt, (uint16_t)(a | PM1_SLP_EN));
}

/* ACPI S5; when the machine is still running 2 s later, leaves with EXIT_FAIL. */
void poweroff(struct tg *g)
{
	if (g->acpi_ok) {
		s5_enter(&g->acpi);
		delay_ms(g, 2000);
		gprintf("# poweroff: still running 2 s after SLP_EN (PM1a_CNT 0x%x, SLP_TYP %u)\n",
			g->acpi.pm1a_cnt, g->acpi.slp_typa);
	} else {
		gprintf("# poweroff: no usable ACPI tables\n");
	}
	debug_exit(EXIT_FAIL);
}

/* Pulses reset through the i8042, then the FADT reset register, then a triple fault. */
void machine_reset(struct tg *g)
{
	const struct acpi_info *ai = &g->acpi;
	struct deadline d;

	deadline_start(&d, g, 100);
	while ((inb(I8042_STATUS) & I8042_IBF) && !deadline_passed(&d))
		cpu_pause();
	outb(I8042_CMD, I8042_RESET);
	delay_ms(g, 1000);
	if (g->acpi_ok && ai->reset_reg_ok) {
		gprintf("# reset: i8042 did nothing; ACPI reset register\n");
		if (ai->reset_space == 1)
			outb((uint16_t)ai->reset_addr, ai->reset_value);
		else if (ai->reset_addr >= 0x1000 && ai->reset_addr < (4ull << 30))
			*(volatile uint8_t *)(uintptr_t)ai->reset_addr = ai->reset_value;
		delay_ms(g, 1000);
	}
	gprintf("# reset: still running; triple fault\n");
	syscall1(SYS_TRIPLE_FAULT, 0);
	debug_exit(EXIT_FAIL);
}

/*
 * Leaves through isa-debug-exit with code; without that device, powers off through S5 so
 * the VMM still sees the guest end, and halts if even that does nothing.
 */
void finish(struct tg *g, uint8_t code)
{
	outb(DEBUG_EXIT_PORT, code);
	delay_ms(g, 100);
	gprintf("# no isa-debug-exit at 0x%x: %s\n", DEBUG_EXIT_PORT,
		g->acpi_ok ? "powering off through ACPI S5" : "halting");
	if (g->acpi_ok) {
		s5_enter(&g->acpi);
		delay_ms(g, 2000);
	}
	syscall1(SYS_HALT, 0);
	for (;;)
		;
}
