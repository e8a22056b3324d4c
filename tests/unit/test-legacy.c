/* Unit tests: drivers/legacy (i8042, RTC, isa-debug-exit, ACPI PM, pvpanic) */
#include "tests/unit/unit.h"

#include <time.h>

#include "drivers/legacy/acpi_pm.h"
#include "drivers/legacy/debug_exit.h"
#include "drivers/legacy/i8042.h"
#include "drivers/legacy/pvpanic.h"
#include "drivers/legacy/rtc.h"

#define NS INT64_C(1000000000)

/* A fake irqchip: the level of each GSI and how often it rose. */
struct fake_chip {
	int level[24];
	int raises[24];
};

static int chip_set(void *ctx, unsigned gsi, int level)
{
	struct fake_chip *c = ctx;

	assert_true(gsi < 24);
	if (level && !c->level[gsi])
		c->raises[gsi]++;
	c->level[gsi] = level;
	return 0;
}

static struct irq_line chip_line(struct fake_chip *c, unsigned gsi)
{
	return (struct irq_line){ .set = chip_set, .ctx = c, .gsi = gsi };
}

/* A clock the test moves by hand. */
struct fake_clock {
	int64_t ns;
};

static int64_t clock_read(void *opaque)
{
	return ((struct fake_clock *)opaque)->ns;
}

/* Counts of machine callbacks. */
struct calls {
	int reset, shutdown, panicked, crashloaded, exits;
	int status;
};

static void on_reset(void *opaque)
{
	((struct calls *)opaque)->reset++;
}

static void on_shutdown(void *opaque)
{
	((struct calls *)opaque)->shutdown++;
}

static void on_panicked(void *opaque)
{
	((struct calls *)opaque)->panicked++;
}

static void on_crashloaded(void *opaque)
{
	((struct calls *)opaque)->crashloaded++;
}

static void on_exit_status(void *opaque, int status)
{
	struct calls *c = opaque;

	c->exits++;
	c->status = status;
}

static uint64_t io_in(struct iobus *bus, uint64_t port, unsigned size)
{
	uint64_t v = 0;

	assert_true(iobus_dispatch(bus, port, size, false, &v));
	return v;
}

static void io_out(struct iobus *bus, uint64_t port, unsigned size, uint64_t value)
{
	assert_true(iobus_dispatch(bus, port, size, true, &value));
}

/* ---- i8042 ---- */

struct kbc_rig {
	struct fake_chip chip;
	struct calls calls;
	struct i8042 *kbc;
	struct iobus *bus;
};

static struct kbc_rig *kbc_rig_new(void)
{
	struct kbc_rig *r = calloc(1, sizeof(*r));
	struct i8042_config cfg = { .kbd_irq = chip_line(&r->chip, I8042_KBD_IRQ),
				    .aux_irq = chip_line(&r->chip, I8042_AUX_IRQ),
				    .reset = on_reset, .opaque = &r->calls };
	struct err *e = NULL;

	r->kbc = i8042_new(&cfg);
	r->bus = iobus_new();
	assert_int_equal(i8042_register(r->kbc, r->bus, &e), 0);
	return r;
}

static void kbc_rig_free(struct kbc_rig *r)
{
	iobus_free(r->bus);
	i8042_free(r->kbc);
	free(r);
}

/* The controller command Linux's i8042_command() sends, and its one-byte answer. */
static uint8_t kbc_command(struct kbc_rig *r, uint8_t cmd)
{
	io_out(r->bus, I8042_CMD_PORT, 1, cmd);
	assert_true(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);	/* OBF */
	return io_in(r->bus, I8042_DATA_PORT, 1);
}

static void i8042_self_test_answers_0x55(void **state)
{
	struct kbc_rig *r = kbc_rig_new();

	/* Linux's i8042_flush(): nothing pending at power-on. */
	assert_false(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);
	assert_int_equal(kbc_command(r, 0xaa), 0x55);
	assert_int_equal(io_in(r->bus, I8042_CMD_PORT, 1) & 0x0d, 0x0c);	/* SYS, CMD */
	assert_int_equal(kbc_command(r, 0xab), 0x00);	/* keyboard interface test */
	assert_int_equal(kbc_command(r, 0xa9), 0x00);	/* aux interface test */
	assert_false(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);
	kbc_rig_free(r);
}

