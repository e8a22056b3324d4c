/* Unit tests: drivers/bus/pci (conf1, functions, BARs, INTx, capabilities, MSI-X) */
#include "tests/unit/unit.h"

#include "drivers/bus/pci.h"

struct fake_machine {
	int gsi_level[24];
	int gsi_changes;
	unsigned msis;
	uint64_t msi_addr;
	uint32_t msi_data;
};

static int machine_irq_set(void *ctx, unsigned gsi, int level)
{
	struct fake_machine *m = ctx;

	assert_true(gsi < 24);
	m->gsi_level[gsi] = level;
	m->gsi_changes++;
	return 0;
}

static int machine_msi_send(void *ctx, uint64_t addr, uint32_t data)
{
	struct fake_machine *m = ctx;

	m->msis++;
	m->msi_addr = addr;
	m->msi_data = data;
	return 0;
}

/* A device behind a BAR: remembers writes, answers reads with 0xd0 + offset. */
struct fake_dev {
	unsigned reads, writes;
	uint64_t last_offset, last_value;
	unsigned updates;
	unsigned last_vector;
	unsigned remaps;
	uint64_t last_remap;
};

static uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_offset = offset;
	return 0xd0 + offset;
}

static void dev_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_offset = offset;
	d->last_value = value;
}

static const struct io_ops dev_ops = { .name = "fake", .read = dev_read, .write = dev_write };

static void dev_msix_update(void *opaque, struct pci_dev *dev, unsigned vector)
{
	struct fake_dev *d = opaque;

	d->updates++;
	d->last_vector = vector;
}

static void dev_bar_remapped(void *opaque, struct pci_dev *dev, unsigned bar, uint64_t addr)
{
	struct fake_dev *d = opaque;

	d->remaps++;
	d->last_remap = addr;
}

static const struct pci_dev_ops fake_pci_ops = { .msix_update = dev_msix_update,
						 .bar_remapped = dev_bar_remapped };

struct rig {
	struct fake_machine machine;
	struct fake_dev dev;
	struct iobus *pio, *mmio;
	struct pci_host *host;
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct pci_host_config cfg;
	struct err *e = NULL;

	r->pio = iobus_new();
	r->mmio = iobus_new();
	cfg = (struct pci_host_config){ .pio = r->pio, .mmio = r->mmio,
					.irq_set = machine_irq_set,
					.msi_send = machine_msi_send, .ctx = &r->machine };
	r->host = pci_host_new(&cfg);
	assert_int_equal(pci_host_register(r->host, &e), 0);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	pci_host_free(r->host);
	assert_int_equal(iobus_count(r->pio), 0);	/* everything unregistered */
	assert_int_equal(iobus_count(r->mmio), 0);
	iobus_free(r->pio);
	iobus_free(r->mmio);
	free(r);
	return 0;
}

static uint64_t in(struct iobus *bus, uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	if (!iobus_dispatch(bus, addr, size, false, &v))
		return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
	return v;
}

static void out(struct iobus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	iobus_dispatch(bus, addr, size, true, &value);
}

