/* The PCI host bridge: conf1, functions, BARs, INTx (PCI Local Bus 3.0, 3.2.2.3.2;
 * 6.2; 6.8.2 for MSI-X). MSI-X lives in pci_msix.c. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/bus/pci_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define CONF1_ENABLE	0x80000000u
#define CONF1_KEEP	0x80fffffcu	/* enable, bus, devfn, register */
#define CMD_WMASK	0x0547		/* I/O, memory, master, parity, SERR, INTx disable */
#define STATUS_W1C	0xf900		/* error bits: write 1 to clear */
#define MMIO_BAR_ALIGN	4096

/* i440FX host bridge identity, as QEMU's. */
static const struct pci_id host_bridge_id = {
	.vendor = 0x8086, .device = 0x1237, .class_code = 0x060000, .revision = 0x02,
};

/* Little-endian views of configuration space; callers check the bounds. */
uint32_t pci_cfg_get(const uint8_t *space, unsigned offset, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)space[offset + i] << (8 * i);
	return v;
}

void pci_cfg_put(uint8_t *space, unsigned offset, unsigned size, uint32_t value)
{
	for (unsigned i = 0; i < size; i++)
		space[offset + i] = (uint8_t)(value >> (8 * i));
}

static bool valid_access(unsigned offset, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && offset < PCI_CONFIG_SIZE &&
	       size <= PCI_CONFIG_SIZE - offset;
}

bool pci_range_touches(unsigned offset, unsigned size, unsigned reg, unsigned len)
{
	return offset < reg + len && offset + size > reg;
}

unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	static const unsigned pirq_gsi[4] = { 10, 10, 11, 11 };

	return pirq_gsi[(slot + 3 + pin - 1) & 3];	/* (slot - 1 + pin - 1) mod 4 */
}

/* Drive this function's share of its GSI; the line is the OR of its users. */
void pci_update_intx_locked(struct pci_dev *dev)
{
	struct pci_host *h = dev->host;
	uint16_t cmd = pci_cfg_get(dev->config, PCIR_COMMAND, 2);
	uint16_t status = pci_cfg_get(dev->config, PCIR_STATUS, 2);
	bool drive = dev->intx_level && dev->gsi && !(cmd & PCIM_CMD_INTX_DISABLE) &&
		     !pci_msix_enabled_locked(dev);
	unsigned before;

	status = dev->intx_level ? status | PCIM_STATUS_INTR : status & ~PCIM_STATUS_INTR;
	pci_cfg_put(dev->config, PCIR_STATUS, 2, status);
	if (drive == dev->intx_driven)
		return;
	dev->intx_driven = drive;
	before = h->gsi_users[dev->gsi];
	h->gsi_users[dev->gsi] += drive ? 1 : -1;
	if ((before == 0) != (h->gsi_users[dev->gsi] == 0) && h->cfg.irq_set)
		h->cfg.irq_set(h->cfg.ctx, dev->gsi, h->gsi_users[dev->gsi] > 0);
}

void pci_dev_set_intx(struct pci_dev *dev, int level)
{
	pthread_mutex_lock(&dev->host->lock);
	dev->intx_level = level != 0;
	pci_update_intx_locked(dev);
	pthread_mutex_unlock(&dev->host->lock);
}

/* ---- BARs ---- */

static struct iobus *bar_bus(const struct pci_bar *bar)
{
	return bar->is_io ? bar->dev->host->cfg.pio : bar->dev->host->cfg.mmio;
}

/* Where the guest's BAR value and command register say the BAR should decode. */
static uint64_t bar_target(const struct pci_bar *bar)
{
	const struct pci_dev *dev = bar->dev;
	uint16_t cmd = pci_cfg_get(dev->config, PCIR_COMMAND, 2);
	uint32_t reg = pci_cfg_get(dev->config, PCIR_BAR(bar->index), 4);
	uint64_t addr, limit;

	if (bar->is_io) {
		if (!(cmd & PCIM_CMD_PORTEN))
			return PCI_BAR_UNMAPPED;
		addr = reg & 0xfffc;
		limit = 0x10000;
	} else {
		if (!(cmd & PCIM_CMD_MEMEN))
			return PCI_BAR_UNMAPPED;
		addr = reg & 0xfffffff0u;
		limit = UINT64_C(1) << 32;
	}
	/* 0, or reaching the top of the space, is what sizing leaves in a BAR. */
	if (addr == 0 || addr + bar->size >= limit)
		return PCI_BAR_UNMAPPED;
	return addr;
}

