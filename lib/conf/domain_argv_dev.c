/* The worker command line: controllers, interfaces, chardevs (serial, console),
 * inputs and the trailing devices (audio, balloon, rng, panic). See domain_argv.c
 * for the overview. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_argv_priv.h"
#include "lib/util/buf.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* libvirt's placeholders for fds it opens itself, as in its test data: taps from 3,
 * vhost-net from 44, each interface counting afresh. */
#define PLACEHOLDER_TAP_FD 3
#define PLACEHOLDER_VHOST_FD 44
#define MAX_QUEUE_FDS 16	/* struct vdom_net_fds */

/* ---- controllers ---- */

/* QEMU's device for a USB controller model; NULL for model='none'. */
static const char *usb_driver(const struct vdomain *d, const char *model)
{
	static const char *const map[][2] = {
		{ "piix3-uhci", "piix3-usb-uhci" }, { "piix4-uhci", "piix4-usb-uhci" },
		{ "ehci", "usb-ehci" }, { "ich9-ehci1", "ich9-usb-ehci1" },
		{ "ich9-uhci1", "ich9-usb-uhci1" }, { "ich9-uhci2", "ich9-usb-uhci2" },
		{ "ich9-uhci3", "ich9-usb-uhci3" }, { "vt82c686b-uhci", "vt82c686b-usb-uhci" },
		{ "pci-ohci", "pci-ohci" }, { "nec-xhci", "nec-usb-xhci" },
		{ "qemu-xhci", "qemu-xhci" },
	};
	size_t i;

	if (!model)
		return vargv_machine_is_q35(d) ? "qemu-xhci" : "piix3-usb-uhci";
	if (strcmp(model, "none") == 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(model, map[i][0]) == 0)
			return map[i][1];
	return model;
}

static const char *scsi_driver(const char *model)
{
	if (!model || strcmp(model, "lsilogic") == 0)
		return "lsi";
	if (strcmp(model, "virtio-scsi") == 0)
		return "virtio-scsi-pci";
	if (strcmp(model, "lsisas1068") == 0)
		return "mptsas1068";
	if (strcmp(model, "lsisas1078") == 0)
		return "megasas";
	if (strcmp(model, "vmpvscsi") == 0)
		return "pvscsi";
	return model;
}

static struct json_object *controller_json(const char *driver, const char *alias)
{
	struct json_object *o = json_object_new_object();

	vargv_json_str(o, "driver", driver);
	vargv_json_str(o, "id", alias);
	return o;
}

/* The -device of one controller, or nothing for the ones the machine has built in. */
static int push_controller(struct vargv *a, const struct vdom_controller *c)
{
	struct json_object *o = NULL;
	char alias[48];
	const char *drv;

	switch (c->type) {
	case VDOM_CTRL_USB:
		if (a->vmm || !(drv = usb_driver(a->d, c->model)))
			return 0;
		/* libvirt calls the first USB controller "usb", the others usbN */
		if (c->index)
			snprintf(alias, sizeof(alias), "usb%u", c->index);
		else
			snprintf(alias, sizeof(alias), "usb");
		o = controller_json(drv, alias);
		if (c->ports && strstr(drv, "xhci")) {
			vargv_json_int(o, "p2", c->ports);
			vargv_json_int(o, "p3", c->ports);
		}
		break;
	case VDOM_CTRL_SCSI:
		snprintf(alias, sizeof(alias), "scsi%u", c->index);
		o = controller_json(scsi_driver(c->model), alias);
		break;
	case VDOM_CTRL_SATA:
		if (c->index == 0 && vargv_machine_is_q35(a->d))
			return 0;
		snprintf(alias, sizeof(alias), "sata%u", c->index);
		o = controller_json("ahci", alias);
		break;
	case VDOM_CTRL_VIRTIO_SERIAL:
		snprintf(alias, sizeof(alias), "virtio-serial%u", c->index);
		o = controller_json("virtio-serial-pci", alias);
		if (c->ports)
			vargv_json_int(o, "max_ports", c->ports);
		if (c->vectors)
			vargv_json_int(o, "vectors", c->vectors);
		break;
	case VDOM_CTRL_PCI:
		if (!c->model || strcmp(c->model, "pci-root") == 0 ||
		    strcmp(c->model, "pcie-root") == 0)
			return 0;
		return err_set(a->errp, ERR_UNSUPPORTED,
			       _("<controller type='pci' model='%s'> (line %d) is not supported"),
			       c->model, c->line);
	case VDOM_CTRL_IDE:
	case VDOM_CTRL_FDC:
		return 0;	/* part of the pc machine */
	}
	vargv_json_pci_addr(a, o, &c->addr);
	vargv_push_json(a, "-device", o);
	return 0;
}