static uint32_t cfg_read(struct rig *r, unsigned devfn, unsigned reg, unsigned size)
{
	out(r->pio, 0xcf8, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	return in(r->pio, 0xcfc + (reg & 3), size);
}

static void cfg_write(struct rig *r, unsigned devfn, unsigned reg, unsigned size, uint32_t v)
{
	out(r->pio, 0xcf8, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	out(r->pio, 0xcfc + (reg & 3), size, v);
}

static const struct pci_id virtio_net_id = {
	.vendor = 0x1af4, .device = 0x1041, .subsystem_vendor = 0x1af4, .subsystem = 0x1100,
	.class_code = 0x020000, .revision = 1, .intx_pin = 1,
};

static struct pci_dev *add_fake(struct rig *r, int devfn)
{
	struct err *e = NULL;
	struct pci_dev *dev = pci_dev_add(r->host, devfn, "virtio-net-pci", &virtio_net_id, &e);

	assert_non_null(dev);
	pci_dev_set_ops(dev, &fake_pci_ops, &r->dev);
	return dev;
}

static void conf1_reads_the_host_bridge(void **state)
{
	struct rig *r = *state;

	/* Linux's pci_check_type1(): a byte at 0xcfb must not disturb the dword. */
	out(r->pio, 0xcfb, 1, 0x01);
	out(r->pio, 0xcf8, 4, 0x80000000u);
	assert_int_equal(in(r->pio, 0xcf8, 4), 0x80000000u);
	assert_int_equal(cfg_read(r, 0, 0x00, 4), 0x12378086);
	assert_int_equal(cfg_read(r, 0, 0x00, 2), 0x8086);
	assert_int_equal(cfg_read(r, 0, 0x02, 2), 0x1237);
	assert_int_equal(cfg_read(r, 0, 0x0a, 2), 0x0600);	/* host bridge */
	assert_int_equal(cfg_read(r, 0, 0x0b, 1), 0x06);
	assert_int_equal(cfg_read(r, 0, 0x08, 1), 0x02);
	assert_int_equal(cfg_read(r, 0, 0x0e, 1), 0x00);
	/* The vendor ID is read-only. */
	cfg_write(r, 0, 0x00, 4, 0);
	assert_int_equal(cfg_read(r, 0, 0x00, 2), 0x8086);
	/* Without the enable bit the data window reads all ones. */
	out(r->pio, 0xcf8, 4, 0x00000000);
	assert_int_equal(in(r->pio, 0xcfc, 4), 0xffffffffu);
}

static void unclaimed_functions_read_all_ones(void **state)
{
	struct rig *r = *state;

	assert_int_equal(cfg_read(r, PCI_DEVFN(5, 0), 0x00, 2), 0xffff);
	assert_int_equal(cfg_read(r, PCI_DEVFN(0, 1), 0x00, 4), 0xffffffffu);
	out(r->pio, 0xcf8, 4, 0x80010000u);			/* bus 1 */
	assert_int_equal(in(r->pio, 0xcfc, 2), 0xffff);
	cfg_write(r, PCI_DEVFN(5, 0), 0x04, 2, 0xffff);		/* harmless */
}

static void functions_get_slots_and_conflicts_are_named(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *a = add_fake(r, PCI_DEVFN_AUTO);
	struct pci_dev *b;

	assert_int_equal(pci_dev_devfn(a), PCI_DEVFN(1, 0));
	assert_int_equal(cfg_read(r, PCI_DEVFN(1, 0), 0x00, 4), 0x10411af4);
	assert_int_equal(cfg_read(r, PCI_DEVFN(1, 0), 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_read(r, PCI_DEVFN(1, 0), 0x08, 4), 0x02000001);	/* class, rev */
	assert_null(pci_dev_add(r->host, PCI_DEVFN(1, 0), "e1000", &virtio_net_id, &e));
	assert_err(e, ERR_EXISTS, "e1000: PCI address 00:01.0 is already used by virtio-net-pci");
	assert_null(pci_dev_add(r->host, 256, "e1000", &virtio_net_id, &e));
	assert_err(e, ERR_RANGE, "out of range");
	b = pci_dev_add(r->host, PCI_DEVFN(1, 2), "fn2", &virtio_net_id, &e);
	assert_non_null(b);
	assert_int_equal(cfg_read(r, PCI_DEVFN(1, 0), 0x0e, 1), 0x80);	/* multi-function */
	assert_int_equal(pci_dev_devfn(add_fake(r, PCI_DEVFN_AUTO)), PCI_DEVFN(2, 0));
	for (unsigned slot = 3; slot < 32; slot++)
		add_fake(r, PCI_DEVFN_AUTO);
	assert_null(pci_dev_add(r->host, PCI_DEVFN_AUTO, "one-too-many", &virtio_net_id, &e));
	assert_err(e, ERR_LIMIT, "one-too-many: no free PCI slot");
	assert_string_equal(pci_dev_name(b), "fn2");
}

static void bars_are_allocated_mapped_and_sized(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(3, 0));
	unsigned d = PCI_DEVFN(3, 0);

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x20, true, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 1, 0x4000, false, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_bar_addr(dev, 0), 0xc000);
	assert_int_equal(pci_dev_bar_addr(dev, 1), 0xe0000000u);
	assert_int_equal(cfg_read(r, d, 0x10, 4), 0xc001);
	assert_int_equal(cfg_read(r, d, 0x14, 4), 0xe0000000u);
	assert_int_equal(cfg_read(r, d, 0x04, 2) & 3, 3);	/* decoding on, as firmware */
	assert_int_equal(in(r->pio, 0xc004, 1), 0xd4);
	assert_int_equal(in(r->mmio, 0xe0000100u, 4), 0xd0 + 0x100);
	/* Sizing, the way Linux's __pci_read_base() does it: decode off, all ones. */
	cfg_write(r, d, 0x04, 2, 0);
	cfg_write(r, d, 0x10, 4, 0xffffffffu);
	cfg_write(r, d, 0x14, 4, 0xffffffffu);
	assert_int_equal(cfg_read(r, d, 0x10, 4), 0x0000ffe1);	/* 32 bytes of I/O */
	assert_int_equal(cfg_read(r, d, 0x14, 4), 0xffffc000u);	/* 16 KiB of memory */
	assert_int_equal(cfg_read(r, d, 0x18, 4), 0);		/* BAR 2: not there */
	cfg_write(r, d, 0x18, 4, 0xffffffffu);
	assert_int_equal(cfg_read(r, d, 0x18, 4), 0);
	cfg_write(r, d, 0x10, 4, 0xc000);
	cfg_write(r, d, 0x14, 4, 0xe0000000u);
	cfg_write(r, d, 0x04, 2, 3);
	assert_int_equal(in(r->pio, 0xc000, 1), 0xd0);
	assert_int_equal(pci_dev_bar_addr(dev, 1), 0xe0000000u);
}

static void guest_moves_a_bar_and_the_region_follows(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(3, 0));
	unsigned d = PCI_DEVFN(3, 0);

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 2, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	cfg_write(r, d, 0x18, 4, 0xf0001234u);		/* low bits are not writable */
	assert_int_equal(cfg_read(r, d, 0x18, 4), 0xf0001000u);
	assert_int_equal(pci_dev_bar_addr(dev, 2), 0xf0001000u);
	assert_int_equal(r->dev.remaps, 1);
	assert_true(r->dev.last_remap == 0xf0001000u);
	assert_int_equal(in(r->mmio, 0xe0000000u, 4), 0xffffffffu);	/* gone from there */
	assert_int_equal(in(r->mmio, 0xf0001008u, 4), 0xd8);
	cfg_write(r, d, 0x10, 2, 0xd000);
	assert_int_equal(in(r->pio, 0xd010, 1), 0xe0);
	assert_int_equal(in(r->pio, 0xc010, 1), 0xff);
	/* A move onto another region leaves the BAR off the bus, not crashing. */
	cfg_write(r, d, 0x10, 4, 0xcf8);
	assert_true(pci_dev_bar_addr(dev, 0) == PCI_BAR_UNMAPPED);
	assert_int_equal(in(r->pio, 0xcf8, 4), 0x80000000u | d << 8 | 0x10);	/* conf1 */
	cfg_write(r, d, 0x10, 4, 0xd000);
	assert_int_equal(pci_dev_bar_addr(dev, 0), 0xd000);
}

