/* Parsing <devices>: one reader per device kind, each rejecting what the model lacks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"


/* ---- <address> ---- */

static int read_hex_or_dec(struct xml_ctx *x, xmlNode *n, const char *name, unsigned max,
			   unsigned *out)
{
	char *v = xml_attr(n, name);
	struct err *e = NULL;
	int rc = 0;

	if (!v)
		return 0;
	/* libvirt accepts decimal or 0x hex here ("0x0000", "18"). */
	if (parse_uint(v, 0, max, out, &e) < 0) {
		xml_bad_value(x, n, name, "%s", e->message);
		err_free(e);
		rc = -1;
	}
	free(v);
	return rc;
}

int parse_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const types[] = { "pci", "drive", "isa", NULL };
	static const char *const pci_attrs[] = { "type", "domain", "bus", "slot", "function",
						 "multifunction", NULL };
	static const char *const drive_attrs[] = { "type", "controller", "bus", "target", "unit",
						   NULL };
	static const char *const isa_attrs[] = { "type", "iobase", "irq", NULL };
	struct vdom_address *a = obj;
	int type = -1;

	int rc = xml_attr_enum(x, n, "type", types, &type);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return xml_bad_value(x, n, "type", _("is required"));
	memset(a, 0, sizeof(*a));
	switch (type) {
	case 0:
		a->type = VDOM_ADDR_PCI;
		if (xml_check_attrs(x, n, pci_attrs) < 0 ||
		    read_hex_or_dec(x, n, "domain", 0xffff, &a->domain) < 0 ||
		    read_hex_or_dec(x, n, "bus", 0xff, &a->bus) < 0 ||
		    read_hex_or_dec(x, n, "slot", 0x1f, &a->slot) < 0 ||
		    read_hex_or_dec(x, n, "function", 7, &a->function) < 0 ||
		    xml_attr_tristate(x, n, "multifunction", false, &a->multifunction) < 0)
			return -1;
		break;
	case 1:
		a->type = VDOM_ADDR_DRIVE;
		if (xml_check_attrs(x, n, drive_attrs) < 0 ||
		    xml_attr_uint(x, n, "controller", 0, 31, &a->controller) < 0 ||
		    xml_attr_uint(x, n, "bus", 0, 65535, &a->bus) < 0 ||
		    xml_attr_uint(x, n, "target", 0, 65535, &a->target) < 0 ||
		    xml_attr_uint(x, n, "unit", 0, 65535, &a->unit) < 0)
			return -1;
		break;
	default:
		a->type = VDOM_ADDR_ISA;
		if (xml_check_attrs(x, n, isa_attrs) < 0)
			return -1;
		if (read_hex_or_dec(x, n, "iobase", 0xffff, &a->iobase) < 0 ||
		    read_hex_or_dec(x, n, "irq", 255, &a->irq) < 0)
			return -1;
		a->has_iobase = xmlHasProp(n, (const xmlChar *)"iobase") != NULL;
		a->has_irq = xmlHasProp(n, (const xmlChar *)"irq") != NULL;
		break;
	}
	return 0;
}

int parse_boot_order(struct xml_ctx *x, xmlNode *n, unsigned *order)
{
	static const char *const attrs[] = { "order", NULL };

	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_uint(x, n, "order", 1, 65535, order) < 0)
		return -1;
	if (!*order)
		return xml_bad_value(x, n, "order", _("is required"));
	return 0;
}

/* ---- <disk> ---- */

