/* The worker command line: disks (-blockdev for QEMU, -drive for vireo-vmm, and their
 * -device), what vireo-vmm refuses of them, and the boot order. See domain_argv.c for
 * the overview. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_argv_priv.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

static const char *disk_bus_name(enum vdom_disk_bus b)
{
	switch (b) {
	case VDOM_BUS_NONE: return "none";
	case VDOM_BUS_IDE: return "ide";
	case VDOM_BUS_SATA: return "sata";
	case VDOM_BUS_SCSI: return "scsi";
	case VDOM_BUS_VIRTIO: return "virtio";
	case VDOM_BUS_FDC: return "fdc";
	case VDOM_BUS_USB: return "usb";
	}
	return "?";
}

/* The bus, or the one its target name implies (libvirt fills it in the same way). */
static enum vdom_disk_bus disk_bus(const struct vdom_disk *disk)
{
	if (disk->bus != VDOM_BUS_NONE || !disk->target_dev)
		return disk->bus;
	return vdom_disk_bus_from_dev(disk->target_dev);
}

static bool is_raw(const struct vdom_disk *disk)
{
	return !disk->driver_type || strcmp(disk->driver_type, "raw") == 0;
}

/* ---- vireo-vmm: raw virtio disks only ---- */

int vargv_check_vmm_disk(struct vargv *a, const struct vdom_disk *disk)
{
	enum vdom_disk_bus bus = disk_bus(disk);

	if (bus != VDOM_BUS_VIRTIO)
		return vargv_refuse_fmt(a, disk->line, _("a virtio disk"), "<disk bus='%s'>",
					disk_bus_name(bus));
	if (disk->device != VDOM_DISK_DEV_DISK)
		return vargv_refuse_fmt(a, disk->line, _("a virtio disk"), "<disk device='%s'>",
					disk->device == VDOM_DISK_DEV_CDROM ? "cdrom" : "floppy");
	if (!is_raw(disk))
		return vargv_refuse_fmt(a, disk->line, _("a raw image"), "<driver type='%s'>",
					disk->driver_type);
	if (disk->transient)
		return vargv_refuse(a, disk->line, "<transient/>", _("a persistent disk"));
	if (disk->copy_on_read == VTRI_ON)
		return vargv_refuse(a, disk->line, "<driver copy_on_read='on'>",
				    _("a disk without copy_on_read"));
	if (!disk->source || !*disk->source)
		return err_set(a->errp, ERR_INVALID, _("<disk> (line %d) has no source"),
			       disk->line);
	return 0;
}

/* ---- boot order ---- */

/* Per-device <boot order> wins; otherwise each <os><boot dev> goes to the first
 * device of its kind, numbered by its position (libvirt's
 * qemuProcessPrepareDeviceBootorder). */
void vargv_prepare_boot(struct vargv *a)
{
	const struct vdomain *d = a->d;
	unsigned cd = 0, hd = 0, fd = 0, net = 0, k;
	bool per_device = false;
	size_t i;

	for (i = 0; i < d->n_disks; i++)
		per_device |= (a->disk_boot[i] = d->disks[i].boot_order) != 0;
	for (i = 0; i < d->n_interfaces; i++)
		per_device |= (a->net_boot[i] = d->interfaces[i].boot_order) != 0;
	if (per_device)
		return;
	for (k = 0; k < d->os.nboot && k < ARRAY_SIZE(d->os.boot); k++) {
		switch (d->os.boot[k]) {
		case VDOM_BOOT_HD: hd = k + 1; break;
		case VDOM_BOOT_CDROM: cd = k + 1; break;
		case VDOM_BOOT_FD: fd = k + 1; break;
		case VDOM_BOOT_NETWORK: net = k + 1; break;
		}
	}
	for (i = 0; i < d->n_disks; i++) {
		unsigned *slot = d->disks[i].device == VDOM_DISK_DEV_CDROM ? &cd :
				 d->disks[i].device == VDOM_DISK_DEV_FLOPPY ? &fd : &hd;

		a->disk_boot[i] = *slot;
		*slot = 0;
	}
	if (d->n_interfaces)
		a->net_boot[0] = net;
}

