/* Unit tests: the PVH and bzImage image checks, guest RAM bounds, ACPI tables. */
#include "tests/unit/unit.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/acpi.h"
#include "qemu-wrap/gmem.h"
#include "qemu-wrap/loader.h"

/* A minimal PVH ELF64: one PT_LOAD at 1 MiB and one PT_NOTE with the entry note. */
static size_t make_pvh(uint8_t *buf, size_t cap, uint32_t entry, bool with_note)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	uint8_t *note = buf + 0x100, *code = buf + 0x200;

	memset(buf, 0, cap);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x200, .p_paddr = 0x100000,
			      .p_filesz = 16, .p_memsz = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x100, .p_filesz = 20 };
	/* namesz 4 "Xen\0", descsz 4, type 18, desc = entry */
	memcpy(note, &(uint32_t){ 4 }, 4);
	memcpy(note + 4, &(uint32_t){ 4 }, 4);
	memcpy(note + 8, &(uint32_t){ with_note ? 18 : 1 }, 4);
	memcpy(note + 12, "Xen", 4);
	memcpy(note + 16, &entry, 4);
	memset(code, 0x90, 16);
	return 0x210;
}

static void pvh_image_is_recognised(void **state)
{
	uint8_t img[0x400];
	struct pvh_image pi;
	size_t len = make_pvh(img, sizeof(img), 0x100000, true);

	assert_true(loader_is_elf(img, len));
	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, NULL), 0);
	assert_int_equal(pi.entry, 0x100000);
	assert_true(pi.load_lo == 0x100000);
	assert_true(pi.load_hi == 0x101000);
}

static void pvh_rejections_name_file_and_problem(void **state)
{
	uint8_t img[0x400];
	struct pvh_image pi;
	struct err *e = NULL;
	size_t len = make_pvh(img, sizeof(img), 0x100000, false);

	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "g.elf: no PVH entry (Xen ELF note 18)");
	len = make_pvh(img, sizeof(img), 0x100000, true);
	assert_int_equal(loader_pvh_parse(img, 0x180, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "g.elf: segment 0");	/* truncated PT_LOAD */
	assert_int_equal(loader_pvh_parse(img, 30, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "truncated ELF header");
	((Elf64_Ehdr *)img)->e_machine = EM_ARM;
	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "not an x86-64 ELF file");
	((Elf64_Ehdr *)img)->e_machine = EM_X86_64;
	((Elf64_Ehdr *)img)->e_phnum = 1000;
	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "1000 program headers");
	((Elf64_Ehdr *)img)->e_phnum = 2;
	((Elf64_Ehdr *)img)->e_phoff = 0xfffffffffff0ULL;
	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "program header 0 is outside the file");
}

static void note_with_huge_size_is_not_followed(void **state)
{
	uint8_t img[0x400];
	struct pvh_image pi;
	struct err *e = NULL;
	size_t len = make_pvh(img, sizeof(img), 0x100000, true);

	memcpy(img + 0x100, &(uint32_t){ 0xfffffff0 }, 4);	/* namesz */
	assert_int_equal(loader_pvh_parse(img, len, "g.elf", &pi, &e), -1);
	assert_err(e, ERR_INVALID, "no PVH entry");
}

/* A bzImage header: setup_sects 1, "HdrS", version, 64-bit entry, loaded high. */
static size_t make_bzimage(uint8_t *buf, size_t cap, uint16_t version, uint8_t xload)
{
	memset(buf, 0, cap);
	buf[0x1f1] = 1;
	memcpy(buf + 0x1fe, &(uint16_t){ 0xaa55 }, 2);
	memcpy(buf + 0x202, "HdrS", 4);
	memcpy(buf + 0x206, &version, 2);
	buf[0x211] = 0x01;
	buf[0x236] = xload;
	memcpy(buf + 0x22c, &(uint32_t){ 0x7fffffff }, 4);
	memcpy(buf + 0x238, &(uint32_t){ 2047 }, 4);
	return cap;
}

static void bzimage_header_checks(void **state)
{
	uint8_t img[4096];
	struct bzimage_info bi;
	struct err *e = NULL;

	make_bzimage(img, sizeof(img), 0x020f, 1);
	assert_int_equal(loader_bzimage_parse(img, sizeof(img), "vmlinuz", &bi, &e), 0);
	assert_int_equal(bi.version, 0x020f);
	assert_int_equal(bi.setup_size, 1024);
	assert_int_equal(bi.kernel_size, 4096 - 1024);
	make_bzimage(img, sizeof(img), 0x020a, 1);
	assert_int_equal(loader_bzimage_parse(img, sizeof(img), "vmlinuz", &bi, &e), -1);
	assert_err(e, ERR_UNSUPPORTED, "vmlinuz: boot protocol 2.10 is too old");
	make_bzimage(img, sizeof(img), 0x020f, 0);
	assert_int_equal(loader_bzimage_parse(img, sizeof(img), "vmlinuz", &bi, &e), -1);
	assert_err(e, ERR_UNSUPPORTED, "not a 64-bit kernel");
	make_bzimage(img, sizeof(img), 0x020f, 1);
	assert_int_equal(loader_bzimage_parse(img, 0x300, "vmlinuz", &bi, &e), -1);
	assert_err(e, ERR_INVALID, "vmlinuz: truncated");
	assert_int_equal(loader_bzimage_parse(img, 100, "vmlinuz", &bi, &e), -1);
	assert_err(e, ERR_INVALID, "too short to be a kernel image");
	memcpy(img + 0x202, "XXXX", 4);
	assert_int_equal(loader_bzimage_parse(img, sizeof(img), "vmlinuz", &bi, &e), -1);
	assert_err(e, ERR_INVALID, "neither a PVH ELF nor a Linux bzImage");
}

