/* The domain model: libvirt's domain XML, the subset Vireo supports, as plain structs.
 *
 * Parsing (domain_parse.c) fills it from XML and rejects what is outside the model
 * with "unsupported: <path> (line N)"; domain_defaults.c fills in what libvirt fills
 * in (uuid, MACs, implicit controllers and inputs, the memballoon, PCI addresses);
 * domain_format.c writes it back in libvirt's element order; domain_argv.c turns it
 * into a QEMU-syntax command line for vireo-vmm or stock QEMU.
 *
 * Conventions: strings are owned (NULL = absent); `enum vtristate` for yes/no
 * attributes that may be absent; memory sizes in KiB, as libvirt stores them. */
#ifndef VIREO_CONF_DOMAIN_H
#define VIREO_CONF_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"

/* An attribute that is on, off, or not given (libvirt's virTristateBool/Switch). */
enum vtristate { VTRI_ABSENT = 0, VTRI_ON, VTRI_OFF };

enum vdom_virt { VDOM_VIRT_KVM, VDOM_VIRT_QEMU };

enum vdom_lifecycle_action {
	VDOM_ACT_DEFAULT = 0,	/* not given */
	VDOM_ACT_DESTROY,
	VDOM_ACT_RESTART,
	VDOM_ACT_PRESERVE,
	VDOM_ACT_RENAME_RESTART,
	VDOM_ACT_COREDUMP_DESTROY,
	VDOM_ACT_COREDUMP_RESTART,
};

/* <address>: only the kinds our devices use. */
enum vdom_addr_type { VDOM_ADDR_NONE = 0, VDOM_ADDR_PCI, VDOM_ADDR_DRIVE, VDOM_ADDR_ISA };

struct vdom_address {
	enum vdom_addr_type type;
	/* PCI */
	unsigned domain, bus, slot, function;
	enum vtristate multifunction;
	/* drive: controller, bus (also PCI's bus), target, unit */
	unsigned controller, target, unit;
	/* ISA */
	unsigned iobase, irq;
	bool has_iobase, has_irq;
};

enum vdom_disk_type { VDOM_DISK_FILE, VDOM_DISK_BLOCK };
enum vdom_disk_device { VDOM_DISK_DEV_DISK, VDOM_DISK_DEV_CDROM, VDOM_DISK_DEV_FLOPPY };
enum vdom_disk_bus {
	VDOM_BUS_NONE = 0, VDOM_BUS_IDE, VDOM_BUS_SATA, VDOM_BUS_SCSI, VDOM_BUS_VIRTIO,
	VDOM_BUS_FDC, VDOM_BUS_USB,
};

struct vdom_disk {
	enum vdom_disk_type type;
	enum vdom_disk_device device;
	/* <driver> */
	char *driver_name;		/* "qemu" */
	char *driver_type;		/* "raw" (what vireo-vmm reads), "qcow2", ... */
	char *cache;			/* none, writeback, writethrough, directsync, unsafe */
	char *discard;			/* unmap, ignore */
	char *detect_zeroes;		/* off, on, unmap */
	char *error_policy;		/* stop, report, ignore, enospace */
	char *io;			/* native, threads, io_uring */
	enum vtristate ioeventfd, event_idx, copy_on_read;
	unsigned queues;		/* 0: not given */
	unsigned queue_size;		/* 0: not given */
	char *source;			/* file path or block device; NULL for an empty cdrom */
	char *target_dev;		/* vda, hda, sda */
	enum vdom_disk_bus bus;
	bool readonly, shareable, transient;
	char *serial;
	unsigned boot_order;		/* <boot order=N>, 0: none */
	struct vdom_address addr;
	int line;			/* source line, for errors */
};

enum vdom_controller_type {
	VDOM_CTRL_IDE, VDOM_CTRL_FDC, VDOM_CTRL_SCSI, VDOM_CTRL_SATA, VDOM_CTRL_VIRTIO_SERIAL,
	VDOM_CTRL_USB, VDOM_CTRL_PCI,
};