static bool has_controller(const struct vdomain *d, enum vdom_controller_type type)
{
	size_t i;

	for (i = 0; i < d->n_controllers; i++)
		if (d->controllers[i].type == type)
			return true;
	return false;
}

static bool has_virtio_console(const struct vdomain *d)
{
	size_t i;

	for (i = 0; i < d->n_consoles; i++)
		if (d->consoles[i].target == VDOM_CON_TARGET_VIRTIO)
			return true;
	return false;
}

/* In libvirt's order: by type (PCI, USB, SCSI, IDE, SATA, FDC, virtio-serial), then
 * as listed. A virtio console needs a virtio-serial bus; libvirt would have added
 * one, so add it when the model lacks it. */
int vargv_controllers(struct vargv *a)
{
	static const enum vdom_controller_type order[] = {
		VDOM_CTRL_PCI, VDOM_CTRL_USB, VDOM_CTRL_SCSI, VDOM_CTRL_IDE, VDOM_CTRL_SATA,
		VDOM_CTRL_FDC, VDOM_CTRL_VIRTIO_SERIAL,
	};
	const struct vdomain *d = a->d;
	size_t t, i;

	for (t = 0; t < ARRAY_SIZE(order); t++)
		for (i = 0; i < d->n_controllers; i++)
			if (d->controllers[i].type == order[t] &&
			    push_controller(a, &d->controllers[i]) < 0)
				return -1;
	if (has_virtio_console(d) && !has_controller(d, VDOM_CTRL_VIRTIO_SERIAL))
		vargv_push_json(a, "-device", controller_json("virtio-serial-pci",
							      "virtio-serial0"));
	return 0;
}

/* ---- interfaces ---- */

static const char *nic_model(const struct vdom_interface *n)
{
	return n->model ? n->model : "rtl8139";	/* libvirt's default on x86 */
}

static bool is_virtio(const struct vdom_interface *n)
{
	return streq(n->model, "virtio");
}

static bool fds_valid(const struct vdom_net_fds *f)
{
	unsigned i;

	if (f->n_tap > MAX_QUEUE_FDS || f->n_vhost > MAX_QUEUE_FDS)
		return false;
	for (i = 0; i < f->n_tap; i++)
		if (f->tap_fds[i] < 0)
			return false;
	for (i = 0; i < f->n_vhost; i++)
		if (f->vhost_fds[i] < 0)
			return false;
	return true;
}

/* The tap and vhost fds of interface i: the daemon's, or libvirt's test placeholders.
 * libvirt's test double opens vhost for every virtio interface, TCG or not (its
 * .args show vhostfd=44 for type='qemu' guests); only <driver name='qemu'>, which
 * forbids vhost, goes without. Whether vhost is really used is the daemon's call. */