static void load_errors_name_the_file(void **state)
{
	struct gmem m;
	struct boot_info bi;
	struct err *e = NULL;
	char *dir = make_temp_dir(), *path = xasprintf("%s/junk", dir);
	FILE *f = fopen(path, "w");

	fputs("this is no kernel", f);
	fclose(f);
	assert_int_equal(gmem_init(&m, 8 << 20, NULL), 0);
	assert_int_equal(loader_load(&m, path, NULL, NULL, 0, &bi, &e), -1);
	assert_err(e, ERR_INVALID, "too short to be a kernel image");
	assert_int_equal(loader_load(&m, "/nonexistent/k", NULL, NULL, 0, &bi, &e), -1);
	assert_err(e, ERR_INVALID, "cannot load the kernel /nonexistent/k");
	gmem_destroy(&m);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void gmem_ptr_is_the_checked_door(void **state)
{
	struct gmem m;

	assert_int_equal(gmem_init(&m, 4 << 20, NULL), 0);
	assert_non_null(gmem_ptr(&m, 0, 4 << 20));
	assert_null(gmem_ptr(&m, 1, 4 << 20));			/* one byte past the end */
	assert_null(gmem_ptr(&m, (4 << 20) - 1, 2));
	assert_null(gmem_ptr(&m, UINT64_MAX - 1, 4));		/* wraps */
	assert_null(gmem_ptr(&m, 0, 0));
	assert_non_null(gmem_ptr(&m, (4 << 20) - 1, 1));
	gmem_destroy(&m);
}

/* gmem_zero clears exactly its range, partial pages at both ends included, and gives
 * the whole pages inside back to the host (the memfd holds fewer blocks). */
static void gmem_zero_clears_exactly_its_range(void **state)
{
	struct gmem m;
	uint8_t *p;
	const uint64_t gpa = 0x1000 + 100, len = 5 * 4096, ram = 4 << 20;
	struct stat st0, st1;

	assert_int_equal(gmem_init(&m, ram, NULL), 0);
	p = gmem_ptr(&m, 0, ram);
	memset(p, 0xa5, 8 * 4096);
	assert_int_equal(gmem_zero(&m, gpa, len), 0);
	for (uint64_t i = 0; i < 8 * 4096; i++)
		assert_int_equal(p[i], i >= gpa && i < gpa + len ? 0 : 0xa5);
	assert_int_equal(gmem_zero(&m, ram - 10, 20), -1);	/* past RAM */
	assert_int_equal(gmem_zero(&m, 3, 5), 0);		/* inside one page */
	assert_int_equal(p[2], 0xa5);
	assert_int_equal(p[3] | p[7], 0);
	assert_int_equal(p[8], 0xa5);
	/* All of RAM touched, then all but its first 100 bytes zeroed: the memfd lets go
	 * (the kernel may hold shared memory in folios up to 2 MiB: only whole ones go). */
	memset(p, 0xa5, ram);
	assert_int_equal(fstat(m.memfd, &st0), 0);
	assert_int_equal(gmem_zero(&m, 100, ram - 100), 0);
	assert_int_equal(fstat(m.memfd, &st1), 0);
	assert_true(st1.st_blocks < st0.st_blocks);
	assert_int_equal(p[99], 0xa5);
	assert_int_equal(p[100] | p[4095] | p[ram / 2] | p[ram - 1], 0);
	gmem_destroy(&m);
}

static void acpi_tables_have_valid_checksums(void **state)
{
	struct gmem m;
	uint64_t rsdp, xsdt, entry;
	uint8_t *p;
	uint32_t len;

	assert_int_equal(gmem_init(&m, 8 << 20, NULL), 0);
	assert_int_equal(acpi_build(&m, 2, &rsdp, NULL), 0);
	p = gmem_ptr(&m, rsdp, 36);
	assert_memory_equal(p, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(p, 20), 0);
	assert_int_equal(acpi_checksum(p, 36), 0);
	memcpy(&xsdt, p + 24, 8);
	p = gmem_ptr(&m, xsdt, 36);
	memcpy(&len, p + 4, 4);
	assert_memory_equal(p, "XSDT", 4);
	assert_int_equal(acpi_checksum(p, len), 0);
	for (uint32_t off = 36; off < len; off += 8) {
		uint8_t *t;
		uint32_t tlen;

		memcpy(&entry, gmem_ptr(&m, xsdt + off, 8), 8);
		t = gmem_ptr(&m, entry, 8);
		memcpy(&tlen, t + 4, 4);
		assert_int_equal(acpi_checksum(gmem_ptr(&m, entry, tlen), tlen), 0);
		if (memcmp(t, "APIC", 4) == 0)
			assert_true(tlen >= 44 + 2 * 8 + 12);	/* two CPUs and the IOAPIC */
	}
	gmem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pvh_image_is_recognised),
		cmocka_unit_test(pvh_rejections_name_file_and_problem),
		cmocka_unit_test(note_with_huge_size_is_not_followed),
		cmocka_unit_test(bzimage_header_checks),
		cmocka_unit_test(load_errors_name_the_file),
		cmocka_unit_test(gmem_ptr_is_the_checked_door),
		cmocka_unit_test(gmem_zero_clears_exactly_its_range),
		cmocka_unit_test(acpi_tables_have_valid_checksums),
	};

	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