static void decode_off_in_the_command_register_unmaps_bars(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(4, 0));
	unsigned d = PCI_DEVFN(4, 0);

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x40, true, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 1, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	cfg_write(r, d, 0x04, 2, PCIM_CMD_MEMEN);		/* I/O off */
	assert_int_equal(in(r->pio, 0xc000, 1), 0xff);
	assert_int_equal(in(r->mmio, 0xe0000000u, 1), 0xd0);
	cfg_write(r, d, 0x04, 2, 0);
	assert_int_equal(in(r->mmio, 0xe0000000u, 1), 0xff);
	assert_int_equal(iobus_count(r->mmio), 0);
	cfg_write(r, d, 0x04, 1, PCIM_CMD_PORTEN | PCIM_CMD_MEMEN);
	assert_int_equal(in(r->pio, 0xc000, 1), 0xd0);
	assert_int_equal(in(r->mmio, 0xe0000000u, 1), 0xd0);
	assert_int_equal(cfg_read(r, d, 0x04, 2), 3);
	cfg_write(r, d, 0x04, 2, 0xffff);			/* only the implemented bits */
	assert_int_equal(cfg_read(r, d, 0x04, 2), 0x0547);
}

static void capability_list_walks_to_msix(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(5, 0));
	unsigned d = PCI_DEVFN(5, 0), ids[8], n = 0;
	int vndr;

	assert_int_equal(cfg_read(r, d, 0x06, 2) & PCIM_STATUS_CAPPRESENT, 0);
	vndr = pci_dev_add_cap(dev, PCIY_VENDOR, 16, &e);
	assert_int_equal(vndr, 0x40);
	pci_config_set(dev, vndr + 2, 1, 16);
	assert_int_equal(pci_dev_add_cap(dev, PCIY_VENDOR, 5, &e), 0x50);
	assert_int_equal(pci_dev_add_bar(dev, 4, 0x4000, false, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_msix_init(dev, 3, 4, 0x2000, 0x3000, &e), 0);
	assert_true(cfg_read(r, d, 0x06, 2) & PCIM_STATUS_CAPPRESENT);
	/* The guest's walk, as pci_find_capability(). */
	for (unsigned off = cfg_read(r, d, 0x34, 1); off && n < 8; off = cfg_read(r, d, off + 1, 1))
		ids[n++] = cfg_read(r, d, off, 1) | off << 8;
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 0x4009);
	assert_int_equal(ids[1], 0x5009);
	assert_int_equal(ids[2], 0x5811);			/* aligned after 0x50 + 5 */
	assert_int_equal(pci_dev_find_cap(dev, PCIY_MSIX), 0x58);
	assert_int_equal(pci_dev_find_cap(dev, 0x05), -1);
	assert_int_equal(cfg_read(r, d, 0x5a, 2), 2);		/* table size - 1 */
	assert_int_equal(cfg_read(r, d, 0x5c, 4), 0x2004);	/* offset | BIR */
	assert_int_equal(cfg_read(r, d, 0x60, 4), 0x3004);
	/* The guest cannot rewrite the list. */
	cfg_write(r, d, 0x34, 1, 0x80);
	cfg_write(r, d, 0x41, 1, 0x40);
	assert_int_equal(cfg_read(r, d, 0x34, 1), 0x40);
	assert_int_equal(cfg_read(r, d, 0x41, 1), 0x50);
	/* A loop planted by a buggy device still ends. */
	pci_config_set(dev, 0x59, 1, 0x40);
	assert_int_equal(pci_dev_find_cap(dev, 0x05), -1);
}