static int disk_driver(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "name", "type", "cache", "discard", "detect_zeroes",
					     "error_policy", "io", "ioeventfd", "event_idx",
					     "copy_on_read", "queues", "queue_size", NULL };
	static const char *const caches[] = { "default", "none", "writethrough", "writeback",
					      "directsync", "unsafe", NULL };
	static const char *const discards[] = { "default", "unmap", "ignore", NULL };
	static const char *const zeroes[] = { "default", "off", "on", "unmap", NULL };
	static const char *const policies[] = { "default", "stop", "report", "ignore", "enospace",
						NULL };
	static const char *const ios[] = { "default", "native", "threads", "io_uring", NULL };
	struct vdom_disk *k = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "name", NULL, &k->driver_name) < 0 ||
	    xml_attr_choice(x, n, "type", NULL, &k->driver_type) < 0 ||
	    xml_attr_choice(x, n, "cache", caches, &k->cache) < 0 ||
	    xml_attr_choice(x, n, "discard", discards, &k->discard) < 0 ||
	    xml_attr_choice(x, n, "detect_zeroes", zeroes, &k->detect_zeroes) < 0 ||
	    xml_attr_choice(x, n, "error_policy", policies, &k->error_policy) < 0 ||
	    xml_attr_choice(x, n, "io", ios, &k->io) < 0 ||
	    xml_attr_tristate(x, n, "ioeventfd", false, &k->ioeventfd) < 0 ||
	    xml_attr_tristate(x, n, "event_idx", false, &k->event_idx) < 0 ||
	    xml_attr_tristate(x, n, "copy_on_read", false, &k->copy_on_read) < 0 ||
	    xml_attr_uint(x, n, "queues", 1, 1024, &k->queues) < 0 ||
	    xml_attr_uint(x, n, "queue_size", 1, 32768, &k->queue_size) < 0)
		return -1;
	return 0;
}

static int disk_source(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const file_attrs[] = { "file", NULL };
	static const char *const dev_attrs[] = { "dev", NULL };
	struct vdom_disk *k = obj;
	const char *attr = k->type == VDOM_DISK_FILE ? "file" : "dev";

	if (xml_check_attrs(x, n, k->type == VDOM_DISK_FILE ? file_attrs : dev_attrs) < 0)
		return -1;
	if (xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	free(k->source);
	k->source = xml_attr(n, attr);
	return 0;
}

static int disk_target(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "dev", "bus", NULL };
	static const char *const buses[] = { "", "ide", "sata", "scsi", "virtio", "fdc", "usb",
					     NULL };
	struct vdom_disk *k = obj;
	int bus = 0;

	char *b = xml_attr(n, "bus");

	/* Other libvirt buses (sd, xen, uml) are valid XML we do not model. */
	if (b && (!*b || !xml_name_in(buses, b))) {
		free(b);
		return xml_unsupported(x, n, "bus");
	}
	free(b);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "bus", buses, &bus) < 0)
		return -1;
	k->bus = (enum vdom_disk_bus)bus;
	free(k->target_dev);
	k->target_dev = xml_attr(n, "dev");
	if (!k->target_dev || !*k->target_dev)
		return xml_bad_value(x, n, "dev", _("is required"));
	return 0;
}

static int flag_element(struct xml_ctx *x, xmlNode *n, bool *flag)
{
	if (xml_check_attrs(x, n, NULL) < 0 || xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	*flag = true;
	return 0;
}

static int disk_readonly(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return flag_element(x, n, &((struct vdom_disk *)obj)->readonly);
}

static int disk_shareable(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return flag_element(x, n, &((struct vdom_disk *)obj)->shareable);
}

static int disk_transient(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return flag_element(x, n, &((struct vdom_disk *)obj)->transient);
}

static int disk_serial(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdom_disk *k = obj;

	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	free(k->serial);
	k->serial = xml_text_raw(n);	/* kept as written, blanks too */
	return 0;
}

static int disk_boot(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_boot_order(x, n, &((struct vdom_disk *)obj)->boot_order);
}

static int disk_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_disk *)obj)->addr);
}