static void note_remap(struct pci_events *ev, unsigned index, uint64_t addr)
{
	if (ev && ev->nremaps < PCI_NUM_BARS) {
		ev->remaps[ev->nremaps].bar = index;
		ev->remaps[ev->nremaps].addr = addr;
		ev->nremaps++;
	}
}

/* Put every BAR where the guest wants it now. A place that overlaps another region
 * leaves the BAR off the bus until the guest moves it again. */
void pci_update_mappings_locked(struct pci_dev *dev, struct pci_events *ev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];
		uint64_t want = bar->size ? bar_target(bar) : PCI_BAR_UNMAPPED;
		struct iobus *bus = bar_bus(bar);

		if (!bar->size || want == bar->mapped_at || !bus)
			continue;
		if (bar->mapped_at != PCI_BAR_UNMAPPED)
			iobus_unregister(bus, bar->mapped_at, bar);
		bar->mapped_at = PCI_BAR_UNMAPPED;
		if (want != PCI_BAR_UNMAPPED &&
		    iobus_register(bus, want, bar->size, &bar->trampoline, bar, NULL) == 0)
			bar->mapped_at = want;
		note_remap(ev, i, bar->mapped_at);
	}
}

static uint64_t bar_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_bar *bar = opaque;
	uint64_t v;

	if (pci_msix_bar_read(bar, offset, size, &v))
		return v;
	return bar->ops && bar->ops->read ? bar->ops->read(bar->opaque, offset, size) : 0;
}

static void bar_io_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_bar *bar = opaque;

	if (pci_msix_bar_write(bar, offset, size, value))
		return;
	if (bar->ops && bar->ops->write)
		bar->ops->write(bar->opaque, offset, size, value);
}

static int check_bar(const struct pci_dev *dev, unsigned index, uint64_t size, bool is_io,
		     struct err **errp)
{
	uint64_t min = is_io ? 4 : 16, max = is_io ? 256 : UINT64_C(1) << 31;

