/*
 * timer.c: TSC calibration against the 8254 PIT, bounded waits, and the PIT IRQ0 test.
 * Runs at CPL3: port I/O goes through the TSS I/O bitmap (about 27 us per access on PVM).
 */
#include "tg.h"
#include "io.h"

#define PIT_HZ		1193182u
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_61		0x61	/* bit 0: ch2 gate, bit 1: speaker data, bit 5: ch2 OUT */
#define PIC1_DATA	0x21

/* Used for timeouts until the TSC is calibrated: too high only makes waits longer. */
#define TSC_GUESS_KHZ	3000000u
/*
 * Loop iterations per millisecond a deadline allows before it stops trusting the TSC: a
 * pause + rdtsc loop does at most ~100k per ms on any host, so this only ends a wait on a
 * TSC that does not advance.
 */
#define ITERS_PER_MS	200000u

#define CAL_MS		50
#define IRQ_TEST_HZ	100
#define IRQ_TEST_TICKS	5

/* Returns the calibrated TSC frequency in kHz, or a guess before calibration. */
uint64_t tsc_khz_or_guess(const struct tg *g)
{
	return g->tsc_khz ? g->tsc_khz : TSC_GUESS_KHZ;
}

void deadline_start(struct deadline *d, const struct tg *g, uint64_t ms)
{
	d->start = rdtsc();
	d->ticks = ms * tsc_khz_or_guess(g);
	d->iters = 0;
	d->max_iters = ms * ITERS_PER_MS + 1000;
}

/* Returns true once the deadline's time (or its iteration budget) is used up. */
bool deadline_passed(struct deadline *d)
{
	if (++d->iters > d->max_iters)
		return true;
	return rdtsc() - d->start >= d->ticks;
}

void delay_ms(const struct tg *g, uint64_t ms)
{
	struct deadline d;

	deadline_start(&d, g, ms);
	while (!deadline_passed(&d))
		cpu_pause();
}

/* Returns channel 2's current count (latched, so both bytes belong together). */
static uint16_t pit_ch2_count(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x80);		/* counter latch, channel 2 */
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (uint16_t)(lo | hi << 8);
}

/*
 * Calibrates the TSC over CAL_MS of PIT channel 2 in mode 0 (as Linux's pit_calibrate_tsc
 * does) and checks that the counter counts down. Sets g->tsc_khz on success.
 */
bool test_timer(struct tg *g, char *why, size_t n, bool quiet)
{
	const uint16_t latch = PIT_HZ * CAL_MS / 1000;
	struct deadline d;
	uint16_t c1, c2;
	uint64_t t0, t1, khz;
	uint8_t p61 = inb(PORT_61);
	bool out_high = false;

	if (p61 == 0xff) {
		gsnprintf(why, n, "port 0x61 reads 0xff: no PIT channel 2 gate");
		return false;
	}
	outb(PORT_61, (uint8_t)((p61 & ~0x02) | 0x01));	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);			/* channel 2, lo/hi byte, mode 0, binary */
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, latch >> 8);
	t0 = rdtsc();

	c1 = pit_ch2_count();
	c2 = c1;
	for (unsigned i = 0; i < 100 && c2 == c1; i++)
		c2 = pit_ch2_count();

	deadline_start(&d, g, 20 * CAL_MS);
	while (!deadline_passed(&d)) {
		if (inb(PORT_61) & 0x20) {
			out_high = true;
			break;
		}
	}
	t1 = rdtsc();
	outb(PORT_61, (uint8_t)(p61 & ~0x03));

	if (!out_high) {
		gsnprintf(why, n, "channel 2 OUT never went high (port 0x61 = 0x%02x)",
			  inb(PORT_61));
		return false;
	}
	if (!(c2 < c1 && c1 <= latch)) {
		gsnprintf(why, n, "channel 2 does not count down: %u then %u (start %u)", c1,
			  c2, latch);
		return false;
	}
	if (t1 <= t0) {
		gsnprintf(why, n, "TSC did not advance: 0x%lx -> 0x%lx", t0, t1);
		return false;
	}
	khz = (t1 - t0) * PIT_HZ / ((uint64_t)latch * 1000);
	if (!quiet)
		gprintf("# tsc %lu.%03lu MHz (pit channel 2 over %u ms; counter %u -> %u)\n",
			khz / 1000, khz % 1000, CAL_MS, c1, c2);
	if (khz < 50000 || khz > 20000000) {
		gsnprintf(why, n, "implausible TSC frequency %lu kHz", khz);
		return false;
	}
	g->tsc_khz = khz;
	return true;
}

