/* Choosing the loader, and what PVH and Linux boots share: files, e820, GDT, initrd. */
#include "config.h"

#include <string.h>
#include <stdlib.h>

#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "qemu-wrap/loader.h"

/* Kernel images and initrds are read whole; this bounds what a bad path can cost. */
#define IMAGE_MAX ((size_t)1 << 30)

bool loader_is_elf(const void *img, size_t len)
{
	return len >= 4 && memcmp(img, "\177ELF", 4) == 0;
}

unsigned loader_e820(const struct gmem *m, struct e820_entry *out, unsigned max)
{
	uint64_t low = gmem_low_top(m);
	unsigned n = 0;

	if (max < 5)
		return 0;
	out[n++] = (struct e820_entry){ 0, 0x9fc00, 1 };
	out[n++] = (struct e820_entry){ 0x9fc00, 0xa0000 - 0x9fc00, 2 };
	/* The firmware area holds our ACPI tables: the guest must not reuse it. */
	out[n++] = (struct e820_entry){ 0xe0000, 0x20000, 2 };
	out[n++] = (struct e820_entry){ 0x100000, low - 0x100000, 1 };
	if (m->nslots > 1)
		out[n++] = (struct e820_entry){ m->slots[1].gpa, m->slots[1].size, 1 };
	return n;
}

int loader_write_gdt(struct gmem *m, struct err **errp)
{
	/* null, 32-bit code, 64-bit code, data: all flat, base 0, limit 4 GiB. */
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffULL,
		0x00af9b000000ffffULL,
		0x00cf93000000ffffULL,
	};

	if (gmem_write(m, BOOT_GDT_GPA, gdt, sizeof(gdt)) < 0)
		return err_set(errp, ERR_INTERNAL, _("guest RAM too small for the boot GDT"));
	return 0;
}

int loader_place_initrd(struct gmem *m, const void *initrd, size_t len, uint64_t limit,
			uint64_t kernel_end, uint64_t *gpa, struct err **errp)
{
	uint64_t top = gmem_low_top(m), start;

	if (limit && top > limit + 1)
		top = limit + 1;
	if (len > top)
		return err_set(errp, ERR_INVALID, _("the initrd (%zu bytes) does not fit in guest RAM"),
			       len);
	start = (top - len) & ~0xfffULL;
	if (start < kernel_end)
		return err_set(errp, ERR_INVALID,
			       _("the initrd (%zu bytes) does not fit in guest RAM above the kernel"),
			       len);
	if (gmem_write(m, start, initrd, len) < 0)
		return err_set(errp, ERR_INTERNAL, _("cannot place the initrd at 0x%llx"),
			       (unsigned long long)start);
	*gpa = start;
	return 0;
}

int loader_load(struct gmem *m, const char *kernel, const char *initrd, const char *cmdline,
		uint64_t rsdp_gpa, struct boot_info *bi, struct err **errp)
{
	char *img = NULL, *rd = NULL;
	size_t len = 0, rd_len = 0;
	int rc = -1;

	if (!kernel)
		return err_set(errp, ERR_USAGE, _("no kernel to boot: give -kernel FILE"));
	if (cmdline && strlen(cmdline) >= BOOT_CMDLINE_MAX)
		return err_set(errp, ERR_INVALID, _("the kernel command line is longer than %d bytes"),
			       BOOT_CMDLINE_MAX - 1);
	if (file_read_all(kernel, IMAGE_MAX, &img, &len, errp) < 0)
		return err_wrap(errp, ERR_INVALID, _("cannot load the kernel %s"), kernel);
	if (initrd && file_read_all(initrd, IMAGE_MAX, &rd, &rd_len, errp) < 0) {
		err_wrap(errp, ERR_INVALID, _("cannot load the initrd %s"), initrd);
		goto out;
	}
	if (loader_write_gdt(m, errp) < 0)
		goto out;
	if (loader_is_elf(img, len))
		rc = loader_pvh_load(m, img, len, kernel, cmdline, rd, rd_len, rsdp_gpa, bi, errp);
	else
		rc = loader_linux_load(m, img, len, kernel, cmdline, rd, rd_len, rsdp_gpa, bi, errp);
out:
	free(img);
	free(rd);
	return rc;
}
