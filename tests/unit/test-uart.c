/* Unit tests: drivers/legacy/uart (16550A register model) */
#include "tests/unit/unit.h"

#include <pthread.h>

#include "drivers/legacy/uart.h"

#define COM1 0x3f8

struct fake_irq {
	int level;
	int raises;
	int lowers;
};

static int fake_irq_set(void *ctx, unsigned gsi, int level)
{
	struct fake_irq *f = ctx;

	assert_int_equal(gsi, 4);
	if (level && !f->level)
		f->raises++;
	if (!level && f->level)
		f->lowers++;
	f->level = level;
	return 0;
}

struct sink {
	uint8_t data[64];
	size_t len;
	int rx_ready;
};

static void sink_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	for (size_t i = 0; i < len && s->len < sizeof(s->data); i++)
		s->data[s->len++] = buf[i];
}

static void sink_rx_ready(void *opaque)
{
	struct sink *s = opaque;

	s->rx_ready++;
}

struct rig {
	struct fake_irq irq;
	struct sink sink;
	struct uart *uart;
	struct iobus *bus;
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct irq_line line = { .set = fake_irq_set, .ctx = &r->irq, .gsi = 4 };
	struct uart_backend be = { .tx = sink_tx, .rx_ready = sink_rx_ready, .opaque = &r->sink };
	struct err *e = NULL;

	r->uart = uart_new(&line, &be);
	r->bus = iobus_new();
	assert_int_equal(iobus_register(r->bus, COM1, UART_IOLEN, &uart_io_ops, r->uart, &e), 0);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	iobus_free(r->bus);
	uart_free(r->uart);
	free(r);
	return 0;
}

static uint8_t inb(struct rig *r, unsigned reg)
{
	uint64_t v = 0;

	assert_true(iobus_dispatch(r->bus, COM1 + reg, 1, false, &v));
	return v;
}

static void outb(struct rig *r, unsigned reg, uint8_t val)
{
	uint64_t v = val;

	assert_true(iobus_dispatch(r->bus, COM1 + reg, 1, true, &v));
}

static void divisor_latch_hides_thr_and_ier_behind_dlab(void **state)
{
	struct rig *r = *state;

	assert_int_equal(inb(r, 0), 0x00);	/* reads RBR: nothing received yet */
	outb(r, 3, 0x80);			/* DLAB */
	assert_int_equal(inb(r, 0), 0x0c);	/* DLL: 9600 baud at reset */
	assert_int_equal(inb(r, 1), 0x00);
	outb(r, 0, 0x01);			/* 115200 */
	outb(r, 1, 0x00);
	assert_int_equal(inb(r, 0), 0x01);
	assert_int_equal(r->sink.len, 0);	/* a divisor write is not data */
	outb(r, 3, 0x03);			/* 8N1, DLAB off */
	assert_int_equal(inb(r, 3), 0x03);
	assert_int_equal(inb(r, 1), 0x00);	/* IER again */
	outb(r, 1, 0x05);
	outb(r, 3, 0x83);
	assert_int_equal(inb(r, 1), 0x00);	/* DLM, not IER */
	assert_int_equal(inb(r, 0), 0x01);
	outb(r, 3, 0x03);
	assert_int_equal(inb(r, 1), 0x05);
}

static void thr_write_goes_to_tx_and_lsr_says_empty(void **state)
{
	struct rig *r = *state;

	assert_int_equal(inb(r, 5), 0x60);	/* THRE | TEMT, no DR */
	outb(r, 0, 'h');
	outb(r, 0, 'i');
	assert_int_equal(r->sink.len, 2);
	assert_memory_equal(r->sink.data, "hi", 2);
	assert_int_equal(inb(r, 5) & 0x61, 0x60);
}

static void received_bytes_fill_the_fifo_in_order(void **state)
{
	struct rig *r = *state;
	uint8_t in[20];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = 'a' + i;
	outb(r, 2, 0x01);			/* FIFO on */
	assert_int_equal(uart_rx_room(r->uart), 16);
	assert_int_equal(uart_receive(r->uart, in, sizeof(in)), 16);
	assert_int_equal(uart_rx_room(r->uart), 0);
	assert_int_equal(uart_receive(r->uart, in, 1), 0);
	for (unsigned i = 0; i < 16; i++) {
		assert_true(inb(r, 5) & 0x01);
		assert_int_equal(inb(r, 0), 'a' + i);
	}
	assert_false(inb(r, 5) & 0x01);
	assert_false(inb(r, 5) & 0x02);		/* no overrun: the host waited */
	assert_int_equal(r->sink.rx_ready, 1);	/* told once when the full FIFO drained */
	assert_int_equal(inb(r, 0), 'p');	/* an empty RBR repeats the last byte */
}