int parse_disk(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", "device", NULL };
	static const char *const types[] = { "file", "block", NULL };
	static const char *const devices[] = { "disk", "cdrom", "floppy", NULL };
	static const struct xml_child children[] = {
		{ "driver", disk_driver }, { "source", disk_source }, { "target", disk_target },
		{ "readonly", disk_readonly }, { "shareable", disk_shareable },
		{ "transient", disk_transient }, { "serial", disk_serial }, { "boot", disk_boot },
		{ "address", disk_address }, { NULL, NULL },
	};
	struct vdomain *d = obj;
	struct vdom_disk *k;
	int type = 0, device = 0;
	char *t = xml_attr(n, "type");

	/* Say "unsupported" for libvirt's other disk types rather than "bad value". */
	if (t && strcmp(t, "file") && strcmp(t, "block")) {
		free(t);
		return xml_unsupported(x, n, "type");
	}
	free(t);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "type", types, &type) < 0 ||
	    xml_attr_enum(x, n, "device", devices, &device) < 0)
		return -1;
	k = PUSH(d->disks, d->n_disks);
	k->type = (enum vdom_disk_type)type;
	k->device = (enum vdom_disk_device)device;
	k->line = (int)xmlGetLineNo(n);
	if (xml_walk_children(x, n, children, k) < 0)
		return -1;
	if (!k->target_dev)
		return err_set(x->errp, ERR_INVALID, _("%s:%d: <disk>: <target dev> is missing"),
			       x->source, k->line);
	return 0;
}

/* ---- <controller> ---- */

static int controller_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_controller *)obj)->addr);
}

int parse_controller(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", "index", "model", "ports", "vectors", NULL };
	static const char *const types[] = { "ide", "fdc", "scsi", "sata", "virtio-serial", "usb",
					     "pci", NULL };
	static const struct xml_child children[] = { { "address", controller_address },
						     { NULL, NULL } };
	struct vdomain *d = obj;
	struct vdom_controller *c;
	int type = -1;
	char *t = xml_attr(n, "type");

	if (t && !xml_name_in(types, t)) {
		free(t);
		return xml_unsupported(x, n, "type");
	}
	free(t);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "type", types, &type) < 0)
		return -1;
	if (type < 0)
		return xml_bad_value(x, n, "type", _("is required"));
	c = PUSH(d->controllers, d->n_controllers);
	c->type = (enum vdom_controller_type)type;
	c->line = (int)xmlGetLineNo(n);
	if (xml_attr_uint(x, n, "index", 0, 255, &c->index) < 0 ||
	    xml_attr_choice(x, n, "model", NULL, &c->model) < 0 ||
	    xml_attr_uint(x, n, "ports", 1, 31, &c->ports) < 0 ||
	    xml_attr_uint(x, n, "vectors", 1, 2048, &c->vectors) < 0)
		return -1;
	return xml_walk_children(x, n, children, c);
}

/* ---- <input>, <audio>, <panic>, <rng>, <memballoon> ---- */

static int input_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_input *)obj)->addr);
}

int parse_input(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", "bus", NULL };
	static const char *const types[] = { "mouse", "keyboard", "tablet", NULL };
	static const char *const buses[] = { "ps2", "usb", "virtio", NULL };
	static const struct xml_child children[] = { { "address", input_address },
						      { NULL, NULL } };
	struct vdomain *d = obj;
	struct vdom_input *in;
	int type = -1, bus = -1;

	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "type", types, &type) < 0 ||
	    xml_attr_enum(x, n, "bus", buses, &bus) < 0)
		return -1;
	if (type < 0)
		return xml_bad_value(x, n, "type", _("is required"));
	in = PUSH(d->inputs, d->n_inputs);
	in->type = (enum vdom_input_type)type;
	/* libvirt's default bus on x86: ps2 for mouse/keyboard, usb for a tablet. */
	in->bus = bus >= 0 ? (enum vdom_input_bus)bus
			   : type == VDOM_INPUT_TABLET ? VDOM_INPUT_USB : VDOM_INPUT_PS2;
	return xml_walk_children(x, n, children, in);
}

int parse_audio(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "id", "type", NULL };
	static const char *const types[] = { "none", NULL };
	struct vdomain *d = obj;
	struct vdom_audio *a;
	char *t = xml_attr(n, "type");

	if (t && strcmp(t, "none")) {
		free(t);
		return xml_unsupported(x, n, "type");
	}
	free(t);
	a = PUSH(d->audios, d->n_audios);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_uint(x, n, "id", 1, 65535, &a->id) < 0 ||
	    xml_attr_choice(x, n, "type", types, &a->type) < 0)
		return -1;
	if (!a->type)
		return xml_bad_value(x, n, "type", _("is required"));
	return xml_walk_children(x, n, NULL, NULL);
}