static void i8042_command_byte_and_port_enables_round_trip(void **state)
{
	struct kbc_rig *r = kbc_rig_new();
	uint8_t ctr = kbc_command(r, 0x20);

	io_out(r->bus, I8042_CMD_PORT, 1, 0x60);
	io_out(r->bus, I8042_DATA_PORT, 1, ctr & ~0x03);	/* interrupts off */
	assert_int_equal(kbc_command(r, 0x20), ctr & ~0x03);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xa7);		/* aux disable */
	assert_true(kbc_command(r, 0x20) & 0x20);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xa8);
	assert_false(kbc_command(r, 0x20) & 0x20);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xad);		/* keyboard disable */
	assert_true(kbc_command(r, 0x20) & 0x10);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xae);
	assert_false(kbc_command(r, 0x20) & 0x10);
	/* Bytes for the (absent) keyboard vanish without an answer. */
	io_out(r->bus, I8042_DATA_PORT, 1, 0xf2);
	assert_false(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);
	kbc_rig_free(r);
}

static void i8042_reset_line_calls_the_machine(void **state)
{
	struct kbc_rig *r = kbc_rig_new();

	io_out(r->bus, I8042_CMD_PORT, 1, 0xfe);
	assert_int_equal(r->calls.reset, 1);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xff);		/* pulses nothing */
	io_out(r->bus, I8042_CMD_PORT, 1, 0xf1);		/* bit 0 kept high */
	assert_int_equal(r->calls.reset, 1);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xd1);		/* output port, A20 only */
	io_out(r->bus, I8042_DATA_PORT, 1, 0xdf);
	assert_int_equal(r->calls.reset, 1);
	assert_int_equal(kbc_command(r, 0xd0), 0xdf);
	io_out(r->bus, I8042_CMD_PORT, 1, 0xd1);		/* reset line low */
	io_out(r->bus, I8042_DATA_PORT, 1, 0xde);
	assert_int_equal(r->calls.reset, 2);
	kbc_rig_free(r);
}

static void i8042_aux_loopback_raises_irq12_only_when_enabled(void **state)
{
	struct kbc_rig *r = kbc_rig_new();

	io_out(r->bus, I8042_CMD_PORT, 1, 0xd3);
	io_out(r->bus, I8042_DATA_PORT, 1, 0x5a);
	assert_int_equal(io_in(r->bus, I8042_CMD_PORT, 1) & 0x21, 0x21);	/* AUXDATA */
	assert_int_equal(r->chip.level[12], 1);
	assert_int_equal(r->chip.level[1], 0);
	assert_int_equal(io_in(r->bus, I8042_DATA_PORT, 1), 0x5a);
	assert_int_equal(r->chip.level[12], 0);
	io_out(r->bus, I8042_CMD_PORT, 1, 0x60);
	io_out(r->bus, I8042_DATA_PORT, 1, 0x44);		/* no interrupts */
	io_out(r->bus, I8042_CMD_PORT, 1, 0xd2);
	io_out(r->bus, I8042_DATA_PORT, 1, 0xa5);
	assert_int_equal(r->chip.level[1], 0);
	assert_int_equal(io_in(r->bus, I8042_DATA_PORT, 1), 0xa5);
	/* An empty buffer reads the last byte again, as the chip does. */
	assert_int_equal(io_in(r->bus, I8042_DATA_PORT, 1), 0xa5);
	i8042_reset(r->kbc);
	assert_int_equal(kbc_command(r, 0x20) & 0x03, 0x03);
	kbc_rig_free(r);
}

static void i8042_survives_a_flood_of_commands(void **state)
{
	struct kbc_rig *r = kbc_rig_new();

	for (unsigned i = 0; i < 100; i++)
		io_out(r->bus, I8042_CMD_PORT, 1, 0x20);	/* more than the queue holds */
	for (unsigned i = 0; i < 16; i++) {
		assert_true(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);
		io_in(r->bus, I8042_DATA_PORT, 1);
	}
	assert_false(io_in(r->bus, I8042_CMD_PORT, 1) & 0x01);
	for (unsigned v = 0; v < 256; v++) {
		if (v == 0xd1 || (v >= 0xf0 && !(v & 1)))
			continue;
		io_out(r->bus, I8042_CMD_PORT, 1, v);
		io_out(r->bus, I8042_DATA_PORT, 1, 0xff);
	}
	assert_int_equal(r->calls.reset, 0);
	kbc_rig_free(r);
}