static void without_fifo_rbr_holds_one_byte(void **state)
{
	struct rig *r = *state;
	const uint8_t in[3] = { 1, 2, 3 };

	assert_int_equal(uart_receive(r->uart, in, 3), 1);
	assert_int_equal(inb(r, 2) & 0xc0, 0);	/* IIR: FIFOs off */
	assert_int_equal(inb(r, 0), 1);
	assert_int_equal(r->sink.rx_ready, 1);
	assert_int_equal(uart_receive(r->uart, in + 1, 2), 1);
	assert_int_equal(inb(r, 0), 2);
}

static void fcr_clears_the_receive_fifo(void **state)
{
	struct rig *r = *state;
	const uint8_t in[4] = { 1, 2, 3, 4 };

	outb(r, 2, 0x01);
	assert_int_equal(uart_receive(r->uart, in, 4), 4);
	outb(r, 2, 0x03);			/* enable + clear RX */
	assert_false(inb(r, 5) & 0x01);
	assert_int_equal(uart_receive(r->uart, in, 4), 4);
	outb(r, 2, 0x00);			/* turning FIFOs off empties them too */
	assert_false(inb(r, 5) & 0x01);
}

static void loopback_returns_sent_bytes_and_mirrors_modem_lines(void **state)
{
	struct rig *r = *state;
	const uint8_t in = 'x';

	outb(r, 2, 0x01);
	/* Linux's 8250 autoconfig: MCR = LOOP | OUT2 | RTS must read MSR 0x90. */
	outb(r, 4, 0x1a);
	assert_int_equal(inb(r, 6) & 0xf0, 0x90);
	assert_int_equal(uart_receive(r->uart, &in, 1), 0);	/* input disconnected */
	outb(r, 0, 'L');
	assert_int_equal(r->sink.len, 0);
	assert_true(inb(r, 5) & 0x01);
	assert_int_equal(inb(r, 0), 'L');
	outb(r, 4, 0x1f);			/* DTR RTS OUT1 OUT2 */
	assert_int_equal(inb(r, 6), 0xf0 | 0x02);	/* DSR rose: DDSR */
	outb(r, 4, 0x1b);			/* OUT1 (RI) falls: trailing edge */
	assert_int_equal(inb(r, 6) & 0x0f, 0x04);
	outb(r, 4, 0x0b);			/* leave loopback */
	assert_int_equal(inb(r, 6) & 0xf0, 0xb0);
	outb(r, 0, 'T');
	assert_int_equal(r->sink.len, 1);
}

static void loopback_overrun_sets_oe_until_lsr_is_read(void **state)
{
	struct rig *r = *state;

	outb(r, 4, 0x10);
	outb(r, 0, 'a');
	outb(r, 0, 'b');			/* no FIFO: RBR already full */
	assert_int_equal(inb(r, 5) & 0x03, 0x03);
	assert_int_equal(inb(r, 5) & 0x03, 0x01);	/* OE cleared by the read */
	assert_int_equal(inb(r, 0), 'a');
}

