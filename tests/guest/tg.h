/* tg.h: the CPL3 side of the test guest: its state and the per-device test functions. */
#ifndef GUEST_TG_H
#define GUEST_TG_H

#include "guest.h"

/* What acpi_probe() found; zero where a table or field is absent. */
struct acpi_info {
	uint64_t rsdp;
	uint64_t fadt;
	uint64_t dsdt;
	uint32_t pm1a_evt, pm1b_evt;	/* I/O ports */
	uint32_t pm1a_cnt, pm1b_cnt;
	uint8_t pm1_evt_len;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	bool s5_found;
	uint8_t slp_typa, slp_typb;
	bool reset_reg_ok;
	uint8_t reset_space;		/* 0 memory, 1 I/O */
	uint64_t reset_addr;
	uint8_t reset_value;
};

/* The CPL3 program's state, owned by user_main() and passed down. */
struct tg {
	const struct hvm_start_info *si;	/* NULL when %ebx did not point at one */
	uint64_t tsc_khz;			/* 0 until calibrated */
	struct acpi_info acpi;
	bool acpi_ok;
	bool hostile;				/* cmdline "hostile" */
	bool console_echo;			/* cmdline "console-echo" */
	bool skip;				/* set by a test: "ok N - name # SKIP why" */
};

/* One TAP check: true passes; false fails with why; g->skip set: skipped with why. */
struct test {
	const char *name;
	bool (*run)(struct tg *g, char *why, size_t n);
};

/* main.c: runs a TAP plan (the "1..N" line, one line per test, a summary comment);
 * returns how many failed. */
unsigned tap_run(struct tg *g, const struct test *plan, unsigned count);

/* A wait bounded both by TSC ticks and by a number of iterations (for a stuck TSC). */
struct deadline {
	uint64_t start;
	uint64_t ticks;
	uint64_t iters;
	uint64_t max_iters;
};

/* timer.c */
uint64_t tsc_khz_or_guess(const struct tg *g);
void deadline_start(struct deadline *d, const struct tg *g, uint64_t ms);
bool deadline_passed(struct deadline *d);
void delay_ms(const struct tg *g, uint64_t ms);
bool test_timer(struct tg *g, char *why, size_t n, bool quiet);
bool test_irq(struct tg *g, char *why, size_t n);
bool ticks_start(struct tg *g, unsigned hz);

/* pci.c */
#define PCI_MAX_FNS	64
struct pci_fn {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class;		/* class, subclass, prog-if */
};
bool test_pci(struct tg *g, char *why, size_t n);
const struct pci_fn *pci_functions(unsigned *count);
uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
uint16_t pci_read16(unsigned bus, unsigned dev, unsigned fn, unsigned off);
uint8_t pci_read8(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);

/* virtio.c: the virtio 1.x (modern PCI) drivers and their checks */
bool test_vblk_init(struct tg *g, char *why, size_t n);
bool test_vblk_read(struct tg *g, char *why, size_t n);
bool test_vblk_write(struct tg *g, char *why, size_t n);
bool test_vblk_id(struct tg *g, char *why, size_t n);
bool test_vblk_discard(struct tg *g, char *why, size_t n);
bool test_vblk_past_end(struct tg *g, char *why, size_t n);
bool test_vblk_ro(struct tg *g, char *why, size_t n);
bool test_vblk_hostile(struct tg *g, char *why, size_t n);
bool test_vblk_reinit(struct tg *g, char *why, size_t n);
bool test_vcon_hello(struct tg *g, char *why, size_t n);
bool test_vcon_echo(struct tg *g, char *why, size_t n);
bool test_vrng(struct tg *g, char *why, size_t n);

/* net_test.c: the "net" mode's TAP plan (returns the number of failed checks);
 * net_bench.c: the "netbench" mode (README.md "virtio-net") */
unsigned net_tests(struct tg *g, bool hostile);
bool net_bench(struct tg *g, char *why, size_t n);
/* net_slirp.c: the "slirp" mode's TAP plan (README.md "virtio-net") */
unsigned net_slirp_tests(struct tg *g, bool udp_echo);
/* net_peer.c: the "net-peer" mode's plan: frames of other guests on the segment */
unsigned net_peer_tests(struct tg *g);

/* balloon.c: the virtio-balloon driver of the idle loop (README.md "virtio-balloon") */
void balloon_start(struct tg *g, bool touch_ram, bool report_free);
void balloon_poll(struct tg *g);

/* rtc.c */
bool test_rtc(struct tg *g, char *why, size_t n);
uint8_t cmos_read(uint8_t idx);
void cmos_write(uint8_t idx, uint8_t v);

/* acpi.c */
bool acpi_probe(struct tg *g, char *why, size_t n, bool verbose);
bool test_acpi(struct tg *g, char *why, size_t n);

/* power.c */
void power_button_enable(struct tg *g);
bool power_button_pressed(struct tg *g);
void poweroff(struct tg *g) __attribute__((noreturn));
void machine_reset(struct tg *g) __attribute__((noreturn));
void finish(struct tg *g, uint8_t code) __attribute__((noreturn));

#endif
