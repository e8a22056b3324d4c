/* Building the machine from the options. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "qemu-wrap/acpi.h"
#include "qemu-wrap/irqroute.h"
#include "qemu-wrap/machine.h"

/* ---- callbacks from devices (vCPU threads) into the main thread ---- */

static void on_guest_reset(void *opaque)
{
	vm_post_request(&((struct machine *)opaque)->vm, VM_REQ_RESET);
}

static void on_guest_shutdown(void *opaque)
{
	vm_post_request(&((struct machine *)opaque)->vm, VM_REQ_SHUTDOWN);
}

static void on_debug_exit(void *opaque, int status)
{
	struct machine *m = opaque;

	atomic_store(&m->vm.exit_status, status);
	vm_post_request(&m->vm, VM_REQ_EXIT);
}

static void on_panicked(void *opaque)
{
	vm_post_request(&((struct machine *)opaque)->vm, VM_REQ_PANIC);
}

/* The PCI host's MSI delivery when a vector has no irqfd; ctx is the struct vm, as
 * for its INTx irq_set. */
static int msi_send(void *ctx, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			       .data = data };

	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

/* The PCI host's MSI-X fast path: KVM irqfds on GSI routes (irqroute.h). */
static int msi_irqfd_bind(void *ctx, uint64_t addr, uint32_t data, unsigned *route)
{
	return irqroute_irqfd_bind(((struct vm *)ctx)->irqroute, addr, data, route);
}

static int msi_irqfd_update(void *ctx, unsigned route, uint64_t addr, uint32_t data)
{
	return irqroute_irqfd_update(((struct vm *)ctx)->irqroute, route, addr, data);
}

static void msi_irqfd_unbind(void *ctx, unsigned route, int fd)
{
	irqroute_irqfd_unbind(((struct vm *)ctx)->irqroute, route, fd);
}

static int vm_fd_ioctl(void *ctx, unsigned long request, void *arg)
{
	return ioctl(((struct vm *)ctx)->vm_fd, request, arg);
}

static const struct irqroute_ops vm_irqroute_ops = { .vm_ioctl = vm_fd_ioctl };

static struct irq_line irq_for(struct machine *m, unsigned gsi)
{
	return (struct irq_line){ .set = vm_irq_line, .ctx = &m->vm, .gsi = gsi };
}

/* ---- chardevs and monitors ---- */

struct chardev *machine_find_chardev(struct machine *m, const char *id)
{
	for (size_t i = 0; id && i < m->cfg->n_chardevs; i++)
		if (strcmp(m->cfg->chardevs[i].id, id) == 0)
			return m->chardevs[i];
	return NULL;
}

static enum chardev_backend backend_of(enum vmm_chr_backend b)
{
	switch (b) {
	case VMM_CHR_FILE: return CHARDEV_FILE;
	case VMM_CHR_PTY: return CHARDEV_PTY;
	case VMM_CHR_STDIO: return CHARDEV_STDIO;
	case VMM_CHR_SOCKET: return CHARDEV_SOCKET;
	default: return CHARDEV_NULL;
	}
}

static int open_chardevs(struct machine *m, struct err **errp)
{
	m->chardevs = xcalloc(m->cfg->n_chardevs + 1, sizeof(*m->chardevs));
	for (size_t i = 0; i < m->cfg->n_chardevs; i++) {
		const struct vmm_chardev *c = &m->cfg->chardevs[i];
		struct chardev_opts o;

		chardev_opts_init(&o);
		o.backend = backend_of(c->backend);
		o.id = c->id;
		o.path = c->path;
		o.append = c->append;
		o.server = c->server;
		o.wait = c->wait;
		o.fd = c->fd;
		o.signal = c->signal;
		o.logfile = c->logfile;
		o.logappend = c->logappend;
		m->chardevs[i] = chardev_open(&o, m->loop, errp);
		if (!m->chardevs[i])
			return err_wrap(errp, ERR_INVALID, _("-chardev id=%s"), c->id);
	}
	return 0;
}

static int open_monitors(struct machine *m, struct err **errp)
{
	m->qmps = xcalloc(m->cfg->n_monitors + 1, sizeof(*m->qmps));
	for (size_t i = 0; i < m->cfg->n_monitors; i++) {
		struct chardev *chr = machine_find_chardev(m, m->cfg->monitors[i].chardev);

		if (!chr)
			return err_set(errp, ERR_INVALID, _("-mon: no chardev '%s'"),
				       m->cfg->monitors[i].chardev);
		m->qmps[i] = qmp_new(&machine_qmp_ops, m);
		if (qmp_attach_chardev(m->qmps[i], chr, errp) < 0)
			return -1;
	}
	return 0;
}

/* ---- UARTs ---- */

static void uart_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine_uart *mu = opaque;

	if (mu->chr)
		chardev_write(mu->chr, buf, len);
}

static void uart_rx_ready(void *opaque)
{
	struct machine_uart *mu = opaque;

	if (mu->chr)
		chardev_accept_input(mu->chr);
}

