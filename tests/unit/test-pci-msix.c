/* Unit tests: drivers/bus/pci_msix.c's signal path: irqfds bound, re-routed and left
 * alone as the guest programs, masks and unmasks vectors; the PBA; the msi_send
 * fallback; signalling from several threads while a vCPU masks. The machine's irqfd
 * hooks are faked with real eventfds, so every delivery is a countable write. */
#include "tests/unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/bus/pci.h"

#define DEVFN		PCI_DEVFN(5, 0)
#define NVEC		4
#define CAP		0x40		/* the MSI-X capability: the function's first */
#define CTRL		(CAP + 2)
#define PBA_OFF		0x800
#define MAX_FDS		8

struct fake_machine {
	pthread_mutex_t lock;		/* msi_send may come from the signalling threads */
	unsigned msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool refuse_bind, refuse_update;
	unsigned binds, updates, unbinds;
	int fd[MAX_FDS];		/* by route */
	uint64_t addr[MAX_FDS];
	uint32_t data[MAX_FDS];
};

static int machine_msi_send(void *ctx, uint64_t addr, uint32_t data)
{
	struct fake_machine *m = ctx;

	pthread_mutex_lock(&m->lock);
	m->msis++;
	m->msi_addr = addr;
	m->msi_data = data;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int machine_irqfd_bind(void *ctx, uint64_t addr, uint32_t data, unsigned *route)
{
	struct fake_machine *m = ctx;
	unsigned i = m->binds;

	if (m->refuse_bind)
		return -1;
	assert_true(i < MAX_FDS);
	m->fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(m->fd[i] >= 0);
	m->addr[i] = addr;
	m->data[i] = data;
	m->binds++;
	*route = i;
	return m->fd[i];
}

static int machine_irqfd_update(void *ctx, unsigned route, uint64_t addr, uint32_t data)
{
	struct fake_machine *m = ctx;

	assert_true(route < m->binds);
	if (m->refuse_update)
		return -1;
	m->updates++;
	m->addr[route] = addr;
	m->data[route] = data;
	return 0;
}

static void machine_irqfd_unbind(void *ctx, unsigned route, int fd)
{
	struct fake_machine *m = ctx;

	assert_true(route < m->binds);
	assert_int_equal(m->fd[route], fd);
	close(fd);
	m->fd[route] = -1;
	m->unbinds++;
}

struct rig {
	struct fake_machine machine;
	struct iobus *pio, *mmio;
	struct pci_host *host;
	struct pci_dev *dev;
	uint64_t table;			/* where BAR 1 (table, then PBA) is */
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct pci_host_config cfg;
	struct err *e = NULL;
	const struct pci_id id = { .vendor = 0x1af4, .device = 0x1042, .class_code = 0x010000,
				   .intx_pin = 1 };

	pthread_mutex_init(&r->machine.lock, NULL);
	r->pio = iobus_new();
	r->mmio = iobus_new();
	cfg = (struct pci_host_config){ .pio = r->pio, .mmio = r->mmio,
					.msi_send = machine_msi_send,
					.msi_irqfd_bind = machine_irqfd_bind,
					.msi_irqfd_update = machine_irqfd_update,
					.msi_irqfd_unbind = machine_irqfd_unbind,
					.ctx = &r->machine };
	r->host = pci_host_new(&cfg);
	assert_int_equal(pci_host_register(r->host, &e), 0);
	r->dev = pci_dev_add(r->host, DEVFN, "virtio-blk-pci", &id, &e);
	assert_non_null(r->dev);
	assert_int_equal(pci_dev_add_bar(r->dev, 1, 0x1000, false, NULL, NULL, &e), 0);
	assert_int_equal(pci_msix_init(r->dev, NVEC, 1, 0, PBA_OFF, &e), 0);
	assert_int_equal(pci_dev_find_cap(r->dev, PCIY_MSIX), CAP);
	r->table = pci_dev_bar_addr(r->dev, 1);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	pci_host_free(r->host);
	/* Every irqfd the function had is unbound (and closed) with it. */
	assert_int_equal(r->machine.unbinds, r->machine.binds);
	iobus_free(r->pio);
	iobus_free(r->mmio);
	pthread_mutex_destroy(&r->machine.lock);
	free(r);
	return 0;
}

static uint64_t in(struct iobus *bus, uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	iobus_dispatch(bus, addr, size, false, &v);
	return v;
}

static void out(struct iobus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	iobus_dispatch(bus, addr, size, true, &value);
}

static void cfg_write(struct rig *r, unsigned reg, unsigned size, uint32_t v)
{
	out(r->pio, 0xcf8, 4, 0x80000000u | DEVFN << 8 | (reg & 0xfc));
	out(r->pio, 0xcfc + (reg & 3), size, v);
}

/* What the guest's driver does: address, data, then the mask bit. */
static void program(struct rig *r, unsigned v, uint64_t addr, uint32_t data, bool masked)
{
	uint64_t e = r->table + v * 16;

	out(r->mmio, e, 8, addr);
	out(r->mmio, e + 8, 4, data);
	out(r->mmio, e + 12, 4, masked);
}

static void mask(struct rig *r, unsigned v, bool masked)
{
	out(r->mmio, r->table + v * 16 + 12, 4, masked);
}

static uint64_t pba(struct rig *r)
{
	return in(r->mmio, r->table + PBA_OFF, 8);
}

/* Deliveries through fd since the last look (the eventfd counter, then reset). */
static uint64_t fired(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;		/* EAGAIN: nothing */
	return n;
}

static void unmasked_vectors_fire_their_irqfd_without_msi_send(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	program(r, 1, 0xfee01000, 0x4041, false);
	assert_int_equal(m->binds, 0);			/* MSI-X is off: no route yet */
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_true(pci_msix_enabled(r->dev));
	assert_int_equal(m->binds, 1);			/* only the unmasked vector */
	assert_int_equal(m->addr[0], 0xfee01000);
	assert_int_equal(m->data[0], 0x4041);
	assert_int_equal(pci_msix_notify(r->dev, 1), 1);
	assert_int_equal(pci_msix_notify(r->dev, 1), 1);
	assert_int_equal(fired(m->fd[0]), 2);
	assert_int_equal(m->msis, 0);
	/* Still masked: pended, not sent. No vector 0xffff (VIRTIO_MSI_NO_VECTOR). */
	assert_int_equal(pci_msix_notify(r->dev, 0), 0);
	assert_int_equal(pba(r), 1);
	assert_int_equal(pci_msix_notify(r->dev, 0xffff), -1);
	assert_int_equal(m->msis, 0);
	assert_int_equal(fired(m->fd[0]), 0);
}

static void masked_vectors_pend_and_unmasking_fires_once(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	program(r, 2, 0xfee00000, 0x4022, false);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(m->binds, 1);
	/* The vector's own mask bit. */
	mask(r, 2, true);
	assert_int_equal(pci_msix_notify(r->dev, 2), 0);
	assert_int_equal(pci_msix_notify(r->dev, 2), 0);
	assert_int_equal(fired(m->fd[0]), 0);
	assert_int_equal(pba(r), 1u << 2);
	mask(r, 2, false);
	assert_int_equal(fired(m->fd[0]), 1);		/* one message for the pending bit */
	assert_int_equal(pba(r), 0);
	/* The function mask. */
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_MASKALL);
	assert_int_equal(pci_msix_notify(r->dev, 2), 0);
	assert_int_equal(fired(m->fd[0]), 0);
	assert_int_equal(pba(r), 1u << 2);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(fired(m->fd[0]), 1);
	assert_int_equal(pba(r), 0);
	/* Unmasking with nothing pending sends nothing. */
	mask(r, 2, true);
	mask(r, 2, false);
	assert_int_equal(fired(m->fd[0]), 0);
	/* MSI-X off: pended too; the irqfd stays bound and is used again when on. */
	cfg_write(r, CTRL, 2, 0);
	assert_false(pci_msix_enabled(r->dev));
	assert_int_equal(pci_msix_notify(r->dev, 2), 0);
	assert_int_equal(fired(m->fd[0]), 0);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(fired(m->fd[0]), 1);
	assert_int_equal(m->binds, 1);
	assert_int_equal(m->updates, 0);
	assert_int_equal(m->msis, 0);
}

