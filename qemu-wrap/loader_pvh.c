/* The PVH boot protocol: an ELF kernel with a Xen ELF note of type 18 giving the
 * 32-bit entry, started in flat protected mode with %ebx pointing at hvm_start_info
 * (Xen's public/arch-x86/hvm/start_info.h). Every offset and size in the image is
 * checked against the file and guest RAM before it is used. */
#include "config.h"

#include <elf.h>
#include <string.h>

#include "lib/util/i18n.h"
#include "qemu-wrap/loader.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* A program header, whatever the ELF class. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static bool in_file(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static int read_phdr(const uint8_t *img, size_t len, bool is64, uint64_t phoff, unsigned i,
		     unsigned phentsize, struct phdr *p)
{
	uint64_t at = phoff + (uint64_t)i * phentsize;

	if (is64) {
		Elf64_Phdr ph;

		if (phentsize < sizeof(ph) || !in_file(len, at, sizeof(ph)))
			return -1;
		memcpy(&ph, img + at, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		if (phentsize < sizeof(ph) || !in_file(len, at, sizeof(ph)))
			return -1;
		memcpy(&ph, img + at, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
	}
	return 0;
}

/* Walk one PT_NOTE segment for the PVH entry note; 1 if found. */
static int find_entry_note(const uint8_t *img, const struct phdr *p, uint32_t *entry)
{
	uint64_t off = p->offset, end = p->offset + p->filesz;

	while (off + 12 <= end) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off;

		memcpy(&namesz, img + off, 4);
		memcpy(&descsz, img + off + 4, 4);
		memcpy(&type, img + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + ((namesz + 3ULL) & ~3ULL);
		if (desc_off > end || descsz > end - desc_off)
			return 0;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    memcmp(img + name_off, "Xen", 4) == 0 && (descsz == 4 || descsz == 8)) {
			memcpy(entry, img + desc_off, 4);	/* little-endian low half */
			return 1;
		}
		off = desc_off + ((descsz + 3ULL) & ~3ULL);
	}
	return 0;
}

static int elf_header(const uint8_t *img, size_t len, const char *name, bool *is64,
		      uint64_t *phoff, unsigned *phnum, unsigned *phentsize, struct err **errp)
{
	if (!loader_is_elf(img, len) || len < EI_NIDENT)
		return err_set(errp, ERR_INVALID, _("%s: not an ELF file"), name);
	if (img[EI_DATA] != ELFDATA2LSB)
		return err_set(errp, ERR_INVALID, _("%s: not a little-endian ELF file"), name);
	*is64 = img[EI_CLASS] == ELFCLASS64;
	if (*is64) {
		Elf64_Ehdr eh;

		if (len < sizeof(eh))
			return err_set(errp, ERR_INVALID, _("%s: truncated ELF header"), name);
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_X86_64)
			return err_set(errp, ERR_INVALID, _("%s: not an x86-64 ELF file"), name);
		*phoff = eh.e_phoff;
		*phnum = eh.e_phnum;
		*phentsize = eh.e_phentsize;
	} else if (img[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (len < sizeof(eh))
			return err_set(errp, ERR_INVALID, _("%s: truncated ELF header"), name);
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_386 && eh.e_machine != EM_X86_64)
			return err_set(errp, ERR_INVALID, _("%s: not an x86 ELF file"), name);
		*phoff = eh.e_phoff;
		*phnum = eh.e_phnum;
		*phentsize = eh.e_phentsize;
	} else {
		return err_set(errp, ERR_INVALID, _("%s: unknown ELF class %u"), name, img[EI_CLASS]);
	}
	if (*phnum == 0 || *phnum > 64)
		return err_set(errp, ERR_INVALID, _("%s: %u program headers (expected 1 to 64)"), name,
			       *phnum);
	return 0;
}

int loader_pvh_parse(const void *image, size_t len, const char *name, struct pvh_image *out,
		     struct err **errp)
{
	const uint8_t *img = image;
	unsigned phnum, phentsize, i;
	uint64_t phoff;
	bool is64, found = false;

