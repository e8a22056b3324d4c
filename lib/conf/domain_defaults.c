/* What libvirt fills in after parsing, so that dumpxml shows the same domain:
 * uuid, MACs, lifecycle actions, disk drivers and drive addresses, the implicit
 * controllers, inputs and audio backend, the memballoon, serial/console aliasing,
 * and PCI slots on the i440fx ("pc") machine. Idempotent: applying it to formatted
 * output changes nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"


static void random_bytes(uint8_t *p, size_t n)
{
	if (getrandom(p, n, 0) != (ssize_t)n)
		abort();	/* the kernel's CSPRNG does not fail for small reads */
}

/* libvirt's virDiskNameToIndex: "vda" -> 0, "hdc" -> 2, "sdaa" -> 26; -1 if none. */
int vdom_disk_index(const char *dev)
{
	static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd", NULL };
	const char *p = NULL;
	int idx = 0, i;

	for (i = 0; prefixes[i]; i++)
		if (str_starts_with(dev, prefixes[i])) {
			p = dev + strlen(prefixes[i]);
			break;
		}
	if (!p || !*p)
		return -1;
	/* Three letters reach 18277 ("zzz"): plenty, and no overflow below. */
	for (i = 0; *p >= 'a' && *p <= 'z' && i < 3; i++, p++)
		idx = (idx + (i < 1 ? 0 : 1)) * 26 + (*p - 'a');
	return *p ? -1 : idx;
}

/* Reorder disks as libvirt's virDomainDiskInsert would have inserted them one by
 * one: grouped by bus in order of first appearance, by drive index within a bus. */
static void sort_disks(struct vdomain *d)
{
	struct vdom_disk *out = xcalloc(d->n_disks ? d->n_disks : 1, sizeof(*out));
	size_t n = 0, i;

	for (i = 0; i < d->n_disks; i++) {
		struct vdom_disk *k = &d->disks[i];
		int at = -1, ki = vdom_disk_index(k->target_dev);

		for (int j = (int)n - 1; j >= 0; j--) {
			if (out[j].bus != k->bus)
				continue;
			if (vdom_disk_index(out[j].target_dev) > ki)
				at = j;
			else if (at == -1)
				at = j + 1;
		}
		if (at < 0)
			at = (int)n;
		memmove(&out[at + 1], &out[at], (n - (size_t)at) * sizeof(*out));
		out[at] = *k;
		n++;
	}
	free(d->disks);
	d->disks = out;
}

enum vdom_disk_bus vdom_disk_bus_from_dev(const char *dev)
{
	if (str_starts_with(dev, "hd"))
		return VDOM_BUS_IDE;
	if (str_starts_with(dev, "sd"))
		return VDOM_BUS_SCSI;
	if (str_starts_with(dev, "vd"))
		return VDOM_BUS_VIRTIO;
	if (str_starts_with(dev, "fd"))
		return VDOM_BUS_FDC;
	return VDOM_BUS_NONE;
}

/* Drive address from the target name, as libvirt assigns it per bus. */
static void assign_drive_address(struct vdom_disk *k)
{
	int idx = vdom_disk_index(k->target_dev);
	struct vdom_address *a = &k->addr;

	if (a->type != VDOM_ADDR_NONE || idx < 0)
		return;
	/* Past 32 controllers of a kind the name is left without an address; validation
	 * rejects it. */
	if (idx / 4 > VDOM_MAX_DRIVE_CONTROLLER)
		return;
	memset(a, 0, sizeof(*a));
	a->type = VDOM_ADDR_DRIVE;
	switch (k->bus) {
	case VDOM_BUS_IDE:	/* 2 buses of 2 units per controller */
		a->controller = (unsigned)idx / 4;
		a->bus = ((unsigned)idx % 4) / 2;
		a->unit = (unsigned)idx % 2;
		break;
	case VDOM_BUS_FDC:
		a->unit = (unsigned)idx % 2;
		break;
	case VDOM_BUS_SATA:
		a->controller = (unsigned)idx / 6;
		a->unit = (unsigned)idx % 6;
		break;
	case VDOM_BUS_SCSI:
		a->controller = (unsigned)idx / 7;
		a->unit = (unsigned)idx % 7;
		break;
	default:
		a->type = VDOM_ADDR_NONE;
	}
}

static void disk_defaults(struct vdomain *d)
{
	for (size_t i = 0; i < d->n_disks; i++) {
		struct vdom_disk *k = &d->disks[i];

		if (k->bus == VDOM_BUS_NONE)
			k->bus = vdom_disk_bus_from_dev(k->target_dev);
		if (!k->driver_name)
			k->driver_name = xstrdup("qemu");
		if (!k->driver_type)
			k->driver_type = xstrdup("raw");
		if (k->device == VDOM_DISK_DEV_CDROM)
			k->readonly = true;
		assign_drive_address(k);
	}
	sort_disks(d);
}

