/*
 * acpi.c: finds and checks the ACPI tables (RSDP, XSDT/RSDT, FADT, DSDT) and reads what the
 * power paths need: PM1 blocks, the reset register, and SLP_TYP from the _S5_ package.
 * Tables are plain memory: read at CPL3 through the identity map of the first 4 GiB.
 */
#include "tg.h"

#define PHYS_LIMIT	(4ull << 30)
#define MAX_TABLE	(16u << 20)
#define MAX_ENTRIES	64
#define FADT_FLAG_RESET	(1u << 10)	/* RESET_REG_SUP */

/* Returns true when [addr, addr + len) is inside the identity map and not page 0. */
static bool phys_ok(uint64_t addr, uint64_t len)
{
	return addr >= 0x1000 && addr < PHYS_LIMIT && len <= MAX_TABLE && len <= PHYS_LIMIT - addr;
}

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Returns true when an RSDP with valid checksums (and extended checksum) is at addr. */
static bool rsdp_valid(uint64_t addr)
{
	const uint8_t *p = phys(addr);

	if (!phys_ok(addr, 36) || memcmp(p, "RSD PTR ", 8) != 0 || sum8(p, 20) != 0)
		return false;
	if (p[15] >= 2) {
		uint32_t len = rd32(p + 20);

		if (len < 36 || len > 4096 || sum8(p, len) != 0)
			return false;
	}
	return true;
}

/* Returns the RSDP's address (start_info's rsdp_paddr first, then the BIOS area) or 0. */
static uint64_t rsdp_find(const struct tg *g, bool verbose, const char **source)
{
	if (g->si && g->si->rsdp_paddr) {
		if (rsdp_valid(g->si->rsdp_paddr)) {
			*source = "start_info";
			return g->si->rsdp_paddr;
		}
		if (verbose)
			gprintf("# acpi: start_info rsdp_paddr 0x%lx is not a valid RSDP\n",
				g->si->rsdp_paddr);
	}
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		if (rsdp_valid(a)) {
			*source = "bios area";
			return a;
		}
	}
	return 0;
}

/*
 * Checks a system description table header at addr: inside memory, signature sig (when not
 * NULL), sane length, zero checksum. Returns its length, or 0 with why filled.
 */
static uint32_t sdt_check(uint64_t addr, const char *sig, char *why, size_t n)
{
	const uint8_t *p = phys(addr);
	uint32_t len;

	if (!phys_ok(addr, 36)) {
		gsnprintf(why, n, "%s at 0x%lx is outside the first 4 GiB", sig ? sig : "table",
			  addr);
		return 0;
	}
	len = rd32(p + 4);
	if (sig && memcmp(p, sig, 4) != 0) {
		gsnprintf(why, n, "0x%lx holds '%.4s', not %s", addr, (const char *)p, sig);
		return 0;
	}
	if (len < 36 || !phys_ok(addr, len)) {
		gsnprintf(why, n, "%.4s at 0x%lx has bad length %u", (const char *)p, addr, len);
		return 0;
	}
	if (sum8(p, len) != 0) {
		gsnprintf(why, n, "%.4s at 0x%lx has a bad checksum", (const char *)p, addr);
		return 0;
	}
	return len;
}

/* Reads one AML integer (ZeroOp, OneOp, OnesOp, Byte/Word/DWord prefix) at *pp. */
static bool aml_int(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	unsigned size;

	if (p >= end)
		return false;
	switch (*p) {
	case 0x00: *v = 0; *pp = p + 1; return true;
	case 0x01: *v = 1; *pp = p + 1; return true;
	case 0xff: *v = ~0ull; *pp = p + 1; return true;
	case 0x0a: size = 1; break;
	case 0x0b: size = 2; break;
	case 0x0c: size = 4; break;
	default: return false;
	}
	if (end - p < 1 + (long)size)
		return false;
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v |= (uint64_t)p[1 + i] << (8 * i);
	*pp = p + 1 + size;
	return true;
}

