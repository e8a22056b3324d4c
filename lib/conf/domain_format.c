/* Formatting a domain as libvirt's dumpxml does: the same element order, attribute
 * order, two-space indentation and self-closing empty elements, so that a domain
 * defined with Vireo reads like one defined with libvirt. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/buf.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

struct fmt {
	struct buf b;
	int indent;	/* in units of two spaces */
};

static void line(struct fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	for (int i = 0; i < f->indent; i++)
		buf_append_str(&f->b, "  ", NULL);
	buf_append_str(&f->b, s, NULL);
	buf_append_str(&f->b, "\n", NULL);
	free(s);
}

/* " name='value'" with the value escaped, appended to an attribute string. */
static void attr(struct strv *a, const char *name, const char *value)
{
	char *e;

	if (!value)
		return;
	e = xml_escape(value, true);
	strv_pushf(a, " %s='%s'", name, e);
	free(e);
}

static void attr_tri(struct strv *a, const char *name, enum vtristate t, bool yes_no)
{
	if (t != VTRI_ABSENT)
		attr(a, name, t == VTRI_ON ? (yes_no ? "yes" : "on") : (yes_no ? "no" : "off"));
}

static void attr_uint(struct strv *a, const char *name, unsigned v)
{
	char num[16];

	if (!v)
		return;
	snprintf(num, sizeof(num), "%u", v);
	attr(a, name, num);
}

static char *attrs_join(struct strv *a)
{
	char *s = strv_join(a, "");

	strv_free(a);
	return s;
}

/* <name attrs/> */
static void empty_elem(struct fmt *f, const char *name, struct strv *a)
{
	char *s = attrs_join(a);

	line(f, "<%s%s/>", name, s);
	free(s);
}

static void open_elem(struct fmt *f, const char *name, struct strv *a)
{
	char *s = attrs_join(a);

	line(f, "<%s%s>", name, s);
	free(s);
	f->indent++;
}

static void close_elem(struct fmt *f, const char *name)
{
	f->indent--;
	line(f, "</%s>", name);
}

static void text_elem(struct fmt *f, const char *name, struct strv *a, const char *text)
{
	char *s = attrs_join(a), *e = xml_escape(text, false);

	line(f, "<%s%s>%s</%s>", name, s, e, name);
	free(s);
	free(e);
}

static void format_address(struct fmt *f, const struct vdom_address *ad)
{
	struct strv a = STRV_INIT;
	char v[4][16];

	switch (ad->type) {
	case VDOM_ADDR_PCI:
		snprintf(v[0], sizeof(v[0]), "0x%04x", ad->domain);
		snprintf(v[1], sizeof(v[1]), "0x%02x", ad->bus);
		snprintf(v[2], sizeof(v[2]), "0x%02x", ad->slot);
		snprintf(v[3], sizeof(v[3]), "0x%x", ad->function);
		attr(&a, "type", "pci");
		attr(&a, "domain", v[0]);
		attr(&a, "bus", v[1]);
		attr(&a, "slot", v[2]);
		attr(&a, "function", v[3]);
		attr_tri(&a, "multifunction", ad->multifunction, false);
		break;
	case VDOM_ADDR_DRIVE:
		attr(&a, "type", "drive");
		strv_pushf(&a, " controller='%u' bus='%u' target='%u' unit='%u'", ad->controller,
			   ad->bus, ad->target, ad->unit);
		break;
	case VDOM_ADDR_ISA:
		attr(&a, "type", "isa");
		if (ad->has_iobase)
			strv_pushf(&a, " iobase='0x%x'", ad->iobase);
		if (ad->has_irq)
			strv_pushf(&a, " irq='0x%x'", ad->irq);
		break;
	default:
		return;
	}
	empty_elem(f, "address", &a);
}

static void format_boot_order(struct fmt *f, unsigned order)
{
	struct strv a = STRV_INIT;

	if (!order)
		return;
	attr_uint(&a, "order", order);
	empty_elem(f, "boot", &a);
}