static struct vdom_controller *find_controller(struct vdomain *d, enum vdom_controller_type t,
					       unsigned index)
{
	for (size_t i = 0; i < d->n_controllers; i++)
		if (d->controllers[i].type == t && d->controllers[i].index == index)
			return &d->controllers[i];
	return NULL;
}

/* Add a controller as libvirt's virDomainControllerInsert does: after the last one
 * of the same type with a lower index, else at the end. */
static struct vdom_controller *add_controller(struct vdomain *d, enum vdom_controller_type t,
					      unsigned index, const char *model)
{
	size_t at = d->n_controllers;
	struct vdom_controller *c;

	for (size_t i = 0; i < d->n_controllers; i++)
		if (d->controllers[i].type == t && d->controllers[i].index < index)
			at = i + 1;
	d->controllers = xreallocarray(d->controllers, d->n_controllers + 1,
				       sizeof(*d->controllers));
	memmove(&d->controllers[at + 1], &d->controllers[at],
		(d->n_controllers - at) * sizeof(*d->controllers));
	d->n_controllers++;
	c = &d->controllers[at];
	memset(c, 0, sizeof(*c));
	c->type = t;
	c->index = index;
	c->model = model ? xstrdup(model) : NULL;
	c->line = 0;
	return c;
}

static bool is_pc_machine(const struct vdomain *d)
{
	return !d->os.machine || str_starts_with(d->os.machine, "pc");
}

static void implicit_controllers(struct vdomain *d)
{
	static const enum vdom_controller_type for_bus[] = {
		[VDOM_BUS_IDE] = VDOM_CTRL_IDE, [VDOM_BUS_FDC] = VDOM_CTRL_FDC,
		[VDOM_BUS_SATA] = VDOM_CTRL_SATA, [VDOM_BUS_SCSI] = VDOM_CTRL_SCSI,
	};
	size_t i;

	/* The qemu driver's defaults first: a USB controller and the PCI root. */
	if (!find_controller(d, VDOM_CTRL_USB, 0))
		add_controller(d, VDOM_CTRL_USB, 0, NULL);
	if (is_pc_machine(d) && !find_controller(d, VDOM_CTRL_PCI, 0))
		add_controller(d, VDOM_CTRL_PCI, 0, "pci-root");
	/* Then one controller for every drive address that needs one. */
	for (i = 0; i < d->n_disks; i++) {
		struct vdom_disk *k = &d->disks[i];

		if (k->addr.type != VDOM_ADDR_DRIVE || k->bus >= ARRAY_SIZE(for_bus) ||
		    (k->bus != VDOM_BUS_IDE && k->bus != VDOM_BUS_FDC && k->bus != VDOM_BUS_SATA &&
		     k->bus != VDOM_BUS_SCSI))
			continue;
		for (unsigned c = 0; c <= k->addr.controller && c <= VDOM_MAX_DRIVE_CONTROLLER; c++)
			if (!find_controller(d, for_bus[k->bus], c))
				add_controller(d, for_bus[k->bus], c, NULL);
	}
	/* The i440fx board always has its IDE controller (PIIX3). */
	if (is_pc_machine(d) && !find_controller(d, VDOM_CTRL_IDE, 0))
		add_controller(d, VDOM_CTRL_IDE, 0, NULL);
	for (i = 0; i < d->n_consoles; i++)
		if (d->consoles[i].target == VDOM_CON_TARGET_VIRTIO &&
		    !find_controller(d, VDOM_CTRL_VIRTIO_SERIAL, 0))
			add_controller(d, VDOM_CTRL_VIRTIO_SERIAL, 0, NULL);
}

static bool has_input(const struct vdomain *d, enum vdom_input_type t, enum vdom_input_bus b)
{
	for (size_t i = 0; i < d->n_inputs; i++)
		if (d->inputs[i].type == t && d->inputs[i].bus == b)
			return true;
	return false;
}