/* ---- RTC ---- */

struct rtc_rig {
	struct fake_chip chip;
	struct fake_clock clock;
	struct rtc *rtc;
	struct iobus *bus;
};

/* Thursday 2024-02-29 13:45:56 UTC */
#define LEAP_DAY 1709214356

static struct rtc_rig *rtc_rig_new(void)
{
	struct rtc_rig *r = calloc(1, sizeof(*r));
	struct rtc_config cfg = { .irq = chip_line(&r->chip, RTC_IRQ),
				  .clock_ns = clock_read, .clock_opaque = &r->clock };
	struct err *e = NULL;

	r->clock.ns = LEAP_DAY * NS + NS / 2;
	r->rtc = rtc_new(&cfg);
	r->bus = iobus_new();
	assert_int_equal(iobus_register(r->bus, RTC_INDEX_PORT, RTC_IOLEN, &rtc_io_ops, r->rtc,
					&e), 0);
	return r;
}

static void rtc_rig_free(struct rtc_rig *r)
{
	iobus_free(r->bus);
	rtc_free(r->rtc);
	free(r);
}

static uint8_t cmos_in(struct rtc_rig *r, uint8_t index)
{
	io_out(r->bus, RTC_INDEX_PORT, 1, index);
	return io_in(r->bus, RTC_DATA_PORT, 1);
}

static void cmos_out(struct rtc_rig *r, uint8_t index, uint8_t value)
{
	io_out(r->bus, RTC_INDEX_PORT, 1, index);
	io_out(r->bus, RTC_DATA_PORT, 1, value);
}

static void rtc_shows_host_utc_in_bcd_24h(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	assert_int_equal(cmos_in(r, 0x0b), 0x02);	/* 24h, BCD */
	assert_int_equal(cmos_in(r, 0x00), 0x56);
	assert_int_equal(cmos_in(r, 0x02), 0x45);
	assert_int_equal(cmos_in(r, 0x04), 0x13);
	assert_int_equal(cmos_in(r, 0x06), 0x05);	/* Thursday: Sunday is 1 */
	assert_int_equal(cmos_in(r, 0x07), 0x29);
	assert_int_equal(cmos_in(r, 0x08), 0x02);
	assert_int_equal(cmos_in(r, 0x09), 0x24);
	assert_int_equal(cmos_in(r, RTC_CMOS_CENTURY), 0x20);
	assert_int_equal(cmos_in(r, 0x0d), 0x80);	/* valid RAM and time */
	r->clock.ns += 3 * NS;
	assert_int_equal(cmos_in(r, 0x00), 0x59);
	rtc_rig_free(r);
}

static void rtc_binary_and_12_hour_modes_follow_register_b(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	cmos_out(r, 0x0b, 0x06);			/* binary, 24h */
	assert_int_equal(cmos_in(r, 0x00), 56);
	assert_int_equal(cmos_in(r, 0x04), 13);
	assert_int_equal(cmos_in(r, 0x09), 24);
	assert_int_equal(cmos_in(r, RTC_CMOS_CENTURY), 20);
	cmos_out(r, 0x0b, 0x04);			/* binary, 12h */
	assert_int_equal(cmos_in(r, 0x04), 0x80 | 1);	/* 1 PM */
	cmos_out(r, 0x0b, 0x00);			/* BCD, 12h */
	assert_int_equal(cmos_in(r, 0x04), 0x81);
	r->clock.ns -= 13 * 3600 * NS;			/* 00:45: 12 AM */
	assert_int_equal(cmos_in(r, 0x04), 0x12);
	rtc_rig_free(r);
}