	if (elf_header(img, len, name, &is64, &phoff, &phnum, &phentsize, errp) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->load_lo = UINT64_MAX;
	for (i = 0; i < phnum; i++) {
		struct phdr p;

		if (read_phdr(img, len, is64, phoff, i, phentsize, &p) < 0)
			return err_set(errp, ERR_INVALID, _("%s: program header %u is outside the file"),
				       name, i);
		if ((p.type == PT_LOAD || p.type == PT_NOTE) && !in_file(len, p.offset, p.filesz))
			return err_set(errp, ERR_INVALID,
				       _("%s: segment %u (offset 0x%llx, %llu bytes) is truncated"), name,
				       i, (unsigned long long)p.offset, (unsigned long long)p.filesz);
		if (p.type == PT_NOTE && !found)
			found = find_entry_note(img, &p, &out->entry) == 1;
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		if (p.filesz > p.memsz || p.paddr + p.memsz < p.paddr)
			return err_set(errp, ERR_INVALID, _("%s: segment %u has bad sizes"), name, i);
		if (p.paddr < out->load_lo)
			out->load_lo = p.paddr;
		if (p.paddr + p.memsz > out->load_hi)
			out->load_hi = p.paddr + p.memsz;
	}
	if (!found)
		return err_set(errp, ERR_INVALID,
			       _("%s: no PVH entry (Xen ELF note 18); not a PVH kernel"), name);
	if (out->load_hi == 0)
		return err_set(errp, ERR_INVALID, _("%s: no loadable segment"), name);
	return 0;
}

static int load_segments(struct gmem *m, const uint8_t *img, size_t len, const char *name,
			 struct err **errp)
{
	unsigned phnum, phentsize, i;
	uint64_t phoff;
	bool is64;

	if (elf_header(img, len, name, &is64, &phoff, &phnum, &phentsize, errp) < 0)
		return -1;
	for (i = 0; i < phnum; i++) {
		struct phdr p;
		uint8_t *dst;

		if (read_phdr(img, len, is64, phoff, i, phentsize, &p) < 0 || p.type != PT_LOAD ||
		    !p.memsz)
			continue;
		/* Keep clear of the boot structures and firmware area below 1 MiB. */
		dst = p.paddr >= 0x100000 ? gmem_ptr(m, p.paddr, p.memsz) : NULL;
		if (!dst)
			return err_set(errp, ERR_INVALID,
				       _("%s: segment %u at 0x%llx (%llu bytes) is not in guest RAM above 1 MiB"),
				       name, i, (unsigned long long)p.paddr,
				       (unsigned long long)p.memsz);
		memcpy(dst, img + p.offset, p.filesz);
		if (p.memsz > p.filesz)
			gmem_zero(m, p.paddr + p.filesz, p.memsz - p.filesz);
	}
	return 0;
}

int loader_pvh_load(struct gmem *m, const void *img, size_t len, const char *name,
		    const char *cmdline, const void *initrd, size_t initrd_len, uint64_t rsdp_gpa,
		    struct boot_info *bi, struct err **errp)
{
	struct hvm_start_info si = { .magic = HVM_START_MAGIC, .version = 1 };
	struct hvm_memmap_entry map[8];
	struct e820_entry e820[8];
	struct pvh_image pi;
	unsigned n, i;

	if (loader_pvh_parse(img, len, name, &pi, errp) < 0 || load_segments(m, img, len, name, errp) < 0)
		return -1;
	n = loader_e820(m, e820, 8);
	for (i = 0; i < n; i++)
		map[i] = (struct hvm_memmap_entry){ e820[i].addr, e820[i].size, e820[i].type, 0 };
	if (gmem_write(m, BOOT_MEMMAP_GPA, map, n * sizeof(map[0])) < 0)
		return err_set(errp, ERR_INTERNAL, _("guest RAM too small for the memory map"));
	si.memmap_paddr = BOOT_MEMMAP_GPA;
	si.memmap_entries = n;
	si.rsdp_paddr = rsdp_gpa;
	if (cmdline) {
		if (gmem_write(m, BOOT_CMDLINE_GPA, cmdline, strlen(cmdline) + 1) < 0)
			return err_set(errp, ERR_INTERNAL, _("guest RAM too small for the command line"));
		si.cmdline_paddr = BOOT_CMDLINE_GPA;
	}
	if (initrd) {
		struct hvm_modlist_entry mod = { .size = initrd_len };
		uint64_t at = BOOT_START_INFO_GPA + sizeof(si);

		if (loader_place_initrd(m, initrd, initrd_len, 0, pi.load_hi, &mod.paddr, errp) < 0 ||
		    gmem_write(m, at, &mod, sizeof(mod)) < 0)
			return -1;
		si.nr_modules = 1;
		si.modlist_paddr = at;
	}
	if (gmem_write(m, BOOT_START_INFO_GPA, &si, sizeof(si)) < 0)
		return err_set(errp, ERR_INTERNAL, _("guest RAM too small for start_info"));
	bi->kind = BOOT_PVH;
	bi->entry = pi.entry;
	bi->arg = BOOT_START_INFO_GPA;
	return 0;
}