static void implicit_devices(struct vdomain *d)
{
	/* The i8042 on a PC gives every guest a PS/2 mouse and keyboard. */
	if (is_pc_machine(d)) {
		if (!has_input(d, VDOM_INPUT_MOUSE, VDOM_INPUT_PS2))
			PUSH(d->inputs, d->n_inputs)->type = VDOM_INPUT_MOUSE;
		if (!has_input(d, VDOM_INPUT_KEYBOARD, VDOM_INPUT_PS2))
			PUSH(d->inputs, d->n_inputs)->type = VDOM_INPUT_KEYBOARD;
	}
	/* libvirt 9 gives QEMU an explicit "none" audio backend. */
	if (!d->n_audios) {
		struct vdom_audio *a = PUSH(d->audios, d->n_audios);

		a->id = 1;
		a->type = xstrdup("none");
	}
	for (size_t i = 0; i < d->n_audios; i++)
		if (!d->audios[i].id)
			d->audios[i].id = (unsigned)i + 1;
	if (!d->memballoon.present) {
		d->memballoon.present = true;
		d->memballoon.stats_period = -1;
	}
}

static void copy_chr_source(struct vdom_chr_source *dst, const struct vdom_chr_source *src)
{
	dst->type = src->type;
	dst->path = src->path ? xstrdup(src->path) : NULL;
	dst->append = src->append;
	dst->listen = src->listen;
	dst->host = src->host ? xstrdup(src->host) : NULL;
	dst->service = src->service ? xstrdup(src->service) : NULL;
	dst->protocol = src->protocol ? xstrdup(src->protocol) : NULL;
	dst->log_file = src->log_file ? xstrdup(src->log_file) : NULL;
	dst->log_append = src->log_append;
}

/* A serial-target console with no serial device stands for the first serial port
 * (libvirt's compatibility rule): create that serial port. */
static void chardev_defaults(struct vdomain *d)
{
	size_t i;

	if (d->n_consoles && d->consoles[0].target == VDOM_CON_TARGET_SERIAL && !d->n_serials) {
		struct vdom_serial *s = PUSH(d->serials, d->n_serials);

		copy_chr_source(&s->src, &d->consoles[0].src);
		s->port = d->consoles[0].port;
		s->line = d->consoles[0].line;
	}
	/* And the first serial port always has its console (console[0] aliases it). */
	if (d->n_serials && (!d->n_consoles || d->consoles[0].target != VDOM_CON_TARGET_SERIAL)) {
		struct vdom_console *c;

		d->consoles = xreallocarray(d->consoles, d->n_consoles + 1, sizeof(*d->consoles));
		memmove(&d->consoles[1], &d->consoles[0], d->n_consoles * sizeof(*d->consoles));
		d->n_consoles++;
		c = &d->consoles[0];
		memset(c, 0, sizeof(*c));
		copy_chr_source(&c->src, &d->serials[0].src);
		free(c->src.log_file);
		c->src.log_file = NULL;
		c->target = VDOM_CON_TARGET_SERIAL;
		c->port = 0;
		c->line = d->serials[0].line;
	}
	for (i = 0; i < d->n_serials; i++) {
		struct vdom_serial *s = &d->serials[i];

		if (!s->target_type)
			s->target_type = xstrdup("isa-serial");
		if (!s->target_model)
			s->target_model = xstrdup("isa-serial");
		if (s->port < 0)
			s->port = (int)i;
	}
	for (i = 0; i < d->n_consoles; i++) {
		struct vdom_console *c = &d->consoles[i];

		if (c->port < 0)
			c->port = c->target == VDOM_CON_TARGET_SERIAL ? 0 : (int)i;
		/* The serial console shows the port's source. */
		if (i == 0 && c->target == VDOM_CON_TARGET_SERIAL && d->n_serials &&
		    !c->src.path && d->serials[0].src.path) {
			free(c->src.path);
			c->src.path = xstrdup(d->serials[0].src.path);
		}
	}
}

/* ---- PCI slots on i440fx ---- */

struct slot_map {
	bool used[32];
};

static void mark(struct slot_map *m, const struct vdom_address *a)
{
	if (a->type == VDOM_ADDR_PCI && a->bus == 0 && a->slot < 32)
		m->used[a->slot] = true;
}

static int take_slot(struct slot_map *m, struct vdom_address *a, struct err **errp)
{
	if (a->type != VDOM_ADDR_NONE)
		return 0;
	for (unsigned s = 2; s < 32; s++) {
		if (m->used[s])
			continue;
		m->used[s] = true;
		memset(a, 0, sizeof(*a));
		a->type = VDOM_ADDR_PCI;
		a->slot = s;
		return 0;
	}
	return err_set(errp, ERR_LIMIT, _("no free PCI slot left on bus 0"));
}

static bool controller_on_piix3(const struct vdom_controller *c)
{
	return c->index == 0 &&
	       ((c->type == VDOM_CTRL_IDE) ||
		(c->type == VDOM_CTRL_USB && (!c->model || streq(c->model, "piix3-uhci"))));
}