/* What Linux's mc146818_set_time() does: SET, write the fields, clear SET. */
static void rtc_guest_sets_the_time_under_set(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	cmos_out(r, 0x0b, 0x82);
	r->clock.ns += 5 * NS;				/* frozen: no updates */
	assert_int_equal(cmos_in(r, 0x00), 0x56);
	assert_false(cmos_in(r, 0x0a) & 0x80);		/* no UIP while SET */
	cmos_out(r, 0x09, 0x99);
	cmos_out(r, 0x08, 0x12);
	cmos_out(r, 0x07, 0x31);			/* day 31 while the month is set */
	cmos_out(r, 0x04, 0x23);
	cmos_out(r, 0x02, 0x59);
	cmos_out(r, 0x00, 0x58);
	cmos_out(r, RTC_CMOS_CENTURY, 0x19);
	cmos_out(r, 0x00, 0x7a);			/* not BCD: ignored */
	cmos_out(r, 0x0b, 0x02);
	assert_int_equal(cmos_in(r, 0x09), 0x99);
	assert_int_equal(cmos_in(r, 0x07), 0x31);
	assert_int_equal(cmos_in(r, 0x06), 0x06);	/* 1999-12-31 was a Friday */
	r->clock.ns += 2 * NS;
	assert_int_equal(cmos_in(r, 0x00), 0x00);
	assert_int_equal(cmos_in(r, 0x09), 0x00);
	assert_int_equal(cmos_in(r, RTC_CMOS_CENTURY), 0x20);	/* Y2K, in the guest */
	assert_int_equal(cmos_in(r, 0x08), 0x01);
	/* One field written while running moves the clock by that much. */
	cmos_out(r, 0x04, 0x05);
	assert_int_equal(cmos_in(r, 0x04), 0x05);
	assert_int_equal(cmos_in(r, 0x07), 0x01);
	rtc_rig_free(r);
}

static void rtc_uip_is_set_in_the_last_244_us_of_a_second(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	r->clock.ns = LEAP_DAY * NS + NS - 300000;
	assert_int_equal(cmos_in(r, 0x0a), 0x26);
	r->clock.ns = LEAP_DAY * NS + NS - 200000;
	assert_int_equal(cmos_in(r, 0x0a), 0xa6);
	cmos_out(r, 0x0a, 0xff);			/* UIP is read-only */
	cmos_out(r, 0x0a, 0x26);
	r->clock.ns = LEAP_DAY * NS + NS;
	assert_int_equal(cmos_in(r, 0x0a), 0x26);
	rtc_rig_free(r);
}

static void rtc_memory_fields_describe_the_guest_ram(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	rtc_set_memory(r->rtc, UINT64_C(3) << 30, UINT64_C(2) << 30);
	rtc_set_cpus(r->rtc, 4);
	assert_int_equal(cmos_in(r, 0x15) | cmos_in(r, 0x16) << 8, 640);
	assert_int_equal(cmos_in(r, 0x17) | cmos_in(r, 0x18) << 8, 0xffff);
	assert_int_equal(cmos_in(r, 0x30) | cmos_in(r, 0x31) << 8, 0xffff);
	assert_int_equal(cmos_in(r, 0x34) | cmos_in(r, 0x35) << 8,
			 ((3u << 30) - (16u << 20)) >> 16);
	assert_int_equal(cmos_in(r, 0x5b) | cmos_in(r, 0x5c) << 8 | cmos_in(r, 0x5d) << 16,
			 (2u << 30) >> 16);
	assert_int_equal(cmos_in(r, 0x5f), 3);
	rtc_set_memory(r->rtc, 8 << 20, 0);		/* 8 MiB: nothing above 16 MiB */
	assert_int_equal(cmos_in(r, 0x17) | cmos_in(r, 0x18) << 8, 7 * 1024);
	assert_int_equal(cmos_in(r, 0x34) | cmos_in(r, 0x35) << 8, 0);
	assert_int_equal(rtc_cmos_get(r->rtc, 0x17), 0x00);
	assert_int_equal(rtc_cmos_get(r->rtc, 0x00), 0xff);	/* a clock register */
	assert_int_equal(rtc_cmos_get(r->rtc, 200), 0xff);
	rtc_cmos_set(r->rtc, 200, 1);
	rtc_rig_free(r);
}

