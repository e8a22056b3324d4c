/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): a bzImage is a
 * real-mode setup part followed by the protected-mode kernel. We skip the real-mode
 * part and enter the kernel at its 64-bit entry (load address + 0x200) in long mode,
 * with identity page tables and %rsi pointing at boot_params (the "zero page"). */
#include "config.h"

#include <string.h>

#include "lib/util/i18n.h"
#include "qemu-wrap/loader.h"

/* Offsets in boot_params / the setup header (boot.rst). */
#define ZP_E820_ENTRIES		0x1e8
#define ZP_SETUP_SECTS		0x1f1
#define ZP_BOOT_FLAG		0x1fe	/* 0xaa55 */
#define ZP_HEADER		0x202	/* "HdrS" */
#define ZP_VERSION		0x206
#define ZP_TYPE_OF_LOADER	0x210
#define ZP_LOADFLAGS		0x211
#define ZP_CODE32_START		0x214
#define ZP_RAMDISK_IMAGE	0x218
#define ZP_RAMDISK_SIZE		0x21c
#define ZP_HEAP_END_PTR		0x224
#define ZP_CMD_LINE_PTR		0x228
#define ZP_INITRD_ADDR_MAX	0x22c
#define ZP_RELOCATABLE		0x234
#define ZP_XLOADFLAGS		0x236
#define ZP_CMDLINE_SIZE		0x238
#define ZP_PREF_ADDRESS		0x258
#define ZP_INIT_SIZE		0x260
#define ZP_HEADER_END		0x268
#define ZP_ACPI_RSDP		0x070
#define ZP_E820_TABLE		0x2d0
#define ZP_E820_MAX		128

#define LOADFLAG_LOADED_HIGH	0x01
#define LOADFLAG_CAN_USE_HEAP	0x80
#define XLF_KERNEL_64		0x01
#define KERNEL_LOAD_GPA		0x100000

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

int loader_bzimage_parse(const void *image, size_t len, const char *name,
			 struct bzimage_info *out, struct err **errp)
{
	const uint8_t *img = image;
	unsigned sects;

