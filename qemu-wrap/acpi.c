/* Building the ACPI tables (ACPI 6.x layouts; FADT revision 4 is enough for Linux
 * and keeps the table small). Every table's checksum is computed last. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "drivers/bus/pci.h"
#include "qemu-wrap/acpi.h"
#include "qemu-wrap/loader.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_gas {	/* Generic Address Structure */
	uint8_t space_id;	/* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0 - sum);
}

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "VIREO ", 6);
	memcpy(h->oem_table_id, "VIREOVMM", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "VIRO", 4);
	h->creator_revision = 1;
	h->checksum = 0;
}

/* Appends tables at 16-byte aligned guest addresses inside the firmware area. */
struct acpi_writer {
	struct gmem *m;
	uint64_t next;
};

static uint64_t put_table(struct acpi_writer *w, void *table, uint32_t len)
{
	struct acpi_header *h = table;
	uint64_t at = w->next;

	h->checksum = acpi_checksum(table, len);
	if (at + len > BOOT_ACPI_END || gmem_write(w->m, at, table, len) < 0)
		return 0;
	w->next = (at + len + 15) & ~15ULL;
	return at;
}

/* ---- a little AML writer for the DSDT ---- */

struct aml {
	uint8_t buf[8192];
	size_t len;
	bool overflow;
};

static void aml_byte(struct aml *a, uint8_t b)
{
	if (a->len < sizeof(a->buf))
		a->buf[a->len++] = b;
	else
		a->overflow = true;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aml_byte(a, ((const uint8_t *)p)[i]);
}

static void aml_dword(struct aml *a, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* Integer constants: Zero/One or the smallest prefix that holds v. */
static void aml_int(struct aml *a, uint32_t v)
{
	if (v == 0) {
		aml_byte(a, 0x00);		/* ZeroOp */
	} else if (v == 1) {
		aml_byte(a, 0x01);		/* OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);		/* BytePrefix */
		aml_byte(a, (uint8_t)v);
	} else {
		aml_byte(a, 0x0c);		/* DWordPrefix */
		aml_dword(a, v);
	}
}

/* Open a PkgLength-framed object: reserve 3 length bytes (up to 1 MiB); close it
 * with aml_close, which moves the body if a shorter encoding fits. */
static size_t aml_open(struct aml *a)
{
	size_t at = a->len;

	aml_byte(a, 0);
	aml_byte(a, 0);
	aml_byte(a, 0);
	return at;
}

static void aml_close(struct aml *a, size_t at)
{
	size_t body = a->len - at - 3, n, total;

	if (a->overflow)
		return;
	/* PkgLength counts itself: 1 byte up to 63, else 1 + n bytes of 4/8/8 bits. */
	n = body + 1 <= 63 ? 1 : body + 2 <= 0xfff ? 2 : 3;
	total = body + n;
	memmove(a->buf + at + n, a->buf + at + 3, body);
	a->len = at + n + body;
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
	} else {
		a->buf[at] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		a->buf[at + 1] = (uint8_t)(total >> 4);
		if (n == 3)
			a->buf[at + 2] = (uint8_t)(total >> 12);
	}
}

static void aml_name(struct aml *a, const char *seg4)
{
	aml_byte(a, 0x08);			/* NameOp */
	aml_bytes(a, seg4, 4);
}

/* The host bridge's resources: buses 0-255, conf1, the I/O ports around it, and the
 * 32-bit MMIO window where PCI BARs live (drivers/bus/pci.h). */
static void aml_pci_crs(struct aml *a)
{
	static const uint8_t crs[] = {
		/* WordBusNumber 0-255 */
		0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00,
		0x00, 0x00, 0x00, 0x01,
		/* IO 0xcf8, 8 ports (conf1) */
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
		/* WordIO 0x0000-0x0cf7 */
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x00, 0xf7, 0x0c,
		0x00, 0x00, 0xf8, 0x0c,
		/* WordIO 0x0d00-0xffff */
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xff,
		0x00, 0x00, 0x00, 0xf3,
		/* DWordMemory 0xe0000000-0xfebfffff, read-write, non-cacheable */
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xbf, 0xfe, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xc0, 0x1e,
		/* EndTag */
		0x79, 0x00,
	};
	size_t at;

	aml_name(a, "_CRS");
	aml_byte(a, 0x11);			/* BufferOp */
	at = aml_open(a);
	aml_int(a, sizeof(crs));
	aml_bytes(a, crs, sizeof(crs));
	aml_close(a, at);
}