	if (index >= PCI_NUM_BARS)
		return err_set(errp, ERR_RANGE, _("%s: BAR %u does not exist (0 to 5)"),
			       dev->name, index);
	if (dev->bars[index].size)
		return err_set(errp, ERR_EXISTS, _("%s: BAR %u is already defined"),
			       dev->name, index);
	if (size < min || size > max || (size & (size - 1)))
		return err_set(errp, ERR_INVALID,
			       _("%s: BAR %u: size 0x%llx is not a power of two from 0x%llx "
				 "to 0x%llx"), dev->name, index, (unsigned long long)size,
			       (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* Take an aligned address for size bytes from the window; -1 if it is full. The top
 * of the I/O space stays unused: a BAR there would look like a sizing value. */
static int alloc_window(struct pci_host *h, bool is_io, uint64_t size, uint64_t *addr)
{
	uint64_t *next = is_io ? &h->next_pio : &h->next_mmio;
	uint64_t end = is_io ? PCI_PIO_WINDOW_END : PCI_MMIO_WINDOW_END;
	uint64_t align = is_io || size >= MMIO_BAR_ALIGN ? size : MMIO_BAR_ALIGN;
	uint64_t a = (*next + align - 1) & ~(align - 1);

	if (a >= end || size >= end - a)
		return -1;
	*addr = a;
	*next = a + size;
	return 0;
}

static void init_bar(struct pci_dev *dev, unsigned index, uint64_t size, bool is_io,
		     uint64_t addr)
{
	uint32_t wmask = is_io ? (~(uint32_t)(size - 1) & 0xfffc) :
				 (~(uint32_t)(size - 1) & 0xfffffff0u);
	uint16_t cmd = pci_cfg_get(dev->config, PCIR_COMMAND, 2);

	dev->bars[index].size = size;
	pci_cfg_put(dev->config, PCIR_BAR(index), 4, (uint32_t)addr | (is_io ? 1 : 0));
	pci_cfg_put(dev->wmask, PCIR_BAR(index), 4, wmask);
	cmd |= is_io ? PCIM_CMD_PORTEN : PCIM_CMD_MEMEN;
	pci_cfg_put(dev->config, PCIR_COMMAND, 2, cmd);
}

int pci_dev_add_bar(struct pci_dev *dev, unsigned index, uint64_t size, bool is_io,
		    const struct io_ops *ops, void *opaque, struct err **errp)
{
	struct pci_host *h = dev->host;
	struct pci_bar *bar;
	uint64_t addr;
	int rc = -1;

	if (check_bar(dev, index, size, is_io, errp) < 0)
		return -1;
	pthread_mutex_lock(&h->lock);
	bar = &dev->bars[index];
	bar->ops = ops;
	bar->opaque = opaque;
	bar->is_io = is_io;
	if (alloc_window(h, is_io, size, &addr) < 0) {
		err_set(errp, ERR_LIMIT, is_io ?
			_("%s: BAR %u: no room for 0x%llx bytes in the PCI I/O window") :
			_("%s: BAR %u: no room for 0x%llx bytes in the PCI memory window"),
			dev->name, index, (unsigned long long)size);
	} else if (!bar_bus(bar)) {
		err_set(errp, ERR_INTERNAL, _("%s: BAR %u: no bus for this address space"),
			dev->name, index);
	} else if (iobus_register(bar_bus(bar), addr, size, &bar->trampoline, bar, errp) == 0) {
		init_bar(dev, index, size, is_io, addr);
		bar->mapped_at = addr;
		rc = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

uint64_t pci_dev_bar_addr(struct pci_dev *dev, unsigned index)
{
	uint64_t addr;

	if (index >= PCI_NUM_BARS)
		return PCI_BAR_UNMAPPED;
	pthread_mutex_lock(&dev->host->lock);
	addr = dev->bars[index].mapped_at;
	pthread_mutex_unlock(&dev->host->lock);
	return addr;
}

/* ---- functions ---- */

static void init_header(struct pci_dev *dev, const struct pci_id *id)
{
	pci_cfg_put(dev->config, PCIR_VENDOR, 2, id->vendor);
	pci_cfg_put(dev->config, PCIR_DEVICE, 2, id->device);
	pci_cfg_put(dev->config, PCIR_REVID, 1, id->revision);
	pci_cfg_put(dev->config, PCIR_PROGIF, 3, id->class_code);
	pci_cfg_put(dev->config, PCIR_SUBVEND, 2, id->subsystem_vendor);
	pci_cfg_put(dev->config, PCIR_SUBDEV, 2, id->subsystem);
	pci_cfg_put(dev->wmask, PCIR_COMMAND, 2, CMD_WMASK);
	pci_cfg_put(dev->w1cmask, PCIR_STATUS, 2, STATUS_W1C);
	dev->wmask[PCIR_CACHELNSZ] = 0xff;
	dev->wmask[PCIR_LATTIMER] = 0xff;
	dev->wmask[PCIR_INTLINE] = 0xff;
	if (id->intx_pin >= 1 && id->intx_pin <= 4) {
		dev->gsi = pci_intx_gsi(PCI_SLOT(dev->devfn), id->intx_pin);
		dev->config[PCIR_INTPIN] = id->intx_pin;
		dev->config[PCIR_INTLINE] = dev->gsi;
	}
	dev->next_cap = 0x40;
}

static void init_bars(struct pci_dev *dev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];

		bar->dev = dev;
		bar->index = i;
		bar->mapped_at = PCI_BAR_UNMAPPED;
		bar->trampoline = (struct io_ops){ .name = dev->name, .read = bar_io_read,
						   .write = bar_io_write };
	}
}

/* Function 0 says whether the slot has more functions (Linux scans 1-7 only then). */
static void update_multifunction(struct pci_host *h, unsigned slot)
{
	struct pci_dev *fn0 = h->devs[slot << 3];
	bool more = false;

	for (unsigned fn = 1; fn < 8; fn++)
		more = more || h->devs[(slot << 3) | fn];
	if (fn0)
		fn0->config[PCIR_HDRTYPE] = more ? PCIM_HDRTYPE_MFDEV : 0;
}

static bool slot_is_free(const struct pci_host *h, unsigned slot)
{
	for (unsigned fn = 0; fn < 8; fn++)
		if (h->devs[(slot << 3) | fn])
			return false;
	return true;
}

/* Resolve PCI_DEVFN_AUTO and check the address; -1 with an error. */
static int pick_devfn(const struct pci_host *h, int devfn, const char *name,
		      struct err **errp)
{
	if (devfn == PCI_DEVFN_AUTO) {
		for (unsigned slot = 1; slot < 32; slot++)
			if (slot_is_free(h, slot))
				return PCI_DEVFN(slot, 0);
		return err_set(errp, ERR_LIMIT, _("%s: no free PCI slot"), name);
	}
	if (devfn < 0 || devfn > 0xff)
		return err_set(errp, ERR_RANGE, _("%s: PCI device/function %d is out of range"),
			       name, devfn);
	if (h->devs[devfn])
		return err_set(errp, ERR_EXISTS, _("%s: PCI address 00:%02x.%x is already used "
						   "by %s"), name, PCI_SLOT(devfn),
			       PCI_FUNC(devfn), h->devs[devfn]->name);
	return devfn;
}

struct pci_dev *pci_dev_add(struct pci_host *host, int devfn, const char *name,
			    const struct pci_id *id, struct err **errp)
{
	struct pci_dev *dev;

	pthread_mutex_lock(&host->lock);
	devfn = pick_devfn(host, devfn, name, errp);
	if (devfn < 0) {
		pthread_mutex_unlock(&host->lock);
		return NULL;
	}
	dev = xzalloc(sizeof(*dev));
	dev->host = host;
	dev->name = xstrdup(name);
	dev->devfn = (uint8_t)devfn;
	init_header(dev, id);
	init_bars(dev);
	host->devs[devfn] = dev;
	update_multifunction(host, PCI_SLOT(devfn));
	pthread_mutex_unlock(&host->lock);
	return dev;
}

void pci_dev_set_ops(struct pci_dev *dev, const struct pci_dev_ops *ops, void *opaque)
{
	pthread_mutex_lock(&dev->host->lock);
	dev->ops = ops;
	dev->opaque = opaque;
	pthread_mutex_unlock(&dev->host->lock);
}

unsigned pci_dev_devfn(const struct pci_dev *dev)
{
	return dev->devfn;
}

const char *pci_dev_name(const struct pci_dev *dev)
{
	return dev->name;
}

static void free_dev(struct pci_dev *dev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];

		if (bar->mapped_at != PCI_BAR_UNMAPPED && bar_bus(bar))
			iobus_unregister(bar_bus(bar), bar->mapped_at, bar);
	}
	pci_msix_free(dev);
	free(dev->name);
	free(dev);
}

/* ---- device-side configuration access ---- */

uint32_t pci_config_get(struct pci_dev *dev, unsigned offset, unsigned size)
{
	uint32_t v;

	if (!valid_access(offset, size))
		return UINT32_MAX;
	pthread_mutex_lock(&dev->host->lock);
	v = pci_cfg_get(dev->config, offset, size);
	pthread_mutex_unlock(&dev->host->lock);
	return v;
}

void pci_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t value)
{
	if (!valid_access(offset, size))
		return;
	pthread_mutex_lock(&dev->host->lock);
	pci_cfg_put(dev->config, offset, size, value);
	pthread_mutex_unlock(&dev->host->lock);
}