static void msix_table_is_guest_visible_and_tells_the_device(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(6, 0));
	unsigned d = PCI_DEVFN(6, 0);
	struct pci_msix_msg msg;
	uint64_t t;

	assert_int_equal(pci_dev_add_bar(dev, 1, 0x1000, false, NULL, NULL, &e), 0);
	assert_int_equal(pci_msix_init(dev, 4, 1, 0x0, 0x800, &e), 0);
	t = pci_dev_bar_addr(dev, 1);
	assert_int_equal(in(r->mmio, t + 12, 4), 1);		/* every vector masked */
	out(r->mmio, t + 16, 8, 0xfee01000);			/* vector 1: address */
	out(r->mmio, t + 24, 4, 0x4041);			/* data */
	assert_int_equal(in(r->mmio, t + 16, 8), 0xfee01000);
	assert_int_equal(in(r->mmio, t + 24, 4), 0x4041);
	out(r->mmio, t + 28, 4, 0xfffffffe);			/* only bit 0 is writable */
	assert_int_equal(in(r->mmio, t + 28, 4), 0);
	assert_true(pci_msix_get(dev, 1, &msg));
	assert_true(msg.masked);				/* MSI-X not enabled yet */
	assert_int_equal(r->dev.updates, 0);			/* nothing effective changed */
	assert_int_equal(pci_msix_notify(dev, 1), 0);		/* pended */
	assert_int_equal(in(r->mmio, t + 0x800, 8), 0x2);	/* PBA bit 1 */
	cfg_write(r, d, 0x40 + 3, 1, 0x80);			/* enable */
	assert_true(pci_msix_enabled(dev));
	assert_int_equal(r->dev.updates, 1);
	assert_int_equal(r->dev.last_vector, 1);
	assert_int_equal(r->machine.msis, 1);			/* the pended message went */
	assert_true(r->machine.msi_addr == 0xfee01000 && r->machine.msi_data == 0x4041);
	assert_int_equal(in(r->mmio, t + 0x800, 8), 0);
	assert_int_equal(pci_msix_notify(dev, 1), 1);
	assert_int_equal(r->machine.msis, 2);
	out(r->mmio, t + 24, 4, 0x4042);			/* new data while live */
	assert_int_equal(r->dev.updates, 2);
	assert_true(pci_msix_get(dev, 1, &msg) && !msg.masked && msg.data == 0x4042);
	cfg_write(r, d, 0x42, 2, 0xc000);			/* function mask */
	assert_int_equal(pci_msix_notify(dev, 1), 0);
	assert_int_equal(r->dev.updates, 3);
	cfg_write(r, d, 0x42, 2, 0x8000);
	assert_int_equal(r->machine.msis, 3);
	out(r->mmio, t + 28, 4, 1);				/* mask vector 1 */
	assert_true(pci_msix_get(dev, 1, &msg) && msg.masked);
	out(r->mmio, t + 0x800, 8, UINT64_MAX);			/* the PBA is read-only */
	assert_int_equal(in(r->mmio, t + 0x800, 8), 0);
	assert_int_equal(pci_msix_notify(dev, 9), -1);
	assert_false(pci_msix_get(dev, 4, &msg));
	cfg_write(r, d, 0x42, 2, 0x07ff);			/* table size is read-only */
	assert_int_equal(cfg_read(r, d, 0x42, 2), 3);
}

static void msix_shares_a_bar_with_the_device_registers(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(7, 0));
	uint64_t t;

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x4000, false, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_msix_init(dev, 2, 0, 0x3000, 0x3800, &e), 0);
	t = pci_dev_bar_addr(dev, 0);
	assert_int_equal(in(r->mmio, t + 0x10, 1), 0xe0);	/* device registers */
	out(r->mmio, t + 0x3000, 4, 0xfee00000);
	assert_int_equal(r->dev.writes, 0);			/* table, not the device */
	assert_int_equal(in(r->mmio, t + 0x3000, 4), 0xfee00000);
	assert_int_equal(in(r->mmio, t + 0x2ffc, 8), 0);	/* straddles: ignored */
	out(r->mmio, t + 0x301c, 8, UINT64_MAX);		/* runs out of the table */
	assert_int_equal(in(r->mmio, t + 0x3018, 8), 0x100000000ULL);	/* untouched */
	assert_int_equal(in(r->mmio, t + 0x3020, 4), 0xd0 + 0x3020);	/* past it: device */
}