static int interface_fds(struct vargv *a, size_t i, struct vdom_net_fds *out)
{
	const struct vdom_interface *n = &a->d->interfaces[i];
	unsigned q;

	if (a->ctx->net_fds) {
		*out = a->ctx->net_fds[i];
		if (out->n_tap == 0)
			return err_set(a->errp, ERR_INVALID,
				       _("no tap fd was opened for <interface> (line %d)"),
				       n->line);
		if (!fds_valid(out))
			return err_set(a->errp, ERR_INVALID,
				       _("bad fds for <interface> (line %d)"), n->line);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	out->n_tap = n->queues > 1 ? n->queues : 1;
	if (out->n_tap > MAX_QUEUE_FDS)
		return err_set(a->errp, ERR_RANGE,
			       _("<interface> (line %d) asks for %u queues, at most %d"),
			       n->line, n->queues, MAX_QUEUE_FDS);
	for (q = 0; q < out->n_tap; q++)
		out->tap_fds[q] = PLACEHOLDER_TAP_FD + (int)q;
	if (is_virtio(n) && n->backend != VDOM_NET_BACKEND_QEMU) {
		out->n_vhost = out->n_tap;
		for (q = 0; q < out->n_vhost; q++)
			out->vhost_fds[q] = PLACEHOLDER_VHOST_FD + (int)q;
	}
	return 0;
}

/* "3" or "3:4:5:6" */
static char *join_fds(const int *fds, unsigned n)
{
	struct strv parts = STRV_INIT;
	char *out;
	unsigned i;

	for (i = 0; i < n; i++)
		strv_pushf(&parts, "%d", fds[i]);
	out = strv_join(&parts, ":");
	strv_free(&parts);
	return out;
}

static void json_fds(struct json_object *o, const char *one, const char *many, const int *fds,
		     unsigned n)
{
	char *text = join_fds(fds, n);

	vargv_json_str(o, n == 1 ? one : many, text);
	free(text);
}

static int push_netdev(struct vargv *a, size_t i)
{
	const struct vdom_interface *n = &a->d->interfaces[i];
	struct json_object *o = json_object_new_object();
	struct vdom_net_fds fds;
	char id[40];

	snprintf(id, sizeof(id), "hostnet%zu", i);
	if (n->type == VDOM_NET_USER) {
		vargv_json_str(o, "type", "user");
		if (n->ip_address) {	/* libvirt: "net": "ADDR[/PREFIX]" */
			char *net = n->ip_prefix ? xasprintf("%s/%u", n->ip_address, n->ip_prefix) :
						   xstrdup(n->ip_address);

			vargv_json_str(o, "net", net);
			free(net);
		}
	} else {
		if (interface_fds(a, i, &fds) < 0) {
			json_object_put(o);
			return -1;
		}
		vargv_json_str(o, "type", "tap");
		json_fds(o, "fd", "fds", fds.tap_fds, fds.n_tap);
		if (fds.n_vhost) {
			vargv_json_bool(o, "vhost", true);
			json_fds(o, "vhostfd", "vhostfds", fds.vhost_fds, fds.n_vhost);
		}
	}
	vargv_json_str(o, "id", id);
	vargv_push_json(a, "-netdev", o);
	return 0;
}

/* virtio-net's own properties, in libvirt's order (qemuBuildNicDevProps). */
static void virtio_net_props(struct json_object *o, const struct vdom_interface *n)
{
	if (streq(n->txmode, "iothread"))
		vargv_json_str(o, "tx", "bh");
	else if (streq(n->txmode, "timer"))
		vargv_json_str(o, "tx", "timer");
	vargv_json_tri(o, "ioeventfd", n->ioeventfd);
	vargv_json_tri(o, "event_idx", n->event_idx);
	vargv_json_tri(o, "csum", n->host_csum);
	vargv_json_tri(o, "gso", n->host_gso);
	vargv_json_tri(o, "host_tso4", n->host_tso4);
	vargv_json_tri(o, "host_tso6", n->host_tso6);
	vargv_json_tri(o, "host_ecn", n->host_ecn);
	vargv_json_tri(o, "host_ufo", n->host_ufo);
	vargv_json_tri(o, "mrg_rxbuf", n->host_mrg_rxbuf);
	vargv_json_tri(o, "guest_csum", n->guest_csum);
	vargv_json_tri(o, "guest_tso4", n->guest_tso4);
	vargv_json_tri(o, "guest_tso6", n->guest_tso6);
	vargv_json_tri(o, "guest_ecn", n->guest_ecn);
	vargv_json_tri(o, "guest_ufo", n->guest_ufo);
	if (n->queues > 1) {
		/* one MSI-X vector per queue, one for config, one for control */
		vargv_json_bool(o, "mq", true);
		vargv_json_int(o, "vectors", 2 * (int64_t)n->queues + 2);
	}
	if (n->rx_queue_size)
		vargv_json_int(o, "rx_queue_size", n->rx_queue_size);
	if (n->tx_queue_size)
		vargv_json_int(o, "tx_queue_size", n->tx_queue_size);
	if (n->mtu)
		vargv_json_int(o, "host_mtu", n->mtu);
}

static void push_nic(struct vargv *a, size_t i)
{
	const struct vdom_interface *n = &a->d->interfaces[i];
	struct json_object *o = json_object_new_object();
	char netdev[40], id[32], mac[18];

	snprintf(netdev, sizeof(netdev), "hostnet%zu", i);
	snprintf(id, sizeof(id), "net%zu", i);
	if (is_virtio(n)) {
		vargv_json_str(o, "driver", "virtio-net-pci");
		virtio_net_props(o, n);
	} else {
		vargv_json_str(o, "driver", nic_model(n));
	}
	vargv_json_str(o, "netdev", netdev);
	vargv_json_str(o, "id", id);
	if (n->mac_set) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		vargv_json_str(o, "mac", mac);
	}
	if (a->net_boot[i])
		vargv_json_int(o, "bootindex", a->net_boot[i]);
	vargv_json_pci_addr(a, o, &n->addr);
	vargv_push_json(a, "-device", o);
}