static void rtc_update_flag_raises_irq8_until_c_is_read(void **state)
{
	struct rtc_rig *r = rtc_rig_new();

	assert_int_equal(cmos_in(r, 0x0c), 0x00);
	cmos_out(r, 0x0b, 0x12);			/* UIE */
	r->clock.ns += NS;
	rtc_poll(r->rtc);
	assert_int_equal(r->chip.level[8], 1);
	assert_int_equal(cmos_in(r, 0x0c) & 0xb0, 0x90);	/* IRQF | UF (PF runs too) */
	assert_int_equal(r->chip.level[8], 0);
	assert_int_equal(cmos_in(r, 0x0c) & 0xb0, 0x00);
	/* Alarm with "don't care" bytes matches every second. */
	cmos_out(r, 0x01, 0xff);
	cmos_out(r, 0x03, 0xff);
	cmos_out(r, 0x05, 0xff);
	cmos_out(r, 0x0b, 0x22);			/* AIE only */
	r->clock.ns += NS;
	assert_int_equal(cmos_in(r, 0x0c) & 0xb0, 0xb0);
	cmos_out(r, 0x0b, 0x72);
	r->clock.ns += NS;
	rtc_poll(r->rtc);
	assert_int_equal(r->chip.level[8], 1);
	rtc_reset(r->rtc);
	assert_int_equal(r->chip.level[8], 0);
	assert_int_equal(cmos_in(r, 0x0b), 0x02);	/* enables cleared */
	rtc_rig_free(r);
}

static void rtc_index_keeps_nmi_bit_and_odd_accesses_are_safe(void **state)
{
	struct rtc_rig *r = rtc_rig_new();
	uint64_t v;

	io_out(r->bus, RTC_INDEX_PORT, 1, 0x80 | 0x40);
	assert_true(rtc_nmi_masked(r->rtc));
	io_out(r->bus, RTC_DATA_PORT, 1, 0xab);
	assert_int_equal(io_in(r->bus, RTC_DATA_PORT, 1), 0xab);
	assert_int_equal(io_in(r->bus, RTC_INDEX_PORT, 1), 0xff);	/* write-only */
	io_out(r->bus, RTC_INDEX_PORT, 2, 0xcd << 8 | 0x41);	/* index and data at once */
	assert_false(rtc_nmi_masked(r->rtc));
	assert_int_equal(cmos_in(r, 0x41), 0xcd);
	assert_int_equal(io_in(r->bus, RTC_INDEX_PORT, 2) >> 8, 0xcd);
	v = rtc_io_ops.read(r->rtc, 5, 4);
	assert_true(v == 0xffffffff);
	rtc_io_ops.write(r->rtc, 1000, 8, UINT64_MAX);
	rtc_io_ops.write(r->rtc, 0, 3, 0xffffff);	/* index 0x7f, data 0xff */
	assert_int_equal(cmos_in(r, 0x7f), 0xff);
	rtc_rig_free(r);
}

static void rtc_with_the_host_clock_is_close_to_now(void **state)
{
	struct rtc *rtc = rtc_new(NULL);
	time_t now = time(NULL);
	struct tm tm;
	uint8_t year;

	gmtime_r(&now, &tm);
	rtc_io_ops.write(rtc, 0, 1, 0x09);
	year = rtc_io_ops.read(rtc, 1, 1);
	assert_int_equal((year >> 4) * 10 + (year & 0xf), tm.tm_year % 100);
	rtc_free(rtc);
}

static void rtc_localtime_adds_the_host_utc_offset(void **state)
{
	struct fake_clock clock = { .ns = LEAP_DAY * NS };
	struct rtc_config cfg = { .clock_ns = clock_read, .clock_opaque = &clock,
				  .localtime = true };
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	struct rtc *rtc;

	setenv("TZ", "UTC-3", 1);			/* POSIX: 3 hours east of UTC */
	tzset();
	rtc = rtc_new(&cfg);
	rtc_io_ops.write(rtc, 0, 1, 0x04);
	assert_int_equal(rtc_io_ops.read(rtc, 1, 1), 0x16);	/* 13:45 UTC is 16:45 */
	rtc_free(rtc);
	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
}

/* ---- isa-debug-exit ---- */