/* _PRT: every slot's INTA-D to its GSI (the same swizzle the bridge uses). */
static void aml_pci_prt(struct aml *a)
{
	size_t at, pkg;

	aml_name(a, "_PRT");
	aml_byte(a, 0x12);			/* PackageOp */
	at = aml_open(a);
	aml_byte(a, 31 * 4);			/* NumElements */
	for (unsigned slot = 1; slot < 32; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_byte(a, 0x12);
			pkg = aml_open(a);
			aml_byte(a, 4);
			aml_int(a, (slot << 16) | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);		/* no link device: the GSI below */
			aml_int(a, pci_intx_gsi(slot, pin + 1));
			aml_close(a, pkg);
		}
	}
	aml_close(a, at);
}

/* DSDT: \_SB.PCI0 (so an ACPI guest such as Linux finds the PCI bus: it does not
 * probe conf1 by itself when ACPI is on) and \_S5 (SLP_TYPa = SLP_TYPb = 5). */
static uint64_t build_dsdt(struct acpi_writer *w)
{
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_',	/* NameOp "_S5_" */
		0x12, 0x08, 0x04,		/* PackageOp, PkgLength 8, 4 elements */
		0x0a, ACPI_S5_SLP_TYP,		/* BytePrefix 5 */
		0x0a, ACPI_S5_SLP_TYP,
		0x00, 0x00,			/* Zero, Zero */
	};
	struct aml *a = xzalloc(sizeof(*a));
	uint8_t *t = xzalloc(sizeof(struct acpi_header) + sizeof(a->buf));
	size_t scope, dev;
	uint64_t at = 0;

	aml_byte(a, 0x10);			/* ScopeOp */
	scope = aml_open(a);
	aml_bytes(a, "\\_SB_", 5);
	aml_bytes(a, "\x5b\x82", 2);		/* DeviceOp */
	dev = aml_open(a);
	aml_bytes(a, "PCI0", 4);
	aml_name(a, "_HID");
	aml_int(a, 0x030ad041);		/* EisaId ("PNP0A03") */
	aml_name(a, "_UID");
	aml_int(a, 0);
	aml_name(a, "_ADR");
	aml_int(a, 0);
	aml_name(a, "_BBN");
	aml_int(a, 0);
	aml_pci_crs(a);
	aml_pci_prt(a);
	aml_close(a, dev);
	aml_close(a, scope);
	aml_bytes(a, s5, sizeof(s5));
	if (!a->overflow) {
		header((struct acpi_header *)t, "DSDT",
		       (uint32_t)(sizeof(struct acpi_header) + a->len), 2);
		memcpy(t + sizeof(struct acpi_header), a->buf, a->len);
		at = put_table(w, t, (uint32_t)(sizeof(struct acpi_header) + a->len));
	}
	free(t);
	free(a);
	return at;
}

static void put16(uint8_t *t, size_t off, uint16_t v) { memcpy(t + off, &v, 2); }
static void put32(uint8_t *t, size_t off, uint32_t v) { memcpy(t + off, &v, 4); }
static void put64(uint8_t *t, size_t off, uint64_t v) { memcpy(t + off, &v, 8); }

static void put_gas(uint8_t *t, size_t off, uint8_t width, uint8_t access, uint64_t port)
{
	struct acpi_gas g = { 1, width, 0, access, port };

	memcpy(t + off, &g, sizeof(g));
}

static uint64_t build_fadt(struct acpi_writer *w, uint64_t dsdt)
{
	uint8_t t[244];

	memset(t, 0, sizeof(t));
	header((struct acpi_header *)t, "FACP", sizeof(t), 4);
	put32(t, 40, (uint32_t)dsdt);
	put16(t, 46, ACPI_SCI_IRQ);
	/* SMI_CMD 0: the platform is always in ACPI mode (SCI_EN reads 1). */
	put32(t, 56, ACPI_PM1A_EVT);
	put32(t, 64, ACPI_PM1A_CNT);
	put32(t, 76, ACPI_PM_TMR);
	t[88] = 4;	/* PM1_EVT_LEN */
	t[89] = 2;	/* PM1_CNT_LEN */
	t[91] = 4;	/* PM_TMR_LEN */
	put16(t, 96, 101);	/* P_LVL2_LAT > 100: C2 not supported */
	put16(t, 98, 1001);	/* P_LVL3_LAT > 1000: C3 not supported */
	t[108] = 0x32;		/* CENTURY: the RTC's century register */
	put16(t, 109, 0x3);	/* IAPC_BOOT_ARCH: legacy devices, 8042 */
	/* Flags: WBINVD, PROC_C1, SLP_BUTTON (no fixed sleep button; the power button
	 * is fixed-feature: PWR_BUTTON clear), RESET_REG_SUP. */
	put32(t, 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 10));
	put_gas(t, 116, 8, 1, ACPI_RESET_PORT);
	t[128] = ACPI_RESET_VAL;
	put64(t, 140, dsdt);
	put_gas(t, 148, 32, 2, ACPI_PM1A_EVT);
	put_gas(t, 172, 16, 2, ACPI_PM1A_CNT);
	put_gas(t, 208, 32, 3, ACPI_PM_TMR);
	return put_table(w, t, sizeof(t));
}

