/* Loading a guest kernel: the PVH ELF entry (Xen ELF note 18) and the Linux x86 boot
 * protocol (bzImage, 64-bit entry). The loader writes the image, the boot structures
 * (start_info or boot_params, the e820 map, the command line, the initrd) and, for
 * Linux, identity page tables into guest RAM, and says how the boot vCPU must start.
 *
 * Fixed low-memory layout (all below 1 MiB, outside the e820 RAM the guest may use
 * before it has read the map):
 *   0x0500 GDT        0x1000 PVH memmap        0x6000 start_info   0x7000 boot_params
 *   0x9000 PML4       0xa000 PDPT              0xb000-0xefff PDs (4 GiB, 2 MiB pages)
 *   0x20000 command line (up to 64 KiB)        0xe0000-0xfffff ACPI tables */
#ifndef VIREO_VMM_LOADER_H
#define VIREO_VMM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"
#include "qemu-wrap/gmem.h"

#define BOOT_GDT_GPA		0x500
#define BOOT_MEMMAP_GPA		0x1000
#define BOOT_START_INFO_GPA	0x6000
#define BOOT_ZERO_PAGE_GPA	0x7000
#define BOOT_PML4_GPA		0x9000
#define BOOT_CMDLINE_GPA	0x20000
#define BOOT_CMDLINE_MAX	0x10000
#define BOOT_ACPI_GPA		0xe0000
#define BOOT_ACPI_END		0x100000

/* GDT selectors the boot vCPU's segments use (as Linux's boot protocol expects:
 * __BOOT_CS 0x10, __BOOT_DS 0x18). */
#define BOOT_CS32	0x08
#define BOOT_CS64	0x10
#define BOOT_DS		0x18

enum boot_kind {
	BOOT_PVH,	/* 32-bit protected mode, paging off, %ebx = start_info */
	BOOT_LINUX64,	/* long mode, identity paging, %rsi = boot_params */
};

struct boot_info {
	enum boot_kind kind;
	uint64_t entry;		/* guest-physical entry point */
	uint64_t arg;		/* start_info or boot_params address */
};

/* What the PVH parser found in an ELF image. */
struct pvh_image {
	uint32_t entry;		/* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t load_lo, load_hi;	/* span of the PT_LOAD segments */
};

/* What the Linux parser found in a bzImage. */
struct bzimage_info {
	uint16_t version;	/* boot protocol version, e.g. 0x020f */
	size_t setup_size;	/* (setup_sects + 1) * 512 */
	size_t kernel_size;	/* the protected-mode part */
	uint32_t initrd_addr_max;
	uint64_t pref_address;
	uint32_t init_size;
	bool relocatable;
};

/* Load kernel (with optional initrd and command line) into m. The RSDP address goes
 * into PVH's start_info (version 1) and Linux's boot_params. Errors name the file and
 * what is wrong with it. */
int loader_load(struct gmem *m, const char *kernel, const char *initrd, const char *cmdline,
		uint64_t rsdp_gpa, struct boot_info *bi, struct err **errp);

/* The image checks, separately testable: does this look like a PVH ELF / a bzImage? */
bool loader_is_elf(const void *img, size_t len);
int loader_pvh_parse(const void *img, size_t len, const char *name, struct pvh_image *out,
		     struct err **errp);
int loader_bzimage_parse(const void *img, size_t len, const char *name,
			 struct bzimage_info *out, struct err **errp);

/* Shared by both: the e820 map of this machine (RAM, the reserved firmware area).
 * Fills up to max entries of {addr, size, type}; returns the count. */
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;		/* 1 RAM, 2 reserved */
} __attribute__((packed));
unsigned loader_e820(const struct gmem *m, struct e820_entry *out, unsigned max);

/* Write the boot GDT (flat 32-bit code, 64-bit code, data). */
int loader_write_gdt(struct gmem *m, struct err **errp);

/* Internal to the loader files. */
int loader_pvh_load(struct gmem *m, const void *img, size_t len, const char *name,
		    const char *cmdline, const void *initrd, size_t initrd_len, uint64_t rsdp_gpa,
		    struct boot_info *bi, struct err **errp);
int loader_linux_load(struct gmem *m, const void *img, size_t len, const char *name,
		      const char *cmdline, const void *initrd, size_t initrd_len, uint64_t rsdp_gpa,
		      struct boot_info *bi, struct err **errp);
/* Where an initrd of len bytes goes: page-aligned, as high as possible below limit. */
int loader_place_initrd(struct gmem *m, const void *initrd, size_t len, uint64_t limit,
			uint64_t kernel_end, uint64_t *gpa, struct err **errp);

#endif