struct vdom_controller {
	enum vdom_controller_type type;
	unsigned index;
	char *model;			/* pci-root, piix3-uhci, none, virtio-scsi, ... */
	unsigned ports, vectors;	/* virtio-serial; 0: not given */
	struct vdom_address addr;
	int line;
};

enum vdom_net_type { VDOM_NET_ETHERNET, VDOM_NET_BRIDGE, VDOM_NET_NETWORK, VDOM_NET_USER };
enum vdom_net_backend { VDOM_NET_BACKEND_DEFAULT = 0, VDOM_NET_BACKEND_QEMU, VDOM_NET_BACKEND_VHOST };

struct vdom_interface {
	enum vdom_net_type type;
	uint8_t mac[6];
	bool mac_set;			/* false until parsed or generated */
	char *source_bridge;		/* type='bridge' */
	char *source_network;		/* type='network' */
	char *ip_address;		/* type='user': <ip family='ipv4' address> (the guest net) */
	unsigned ip_prefix;		/* its prefix='N', 0: not given */
	char *target_dev;		/* <target dev>: the tap name */
	enum vtristate target_managed;
	char *model;			/* virtio, e1000, rtl8139 (others kept as given) */
	enum vdom_net_backend backend;	/* <driver name> */
	unsigned queues;		/* 0: not given */
	unsigned rx_queue_size, tx_queue_size;
	enum vtristate event_idx, ioeventfd;
	char *txmode;			/* iothread, timer */
	/* <driver><host .../><guest .../> offload switches */
	enum vtristate host_csum, host_gso, host_tso4, host_tso6, host_ecn, host_ufo,
		host_mrg_rxbuf;
	enum vtristate guest_csum, guest_tso4, guest_tso6, guest_ecn, guest_ufo;
	unsigned mtu;			/* 0: not given */
	char *link_state;		/* up, down */
	unsigned boot_order;
	struct vdom_address addr;
	int line;
};

enum vdom_chr_type { VDOM_CHR_PTY, VDOM_CHR_FILE, VDOM_CHR_UNIX, VDOM_CHR_NULL, VDOM_CHR_TCP };

struct vdom_chr_source {
	enum vdom_chr_type type;
	char *path;			/* file, unix; for pty the live path */
	enum vtristate append;		/* file */
	bool listen;			/* unix, tcp: mode='bind' (server) */
	char *host, *service;		/* tcp */
	char *protocol;			/* tcp: raw, telnet */
	char *log_file;			/* <log file append> */
	enum vtristate log_append;
};

enum vdom_console_target { VDOM_CON_TARGET_SERIAL, VDOM_CON_TARGET_VIRTIO };

struct vdom_serial {
	struct vdom_chr_source src;
	char *target_type;		/* isa-serial (default on x86) */
	char *target_model;		/* isa-serial */
	int port;			/* -1: not given */
	int line;
};

struct vdom_console {
	struct vdom_chr_source src;
	enum vdom_console_target target;
	int port;			/* -1: not given */
	int line;
};

enum vdom_input_type { VDOM_INPUT_MOUSE, VDOM_INPUT_KEYBOARD, VDOM_INPUT_TABLET };
enum vdom_input_bus { VDOM_INPUT_PS2, VDOM_INPUT_USB, VDOM_INPUT_VIRTIO };

struct vdom_input {
	enum vdom_input_type type;
	enum vdom_input_bus bus;
	struct vdom_address addr;
};

struct vdom_memballoon {
	bool present;			/* an element was given or added */
	bool none;			/* model='none' */
	enum vtristate autodeflate, free_page_reporting;
	int stats_period;		/* seconds; -1: not given */
	struct vdom_address addr;
	int line;
};

