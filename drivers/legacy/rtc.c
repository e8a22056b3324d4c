/* The CMOS RTC, after the Motorola MC146818A data sheet (register map, UIP timing,
 * SET, the flags of register C) and QEMU's hw/rtc/mc146818rtc.c for the CMOS bytes. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "drivers/legacy/rtc.h"
#include "lib/util/mem.h"

#define NS_PER_SEC	INT64_C(1000000000)
#define UIP_NS		244000	/* UIP rises 244 us before the update */

enum {
	REG_SEC = 0x00, REG_SEC_ALARM = 0x01, REG_MIN = 0x02, REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04, REG_HOUR_ALARM = 0x05, REG_WDAY = 0x06, REG_MDAY = 0x07,
	REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c,
	REG_D = 0x0d,
};

#define A_UIP		0x80
#define A_DV_MASK	0x70
#define A_DV_NORMAL	0x20	/* 32.768 kHz time base, running */
#define A_RATE_MASK	0x0f
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_SQWE		0x08
#define B_DM_BINARY	0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10
#define D_VRT		0x80
#define HOUR_PM		0x80
#define ALARM_ANY	0xc0	/* an alarm byte 0xc0-0xff matches every value */

/* Broken-down guest time; mon 1-12, year in full. */
struct rtc_fields {
	int sec, min, hour, mday, mon, year, wday;	/* wday 0 = Sunday */
};

struct rtc {
	pthread_mutex_t lock;
	struct rtc_config cfg;
	uint8_t index;
	bool nmi_masked;
	uint8_t cmos[RTC_CMOS_SIZE];	/* also registers A, B and the alarm bytes */
	uint8_t reg_c;
	int64_t offset_ns;		/* guest time = host time + offset */
	bool frozen;			/* register B SET: time stopped for writing */
	struct rtc_fields frozen_at;
	int64_t last_sec;		/* guest second when flags were last updated */
	int64_t last_periodic_ns;
	bool irq_level;
};

