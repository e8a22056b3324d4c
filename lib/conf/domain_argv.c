/* The worker command line: a parsed domain as a QEMU-syntax argv, libvirt's
 * qemuxml2argv for the options our model covers.
 *
 * Two flavors share one structure. Stock QEMU gets what libvirt 9.0 gives QEMU 8.0
 * ("x86_64-latest" capabilities): JSON -device/-netdev/-blockdev/-object, -sandbox,
 * -msg, -audiodev, the memory backend, bootindex properties. vireo-vmm gets only
 * the options of its QEMU subset (architecture §5); a device it cannot provide is an
 * error naming the element and its line, before anything is built.
 *
 * This file: the shared helpers, the vireo-vmm device checks, the machine-wide options
 * (-name to -append) and the driver. domain_argv_dev.c: controllers, interfaces,
 * chardevs, inputs, audio, balloon, rng, panic. domain_argv_disk.c: disks, their
 * vireo-vmm check, and the boot order. domain_argv_priv.h: what the three share. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_argv_priv.h"
#include "lib/util/buf.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define DEFAULT_QEMU_PATH "/usr/bin/qemu-system-x86_64"
#define DEFAULT_VMM_PATH "vireo-vmm"

/* ---- helpers shared with domain_argv_dev.c and domain_argv_disk.c ---- */

void vargv_push(struct vargv *a, const char *s)
{
	strv_push(&a->out, s);
}

void vargv_pushf(struct vargv *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push_take(&a->out, xvasprintf(fmt, ap));
	va_end(ap);
}

