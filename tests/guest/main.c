/*
 * main.c: the CPL3 program: reads start_info and the command line, then runs the TAP
 * self-tests ("test", the default) or waits for the ACPI power button ("idle").
 * See README.md for the command line and the output.
 */
#include "tg.h"
#include "io.h"
#include "smp.h"

#define CMDLINE_MAX	256
#define MEMMAP_MAX	64
#define IDLE_HZ		50
#define IDLE_POLL_MS	20
/* CMOS NVRAM byte that survives a reset and tells the second boot of "reset" to go on. */
#define CMOS_REBOOT_FLAG	0x7e
#define REBOOT_MAGIC		0xb5

struct options {
	bool idle;
	bool reset;
	int crash;			/* 3: ud2 at CPL3, 0: ud2 at CPL0 (via the gate), -1: no */
	uint64_t shutdown_after;	/* seconds; 0: never */
	bool hostile;			/* virtio-blk: post malformed chains */
	bool console_echo;		/* virtio-console: echo one received line */
	bool blkbench;			/* virtio-blk benchmark instead of the self-tests */
	bool boot_only;			/* exit through isa-debug-exit right after boot */
	bool touch_ram;			/* idle: touch the balloon's page pool first */
	bool report_free;		/* idle: report the free pool (free page reporting) */
	bool net;			/* the virtio-net checks instead of the self-tests */
	bool hostile_net;		/* net: post malformed tx chains */
	bool netbench;			/* virtio-net benchmark instead of the self-tests */
	bool slirp;			/* the user-mode network checks instead of the self-tests */
	bool udp_echo;			/* slirp: serve UDP echo on port 7 */
	bool net_peer;			/* two guests on one segment: frames from the other */
	bool smp;			/* start the APs (smp_test.c) instead of the self-tests */
	bool smp_crash;			/* smp: the first AP executes ud2 at CPL3 */
};

/* virtio.c: the virtio-blk benchmark ("blkbench") */
bool blk_bench(struct tg *g, char *why, size_t n);

static bool test_serial(struct tg *g, char *why, size_t n)
{
	uint8_t lsr = inb(COM1_PORT + 5);
	struct deadline d;

	if (lsr == 0xff) {
		gsnprintf(why, n, "LSR reads 0xff: no UART at 0x%x", COM1_PORT);
		return false;
	}
	deadline_start(&d, g, 100);
	while (!(lsr & 0x20) && !deadline_passed(&d))
		lsr = inb(COM1_PORT + 5);
	if (!(lsr & 0x20)) {
		gsnprintf(why, n, "LSR 0x%02x: THR never empty within 100 ms", lsr);
		return false;
	}
	gprintf("# serial: LSR 0x%02x\n", lsr);
	return true;
}

static bool test_timer_verbose(struct tg *g, char *why, size_t n)
{
	return test_timer(g, why, n, false);
}

/*
 * Checks that the tests run at CPL3 with IOPL 0 (port access comes from the TSS I/O
 * bitmap) and that the int3 syscall gate to CPL0 answers.
 */
static bool test_cpl3(struct tg *g, char *why, size_t n)
{
	uint64_t rflags, ping;
	uint16_t cs = read_cs();

	(void)g;
	__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
	if ((cs & 3) != 3 || ((rflags >> 12) & 3) != 0) {
		gsnprintf(why, n, "cs 0x%x rflags 0x%lx", cs, rflags);
		return false;
	}
	ping = syscall1(SYS_PING, 42);
	if (ping != (42 ^ SYS_PING_MAGIC)) {
		gsnprintf(why, n, "syscall gate SYS_PING returned 0x%lx", ping);
		return false;
	}
	return true;
}