int vargv_interfaces(struct vargv *a)
{
	size_t i;

	for (i = 0; i < a->d->n_interfaces; i++) {
		if (push_netdev(a, i) < 0)
			return -1;
		push_nic(a, i);
	}
	return 0;
}

/* ---- chardevs: serial and console ---- */

static const char *chr_type_name(enum vdom_chr_type t)
{
	switch (t) {
	case VDOM_CHR_PTY: return "pty";
	case VDOM_CHR_FILE: return "file";
	case VDOM_CHR_UNIX: return "unix";
	case VDOM_CHR_NULL: return "null";
	case VDOM_CHR_TCP: return "tcp";
	}
	return "?";
}

/* The backend part of a -chardev value ("file,id=X,path=..."); -1 when the source
 * lacks what its type needs. */
static int chardev_backend(struct vargv *a, struct buf *b, const struct vdom_chr_source *s,
			   const char *id, const char *elem, int line)
{
	bool needs_path = s->type == VDOM_CHR_FILE || s->type == VDOM_CHR_UNIX;

	if (needs_path && (!s->path || !*s->path))
		return err_set(a->errp, ERR_INVALID,
			       _("<%s type='%s'> (line %d) has no source path"),
			       elem, chr_type_name(s->type), line);
	if (s->type == VDOM_CHR_TCP && (!s->host || !s->service))
		return err_set(a->errp, ERR_INVALID,
			       _("<%s type='tcp'> (line %d) needs a source host and service"),
			       elem, line);
	switch (s->type) {
	case VDOM_CHR_PTY:
	case VDOM_CHR_NULL:
		vargv_opt_add(b, s->type == VDOM_CHR_PTY ? "pty" : "null");
		vargv_opt_kv(b, "id", id);
		break;
	case VDOM_CHR_FILE:
		vargv_opt_add(b, "file");
		vargv_opt_kv(b, "id", id);
		vargv_opt_kv(b, "path", s->path);
		vargv_opt_onoff(b, "append", s->append);
		break;
	case VDOM_CHR_UNIX:
		vargv_opt_add(b, "socket");
		vargv_opt_kv(b, "id", id);
		vargv_opt_kv(b, "path", s->path);
		break;
	case VDOM_CHR_TCP:
		vargv_opt_add(b, "socket");
		vargv_opt_kv(b, "id", id);
		vargv_opt_kv(b, "host", s->host);
		vargv_opt_kv(b, "port", s->service);
		if (streq(s->protocol, "telnet"))
			vargv_opt_add(b, ",telnet=on");
		break;
	}
	if ((s->type == VDOM_CHR_UNIX || s->type == VDOM_CHR_TCP) && s->listen)
		vargv_opt_add(b, ",server=on,wait=off");
	return 0;
}

static int push_chardev(struct vargv *a, const struct vdom_chr_source *s, const char *id,
			const char *elem, int line)
{
	struct buf b = BUF_INIT;

	if (chardev_backend(a, &b, s, id, elem, line) < 0) {
		buf_free(&b);
		return -1;
	}
	if (s->log_file) {
		vargv_opt_kv(&b, "logfile", s->log_file);
		vargv_opt_onoff(&b, "logappend", s->log_append);
	}
	vargv_push_opt(a, "-chardev", &b);
	return 0;
}

/* The -device driver for a serial target (isa-serial when none is given). */
static const char *serial_driver(const struct vdom_serial *s)
{
	const char *t = s->target_type;

	if (!t || strcmp(t, "isa-serial") == 0 || strcmp(t, "isa") == 0)
		return "isa-serial";
	if (strcmp(t, "pci-serial") == 0 || strcmp(t, "pci") == 0)
		return "pci-serial";
	if (strcmp(t, "usb-serial") == 0 || strcmp(t, "usb") == 0)
		return "usb-serial";
	return t;
}

static bool serial_on_usb(const struct vdom_serial *s)
{
	return strcmp(serial_driver(s), "usb-serial") == 0;
}

static bool has_usb_bus(const struct vdomain *d)
{
	size_t i;

	for (i = 0; i < d->n_controllers; i++) {
		const struct vdom_controller *c = &d->controllers[i];

		if (c->type == VDOM_CTRL_USB && !streq(c->model, "none"))
			return true;
	}
	return false;
}