static bool controller_needs_pci(const struct vdom_controller *c)
{
	if (c->type == VDOM_CTRL_PCI || c->type == VDOM_CTRL_FDC || controller_on_piix3(c))
		return false;
	if (c->type == VDOM_CTRL_USB && streq(c->model, "none"))
		return false;
	return true;
}

static int assign_pci(struct vdomain *d, struct err **errp)
{
	struct slot_map m = { { false } };
	size_t i;

	m.used[0] = m.used[1] = true;	/* host bridge; PIIX3 (ISA, IDE, USB, ACPI) */
	for (i = 0; i < d->n_controllers; i++) {
		struct vdom_controller *c = &d->controllers[i];

		if (controller_on_piix3(c) && c->addr.type == VDOM_ADDR_NONE) {
			c->addr.type = VDOM_ADDR_PCI;
			c->addr.slot = 1;
			c->addr.function = c->type == VDOM_CTRL_IDE ? 1 : 2;
		}
		mark(&m, &c->addr);
	}
	for (i = 0; i < d->n_disks; i++)
		mark(&m, &d->disks[i].addr);
	for (i = 0; i < d->n_interfaces; i++)
		mark(&m, &d->interfaces[i].addr);
	for (i = 0; i < d->n_rngs; i++)
		mark(&m, &d->rngs[i].addr);
	mark(&m, &d->memballoon.addr);
	/* libvirt's order: NICs, controllers, virtio disks, balloon, rng. */
	for (i = 0; i < d->n_interfaces; i++)
		if (take_slot(&m, &d->interfaces[i].addr, errp) < 0)
			return -1;
	for (i = 0; i < d->n_controllers; i++)
		if (controller_needs_pci(&d->controllers[i]) &&
		    take_slot(&m, &d->controllers[i].addr, errp) < 0)
			return -1;
	for (i = 0; i < d->n_disks; i++)
		if (d->disks[i].bus == VDOM_BUS_VIRTIO && take_slot(&m, &d->disks[i].addr, errp) < 0)
			return -1;
	if (!d->memballoon.none && take_slot(&m, &d->memballoon.addr, errp) < 0)
		return -1;
	for (i = 0; i < d->n_rngs; i++)
		if (take_slot(&m, &d->rngs[i].addr, errp) < 0)
			return -1;
	return 0;
}

int vdomain_apply_defaults(struct vdomain *d, struct err **errp)
{
	bool per_device_boot = false;
	size_t i;

	if (!d->uuid_set) {
		random_bytes(d->uuid, sizeof(d->uuid));
		d->uuid[6] = (uint8_t)((d->uuid[6] & 0x0f) | 0x40);	/* version 4 */
		d->uuid[8] = (uint8_t)((d->uuid[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
		d->uuid_set = true;
	}
	if (!d->current_memory_kib || d->current_memory_kib > d->memory_kib)
		d->current_memory_kib = d->memory_kib;
	if (!d->vcpus)
		d->vcpus = 1;	/* libvirt's default when <vcpu> is absent */
	if (!d->vcpu_placement)
		d->vcpu_placement = xstrdup("static");
	if (!d->os.arch)
		d->os.arch = xstrdup("x86_64");
	if (!d->os.machine)
		d->os.machine = xstrdup("pc");
	if (!d->clock.offset)
		d->clock.offset = xstrdup("utc");
	if (!d->on_poweroff)
		d->on_poweroff = VDOM_ACT_DESTROY;
	if (!d->on_reboot)
		d->on_reboot = VDOM_ACT_RESTART;
	if (!d->on_crash)
		d->on_crash = VDOM_ACT_DESTROY;
	for (i = 0; i < d->n_interfaces; i++) {
		struct vdom_interface *n = &d->interfaces[i];

		per_device_boot |= n->boot_order != 0;
		if (!n->mac_set) {
			/* QEMU's OUI, as libvirt generates. */
			n->mac[0] = 0x52;
			n->mac[1] = 0x54;
			n->mac[2] = 0x00;
			random_bytes(n->mac + 3, 3);
			n->mac_set = true;
		}
	}
	disk_defaults(d);
	for (i = 0; i < d->n_disks; i++)
		per_device_boot |= d->disks[i].boot_order != 0;
	if (!d->os.nboot && !per_device_boot)
		d->os.boot[d->os.nboot++] = VDOM_BOOT_HD;
	chardev_defaults(d);
	implicit_controllers(d);
	implicit_devices(d);
	return is_pc_machine(d) ? assign_pci(d, errp) : 0;
}