static const struct test tests[] = {
	{ "serial: 16550 LSR reports THR empty", test_serial },
	{ "pci: host bridge class 06/00 at 00:00.0", test_pci },
	{ "timer: PIT channel 2 counts down against the TSC", test_timer_verbose },
	{ "rtc: CMOS clock readable", test_rtc },
	{ "acpi: RSDP, root table, FADT, DSDT checksums and _S5_", test_acpi },
	{ "irq: PIT IRQ0 through the 8259 at CPL3, hlt wakes", test_irq },
	{ "cpu: tests run at CPL3 with IOPL 0, syscall gate answers", test_cpl3 },
	{ "virtio-blk: modern device initialised (VERSION_1, FEATURES_OK, DRIVER_OK)",
	  test_vblk_init },
	{ "virtio-blk: sectors 0-7 hold the host pattern", test_vblk_read },
	{ "virtio-blk: write sector 8, flush, read it back", test_vblk_write },
	{ "virtio-blk: GET_ID returns a serial", test_vblk_id },
	{ "virtio-blk: discard sectors 16-31", test_vblk_discard },
	{ "virtio-blk: read past capacity returns IOERR", test_vblk_past_end },
	{ "virtio-blk: write to a read-only disk returns IOERR", test_vblk_ro },
	{ "virtio-blk: malformed ring sets NEEDS_RESET", test_vblk_hostile },
	{ "virtio-blk: reset after NEEDS_RESET, sector 0 reads again", test_vblk_reinit },
	{ "virtio-console: transmit vireo-console-hello", test_vcon_hello },
	{ "virtio-console: echo a line from the receiveq", test_vcon_echo },
	{ "virtio-rng: two 64-byte reads, non-zero and different", test_vrng },
};

/* Runs a TAP plan of `count` tests; returns how many failed. */
unsigned tap_run(struct tg *g, const struct test *plan, unsigned count)
{
	unsigned failed = 0;
	uint64_t t0 = rdtsc();

	gprintf("1..%u\n", count);
	for (unsigned i = 0; i < count; i++) {
		char why[192] = "";
		bool ok;

		g->skip = false;
		ok = plan[i].run(g, why, sizeof(why));
		if (g->skip) {
			gprintf("ok %u - %s # SKIP %s\n", i + 1, plan[i].name, why);
		} else if (ok) {
			gprintf("ok %u - %s\n", i + 1, plan[i].name);
		} else {
			gprintf("not ok %u - %s # %s\n", i + 1, plan[i].name, why);
			failed++;
		}
	}
	gprintf("# %u of %u failed; tests took %lu ms\n", failed, count,
		(rdtsc() - t0) / tsc_khz_or_guess(g));
	return failed;
}

static __attribute__((noreturn)) void run_tests(struct tg *g)
{
	unsigned failed = tap_run(g, tests, sizeof(tests) / sizeof(tests[0]));

	finish(g, failed ? EXIT_FAIL : EXIT_PASS);
}

/* Copies the command line from start_info into buf (empty when there is none). */
static void read_cmdline(const struct tg *g, char *buf, size_t n)
{
	uint64_t pa = g->si ? g->si->cmdline_paddr : 0;
	size_t i = 0;

	if (pa && pa + n < (4ull << 30)) {
		const char *s = (const char *)(uintptr_t)pa;

		for (; i + 1 < n && s[i]; i++)
			buf[i] = s[i];
	}
	buf[i] = '\0';
}