static void chr_to_uart(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine_uart *mu = opaque;

	uart_receive(mu->uart, buf, len);
}

static size_t uart_can_receive(void *opaque)
{
	return uart_rx_room(((struct machine_uart *)opaque)->uart);
}

static int add_uart(struct machine *m, unsigned index, const char *chardev_id, struct err **errp)
{
	static const struct chardev_frontend fe = { .receive = chr_to_uart,
						    .can_receive = uart_can_receive };
	struct machine_uart *mu;
	struct uart_backend be;
	struct irq_line irq;
	uint16_t iobase;
	unsigned gsi;

	if (!uart_isa_defaults(index, &iobase, &gsi) || m->uarts[index].uart)
		return err_set(errp, ERR_INVALID, _("isa-serial index %u is not free (0 to 3)"), index);
	mu = &m->uarts[index];
	mu->m = m;
	mu->chr = machine_find_chardev(m, chardev_id);
	if (chardev_id && !mu->chr)
		return err_set(errp, ERR_INVALID, _("isa-serial: no chardev '%s'"), chardev_id);
	be = (struct uart_backend){ .tx = uart_tx, .rx_ready = uart_rx_ready, .opaque = mu };
	irq = irq_for(m, gsi);
	mu->uart = uart_new(&irq, &be);
	if (iobus_register(m->vm.pio, iobase, UART_IOLEN, &uart_io_ops, mu->uart, errp) < 0)
		return -1;
	if (mu->chr && chardev_attach(mu->chr, &fe, mu, errp) < 0)
		return -1;
	if (index + 1 > m->n_uarts)
		m->n_uarts = index + 1;
	return 0;
}

static int add_serials(struct machine *m, struct err **errp)
{
	unsigned next = 0;

	for (size_t i = 0; i < m->cfg->n_serials; i++, next++)
		if (add_uart(m, next, m->cfg->serials[i].chardev, errp) < 0)
			return -1;
	for (size_t i = 0; i < m->cfg->n_devices; i++) {
		const struct vmm_device *d = &m->cfg->devices[i];
		uint64_t index;

		if (strcmp(d->driver, "isa-serial") != 0)
			continue;
		while (next < MACHINE_MAX_UARTS && m->uarts[next].uart)
			next++;
		if (vmm_props_uint(&d->props, "isa-serial", "index", 0, 3, next, &index, errp) < 0 ||
		    add_uart(m, (unsigned)index, vmm_props_get(&d->props, "chardev"), errp) < 0)
			return -1;
	}
	return 0;
}

/* ---- the other devices ---- */

static int add_optional_devices(struct machine *m, struct err **errp)
{
	for (size_t i = 0; i < m->cfg->n_devices; i++) {
		const struct vmm_device *d = &m->cfg->devices[i];

		if (strcmp(d->driver, "isa-debug-exit") == 0) {
			struct debug_exit_config c = { .exit = on_debug_exit, .opaque = m };
			uint64_t base, size;

			if (vmm_props_uint(&d->props, d->driver, "iobase", 0, 0xffff,
					   DEBUG_EXIT_IOBASE, &base, errp) < 0 ||
			    vmm_props_uint(&d->props, d->driver, "iosize", 1, 4, DEBUG_EXIT_IOSIZE,
					   &size, errp) < 0)
				return -1;
			c.iobase = (uint16_t)base;
			c.iosize = (uint16_t)size;
			m->dbg = debug_exit_new(&c);
			if (debug_exit_register(m->dbg, m->vm.pio, errp) < 0)
				return -1;
		} else if (strcmp(d->driver, "pvpanic") == 0) {
			struct pvpanic_config c = { .panicked = on_panicked, .opaque = m };

			m->panic = pvpanic_new(&c);
			if (iobus_register(m->vm.pio, PVPANIC_IOBASE, PVPANIC_IOLEN, &pvpanic_io_ops,
					   m->panic, errp) < 0)
				return -1;
		} else if (strcmp(d->driver, "isa-serial") != 0 && !machine_virtio_driver(d->driver)) {
			return err_set(errp, ERR_UNSUPPORTED,
				       _("-device %s: this vireo-vmm does not provide it yet"), d->driver);
		}
	}
	return 0;
}

