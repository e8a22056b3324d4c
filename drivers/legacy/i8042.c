/* The PS/2 controller, after the Intel 8042 command set as Linux's i8042.c and
 * QEMU's hw/input/pckbd.c use it. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "drivers/legacy/i8042.h"
#include "lib/util/mem.h"

#define STS_OBF		0x01
#define STS_SYS		0x04
#define STS_CMD		0x08	/* the last write went to the command port */
#define STS_UNLOCKED	0x10
#define STS_AUXDATA	0x20

#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40
#define CTR_POWER_ON	(CTR_KBDINT | CTR_AUXINT | CTR_SYS | CTR_XLATE)

#define OUT_RESET	0x01	/* the CPU reset line; low = reset */
#define OUT_A20		0x02
#define OUT_POWER_ON	(OUT_RESET | OUT_A20)

#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_INPUT	0xc0
#define CMD_READ_OUTPUT	0xd0
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_KBD_LOOP	0xd2
#define CMD_AUX_LOOP	0xd3
#define CMD_AUX_SEND	0xd4

#define QUEUE_SIZE	16

struct out_byte {
	uint8_t value;
	bool aux;
};

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_config cfg;
	uint8_t ctr;
	uint8_t outport;
	uint8_t pending;	/* command waiting for its data byte, or 0 */
	bool last_was_cmd;
	uint8_t last_read;	/* an empty output buffer reads the last byte again */
	struct out_byte queue[QUEUE_SIZE];
	unsigned head, count;
	bool kbd_level, aux_level;
};

static void update_irqs(struct i8042 *k)
{
	bool has = k->count > 0, aux = has && k->queue[k->head].aux;
	bool kbd_level = has && !aux && (k->ctr & CTR_KBDINT);
	bool aux_level = aux && (k->ctr & CTR_AUXINT);

	if (kbd_level != k->kbd_level) {
		k->kbd_level = kbd_level;
		irq_set_level(&k->cfg.kbd_irq, kbd_level);
	}
	if (aux_level != k->aux_level) {
		k->aux_level = aux_level;
		irq_set_level(&k->cfg.aux_irq, aux_level);
	}
}

/* Queue a byte for the guest to read from the data port; a full queue drops it. */
static void push(struct i8042 *k, uint8_t value, bool aux)
{
	if (k->count == QUEUE_SIZE)
		return;
	k->queue[(k->head + k->count) % QUEUE_SIZE] = (struct out_byte){ value, aux };
	k->count++;
}

static uint8_t pop(struct i8042 *k)
{
	if (k->count == 0)
		return k->last_read;
	k->last_read = k->queue[k->head].value;
	k->head = (k->head + 1) % QUEUE_SIZE;
	k->count--;
	return k->last_read;
}

static uint8_t status(const struct i8042 *k)
{
	uint8_t s = STS_UNLOCKED;

	if (k->count > 0) {
		s |= STS_OBF;
		if (k->queue[k->head].aux)
			s |= STS_AUXDATA;
	}
	if (k->ctr & CTR_SYS)
		s |= STS_SYS;
	if (k->last_was_cmd)
		s |= STS_CMD;
	return s;
}

/* Commands that answer with one byte; returns false if cmd is not one. */
static bool reply_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		push(k, k->ctr, false);
		return true;
	case CMD_SELF_TEST:
		k->ctr |= CTR_SYS;
		push(k, 0x55, false);
		return true;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		push(k, 0x00, false);	/* interface test passed */
		return true;
	case CMD_READ_INPUT:
		push(k, 0x80, false);	/* keyboard not inhibited */
		return true;
	case CMD_READ_OUTPUT:
		push(k, k->outport, false);
		return true;
	default:
		if (cmd > CMD_READ_CTR && cmd < 0x40) {
			push(k, 0x00, false);	/* controller RAM: nothing kept */
			return true;
		}
		return false;
	}
}

/* A command port write; returns true if it asks for a system reset. */
static bool command(struct i8042 *k, uint8_t cmd)
{
	k->last_was_cmd = true;
	k->pending = 0;
	if (reply_command(k, cmd))
		return false;
	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		return false;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUXDIS;
		return false;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		return false;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBDDIS;
		return false;
	case CMD_WRITE_OUTPUT:
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
	case CMD_AUX_SEND:
		k->pending = cmd;
		return false;
	default:
		if (cmd >= CMD_WRITE_CTR && cmd < 0x80)
			k->pending = cmd;	/* 0x60 CTR, 0x61-0x7f RAM */
		/* 0xf0-0xff pulse output lines low for 6 us; bit 0 is the reset line. */
		return cmd >= 0xf0 && !(cmd & 1);
	}
}

/* A data port write; returns true if it asks for a system reset. */
static bool data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->last_was_cmd = false;
	k->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		return false;
	case CMD_WRITE_OUTPUT:
		k->outport = v;
		return !(v & OUT_RESET);
	case CMD_KBD_LOOP:
		push(k, v, false);
		return false;
	case CMD_AUX_LOOP:
		push(k, v, true);
		return false;
	default:
		return false;	/* to the keyboard, the mouse or controller RAM: nobody */
	}
}

static uint64_t data_read(void *dev, uint64_t offset, unsigned size)
{
	struct i8042 *k = dev;
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	v = pop(k);
	update_irqs(k);
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void data_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct i8042 *k = dev;
	bool reset;

	pthread_mutex_lock(&k->lock);
	reset = data(k, value);
	update_irqs(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->cfg.reset)
		k->cfg.reset(k->cfg.opaque);
}

static uint64_t cmd_read(void *dev, uint64_t offset, unsigned size)
{
	struct i8042 *k = dev;
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	v = status(k);
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void cmd_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct i8042 *k = dev;
	bool reset;

	pthread_mutex_lock(&k->lock);
	reset = command(k, value);
	update_irqs(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->cfg.reset)
		k->cfg.reset(k->cfg.opaque);
}

const struct io_ops i8042_data_io_ops = {
	.name = "i8042-data",
	.read = data_read,
	.write = data_write,
};

const struct io_ops i8042_cmd_io_ops = {
	.name = "i8042-cmd",
	.read = cmd_read,
	.write = cmd_write,
};

static void reset_locked(struct i8042 *k)
{
	k->ctr = CTR_POWER_ON;
	k->outport = OUT_POWER_ON;
	k->pending = 0;
	k->last_was_cmd = false;
	k->last_read = 0;
	k->head = 0;
	k->count = 0;
	update_irqs(k);
}

struct i8042 *i8042_new(const struct i8042_config *cfg)
{
	struct i8042 *k = xzalloc(sizeof(*k));

	pthread_mutex_init(&k->lock, NULL);
	if (cfg)
		k->cfg = *cfg;
	reset_locked(k);
	return k;
}

void i8042_free(struct i8042 *kbc)
{
	if (!kbc)
		return;
	pthread_mutex_destroy(&kbc->lock);
	free(kbc);
}

void i8042_reset(struct i8042 *kbc)
{
	pthread_mutex_lock(&kbc->lock);
	reset_locked(kbc);
	pthread_mutex_unlock(&kbc->lock);
}

int i8042_register(struct i8042 *kbc, struct iobus *bus, struct err **errp)
{
	if (iobus_register(bus, I8042_DATA_PORT, 1, &i8042_data_io_ops, kbc, errp) < 0)
		return -1;
	if (iobus_register(bus, I8042_CMD_PORT, 1, &i8042_cmd_io_ops, kbc, errp) < 0) {
		iobus_unregister(bus, I8042_DATA_PORT, kbc);
		return -1;
	}
	return 0;
}
