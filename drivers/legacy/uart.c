/* A 16550A UART: register model after the National Semiconductor PC16550D data sheet
 * and QEMU's hw/char/serial.c (so guests see the same device under both VMMs). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "drivers/legacy/uart.h"
#include "lib/util/mem.h"

enum {
	REG_RBR = 0,	/* read: RBR; write: THR; DLAB: DLL */
	REG_IER = 1,	/* DLAB: DLM */
	REG_IIR = 2,	/* write: FCR */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_RLSI	0x04
#define IER_MSI		0x08

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_CTI		0x0c
#define IIR_FIFO_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_KEEP	0xc9	/* enable, DMA mode, trigger level */

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRORS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
#define MSR_DELTAS	0x0f
/* Outside loopback the line looks like a connected terminal. */
#define MSR_CONNECTED	(MSR_DCD | MSR_DSR | MSR_CTS)

struct uart {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct uart_backend be;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head;
	unsigned rx_count;
	uint8_t rbr;		/* last byte read: an empty RBR reads it again */
	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thr_ipending;	/* THRE interrupt armed (cleared by reading IIR or THR write) */
	bool irq_level;		/* what the line was last driven to */
};

/* What an access asks of the back-end, done after the lock is dropped. */
struct uart_effects {
	bool tx;
	uint8_t tx_byte;
	bool rx_ready;
};

static unsigned rx_capacity(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return levels[u->fcr >> 6];
}

/* The IIR interrupt ID of the highest-priority pending condition (data sheet table 4).
 * With no timer, data below the FIFO trigger level is reported as a character timeout
 * at once rather than after four character times; drivers treat both alike. */
static uint8_t pending_iid(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count > 0) {
		if (!(u->fcr & FCR_ENABLE) || u->rx_count >= rx_trigger(u))
			return IIR_RDI;
		return IIR_CTI;
	}
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

/* Drive the line to "an interrupt is pending"; only changes reach the irqchip. */
static void update_irq(struct uart *u)
{
	bool level = pending_iid(u) != IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_set_level(&u->irq, level);
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->lsr &= ~LSR_DR;
}

/* One byte into the receive FIFO (or RBR); a full FIFO drops it and flags overrun. */
static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct uart *u, struct uart_effects *fx)
{
	if (u->rx_count == 0)
		return u->rbr;
	if (u->rx_count == rx_capacity(u))
		fx->rx_ready = true;
	u->rbr = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	if (--u->rx_count == 0)
		u->lsr &= ~LSR_DR;
	return u->rbr;
}

/* Set the modem status lines (high nibble) and latch the deltas the change makes. */
static void set_modem_status(struct uart *u, uint8_t lines)
{
	uint8_t old = u->msr, changed = (old ^ lines) & 0xf0;

	u->msr = (old & MSR_DELTAS) | lines;
	if (changed & MSR_CTS)
		u->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr |= MSR_DDSR;
	if (changed & MSR_DCD)
		u->msr |= MSR_DDCD;
	if ((old & MSR_RI) && !(lines & MSR_RI))
		u->msr |= MSR_TERI;	/* trailing edge only */
}

/* In loopback the modem outputs feed the inputs (data sheet, MCR bit 4). */
static uint8_t loopback_lines(uint8_t mcr)
{
	uint8_t lines = 0;

	if (mcr & MCR_RTS)
		lines |= MSR_CTS;
	if (mcr & MCR_DTR)
		lines |= MSR_DSR;
	if (mcr & MCR_OUT1)
		lines |= MSR_RI;
	if (mcr & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

static void write_thr(struct uart *u, uint8_t v, struct uart_effects *fx)
{
	if (u->mcr & MCR_LOOP) {
		rx_push(u, v);
	} else {
		fx->tx = true;
		fx->tx_byte = v;
	}
	/* Sent at once: the holding register is empty again and says so. */
	u->lsr |= LSR_THRE | LSR_TEMT;
	u->thr_ipending = true;
}

static void write_ier(struct uart *u, uint8_t v)
{
	uint8_t changed = (u->ier ^ v) & 0x0f;

	u->ier = v & 0x0f;
	/* Enabling ETBEI with THR empty raises THRE at once: Linux's 8250 probes for
	 * UARTs that fail to (UART_BUG_THRE) by toggling this bit. */
	if (changed & IER_THRI)
		u->thr_ipending = (u->ier & IER_THRI) && (u->lsr & LSR_THRE);
}

static void write_fcr(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);	/* switching the FIFOs on or off empties them */
	if (v & FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = (v & FCR_ENABLE) ? (v & FCR_KEEP) : 0;
}

static void write_mcr(struct uart *u, uint8_t v)
{
	u->mcr = v & MCR_MASK;
	set_modem_status(u, (u->mcr & MCR_LOOP) ? loopback_lines(u->mcr) : MSR_CONNECTED);
}

static void reg_write(struct uart *u, unsigned reg, uint8_t v, struct uart_effects *fx)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR:
		if (dlab)
			u->dll = v;
		else
			write_thr(u, v, fx);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case REG_IIR:
		write_fcr(u, v);
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		write_mcr(u, v);
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;	/* LSR and MSR are read-only */
	}
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t iid = pending_iid(u);

	/* Reading IIR while it reports THRE is what acknowledges THRE. */
	if (iid == IIR_THRI)
		u->thr_ipending = false;
	return iid | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
}