/* ---- disks ---- */

/* vda -> 0, vdz -> 25, vdaa -> 26 (libvirt's virDiskNameToIndex); -1 if not a name. */
static int disk_name_index(const char *dst)
{
	static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd" };
	const char *p = NULL;
	long idx = 0;
	size_t i;

	if (!dst)
		return -1;
	for (i = 0; i < ARRAY_SIZE(prefixes) && !p; i++)
		if (str_starts_with(dst, prefixes[i]))
			p = dst + strlen(prefixes[i]);
	if (!p || !*p)
		return -1;
	for (i = 0; p[i]; i++) {
		if (p[i] < 'a' || p[i] > 'z' || idx > 100000)
			return -1;
		idx = (idx + (i ? 1 : 0)) * 26 + (p[i] - 'a');
	}
	return (int)idx;
}

static const struct vdom_controller *find_controller(const struct vdomain *d,
						     enum vdom_controller_type type,
						     unsigned index)
{
	size_t i;

	for (i = 0; i < d->n_controllers; i++)
		if (d->controllers[i].type == type && d->controllers[i].index == index)
			return &d->controllers[i];
	return NULL;
}

static bool scsi_is_lsi(const struct vdomain *d, unsigned controller)
{
	const struct vdom_controller *c = find_controller(d, VDOM_CTRL_SCSI, controller);

	return !c || !c->model || strcmp(c->model, "lsilogic") == 0;
}

/* ide0-1-0, scsi0-0-0-0, virtio-disk0, ... (libvirt's qemuAssignDeviceDiskAlias) */
static char *disk_alias(const struct vargv *a, const struct vdom_disk *disk, size_t pos)
{
	enum vdom_disk_bus bus = disk_bus(disk);
	const struct vdom_address *ad = &disk->addr;
	const char *prefix = disk_bus_name(bus);
	int idx;

	if (ad->type == VDOM_ADDR_DRIVE) {
		if (bus == VDOM_BUS_SCSI && !scsi_is_lsi(a->d, ad->controller))
			return xasprintf("%s%u-%u-%u-%u", prefix, ad->controller, ad->bus,
					 ad->target, ad->unit);
		return xasprintf("%s%u-%u-%u", prefix, ad->controller, ad->bus, ad->unit);
	}
	idx = disk_name_index(disk->target_dev);
	return xasprintf("%s-disk%d", prefix, idx >= 0 ? idx : (int)pos);
}

struct cache_flags {
	bool set, writeback, direct, no_flush;
};

/* libvirt's qemuDomainDiskCachemodeFlags; a shareable writable disk defaults to
 * cache='none' (qemuDomainPrepareDiskCachemode). */
static struct cache_flags disk_cache(const struct vdom_disk *disk)
{
	const char *mode = disk->cache;
	struct cache_flags f = { .set = true };

	if (!mode && disk->shareable && !disk->readonly)
		mode = "none";
	if (streq(mode, "none"))
		f.writeback = f.direct = true;
	else if (streq(mode, "writeback"))
		f.writeback = true;
	else if (streq(mode, "directsync"))
		f.direct = true;
	else if (streq(mode, "unsafe"))
		f.writeback = f.no_flush = true;
	else if (!streq(mode, "writethrough"))
		f.set = false;
	return f;
}

static void json_cache(struct json_object *o, struct cache_flags f)
{
	struct json_object *c;

	if (!f.set)
		return;
	c = json_object_new_object();
	vargv_json_bool(c, "direct", f.direct);
	vargv_json_bool(c, "no-flush", f.no_flush);
	json_object_object_add(o, "cache", c);
}

static bool disk_readonly(const struct vdom_disk *disk)
{
	return disk->readonly || disk->device == VDOM_DISK_DEV_CDROM;
}

/* libvirt asks the kernel whether a cdrom's block device is an optical drive (and
 * its tests say /dev/cdrom is); a pure function goes by the usual names. */