static void debug_exit_status_is_value_shifted_with_bit_0(void **state)
{
	struct calls calls = { 0 };
	struct debug_exit_config cfg = { .exit = on_exit_status, .opaque = &calls };
	struct debug_exit *d = debug_exit_new(&cfg);
	struct iobus *bus = iobus_new();
	struct err *e = NULL;

	assert_int_equal(debug_exit_status(0), 1);
	assert_int_equal(debug_exit_status(0x31), 0x63);
	assert_int_equal(debug_exit_status(0xffffffff) & 0xff, 0xff);
	assert_true(debug_exit_status(UINT64_MAX) >= 0);
	assert_int_equal(debug_exit_register(d, bus, &e), 0);
	assert_int_equal(io_in(bus, 0x501, 1), 0);
	io_out(bus, 0x501, 1, 0x10);
	assert_int_equal(calls.exits, 1);
	assert_int_equal(calls.status, 0x21);
	io_out(bus, 0x502, 1, 0);			/* iosize 2: the second port too */
	assert_int_equal(calls.status, 1);
	assert_false(iobus_dispatch(bus, 0x503, 1, true, &(uint64_t){ 0 }));
	iobus_free(bus);
	debug_exit_free(d);
}

static void debug_exit_takes_its_port_from_the_options(void **state)
{
	struct calls calls = { 0 };
	struct debug_exit_config cfg = { .iobase = 0xf4, .iosize = 4, .exit = on_exit_status,
					 .opaque = &calls };
	struct debug_exit *d = debug_exit_new(&cfg);
	struct iobus *bus = iobus_new();
	struct err *e = NULL;

	assert_int_equal(debug_exit_register(d, bus, &e), 0);
	io_out(bus, 0xf4, 4, 0x2);
	assert_int_equal(calls.status, 5);
	assert_false(iobus_dispatch(bus, 0x501, 1, true, &(uint64_t){ 0 }));
	iobus_free(bus);
	debug_exit_free(d);
}

/* ---- ACPI PM ---- */

struct pm_rig {
	struct fake_chip chip;
	struct fake_clock clock;
	struct calls calls;
	struct acpi_pm *pm;
	struct iobus *bus;
};

static struct pm_rig *pm_rig_new(void)
{
	struct pm_rig *r = calloc(1, sizeof(*r));
	struct acpi_pm_config cfg = { .sci = chip_line(&r->chip, ACPI_SCI_IRQ),
				      .shutdown = on_shutdown, .reset = on_reset,
				      .opaque = &r->calls, .clock_ns = clock_read,
				      .clock_opaque = &r->clock };
	struct err *e = NULL;

	r->clock.ns = 1000 * NS;
	r->pm = acpi_pm_new(&cfg);
	r->bus = iobus_new();
	assert_int_equal(acpi_pm_register(r->pm, r->bus, &e), 0);
	assert_int_equal(iobus_register(r->bus, ACPI_RESET_REG, 1, &acpi_pm_reset_io_ops, r->pm,
					&e), 0);
	return r;
}

static void pm_rig_free(struct pm_rig *r)
{
	iobus_free(r->bus);
	acpi_pm_free(r->pm);
	free(r);
}

static void power_button_raises_sci_once_the_guest_enables_it(void **state)
{
	struct pm_rig *r = pm_rig_new();

	assert_int_equal(io_in(r->bus, ACPI_PM1A_CNT_BLK, 2) & 1, 1);	/* SCI_EN */
	assert_false(acpi_pm_press_power_button(r->pm));
	assert_int_equal(r->chip.level[9], 0);
	assert_true(io_in(r->bus, ACPI_PM1A_EVT_BLK, 2) & ACPI_PM1_PWRBTN);
	io_out(r->bus, ACPI_PM1A_EVT_BLK, 2, ACPI_PM1_PWRBTN);	/* write 1 to clear */
	assert_false(io_in(r->bus, ACPI_PM1A_EVT_BLK, 2) & ACPI_PM1_PWRBTN);
	io_out(r->bus, ACPI_PM1A_EVT_BLK + 2, 2, ACPI_PM1_PWRBTN);	/* PWRBTN_EN */
	assert_true(acpi_pm_press_power_button(r->pm));
	assert_int_equal(r->chip.level[9], 1);
	/* A dword read at PM1a_EVT_BLK sees status and enable together. */
	assert_int_equal(io_in(r->bus, ACPI_PM1A_EVT_BLK, 4),
			 ACPI_PM1_PWRBTN << 16 | ACPI_PM1_PWRBTN);
	io_out(r->bus, ACPI_PM1A_EVT_BLK, 2, 0);		/* writing 0 clears nothing */
	assert_int_equal(r->chip.level[9], 1);
	io_out(r->bus, ACPI_PM1A_EVT_BLK + 1, 1, ACPI_PM1_PWRBTN >> 8);	/* byte write */
	assert_int_equal(r->chip.level[9], 0);
	acpi_pm_press_power_button(r->pm);
	acpi_pm_reset(r->pm);
	assert_int_equal(r->chip.level[9], 0);
	assert_int_equal(io_in(r->bus, ACPI_PM1A_EVT_BLK, 4), 0);
	pm_rig_free(r);
}

