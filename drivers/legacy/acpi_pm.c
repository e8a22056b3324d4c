/* ACPI PM1a event/control blocks, PM timer and reset register (ACPI 6.5 4.8.3),
 * after QEMU's hw/acpi/core.c. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "drivers/legacy/acpi_pm.h"
#include "lib/util/mem.h"

#define NS_PER_SEC	INT64_C(1000000000)

/* Offsets inside the region. */
#define OFF_STS		0
#define OFF_EN		2
#define OFF_CNT		4
#define OFF_TMR		8

#define STS_MASK	(ACPI_PM1_TMR | 0x0010 | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
			 ACPI_PM1_SLPBTN | ACPI_PM1_RTC | 0x4000 | ACPI_PM1_WAK_STS)
#define EN_MASK		(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
			 ACPI_PM1_RTC | 0x4000)
/* The events that raise the SCI when enabled. */
#define SCI_EVENTS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
			 ACPI_PM1_RTC)
#define TMR_BITS	24
#define RCR_SYS_RST	0x02
#define RCR_RESET_CPU	0x04

struct acpi_pm {
	pthread_mutex_t lock;
	struct acpi_pm_config cfg;
	uint16_t sts, en, cnt;
	uint8_t rcr;			/* reset control register */
	int64_t start_ns;		/* the timer counts from here */
	uint64_t tmr_epoch;		/* timer value >> 23 when TMR_STS was last updated */
	bool sci_level;
};

/* What an access asks of the machine, done after the lock is dropped. */
enum pm_action { PM_NONE, PM_SHUTDOWN, PM_RESET };

static int64_t now_ns(const struct acpi_pm *pm)
{
	struct timespec ts;

	if (pm->cfg.clock_ns)
		return pm->cfg.clock_ns(pm->cfg.clock_opaque);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* PM timer ticks since start, not yet cut to 24 bits (split so nothing overflows). */
static uint64_t timer_ticks(const struct acpi_pm *pm)
{
	int64_t d = now_ns(pm) - pm->start_ns;

	if (d < 0)
		d = 0;
	return (uint64_t)(d / NS_PER_SEC) * ACPI_PM_TMR_HZ +
	       (uint64_t)(d % NS_PER_SEC) * ACPI_PM_TMR_HZ / NS_PER_SEC;
}

static void update_sci(struct acpi_pm *pm)
{
	bool level = (pm->sts & pm->en & SCI_EVENTS) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_set_level(&pm->cfg.sci, level);
	}
}

/* TMR_STS is set whenever bit 23 of the counter has changed (4.8.3.3); computed when
 * looked at, since the device has no timer of its own. */
static void update_timer_status(struct acpi_pm *pm)
{
	uint64_t epoch = timer_ticks(pm) >> (TMR_BITS - 1);

	if (epoch != pm->tmr_epoch) {
		pm->tmr_epoch = epoch;
		pm->sts |= ACPI_PM1_TMR;
	}
}

static uint64_t pm_read_locked(struct acpi_pm *pm, uint64_t offset, unsigned size)
{
	uint8_t view[ACPI_PM_IOLEN] = { 0 };
	uint32_t tmr = (uint32_t)(timer_ticks(pm) & ((1u << TMR_BITS) - 1));
	uint64_t v = 0;

	update_timer_status(pm);
	view[OFF_STS] = pm->sts;
	view[OFF_STS + 1] = pm->sts >> 8;
	view[OFF_EN] = pm->en;
	view[OFF_EN + 1] = pm->en >> 8;
	view[OFF_CNT] = pm->cnt;
	view[OFF_CNT + 1] = pm->cnt >> 8;
	for (unsigned i = 0; i < 4; i++)
		view[OFF_TMR + i] = tmr >> (8 * i);
	for (unsigned i = 0; i < size && i < 8 && offset + i < ACPI_PM_IOLEN; i++)
		v |= (uint64_t)view[offset + i] << (8 * i);
	return v;
}

static uint64_t pm_read(void *dev, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = dev;
	uint64_t v;

	pthread_mutex_lock(&pm->lock);
	v = pm_read_locked(pm, offset, size);
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	return v;
}

/* The bytes of a 2-byte register at reg that the access [offset, offset + size)
 * writes, merged into old: returns false if the access misses the register. */