static void parse_cmdline(char *s, struct options *o)
{
	while (*s) {
		char *tok;
		uint64_t v;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		tok = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if (*s)
			*s++ = '\0';
		if (strcmp(tok, "test") == 0)
			o->idle = false;
		else if (strcmp(tok, "idle") == 0)
			o->idle = true;
		else if (strcmp(tok, "reset") == 0)
			o->reset = true;
		else if (strcmp(tok, "hostile") == 0)
			o->hostile = true;
		else if (strcmp(tok, "console-echo") == 0)
			o->console_echo = true;
		else if (strcmp(tok, "blkbench") == 0)
			o->blkbench = true;
		else if (strcmp(tok, "net") == 0)
			o->net = true;
		else if (strcmp(tok, "hostile-net") == 0)
			o->hostile_net = true;
		else if (strcmp(tok, "netbench") == 0)
			o->netbench = true;
		else if (strcmp(tok, "slirp") == 0)
			o->slirp = true;
		else if (strcmp(tok, "udp-echo") == 0)
			o->udp_echo = true;
		else if (strcmp(tok, "net-peer") == 0)
			o->net_peer = true;
		else if (strcmp(tok, "smp") == 0)
			o->smp = true;
		else if (strcmp(tok, "smp-crash") == 0)
			o->smp = o->smp_crash = true;
		else if (strcmp(tok, "boot") == 0)
			o->boot_only = true;
		else if (strcmp(tok, "touch-ram") == 0)
			o->touch_ram = true;
		else if (strcmp(tok, "report-free") == 0)
			o->report_free = true;
		else if (strcmp(tok, "crash") == 0)
			o->crash = 3;
		else if (strcmp(tok, "crash-kernel") == 0)
			o->crash = 0;
		else if (strncmp(tok, "shutdown-after=", 15) == 0 && parse_u64(tok + 15, &v) &&
			 v <= 86400)
			o->shutdown_after = v;
		else
			gprintf("# cmdline: ignoring '%s'\n", tok);
	}
}

static void print_start_info(const struct tg *g, uint64_t pa)
{
	const struct hvm_start_info *si = g->si;

	if (!si) {
		gprintf("# start_info: %%ebx 0x%lx does not point at one (magic)\n", pa);
		return;
	}
	gprintf("# start_info 0x%lx: version %u flags 0x%x cmdline 0x%lx rsdp 0x%lx\n", pa,
		si->version, si->flags, si->cmdline_paddr, si->rsdp_paddr);
	if (si->version < 1 || !si->memmap_paddr || si->memmap_paddr >= (4ull << 30))
		return;
	const struct hvm_memmap_table_entry *e =
		(const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && i < MEMMAP_MAX; i++)
		gprintf("# memmap 0x%010lx size 0x%010lx type %u\n", e[i].addr, e[i].size,
			e[i].type);
}

/*
 * "reset": the first boot sets a CMOS flag and resets; the boot after clears it and goes
 * on. When the flag does not stick (no CMOS NVRAM) the guest goes on without resetting,
 * so it can never loop.
 */
static void reboot_once(struct tg *g)
{
	char why[160];

	if (cmos_read(CMOS_REBOOT_FLAG) == REBOOT_MAGIC) {
		cmos_write(CMOS_REBOOT_FLAG, 0);
		gprintf("# reset: second boot, going on\n");
		return;
	}
	cmos_write(CMOS_REBOOT_FLAG, REBOOT_MAGIC);
	if (cmos_read(CMOS_REBOOT_FLAG) != REBOOT_MAGIC) {
		gprintf("# reset: CMOS byte 0x%x does not keep a value; not resetting\n",
			CMOS_REBOOT_FLAG);
		return;
	}
	acpi_probe(g, why, sizeof(why), false);	/* for the reset register fallback */
	gprintf("# reset: resetting once\n");
	machine_reset(g);
}

static __attribute__((noreturn)) void idle(struct tg *g, const struct options *o)
{
	char why[192] = "";
	struct deadline d;
	uint64_t nmi_seen = kstate.nmi;
	bool ticks;

	test_timer(g, why, sizeof(why), true);	/* calibrates the TSC for the waits */
	if (acpi_probe(g, why, sizeof(why), false))
		power_button_enable(g);
	else
		gprintf("# idle: no ACPI power button: %s\n", why);
	ticks = ticks_start(g, IDLE_HZ);
	gprintf("# idle: %s\n", ticks ? "hlt between 50 Hz PIT ticks" : "no PIT IRQ0: polling");
	balloon_start(g, o->touch_ram, o->report_free);
	deadline_start(&d, g, o->shutdown_after * 1000);
	gprintf("vireo-testguest ready\n");
	for (;;) {
		if (g->acpi_ok && power_button_pressed(g))
			break;
		if (kstate.nmi != nmi_seen) {
			nmi_seen = kstate.nmi;
			gprintf("# idle: NMI (%lu so far)\n", nmi_seen);
		}
		balloon_poll(g);
		if (o->shutdown_after && deadline_passed(&d)) {
			gprintf("# idle: shutdown-after=%lu elapsed\n", o->shutdown_after);
			break;
		}
		if (ticks)
			syscall1(SYS_WAIT_IRQ, 0);
		else
			delay_ms(g, IDLE_POLL_MS);
	}
	gprintf("vireo-testguest powering off\n");
	poweroff(g);
}