/* libvirt gives USB devices consecutive ports of the first bus in this order: disks,
 * inputs, serials (virDomainUSBDeviceDefForeach). The model keeps no USB addresses,
 * so count the devices before this one. */
void vargv_json_usb_addr(const struct vargv *a, struct json_object *o, enum vargv_usb_kind kind,
			 size_t idx)
{
	const struct vdomain *d = a->d;
	unsigned port = 1;
	char text[16];
	size_t i;

	for (i = 0; i < d->n_disks && !(kind == VARGV_USB_DISK && i == idx); i++)
		port += d->disks[i].bus == VDOM_BUS_USB;
	for (i = 0; kind != VARGV_USB_DISK && i < d->n_inputs &&
		    !(kind == VARGV_USB_INPUT && i == idx); i++)
		port += d->inputs[i].bus == VDOM_INPUT_USB;
	for (i = 0; kind == VARGV_USB_SERIAL && i < idx && i < d->n_serials; i++)
		port += serial_on_usb(&d->serials[i]);
	vargv_json_str(o, "bus", "usb.0");
	if (!has_usb_bus(d))
		return;
	snprintf(text, sizeof(text), "%u", port);
	vargv_json_str(o, "port", text);
}

/* -chardev + -device for serial number `idx` (alias serialN) on port `port`. */
static int push_serial(struct vargv *a, const struct vdom_chr_source *src, size_t idx, int port,
		       const char *driver, int line)
{
	char chr[48], id[40];
	struct json_object *o;

	snprintf(chr, sizeof(chr), "charserial%zu", idx);
	snprintf(id, sizeof(id), "serial%zu", idx);
	if (push_chardev(a, src, chr, "serial", line) < 0)
		return -1;
	o = json_object_new_object();
	vargv_json_str(o, "driver", driver);
	vargv_json_str(o, "chardev", chr);
	vargv_json_str(o, "id", id);
	if (strcmp(driver, "isa-serial") == 0)
		vargv_json_int(o, "index", port >= 0 ? port : (int64_t)idx);
	else if (strcmp(driver, "usb-serial") == 0)
		vargv_json_usb_addr(a, o, VARGV_USB_SERIAL, idx);
	vargv_push_json(a, "-device", o);
	return 0;
}

int vargv_serials(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_serials; i++) {
		const struct vdom_serial *s = &d->serials[i];

		if (push_serial(a, &s->src, i, s->port, serial_driver(s), s->line) < 0)
			return -1;
	}
	return 0;
}

/* A console with a serial target is the first serial port again (libvirt keeps the
 * two in step), so it adds nothing; virtio consoles are virtconsole ports. */
int vargv_consoles(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_consoles; i++) {
		const struct vdom_console *c = &d->consoles[i];
		struct json_object *o;
		char chr[48], id[40];

		if (c->target == VDOM_CON_TARGET_SERIAL) {
			/* Without the serial twin libvirt would have added, be that port. */
			if (i == 0 && d->n_serials == 0 &&
			    push_serial(a, &c->src, 0, c->port, "isa-serial", c->line) < 0)
				return -1;
			continue;
		}
		snprintf(chr, sizeof(chr), "charconsole%zu", i);
		snprintf(id, sizeof(id), "console%zu", i);
		if (push_chardev(a, &c->src, chr, "console", c->line) < 0)
			return -1;
		o = json_object_new_object();
		vargv_json_str(o, "driver", "virtconsole");
		vargv_json_str(o, "chardev", chr);
		vargv_json_str(o, "id", id);
		vargv_push_json(a, "-device", o);
	}
	return 0;
}

/* ---- trailing devices ---- */

bool vargv_has_hyperv_panic(const struct vdomain *d)
{
	size_t i;

	for (i = 0; i < d->n_panics; i++)
		if (streq(d->panics[i].model, "hyperv"))
			return true;
	return false;
}

void vargv_audio(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	if (a->vmm)
		return;	/* only type='none' gets this far: nothing to provide */
	for (i = 0; i < d->n_audios; i++) {
		struct json_object *o = json_object_new_object();
		char id[32];

		snprintf(id, sizeof(id), "audio%u", d->audios[i].id);
		vargv_json_str(o, "id", id);
		vargv_json_str(o, "driver", d->audios[i].type ? d->audios[i].type : "none");
		vargv_push_json(a, "-audiodev", o);
	}
}