static int panic_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_panic *)obj)->addr);
}

int parse_panic(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "model", NULL };
	static const char *const models[] = { "isa", "pvpanic", "hyperv", NULL };
	static const struct xml_child children[] = { { "address", panic_address },
						      { NULL, NULL } };
	struct vdomain *d = obj;
	struct vdom_panic *p = PUSH(d->panics, d->n_panics);

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "model", models, &p->model) < 0)
		return -1;
	return xml_walk_children(x, n, children, p);
}

static int rng_backend(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "model", NULL };
	struct vdom_rng *r = obj;
	char *model = xml_attr(n, "model");
	bool random = model && strcmp(model, "random") == 0;

	free(model);
	if (!random)
		return xml_unsupported(x, n, "model");
	if (xml_check_attrs(x, n, attrs) < 0 || xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	free(r->backend_path);
	r->backend_path = xml_text(n);
	if (!*r->backend_path) {
		free(r->backend_path);
		r->backend_path = NULL;
	}
	return 0;
}

static int rng_rate(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "bytes", "period", NULL };
	struct vdom_rng *r = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_uint(x, n, "bytes", 1, 0x7fffffff, &r->rate_bytes) < 0 ||
	    xml_attr_uint(x, n, "period", 1, 0x7fffffff, &r->rate_period) < 0)
		return -1;
	if (!r->rate_bytes)
		return xml_bad_value(x, n, "bytes", _("is required"));
	return 0;
}

static int rng_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_rng *)obj)->addr);
}

int parse_rng(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "model", NULL };
	static const struct xml_child children[] = {
		{ "backend", rng_backend }, { "rate", rng_rate }, { "address", rng_address },
		{ NULL, NULL },
	};
	struct vdomain *d = obj;
	struct vdom_rng *r;
	char *model = xml_attr(n, "model");
	bool virtio = model && strcmp(model, "virtio") == 0;

	free(model);
	if (!virtio)
		return xml_unsupported(x, n, "model");
	if (xml_check_attrs(x, n, attrs) < 0)
		return -1;
	r = PUSH(d->rngs, d->n_rngs);
	r->line = (int)xmlGetLineNo(n);
	return xml_walk_children(x, n, children, r);
}

static int balloon_stats(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "period", NULL };
	struct vdom_memballoon *b = obj;
	unsigned period = 0;
	int rc;

	if (xml_check_attrs(x, n, attrs) < 0)
		return -1;
	rc = xml_attr_uint(x, n, "period", 0, 0x7fffffff, &period);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return xml_bad_value(x, n, "period", _("is required"));
	b->stats_period = (int)period;
	return 0;
}

static int balloon_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_memballoon *)obj)->addr);
}

int parse_memballoon(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "model", "autodeflate", "freePageReporting", NULL };
	static const char *const models[] = { "virtio", "none", NULL };
	static const struct xml_child children[] = {
		{ "stats", balloon_stats }, { "address", balloon_address }, { NULL, NULL },
	};
	struct vdomain *d = obj;
	struct vdom_memballoon *b = &d->memballoon;
	int model = -1;

	if (b->present)
		return err_set(x->errp, ERR_INVALID, _("%s:%ld: only one <memballoon> is allowed"),
			       x->source, xmlGetLineNo(n));
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "model", models, &model) < 0 ||
	    xml_attr_tristate(x, n, "autodeflate", false, &b->autodeflate) < 0 ||
	    xml_attr_tristate(x, n, "freePageReporting", false, &b->free_page_reporting) < 0)
		return -1;
	if (model < 0)
		return xml_bad_value(x, n, "model", _("is required"));
	b->present = true;
	b->none = model == 1;
	b->stats_period = -1;
	b->line = (int)xmlGetLineNo(n);
	return xml_walk_children(x, n, children, b);
}