static void msix_setup_errors_name_the_device(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(8, 0));

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, NULL, NULL, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 1, 0x1000, false, NULL, NULL, &e), 0);
	assert_int_equal(pci_msix_init(dev, 4, 0, 0, 0x80, &e), -1);
	assert_err(e, ERR_INVALID, "virtio-net-pci: MSI-X: BAR 0 is not a memory BAR");
	assert_int_equal(pci_msix_init(dev, 4, 2, 0, 0x80, &e), -1);
	assert_err(e, ERR_INVALID, "BAR 2");
	assert_int_equal(pci_msix_init(dev, 0, 1, 0, 0x80, &e), -1);
	assert_err(e, ERR_RANGE, "0 vectors");
	assert_int_equal(pci_msix_init(dev, 2049, 1, 0, 0x80, &e), -1);
	assert_err(e, ERR_RANGE, "1 to 2048");
	assert_int_equal(pci_msix_init(dev, 8, 1, 0, 0x40, &e), -1);	/* table 0x80 long */
	assert_err(e, ERR_INVALID, "do not fit apart");
	assert_int_equal(pci_msix_init(dev, 8, 1, 0xff8, 0, &e), -1);
	assert_err(e, ERR_INVALID, "4096 bytes of BAR 1");
	assert_int_equal(pci_msix_init(dev, 8, 1, 4, 0x800, &e), -1);
	assert_err(e, ERR_INVALID, "8-byte aligned");
	assert_int_equal(pci_msix_init(dev, 8, 1, 0, 0x800, &e), 0);
	assert_int_equal(pci_msix_init(dev, 8, 1, 0, 0x800, &e), -1);
	assert_err(e, ERR_EXISTS, "already");
}

static void bar_setup_errors_name_the_device(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(9, 0));

	assert_int_equal(pci_dev_add_bar(dev, 6, 0x100, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_RANGE, "virtio-net-pci: BAR 6 does not exist");
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x300, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_INVALID, "size 0x300 is not a power of two");
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x200, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_INVALID, "0x4 to 0x100");
	assert_int_equal(pci_dev_add_bar(dev, 0, 8, false, NULL, NULL, &e), -1);
	assert_err(e, ERR_INVALID, "BAR 0");
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x80000000u, false, NULL, NULL, &e), -1);
	assert_err(e, ERR_LIMIT, "no room for 0x80000000 bytes in the PCI memory window");
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, NULL, NULL, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_EXISTS, "BAR 0 is already defined");
	/* Each further BAR takes the next aligned address in the window. */
	for (unsigned i = 1; i < 6; i++)
		assert_int_equal(pci_dev_add_bar(dev, i, 0x100, true, NULL, NULL, &e), 0);
	assert_int_equal(pci_dev_bar_addr(dev, 5), 0xc500);
	/* A legacy device in the window makes the BAR fail with the overlap named. */
	struct pci_dev *other = add_fake(r, PCI_DEVFN(10, 0));

	assert_int_equal(iobus_register(r->pio, 0xc600, 4, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(other, 0, 0x100, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_EXISTS, "overlaps fake at 0xc600-0xc603");
	iobus_unregister(r->pio, 0xc600, &r->dev);
}

static void intx_is_routed_shared_and_can_be_disabled(void **state)
{
	struct rig *r = *state;
	struct pci_dev *a = add_fake(r, PCI_DEVFN(2, 0));	/* INTA: PIRQB: GSI 10 */
	struct pci_dev *b = add_fake(r, PCI_DEVFN(6, 0));	/* INTA: PIRQB: GSI 10 */
	struct pci_dev *c = add_fake(r, PCI_DEVFN(3, 0));	/* INTA: PIRQC: GSI 11 */

	assert_int_equal(pci_intx_gsi(2, 1), 10);
	assert_int_equal(pci_intx_gsi(3, 1), 11);
	assert_int_equal(pci_intx_gsi(4, 1), 11);
	assert_int_equal(pci_intx_gsi(5, 1), 10);
	assert_int_equal(pci_intx_gsi(3, 4), 10);
	assert_int_equal(cfg_read(r, PCI_DEVFN(2, 0), 0x3c, 2), 0x010a);	/* pin A, line 10 */
	assert_int_equal(cfg_read(r, PCI_DEVFN(3, 0), 0x3c, 2), 0x010b);
	pci_dev_set_intx(a, 1);
	pci_dev_set_intx(b, 1);
	assert_int_equal(r->machine.gsi_level[10], 1);
	assert_true(cfg_read(r, PCI_DEVFN(2, 0), 0x06, 2) & PCIM_STATUS_INTR);
	pci_dev_set_intx(a, 0);
	assert_int_equal(r->machine.gsi_level[10], 1);		/* b still holds it */
	pci_dev_set_intx(b, 0);
	assert_int_equal(r->machine.gsi_level[10], 0);
	assert_int_equal(r->machine.gsi_changes, 2);
	pci_dev_set_intx(c, 1);
	assert_int_equal(r->machine.gsi_level[11], 1);
	cfg_write(r, PCI_DEVFN(3, 0), 0x05, 1, PCIM_CMD_INTX_DISABLE >> 8);
	assert_int_equal(r->machine.gsi_level[11], 0);
	/* Disabled, but the device still has it pending. */
	assert_true(cfg_read(r, PCI_DEVFN(3, 0), 0x06, 2) & PCIM_STATUS_INTR);
	cfg_write(r, PCI_DEVFN(3, 0), 0x05, 1, 0);
	assert_int_equal(r->machine.gsi_level[11], 1);
	cfg_write(r, PCI_DEVFN(3, 0), 0x3c, 1, 5);		/* line is scratch for the OS */
	assert_int_equal(cfg_read(r, PCI_DEVFN(3, 0), 0x3c, 1), 5);
	cfg_write(r, PCI_DEVFN(3, 0), 0x3d, 1, 3);		/* pin is not */
	assert_int_equal(cfg_read(r, PCI_DEVFN(3, 0), 0x3d, 1), 1);
}

static void msix_enable_takes_the_device_off_intx(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(2, 0));

	assert_int_equal(pci_dev_add_bar(dev, 1, 0x1000, false, NULL, NULL, &e), 0);
	assert_int_equal(pci_msix_init(dev, 1, 1, 0, 0x800, &e), 0);
	pci_dev_set_intx(dev, 1);
	assert_int_equal(r->machine.gsi_level[10], 1);
	cfg_write(r, PCI_DEVFN(2, 0), 0x42, 2, 0x8000);
	assert_int_equal(r->machine.gsi_level[10], 0);
	cfg_write(r, PCI_DEVFN(2, 0), 0x42, 2, 0);
	assert_int_equal(r->machine.gsi_level[10], 1);
}