/*
 * "blkbench", "netbench": calibrate the TSC, run the benchmark (it prints "# NAME TEST
 * key=N" lines) and exit: status 1 when it ran, 3 when not.
 */
static __attribute__((noreturn)) void bench(struct tg *g, const char *name,
					    bool (*run)(struct tg *g, char *why, size_t n))
{
	char why[192] = "";

	if (!test_timer(g, why, sizeof(why), true))
		gprintf("# %s: TSC not calibrated (%s), guessing\n", name, why);
	why[0] = '\0';
	if (!run(g, why, sizeof(why))) {
		gprintf("# %s: failed: %s\n", name, why);
		finish(g, EXIT_FAIL);
	}
	gprintf("# %s: done\n", name);
	finish(g, EXIT_PASS);
}

/*
 * "net", "slirp", "net-peer": calibrate the TSC, run the plan (net_test.c, net_slirp.c,
 * net_peer.c), then exit (status 1 when every check passed, 3 when not), or with "idle"
 * too, go idle: a host test can then check that the worker still answers before it
 * presses the power button.
 */
static __attribute__((noreturn)) void net_mode(struct tg *g, const struct options *o)
{
	char why[192] = "";
	unsigned failed;

	if (!test_timer(g, why, sizeof(why), true))
		gprintf("# net: TSC not calibrated (%s), guessing\n", why);
	if (o->net_peer)
		failed = net_peer_tests(g);
	else if (o->slirp)
		failed = net_slirp_tests(g, o->udp_echo);
	else
		failed = net_tests(g, o->hostile_net);
	if (o->idle)
		idle(g, o);
	finish(g, failed ? EXIT_FAIL : EXIT_PASS);
}

void user_main(uint64_t start_info)
{
	struct tg g = { 0 };
	struct options o = { .crash = -1 };
	char cmdline[CMDLINE_MAX];

	gprintf("# boot\n");
	if (start_info && start_info < (4ull << 30) &&
	    ((const struct hvm_start_info *)(uintptr_t)start_info)->magic == HVM_START_MAGIC)
		g.si = (const struct hvm_start_info *)(uintptr_t)start_info;
	read_cmdline(&g, cmdline, sizeof(cmdline));
	gprintf("# vireo-testguest: cmdline '%s'\n", cmdline);
	print_start_info(&g, start_info);
	parse_cmdline(cmdline, &o);
	g.hostile = o.hostile;
	g.console_echo = o.console_echo;
	if (o.reset)
		reboot_once(&g);
	if (o.crash == 3) {
		gprintf("# crash: ud2 at CPL3\n");
		__asm__ volatile("ud2");
	} else if (o.crash == 0) {
		gprintf("# crash: ud2 at CPL0\n");
		syscall1(SYS_UD2, 0);
	}
	/*
	 * "boot": the machine is up and the guest runs at CPL3: say so and leave through
	 * isa-debug-exit at once. The start-latency benchmark measures exec -> this exit, the
	 * VMM's own start without the self-tests' fixed PIT waits.
	 */
	if (o.boot_only) {
		gprintf("# boot: done\n");
		finish(&g, EXIT_PASS);
	}
	if (o.smp)
		finish(&g, smp_tests(&g, o.smp_crash) ? EXIT_FAIL : EXIT_PASS);
	if (o.net || o.slirp || o.net_peer)
		net_mode(&g, &o);
	if (o.idle)
		idle(&g, &o);
	if (o.blkbench)
		bench(&g, "blkbench", blk_bench);
	if (o.netbench)
		bench(&g, "netbench", net_bench);
	run_tests(&g);
}