static void rewriting_an_entry_reroutes_its_irqfd(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	program(r, 3, 0xfee00000, 0x4030, false);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	out(r->mmio, r->table + 3 * 16 + 8, 4, 0x4031);	/* new data while live */
	assert_int_equal(m->updates, 1);
	assert_int_equal(m->data[0], 0x4031);
	assert_int_equal(pci_msix_notify(r->dev, 3), 1);
	assert_int_equal(fired(m->fd[0]), 1);
	/* Rewritten while masked (as Linux does): one update, at the unmask. */
	mask(r, 3, true);
	out(r->mmio, r->table + 3 * 16, 8, 0xfee02000);
	out(r->mmio, r->table + 3 * 16 + 8, 4, 0x4032);
	assert_int_equal(m->updates, 1);
	mask(r, 3, false);
	assert_int_equal(m->updates, 2);
	assert_int_equal(m->addr[0], 0xfee02000);
	assert_int_equal(m->data[0], 0x4032);
	assert_int_equal(m->binds, 1);
	/* Back to the routed message after a masked detour: no update needed. */
	mask(r, 3, true);
	out(r->mmio, r->table + 3 * 16 + 8, 4, 0x4099);
	out(r->mmio, r->table + 3 * 16 + 8, 4, 0x4032);
	mask(r, 3, false);
	assert_int_equal(m->updates, 2);
}