static void s5_sleep_calls_shutdown(void **state)
{
	struct pm_rig *r = pm_rig_new();
	uint16_t cnt = io_in(r->bus, ACPI_PM1A_CNT_BLK, 2);

	io_out(r->bus, ACPI_PM1A_CNT_BLK, 2, cnt | 3 << 10 | ACPI_PM1_CNT_SLP_EN);	/* S3 */
	assert_int_equal(r->calls.shutdown, 0);
	io_out(r->bus, ACPI_PM1A_CNT_BLK, 2, cnt | ACPI_SLP_TYP_S5 << 10);	/* no SLP_EN */
	assert_int_equal(r->calls.shutdown, 0);
	io_out(r->bus, ACPI_PM1A_CNT_BLK, 2, cnt | ACPI_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SLP_EN);
	assert_int_equal(r->calls.shutdown, 1);
	/* SLP_EN is write-only; SLP_TYP stays. */
	assert_false(io_in(r->bus, ACPI_PM1A_CNT_BLK, 2) & ACPI_PM1_CNT_SLP_EN);
	assert_int_equal(io_in(r->bus, ACPI_PM1A_CNT_BLK, 2) & ACPI_PM1_CNT_SLP_TYP, 5 << 10);
	/* The high byte alone carries SLP_TYP and SLP_EN. */
	io_out(r->bus, ACPI_PM1A_CNT_BLK + 1, 1,
	       (ACPI_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SLP_EN) >> 8);
	assert_int_equal(r->calls.shutdown, 2);
	pm_rig_free(r);
}

static void reset_register_resets_on_bit_2(void **state)
{
	struct pm_rig *r = pm_rig_new();

	io_out(r->bus, ACPI_RESET_REG, 1, 0x02);
	assert_int_equal(r->calls.reset, 0);
	assert_int_equal(io_in(r->bus, ACPI_RESET_REG, 1), 0x02);
	io_out(r->bus, ACPI_RESET_REG, 1, ACPI_RESET_VALUE);
	assert_int_equal(r->calls.reset, 1);
	acpi_pm_reset_io_ops.write(r->pm, 5, 1, 0x06);	/* not its byte */
	assert_int_equal(r->calls.reset, 1);
	pm_rig_free(r);
}

static void pm_timer_counts_at_3_58_mhz_in_24_bits(void **state)
{
	struct pm_rig *r = pm_rig_new();

	assert_int_equal(io_in(r->bus, ACPI_PM_TMR_BLK, 4), 0);
	r->clock.ns += NS;
	assert_int_equal(io_in(r->bus, ACPI_PM_TMR_BLK, 4), ACPI_PM_TMR_HZ);
	r->clock.ns += 4 * NS;				/* 5 s: past 2^24 ticks */
	assert_int_equal(io_in(r->bus, ACPI_PM_TMR_BLK, 4), (5u * ACPI_PM_TMR_HZ) & 0xffffff);
	assert_true(io_in(r->bus, ACPI_PM1A_EVT_BLK, 2) & ACPI_PM1_TMR);
	io_out(r->bus, ACPI_PM_TMR_BLK, 4, 0);		/* read-only */
	assert_int_equal(io_in(r->bus, ACPI_PM_TMR_BLK, 2), (5u * ACPI_PM_TMR_HZ) & 0xffff);
	r->clock.ns += INT64_C(86400) * 365 * NS;	/* a year of uptime: no overflow */
	assert_true(io_in(r->bus, ACPI_PM_TMR_BLK, 4) <= 0xffffff);
	pm_rig_free(r);
}