/* ---- general section ---- */

static void format_memory(struct fmt *f, const struct vdomain *d)
{
	if (d->max_memory_kib) {
		if (d->max_memory_slots)
			line(f, "<maxMemory slots='%u' unit='KiB'>%" PRIu64 "</maxMemory>",
			     d->max_memory_slots, d->max_memory_kib);
		else
			line(f, "<maxMemory unit='KiB'>%" PRIu64 "</maxMemory>", d->max_memory_kib);
	}
	line(f, "<memory unit='KiB'>%" PRIu64 "</memory>", d->memory_kib);
	line(f, "<currentMemory unit='KiB'>%" PRIu64 "</currentMemory>", d->current_memory_kib);
}

static void format_vcpu(struct fmt *f, const struct vdomain *d)
{
	struct strv a = STRV_INIT;
	char count[16];

	attr(&a, "placement", d->vcpu_placement);
	attr(&a, "cpuset", d->vcpu_cpuset);
	if (d->vcpus_current && d->vcpus_current != d->vcpus)
		attr_uint(&a, "current", d->vcpus_current);
	snprintf(count, sizeof(count), "%u", d->vcpus);
	text_elem(f, "vcpu", &a, count);
}

static void format_os(struct fmt *f, const struct vdomain *d)
{
	static const char *const boot_names[] = { "hd", "cdrom", "network", "fd" };
	struct strv a = STRV_INIT;

	line(f, "<os>");
	f->indent++;
	attr(&a, "arch", d->os.arch);
	attr(&a, "machine", d->os.machine);
	text_elem(f, "type", &a, d->os.type);
	if (d->os.kernel)
		text_elem(f, "kernel", &a, d->os.kernel);
	if (d->os.initrd)
		text_elem(f, "initrd", &a, d->os.initrd);
	if (d->os.cmdline)
		text_elem(f, "cmdline", &a, d->os.cmdline);
	for (unsigned i = 0; i < d->os.nboot; i++) {
		attr(&a, "dev", boot_names[d->os.boot[i]]);
		empty_elem(f, "boot", &a);
	}
	if (d->os.bootmenu != VTRI_ABSENT) {
		attr_tri(&a, "enable", d->os.bootmenu, true);
		if (d->os.bootmenu_timeout >= 0)
			strv_pushf(&a, " timeout='%d'", d->os.bootmenu_timeout);
		empty_elem(f, "bootmenu", &a);
	}
	close_elem(f, "os");
}

static void format_features(struct fmt *f, const struct vdomain *d)
{
	const struct vdom_features *ft = &d->features;
	struct strv a = STRV_INIT;

	if (!ft->acpi && !ft->apic && !ft->pae && !ft->vmport_set)
		return;
	line(f, "<features>");
	f->indent++;
	if (ft->acpi)
		line(f, "<acpi/>");
	if (ft->apic) {
		attr_tri(&a, "eoi", ft->apic_eoi, false);
		empty_elem(f, "apic", &a);
	}
	if (ft->pae)
		line(f, "<pae/>");
	if (ft->vmport_set) {
		attr_tri(&a, "state", ft->vmport, false);
		empty_elem(f, "vmport", &a);
	}
	close_elem(f, "features");
}

static void format_cpu(struct fmt *f, const struct vdomain *d)
{
	const struct vdom_cpu *c = &d->cpu;
	struct strv a = STRV_INIT;

	if (!c->present)
		return;
	attr(&a, "mode", c->mode);
	attr(&a, "match", c->match);
	attr(&a, "check", c->check);
	attr_tri(&a, "migratable", c->migratable, false);
	if (!c->model && !c->sockets) {
		empty_elem(f, "cpu", &a);
		return;
	}
	open_elem(f, "cpu", &a);
	if (c->model) {
		attr(&a, "fallback", c->model_fallback);
		text_elem(f, "model", &a, c->model);
	}
	if (c->sockets)
		line(f, "<topology sockets='%u' dies='%u' cores='%u' threads='%u'/>", c->sockets,
		     c->dies ? c->dies : 1, c->cores, c->threads);
	close_elem(f, "cpu");
}

