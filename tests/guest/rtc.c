/* rtc.c: the MC146818 CMOS RTC at ports 0x70/0x71. */
#include "tg.h"
#include "io.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_DAY		0x07
#define RTC_MON		0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32
#define REG_A_UIP	0x80
#define REG_B_24H	0x02
#define REG_B_BINARY	0x04

/* Bit 7 of the index port is NMI-disable: always written as 0 (NMIs stay enabled). */
uint8_t cmos_read(uint8_t idx)
{
	outb(CMOS_INDEX, idx & 0x7f);
	return inb(CMOS_DATA);
}

void cmos_write(uint8_t idx, uint8_t v)
{
	outb(CMOS_INDEX, idx & 0x7f);
	outb(CMOS_DATA, v);
}

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year, century;
	uint8_t reg_b;
};

static bool bcd_ok(uint8_t v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static uint8_t from_bcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 0x0f));
}

/* Waits (bounded) for no update in progress, then reads the clock registers. */
static void rtc_read(const struct tg *g, struct rtc_time *t)
{
	struct deadline d;

	deadline_start(&d, g, 20);
	while ((cmos_read(RTC_REG_A) & REG_A_UIP) && !deadline_passed(&d))
		;
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MON);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
	t->reg_b = cmos_read(RTC_REG_B);
}

/* Converts *t to binary in place; returns false when a field is out of range. */
static bool rtc_normalize(struct rtc_time *t)
{
	bool pm = !(t->reg_b & REG_B_24H) && (t->hour & 0x80);
	uint8_t *f[] = { &t->sec, &t->min, &t->hour, &t->day, &t->mon, &t->year };

	t->hour &= 0x7f;
	/* The century register (0x32) is optional: dropped when it does not hold 19..21. */
	if (!(t->reg_b & REG_B_BINARY))
		t->century = bcd_ok(t->century) ? from_bcd(t->century) : 0;
	if (t->century < 19 || t->century > 21)
		t->century = 0;
	if (!(t->reg_b & REG_B_BINARY)) {
		for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			if (!bcd_ok(*f[i]))
				return false;
			*f[i] = from_bcd(*f[i]);
		}
	}
	if (!(t->reg_b & REG_B_24H)) {
		if (t->hour < 1 || t->hour > 12)
			return false;
		t->hour = (uint8_t)(t->hour % 12 + (pm ? 12 : 0));
	}
	return t->sec < 60 && t->min < 60 && t->hour < 24 && t->day >= 1 && t->day <= 31 &&
	       t->mon >= 1 && t->mon <= 12 && t->year < 100;
}

/* The clock is readable when it holds a valid date, or failing that when it ticks. */
bool test_rtc(struct tg *g, char *why, size_t n)
{
	struct rtc_time t, raw;
	uint8_t reg_a = cmos_read(RTC_REG_A), reg_d = cmos_read(RTC_REG_D);
	struct deadline d;

	if (reg_a == 0xff && cmos_read(RTC_REG_B) == 0xff) {
		gsnprintf(why, n, "registers A and B read 0xff: no CMOS");
		return false;
	}
	rtc_read(g, &t);
	raw = t;
	if (rtc_normalize(&t)) {
		gprintf("# rtc %02u%02u-%02u-%02u %02u:%02u:%02u (%s, %s; A 0x%02x B 0x%02x "
			"D 0x%02x)\n", t.century ? t.century : 20, t.year, t.mon, t.day, t.hour,
			t.min, t.sec, t.reg_b & REG_B_BINARY ? "binary" : "bcd",
			t.reg_b & REG_B_24H ? "24h" : "12h", reg_a, t.reg_b, reg_d);
		return true;
	}
	/* Not a valid date: accept a clock whose seconds register changes within ~2 s. */
	deadline_start(&d, g, 2200);
	while (!deadline_passed(&d)) {
		if (cmos_read(RTC_SEC) != raw.sec) {
			gprintf("# rtc: invalid date but the seconds register ticks\n");
			return true;
		}
		delay_ms(g, 10);
	}
	gsnprintf(why, n, "invalid date %02x-%02x-%02x %02x:%02x:%02x (B 0x%02x), no tick in 2 s",
		  raw.year, raw.mon, raw.day, raw.hour, raw.min, raw.sec, raw.reg_b);
	return false;
}