static bool is_host_cdrom(const struct vdom_disk *disk)
{
	const char *p = disk->source;

	if (disk->type != VDOM_DISK_BLOCK || disk->device != VDOM_DISK_DEV_CDROM || !p)
		return false;
	if (strcmp(p, "/dev/cdrom") == 0)
		return true;
	if (!str_starts_with(p, "/dev/sr") || !p[7])
		return false;
	return strspn(p + 7, "0123456789") == strlen(p + 7);
}

static void push_storage_node(struct vargv *a, const struct vdom_disk *disk, size_t node)
{
	struct json_object *o = json_object_new_object();
	const char *drv = "file";
	char name[48];

	if (disk->type == VDOM_DISK_BLOCK)
		drv = is_host_cdrom(disk) ? "host_cdrom" : "host_device";
	snprintf(name, sizeof(name), "libvirt-%zu-storage", node);
	vargv_json_str(o, "driver", drv);
	vargv_json_str(o, "filename", disk->source);
	vargv_json_str(o, "aio", disk->io);
	vargv_json_str(o, "node-name", name);
	json_cache(o, disk_cache(disk));
	vargv_json_bool(o, "auto-read-only", true);
	vargv_json_str(o, "discard", "unmap");
	vargv_push_json(a, "-blockdev", o);
}

/* detect_zeroes='unmap' only means unmap when discard does too (libvirt's
 * virDomainDiskGetDetectZeroesMode). */
static const char *detect_zeroes(const struct vdom_disk *disk)
{
	if (streq(disk->detect_zeroes, "unmap") && !streq(disk->discard, "unmap"))
		return "on";
	return disk->detect_zeroes;
}

static void push_format_node(struct vargv *a, const struct vdom_disk *disk, size_t node)
{
	struct json_object *o = json_object_new_object();
	char name[48], file[48];

	snprintf(name, sizeof(name), "libvirt-%zu-format", node);
	snprintf(file, sizeof(file), "libvirt-%zu-storage", node);
	vargv_json_str(o, "node-name", name);
	vargv_json_bool(o, "read-only", disk_readonly(disk));
	vargv_json_str(o, "discard", disk->discard);
	vargv_json_str(o, "detect-zeroes", detect_zeroes(disk));
	json_cache(o, disk_cache(disk));
	vargv_json_str(o, "driver", disk->driver_type ? disk->driver_type : "raw");
	vargv_json_str(o, "file", file);
	vargv_push_json(a, "-blockdev", o);
}

/* The node the device reads: the format node, or the copy-on-read layer above it. */
static char *push_disk_source(struct vargv *a, const struct vdom_disk *disk, size_t node)
{
	char *format = xasprintf("libvirt-%zu-format", node);
	struct json_object *o;
	char *cor;

	push_storage_node(a, disk, node);
	push_format_node(a, disk, node);
	if (disk->copy_on_read != VTRI_ON)
		return format;
	cor = xasprintf("libvirt-CoR-%s", disk->target_dev ? disk->target_dev : "disk");
	o = json_object_new_object();
	vargv_json_str(o, "driver", "copy-on-read");
	vargv_json_str(o, "node-name", cor);
	vargv_json_str(o, "file", format);
	vargv_json_str(o, "discard", "unmap");
	vargv_push_json(a, "-blockdev", o);
	free(format);
	return cor;
}

static const char *disk_driver(const struct vdom_disk *disk, enum vdom_disk_bus bus)
{
	bool cd = disk->device == VDOM_DISK_DEV_CDROM;

	switch (bus) {
	case VDOM_BUS_IDE:
	case VDOM_BUS_SATA:
		return cd ? "ide-cd" : "ide-hd";
	case VDOM_BUS_SCSI:
		return cd ? "scsi-cd" : "scsi-hd";
	case VDOM_BUS_VIRTIO:
		return "virtio-blk-pci";
	case VDOM_BUS_FDC:
		return "floppy";
	case VDOM_BUS_USB:
		return "usb-storage";
	case VDOM_BUS_NONE:
		break;
	}
	return NULL;
}