	if (len < ZP_HEADER_END)
		return err_set(errp, ERR_INVALID, _("%s: too short to be a kernel image (%zu bytes)"),
			       name, len);
	if (memcmp(img + ZP_HEADER, "HdrS", 4) != 0 || le16(img + ZP_BOOT_FLAG) != 0xaa55)
		return err_set(errp, ERR_INVALID,
			       _("%s: neither a PVH ELF nor a Linux bzImage (no 'HdrS' boot header)"),
			       name);
	memset(out, 0, sizeof(*out));
	out->version = le16(img + ZP_VERSION);
	/* 2.12 brought xloadflags and the 64-bit entry we use. */
	if (out->version < 0x020c)
		return err_set(errp, ERR_UNSUPPORTED,
			       _("%s: boot protocol %u.%02u is too old (2.12 or newer needed)"), name,
			       out->version >> 8, out->version & 0xff);
	if (!(img[ZP_XLOADFLAGS] & XLF_KERNEL_64))
		return err_set(errp, ERR_UNSUPPORTED, _("%s: not a 64-bit kernel (no 64-bit entry)"),
			       name);
	if (!(img[ZP_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return err_set(errp, ERR_UNSUPPORTED, _("%s: a zImage (loaded low) is not supported"),
			       name);
	sects = img[ZP_SETUP_SECTS] ? img[ZP_SETUP_SECTS] : 4;
	out->setup_size = ((size_t)sects + 1) * 512;
	if (out->setup_size >= len)
		return err_set(errp, ERR_INVALID,
			       _("%s: truncated: %zu bytes, the setup part alone claims %zu"), name, len,
			       out->setup_size);
	out->kernel_size = len - out->setup_size;
	out->initrd_addr_max = le32(img + ZP_INITRD_ADDR_MAX);
	out->relocatable = img[ZP_RELOCATABLE] != 0;
	memcpy(&out->pref_address, img + ZP_PREF_ADDRESS, 8);
	out->init_size = le32(img + ZP_INIT_SIZE);
	return 0;
}

/* Identity-map the first 4 GiB with 2 MiB pages: PML4 -> one PDPT -> four PDs. */
static int write_page_tables(struct gmem *m, struct err **errp)
{
	uint64_t *pml4 = gmem_ptr(m, BOOT_PML4_GPA, 0x6000);
	uint64_t *pdpt, *pd;

	if (!pml4)
		return err_set(errp, ERR_INTERNAL, _("guest RAM too small for the page tables"));
	memset(pml4, 0, 0x6000);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (BOOT_PML4_GPA + 0x1000) | 0x3;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4_GPA + 0x2000 + i * 0x1000ULL) | 0x3;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* present, writable, 2 MiB */
	return 0;
}

int loader_linux_load(struct gmem *m, const void *image, size_t len, const char *name,
		      const char *cmdline, const void *initrd, size_t initrd_len, uint64_t rsdp_gpa,
		      struct boot_info *bi, struct err **errp)
{
	const uint8_t *img = image;
	struct e820_entry e820[8];
	struct bzimage_info info;
	uint8_t *zp;
	uint64_t kernel_end;
	unsigned n;

	if (loader_bzimage_parse(img, len, name, &info, errp) < 0)
		return -1;
	/* The kernel decompresses to its preferred address (16 MiB for Debian's) when
	 * loaded below it, and needs init_size bytes there. */
	kernel_end = (info.pref_address > KERNEL_LOAD_GPA ? info.pref_address : KERNEL_LOAD_GPA) +
		     (info.init_size > info.kernel_size ? info.init_size : info.kernel_size);
	if (kernel_end > gmem_low_top(m) ||
	    gmem_write(m, KERNEL_LOAD_GPA, img + info.setup_size, info.kernel_size) < 0)
		return err_set(errp, ERR_INVALID, _("%s: the kernel needs at least %llu MiB of RAM"),
			       name, (unsigned long long)((kernel_end + (1 << 20) - 1) >> 20));
	zp = gmem_ptr(m, BOOT_ZERO_PAGE_GPA, 4096);
	if (!zp)
		return err_set(errp, ERR_INTERNAL, _("guest RAM too small for boot_params"));
	memset(zp, 0, 4096);
	/* The setup header is copied as is, then the loader's fields are filled in. */
	memcpy(zp + ZP_SETUP_SECTS, img + ZP_SETUP_SECTS, ZP_HEADER_END - ZP_SETUP_SECTS);
	zp[ZP_TYPE_OF_LOADER] = 0xff;
	zp[ZP_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	memcpy(zp + ZP_HEAP_END_PTR, &(uint16_t){ 0xfe00 }, 2);
	memcpy(zp + ZP_CODE32_START, &(uint32_t){ KERNEL_LOAD_GPA }, 4);
	if (cmdline) {
		if (strlen(cmdline) + 1 > le32(img + ZP_CMDLINE_SIZE) + 1U &&
		    info.version >= 0x0206)
			return err_set(errp, ERR_INVALID,
				       _("%s: the command line is longer than the kernel accepts (%u bytes)"),
				       name, le32(img + ZP_CMDLINE_SIZE));
		if (gmem_write(m, BOOT_CMDLINE_GPA, cmdline, strlen(cmdline) + 1) < 0)
			return err_set(errp, ERR_INTERNAL, _("guest RAM too small for the command line"));
		memcpy(zp + ZP_CMD_LINE_PTR, &(uint32_t){ BOOT_CMDLINE_GPA }, 4);
	}
	if (initrd) {
		uint64_t at;

		if (loader_place_initrd(m, initrd, initrd_len, info.initrd_addr_max, kernel_end, &at,
					errp) < 0)
			return -1;
		memcpy(zp + ZP_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)at }, 4);
		memcpy(zp + ZP_RAMDISK_SIZE, &(uint32_t){ (uint32_t)initrd_len }, 4);
	}
	memcpy(zp + ZP_ACPI_RSDP, &rsdp_gpa, 8);
	n = loader_e820(m, e820, 8);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + ZP_E820_TABLE, e820, n * sizeof(e820[0]));
	if (write_page_tables(m, errp) < 0)
		return -1;
	bi->kind = BOOT_LINUX64;
	bi->entry = KERNEL_LOAD_GPA + 0x200;
	bi->arg = BOOT_ZERO_PAGE_GPA;
	return 0;
}