void vargv_balloon(struct vargv *a)
{
	const struct vdom_memballoon *mb = &a->d->memballoon;
	struct json_object *o;

	if (!mb->present || mb->none)
		return;
	o = json_object_new_object();
	vargv_json_str(o, "driver", "virtio-balloon-pci");
	vargv_json_str(o, "id", "balloon0");
	vargv_json_tri(o, "deflate-on-oom", mb->autodeflate);
	vargv_json_tri(o, "free-page-reporting", mb->free_page_reporting);
	vargv_json_pci_addr(a, o, &mb->addr);
	vargv_push_json(a, "-device", o);
}

/* QEMU reads entropy through an rng-random object; the worker has its own source
 * (getrandom), so it gets the device alone. */
void vargv_rngs(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_rngs; i++) {
		const struct vdom_rng *r = &d->rngs[i];
		struct json_object *o;
		char obj[40], id[32];

		snprintf(obj, sizeof(obj), "objrng%zu", i);
		snprintf(id, sizeof(id), "rng%zu", i);
		if (!a->vmm) {
			o = json_object_new_object();
			vargv_json_str(o, "qom-type", "rng-random");
			vargv_json_str(o, "id", obj);
			vargv_json_str(o, "filename",
				       r->backend_path ? r->backend_path : "/dev/urandom");
			vargv_push_json(a, "-object", o);
		}
		o = json_object_new_object();
		vargv_json_str(o, "driver", "virtio-rng-pci");
		if (!a->vmm)
			vargv_json_str(o, "rng", obj);
		vargv_json_str(o, "id", id);
		if (r->rate_bytes) {
			vargv_json_int(o, "max-bytes", r->rate_bytes);
			if (r->rate_period)
				vargv_json_int(o, "period", r->rate_period);
		}
		vargv_json_pci_addr(a, o, &r->addr);
		vargv_push_json(a, "-device", o);
	}
}

int vargv_panics(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_panics; i++) {
		const struct vdom_panic *p = &d->panics[i];
		struct json_object *o;

		if (streq(p->model, "hyperv"))
			continue;	/* a CPU flag (hv-crash), see cpu_value() */
		if (p->model && strcmp(p->model, "isa") != 0 && strcmp(p->model, "pvpanic") != 0)
			return err_set(a->errp, ERR_UNSUPPORTED,
				       _("<panic model='%s'> is not supported"), p->model);
		o = json_object_new_object();
		if (streq(p->model, "pvpanic")) {
			vargv_json_str(o, "driver", "pvpanic-pci");
			vargv_json_pci_addr(a, o, &p->addr);
		} else {
			vargv_json_str(o, "driver", "pvpanic");
			/* pvpanic calls its ISA port "ioport", not "iobase" */
			if (p->addr.type == VDOM_ADDR_ISA && p->addr.has_iobase)
				vargv_json_int(o, "ioport", p->addr.iobase);
		}
		vargv_push_json(a, "-device", o);
	}
	return 0;
}

/* ---- inputs ---- */

static const char *input_driver(const struct vdom_input *in)
{
	static const char *const usb[] = { "usb-mouse", "usb-kbd", "usb-tablet" };
	static const char *const virtio[] = {
		"virtio-mouse-pci", "virtio-keyboard-pci", "virtio-tablet-pci",
	};
	size_t t = in->type == VDOM_INPUT_MOUSE ? 0 : in->type == VDOM_INPUT_KEYBOARD ? 1 : 2;

	if (in->bus == VDOM_INPUT_USB)
		return usb[t];
	if (in->bus == VDOM_INPUT_VIRTIO)
		return virtio[t];
	return NULL;	/* PS/2: built into the i8042 */
}

void vargv_inputs(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	if (a->vmm)
		return;	/* only PS/2 inputs get this far, and they are implicit */
	for (i = 0; i < d->n_inputs; i++) {
		const struct vdom_input *in = &d->inputs[i];
		const char *driver = input_driver(in);
		struct json_object *o;
		char id[32];

		if (!driver)
			continue;
		snprintf(id, sizeof(id), "input%zu", i);
		o = json_object_new_object();
		vargv_json_str(o, "driver", driver);
		vargv_json_str(o, "id", id);
		if (in->bus == VDOM_INPUT_USB)
			vargv_json_usb_addr(a, o, VARGV_USB_INPUT, i);
		else
			vargv_json_pci_addr(a, o, &in->addr);
		vargv_push_json(a, "-device", o);
	}
}