static void pm_block_survives_odd_accesses(void **state)
{
	struct pm_rig *r = pm_rig_new();

	for (uint64_t off = 0; off < 16; off++)
		for (unsigned size = 1; size <= 8; size++) {
			acpi_pm_io_ops.read(r->pm, off, size);
			acpi_pm_io_ops.write(r->pm, off, size, 0);
		}
	acpi_pm_io_ops.write(r->pm, UINT64_MAX, 8, UINT64_MAX);
	acpi_pm_io_ops.write(r->pm, 3, 3, 0xffffff);	/* EN high byte and CNT */
	assert_int_equal(io_in(r->bus, ACPI_PM1A_EVT_BLK + 2, 2) & 0xff00, 0x4700);
	assert_int_equal(r->calls.shutdown, 0);
	assert_int_equal(io_in(r->bus, ACPI_PM1A_CNT_BLK + 2, 2), 0);	/* reserved */
	pm_rig_free(r);
}

/* ---- pvpanic ---- */

static void pvpanic_advertises_events_and_reports_a_panic(void **state)
{
	struct calls calls = { 0 };
	struct pvpanic_config cfg = { .panicked = on_panicked, .crashloaded = on_crashloaded,
				      .opaque = &calls };
	struct pvpanic *p = pvpanic_new(&cfg);
	struct iobus *bus = iobus_new();
	struct err *e = NULL;

	assert_int_equal(iobus_register(bus, PVPANIC_IOBASE, PVPANIC_IOLEN, &pvpanic_io_ops, p,
					&e), 0);
	assert_int_equal(io_in(bus, 0x505, 1), 0x03);
	io_out(bus, 0x505, 1, 0);
	io_out(bus, 0x505, 1, 0x04);			/* unsupported event: ignored */
	assert_int_equal(calls.panicked + calls.crashloaded, 0);
	io_out(bus, 0x505, 1, PVPANIC_CRASH_LOADED);
	assert_int_equal(calls.crashloaded, 1);
	io_out(bus, 0x505, 1, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	assert_int_equal(calls.panicked, 1);
	assert_int_equal(calls.crashloaded, 1);
	pvpanic_io_ops.write(p, 3, 1, 1);		/* beyond its port */
	assert_int_equal(calls.panicked, 1);
	iobus_free(bus);
	pvpanic_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(i8042_self_test_answers_0x55),
		cmocka_unit_test(i8042_command_byte_and_port_enables_round_trip),
		cmocka_unit_test(i8042_reset_line_calls_the_machine),
		cmocka_unit_test(i8042_aux_loopback_raises_irq12_only_when_enabled),
		cmocka_unit_test(i8042_survives_a_flood_of_commands),
		cmocka_unit_test(rtc_shows_host_utc_in_bcd_24h),
		cmocka_unit_test(rtc_binary_and_12_hour_modes_follow_register_b),
		cmocka_unit_test(rtc_guest_sets_the_time_under_set),
		cmocka_unit_test(rtc_uip_is_set_in_the_last_244_us_of_a_second),
		cmocka_unit_test(rtc_memory_fields_describe_the_guest_ram),
		cmocka_unit_test(rtc_update_flag_raises_irq8_until_c_is_read),
		cmocka_unit_test(rtc_index_keeps_nmi_bit_and_odd_accesses_are_safe),
		cmocka_unit_test(rtc_with_the_host_clock_is_close_to_now),
		cmocka_unit_test(rtc_localtime_adds_the_host_utc_offset),
		cmocka_unit_test(debug_exit_status_is_value_shifted_with_bit_0),
		cmocka_unit_test(debug_exit_takes_its_port_from_the_options),
		cmocka_unit_test(power_button_raises_sci_once_the_guest_enables_it),
		cmocka_unit_test(s5_sleep_calls_shutdown),
		cmocka_unit_test(reset_register_resets_on_bit_2),
		cmocka_unit_test(pm_timer_counts_at_3_58_mhz_in_24_bits),
		cmocka_unit_test(pm_block_survives_odd_accesses),
		cmocka_unit_test(pvpanic_advertises_events_and_reports_a_panic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
