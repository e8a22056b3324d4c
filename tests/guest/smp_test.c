/*
 * smp_test.c: the "smp" mode (README.md "smp"): start every AP, have each report in at
 * CPL3 (APIC id, CS, a port read, the syscall gate) and count itself in a shared counter.
 */
#include "smp.h"
#include "io.h"

#define AP_DONE_MS	1000

struct smp_report {
	volatile uint32_t counter;	/* each AP adds 1 */
	struct {
		volatile uint32_t seen;	/* its order of arrival + 1 */
		uint32_t apic_id;	/* its local APIC's ID register */
		uint16_t cs;
		uint8_t lsr;		/* COM1 LSR: port I/O through its TSS bitmap */
		bool ping_ok;		/* int3 syscall gate on its own kernel stack */
	} cpu[SMP_MAX_CPUS];
};

static struct smp_report report;
static unsigned started;
static uint64_t start_ms;
static char start_why[192];	/* why smp_start() stopped */
static bool crash_ap;		/* "smp-crash" */
static volatile bool crash_now;	/* set once the BSP has stopped printing */

static void ap_report(unsigned cpu, void *arg)
{
	struct smp_report *r = arg;

	r->cpu[cpu].apic_id = smp_apic_id();
	r->cpu[cpu].cs = read_cs();
	r->cpu[cpu].lsr = inb(COM1_PORT + 5);
	r->cpu[cpu].ping_ok = syscall1(SYS_PING, cpu) == (cpu ^ SYS_PING_MAGIC);
	r->cpu[cpu].seen = __atomic_add_fetch(&r->counter, 1, __ATOMIC_ACQ_REL);
	if (crash_ap && cpu == 1) {
		while (!crash_now)
			cpu_pause();
		__asm__ volatile("ud2");	/* the exception report ends the run: status 5 */
	}
}

static bool test_found(struct tg *g, char *why, size_t n)
{
	uint64_t t0 = rdtsc();

	(void)why;
	(void)n;
	started = smp_start(g, ap_report, &report, start_why, sizeof(start_why));
	start_ms = (rdtsc() - t0) / tsc_khz_or_guess(g);
	return true;		/* the CPUs are listed in a comment; starting is check 2 */
}

static bool test_started(struct tg *g, char *why, size_t n)
{
	unsigned aps = smp_cpu_count() - 1;

	for (unsigned i = 1; i < smp_cpu_count(); i++) {
		const struct smp_cpu *c = smp_cpu(i);

		if (c->state != SMP_ABSENT && c->state != SMP_STARTING)
			gprintf("# smp cpu %u: apic %u at CPL3 %lu us after the SIPI (%u SIPI%s)\n",
				i, c->apic_id, c->start_us, c->sipis, c->sipis > 1 ? "s" : "");
	}
	gprintf("# smp: %u of %u APs started in %lu ms\n", started, aps, start_ms);
	if (!aps) {
		g->skip = true;
		gsnprintf(why, n, "one CPU only");
		return true;
	}
	if (started != aps) {
		gsnprintf(why, n, "%u of %u APs started: %s", started, aps, start_why);
		return false;
	}
	return true;
}

static bool test_counted(struct tg *g, char *why, size_t n)
{
	unsigned aps = smp_cpu_count() - 1;
	bool done;

	crash_now = true;	/* the serial is quiet now: no interleaved report */
	done = smp_wait_done(g, AP_DONE_MS);

	if (!aps) {
		g->skip = true;
		gsnprintf(why, n, "one CPU only");
		return true;
	}
	if (!started) {
		gsnprintf(why, n, "no AP started");
		return false;
	}
	for (unsigned i = 1; i <= started; i++) {
		const struct smp_cpu *c = smp_cpu(i);

		gprintf("# smp cpu %u: apic %u reported %u (arrival %u), cs 0x%x, lsr 0x%02x, "
			"syscall gate %s\n", i, c->apic_id, report.cpu[i].apic_id,
			report.cpu[i].seen, report.cpu[i].cs, report.cpu[i].lsr,
			report.cpu[i].ping_ok ? "ok" : "failed");
		if (!report.cpu[i].seen) {
			gsnprintf(why, n, "cpu %u did not count itself in", i);
			return false;
		}
		if (report.cpu[i].apic_id != c->apic_id) {
			gsnprintf(why, n, "cpu %u reports apic %u, the MADT says %u", i,
				  report.cpu[i].apic_id, c->apic_id);
			return false;
		}
		if ((report.cpu[i].cs & 3) != 3 || !report.cpu[i].ping_ok ||
		    report.cpu[i].lsr == 0xff) {
			gsnprintf(why, n, "cpu %u: cs 0x%x, syscall gate %s, lsr 0x%02x", i,
				  report.cpu[i].cs, report.cpu[i].ping_ok ? "ok" : "failed",
				  report.cpu[i].lsr);
			return false;
		}
	}
	if (report.counter != started || !done) {
		gsnprintf(why, n, "counter %u for %u APs%s", report.counter, started,
			  done ? "" : ", not all returned");
		return false;
	}
	return true;
}

static const struct test smp_plan[] = {
	{ "smp: CPUs listed (MADT, or CPUID without one), APs started", test_found },
	{ "smp: every AP reaches CPL3 through INIT-SIPI-SIPI", test_started },
	{ "smp: every AP counts itself in and reports its APIC id at CPL3", test_counted },
};

unsigned smp_tests(struct tg *g, bool ap_crash)
{
	char why[192] = "";

	crash_ap = ap_crash;
	if (!test_timer(g, why, sizeof(why), true))
		gprintf("# smp: TSC not calibrated (%s), guessing\n", why);
	if (!acpi_probe(g, why, sizeof(why), false))
		gprintf("# smp: acpi: %s\n", why);
	return tap_run(g, smp_plan, sizeof(smp_plan) / sizeof(smp_plan[0]));
}