static void pit_ch0_periodic(unsigned hz)
{
	uint16_t latch = (uint16_t)(PIT_HZ / hz);

	outb(PIT_CMD, 0x34);		/* channel 0, lo/hi byte, mode 2 (rate generator) */
	outb(PIT_CH0, latch & 0xff);
	outb(PIT_CH0, latch >> 8);
}

static void pit_ch0_stop(void)
{
	outb(PIC1_DATA, inb(PIC1_DATA) | 0x01);
	outb(PIT_CMD, 0x30);		/* mode 0, no count written: OUT stays low */
}

/* Waits (bounded by ms) until IRQ0 has fired count more times; returns the number seen. */
static uint64_t wait_ticks(const struct tg *g, uint64_t count, uint64_t ms)
{
	uint64_t before = kstate.irq_count[0];
	struct deadline d;

	deadline_start(&d, g, ms);
	while (kstate.irq_count[0] - before < count && !deadline_passed(&d))
		cpu_pause();
	return kstate.irq_count[0] - before;
}

/*
 * Checks that PIT IRQ0 reaches the CPU through the 8259 while CPL3 code runs, and that
 * hlt (through the syscall gate) wakes on it.
 */
bool test_irq(struct tg *g, char *why, size_t n)
{
	uint64_t got, t0, t1, t2, khz = tsc_khz_or_guess(g), c, ticks_ms;

	pit_ch0_periodic(IRQ_TEST_HZ);
	outb(PIC1_DATA, inb(PIC1_DATA) & ~0x01);
	t0 = rdtsc();
	got = wait_ticks(g, IRQ_TEST_TICKS, 500);
	t1 = rdtsc();
	if (got < IRQ_TEST_TICKS) {
		uint8_t mask = inb(PIC1_DATA);

		pit_ch0_stop();
		gsnprintf(why, n, "%lu of %u IRQ0 in 500 ms (PIC mask 0x%02x, spurious %lu)", got,
			  IRQ_TEST_TICKS, mask, kstate.spurious);
		return false;
	}
	ticks_ms = (t1 - t0) / khz;
	c = kstate.irq_count[0];
	t1 = rdtsc();
	syscall1(SYS_WAIT_IRQ, 0);	/* bounded: IRQ0 is known to arrive every 10 ms */
	t2 = rdtsc();
	pit_ch0_stop();
	gprintf("# irq0: %u ticks in %lu ms at %u Hz; hlt woke after %lu us\n", IRQ_TEST_TICKS,
		ticks_ms, IRQ_TEST_HZ, (t2 - t1) * 1000 / khz);
	if (kstate.irq_count[0] == c) {
		gsnprintf(why, n, "hlt returned without an IRQ0");
		return false;
	}
	return true;
}

/*
 * Starts IRQ0 at hz for SYS_WAIT_IRQ-based idling. Returns false (IRQ0 masked again) when
 * no tick arrives within 300 ms, so callers never hlt without a wake-up source.
 */
bool ticks_start(struct tg *g, unsigned hz)
{
	pit_ch0_periodic(hz);
	outb(PIC1_DATA, inb(PIC1_DATA) & ~0x01);
	if (wait_ticks(g, 2, 300) >= 2)
		return true;
	pit_ch0_stop();
	return false;
}