static int add_board(struct machine *m, struct err **errp)
{
	struct i8042_config kc = { .kbd_irq = irq_for(m, 1), .aux_irq = irq_for(m, 12),
				   .reset = on_guest_reset, .opaque = m };
	struct rtc_config rc = { .irq = irq_for(m, RTC_IRQ), .localtime = m->cfg->rtc_localtime };
	struct acpi_pm_config pc = { .sci = irq_for(m, ACPI_SCI_IRQ), .shutdown = on_guest_shutdown,
				     .reset = on_guest_reset, .opaque = m };
	struct pci_host_config hc = { .pio = m->vm.pio, .mmio = m->vm.mmio,
				      .irq_set = vm_irq_line, .msi_send = msi_send,
				      .msi_irqfd_bind = msi_irqfd_bind,
				      .msi_irqfd_update = msi_irqfd_update,
				      .msi_irqfd_unbind = msi_irqfd_unbind, .ctx = &m->vm };
	uint64_t low = gmem_low_top(&m->vm.mem);

	m->kbc = i8042_new(&kc);
	if (i8042_register(m->kbc, m->vm.pio, errp) < 0)
		return -1;
	m->rtc = rtc_new(&rc);
	rtc_set_memory(m->rtc, low, m->vm.mem.size - low);
	rtc_set_cpus(m->rtc, m->vm.ncpus);
	if (iobus_register(m->vm.pio, RTC_INDEX_PORT, RTC_IOLEN, &rtc_io_ops, m->rtc, errp) < 0)
		return -1;
	m->pm = acpi_pm_new(&pc);
	if (acpi_pm_register(m->pm, m->vm.pio, errp) < 0)
		return -1;
	m->vm.irqroute = irqroute_new(&vm_irqroute_ops, &m->vm, m->log);
	m->pci = pci_host_new(&hc);
	if (pci_host_register(m->pci, errp) < 0)
		return -1;
	/* PIIX's reset control register shares the conf1 dword. */
	pci_host_set_cf9_handler(m->pci, &acpi_pm_reset_io_ops, m->pm);
	return 0;
}

int machine_load(struct machine *m, struct err **errp)
{
	struct boot_info bi;

	if (!m->cfg->no_acpi && acpi_build(&m->vm.mem, m->vm.ncpus, &m->rsdp_gpa, errp) < 0)
		return -1;
	if (loader_load(&m->vm.mem, m->cfg->kernel, m->cfg->initrd, m->cfg->append, m->rsdp_gpa,
			&bi, errp) < 0 ||
	    vm_set_boot_state(&m->vm, &bi, errp) < 0)
		return -1;
	return 0;
}

static void on_requests(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
			void *data)
{
	struct machine *m = data;

	machine_handle_requests(m, vm_take_requests(&m->vm));
}

int machine_init(struct machine *m, const struct vmm_config *cfg, const struct logger *log,
		 struct evloop *loop, struct err **errp)
{
	memset(m, 0, sizeof(*m));
	m->main_thread = pthread_self();
	m->cfg = cfg;
	m->log = log;
	m->loop = loop;
	m->vm_created = true;	/* vm_destroy() copes with a half-built VM */
	if (vm_create(&m->vm, cfg->smp.cpus, cfg->mem_bytes, errp) < 0)
		return -1;
	if (open_chardevs(m, errp) < 0 || add_board(m, errp) < 0 || add_serials(m, errp) < 0 ||
	    add_optional_devices(m, errp) < 0 || machine_add_virtio(m, errp) < 0 ||
	    machine_load(m, errp) < 0 ||
	    open_monitors(m, errp) < 0)
		return -1;
	pci_host_seal(m->pci);	/* every device is in: what a reset goes back to */
	m->request_src = evloop_add_fd(loop, m->vm.request_fd, EPOLLIN, on_requests, m, errp);
	return m->request_src ? 0 : -1;
}

int machine_start(struct machine *m, struct err **errp)
{
	m->status = m->cfg->start_paused ? MACHINE_PRELAUNCH : MACHINE_RUNNING;
	return vm_start(&m->vm, m->cfg->start_paused, errp);
}

void machine_destroy(struct machine *m)
{
	if (m->vm_created)
		vm_stop_threads(&m->vm);
	machine_pause_virtio(m);	/* device threads leave guest RAM and the PCI host */
	evloop_remove(m->request_src);
	for (size_t i = 0; m->qmps && i < m->cfg->n_monitors; i++)
		qmp_free(m->qmps[i]);
	for (unsigned i = 0; i < MACHINE_MAX_UARTS; i++) {
		if (m->uarts[i].chr)
			chardev_detach(m->uarts[i].chr);
		uart_free(m->uarts[i].uart);
	}
	for (size_t i = 0; m->chardevs && i < m->cfg->n_chardevs; i++)
		chardev_free(m->chardevs[i]);
	free(m->qmps);
	free(m->chardevs);
	/* The host owns the PCI functions: free it before the virtio transports. It
	 * unbinds the functions' irqfds, so the routing table goes after it. */
	pci_host_free(m->pci);
	irqroute_free(m->vm.irqroute);
	m->vm.irqroute = NULL;
	machine_balloon_free(m);	/* its timers use the device */
	machine_free_virtio(m);
	machine_net_free(m);		/* the taps and vhost fds, after their devices */
	i8042_free(m->kbc);
	rtc_free(m->rtc);
	acpi_pm_free(m->pm);
	debug_exit_free(m->dbg);
	pvpanic_free(m->panic);
	if (m->vm_created)
		vm_destroy(&m->vm);
}