/* The bus-specific placement properties (qemuBuildDeviceAddressProps for drives). */
static void disk_address(struct vargv *a, struct json_object *o, const struct vdom_disk *disk,
			 enum vdom_disk_bus bus, size_t pos)
{
	const struct vdom_address *ad = &disk->addr;
	bool drive = ad->type == VDOM_ADDR_DRIVE;
	char text[48];

	if (bus == VDOM_BUS_VIRTIO) {
		vargv_json_pci_addr(a, o, ad);
	} else if (bus == VDOM_BUS_USB) {
		vargv_json_usb_addr(a, o, VARGV_USB_DISK, pos);
	} else if (!drive) {
		return;
	} else if (bus == VDOM_BUS_IDE) {
		snprintf(text, sizeof(text), "ide.%u", ad->bus);
		vargv_json_str(o, "bus", text);
		vargv_json_int(o, "unit", ad->unit);
	} else if (bus == VDOM_BUS_SATA) {
		/* q35's built-in AHCI is called "ide"; one port per bus, named by unit */
		if (ad->controller == 0 && vargv_machine_is_q35(a->d))
			snprintf(text, sizeof(text), "ide.%u", ad->unit);
		else
			snprintf(text, sizeof(text), "sata%u.%u", ad->controller, ad->unit);
		vargv_json_str(o, "bus", text);
	} else if (bus == VDOM_BUS_FDC) {
		vargv_json_int(o, "unit", ad->unit);
	} else if (bus == VDOM_BUS_SCSI) {
		snprintf(text, sizeof(text), "scsi%u.0", ad->controller);
		vargv_json_str(o, "bus", text);
		if (scsi_is_lsi(a->d, ad->controller)) {
			vargv_json_int(o, "scsi-id", ad->unit);
		} else {
			vargv_json_int(o, "channel", ad->bus);
			vargv_json_int(o, "scsi-id", ad->target);
			vargv_json_int(o, "lun", ad->unit);
		}
	}
}

/* libvirt escapes spaces in serials with a backslash (a -drive legacy it keeps). */
static char *serial_escaped(const char *serial)
{
	size_t len = strlen(serial), i;
	char *out = xmalloc(2 * len + 1), *p = out;

	for (i = 0; i < len; i++) {
		if (serial[i] == ' ')
			*p++ = '\\';
		*p++ = serial[i];
	}
	*p = '\0';
	return out;
}

static void disk_error_policy(struct json_object *o, const char *policy)
{
	if (!policy)
		return;
	if (strcmp(policy, "enospace") == 0) {
		vargv_json_str(o, "werror", "enospc");	/* qemu's spelling; no rerror */
		return;
	}
	vargv_json_str(o, "werror", policy);
	vargv_json_str(o, "rerror", policy);
}

static void disk_device_tail(struct vargv *a, struct json_object *o, const struct vdom_disk *disk,
			     enum vdom_disk_bus bus, const char *drive, const char *alias,
			     unsigned bootindex)
{
	struct cache_flags cache = disk_cache(disk);

	if (bus == VDOM_BUS_SCSI) {
		char *vpd = disk->serial ? xstrdup(disk->serial) : xasprintf("drive-%s", alias);

		vargv_json_str(o, "device_id", vpd);
		free(vpd);
	}
	if (disk->shareable)
		vargv_json_bool(o, "share-rw", true);
	vargv_json_str(o, "drive", drive);
	vargv_json_str(o, "id", alias);
	if (bootindex && bus != VDOM_BUS_FDC)
		vargv_json_int(o, "bootindex", bootindex);
	if (bus == VDOM_BUS_USB)
		vargv_json_bool(o, "removable", false);
	if (cache.set)
		vargv_json_str(o, "write-cache", cache.writeback ? "on" : "off");
	if (disk->serial) {
		char *serial = serial_escaped(disk->serial);

		vargv_json_str(o, "serial", serial);
		free(serial);
	}
	disk_error_policy(o, disk->error_policy);
}