static uint8_t read_lsr(struct uart *u)
{
	uint8_t v = u->lsr;

	u->lsr &= ~LSR_ERRORS;
	return v;
}

static uint8_t read_msr(struct uart *u)
{
	uint8_t v = u->msr;

	u->msr &= ~MSR_DELTAS;
	return v;
}

static uint8_t reg_read(struct uart *u, unsigned reg, struct uart_effects *fx)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR:
		return dlab ? u->dll : rx_pop(u, fx);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		return read_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return read_lsr(u);
	case REG_MSR:
		return read_msr(u);
	case REG_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

static void apply_effects(struct uart *u, const struct uart_effects *fx)
{
	if (fx->tx && u->be.tx)
		u->be.tx(u->be.opaque, &fx->tx_byte, 1);
	if (fx->rx_ready && u->be.rx_ready)
		u->be.rx_ready(u->be.opaque);
}

/* The registers are bytes; a wider access is a run of byte accesses at consecutive
 * ports, as the ISA bus splits it. */
static uint64_t uart_io_read(void *dev, uint64_t offset, unsigned size)
{
	struct uart *u = dev;
	struct uart_effects fx = { 0 };
	uint64_t v = 0;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint8_t byte = offset + i < UART_IOLEN ? reg_read(u, offset + i, &fx) : 0xff;

		v |= (uint64_t)byte << (8 * i);
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	apply_effects(u, &fx);
	return v;
}

static void uart_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct uart *u = dev;
	struct uart_effects fx = { 0 };

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && i < 8 && offset + i < UART_IOLEN; i++)
		reg_write(u, offset + i, value >> (8 * i), &fx);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	apply_effects(u, &fx);
}

const struct io_ops uart_io_ops = {
	.name = "isa-serial",
	.read = uart_io_read,
	.write = uart_io_write,
};

/* Power-on values as QEMU's serial_reset(): 9600 baud divisor, OUT2 set. */
static void reset_locked(struct uart *u)
{
	rx_clear(u);
	u->rbr = 0;
	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = MCR_OUT2;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_CONNECTED;
	u->scr = 0;
	u->dll = 0x0c;
	u->dlm = 0;
	u->thr_ipending = false;
	update_irq(u);
}

struct uart *uart_new(const struct irq_line *irq, const struct uart_backend *be)
{
	struct uart *u = xzalloc(sizeof(*u));

	pthread_mutex_init(&u->lock, NULL);
	if (irq)
		u->irq = *irq;
	if (be)
		u->be = *be;
	reset_locked(u);
	return u;
}

void uart_free(struct uart *uart)
{
	if (!uart)
		return;
	pthread_mutex_destroy(&uart->lock);
	free(uart);
}

void uart_reset(struct uart *uart)
{
	pthread_mutex_lock(&uart->lock);
	reset_locked(uart);
	pthread_mutex_unlock(&uart->lock);
}

static size_t rx_room_locked(const struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;	/* the serial input is disconnected in loopback */
	return rx_capacity(u) - u->rx_count;
}

size_t uart_receive(struct uart *uart, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&uart->lock);
	n = rx_room_locked(uart);
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		rx_push(uart, buf[i]);
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return n;
}

size_t uart_rx_room(struct uart *uart)
{
	size_t n;

	pthread_mutex_lock(&uart->lock);
	n = rx_room_locked(uart);
	pthread_mutex_unlock(&uart->lock);
	return n;
}

bool uart_isa_defaults(unsigned index, uint16_t *iobase, unsigned *irq)
{
	static const uint16_t bases[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	static const unsigned irqs[4] = { 4, 3, 4, 3 };

	if (index >= 4)
		return false;
	*iobase = bases[index];
	*irq = irqs[index];
	return true;
}