static void format_clock(struct fmt *f, const struct vdomain *d)
{
	struct strv a = STRV_INIT;

	attr(&a, "offset", d->clock.offset);
	if (!d->clock.n_timers) {
		empty_elem(f, "clock", &a);
		return;
	}
	open_elem(f, "clock", &a);
	for (size_t i = 0; i < d->clock.n_timers; i++) {
		const struct vdom_timer *t = &d->clock.timers[i];

		attr(&a, "name", t->name);
		attr(&a, "tickpolicy", t->tickpolicy);
		attr_tri(&a, "present", t->present, true);
		empty_elem(f, "timer", &a);
	}
	close_elem(f, "clock");
}

static void format_pm(struct fmt *f, const struct vdomain *d)
{
	struct strv a = STRV_INIT;

	if (!d->pm.suspend_to_mem && !d->pm.suspend_to_disk)
		return;
	line(f, "<pm>");
	f->indent++;
	if (d->pm.suspend_to_mem) {
		attr_tri(&a, "enabled", d->pm.suspend_to_mem, true);
		empty_elem(f, "suspend-to-mem", &a);
	}
	if (d->pm.suspend_to_disk) {
		attr_tri(&a, "enabled", d->pm.suspend_to_disk, true);
		empty_elem(f, "suspend-to-disk", &a);
	}
	close_elem(f, "pm");
}

static void format_metadata(struct fmt *f, const struct vdomain *d)
{
	struct strv lines = STRV_INIT;

	if (!d->metadata_xml)
		return;
	if (!*d->metadata_xml) {
		line(f, "<metadata/>");
		return;
	}
	line(f, "<metadata>");
	f->indent++;
	strv_split(&lines, d->metadata_xml, '\n');
	for (size_t i = 0; i < lines.len; i++)
		if (*lines.items[i])
			line(f, "%s", lines.items[i]);
	strv_free(&lines);
	close_elem(f, "metadata");
}

/* ---- devices ---- */

static void format_disk(struct fmt *f, const struct vdom_disk *k)
{
	static const char *const types[] = { "file", "block" };
	static const char *const devices[] = { "disk", "cdrom", "floppy" };
	struct strv a = STRV_INIT;

	attr(&a, "type", types[k->type]);
	attr(&a, "device", devices[k->device]);
	open_elem(f, "disk", &a);
	attr(&a, "name", k->driver_name);
	attr(&a, "type", k->driver_type);
	attr(&a, "cache", k->cache);
	attr(&a, "error_policy", k->error_policy);
	attr(&a, "io", k->io);
	attr_tri(&a, "ioeventfd", k->ioeventfd, false);
	attr_tri(&a, "event_idx", k->event_idx, false);
	attr_tri(&a, "copy_on_read", k->copy_on_read, false);
	attr(&a, "discard", k->discard);
	attr(&a, "detect_zeroes", k->detect_zeroes);
	attr_uint(&a, "queues", k->queues);
	attr_uint(&a, "queue_size", k->queue_size);
	if (a.len)
		empty_elem(f, "driver", &a);
	if (k->source) {
		attr(&a, k->type == VDOM_DISK_FILE ? "file" : "dev", k->source);
		empty_elem(f, "source", &a);
	}
	attr(&a, "dev", k->target_dev);
	attr(&a, "bus", vdom_disk_bus_name(k->bus));
	empty_elem(f, "target", &a);
	if (k->readonly)
		line(f, "<readonly/>");
	if (k->shareable)
		line(f, "<shareable/>");
	if (k->transient)
		line(f, "<transient/>");
	if (k->serial)
		text_elem(f, "serial", &a, k->serial);
	format_boot_order(f, k->boot_order);
	format_address(f, &k->addr);
	close_elem(f, "disk");
}