struct vdom_rng {
	char *backend_path;		/* <backend model='random'>/dev/urandom</backend> */
	unsigned rate_bytes, rate_period;	/* 0: no <rate> */
	struct vdom_address addr;
	int line;
};

struct vdom_panic {
	char *model;			/* isa (pvpanic on x86), pvpanic, hyperv */
	struct vdom_address addr;
};

struct vdom_audio {
	unsigned id;
	char *type;			/* none */
};

enum vdom_boot_dev { VDOM_BOOT_HD, VDOM_BOOT_CDROM, VDOM_BOOT_NETWORK, VDOM_BOOT_FD };

struct vdom_os {
	char *type;			/* hvm */
	char *arch;			/* x86_64, i686 */
	char *machine;			/* pc, q35, ... */
	char *kernel, *initrd, *cmdline;
	enum vdom_boot_dev boot[4];
	unsigned nboot;
	enum vtristate bootmenu;
	int bootmenu_timeout;		/* ms; -1: not given */
};

struct vdom_features {
	bool acpi, apic, pae, vmport_set;
	enum vtristate apic_eoi, vmport;
};

struct vdom_cpu {
	bool present;
	char *mode;			/* custom, host-model, host-passthrough, maximum */
	char *match;			/* exact, minimum, strict */
	char *check;			/* none, partial, full */
	enum vtristate migratable;
	char *model;
	char *model_fallback;		/* allow, forbid */
	unsigned sockets, dies, cores, threads;	/* 0: no <topology> */
};

struct vdom_timer {
	char *name;			/* rtc, pit, hpet, kvmclock, tsc */
	char *tickpolicy;		/* delay, catchup, merge, discard */
	enum vtristate present;		/* present='yes|no' */
};

struct vdom_clock {
	char *offset;			/* utc, localtime, ... (NULL: absent) */
	struct vdom_timer *timers;
	size_t n_timers;
};

struct vdom_pm {
	enum vtristate suspend_to_mem, suspend_to_disk;
};

/* The most devices a domain may have (all kinds together, implicit ones included):
 * more than PCI slots, drive units and serial ports together could use. */
#define VDOM_DEVICES_MAX 1024
/* The highest controller index a drive address may name. */
#define VDOM_MAX_DRIVE_CONTROLLER 31

/* Device arrays: libvirt formats each kind in a fixed order, in insertion order. */
#define VDOM_ARRAY(type, name) \
	struct type *name;     \
	size_t n_##name

struct vdomain {
	enum vdom_virt virt;
	char *name;
	uint8_t uuid[16];
	bool uuid_set;
	char *title;
	char *description;
	char *metadata_xml;		/* <metadata> kept verbatim (serialised) */

	uint64_t max_memory_kib;	/* <maxMemory>; 0: absent */
	unsigned max_memory_slots;
	uint64_t memory_kib;		/* <memory> */
	uint64_t current_memory_kib;	/* <currentMemory>; 0: same as memory */

	unsigned vcpus;			/* <vcpu> */
	unsigned vcpus_current;		/* current=; 0: all */
	char *vcpu_placement;		/* static, auto */
	char *vcpu_cpuset;

	struct vdom_os os;
	struct vdom_features features;
	struct vdom_cpu cpu;
	struct vdom_clock clock;
	enum vdom_lifecycle_action on_poweroff, on_reboot, on_crash;
	struct vdom_pm pm;

	char *emulator;
	VDOM_ARRAY(vdom_disk, disks);
	VDOM_ARRAY(vdom_controller, controllers);
	VDOM_ARRAY(vdom_interface, interfaces);
	VDOM_ARRAY(vdom_serial, serials);
	VDOM_ARRAY(vdom_console, consoles);
	VDOM_ARRAY(vdom_input, inputs);
	VDOM_ARRAY(vdom_audio, audios);
	struct vdom_memballoon memballoon;
	VDOM_ARRAY(vdom_rng, rngs);
	VDOM_ARRAY(vdom_panic, panics);
};