void pci_config_set_wmask(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t mask)
{
	if (!valid_access(offset, size))
		return;
	pthread_mutex_lock(&dev->host->lock);
	pci_cfg_put(dev->wmask, offset, size, mask);
	pthread_mutex_unlock(&dev->host->lock);
}

/* ---- capabilities ---- */

int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, unsigned len, struct err **errp)
{
	unsigned off;
	uint16_t status;

	pthread_mutex_lock(&dev->host->lock);
	off = (dev->next_cap + 3) & ~3u;
	if (len < 2 || len > PCI_CONFIG_SIZE || off > PCI_CONFIG_SIZE - len) {
		pthread_mutex_unlock(&dev->host->lock);
		return err_set(errp, ERR_LIMIT, _("%s: no room for a %u-byte PCI capability"),
			       dev->name, len);
	}
	dev->config[off] = id;
	dev->config[off + 1] = 0;
	if (dev->last_cap)
		dev->config[dev->last_cap + 1] = off;
	else
		dev->config[PCIR_CAP_PTR] = off;
	status = pci_cfg_get(dev->config, PCIR_STATUS, 2) | PCIM_STATUS_CAPPRESENT;
	pci_cfg_put(dev->config, PCIR_STATUS, 2, status);
	dev->last_cap = off;
	dev->next_cap = off + len;
	pthread_mutex_unlock(&dev->host->lock);
	return (int)off;
}