static void hostile_config_accesses_are_harmless(void **state)
{
	struct rig *r = *state;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(2, 0));
	unsigned d = PCI_DEVFN(2, 0);

	/* Sizes other than 1, 2, 4 and accesses past the data window. */
	out(r->pio, 0xcf8, 4, 0x80000000u | d << 8 | 0xfc);
	assert_int_equal(in(r->pio, 0xcfc, 3), 0xffffff);
	out(r->pio, 0xcfc, 3, 0);
	assert_int_equal(in(r->pio, 0xcfd, 2), 0);		/* inside the window: fine */
	assert_int_equal(in(r->pio, 0xcfe, 4), 0xffffffffu);	/* straddles its end */
	assert_int_equal(pci_conf1_io_ops.read(r->host, 6, 4), 0xffffffffu);
	assert_int_equal(pci_conf1_io_ops.read(r->host, 100, 4), 0xffffffffu);
	pci_conf1_io_ops.write(r->host, 7, 8, UINT64_MAX);
	pci_conf1_io_ops.write(r->host, UINT64_MAX, 1, 0);
	pci_conf1_io_ops.read(r->host, 0, 8);
	/* Every register, every size, all ones, then the identity is still there. */
	for (unsigned reg = 0; reg < 256; reg++)
		for (unsigned size = 1; size <= 4; size++)
			cfg_write(r, d, reg, size, 0xffffffffu);
	assert_int_equal(cfg_read(r, d, 0, 4), 0x10411af4);
	assert_int_equal(cfg_read(r, d, 0x06, 2) & 0xf900, 0);	/* w1c bits stay clear */
	assert_int_equal(pci_config_get(dev, 0xff, 2), 0xffffffffu);
	pci_config_set(dev, 0xfe, 4, 0);
	pci_config_set_wmask(dev, 300, 1, 0xff);
	assert_int_equal(pci_config_get(dev, 0, 2), 0x1af4);
	/* Status error bits: write 1 to clear. */
	pci_config_set(dev, 0x06, 2, 0x8000 | PCIM_STATUS_CAPPRESENT);
	cfg_write(r, d, 0x06, 2, 0x8000);
	assert_int_equal(cfg_read(r, d, 0x06, 2), PCIM_STATUS_CAPPRESENT);
}

/* A stand-in for acpi_pm's reset register. */
struct cf9 {
	unsigned writes;
	uint64_t value;
};

static uint64_t cf9_read(void *dev, uint64_t offset, unsigned size)
{
	return 0x02;
}

static void cf9_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct cf9 *c = dev;

	assert_int_equal(offset, 0);
	c->writes++;
	c->value = value;
}

static const struct io_ops cf9_ops = { .name = "cf9", .read = cf9_read, .write = cf9_write };

