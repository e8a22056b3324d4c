/* pci.c: PCI enumeration through configuration mechanism 1 (ports 0xcf8/0xcfc). */
#include "tg.h"
#include "io.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define MAX_BUSES	32

static uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	outl(PCI_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(PCI_DATA);
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
	uint8_t buses[MAX_BUSES];
	unsigned nbuses;
	unsigned ndevs;
	uint32_t host_bridge_class;	/* class/subclass/prog-if at 00:00.0, or ~0 */
	uint32_t host_bridge_id;	/* vendor | device << 16 */
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

	gprintf("# pci %02x:%02x.%x %04x:%04x class %06x\n", bus, dev, fn, id & 0xffff,
		id >> 16, class);
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

/* Enumerates bus 0 and the buses behind bridges; needs a host bridge 06/00 at 00:00.0. */
bool test_pci(struct tg *g, char *why, size_t n)
{
	struct pci_scan s = { .host_bridge_class = ~0u };

	(void)g;
	if (!pci_type1_present()) {
		gsnprintf(why, n, "0xcf8 does not read back: no configuration mechanism 1");
		return false;
	}
	pci_add_bus(&s, 0);
	for (unsigned i = 0; i < s.nbuses; i++)
		pci_scan_bus(&s, s.buses[i]);
	gprintf("# pci: %u functions on %u buses\n", s.ndevs, s.nbuses);
	if (s.host_bridge_class == ~0u) {
		gsnprintf(why, n, "nothing at 00:00.0");
		return false;
	}
	if ((s.host_bridge_class >> 8) != 0x0600) {
		gsnprintf(why, n, "00:00.0 (%04x:%04x) has class %06x, not a host bridge",
			  s.host_bridge_id & 0xffff, s.host_bridge_id >> 16, s.host_bridge_class);
		return false;
	}
	return true;
}