int pci_dev_find_cap(struct pci_dev *dev, uint8_t id)
{
	unsigned off;
	int found = -1;

	pthread_mutex_lock(&dev->host->lock);
	off = dev->config[PCIR_CAP_PTR] & ~3u;
	/* At most 48 capabilities fit after the header: a longer walk is a loop. */
	for (unsigned hops = 0; off >= 0x40 && hops < 48 && found < 0; hops++) {
		if (dev->config[off] == id)
			found = (int)off;
		off = dev->config[off + 1] & ~3u;
	}
	pthread_mutex_unlock(&dev->host->lock);
	return found;
}

/* ---- guest configuration access (conf1) ---- */

static void config_write_locked(struct pci_dev *dev, unsigned offset, unsigned size,
				uint32_t value, struct pci_events *ev)
{
	for (unsigned i = 0; i < size; i++) {
		unsigned a = offset + i;
		uint8_t b = value >> (8 * i);

		dev->config[a] = (dev->config[a] & ~dev->wmask[a]) | (b & dev->wmask[a]);
		dev->config[a] &= ~(b & dev->w1cmask[a]);
	}
	if (pci_range_touches(offset, size, PCIR_COMMAND, 2))
		pci_update_intx_locked(dev);
	if (pci_range_touches(offset, size, PCIR_COMMAND, 2) ||
	    pci_range_touches(offset, size, PCIR_BAR(0), 4 * PCI_NUM_BARS))
		pci_update_mappings_locked(dev, ev);
	pci_msix_config_written_locked(dev, offset, size, ev);
}

/* Device callbacks for what a locked operation changed; runs unlocked. */
void pci_run_events(struct pci_dev *dev, struct pci_events *ev)
{
	const struct pci_dev_ops *ops = dev->ops;

	for (unsigned i = 0; i < ev->nremaps; i++)
		if (ops && ops->bar_remapped)
			ops->bar_remapped(dev->opaque, dev, ev->remaps[i].bar,
					  ev->remaps[i].addr);
	pci_msix_run_events(dev, ev);
}

/* The function conf1's address register selects, or NULL. */
static struct pci_dev *conf1_target(struct pci_host *h, unsigned *reg)
{
	uint32_t a;
	struct pci_dev *dev = NULL;

	pthread_mutex_lock(&h->lock);
	a = h->conf_addr;
	if ((a & CONF1_ENABLE) && ((a >> 16) & 0xff) == 0)
		dev = h->devs[(a >> 8) & 0xff];
	pthread_mutex_unlock(&h->lock);
	*reg = a & 0xfc;
	return dev;
}