static void port_cf9_bytes_reach_the_reset_register(void **state)
{
	struct rig *r = *state;
	struct cf9 c = { 0 };

	out(r->pio, 0xcf9, 1, 0x06);				/* no handler yet: ignored */
	pci_host_set_cf9_handler(r->host, &cf9_ops, &c);
	out(r->pio, 0xcf8, 4, 0x80000000u);
	out(r->pio, 0xcf9, 1, 0x06);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.value, 0x06);
	assert_int_equal(in(r->pio, 0xcf9, 1), 0x02);
	assert_int_equal(in(r->pio, 0xcf8, 4), 0x80000000u);	/* the address is intact */
	out(r->pio, 0xcf8, 2, 0x1234);				/* not a dword: ignored */
	assert_int_equal(c.writes, 1);
	assert_int_equal(in(r->pio, 0xcf8, 4), 0x80000000u);
}

static void host_without_buses_still_answers_config(void **state)
{
	struct pci_host *h = pci_host_new(NULL);
	struct err *e = NULL;
	struct pci_dev *dev = pci_dev_add(h, PCI_DEVFN_AUTO, "x", &virtio_net_id, &e);

	assert_int_equal(pci_host_register(h, &e), -1);
	assert_err(e, ERR_INTERNAL, "no I/O port bus");
	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, NULL, NULL, &e), -1);
	assert_err(e, ERR_INTERNAL, "no bus");
	pci_dev_set_intx(dev, 1);				/* no irq_set: nothing */
	pci_conf1_io_ops.write(h, 0, 4, 0x80000800u);
	assert_int_equal(pci_conf1_io_ops.read(h, 4, 2), 0x1af4);
	pci_host_free(h);
}