void vargv_push_json(struct vargv *a, const char *opt, struct json_object *o)
{
	/* No "\/": QEMU accepts it, but libvirt's output (and our tests) have plain '/'. */
	vargv_push(a, opt);
	vargv_push(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

char *vargv_escape_comma(const char *s)
{
	size_t len = strlen(s), commas = 0, i;
	char *out, *p;

	for (i = 0; i < len; i++)
		commas += s[i] == ',';
	out = p = xmalloc(len + commas + 1);
	for (i = 0; i < len; i++) {
		*p++ = s[i];
		if (s[i] == ',')
			*p++ = ',';
	}
	*p = '\0';
	return out;
}

void vargv_json_str(struct json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

void vargv_json_int(struct json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

void vargv_json_bool(struct json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

void vargv_json_tri(struct json_object *o, const char *key, enum vtristate t)
{
	if (t != VTRI_ABSENT)
		vargv_json_bool(o, key, t == VTRI_ON);
}

bool vargv_machine_is_q35(const struct vdomain *d)
{
	const char *m = d->os.machine;

	return m && (strcmp(m, "q35") == 0 || str_starts_with(m, "pc-q35"));
}

/* The QEMU name of PCI bus `bus`: libvirt names a bus after its controller, and the
 * root bus of q35 (pcie-root) is "pcie.0". */
static char *pci_bus_name(const struct vdomain *d, unsigned bus)
{
	size_t i;

	if (bus != 0)
		return xasprintf("pci.%u", bus);
	for (i = 0; i < d->n_controllers; i++) {
		const struct vdom_controller *c = &d->controllers[i];

		if (c->type == VDOM_CTRL_PCI && c->index == 0 && c->model)
			return xstrdup(strcmp(c->model, "pcie-root") == 0 ? "pcie.0" : "pci.0");
	}
	return xstrdup(vargv_machine_is_q35(d) ? "pcie.0" : "pci.0");
}

void vargv_json_pci_addr(const struct vargv *a, struct json_object *o,
			 const struct vdom_address *addr)
{
	char text[32];
	char *bus;

	if (addr->type != VDOM_ADDR_PCI)
		return;
	bus = pci_bus_name(a->d, addr->bus);
	vargv_json_str(o, "bus", bus);
	free(bus);
	vargv_json_tri(o, "multifunction", addr->multifunction);
	if (addr->function)
		snprintf(text, sizeof(text), "0x%x.0x%x", addr->slot, addr->function);
	else
		snprintf(text, sizeof(text), "0x%x", addr->slot);
	vargv_json_str(o, "addr", text);
}

int vargv_refuse(struct vargv *a, int line, const char *what, const char *alternative)
{
	if (line > 0)
		return err_set(a->errp, ERR_UNSUPPORTED,
			       _("vireo-vmm cannot provide %s (line %d); use "
				 "<emulator>qemu-system-x86_64</emulator> or %s"),
			       what, line, alternative);
	return err_set(a->errp, ERR_UNSUPPORTED,
		       _("vireo-vmm cannot provide %s; use "
			 "<emulator>qemu-system-x86_64</emulator> or %s"), what, alternative);
}

int vargv_refuse_fmt(struct vargv *a, int line, const char *alternative, const char *fmt, ...)
{
	va_list ap;
	char *what;
	int rc;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	rc = vargv_refuse(a, line, what, alternative);
	free(what);
	return rc;
}

/* ---- key=value building ---- */

void vargv_opt_add(struct buf *b, const char *s)
{
	(void)buf_append_str(b, s, NULL);	/* the default limit is far beyond any option */
}

void vargv_opt_kv(struct buf *b, const char *key, const char *val)
{
	char *esc = vargv_escape_comma(val);

	vargv_opt_add(b, ",");
	vargv_opt_add(b, key);
	vargv_opt_add(b, "=");
	vargv_opt_add(b, esc);
	free(esc);
}

void vargv_opt_onoff(struct buf *b, const char *key, enum vtristate t)
{
	if (t != VTRI_ABSENT)
		vargv_opt_kv(b, key, t == VTRI_ON ? "on" : "off");
}

void vargv_push_opt(struct vargv *a, const char *opt, struct buf *b)
{
	vargv_push(a, opt);
	strv_push_take(&a->out, buf_steal(b));
	buf_free(b);
}

/* ---- vireo-vmm: what the worker cannot provide ---- */

static int check_vmm_controller(struct vargv *a, const struct vdom_controller *c)
{
	const char *m = c->model;

	switch (c->type) {
	case VDOM_CTRL_USB:
		/* libvirt adds a piix3 controller to every pc guest; not the user's choice */
		if (!m || strcmp(m, "none") == 0 || strcmp(m, "piix3-uhci") == 0)
			return 0;
		return vargv_refuse_fmt(a, c->line, "<controller type='usb' model='none'>",
					"<controller type='usb' model='%s'>", m);
	case VDOM_CTRL_SCSI:
		return vargv_refuse(a, c->line, "<controller type='scsi'>", _("a virtio disk"));
	case VDOM_CTRL_SATA:
		if (c->index == 0 && vargv_machine_is_q35(a->d))
			return 0;	/* q35's built-in AHCI, implicit */
		return vargv_refuse(a, c->line, "<controller type='sata'>", _("a virtio disk"));
	case VDOM_CTRL_PCI:
		if (!m || strcmp(m, "pci-root") == 0 || strcmp(m, "pcie-root") == 0)
			return 0;
		return vargv_refuse_fmt(a, c->line, _("the root PCI bus"),
					"<controller type='pci' model='%s'>", m);
	case VDOM_CTRL_IDE:
	case VDOM_CTRL_FDC:
	case VDOM_CTRL_VIRTIO_SERIAL:
		return 0;	/* IDE/FDC: implicit; a disk on them is refused below */
	}
	return 0;
}

static int check_vmm_interface(struct vargv *a, const struct vdom_interface *n)
{
	if (!n->model)
		return vargv_refuse(a, n->line, _("<interface> without <model> (libvirt's "
						  "default is rtl8139)"), "<model type='virtio'>");
	if (strcmp(n->model, "virtio") == 0 || strcmp(n->model, "e1000") == 0)
		return 0;
	return vargv_refuse_fmt(a, n->line, "<model type='virtio'>", "<model type='%s'>",
				n->model);
}

static int check_vmm_chr(struct vargv *a, const struct vdom_chr_source *s, const char *elem,
			 int line)
{
	if (s->type != VDOM_CHR_TCP)
		return 0;
	return vargv_refuse_fmt(a, line, _("a pty or unix socket"), "<%s type='tcp'>", elem);
}

static int check_vmm_chardevs(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_serials; i++) {
		const struct vdom_serial *s = &d->serials[i];
		const char *t = s->target_type;

		if (check_vmm_chr(a, &s->src, "serial", s->line) < 0)
			return -1;
		if (t && strcmp(t, "isa-serial") != 0 && strcmp(t, "isa") != 0)
			return vargv_refuse_fmt(a, s->line, _("an isa-serial port"),
						"<target type='%s'>", t);
	}
	for (i = 0; i < d->n_consoles; i++)
		if (check_vmm_chr(a, &d->consoles[i].src, "console", d->consoles[i].line) < 0)
			return -1;
	return 0;
}

static const char *input_type_name(enum vdom_input_type t)
{
	return t == VDOM_INPUT_MOUSE ? "mouse" : t == VDOM_INPUT_KEYBOARD ? "keyboard" : "tablet";
}

/* Inputs, audio, rng and panic carry no source line in the model. */
static int check_vmm_others(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	for (i = 0; i < d->n_inputs; i++) {
		const struct vdom_input *in = &d->inputs[i];
		char *what;
		int rc;

		if (in->bus == VDOM_INPUT_PS2)
			continue;	/* the i8042 is always there */
		what = xasprintf("<input type='%s' bus='%s'>", input_type_name(in->type),
				 in->bus == VDOM_INPUT_USB ? "usb" : "virtio");
		rc = vargv_refuse(a, 0, what, "<input type='mouse' bus='ps2'>");
		free(what);
		return rc;
	}
	for (i = 0; i < d->n_audios; i++)
		if (d->audios[i].type && strcmp(d->audios[i].type, "none") != 0)
			return vargv_refuse_fmt(a, 0, "<audio type='none'>", "<audio type='%s'>",
						d->audios[i].type);
	for (i = 0; i < d->n_rngs; i++) {
		const char *p = d->rngs[i].backend_path;

		if (p && strcmp(p, "/dev/urandom") != 0 && strcmp(p, "/dev/random") != 0)
			return vargv_refuse_fmt(a, d->rngs[i].line,
						_("/dev/urandom as the backend"),
						"<backend model='random'>%s</backend>", p);
	}
	for (i = 0; i < d->n_panics; i++) {
		const char *m = d->panics[i].model;

		if (m && strcmp(m, "isa") != 0)
			return vargv_refuse_fmt(a, 0, "<panic model='isa'>",
						"<panic model='%s'>", m);
	}
	return 0;
}

int vargv_check_vmm_devices(struct vargv *a)
{
	const struct vdomain *d = a->d;
	size_t i;

	/* Disks before controllers: an implicit controller libvirt added for a disk
	 * has no line of its own; the disk the user wrote does. */
	for (i = 0; i < d->n_disks; i++)
		if (vargv_check_vmm_disk(a, &d->disks[i]) < 0)
			return -1;
	for (i = 0; i < d->n_interfaces; i++)
		if (check_vmm_interface(a, &d->interfaces[i]) < 0)
			return -1;
	for (i = 0; i < d->n_controllers; i++)
		if (check_vmm_controller(a, &d->controllers[i]) < 0)
			return -1;
	if (check_vmm_chardevs(a) < 0)
		return -1;
	return check_vmm_others(a);
}

/* ---- machine-wide options, in libvirt's order ---- */

static const char *emulator_path(const struct vargv *a)
{
	if (a->ctx->emulator)
		return a->ctx->emulator;
	if (a->d->emulator)
		return a->d->emulator;
	return a->vmm ? DEFAULT_VMM_PATH : DEFAULT_QEMU_PATH;
}

static int add_name(struct vargv *a)
{
	struct buf b = BUF_INIT;
	char *name;

	if (!a->d->name || !*a->d->name)
		return err_set(a->errp, ERR_INVALID, _("the domain has no name"));
	name = vargv_escape_comma(a->d->name);
	vargv_opt_add(&b, "guest=");
	vargv_opt_add(&b, name);
	vargv_opt_add(&b, ",debug-threads=on");
	free(name);
	vargv_push_opt(a, "-name", &b);
	return 0;
}

static void add_machine(struct vargv *a)
{
	const struct vdomain *d = a->d;
	struct buf b = BUF_INIT;
	char *machine = vargv_escape_comma(d->os.machine ? d->os.machine : "pc");

	vargv_opt_add(&b, machine);
	free(machine);
	vargv_opt_add(&b, ",usb=off");
	if (!a->vmm)
		vargv_opt_onoff(&b, "vmport", d->features.vmport);
	vargv_opt_add(&b, ",dump-guest-core=off");
	if (!a->vmm)
		vargv_opt_add(&b, ",memory-backend=pc.ram");
	vargv_push_opt(a, "-machine", &b);
	vargv_push(a, "-accel");
	vargv_push(a, d->virt == VDOM_VIRT_KVM ? "kvm" : "tcg");
}

/* The -cpu value. libvirt expands host-model into a named model from the host's
 * capabilities; without those, "host" (KVM) or "max" (TCG) is the nearest. */
static char *cpu_value(const struct vargv *a)
{
	const struct vdomain *d = a->d;
	const struct vdom_cpu *cpu = &d->cpu;
	const char *mode = cpu->present ? cpu->mode : NULL;
	bool kvm = d->virt == VDOM_VIRT_KVM;
	struct buf b = BUF_INIT;
	bool migratable = false;

	if (streq(mode, "host-passthrough") || streq(mode, "maximum")) {
		vargv_opt_add(&b, streq(mode, "maximum") ? "max" : "host");
		migratable = true;
	} else if (streq(mode, "host-model")) {
		vargv_opt_add(&b, kvm ? "host" : "max");
	} else if (cpu->present && cpu->model) {
		char *model = vargv_escape_comma(cpu->model);

		vargv_opt_add(&b, model);
		free(model);
	} else {
		vargv_opt_add(&b, streq(d->os.arch, "i686") ? "qemu32" : "qemu64");
	}
	if (migratable)
		vargv_opt_onoff(&b, "migratable", cpu->migratable);
	vargv_opt_onoff(&b, "kvm-pv-eoi", d->features.apic_eoi);
	if (!a->vmm && vargv_has_hyperv_panic(d))
		vargv_opt_add(&b, ",hv-crash");
	return buf_steal(&b);
}

/* libvirt aligns x86 guest memory to 1 MiB. */
static uint64_t align_mib_kib(uint64_t kib)
{
	return (kib + 1023) / 1024 * 1024;
}

/* libvirt names guest RAM as a backend object (tunable, migratable); the worker's
 * RAM is always a memfd and it does not lock memory. */
static void push_memory_backend(struct vargv *a, uint64_t kib)
{
	struct json_object *o = json_object_new_object();

	vargv_json_str(o, "qom-type", "memory-backend-ram");
	vargv_json_str(o, "id", "pc.ram");
	vargv_json_int(o, "size", (int64_t)(kib * 1024));
	vargv_push_json(a, "-object", o);
	vargv_push(a, "-overcommit");
	vargv_push(a, "mem-lock=off");
}

/* Far beyond any host; keeps the byte count of the memory backend in an int64. */
#define MAX_MEMORY_KIB ((uint64_t)INT64_MAX / 1024 - 1024)

static int add_memory(struct vargv *a)
{
	const struct vdomain *d = a->d;
	uint64_t kib;

	if (d->memory_kib == 0)
		return err_set(a->errp, ERR_INVALID, _("the domain has no <memory> size"));
	if (d->memory_kib > MAX_MEMORY_KIB || d->max_memory_kib > MAX_MEMORY_KIB)
		return err_set(a->errp, ERR_RANGE, _("the domain's memory size is too large"));
	kib = align_mib_kib(d->memory_kib);
	vargv_push(a, "-m");
	if (d->max_memory_kib)
		vargv_pushf(a, "size=%" PRIu64 "k,slots=%u,maxmem=%" PRIu64 "k", kib,
			    d->max_memory_slots, align_mib_kib(d->max_memory_kib));
	else
		vargv_pushf(a, "%" PRIu64, kib / 1024);
	if (!a->vmm)
		push_memory_backend(a, kib);
	return 0;
}

static unsigned at_least_1(unsigned v)
{
	return v ? v : 1;
}

static void add_smp(struct vargv *a)
{
	const struct vdomain *d = a->d;
	const struct vdom_cpu *cpu = &d->cpu;
	unsigned max = at_least_1(d->vcpus);
	unsigned cur = d->vcpus_current && d->vcpus_current < max ? d->vcpus_current : max;
	struct buf b = BUF_INIT;
	char num[24];

	snprintf(num, sizeof(num), "%u", cur);
	vargv_opt_add(&b, num);
	if (cur != max) {
		snprintf(num, sizeof(num), ",maxcpus=%u", max);
		vargv_opt_add(&b, num);
	}
	/* QEMU 8 has -smp dies, so libvirt always writes it with a <topology>; our
	 * worker takes it only when it matters. */
	if (cpu->present && cpu->sockets) {
		unsigned dies = at_least_1(cpu->dies);
		char text[96];

		if (!a->vmm || dies > 1)
			snprintf(text, sizeof(text), ",sockets=%u,dies=%u,cores=%u,threads=%u",
				 cpu->sockets, dies, at_least_1(cpu->cores),
				 at_least_1(cpu->threads));
		else
			snprintf(text, sizeof(text), ",sockets=%u,cores=%u,threads=%u",
				 cpu->sockets, at_least_1(cpu->cores), at_least_1(cpu->threads));
		vargv_opt_add(&b, text);
	} else {
		snprintf(num, sizeof(num), ",sockets=%u", max);
		vargv_opt_add(&b, num);
		vargv_opt_add(&b, ",cores=1,threads=1");
	}
	vargv_push_opt(a, "-smp", &b);
}

static void format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

static void add_uuid(struct vargv *a)
{
	char text[37];

	if (!a->d->uuid_set)
		return;
	format_uuid(a->d->uuid, text);
	vargv_push(a, "-uuid");
	vargv_push(a, text);
}

static void add_monitor(struct vargv *a)
{
	const struct vdom_argv_ctx *ctx = a->ctx;
	struct buf b = BUF_INIT;

	if (a->vmm && ctx->qmp_path) {
		char *path = vargv_escape_comma(ctx->qmp_path);

		vargv_opt_add(&b, "unix:");
		vargv_opt_add(&b, path);
		vargv_opt_add(&b, ",server=on,wait=off");
		free(path);
		vargv_push_opt(a, "-qmp", &b);
		return;
	}
	vargv_opt_add(&b, "socket,id=charmonitor");
	if (ctx->qmp_path) {
		vargv_opt_kv(&b, "path", ctx->qmp_path);
	} else {
		char fd[32];

		snprintf(fd, sizeof(fd), ",fd=%d", ctx->monitor_fd);
		vargv_opt_add(&b, fd);
	}
	vargv_opt_add(&b, ",server=on,wait=off");
	vargv_push_opt(a, "-chardev", &b);
	vargv_push(a, "-mon");
	vargv_push(a, "chardev=charmonitor,id=monitor,mode=control");
}

static int add_rtc(struct vargv *a)
{
	const char *offset = a->d->clock.offset;
	bool utc = !offset || strcmp(offset, "utc") == 0;

	if (a->vmm) {
		/* The worker's CMOS clock always runs in UTC. */
		if (utc)
			return 0;
		return vargv_refuse_fmt(a, 0, "<clock offset='utc'>", "<clock offset='%s'>",
					offset);
	}
	if (!utc && strcmp(offset, "localtime") != 0)
		return err_set(a->errp, ERR_UNSUPPORTED,
			       _("<clock offset='%s'> is not supported"), offset);
	vargv_push(a, "-rtc");
	vargv_push(a, utc ? "base=utc" : "base=localtime");
	return 0;
}

static void add_pm(struct vargv *a)
{
	const struct vdom_pm *pm = &a->d->pm;
	const char *dev = vargv_machine_is_q35(a->d) ? "ICH9-LPC" : "PIIX4_PM";

	if (pm->suspend_to_mem != VTRI_ABSENT) {
		vargv_push(a, "-global");
		vargv_pushf(a, "%s.disable_s3=%d", dev, pm->suspend_to_mem == VTRI_OFF);
	}
	if (pm->suspend_to_disk != VTRI_ABSENT) {
		vargv_push(a, "-global");
		vargv_pushf(a, "%s.disable_s4=%d", dev, pm->suspend_to_disk == VTRI_OFF);
	}
}

/* -boot: the firmware's menu and strict order (devices carry bootindex). */
static void add_firmware_boot(struct vargv *a)
{
	const struct vdom_os *os = &a->d->os;
	struct buf b = BUF_INIT;

	if (os->bootmenu != VTRI_ABSENT) {
		vargv_opt_add(&b, os->bootmenu == VTRI_ON ? "menu=on," : "menu=off,");
		if (os->bootmenu_timeout >= 0) {
			char text[32];

			snprintf(text, sizeof(text), "splash-time=%d,", os->bootmenu_timeout);
			vargv_opt_add(&b, text);
		}
	}
	vargv_opt_add(&b, "strict=on");
	vargv_push_opt(a, "-boot", &b);
}

static void add_kernel(struct vargv *a)
{
	const struct vdom_os *os = &a->d->os;

	/* separate arguments, taken verbatim: nothing to escape */
	if (os->kernel) {
		vargv_push(a, "-kernel");
		vargv_push(a, os->kernel);
	}
	if (os->initrd) {
		vargv_push(a, "-initrd");
		vargv_push(a, os->initrd);
	}
	if (os->cmdline) {
		vargv_push(a, "-append");
		vargv_push(a, os->cmdline);
	}
}

/* Everything from -rtc to -append: clock, power, firmware boot settings, kernel. */
static int add_boot_block(struct vargv *a)
{
	const struct vdomain *d = a->d;

	if (add_rtc(a) < 0)
		return -1;
	vargv_push(a, "-no-shutdown");
	/* libvirt enforces on_reboot=destroy itself; the worker takes the QEMU flag. */
	if (a->vmm && d->on_reboot == VDOM_ACT_DESTROY)
		vargv_push(a, "-no-reboot");
	/* No <acpi/>: no ACPI tables, so no power button either, for both workers. */
	if (!d->features.acpi)
		vargv_push(a, "-no-acpi");
	if (!a->vmm) {
		add_pm(a);
		add_firmware_boot(a);
	}
	add_kernel(a);
	return 0;
}

/* ---- the whole command line ---- */

static int add_head(struct vargv *a)
{
	vargv_push(a, emulator_path(a));
	if (add_name(a) < 0)
		return -1;
	vargv_push(a, "-S");
	add_machine(a);
	vargv_push(a, "-cpu");
	strv_push_take(&a->out, cpu_value(a));
	if (add_memory(a) < 0)
		return -1;
	add_smp(a);
	add_uuid(a);
	vargv_push(a, "-display");
	vargv_push(a, "none");
	vargv_push(a, "-no-user-config");
	vargv_push(a, "-nodefaults");
	add_monitor(a);
	return add_boot_block(a);
}

static int add_devices(struct vargv *a)
{
	if (vargv_controllers(a) < 0 || vargv_disks(a) < 0 || vargv_interfaces(a) < 0)
		return -1;
	if (vargv_serials(a) < 0 || vargv_consoles(a) < 0)
		return -1;
	vargv_inputs(a);
	vargv_audio(a);
	vargv_balloon(a);
	vargv_rngs(a);
	return 0;
}

static int build(struct vargv *a)
{
	const struct vdomain *d = a->d;

	if (a->ctx->net_fds && a->ctx->n_net_fds < d->n_interfaces)
		return err_set(a->errp, ERR_INVALID,
			       _("the domain has %zu interfaces but fds were given for %zu"),
			       d->n_interfaces, a->ctx->n_net_fds);
	if (a->vmm && vargv_check_vmm_devices(a) < 0)
		return -1;
	a->disk_boot = xcalloc(d->n_disks + 1, sizeof(*a->disk_boot));
	a->net_boot = xcalloc(d->n_interfaces + 1, sizeof(*a->net_boot));
	if (!a->vmm)
		vargv_prepare_boot(a);
	if (add_head(a) < 0 || add_devices(a) < 0)
		return -1;
	/* libvirt puts the panic device between -sandbox and -msg. vireo-vmm enforces
	 * -sandbox with QEMU's meaning, so both workers get libvirt's line. */
	vargv_push(a, "-sandbox");
	vargv_push(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
	if (vargv_panics(a) < 0)
		return -1;
	if (!a->vmm) {
		vargv_push(a, "-msg");
		vargv_push(a, "timestamp=on");
	}
	return 0;
}

char **vdomain_to_argv(const struct vdomain *d, const struct vdom_argv_ctx *ctx,
		       struct err **errp)
{
	struct vargv a = { .d = d, .ctx = ctx, .out = STRV_INIT, .errp = errp };
	char **argv = NULL;

	if (!d || !ctx) {
		err_set(errp, ERR_INVALID, _("no domain to build a command line for"));
		return NULL;
	}
	a.vmm = ctx->flavor == VDOM_FLAVOR_VIREO_VMM;
	if (build(&a) < 0) {
		strv_free(&a.out);
	} else {
		strv_array(&a.out);
		argv = a.out.items;
	}
	free(a.disk_boot);
	free(a.net_boot);
	return argv;
}

void vdomain_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