/* ---- parse, validate, defaults, format (domain_parse.c, domain_defaults.c,
 * domain_format.c) ---- */

/* Parse a domain document. `source_name` (file name) prefixes every error message:
 * "web.xml:31: unsupported: <sound> (line 31)". The document is validated against
 * schemas/domain.rng (if `schema_dir` is non-NULL), checked semantically, and has
 * libvirt's defaults applied. Returns NULL on error. */
struct vdomain *vdomain_parse(const char *xml, size_t len, const char *source_name,
			      const char *schema_dir, struct err **errp);
struct vdomain *vdomain_parse_file(const char *path, const char *schema_dir, struct err **errp);

/* Fill in what libvirt fills in: uuid, MACs, implicit controllers/inputs/audio, the
 * memballoon, PCI addresses. Idempotent. Fails only on impossible layouts. */
int vdomain_apply_defaults(struct vdomain *d, struct err **errp);

/* Semantic checks (libvirt's rules: queues only for virtio, power-of-two queue sizes,
 * vhost only for virtio, currentMemory <= memory, ...). */
int vdomain_validate(const struct vdomain *d, struct err **errp);

/* Format as libvirt would (dumpxml): a new NUL-terminated string. */
char *vdomain_format(const struct vdomain *d);

void vdomain_free(struct vdomain *d);

/* Names for enums (the XML spelling). */
const char *vdom_lifecycle_name(enum vdom_lifecycle_action a);
const char *vdom_disk_bus_name(enum vdom_disk_bus b);
const char *vdom_net_type_name(enum vdom_net_type t);
const char *vdom_controller_type_name(enum vdom_controller_type t);
const char *vdom_chr_type_name(enum vdom_chr_type t);

/* The bus a target name implies, as libvirt fills it in ("vda" -> virtio, "hdc" ->
 * ide, "sda" -> scsi, "fda" -> fdc); VDOM_BUS_NONE if none. */
enum vdom_disk_bus vdom_disk_bus_from_dev(const char *dev);

/* "52:54:00:12:34:56" into buf (at least 18 bytes). */
void vdom_format_mac(const uint8_t mac[6], char *buf);
/* Canonical lower-case uuid text into buf (at least 37 bytes). */
void vdom_format_uuid(const uint8_t uuid[16], char *buf);

/* ---- the worker command line (domain_argv.c) ---- */

/* Which program will run the domain: our worker takes a subset of QEMU's options,
 * stock QEMU gets the QEMU-only flags libvirt gives it. */
enum vdom_emulator_flavor { VDOM_FLAVOR_VIREO_VMM, VDOM_FLAVOR_QEMU };

/* The fds the daemon opened for one interface (taps, vhost), in queue order. */
struct vdom_net_fds {
	int tap_fds[16];
	unsigned n_tap;
	int vhost_fds[16];
	unsigned n_vhost;
};

/* What the daemon provides besides the domain: fds and runtime paths. */
struct vdom_argv_ctx {
	enum vdom_emulator_flavor flavor;
	const char *emulator;		/* argv[0]; NULL: the domain's <emulator> or default */
	const char *qmp_path;		/* unix socket for -qmp; NULL: the monitor fd form */
	int monitor_fd;			/* pre-opened listening QMP socket (libvirt: 1729) */
	const struct vdom_net_fds *net_fds;	/* one per interface; NULL: placeholders */
	size_t n_net_fds;
};

/* Build the argv (NULL-terminated, every string owned; free with vdomain_argv_free).
 * Fails, naming the element and its line, when the flavor cannot provide a device
 * ("vireo-vmm cannot provide <disk bus='ide'> (line 24); use <emulator>
 * qemu-system-x86_64</emulator> or a virtio disk"). */
char **vdomain_to_argv(const struct vdomain *d, const struct vdom_argv_ctx *ctx,
		       struct err **errp);
void vdomain_argv_free(char **argv);

#endif