static void format_controller(struct fmt *f, const struct vdom_controller *c)
{
	struct strv a = STRV_INIT;

	attr(&a, "type", vdom_controller_type_name(c->type));
	strv_pushf(&a, " index='%u'", c->index);
	attr(&a, "model", c->model);
	attr_uint(&a, "ports", c->ports);
	attr_uint(&a, "vectors", c->vectors);
	if (c->addr.type == VDOM_ADDR_NONE) {
		empty_elem(f, "controller", &a);
		return;
	}
	open_elem(f, "controller", &a);
	format_address(f, &c->addr);
	close_elem(f, "controller");
}

static void format_net_driver(struct fmt *f, const struct vdom_interface *n)
{
	struct strv a = STRV_INIT, host = STRV_INIT, guest = STRV_INIT;

	if (n->backend)
		attr(&a, "name", n->backend == VDOM_NET_BACKEND_VHOST ? "vhost" : "qemu");
	attr(&a, "txmode", n->txmode);
	attr_tri(&a, "ioeventfd", n->ioeventfd, false);
	attr_tri(&a, "event_idx", n->event_idx, false);
	attr_uint(&a, "queues", n->queues);
	attr_uint(&a, "rx_queue_size", n->rx_queue_size);
	attr_uint(&a, "tx_queue_size", n->tx_queue_size);
	attr_tri(&host, "csum", n->host_csum, false);
	attr_tri(&host, "gso", n->host_gso, false);
	attr_tri(&host, "tso4", n->host_tso4, false);
	attr_tri(&host, "tso6", n->host_tso6, false);
	attr_tri(&host, "ecn", n->host_ecn, false);
	attr_tri(&host, "ufo", n->host_ufo, false);
	attr_tri(&host, "mrg_rxbuf", n->host_mrg_rxbuf, false);
	attr_tri(&guest, "csum", n->guest_csum, false);
	attr_tri(&guest, "tso4", n->guest_tso4, false);
	attr_tri(&guest, "tso6", n->guest_tso6, false);
	attr_tri(&guest, "ecn", n->guest_ecn, false);
	attr_tri(&guest, "ufo", n->guest_ufo, false);
	if (!host.len && !guest.len) {
		if (a.len)
			empty_elem(f, "driver", &a);
		strv_free(&a);
		return;
	}
	open_elem(f, "driver", &a);
	if (host.len)
		empty_elem(f, "host", &host);
	if (guest.len)
		empty_elem(f, "guest", &guest);
	strv_free(&host);
	strv_free(&guest);
	close_elem(f, "driver");
}

static void format_interface(struct fmt *f, const struct vdom_interface *n)
{
	struct strv a = STRV_INIT;
	char mac[18];

	attr(&a, "type", vdom_net_type_name(n->type));
	open_elem(f, "interface", &a);
	vdom_format_mac(n->mac, mac);
	attr(&a, "address", mac);
	empty_elem(f, "mac", &a);
	if (n->source_bridge) {
		attr(&a, "bridge", n->source_bridge);
		empty_elem(f, "source", &a);
	}
	if (n->source_network) {
		attr(&a, "network", n->source_network);
		empty_elem(f, "source", &a);
	}
	if (n->ip_address) {
		attr(&a, "family", "ipv4");
		attr(&a, "address", n->ip_address);
		if (n->ip_prefix)
			attr_uint(&a, "prefix", n->ip_prefix);
		empty_elem(f, "ip", &a);
	}
	if (n->target_dev) {
		attr(&a, "dev", n->target_dev);
		attr_tri(&a, "managed", n->target_managed, true);
		empty_elem(f, "target", &a);
	}
	if (n->model) {
		attr(&a, "type", n->model);
		empty_elem(f, "model", &a);
	}
	format_net_driver(f, n);
	if (n->link_state) {
		attr(&a, "state", n->link_state);
		empty_elem(f, "link", &a);
	}
	if (n->mtu) {
		attr_uint(&a, "size", n->mtu);
		empty_elem(f, "mtu", &a);
	}
	format_boot_order(f, n->boot_order);
	format_address(f, &n->addr);
	close_elem(f, "interface");
}