static int64_t host_ns(const struct rtc *r)
{
	struct timespec ts;

	if (r->cfg.clock_ns)
		return r->cfg.clock_ns(r->cfg.clock_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t guest_ns(const struct rtc *r)
{
	return host_ns(r) + r->offset_ns;
}

static void fields_from_sec(int64_t sec, struct rtc_fields *f)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	*f = (struct rtc_fields){ .sec = tm.tm_sec, .min = tm.tm_min, .hour = tm.tm_hour,
				  .mday = tm.tm_mday, .mon = tm.tm_mon + 1,
				  .year = tm.tm_year + 1900, .wday = tm.tm_wday };
}

/* Seconds since the epoch for f (out-of-range days roll over as timegm does). */
static int64_t sec_from_fields(const struct rtc_fields *f)
{
	struct tm tm = { .tm_sec = f->sec, .tm_min = f->min, .tm_hour = f->hour,
			 .tm_mday = f->mday, .tm_mon = f->mon - 1, .tm_year = f->year - 1900 };

	return timegm(&tm);
}

static void current_fields(const struct rtc *r, struct rtc_fields *f)
{
	if (r->frozen) {
		struct rtc_fields norm;

		/* The weekday of a date being written is whatever the date says. */
		*f = r->frozen_at;
		fields_from_sec(sec_from_fields(f), &norm);
		f->wday = norm.wday;
		return;
	}
	fields_from_sec(floor_div(guest_ns(r), NS_PER_SEC), f);
}

static uint8_t to_bcd(int v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

/* v in the register format of register B; -1 if it is not a valid BCD byte. */
static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return v;
	if ((v >> 4) > 9 || (v & 0x0f) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	return (r->cmos[REG_B] & B_DM_BINARY) ? (uint8_t)v : to_bcd(v);
}

/* The hour register: 0-23, or 1-12 with bit 7 for PM in 12-hour mode. */
static uint8_t hour_to_reg(const struct rtc *r, int hour)
{
	int h12;

	if (r->cmos[REG_B] & B_24H)
		return to_reg(r, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return to_reg(r, h12) | (hour >= 12 ? HOUR_PM : 0);
}

/* 0-23 from an hour register value, or -1 if invalid. */
static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	int h;

	if (r->cmos[REG_B] & B_24H) {
		h = from_reg(r, v);
		return h >= 0 && h < 24 ? h : -1;
	}
	h = from_reg(r, v & ~HOUR_PM);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((v & HOUR_PM) ? 12 : 0);
}

static uint8_t read_time_reg(const struct rtc *r, unsigned idx)
{
	struct rtc_fields f;

	current_fields(r, &f);
	switch (idx) {
	case REG_SEC:
		return to_reg(r, f.sec);
	case REG_MIN:
		return to_reg(r, f.min);
	case REG_HOUR:
		return hour_to_reg(r, f.hour);
	case REG_WDAY:
		return to_reg(r, f.wday + 1);
	case REG_MDAY:
		return to_reg(r, f.mday);
	case REG_MON:
		return to_reg(r, f.mon);
	case REG_YEAR:
		return to_reg(r, ((f.year % 100) + 100) % 100);
	default:	/* RTC_CMOS_CENTURY */
		return to_reg(r, f.year / 100);
	}
}

/* Store a decoded value v into field idx of f; returns false if out of range. */
static bool set_field(struct rtc_fields *f, unsigned idx, int v)
{
	switch (idx) {
	case REG_SEC:
		return v >= 0 && v < 60 && (f->sec = v, true);
	case REG_MIN:
		return v >= 0 && v < 60 && (f->min = v, true);
	case REG_HOUR:
		return v >= 0 && (f->hour = v, true);
	case REG_MDAY:
		return v >= 1 && v <= 31 && (f->mday = v, true);
	case REG_MON:
		return v >= 1 && v <= 12 && (f->mon = v, true);
	case REG_YEAR:
		return v >= 0 && v < 100 && (f->year = f->year / 100 * 100 + v, true);
	case RTC_CMOS_CENTURY:
		return v >= 0 && v < 100 && (f->year = v * 100 + f->year % 100, true);
	default:
		return false;	/* the weekday follows from the date */
	}
}

/* The guest set a time register: change the frozen time, or move the clock's offset.
 * Values that are not valid for the register are ignored. */
static void write_time_reg(struct rtc *r, unsigned idx, uint8_t v)
{
	int value = idx == REG_HOUR ? hour_from_reg(r, v) : from_reg(r, v);
	struct rtc_fields f;
	int64_t before;

	if (value < 0)
		return;
	if (r->frozen) {
		set_field(&r->frozen_at, idx, value);
		return;
	}
	current_fields(r, &f);
	before = sec_from_fields(&f);
	if (set_field(&f, idx, value))
		r->offset_ns += (sec_from_fields(&f) - before) * NS_PER_SEC;
}

static bool is_time_reg(unsigned idx)
{
	return idx == REG_SEC || idx == REG_MIN || idx == REG_HOUR || idx == REG_WDAY ||
	       idx == REG_MDAY || idx == REG_MON || idx == REG_YEAR ||
	       idx == RTC_CMOS_CENTURY;
}

static bool running(const struct rtc *r)
{
	return !r->frozen && (r->cmos[REG_A] & A_DV_MASK) == A_DV_NORMAL;
}

static bool alarm_byte_matches(uint8_t alarm, uint8_t now)
{
	return (alarm & ALARM_ANY) == ALARM_ANY || alarm == now;
}

static bool alarm_matches(const struct rtc *r)
{
	return alarm_byte_matches(r->cmos[REG_SEC_ALARM], read_time_reg(r, REG_SEC)) &&
	       alarm_byte_matches(r->cmos[REG_MIN_ALARM], read_time_reg(r, REG_MIN)) &&
	       alarm_byte_matches(r->cmos[REG_HOUR_ALARM], read_time_reg(r, REG_HOUR));
}

/* Period of the periodic interrupt for rate select bits (data sheet table 5), 0 off. */
static int64_t periodic_ns(uint8_t reg_a)
{
	unsigned rate = reg_a & A_RATE_MASK;

	if (rate == 0)
		return 0;
	if (rate <= 2)
		rate += 7;
	return (INT64_C(1) << (rate - 1)) * NS_PER_SEC / 32768;
}

/* IRQ 8 follows IRQF; only changes reach the irqchip. */
static void drive_irq(struct rtc *r)
{
	bool level = r->reg_c & C_IRQF;

	if (level != r->irq_level) {
		r->irq_level = level;
		irq_set_level(&r->cfg.irq, level);
	}
}

/* Bring register C up to date with the time that passed and drive IRQ 8. */
static void update_flags(struct rtc *r)
{
	int64_t now = guest_ns(r), sec = floor_div(now, NS_PER_SEC);
	int64_t period = periodic_ns(r->cmos[REG_A]);
	uint8_t b = r->cmos[REG_B];

	if (running(r) && sec != r->last_sec) {
		r->reg_c |= C_UF;
		if (alarm_matches(r))
			r->reg_c |= C_AF;
	}
	r->last_sec = sec;
	if (period && now - r->last_periodic_ns >= period) {
		r->reg_c |= C_PF;
		r->last_periodic_ns = now;
	}
	if (((b & B_UIE) && (r->reg_c & C_UF)) || ((b & B_AIE) && (r->reg_c & C_AF)) ||
	    ((b & B_PIE) && (r->reg_c & C_PF)))
		r->reg_c |= C_IRQF;
	drive_irq(r);
}

static uint8_t read_reg_a(const struct rtc *r)
{
	uint8_t a = r->cmos[REG_A] & ~A_UIP;
	int64_t frac;

	if (!running(r))
		return a;
	frac = guest_ns(r) - floor_div(guest_ns(r), NS_PER_SEC) * NS_PER_SEC;
	return frac >= NS_PER_SEC - UIP_NS ? a | A_UIP : a;
}

static uint8_t read_reg_c(struct rtc *r)
{
	uint8_t c;

	update_flags(r);
	c = r->reg_c;
	r->reg_c = 0;
	drive_irq(r);
	return c;
}

static uint8_t data_read(struct rtc *r)
{
	unsigned idx = r->index;

	if (is_time_reg(idx))
		return read_time_reg(r, idx);
	switch (idx) {
	case REG_A:
		return read_reg_a(r);
	case REG_C:
		return read_reg_c(r);
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void write_reg_b(struct rtc *r, uint8_t v)
{
	bool set = v & B_SET;

	if (set && !r->frozen) {
		current_fields(r, &r->frozen_at);
		r->frozen = true;
		v &= ~B_UIE;	/* data sheet: setting SET clears UIE */
	} else if (!set && r->frozen) {
		r->frozen = false;
		r->offset_ns = sec_from_fields(&r->frozen_at) * NS_PER_SEC - host_ns(r);
		r->last_sec = sec_from_fields(&r->frozen_at);
	}
	r->cmos[REG_B] = v;
	update_flags(r);
}

static void data_write(struct rtc *r, uint8_t v)
{
	unsigned idx = r->index;

	if (is_time_reg(idx)) {
		write_time_reg(r, idx, v);
		return;
	}
	switch (idx) {
	case REG_A:
		r->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		write_reg_b(r, v);
		break;
	case REG_C:
	case REG_D:
		break;	/* read-only */
	default:
		r->cmos[idx] = v;
		break;
	}
}

/* Port 0x70 is the index (write-only: reads 0xff as on QEMU), 0x71 the data; wider
 * accesses are byte accesses in a row, so outw(0x70, value << 8 | index) works. */
static uint64_t rtc_io_read(void *dev, uint64_t offset, unsigned size)
{
	struct rtc *r = dev;
	uint64_t v = 0;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint8_t byte = offset + i == 1 ? data_read(r) : 0xff;

		v |= (uint64_t)byte << (8 * i);
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size && i < 8 && offset + i < RTC_IOLEN; i++) {
		uint8_t byte = value >> (8 * i);

		if (offset + i == 0) {
			r->index = byte & 0x7f;
			r->nmi_masked = byte & 0x80;
		} else {
			data_write(r, byte);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

const struct io_ops rtc_io_ops = {
	.name = "mc146818-rtc",
	.read = rtc_io_read,
	.write = rtc_io_write,
};

/* The host's offset from UTC at host time now_ns, in ns. */
static int64_t local_offset_ns(int64_t now_ns)
{
	time_t t = (time_t)floor_div(now_ns, NS_PER_SEC);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (int64_t)tm.tm_gmtoff * NS_PER_SEC;
}

struct rtc *rtc_new(const struct rtc_config *cfg)
{
	struct rtc *r = xzalloc(sizeof(*r));
	int64_t now;

	pthread_mutex_init(&r->lock, NULL);
	if (cfg)
		r->cfg = *cfg;
	r->cmos[REG_A] = A_DV_NORMAL | 0x06;	/* 1024 Hz rate, as the BIOS leaves it */
	r->cmos[REG_B] = B_24H;
	r->cmos[RTC_CMOS_BASE_MEM_LO] = 640 & 0xff;
	r->cmos[RTC_CMOS_BASE_MEM_HI] = 640 >> 8;
	if (r->cfg.localtime)
		r->offset_ns = local_offset_ns(host_ns(r));
	now = guest_ns(r);
	r->last_sec = floor_div(now, NS_PER_SEC);
	r->last_periodic_ns = now;
	return r;
}

void rtc_free(struct rtc *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

void rtc_reset(struct rtc *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	update_flags(rtc);
	rtc->reg_c = 0;
	drive_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

static void set_le(uint8_t *cmos, unsigned index, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		cmos[index + i] = (uint8_t)(value >> (8 * i));
}

/* QEMU's pc_cmos_init() and SeaBIOS's reading of them: KiB above 1 MiB capped at
 * 65535, 64 KiB units above 16 MiB capped at 65535, 64 KiB units above 4 GiB. */
void rtc_set_memory(struct rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	uint64_t ext_kib = ram_below_4g > (1 << 20) ? (ram_below_4g >> 10) - 1024 : 0;
	uint64_t above_16m = ram_below_4g > (16 << 20) ? (ram_below_4g - (16 << 20)) >> 16 : 0;
	uint64_t above_4g = ram_above_4g >> 16;

	if (ext_kib > 0xffff)
		ext_kib = 0xffff;
	if (above_16m > 0xffff)
		above_16m = 0xffff;
	if (above_4g > 0xffffff)
		above_4g = 0xffffff;
	pthread_mutex_lock(&rtc->lock);
	set_le(rtc->cmos, RTC_CMOS_EXT_MEM_LO, ext_kib, 2);
	set_le(rtc->cmos, RTC_CMOS_EXT_MEM2_LO, ext_kib, 2);
	set_le(rtc->cmos, RTC_CMOS_MEM_16M_LO, above_16m, 2);
	set_le(rtc->cmos, RTC_CMOS_MEM_4G_LO, above_4g, 3);
	pthread_mutex_unlock(&rtc->lock);
}

void rtc_set_cpus(struct rtc *rtc, unsigned ncpus)
{
	rtc_cmos_set(rtc, RTC_CMOS_CPU_COUNT, ncpus ? (uint8_t)(ncpus - 1) : 0);
}

static bool is_memory_byte(unsigned index)
{
	return index > REG_D && index < RTC_CMOS_SIZE && !is_time_reg(index);
}

void rtc_cmos_set(struct rtc *rtc, unsigned index, uint8_t value)
{
	if (!is_memory_byte(index))
		return;
	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[index] = value;
	pthread_mutex_unlock(&rtc->lock);
}

uint8_t rtc_cmos_get(struct rtc *rtc, unsigned index)
{
	uint8_t v;

	if (!is_memory_byte(index))
		return 0xff;
	pthread_mutex_lock(&rtc->lock);
	v = rtc->cmos[index];
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

void rtc_poll(struct rtc *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	update_flags(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

bool rtc_nmi_masked(struct rtc *rtc)
{
	bool masked;

	pthread_mutex_lock(&rtc->lock);
	masked = rtc->nmi_masked;
	pthread_mutex_unlock(&rtc->lock);
	return masked;
}
