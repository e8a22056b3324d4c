/* A 16550A UART (isa-serial).
 *
 * Eight byte-wide registers at iobase (COM1 0x3f8 IRQ 4, COM2 0x2f8 IRQ 3, COM3 0x3e8
 * IRQ 4, COM4 0x2e8 IRQ 3), with 16-byte FIFOs, the divisor latch, loopback and the
 * interrupt priorities of the data sheet, close enough for Linux's 8250 driver (it
 * detects a 16550A) and for a guest that polls LSR. The transmitter is infinitely
 * fast: a byte written to THR goes straight to the back-end's tx(), so THRE and TEMT
 * read as 1 again at once and the THRE interrupt is re-armed.
 *
 * The interrupt line follows the pending-interrupt condition (IIR bit 0 clear): it
 * rises when one appears and falls when none is left, as on a PC. As in QEMU, MCR
 * OUT2 does not gate it, so a guest behaves the same under both VMMs.
 *
 * Threads: register accesses come from vCPU threads, uart_receive() from the
 * chardev's thread; the state is behind a mutex. The back-end callbacks run without
 * it held, so they may call back into the UART. */
#ifndef VIREO_DRIVERS_LEGACY_UART_H
#define VIREO_DRIVERS_LEGACY_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/bus/iobus.h"
#include "drivers/irq.h"

#define UART_IOLEN	8	/* ports per UART */
#define UART_FIFO_SIZE	16

struct uart_backend {
	/* Bytes the guest transmitted (not called in loopback mode). */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/* Optional: the receive FIFO drained; uart_receive() has room again. */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

struct uart;

/* A UART in its power-on state, raising irq (may be unconnected) and sending to be
 * (copied; its callbacks may be NULL). Never fails. */
struct uart *uart_new(const struct irq_line *irq, const struct uart_backend *be);
void uart_free(struct uart *uart);

/* Back to the power-on state (system_reset); lowers the interrupt line. */
void uart_reset(struct uart *uart);

/* Queue received bytes; returns how many were taken (0 when the FIFO is full or in
 * loopback mode). The caller keeps the rest and retries after rx_ready(). */
size_t uart_receive(struct uart *uart, const uint8_t *buf, size_t len);

/* How many bytes uart_receive() would take now. */
size_t uart_rx_room(struct uart *uart);

/* isa-serial index 0..3 -> its iobase and IRQ. Returns false for other indexes. */
bool uart_isa_defaults(unsigned index, uint16_t *iobase, unsigned *irq);

/* For iobus_register(bus, iobase, UART_IOLEN, &uart_io_ops, uart, errp). */
extern const struct io_ops uart_io_ops;

#endif