static void format_chr_source(struct fmt *f, const struct vdom_chr_source *s)
{
	struct strv a = STRV_INIT;

	switch (s->type) {
	case VDOM_CHR_FILE:
	case VDOM_CHR_PTY:
		attr(&a, "path", s->path);
		attr_tri(&a, "append", s->append, false);
		break;
	case VDOM_CHR_UNIX:
		attr(&a, "mode", s->listen ? "bind" : "connect");
		attr(&a, "path", s->path);
		break;
	case VDOM_CHR_TCP:
		attr(&a, "mode", s->listen ? "bind" : "connect");
		attr(&a, "host", s->host);
		attr(&a, "service", s->service);
		break;
	case VDOM_CHR_NULL:
		break;
	}
	if (a.len)
		empty_elem(f, "source", &a);
	if (s->type == VDOM_CHR_TCP) {
		attr(&a, "type", s->protocol ? s->protocol : "raw");
		empty_elem(f, "protocol", &a);
	}
	if (s->log_file) {
		attr(&a, "file", s->log_file);
		attr_tri(&a, "append", s->log_append, false);
		empty_elem(f, "log", &a);
	}
	strv_free(&a);
}

static void format_serial(struct fmt *f, const struct vdom_serial *s)
{
	struct strv a = STRV_INIT;

	attr(&a, "type", vdom_chr_type_name(s->src.type));
	open_elem(f, "serial", &a);
	format_chr_source(f, &s->src);
	attr(&a, "type", s->target_type);
	strv_pushf(&a, " port='%d'", s->port);
	if (s->target_model) {
		open_elem(f, "target", &a);
		attr(&a, "name", s->target_model);
		empty_elem(f, "model", &a);
		close_elem(f, "target");
	} else {
		empty_elem(f, "target", &a);
	}
	close_elem(f, "serial");
}

static void format_console(struct fmt *f, const struct vdom_console *c)
{
	struct strv a = STRV_INIT;

	attr(&a, "type", vdom_chr_type_name(c->src.type));
	open_elem(f, "console", &a);
	format_chr_source(f, &c->src);
	attr(&a, "type", c->target == VDOM_CON_TARGET_SERIAL ? "serial" : "virtio");
	strv_pushf(&a, " port='%d'", c->port);
	empty_elem(f, "target", &a);
	close_elem(f, "console");
}

static void format_input(struct fmt *f, const struct vdom_input *in)
{
	static const char *const types[] = { "mouse", "keyboard", "tablet" };
	static const char *const buses[] = { "ps2", "usb", "virtio" };
	struct strv a = STRV_INIT;

	attr(&a, "type", types[in->type]);
	attr(&a, "bus", buses[in->bus]);
	if (in->addr.type == VDOM_ADDR_NONE) {
		empty_elem(f, "input", &a);
		return;
	}
	open_elem(f, "input", &a);
	format_address(f, &in->addr);
	close_elem(f, "input");
}

static void format_memballoon(struct fmt *f, const struct vdom_memballoon *b)
{
	struct strv a = STRV_INIT;

	if (!b->present)
		return;
	attr(&a, "model", b->none ? "none" : "virtio");
	attr_tri(&a, "autodeflate", b->autodeflate, false);
	attr_tri(&a, "freePageReporting", b->free_page_reporting, false);
	if (b->stats_period < 0 && b->addr.type == VDOM_ADDR_NONE) {
		empty_elem(f, "memballoon", &a);
		return;
	}
	open_elem(f, "memballoon", &a);
	if (b->stats_period >= 0)
		line(f, "<stats period='%d'/>", b->stats_period);
	format_address(f, &b->addr);
	close_elem(f, "memballoon");
}