/* Finds Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}) in an AML table body. */
static bool find_s5(const uint8_t *t, uint32_t len, uint8_t *a, uint8_t *b)
{
	const uint8_t *end = t + len;

	for (uint32_t i = 37; i + 4 < len; i++) {
		const uint8_t *p = t + i;
		uint64_t va, vb;

		if (memcmp(p, "_S5_", 4) != 0)
			continue;
		if (!(p[-1] == 0x08 || (p[-1] == 0x5c && p[-2] == 0x08)))
			continue;		/* not NameOp [RootChar] _S5_ */
		p += 4;
		if (p >= end || *p++ != 0x12)	/* PackageOp */
			continue;
		if (p >= end)
			continue;
		p += 1 + (*p >> 6);		/* PkgLength: lead byte + bytes it names */
		p++;				/* NumElements */
		if (!aml_int(&p, end, &va) || !aml_int(&p, end, &vb))
			continue;
		*a = (uint8_t)(va & 7);
		*b = (uint8_t)(vb & 7);
		return true;
	}
	return false;
}

/* Reads the FADT fields the power paths use into g->acpi. */
static void fadt_parse(struct acpi_info *ai, const uint8_t *f, uint32_t len)
{
	uint64_t x_dsdt = len >= 148 ? rd64(f + 140) : 0;
	uint32_t flags = len >= 116 ? rd32(f + 112) : 0;

	ai->dsdt = x_dsdt ? x_dsdt : rd32(f + 40);
	ai->sci_int = rd16(f + 46);
	ai->smi_cmd = rd32(f + 48);
	ai->acpi_enable = f[52];
	ai->pm1a_evt = rd32(f + 56);
	ai->pm1b_evt = rd32(f + 60);
	ai->pm1a_cnt = rd32(f + 64);
	ai->pm1b_cnt = rd32(f + 68);
	ai->pm1_evt_len = len > 88 ? f[88] : 4;
	/* ACPI 2.0+ extended blocks, used only when the 32-bit fields are empty (I/O space). */
	if (!ai->pm1a_evt && len >= 160 && f[148] == 1)
		ai->pm1a_evt = (uint32_t)rd64(f + 152);
	if (!ai->pm1a_cnt && len >= 184 && f[172] == 1)
		ai->pm1a_cnt = (uint32_t)rd64(f + 176);
	if (ai->pm1_evt_len < 4)
		ai->pm1_evt_len = 4;
	if (len >= 129 && (flags & FADT_FLAG_RESET) && (f[116] == 0 || f[116] == 1) &&
	    rd64(f + 120)) {
		ai->reset_reg_ok = true;
		ai->reset_space = f[116];
		ai->reset_addr = rd64(f + 120);
		ai->reset_value = f[128];
	}
}

/* Walks XSDT (or RSDT): checks every table, returns the FADT's address or 0. */
static uint64_t root_walk(uint64_t root, bool xsdt, bool verbose, char *why, size_t n)
{
	const uint8_t *r = phys(root);
	uint32_t len = sdt_check(root, xsdt ? "XSDT" : "RSDT", why, n);
	unsigned esz = xsdt ? 8 : 4, count;
	uint64_t fadt = 0;
	char sigs[5 * MAX_ENTRIES + 1] = "";
	size_t sl = 0;

	if (!len)
		return 0;
	count = (len - 36) / esz;
	if (count > MAX_ENTRIES)
		count = MAX_ENTRIES;
	for (unsigned i = 0; i < count; i++) {
		uint64_t a = xsdt ? rd64(r + 36 + 8 * i) : rd32(r + 36 + 4 * i);

		if (!sdt_check(a, NULL, why, n))
			return 0;
		memcpy(sigs + sl, phys(a), 4);
		sigs[sl + 4] = ' ';
		sl += 5;
		sigs[sl] = '\0';
		if (memcmp(phys(a), "FACP", 4) == 0 && !fadt)
			fadt = a;
	}
	if (verbose)
		gprintf("# acpi %s 0x%lx: %s\n", xsdt ? "xsdt" : "rsdt", root, sigs);
	if (!fadt)
		gsnprintf(why, n, "no FACP among %u tables", count);
	return fadt;
}