static int qemu_disk(struct vargv *a, size_t pos)
{
	const struct vdom_disk *disk = &a->d->disks[pos];
	enum vdom_disk_bus bus = disk_bus(disk);
	const char *driver = disk_driver(disk, bus);
	struct json_object *o;
	char *drive = NULL, *alias;

	if (!driver)
		return err_set(a->errp, ERR_INVALID, _("<disk> (line %d) has no target bus"),
			       disk->line);
	/* only removable media may be empty */
	if (!disk->source && disk->device == VDOM_DISK_DEV_DISK)
		return err_set(a->errp, ERR_INVALID, _("<disk> (line %d) has no source"),
			       disk->line);
	/* node names count down from the last disk, as libvirt assigns them */
	if (disk->source)
		drive = push_disk_source(a, disk, a->d->n_disks - pos);
	alias = disk_alias(a, disk, pos);
	o = json_object_new_object();
	vargv_json_str(o, "driver", driver);
	if (bus == VDOM_BUS_VIRTIO) {
		vargv_json_tri(o, "ioeventfd", disk->ioeventfd);
		vargv_json_tri(o, "event_idx", disk->event_idx);
		if (disk->queues)
			vargv_json_int(o, "num-queues", disk->queues);
		if (disk->queue_size)
			vargv_json_int(o, "queue-size", disk->queue_size);
	}
	disk_address(a, o, disk, bus, pos);
	disk_device_tail(a, o, disk, bus, drive, alias, a->disk_boot[pos]);
	vargv_push_json(a, "-device", o);
	free(drive);
	free(alias);
	return 0;
}

/* The worker's -drive: a raw file behind a virtio-blk device. */
static void vmm_disk(struct vargv *a, size_t pos)
{
	const struct vdom_disk *disk = &a->d->disks[pos];
	int idx = disk_name_index(disk->target_dev);
	char *path = vargv_escape_comma(disk->source);
	struct json_object *o;
	char id[40], drive[48];

	snprintf(id, sizeof(id), "virtio-disk%d", idx >= 0 ? idx : (int)pos);
	snprintf(drive, sizeof(drive), "drive-%s", id);
	vargv_push(a, "-drive");
	vargv_pushf(a, "file=%s,format=raw,if=none,id=%s%s", path, drive,
		    disk->readonly ? ",readonly=on" : "");
	free(path);
	o = json_object_new_object();
	vargv_json_str(o, "driver", "virtio-blk-pci");
	if (disk->queues)
		vargv_json_int(o, "num-queues", disk->queues);
	if (disk->queue_size)
		vargv_json_int(o, "queue-size", disk->queue_size);
	vargv_json_pci_addr(a, o, &disk->addr);
	vargv_json_str(o, "drive", drive);
	vargv_json_str(o, "id", id);
	vargv_json_str(o, "serial", disk->serial);
	vargv_push_json(a, "-device", o);
}

/* A floppy boots through its controller: -global isa-fdc.bootindexA (unit 0) or B. */
static void add_floppy_boot(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_disks; i++) {
		const struct vdom_disk *disk = &d->disks[i];
		int unit;

		if (!a->disk_boot[i] || disk_bus(disk) != VDOM_BUS_FDC)
			continue;
		unit = disk->addr.type == VDOM_ADDR_DRIVE ? (int)disk->addr.unit
							   : disk_name_index(disk->target_dev);
		if (unit != 0 && unit != 1)
			continue;
		vargv_push(a, "-global");
		vargv_pushf(a, "isa-fdc.bootindex%c=%u", unit ? 'B' : 'A', a->disk_boot[i]);
	}
}

int vargv_disks(struct vargv *a)
{
	size_t i;

	if (a->vmm) {
		for (i = 0; i < a->d->n_disks; i++)
			vmm_disk(a, i);
		return 0;
	}
	add_floppy_boot(a);
	for (i = 0; i < a->d->n_disks; i++)
		if (qemu_disk(a, i) < 0)
			return -1;
	return 0;
}