static void iir_reports_the_highest_priority_interrupt(void **state)
{
	struct rig *r = *state;

	outb(r, 2, 0x81);			/* FIFO, trigger level 8 */
	outb(r, 4, 0x10);			/* loopback */
	assert_int_equal(inb(r, 2), 0xc1);	/* nothing enabled: no interrupt */
	outb(r, 1, 0x0f);
	assert_int_equal(inb(r, 2), 0xc2);	/* THRE */
	assert_int_equal(inb(r, 2), 0xc0);	/* reading IIR acknowledged THRE; MSI left */
	assert_int_equal(inb(r, 6) & 0x0f, 0x0b);	/* loopback entry changed lines */
	assert_int_equal(inb(r, 2), 0xc1);
	outb(r, 0, 1);				/* below trigger: character timeout */
	assert_int_equal(inb(r, 2), 0xcc);
	for (int i = 0; i < 7; i++)
		outb(r, 0, 2);
	assert_int_equal(inb(r, 2), 0xc4);	/* trigger level reached */
	for (int i = 0; i < 9; i++)
		outb(r, 0, 3);			/* 17 bytes: overrun */
	assert_int_equal(inb(r, 2), 0xc6);	/* line status beats data */
	assert_true(inb(r, 5) & 0x02);
	assert_int_equal(inb(r, 2), 0xc4);
	for (int i = 0; i < 16; i++)
		inb(r, 0);
	assert_int_equal(inb(r, 2), 0xc2);	/* the THR writes re-armed THRE */
	assert_int_equal(inb(r, 2), 0xc1);
}

static void irq_line_follows_pending_interrupts(void **state)
{
	struct rig *r = *state;
	const uint8_t in[2] = { 'a', 'b' };

	assert_int_equal(r->irq.level, 0);
	outb(r, 1, 0x01);			/* receive data interrupts */
	assert_int_equal(r->irq.level, 0);
	uart_receive(r->uart, in, 1);
	assert_int_equal(r->irq.level, 1);
	inb(r, 0);
	assert_int_equal(r->irq.level, 0);
	outb(r, 1, 0x03);			/* + THRE: raises at once (THR empty) */
	assert_int_equal(r->irq.level, 1);
	assert_int_equal(inb(r, 2), 0x02);
	assert_int_equal(r->irq.level, 0);	/* acknowledged */
	outb(r, 0, 'z');
	assert_int_equal(r->irq.level, 1);	/* byte sent: THRE again */
	outb(r, 1, 0x01);
	assert_int_equal(r->irq.level, 0);
	assert_int_equal(r->irq.raises, 3);
	assert_int_equal(r->irq.lowers, 3);
}

/* The sequence drivers/tty/serial/8250 runs: scratch test of IER, FIFO detection by
 * IIR bits 7:6, and the THRE re-assertion test. */
static void linux_8250_probe_sees_a_16550a(void **state)
{
	struct rig *r = *state;

	outb(r, 1, 0);
	assert_int_equal(inb(r, 1) & 0x0f, 0);
	outb(r, 1, 0xff);
	assert_int_equal(inb(r, 1), 0x0f);
	outb(r, 1, 0);
	outb(r, 2, 0x01);
	assert_int_equal(inb(r, 2) >> 6, 3);
	outb(r, 7, 0xa5);
	assert_int_equal(inb(r, 7), 0xa5);
	outb(r, 1, 0x02);
	assert_int_equal(inb(r, 2) & 0x0f, 0x02);
	outb(r, 1, 0);
	outb(r, 1, 0x02);
	assert_int_equal(inb(r, 2) & 0x0f, 0x02);	/* re-asserted: no UART_BUG_THRE */
	outb(r, 1, 0);
	assert_int_equal(inb(r, 2) & 0x0f, 0x01);
}

static void hostile_sizes_and_offsets_do_no_harm(void **state)
{
	struct rig *r = *state;
	uint64_t v = 0x4142434445464748ULL;

	/* A word write to THR writes THR then IER, as the ISA bus splits it. */
	assert_true(iobus_dispatch(r->bus, COM1, 2, true, &v));
	assert_int_equal(r->sink.len, 1);
	assert_int_equal(r->sink.data[0], 0x48);
	assert_int_equal(inb(r, 1), 0x47 & 0x0f);
	/* Size 3 and size 8 inside the window are served byte by byte. */
	assert_true(iobus_dispatch(r->bus, COM1 + 5, 3, false, &v));
	assert_int_equal(v & 0xff, 0x60);
	assert_true(iobus_dispatch(r->bus, COM1, 8, false, &v));
	/* Straddling the end, or beyond 8 bytes: not claimed. */
	assert_false(iobus_dispatch(r->bus, COM1 + 6, 4, false, &v));
	assert_false(iobus_dispatch(r->bus, COM1, 16, true, &v));
	assert_false(iobus_dispatch(r->bus, COM1, 0, false, &v));
	/* Called directly with nonsense, the ops table copes. */
	assert_int_equal(uart_io_ops.read(r->uart, 100, 4), 0xffffffff);
	assert_int_equal(uart_io_ops.read(r->uart, 7, 2) >> 8, 0xff);
	uart_io_ops.write(r->uart, UINT64_MAX, 8, 0);
	uart_io_ops.write(r->uart, 6, 1000, 0);
	assert_int_equal(r->sink.len, 1);
}

