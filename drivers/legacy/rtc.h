/* The CMOS real-time clock (MC146818A) and its 128 bytes of CMOS memory.
 *
 * Index port RTC_INDEX_PORT (bit 7 of the index masks NMI), data port
 * RTC_DATA_PORT. The time registers follow the host's wall clock in UTC (or local
 * time, rtc_config.localtime), plus an
 * offset the guest changes by writing them (hwclock --systohc); register B picks
 * BCD or binary and 24 or 12 hour format for reads and writes. Register A's UIP bit
 * is set for the last 244 us of every second, as on the chip, which is what Linux's
 * mc146818_get_time() waits out; register B's SET bit freezes the time while the
 * guest writes it; register D reads 0x80 (valid RAM and time).
 *
 * Interrupts: there is no timer inside the device. The update-ended, alarm and
 * periodic flags of register C are brought up to date whenever the guest reads C
 * and when the machine calls rtc_poll() (from a timer, e.g. every 100 ms, if it wants
 * IRQ 8 delivered); an enabled flag raises the line, reading C lowers it.
 *
 * The machine fills in the memory-size bytes SeaBIOS and Linux read
 * (rtc_set_memory, rtc_set_cpus); the century byte is RTC_CMOS_CENTURY. */
#ifndef VIREO_DRIVERS_LEGACY_RTC_H
#define VIREO_DRIVERS_LEGACY_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/bus/iobus.h"
#include "drivers/irq.h"

#define RTC_INDEX_PORT	0x70
#define RTC_DATA_PORT	0x71
#define RTC_IOLEN	2	/* register at RTC_INDEX_PORT */
#define RTC_IRQ		8
#define RTC_CMOS_SIZE	128

/* CMOS memory layout (IBM PC/AT, plus the bytes SeaBIOS reads). */
#define RTC_CMOS_BASE_MEM_LO	0x15	/* base memory in KiB (640) */
#define RTC_CMOS_BASE_MEM_HI	0x16
#define RTC_CMOS_EXT_MEM_LO	0x17	/* memory above 1 MiB in KiB, at most 65535 */
#define RTC_CMOS_EXT_MEM_HI	0x18
#define RTC_CMOS_EXT_MEM2_LO	0x30	/* the same again */
#define RTC_CMOS_EXT_MEM2_HI	0x31
#define RTC_CMOS_CENTURY	0x32	/* the FADT's century field points here */
#define RTC_CMOS_MEM_16M_LO	0x34	/* memory above 16 MiB below 4 GiB, 64 KiB units */
#define RTC_CMOS_MEM_16M_HI	0x35
#define RTC_CMOS_MEM_4G_LO	0x5b	/* memory above 4 GiB, 64 KiB units, 3 bytes */
#define RTC_CMOS_MEM_4G_MID	0x5c
#define RTC_CMOS_MEM_4G_HI	0x5d
#define RTC_CMOS_CPU_COUNT	0x5f	/* number of CPUs - 1 (SeaBIOS) */

struct rtc_config {
	struct irq_line irq;		/* IRQ 8 (optional) */
	/* Host wall-clock time in ns since the epoch; NULL means CLOCK_REALTIME. */
	int64_t (*clock_ns)(void *opaque);
	void *clock_opaque;
	/* -rtc base=localtime: start at the host's local time (its UTC offset when the
	 * clock is created; later DST changes are not followed), not UTC. */
	bool localtime;
};

struct rtc;

/* A clock showing the host's UTC time, 24-hour BCD mode; cfg is copied (may be
 * NULL). Never fails. */
struct rtc *rtc_new(const struct rtc_config *cfg);
void rtc_free(struct rtc *rtc);

/* What the chip's RESET pin does (system_reset): interrupt enables and flags clear;
 * the time, the index and the CMOS memory stay. */
void rtc_reset(struct rtc *rtc);

/* Fill in the memory-size bytes for ram_below_4g and ram_above_4g bytes of RAM. */
void rtc_set_memory(struct rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g);
/* Fill in the CPU count byte (1..256). */
void rtc_set_cpus(struct rtc *rtc, unsigned ncpus);

/* Raw CMOS memory access for the machine; the clock registers (0x00-0x0d and the
 * century) and indexes beyond 127 are refused (write ignored, read 0xff). */
void rtc_cmos_set(struct rtc *rtc, unsigned index, uint8_t value);
uint8_t rtc_cmos_get(struct rtc *rtc, unsigned index);

/* Bring register C's flags up to date and raise IRQ 8 for an enabled one. */
void rtc_poll(struct rtc *rtc);

/* True if the guest last wrote the index with bit 7 set (NMI masked). */
bool rtc_nmi_masked(struct rtc *rtc);

/* For iobus_register(bus, RTC_INDEX_PORT, RTC_IOLEN, &rtc_io_ops, rtc, errp). */
extern const struct io_ops rtc_io_ops;

#endif