/* What the guest left behind goes; what the VMM set up before the seal comes back. */
static void reset_restores_bars_command_and_msix_as_sealed(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *dev = add_fake(r, PCI_DEVFN(3, 0));
	unsigned d = PCI_DEVFN(3, 0);
	struct pci_msix_msg msg;
	uint64_t t;

	assert_int_equal(pci_dev_add_bar(dev, 0, 0x100, true, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 1, 0x1000, false, NULL, NULL, &e), 0);
	assert_int_equal(pci_dev_add_bar(dev, 2, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_msix_init(dev, 4, 1, 0, 0x800, &e), 0);
	pci_host_seal(r->host);
	t = pci_dev_bar_addr(dev, 1);
	cfg_write(r, d, 0x18, 4, 0xf0000000u);			/* BAR 2 moves */
	cfg_write(r, d, 0x04, 2, PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN);	/* I/O off */
	cfg_write(r, d, 0x3c, 1, 5);
	out(r->mmio, t + 16, 8, 0xfee01000);			/* vector 1, unmasked */
	out(r->mmio, t + 24, 4, 0x4041);
	out(r->mmio, t + 28, 4, 0);
	assert_int_equal(pci_msix_notify(dev, 2), 0);		/* vector 2 pends */
	cfg_write(r, d, 0x42, 2, 0x8000);
	assert_true(pci_msix_get(dev, 1, &msg) && !msg.masked);
	assert_int_equal(r->dev.remaps, 2);			/* BAR 2 moved, BAR 0 left */
	pci_dev_set_intx(dev, 1);				/* held off by MSI-X */
	assert_int_equal(r->machine.gsi_level[11], 0);
	r->dev.updates = 0;

	pci_host_reset(r->host);
	assert_int_equal(in(r->pio, 0xcf8, 4), 0);		/* conf1's address too */
	assert_int_equal(cfg_read(r, d, 0x04, 2), PCIM_CMD_PORTEN | PCIM_CMD_MEMEN);
	assert_int_equal(cfg_read(r, d, 0x10, 4), 0xc001);
	assert_int_equal(cfg_read(r, d, 0x18, 4), 0xe0001000u);
	assert_int_equal(cfg_read(r, d, 0x3c, 2), 0x010b);	/* pin A, line 11 again */
	assert_int_equal(pci_dev_bar_addr(dev, 0), 0xc000);
	assert_int_equal(pci_dev_bar_addr(dev, 2), 0xe0001000u);
	assert_int_equal(in(r->pio, 0xc004, 1), 0xd4);
	assert_int_equal(in(r->mmio, 0xe0001008u, 4), 0xd8);
	assert_int_equal(in(r->mmio, 0xf0000008u, 4), 0xffffffffu);	/* left there */
	assert_int_equal(r->dev.remaps, 4);			/* BARs 0 and 2 were told */
	assert_int_equal(r->dev.last_remap, 0xe0001000u);
	/* MSI-X off, the live vector masked and zeroed, nothing pending. */
	assert_int_equal(cfg_read(r, d, 0x42, 2), 3);
	assert_false(pci_msix_enabled(dev));
	assert_int_equal(r->dev.updates, 1);
	assert_int_equal(r->dev.last_vector, 1);
	assert_true(pci_msix_get(dev, 1, &msg) && msg.masked);
	assert_int_equal(in(r->mmio, t + 16, 8), 0);
	assert_int_equal(in(r->mmio, t + 24, 4), 0);
	assert_int_equal(in(r->mmio, t + 28, 4), 1);
	assert_int_equal(in(r->mmio, t + 0x800, 8), 0);
	assert_int_equal(r->machine.gsi_level[11], 1);		/* INTx is back */
	/* Enabling MSI-X again sends nothing: vector 1 stays masked, 2 forgot its bit. */
	cfg_write(r, d, 0x42, 2, 0x8000);
	assert_int_equal(r->machine.msis, 0);
	assert_int_equal(pci_msix_notify(dev, 1), 0);
	assert_int_equal(r->machine.msis, 0);
	out(r->mmio, t + 44, 4, 0);				/* unmask vector 2 */
	assert_int_equal(r->machine.msis, 0);
}

/* Two functions that traded their memory BARs both get their own back. */
static void reset_returns_bars_the_guest_swapped(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *a = add_fake(r, PCI_DEVFN(3, 0));
	struct pci_dev *b = add_fake(r, PCI_DEVFN(4, 0));

	assert_int_equal(pci_dev_add_bar(a, 0, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	assert_int_equal(pci_dev_add_bar(b, 0, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	pci_host_seal(r->host);
	cfg_write(r, PCI_DEVFN(3, 0), 0x10, 4, 0xf0000000u);
	cfg_write(r, PCI_DEVFN(4, 0), 0x10, 4, 0xe0000000u);
	cfg_write(r, PCI_DEVFN(3, 0), 0x10, 4, 0xe0001000u);
	assert_int_equal(pci_dev_bar_addr(a, 0), 0xe0001000u);
	assert_int_equal(pci_dev_bar_addr(b, 0), 0xe0000000u);
	pci_host_reset(r->host);
	assert_int_equal(pci_dev_bar_addr(a, 0), 0xe0000000u);
	assert_int_equal(pci_dev_bar_addr(b, 0), 0xe0001000u);
	assert_int_equal(r->dev.last_remap, 0xe0001000u);	/* b, the last told */
}

static void reset_leaves_functions_added_after_the_seal(void **state)
{
	struct rig *r = *state;
	struct err *e = NULL;
	struct pci_dev *early = add_fake(r, PCI_DEVFN(3, 0)), *late;
	struct fake_dev late_dev = { 0 };

	assert_int_equal(pci_dev_add_bar(early, 0, 0x1000, false, &dev_ops, &r->dev, &e), 0);
	pci_host_seal(r->host);
	late = add_fake(r, PCI_DEVFN(4, 0));
	pci_dev_set_ops(late, &fake_pci_ops, &late_dev);
	assert_int_equal(pci_dev_add_bar(late, 0, 0x1000, false, &dev_ops, &late_dev, &e), 0);
	cfg_write(r, PCI_DEVFN(3, 0), 0x10, 4, 0xf0000000u);
	cfg_write(r, PCI_DEVFN(4, 0), 0x10, 4, 0xf0001000u);
	cfg_write(r, PCI_DEVFN(4, 0), 0x04, 2, PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN);
	pci_host_reset(r->host);
	assert_int_equal(pci_dev_bar_addr(early, 0), 0xe0000000u);
	assert_int_equal(pci_dev_bar_addr(late, 0), 0xf0001000u);
	assert_int_equal(cfg_read(r, PCI_DEVFN(4, 0), 0x04, 2),
			 PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN);
	assert_int_equal(late_dev.remaps, 1);			/* only the guest's move */
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(conf1_reads_the_host_bridge),
		T(unclaimed_functions_read_all_ones),
		T(functions_get_slots_and_conflicts_are_named),
		T(bars_are_allocated_mapped_and_sized),
		T(guest_moves_a_bar_and_the_region_follows),
		T(decode_off_in_the_command_register_unmaps_bars),
		T(capability_list_walks_to_msix),
		T(msix_table_is_guest_visible_and_tells_the_device),
		T(msix_shares_a_bar_with_the_device_registers),
		T(msix_setup_errors_name_the_device),
		T(bar_setup_errors_name_the_device),
		T(intx_is_routed_shared_and_can_be_disabled),
		T(msix_enable_takes_the_device_off_intx),
		T(hostile_config_accesses_are_harmless),
		T(port_cf9_bytes_reach_the_reset_register),
		T(reset_restores_bars_command_and_msix_as_sealed),
		T(reset_returns_bars_the_guest_swapped),
		T(reset_leaves_functions_added_after_the_seal),
		cmocka_unit_test(host_without_buses_still_answers_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
