/* pci.c: PCI enumeration through configuration mechanism 1 (ports 0xcf8/0xcfc). */
#include "tg.h"
#include "io.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define MAX_BUSES	32

uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	outl(PCI_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(PCI_DATA);
}

void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	outl(PCI_DATA, v);
}

/* 8- and 16-bit reads through a 32-bit access (the guest only does 32-bit conf1 cycles). */
uint8_t pci_read8(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return (uint8_t)(pci_read32(bus, dev, fn, off) >> ((off & 3) * 8));
}

uint16_t pci_read16(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return (uint16_t)(pci_read32(bus, dev, fn, off) >> ((off & 2) * 8));
}

/* Returns true when 0xcf8 holds what was written to it: mechanism 1 is there. */
static bool pci_type1_present(void)
{
	uint32_t v;

	outl(PCI_ADDR, 0x80000000u);
	v = inl(PCI_ADDR);
	outl(PCI_ADDR, 0);
	return v == 0x80000000u;
}

struct pci_scan {
	struct pci_fn fns[PCI_MAX_FNS];
	uint8_t buses[MAX_BUSES];
	unsigned nbuses;
	unsigned ndevs;
	uint32_t host_bridge_class;	/* class/subclass/prog-if at 00:00.0, or ~0 */
	uint32_t host_bridge_id;	/* vendor | device << 16 */
	bool verbose;
};

static void pci_add_bus(struct pci_scan *s, unsigned bus)
{
	for (unsigned i = 0; i < s->nbuses; i++)
		if (s->buses[i] == bus)
			return;
	if (s->nbuses < MAX_BUSES)
		s->buses[s->nbuses++] = (uint8_t)bus;
}

/* Lists one function as a TAP comment; queues the secondary bus of a bridge. */
static void pci_visit(struct pci_scan *s, unsigned bus, unsigned dev, unsigned fn, uint32_t id)
{
	uint32_t class = pci_read32(bus, dev, fn, 0x08) >> 8;

	if (s->verbose)
		gprintf("# pci %02x:%02x.%x %04x:%04x class %06x\n", bus, dev, fn,
			id & 0xffff, id >> 16, class);
	if (s->ndevs < PCI_MAX_FNS)
		s->fns[s->ndevs] = (struct pci_fn){ .bus = (uint8_t)bus, .dev = (uint8_t)dev,
			.fn = (uint8_t)fn, .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16),
			.class = class };
	s->ndevs++;
	if (bus == 0 && dev == 0 && fn == 0) {
		s->host_bridge_class = class;
		s->host_bridge_id = id;
	}
	if ((class >> 8) == 0x0604) {
		unsigned secondary = (pci_read32(bus, dev, fn, 0x18) >> 8) & 0xff;

		if (secondary != 0)
			pci_add_bus(s, secondary);
	}
}

static void pci_scan_bus(struct pci_scan *s, unsigned bus)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t id = pci_read32(bus, dev, 0, 0);

		if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
			continue;
		pci_visit(s, bus, dev, 0, id);
		if (!((pci_read32(bus, dev, 0, 0x0c) >> 16) & 0x80))
			continue;		/* not multi-function */
		for (unsigned fn = 1; fn < 8; fn++) {
			id = pci_read32(bus, dev, fn, 0);
			if ((id & 0xffff) != 0xffff && (id & 0xffff) != 0)
				pci_visit(s, bus, dev, fn, id);
		}
	}
}

static struct pci_scan scan;

/* Enumerates bus 0 and the buses behind bridges into scan; false without conf1. */
static bool pci_scan_all(bool verbose)
{
	memset(&scan, 0, sizeof(scan));
	scan.host_bridge_class = ~0u;
	scan.verbose = verbose;
	if (!pci_type1_present())
		return false;
	pci_add_bus(&scan, 0);
	for (unsigned i = 0; i < scan.nbuses; i++)
		pci_scan_bus(&scan, scan.buses[i]);
	return true;
}

/* The functions found by the last scan (scans silently the first time). */
const struct pci_fn *pci_functions(unsigned *count)
{
	static bool scanned;

	if (!scanned) {
		pci_scan_all(false);
		scanned = true;
	}
	*count = scan.ndevs < PCI_MAX_FNS ? scan.ndevs : PCI_MAX_FNS;
	return scan.fns;
}

/* Enumerates bus 0 and the buses behind bridges; needs a host bridge 06/00 at 00:00.0. */
bool test_pci(struct tg *g, char *why, size_t n)
{
	const struct pci_scan *s = &scan;

	(void)g;
	if (!pci_scan_all(true)) {
		gsnprintf(why, n, "0xcf8 does not read back: no configuration mechanism 1");
		return false;
	}
	gprintf("# pci: %u functions on %u buses\n", s->ndevs, s->nbuses);
	if (s->host_bridge_class == ~0u) {
		gsnprintf(why, n, "nothing at 00:00.0");
		return false;
	}
	if ((s->host_bridge_class >> 8) != 0x0600) {
		gsnprintf(why, n, "00:00.0 (%04x:%04x) has class %06x, not a host bridge",
			  s->host_bridge_id & 0xffff, s->host_bridge_id >> 16, s->host_bridge_class);
		return false;
	}
	return true;
}