static void reset_restores_power_on_state(void **state)
{
	struct rig *r = *state;
	const uint8_t in = 1;

	outb(r, 1, 0x01);
	uart_receive(r->uart, &in, 1);
	assert_int_equal(r->irq.level, 1);
	outb(r, 7, 0x55);
	uart_reset(r->uart);
	assert_int_equal(r->irq.level, 0);
	assert_int_equal(inb(r, 1), 0);
	assert_int_equal(inb(r, 7), 0);
	assert_int_equal(inb(r, 5), 0x60);
	assert_int_equal(inb(r, 4), 0x08);
	assert_int_equal(inb(r, 6), 0xb0);
}

static void isa_serial_indexes_map_to_pc_ports(void **state)
{
	uint16_t base;
	unsigned irq;

	assert_true(uart_isa_defaults(0, &base, &irq));
	assert_int_equal(base, 0x3f8);
	assert_int_equal(irq, 4);
	assert_true(uart_isa_defaults(1, &base, &irq));
	assert_int_equal(base, 0x2f8);
	assert_int_equal(irq, 3);
	assert_true(uart_isa_defaults(3, &base, &irq));
	assert_int_equal(base, 0x2e8);
	assert_int_equal(irq, 3);
	assert_false(uart_isa_defaults(4, &base, &irq));
}

static void unconnected_line_and_backend_are_fine(void **state)
{
	struct uart *u = uart_new(NULL, NULL);
	const uint8_t in = 1;

	uart_io_ops.write(u, 1, 1, 0x0f);
	uart_io_ops.write(u, 0, 1, 'x');
	assert_int_equal(uart_receive(u, &in, 1), 1);
	assert_int_equal(uart_io_ops.read(u, 0, 1), 1);
	uart_free(u);
}

#define STREAM_LEN 5000

static void *feeder(void *arg)
{
	struct uart *u = arg;

	for (unsigned sent = 0; sent < STREAM_LEN;) {
		uint8_t chunk[7];
		size_t n = 0;

		for (unsigned i = 0; i < sizeof(chunk) && sent + i < STREAM_LEN; i++, n++)
			chunk[i] = (uint8_t)((sent + i) * 31);
		sent += uart_receive(u, chunk, n);	/* retries what did not fit */
	}
	return NULL;
}

/* The chardev thread feeds while a vCPU drains: nothing lost, nothing reordered. */
static void receive_from_another_thread_keeps_every_byte_in_order(void **state)
{
	struct rig *r = *state;
	pthread_t t;
	unsigned got = 0;

	outb(r, 2, 0x01);
	assert_int_equal(pthread_create(&t, NULL, feeder, r->uart), 0);
	while (got < STREAM_LEN) {
		if (!(inb(r, 5) & 0x01))
			continue;
		assert_int_equal(inb(r, 0), (uint8_t)(got * 31));
		got++;
	}
	pthread_join(t, NULL);
	assert_false(inb(r, 5) & 0x02);			/* never an overrun */
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(divisor_latch_hides_thr_and_ier_behind_dlab),
		T(thr_write_goes_to_tx_and_lsr_says_empty),
		T(received_bytes_fill_the_fifo_in_order),
		T(without_fifo_rbr_holds_one_byte),
		T(fcr_clears_the_receive_fifo),
		T(loopback_returns_sent_bytes_and_mirrors_modem_lines),
		T(loopback_overrun_sets_oe_until_lsr_is_read),
		T(iir_reports_the_highest_priority_interrupt),
		T(irq_line_follows_pending_interrupts),
		T(linux_8250_probe_sees_a_16550a),
		T(hostile_sizes_and_offsets_do_no_harm),
		T(reset_restores_power_on_state),
		T(receive_from_another_thread_keeps_every_byte_in_order),
		cmocka_unit_test(isa_serial_indexes_map_to_pc_ports),
		cmocka_unit_test(unconnected_line_and_backend_are_fine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