static bool write_slice(uint64_t offset, unsigned size, uint64_t value, unsigned reg,
			uint16_t old, uint16_t *out)
{
	uint64_t end = offset + size;

	if (offset >= reg + 2u || end <= reg)
		return false;
	if (offset <= reg)
		*out = io_reg_merge(old, 2, 0, end - reg, value >> ((reg - offset) * 8));
	else
		*out = io_reg_merge(old, 2, offset - reg, end - offset, value);
	return true;
}

static enum pm_action write_cnt(struct acpi_pm *pm, uint16_t v)
{
	unsigned typ = (v & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;

	pm->cnt = v & ~ACPI_PM1_CNT_SLP_EN;	/* SLP_EN is write-only */
	if ((v & ACPI_PM1_CNT_SLP_EN) && typ == ACPI_SLP_TYP_S5)
		return PM_SHUTDOWN;
	return PM_NONE;
}

static enum pm_action pm_write_locked(struct acpi_pm *pm, uint64_t offset, unsigned size,
				      uint64_t value)
{
	uint16_t v;

	if (size > 8 || offset >= ACPI_PM_IOLEN)
		return PM_NONE;
	if (write_slice(offset, size, value, OFF_STS, 0, &v))
		pm->sts &= ~(v & STS_MASK);	/* write 1 to clear */
	if (write_slice(offset, size, value, OFF_EN, pm->en, &v))
		pm->en = v & EN_MASK;
	if (write_slice(offset, size, value, OFF_CNT, pm->cnt, &v))
		return write_cnt(pm, v);
	return PM_NONE;
}

static void run_action(struct acpi_pm *pm, enum pm_action action)
{
	if (action == PM_SHUTDOWN && pm->cfg.shutdown)
		pm->cfg.shutdown(pm->cfg.opaque);
	else if (action == PM_RESET && pm->cfg.reset)
		pm->cfg.reset(pm->cfg.opaque);
}

static void pm_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct acpi_pm *pm = dev;
	enum pm_action action;

	pthread_mutex_lock(&pm->lock);
	action = pm_write_locked(pm, offset, size, value);
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	run_action(pm, action);
}

const struct io_ops acpi_pm_io_ops = {
	.name = "acpi-pm",
	.read = pm_read,
	.write = pm_write,
};

static uint64_t reset_read(void *dev, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = dev;
	uint8_t v;

	pthread_mutex_lock(&pm->lock);
	v = pm->rcr;
	pthread_mutex_unlock(&pm->lock);
	return offset == 0 ? v : 0;
}

/* PIIX reset control: bit 2 resets (the FADT's value 0x06 sets it); bit 1 chooses a
 * hard reset and is kept. */
static void reset_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct acpi_pm *pm = dev;

	if (offset != 0)
		return;
	pthread_mutex_lock(&pm->lock);
	pm->rcr = value & RCR_SYS_RST;
	pthread_mutex_unlock(&pm->lock);
	if (value & RCR_RESET_CPU)
		run_action(pm, PM_RESET);
}

const struct io_ops acpi_pm_reset_io_ops = {
	.name = "acpi-reset",
	.read = reset_read,
	.write = reset_write,
};

static void reset_locked(struct acpi_pm *pm)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = ACPI_PM1_CNT_SCI_EN;
	pm->rcr = 0;
	pm->tmr_epoch = timer_ticks(pm) >> (TMR_BITS - 1);
	update_sci(pm);
}

struct acpi_pm *acpi_pm_new(const struct acpi_pm_config *cfg)
{
	struct acpi_pm *pm = xzalloc(sizeof(*pm));

	pthread_mutex_init(&pm->lock, NULL);
	if (cfg)
		pm->cfg = *cfg;
	pm->start_ns = now_ns(pm);
	reset_locked(pm);
	return pm;
}

void acpi_pm_free(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	reset_locked(pm);
	pthread_mutex_unlock(&pm->lock);
}

bool acpi_pm_press_power_button(struct acpi_pm *pm)
{
	bool enabled;

	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN;
	enabled = pm->en & ACPI_PM1_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	return enabled;
}

int acpi_pm_register(struct acpi_pm *pm, struct iobus *bus, struct err **errp)
{
	return iobus_register(bus, ACPI_PM_IOBASE, ACPI_PM_IOLEN, &acpi_pm_io_ops, pm, errp);
}
