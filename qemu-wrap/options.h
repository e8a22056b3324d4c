/* vireo-vmm's command line: the QEMU options of architecture.md §5, parsed into plain
 * data the machine code consumes.
 *
 * Syntax is QEMU's: `-opt value`, or `--opt value`; values in QemuOpts key=value form
 * (`,,` is a literal comma; the first item may be an implied key, as in `-m 128`,
 * `-netdev tap,...`; `key` alone means key=on), and for -device, -netdev, -object,
 * -blockdev, -audiodev and -display also a JSON object (booleans become "on"/"off",
 * numbers decimal text, nested objects dotted keys as QEMU's keyval: "file.driver").
 *
 * What this parser checks: the option is one vireo-vmm implements, every property of
 * an option it interprets is known and well-formed, ids are unique and references
 * between options resolve (-mon chardev=, -serial chardev:, a device's chardev=,
 * -machine memory-backend=). What it leaves to the code that implements a thing:
 * the properties of the devices, netdevs, drives and objects it keeps as lists
 * (struct vmm_props), and everything that needs the host (opening files, fds). */
#ifndef VIREO_VMM_OPTIONS_H
#define VIREO_VMM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"

/* ---- property lists ---- */

struct vmm_prop {
	char *key;
	char *value;		/* never NULL; "on" for a key given alone */
	bool implied;		/* the key was not written: the first item of `-m 128` */
};

/* In the order given; a key given twice keeps its first place and its last value. */
struct vmm_props {
	struct vmm_prop *items;
	size_t len;
	size_t cap;
};

/* The value of key, or NULL. */
const char *vmm_props_get(const struct vmm_props *p, const char *key);
/* Set key (copied) to value (copied), replacing an earlier value. */
void vmm_props_set(struct vmm_props *p, const char *key, const char *value);
/* Remove key and return its value (the caller frees it), or NULL if absent. */
char *vmm_props_take(struct vmm_props *p, const char *key);
void vmm_props_free(struct vmm_props *p);

/* Parse QemuOpts text ("tap,id=n0,ifname=a,,b") into out (appending). implied_key
 * names the first item when it has no '=' (NULL: such an item is a flag, key=on).
 * Returns 0, or -1 with an error (ERR_USAGE) that does not name the option yet. */
int vmm_kv_parse(const char *text, const char *implied_key, struct vmm_props *out,
		 struct err **errp);
/* Parse a JSON object into out, flattening it as described above. Returns 0 or -1. */
int vmm_json_parse(const char *text, struct vmm_props *out, struct err **errp);

/* Typed reads for the code that consumes a property list. `what` names the option in
 * the error ("-device virtio-net-pci"); an absent key gives `dflt` and returns 0.
 * Returns 0, or -1 with ERR_USAGE "WHAT: property 'KEY': why". */
int vmm_props_uint(const struct vmm_props *p, const char *what, const char *key,
		   uint64_t min, uint64_t max, uint64_t dflt, uint64_t *out, struct err **errp);
int vmm_props_int(const struct vmm_props *p, const char *what, const char *key, int64_t min,
		  int64_t max, int64_t dflt, int64_t *out, struct err **errp);
int vmm_props_bool(const struct vmm_props *p, const char *what, const char *key, bool dflt,
		   bool *out, struct err **errp);
/* A size; bare numbers are in default_unit (1 for bytes). */
int vmm_props_size(const struct vmm_props *p, const char *what, const char *key,
		   uint64_t default_unit, uint64_t dflt, uint64_t *out, struct err **errp);
/* -1 and "WHAT: unknown property 'KEY'" for the first key not in the NULL-terminated
 * list `allowed`; 0 if all are known. */
int vmm_props_check_keys(const struct vmm_props *p, const char *what,
			 const char *const *allowed, struct err **errp);

/* ---- the configuration ---- */

enum vmm_chr_backend {
	VMM_CHR_NULL,
	VMM_CHR_FILE,
	VMM_CHR_PTY,
	VMM_CHR_STDIO,
	VMM_CHR_SOCKET,		/* Unix socket (path) or an inherited socket (fd) */
};

struct vmm_chardev {
	char *id;
	enum vmm_chr_backend backend;
	char *path;		/* file: the file; socket: the Unix socket path; else NULL */
	int fd;			/* socket: inherited socket fd (fd=N), else -1 */
	bool append;		/* file: append instead of truncating */
	bool server;		/* socket: listen (server=on) instead of connecting */
	bool wait;		/* socket server: wait for a client before the VM runs */
	bool signal;		/* stdio: ^C raises SIGINT (QEMU's default: on) */
	char *logfile;		/* a copy of the output, or NULL */
	bool logappend;
};

/* A QMP monitor (mode=control; the human monitor is not provided). */
struct vmm_monitor {
	char *id;		/* -mon id=, or NULL */
	char *chardev;		/* a struct vmm_chardev id */
	bool pretty;
};

/* -serial: the Nth entry is COM(N+1); it names the chardev it is connected to. */
struct vmm_serial {
	char *chardev;
};

struct vmm_device {
	char *driver;
	char *id;		/* or NULL */
	struct vmm_props props;	/* the others (not driver, id), for the device's parser */
};

enum vmm_netdev_type {
	VMM_NETDEV_TAP,
	VMM_NETDEV_USER,
};