static void without_irqfds_vectors_go_through_msi_send(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	m->refuse_bind = true;
	program(r, 0, 0xfee00000, 0x4020, false);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(pci_msix_notify(r->dev, 0), 1);
	assert_int_equal(m->msis, 1);
	assert_true(m->msi_addr == 0xfee00000 && m->msi_data == 0x4020);
	mask(r, 0, true);
	assert_int_equal(pci_msix_notify(r->dev, 0), 0);
	assert_int_equal(m->msis, 1);
	mask(r, 0, false);				/* the pending one */
	assert_int_equal(m->msis, 2);
	/* A bind that works later is used from then on. */
	m->refuse_bind = false;
	mask(r, 0, true);
	mask(r, 0, false);
	assert_int_equal(m->binds, 1);
	assert_int_equal(pci_msix_notify(r->dev, 0), 1);
	assert_int_equal(fired(m->fd[0]), 1);
	/* A refused re-route: the new message goes through msi_send. */
	m->refuse_update = true;
	out(r->mmio, r->table + 8, 4, 0x4021);
	assert_int_equal(pci_msix_notify(r->dev, 0), 1);
	assert_int_equal(fired(m->fd[0]), 0);
	assert_int_equal(m->msis, 3);
	assert_int_equal(m->msi_data, 0x4021);
	m->refuse_update = false;
	out(r->mmio, r->table + 8, 4, 0x4022);
	assert_int_equal(pci_msix_notify(r->dev, 0), 1);
	assert_int_equal(fired(m->fd[0]), 1);
	assert_int_equal(m->data[0], 0x4022);
}

/* A machine reset masks every vector at once (its irqfd stays bound but silent) and
 * forgets what was pending: nothing from before the reset reaches the new guest. */
static void reset_masks_every_vector_and_forgets_what_was_pending(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	pci_host_seal(r->host);
	program(r, 1, 0xfee01000, 0x4041, false);
	program(r, 2, 0xfee02000, 0x4042, true);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(pci_msix_notify(r->dev, 2), 0);
	assert_int_equal(pba(r), 1u << 2);
	assert_int_equal(pci_msix_irqfd(r->dev, 1), m->fd[0]);

	pci_host_reset(r->host);
	assert_false(pci_msix_enabled(r->dev));
	assert_int_equal(pci_config_get(r->dev, CTRL, 2), NVEC - 1);
	assert_int_equal(in(r->mmio, r->table + 16, 8), 0);
	assert_int_equal(in(r->mmio, r->table + 24, 4), 0);
	assert_int_equal(in(r->mmio, r->table + 28, 4), 1);
	assert_int_equal(pba(r), 0);
	assert_int_equal(pci_msix_irqfd(r->dev, 1), -1);
	assert_int_equal(pci_msix_notify(r->dev, 1), 0);	/* pends, is not sent */
	assert_int_equal(fired(m->fd[0]), 0);
	assert_int_equal(pba(r), 1u << 1);
	/* MSI-X back on: the entries are still masked, so nothing goes out. */
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	assert_int_equal(pci_msix_irqfd(r->dev, 1), -1);
	assert_int_equal(fired(m->fd[0]), 0);
	/* Vector 2's bit from before the reset is gone: its unmask sends nothing. */
	program(r, 2, 0xfee02000, 0x4042, false);
	assert_int_equal(m->binds, 2);
	assert_int_equal(fired(m->fd[1]), 0);
	/* The new guest's vector 1 reuses the irqfd, re-routed, and gets its own bit. */
	program(r, 1, 0xfee03000, 0x4043, false);
	assert_int_equal(m->binds, 2);
	assert_int_equal(m->updates, 1);
	assert_int_equal(m->addr[0], 0xfee03000);
	assert_int_equal(fired(m->fd[0]), 1);
	assert_int_equal(m->msis, 0);
}

/* ---- threads ---- */

struct signaller {
	struct rig *r;
	bool stop;
	unsigned long sent, pended;
};

static void *signal_loop(void *arg)
{
	struct signaller *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int rc = pci_msix_notify(s->r->dev, 1);

		__atomic_fetch_add(rc == 1 ? &s->sent : &s->pended, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Once the guest's mask write has returned, no thread may deliver the vector: what
 * they signal lands in the PBA and comes out, once, at the unmask. */
static void masking_while_threads_signal_never_lets_an_interrupt_through(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;
	struct signaller s = { .r = r };
	pthread_t t[2];
	unsigned leaks = 0, pended = 0;

	program(r, 1, 0xfee00000, 0x4041, false);
	cfg_write(r, CTRL, 2, PCIM_MSIXCTRL_ENABLE);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, signal_loop, &s), 0);
	for (unsigned round = 0; round < 1000; round++) {
		mask(r, 1, true);
		fired(m->fd[0]);			/* sent before the mask: fine */
		usleep(100);			/* the signallers run on */
		leaks += fired(m->fd[0]) != 0;
		pended += (pba(r) & 2) != 0;
		mask(r, 1, false);
	}
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(leaks, 0);
	assert_true(pended > 0);			/* the threads did race the masks */
	assert_true(s.sent > 0 && s.pended > 0);
	assert_int_equal(pba(r), 0);			/* nothing stuck after the last unmask */
	assert_int_equal(m->msis, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(unmasked_vectors_fire_their_irqfd_without_msi_send),
		T(masked_vectors_pend_and_unmasking_fires_once),
		T(rewriting_an_entry_reroutes_its_irqfd),
		T(without_irqfds_vectors_go_through_msi_send),
		T(reset_masks_every_vector_and_forgets_what_was_pending),
		T(masking_while_threads_signal_never_lets_an_interrupt_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