static uint64_t build_madt(struct acpi_writer *w, unsigned ncpus)
{
	/* Interrupt source overrides as on a PC: the PIT on GSI 2; SCI and the PCI INTx
	 * lines level-triggered, active high. */
	static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } isos[] = {
		{ 0, 2, 0x0000 }, { 5, 5, 0x000d }, { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d },
		{ 10, 10, 0x000d }, { 11, 11, 0x000d },
	};
	uint8_t t[44 + 255 * 8 + 12 + sizeof(isos) / sizeof(isos[0]) * 10];
	size_t off = 44;

	memset(t, 0, sizeof(t));
	put32(t, 36, 0xfee00000);	/* local APIC address */
	put32(t, 40, 1);		/* PCAT_COMPAT: 8259s present */
	for (unsigned i = 0; i < ncpus && i < 255; i++, off += 8) {
		t[off] = 0;		/* processor local APIC */
		t[off + 1] = 8;
		t[off + 2] = (uint8_t)i;	/* ACPI processor UID */
		t[off + 3] = (uint8_t)i;	/* APIC ID */
		put32(t, off + 4, 1);		/* enabled */
	}
	t[off] = 1;			/* I/O APIC */
	t[off + 1] = 12;
	t[off + 2] = (uint8_t)ncpus;	/* its id, after the CPUs' */
	put32(t, off + 4, 0xfec00000);
	put32(t, off + 8, 0);		/* GSI base */
	off += 12;
	for (size_t i = 0; i < sizeof(isos) / sizeof(isos[0]); i++, off += 10) {
		t[off] = 2;
		t[off + 1] = 10;
		t[off + 2] = 0;		/* ISA bus */
		t[off + 3] = isos[i].irq;
		put32(t, off + 4, isos[i].gsi);
		put16(t, off + 8, isos[i].flags);
	}
	header((struct acpi_header *)t, "APIC", (uint32_t)off, 4);
	return put_table(w, t, (uint32_t)off);
}

int acpi_build(struct gmem *m, unsigned ncpus, uint64_t *rsdp_gpa, struct err **errp)
{
	struct acpi_writer w = { m, BOOT_ACPI_GPA + 64 };
	uint8_t rsdt[36 + 8], xsdt[36 + 16], rsdp[36];
	uint64_t dsdt, fadt, madt, rsdt_at, xsdt_at;

	if (!ncpus)
		ncpus = 1;
	dsdt = build_dsdt(&w);
	fadt = dsdt ? build_fadt(&w, dsdt) : 0;
	madt = fadt ? build_madt(&w, ncpus) : 0;
	if (!madt)
		return err_set(errp, ERR_INTERNAL, _("cannot place the ACPI tables in guest RAM"));
	memset(rsdt, 0, sizeof(rsdt));
	header((struct acpi_header *)rsdt, "RSDT", sizeof(rsdt), 1);
	put32(rsdt, 36, (uint32_t)fadt);
	put32(rsdt, 40, (uint32_t)madt);
	rsdt_at = put_table(&w, rsdt, sizeof(rsdt));
	memset(xsdt, 0, sizeof(xsdt));
	header((struct acpi_header *)xsdt, "XSDT", sizeof(xsdt), 1);
	put64(xsdt, 36, fadt);
	put64(xsdt, 44, madt);
	xsdt_at = put_table(&w, xsdt, sizeof(xsdt));
	if (!rsdt_at || !xsdt_at)
		return err_set(errp, ERR_INTERNAL, _("cannot place the ACPI tables in guest RAM"));
	memset(rsdp, 0, sizeof(rsdp));
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "VIREO ", 6);
	rsdp[15] = 2;			/* ACPI 2.0+: XSDT */
	put32(rsdp, 16, (uint32_t)rsdt_at);
	put32(rsdp, 20, sizeof(rsdp));
	put64(rsdp, 24, xsdt_at);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);
	if (gmem_write(m, BOOT_ACPI_GPA, rsdp, sizeof(rsdp)) < 0)
		return err_set(errp, ERR_INTERNAL, _("cannot place the ACPI tables in guest RAM"));
	*rsdp_gpa = BOOT_ACPI_GPA;
	return 0;
}
