/* guest.h: declarations shared by the test guest's kernel (CPL0) and user (CPL3) parts. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT	0x3f8
#define DEBUG_EXIT_PORT	0xf4	/* QEMU isa-debug-exit: exit status (v << 1) | 1 */

/* Values written to DEBUG_EXIT_PORT. */
#define EXIT_PASS	0	/* status 1 */
#define EXIT_FAIL	1	/* status 3 */
#define EXIT_CRASH	2	/* status 5: an exception */

/* Services of the CPL3 -> CPL0 gate syscall1() (entry.S: int3 at a known address). */
enum {
	SYS_PING = 0,		/* returns arg ^ SYS_PING_MAGIC */
	SYS_WAIT_IRQ = 1,	/* sti; hlt; cli: returns after the next interrupt */
	SYS_HALT = 2,		/* cli; hlt forever */
	SYS_TRIPLE_FAULT = 3,	/* load an empty IDT and raise #UD: the CPU resets */
	SYS_UD2 = 4,		/* ud2 at CPL0: tests the exception report */
	SYS_MAP_UC = 5,		/* arg < 4 GiB: make its 2 MiB page uncached (PCD|PWT) */
};
#define SYS_PING_MAGIC	0x5ca1ab1e

/* PIC vectors: IRQ n arrives on vector IRQ_BASE + n. */
#define IRQ_BASE	0x20

/* struct hvm_start_info, Xen public/arch-x86/hvm/start_info.h. */
#define HVM_START_MAGIC	0x336ec578
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;	/* version >= 1 */
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* The 64-bit TSS as the CPU reads it (104 bytes); the BSP's has its I/O permission
 * bitmap right behind it (kernel.c), the APs' point at one shared bitmap (smp.c). */
struct tss64_hw {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64_hw) == 104, "the CPU's 64-bit TSS");

/* Interrupt counters, written by the CPL0 handlers and read by CPL3 code. */
struct kstate {
	volatile uint64_t irq_count[16];
	volatile uint64_t spurious;
	volatile uint64_t nmi;		/* NMIs are counted, not treated as a crash */
};
extern struct kstate kstate;

/* entry.S */
extern char ustack_top[];

/* kernel.c: the CPL0 part; user_main() in main.c is the CPL3 part. */
void kmain(uint32_t start_info);
void user_main(uint64_t start_info) __attribute__((noreturn));
uint64_t syscall1(uint64_t nr, uint64_t arg);	/* entry.S */

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t n);
bool serial_at_line_start(void);

/* fmt.c: printf subset: %d %u %x %X %c %s %p, flags 0 and -, width, %.Ns, l/ll/z. */
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int gsnprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int gvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
bool parse_u64(const char *s, uint64_t *out);

/* debug exit, then halt: never returns */
void debug_exit(uint8_t v) __attribute__((noreturn));

#endif