static uint64_t conf1_data_read(struct pci_host *h, unsigned off, unsigned size)
{
	unsigned reg;
	struct pci_dev *dev;
	uint32_t v;

	if ((size != 1 && size != 2 && size != 4) || off + size > 4)
		return io_mask(UINT64_MAX, size);
	dev = conf1_target(h, &reg);
	if (!dev)
		return io_mask(UINT64_MAX, size);
	reg += off;
	if (dev->ops && dev->ops->config_read &&
	    dev->ops->config_read(dev->opaque, dev, reg, size, &v))
		return io_mask(v, size);
	pthread_mutex_lock(&h->lock);
	v = pci_cfg_get(dev->config, reg, size);
	pthread_mutex_unlock(&h->lock);
	return v;
}

static void conf1_data_write(struct pci_host *h, unsigned off, unsigned size, uint32_t value)
{
	struct pci_events ev = { 0 };
	struct pci_dev *dev;
	unsigned reg;

	if ((size != 1 && size != 2 && size != 4) || off + size > 4)
		return;
	dev = conf1_target(h, &reg);
	if (!dev)
		return;
	reg += off;
	pthread_mutex_lock(&h->lock);
	config_write_locked(dev, reg, size, value, &ev);
	pthread_mutex_unlock(&h->lock);
	pci_run_events(dev, &ev);
	if (dev->ops && dev->ops->config_write)
		dev->ops->config_write(dev->opaque, dev, reg, size, value);
}

/* 0xcf8-0xcfb: the address register, with PIIX's reset control byte at 0xcf9. */
static uint64_t conf1_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_host *h = opaque;
	uint64_t v;

	if (offset >= 4)
		return offset < PCI_CONF1_IOLEN ? conf1_data_read(h, offset - 4, size) :
						  io_mask(UINT64_MAX, size);
	if (offset == 1 && size == 1 && h->cf9_ops)
		return h->cf9_ops->read ? h->cf9_ops->read(h->cf9_dev, 0, 1) & 0xff : 0;
	pthread_mutex_lock(&h->lock);
	v = io_reg_read(h->conf_addr, 4, offset, size);
	pthread_mutex_unlock(&h->lock);
	return v;
}

static void conf1_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_host *h = opaque;

	if (offset >= 4) {
		if (offset < PCI_CONF1_IOLEN)
			conf1_data_write(h, offset - 4, size, (uint32_t)value);
		return;
	}
	if (offset == 1 && size == 1 && h->cf9_ops) {
		if (h->cf9_ops->write)
			h->cf9_ops->write(h->cf9_dev, 0, 1, value & 0xff);
		return;
	}
	/* Only a dword write sets the address (Linux's conf1 probe writes a byte to
	 * 0xcfb first and expects the dword to be unchanged). */
	if (offset != 0 || size != 4)
		return;
	pthread_mutex_lock(&h->lock);
	h->conf_addr = (uint32_t)value & CONF1_KEEP;
	pthread_mutex_unlock(&h->lock);
}

const struct io_ops pci_conf1_io_ops = {
	.name = "pci-conf1",
	.read = conf1_read,
	.write = conf1_write,
};

/* ---- host ---- */

struct pci_host *pci_host_new(const struct pci_host_config *cfg)
{
	struct pci_host *h = xzalloc(sizeof(*h));

	pthread_mutex_init(&h->lock, NULL);
	if (cfg)
		h->cfg = *cfg;
	h->next_pio = PCI_PIO_WINDOW_BASE;
	h->next_mmio = PCI_MMIO_WINDOW_BASE;
	pci_dev_add(h, PCI_DEVFN(0, 0), "i440FX", &host_bridge_id, NULL);
	return h;
}

void pci_host_free(struct pci_host *host)
{
	if (!host)
		return;
	if (host->registered)
		iobus_unregister(host->cfg.pio, PCI_CONF1_IOBASE, host);
	for (unsigned i = 0; i < ARRAY_SIZE(host->devs); i++)
		if (host->devs[i])
			free_dev(host->devs[i]);
	pthread_mutex_destroy(&host->lock);
	free(host);
}