struct vmm_netdev {
	enum vmm_netdev_type type;
	char *id;
	struct vmm_props props;	/* the others (fd, fds, vhost, vhostfds, queues, ...) */
};

/* -drive: all its properties (file, format, if, readonly, ...) but id. */
struct vmm_drive {
	char *id;		/* or NULL */
	struct vmm_props props;
};

struct vmm_blockdev {
	char *node_name;
	char *driver;
	struct vmm_props props;	/* the others; nested JSON as dotted keys */
};

enum vmm_object_type {
	VMM_OBJ_MEMORY_BACKEND_RAM,
	VMM_OBJ_MEMORY_BACKEND_MEMFD,
	VMM_OBJ_SECRET,
};

struct vmm_object {
	enum vmm_object_type type;
	char *id;
	uint64_t size;		/* memory backends: bytes */
	struct vmm_props props;	/* the others (not qom-type, id, size) */
};

/* -add-fd fd=N,set=M[,opaque=S]: fd N joins fd set M (/dev/fdset/M). */
struct vmm_add_fd {
	int fd;
	unsigned set;
	char *opaque;		/* or NULL */
};

/* -global DRIVER.PROPERTY=VALUE */
struct vmm_global {
	char *driver;
	char *property;
	char *value;
};

/* -smp, after QEMU's rules filled in what was omitted; cpus <= maxcpus ==
 * sockets * dies * cores * threads. */
struct vmm_smp {
	unsigned cpus;		/* vCPUs at start */
	unsigned maxcpus;
	unsigned sockets;
	unsigned dies;
	unsigned cores;
	unsigned threads;
};

struct vmm_boot {
	char *order;		/* -boot order= (drive letters a-p) or NULL */
	char *once;		/* -boot once= or NULL */
	bool menu;
	bool strict;
	unsigned splash_time;	/* ms */
	int reboot_timeout;	/* ms; -1: a failed boot does not reboot */
};

struct vmm_config {
	char *name;		/* -name guest=, or NULL */
	char *process_name;	/* -name process= */
	bool debug_threads;
	uint8_t uuid[16];
	bool uuid_set;

	uint64_t mem_bytes;	/* guest RAM; 128 MiB unless -m says otherwise */
	uint64_t mem_max_bytes;	/* -m maxmem= (hotplug ceiling), 0 if not given */
	unsigned mem_slots;	/* -m slots= */
	struct vmm_smp smp;
	char *machine_type;	/* "pc" or "pc-i440fx-X.Y" */
	char *memory_backend;	/* -machine memory-backend= (a struct vmm_object id) or NULL */
	char *cpu_model;	/* host, max, qemu64 (default), qemu32, kvm64 */
	struct vmm_props cpu_features; /* "+f" as f=on, "-f" as f=off, k=v as given */

	char *kernel;
	char *initrd;
	char *append;
	char *bios;
	char *pidfile;

	bool start_paused;	/* -S */
	bool no_shutdown;
	bool no_reboot;
	bool daemonize;
	bool nodefaults;
	bool no_user_config;
	bool display_none;	/* -display none or -nographic */
	bool nographic;
	bool no_acpi;
	bool rtc_localtime;	/* -rtc base=localtime (default utc) */
	struct vmm_boot boot;
	bool sandbox;		/* -sandbox on */
	struct vmm_props sandbox_props;	/* obsolete=deny, spawn=deny, ... */
	bool msg_timestamp;
	bool show_version;	/* -version: print and exit; parsing stopped there */
	bool show_help;		/* -help / -h: likewise */

	struct vmm_chardev *chardevs;
	size_t n_chardevs;
	struct vmm_monitor *monitors;
	size_t n_monitors;
	struct vmm_serial *serials;
	size_t n_serials;
	struct vmm_device *devices;
	size_t n_devices;
	struct vmm_netdev *netdevs;
	size_t n_netdevs;
	struct vmm_drive *drives;
	size_t n_drives;
	struct vmm_blockdev *blockdevs;
	size_t n_blockdevs;
	struct vmm_object *objects;
	size_t n_objects;
	struct vmm_add_fd *add_fds;
	size_t n_add_fds;
	struct vmm_global *globals;
	size_t n_globals;

	/* what was given, for the checks after the last option */
	bool mem_given;
	bool serial_given;	/* any -serial, none included (suppresses the default) */
	struct vmm_smp smp_given; /* -smp as written, 0 = omitted */
};

/* Parse argv[1..argc-1] into cfg (which is overwritten). Returns 0, or -1 with an
 * ERR_USAGE error naming the option (main prefixes "vireo-vmm: "); on failure cfg
 * is left empty (vmm_config_free on it is harmless). */
int vmm_options_parse(struct vmm_config *cfg, int argc, char **argv, struct err **errp);
void vmm_config_free(struct vmm_config *cfg);

/* A multi-line dump ("key: value") of cfg for tests and --debug; the caller frees. */
char *vmm_config_describe(const struct vmm_config *cfg);

/* Lookups by id (NULL if none). */
const struct vmm_chardev *vmm_config_chardev(const struct vmm_config *cfg, const char *id);
const struct vmm_object *vmm_config_object(const struct vmm_config *cfg, const char *id);

#endif