/* Looks for _S5_ in the DSDT, then in the SSDTs listed by the root table. */
static bool s5_search(struct acpi_info *ai, uint64_t root, bool xsdt, uint32_t dsdt_len,
		      const char **where)
{
	const uint8_t *r = phys(root);
	uint32_t count = (rd32(r + 4) - 36) / (xsdt ? 8 : 4);

	*where = "DSDT";
	if (find_s5(phys(ai->dsdt), dsdt_len, &ai->slp_typa, &ai->slp_typb))
		return true;
	for (uint32_t i = 0; i < count && i < MAX_ENTRIES; i++) {
		uint64_t a = xsdt ? rd64(r + 36 + 8 * i) : rd32(r + 36 + 4 * i);

		*where = "SSDT";
		if (memcmp(phys(a), "SSDT", 4) == 0 &&
		    find_s5(phys(a), rd32(phys(a) + 4), &ai->slp_typa, &ai->slp_typb))
			return true;
	}
	return false;
}

/*
 * Finds and checks the tables and fills g->acpi; sets g->acpi_ok when everything the
 * power paths need is there. Returns g->acpi_ok; on failure why says what is missing.
 */
bool acpi_probe(struct tg *g, char *why, size_t n, bool verbose)
{
	struct acpi_info *ai = &g->acpi;
	const char *source = "", *where = "";
	const uint8_t *p;
	uint64_t root;
	uint32_t flen, dlen;
	bool xsdt;

	memset(ai, 0, sizeof(*ai));
	g->acpi_ok = false;
	ai->rsdp = rsdp_find(g, verbose, &source);
	if (!ai->rsdp) {
		gsnprintf(why, n, "no valid RSDP (start_info or 0xe0000-0xfffff)");
		return false;
	}
	p = phys(ai->rsdp);
	xsdt = p[15] >= 2 && rd64(p + 24) != 0;
	root = xsdt ? rd64(p + 24) : rd32(p + 16);
	if (verbose)
		gprintf("# acpi rsdp 0x%lx (%s) revision %u oem '%.6s'\n", ai->rsdp, source, p[15],
			(const char *)p + 9);
	ai->fadt = root_walk(root, xsdt, verbose, why, n);
	if (!ai->fadt)
		return false;
	flen = sdt_check(ai->fadt, "FACP", why, n);
	if (!flen)
		return false;
	fadt_parse(ai, phys(ai->fadt), flen);
	if (verbose)
		gprintf("# acpi fadt 0x%lx rev %u: pm1a_evt 0x%x pm1a_cnt 0x%x pm1b_evt 0x%x "
			"pm1b_cnt 0x%x pm1_evt_len %u sci %u smi_cmd 0x%x\n",
			ai->fadt, phys(ai->fadt)[8], ai->pm1a_evt, ai->pm1a_cnt, ai->pm1b_evt,
			ai->pm1b_cnt, ai->pm1_evt_len, ai->sci_int, ai->smi_cmd);
	if (verbose && ai->reset_reg_ok)
		gprintf("# acpi reset register: %s 0x%lx value 0x%02x\n",
			ai->reset_space ? "io" : "mem", ai->reset_addr, ai->reset_value);
	dlen = sdt_check(ai->dsdt, "DSDT", why, n);
	if (!dlen)
		return false;
	ai->s5_found = s5_search(ai, root, xsdt, dlen, &where);
	if (verbose)
		gprintf("# acpi dsdt 0x%lx length %u; _S5_ %s%s, SLP_TYPa %u SLP_TYPb %u\n",
			ai->dsdt, dlen, ai->s5_found ? "in " : "not found",
			ai->s5_found ? where : "", ai->slp_typa, ai->slp_typb);
	if (!ai->s5_found) {
		gsnprintf(why, n, "no Name(_S5_, Package) in the DSDT or an SSDT");
		return false;
	}
	if (!ai->pm1a_cnt || !ai->pm1a_evt) {
		gsnprintf(why, n, "FADT has no PM1a event or control block");
		return false;
	}
	g->acpi_ok = true;
	return true;
}

bool test_acpi(struct tg *g, char *why, size_t n)
{
	return acpi_probe(g, why, n, true);
}