int pci_host_register(struct pci_host *host, struct err **errp)
{
	if (!host->cfg.pio)
		return err_set(errp, ERR_INTERNAL, _("PCI host bridge has no I/O port bus"));
	if (iobus_register(host->cfg.pio, PCI_CONF1_IOBASE, PCI_CONF1_IOLEN, &pci_conf1_io_ops,
			   host, errp) < 0)
		return -1;
	host->registered = true;
	return 0;
}

void pci_host_set_cf9_handler(struct pci_host *host, const struct io_ops *ops, void *dev)
{
	host->cf9_ops = ops;
	host->cf9_dev = dev;
}

/* ---- machine reset ---- */

void pci_host_seal(struct pci_host *host)
{
	pthread_mutex_lock(&host->lock);
	for (unsigned i = 0; i < ARRAY_SIZE(host->devs); i++) {
		struct pci_dev *dev = host->devs[i];

		if (dev) {
			memcpy(dev->reset_config, dev->config, PCI_CONFIG_SIZE);
			dev->sealed = true;
		}
	}
	pthread_mutex_unlock(&host->lock);
}

/* Only what the guest can change goes back (writable and write-1-to-clear bits): the
 * other bytes are the device's, and it may have updated them since the seal. */
static void restore_config_locked(struct pci_dev *dev)
{
	for (unsigned a = 0; a < PCI_CONFIG_SIZE; a++) {
		uint8_t guest = dev->wmask[a] | dev->w1cmask[a];

		dev->config[a] = (dev->config[a] & ~guest) | (dev->reset_config[a] & guest);
	}
}

/* Take off the bus each BAR that is about to move, before any BAR is put back, so
 * BARs the guest swapped or moved onto another's power-on place all return;
 * pci_update_mappings_locked() then maps them and records the events. */
static void unmap_moving_bars_locked(struct pci_dev *dev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];
		uint64_t want;

		if (!bar->size || bar->mapped_at == PCI_BAR_UNMAPPED || !bar_bus(bar))
			continue;
		want = bar_target(bar);
		if (want == PCI_BAR_UNMAPPED || want == bar->mapped_at)
			continue;
		iobus_unregister(bar_bus(bar), bar->mapped_at, bar);
		bar->mapped_at = PCI_BAR_UNMAPPED;
	}
}

struct reset_job {
	struct pci_dev *dev;
	struct pci_events ev;
};

void pci_host_reset(struct pci_host *host)
{
	struct reset_job *jobs = xcalloc(ARRAY_SIZE(host->devs), sizeof(*jobs));
	unsigned n = 0;

	pthread_mutex_lock(&host->lock);
	for (unsigned i = 0; i < ARRAY_SIZE(host->devs); i++)
		if (host->devs[i] && host->devs[i]->sealed)
			jobs[n++].dev = host->devs[i];
	pthread_mutex_unlock(&host->lock);
	/* Functions are never removed, so the list stays good; the update locks come
	 * before the host lock, and all of it is taken at once so that no BAR goes back
	 * while another function still sits in its place. */
	for (unsigned k = 0; k < n; k++)
		pci_msix_lock_update(jobs[k].dev);
	pthread_mutex_lock(&host->lock);
	host->conf_addr = 0;
	for (unsigned k = 0; k < n; k++) {
		struct pci_dev *dev = jobs[k].dev;

		restore_config_locked(dev);
		pci_msix_reset_locked(dev, &jobs[k].ev);
		pci_update_intx_locked(dev);
		unmap_moving_bars_locked(dev);
	}
	for (unsigned k = 0; k < n; k++)
		pci_update_mappings_locked(jobs[k].dev, &jobs[k].ev);
	pthread_mutex_unlock(&host->lock);
	for (unsigned k = 0; k < n; k++)
		pci_msix_unlock_update(jobs[k].dev);
	for (unsigned k = 0; k < n; k++)
		pci_run_events(jobs[k].dev, &jobs[k].ev);
	free(jobs);
}