static void format_rng(struct fmt *f, const struct vdom_rng *r)
{
	struct strv a = STRV_INIT;

	attr(&a, "model", "virtio");
	open_elem(f, "rng", &a);
	if (r->rate_bytes) {
		attr_uint(&a, "bytes", r->rate_bytes);
		attr_uint(&a, "period", r->rate_period);
		empty_elem(f, "rate", &a);
	}
	attr(&a, "model", "random");
	text_elem(f, "backend", &a, r->backend_path ? r->backend_path : "/dev/urandom");
	format_address(f, &r->addr);
	close_elem(f, "rng");
}

static void format_devices(struct fmt *f, const struct vdomain *d)
{
	struct strv a = STRV_INIT;
	size_t i;

	line(f, "<devices>");
	f->indent++;
	if (d->emulator)
		text_elem(f, "emulator", &a, d->emulator);
	for (i = 0; i < d->n_disks; i++)
		format_disk(f, &d->disks[i]);
	for (i = 0; i < d->n_controllers; i++)
		format_controller(f, &d->controllers[i]);
	for (i = 0; i < d->n_interfaces; i++)
		format_interface(f, &d->interfaces[i]);
	for (i = 0; i < d->n_serials; i++)
		format_serial(f, &d->serials[i]);
	for (i = 0; i < d->n_consoles; i++)
		format_console(f, &d->consoles[i]);
	for (i = 0; i < d->n_inputs; i++)
		format_input(f, &d->inputs[i]);
	for (i = 0; i < d->n_audios; i++) {
		attr_uint(&a, "id", d->audios[i].id);
		attr(&a, "type", d->audios[i].type);
		empty_elem(f, "audio", &a);
	}
	format_memballoon(f, &d->memballoon);
	for (i = 0; i < d->n_rngs; i++)
		format_rng(f, &d->rngs[i]);
	for (i = 0; i < d->n_panics; i++) {
		attr(&a, "model", d->panics[i].model);
		if (d->panics[i].addr.type == VDOM_ADDR_NONE) {
			empty_elem(f, "panic", &a);
			continue;
		}
		open_elem(f, "panic", &a);
		format_address(f, &d->panics[i].addr);
		close_elem(f, "panic");
	}
	close_elem(f, "devices");
}

char *vdomain_format(const struct vdomain *d)
{
	struct fmt f = { BUF_INIT, 0 };
	struct strv a = STRV_INIT;
	char uuid[37];

	attr(&a, "type", d->virt == VDOM_VIRT_KVM ? "kvm" : "qemu");
	open_elem(&f, "domain", &a);
	text_elem(&f, "name", &a, d->name);
	vdom_format_uuid(d->uuid, uuid);
	line(&f, "<uuid>%s</uuid>", uuid);
	if (d->title)
		text_elem(&f, "title", &a, d->title);
	if (d->description)
		text_elem(&f, "description", &a, d->description);
	format_metadata(&f, d);
	format_memory(&f, d);
	format_vcpu(&f, d);
	format_os(&f, d);
	format_features(&f, d);
	format_cpu(&f, d);
	format_clock(&f, d);
	line(&f, "<on_poweroff>%s</on_poweroff>", vdom_lifecycle_name(d->on_poweroff));
	line(&f, "<on_reboot>%s</on_reboot>", vdom_lifecycle_name(d->on_reboot));
	line(&f, "<on_crash>%s</on_crash>", vdom_lifecycle_name(d->on_crash));
	format_pm(&f, d);
	format_devices(&f, d);
	close_elem(&f, "domain");
	return buf_steal(&f.b);
}
