/* Unit tests: lib/conf/domain_argv (domain -> worker command line).
 *
 * The domains are built by hand, as the parser would leave them after libvirt's
 * defaults. Two cases are checked whole against libvirt 9.0's expected output
 * (shared/corpus qemuxml2argvdata, x86_64-latest, without the master-key secret that
 * is outside our model); the others check the options a behaviour shows in. */
#include "tests/unit/unit.h"

#include <stdio.h>

#include "lib/conf/domain.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* ---- building domains ---- */

/* Append a zeroed element to one of the domain's device arrays and return it. */
#define ADD(d, arr)                                                                  \
	((d)->arr = xreallocarray((d)->arr, (d)->n_##arr + 1, sizeof(*(d)->arr)),    \
	 memset(&(d)->arr[(d)->n_##arr], 0, sizeof(*(d)->arr)), &(d)->arr[(d)->n_##arr++])

static char *S(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct vdom_address pci(unsigned slot, unsigned function)
{
	struct vdom_address a = { .type = VDOM_ADDR_PCI, .slot = slot, .function = function };

	return a;
}

static struct vdom_address drive(unsigned controller, unsigned bus, unsigned unit)
{
	struct vdom_address a = { .type = VDOM_ADDR_DRIVE, .controller = controller, .bus = bus,
				  .unit = unit };

	return a;
}

static void add_controller(struct vdomain *d, enum vdom_controller_type type, const char *model,
			   struct vdom_address addr)
{
	struct vdom_controller *c = ADD(d, controllers);

	c->type = type;
	c->model = S(model);
	c->addr = addr;
	c->line = 30 + (int)d->n_controllers;
}

/* QEMUGuest1 as libvirt's defaults leave it: pc machine, TCG, the implicit piix3 USB,
 * IDE and PCI root controllers, PS/2 inputs, <audio type='none'>, no balloon. */
static struct vdomain *dom_new(void)
{
	static const uint8_t uuid[16] = { 0xc7, 0xa5, 0xfd, 0xbd, 0xed, 0xaf, 0x94, 0x55,
					  0x92, 0x6a, 0xd6, 0x5c, 0x16, 0xdb, 0x18, 0x09 };
	struct vdomain *d = xzalloc(sizeof(*d));
	struct vdom_input *in;
	struct vdom_audio *au;

	d->virt = VDOM_VIRT_QEMU;
	d->name = S("QEMUGuest1");
	memcpy(d->uuid, uuid, sizeof(uuid));
	d->uuid_set = true;
	d->memory_kib = d->current_memory_kib = 219136;
	d->vcpus = 1;
	d->os.type = S("hvm");
	d->os.arch = S("x86_64");
	d->os.machine = S("pc");
	d->os.boot[0] = VDOM_BOOT_HD;
	d->os.nboot = 1;
	d->os.bootmenu_timeout = -1;
	d->clock.offset = S("utc");
	d->on_poweroff = VDOM_ACT_DESTROY;
	d->on_reboot = VDOM_ACT_RESTART;
	d->on_crash = VDOM_ACT_DESTROY;
	d->emulator = S("/usr/bin/qemu-system-x86_64");
	add_controller(d, VDOM_CTRL_USB, NULL, pci(1, 2));
	add_controller(d, VDOM_CTRL_IDE, NULL, (struct vdom_address){ 0 });
	add_controller(d, VDOM_CTRL_PCI, "pci-root", (struct vdom_address){ 0 });
	in = ADD(d, inputs);
	in->type = VDOM_INPUT_MOUSE;
	in = ADD(d, inputs);
	in->type = VDOM_INPUT_KEYBOARD;
	au = ADD(d, audios);
	au->id = 1;
	au->type = S("none");
	d->memballoon.present = true;
	d->memballoon.none = true;
	d->memballoon.stats_period = -1;
	return d;
}

static struct vdom_disk *add_disk(struct vdomain *d, enum vdom_disk_type type, const char *src,
				  const char *dev, enum vdom_disk_bus bus, int line)
{
	struct vdom_disk *k = ADD(d, disks);

	k->type = type;
	k->source = S(src);
	k->target_dev = S(dev);
	k->bus = bus;
	k->driver_name = S("qemu");
	k->driver_type = S("raw");
	k->line = line;
	return k;
}

static struct vdom_interface *add_nic(struct vdomain *d, enum vdom_net_type type,
				      const char *model, uint8_t last_mac_byte, unsigned slot)
{
	struct vdom_interface *n = ADD(d, interfaces);
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xee, 0x96, last_mac_byte };

	n->type = type;
	n->model = S(model);
	memcpy(n->mac, mac, sizeof(mac));
	n->mac_set = true;
	n->addr = pci(slot, 0);
	n->line = 40 + (int)d->n_interfaces;
	return n;
}

static struct vdom_serial *add_serial(struct vdomain *d, enum vdom_chr_type type,
				      const char *path, int port)
{
	struct vdom_serial *s = ADD(d, serials);

	s->src.type = type;
	s->src.path = S(path);
	s->target_type = S("isa-serial");
	s->port = port;
	s->line = 50 + (int)d->n_serials;
	return s;
}

static struct vdom_console *add_console(struct vdomain *d, enum vdom_chr_type type,
					enum vdom_console_target target)
{
	struct vdom_console *c = ADD(d, consoles);

	c->src.type = type;
	c->target = target;
	c->port = -1;
	c->line = 60 + (int)d->n_consoles;
	return c;
}

/* The model's own destructor frees what the tests built by hand. */
static void dom_free(struct vdomain *d)
{
	vdomain_free(d);
}

/* ---- building and inspecting command lines ---- */

static const struct vdom_argv_ctx QEMU_CTX = { .flavor = VDOM_FLAVOR_QEMU, .monitor_fd = 1729 };
static const struct vdom_argv_ctx VMM_CTX = { .flavor = VDOM_FLAVOR_VIREO_VMM,
					      .monitor_fd = 1729 };

static char **build_ok(const struct vdomain *d, const struct vdom_argv_ctx *ctx)
{
	struct err *e = NULL;
	char **argv = vdomain_to_argv(d, ctx, &e);

	if (!argv)
		fail_msg("vdomain_to_argv failed: %s", e ? e->message : "(no error)");
	assert_null(e);
	return argv;
}

static char *joined(char **argv)
{
	struct strv v = STRV_INIT;
	char *out;
	size_t i;

	for (i = 0; argv[i]; i++)
		strv_push(&v, argv[i]);
	strv_push(&v, "");
	out = strv_join(&v, "\n");
	strv_free(&v);
	return out;
}

/* Does argv hold `opt` immediately followed by `val`? */
static bool has_pair(char **argv, const char *opt, const char *val)
{
	size_t i;

	for (i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], opt) == 0 && strcmp(argv[i + 1], val) == 0)
			return true;
	return false;
}

static bool has_arg(char **argv, const char *arg)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (strcmp(argv[i], arg) == 0)
			return true;
	return false;
}

static bool has_substr(char **argv, const char *needle)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (strstr(argv[i], needle))
			return true;
	return false;
}

#define assert_pair(argv, opt, val)                                             \
	do {                                                                    \
		if (!has_pair((argv), (opt), (val))) {                          \
			char *all_ = joined(argv);                              \
			fprintf(stderr, "argv:\n%s", all_);                     \
			free(all_);                                             \
			fail_msg("no '%s %s'", (opt), (val));                   \
		}                                                               \
	} while (0)

static void assert_argv_equal(char **argv, const char *want)
{
	char *got = joined(argv);

	assert_string_equal(got, want);
	free(got);
}

/* Build with ctx and expect failure with code and a message containing needle. */
static void assert_build_fails(const struct vdomain *d, const struct vdom_argv_ctx *ctx,
			       const char *code, const char *needle)
{
	struct err *e = NULL;
	char **argv = vdomain_to_argv(d, ctx, &e);

	if (argv) {
		vdomain_argv_free(argv);
		fail_msg("build succeeded, expected '%s'", needle);
	}
	assert_err(e, code, needle);
}

/* ---- whole command lines against libvirt's ---- */

/* qemuxml2argvdata/net-user.x86_64-latest.args */
static void net_user_matches_libvirt(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k = add_disk(d, VDOM_DISK_BLOCK, "/dev/HostVG/QEMUGuest1", "hda",
				       VDOM_BUS_IDE, 18);
	struct vdom_interface *n;
	char **argv;

	k->addr = drive(0, 0, 0);
	n = add_nic(d, VDOM_NET_USER, "rtl8139", 0, 2);
	memcpy(n->mac, (uint8_t[6]){ 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 }, 6);
	argv = build_ok(d, &QEMU_CTX);
	assert_argv_equal(argv,
	"/usr/bin/qemu-system-x86_64\n"
	"-name\n"
	"guest=QEMUGuest1,debug-threads=on\n"
	"-S\n"
	"-machine\n"
	"pc,usb=off,dump-guest-core=off,memory-backend=pc.ram\n"
	"-accel\n"
	"tcg\n"
	"-cpu\n"
	"qemu64\n"
	"-m\n"
	"214\n"
	"-object\n"
	"{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":224395264}\n"
	"-overcommit\n"
	"mem-lock=off\n"
	"-smp\n"
	"1,sockets=1,cores=1,threads=1\n"
	"-uuid\n"
	"c7a5fdbd-edaf-9455-926a-d65c16db1809\n"
	"-display\n"
	"none\n"
	"-no-user-config\n"
	"-nodefaults\n"
	"-chardev\n"
	"socket,id=charmonitor,fd=1729,server=on,wait=off\n"
	"-mon\n"
	"chardev=charmonitor,id=monitor,mode=control\n"
	"-rtc\n"
	"base=utc\n"
	"-no-shutdown\n"
	"-no-acpi\n"
	"-boot\n"
	"strict=on\n"
	"-device\n"
	"{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x1.0x2\"}\n"
	"-blockdev\n"
	"{\"driver\":\"host_device\",\"filename\":\"/dev/HostVG/QEMUGuest1\","
	"\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}\n"
	"-blockdev\n"
	"{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"raw\","
	"\"file\":\"libvirt-1-storage\"}\n"
	"-device\n"
	"{\"driver\":\"ide-hd\",\"bus\":\"ide.0\",\"unit\":0,\"drive\":\"libvirt-1-format\","
	"\"id\":\"ide0-0-0\",\"bootindex\":1}\n"
	"-netdev\n"
	"{\"type\":\"user\",\"id\":\"hostnet0\"}\n"
	"-device\n"
	"{\"driver\":\"rtl8139\",\"netdev\":\"hostnet0\",\"id\":\"net0\","
	"\"mac\":\"00:11:22:33:44:55\",\"bus\":\"pci.0\",\"addr\":\"0x2\"}\n"
	"-audiodev\n"
	"{\"id\":\"audio1\",\"driver\":\"none\"}\n"
	"-sandbox\n"
	"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny\n"
	"-msg\n"
	"timestamp=on\n");
	vdomain_argv_free(argv);
	dom_free(d);
}

/* qemuxml2argvdata/net-user-addr: <ip address prefix> becomes "net" after "type". */
static void net_user_ip_becomes_net(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_interface *n = add_nic(d, VDOM_NET_USER, "virtio", 0, 2);
	char **argv;

	(void)state;
	n->ip_address = S("192.0.2.0");
	n->ip_prefix = 24;
	argv = build_ok(d, &QEMU_CTX);
	assert_true(has_pair(argv, "-netdev",
			     "{\"type\":\"user\",\"net\":\"192.0.2.0/24\",\"id\":\"hostnet0\"}"));
	vdomain_argv_free(argv);
	n->ip_prefix = 0;
	argv = build_ok(d, &QEMU_CTX);
	assert_true(has_pair(argv, "-netdev",
			     "{\"type\":\"user\",\"net\":\"192.0.2.0\",\"id\":\"hostnet0\"}"));
	vdomain_argv_free(argv);
	dom_free(d);
}

/* qemuxml2argvdata/event_idx.x86_64-latest.args: <os><boot dev> order, bootmenu,
 * qcow2 + cdrom, virtio-serial, event_idx, the balloon. */
static void event_idx_matches_libvirt(void **state)
{
	static const uint8_t uuid[16] = { 0xbb, 0xa6, 0x5c, 0x0e, 0xc0, 0x49, 0x93, 0x4f,
					  0xb6, 0xaa, 0x4e, 0x2c, 0x05, 0x82, 0xac, 0xdf };
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	struct vdom_interface *n;
	char **argv;

	free(d->name);
	d->name = S("test");
	memcpy(d->uuid, uuid, sizeof(uuid));
	d->memory_kib = 1048576;
	d->os.boot[0] = VDOM_BOOT_CDROM;
	d->os.boot[1] = VDOM_BOOT_HD;
	d->os.nboot = 2;
	d->os.bootmenu = VTRI_ON;
	k = add_disk(d, VDOM_DISK_FILE, "/var/lib/libvirt/images/f14.img", "vda", VDOM_BUS_VIRTIO,
		     20);
	free(k->driver_type);
	k->driver_type = S("qcow2");
	k->event_idx = VTRI_ON;
	k->addr = pci(4, 0);
	k = add_disk(d, VDOM_DISK_FILE, "/var/lib/libvirt/Fedora-14-x86_64-Live-KDE.iso", "hdc",
		     VDOM_BUS_IDE, 26);
	k->device = VDOM_DISK_DEV_CDROM;
	k->readonly = true;
	k->addr = drive(0, 1, 0);
	add_controller(d, VDOM_CTRL_VIRTIO_SERIAL, NULL, pci(6, 0));
	n = add_nic(d, VDOM_NET_USER, "virtio", 0, 2);
	memcpy(n->mac, (uint8_t[6]){ 0x52, 0x54, 0x00, 0xe5, 0x48, 0x58 }, 6);
	n->backend = VDOM_NET_BACKEND_VHOST;
	n->event_idx = VTRI_OFF;
	d->memballoon.none = false;
	d->memballoon.addr = pci(3, 0);
	argv = build_ok(d, &QEMU_CTX);
	assert_argv_equal(argv,
	"/usr/bin/qemu-system-x86_64\n"
	"-name\n"
	"guest=test,debug-threads=on\n"
	"-S\n"
	"-machine\n"
	"pc,usb=off,dump-guest-core=off,memory-backend=pc.ram\n"
	"-accel\n"
	"tcg\n"
	"-cpu\n"
	"qemu64\n"
	"-m\n"
	"1024\n"
	"-object\n"
	"{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":1073741824}\n"
	"-overcommit\n"
	"mem-lock=off\n"
	"-smp\n"
	"1,sockets=1,cores=1,threads=1\n"
	"-uuid\n"
	"bba65c0e-c049-934f-b6aa-4e2c0582acdf\n"
	"-display\n"
	"none\n"
	"-no-user-config\n"
	"-nodefaults\n"
	"-chardev\n"
	"socket,id=charmonitor,fd=1729,server=on,wait=off\n"
	"-mon\n"
	"chardev=charmonitor,id=monitor,mode=control\n"
	"-rtc\n"
	"base=utc\n"
	"-no-shutdown\n"
	"-no-acpi\n"
	"-boot\n"
	"menu=on,strict=on\n"
	"-device\n"
	"{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x1.0x2\"}\n"
	"-device\n"
	"{\"driver\":\"virtio-serial-pci\",\"id\":\"virtio-serial0\",\"bus\":\"pci.0\","
	"\"addr\":\"0x6\"}\n"
	"-blockdev\n"
	"{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/images/f14.img\","
	"\"node-name\":\"libvirt-2-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}\n"
	"-blockdev\n"
	"{\"node-name\":\"libvirt-2-format\",\"read-only\":false,\"driver\":\"qcow2\","
	"\"file\":\"libvirt-2-storage\"}\n"
	"-device\n"
	"{\"driver\":\"virtio-blk-pci\",\"event_idx\":true,\"bus\":\"pci.0\",\"addr\":\"0x4\","
	"\"drive\":\"libvirt-2-format\",\"id\":\"virtio-disk0\",\"bootindex\":2}\n"
	"-blockdev\n"
	"{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/Fedora-14-x86_64-Live-KDE.iso\","
	"\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}\n"
	"-blockdev\n"
	"{\"node-name\":\"libvirt-1-format\",\"read-only\":true,\"driver\":\"raw\","
	"\"file\":\"libvirt-1-storage\"}\n"
	"-device\n"
	"{\"driver\":\"ide-cd\",\"bus\":\"ide.1\",\"unit\":0,\"drive\":\"libvirt-1-format\","
	"\"id\":\"ide0-1-0\",\"bootindex\":1}\n"
	"-netdev\n"
	"{\"type\":\"user\",\"id\":\"hostnet0\"}\n"
	"-device\n"
	"{\"driver\":\"virtio-net-pci\",\"event_idx\":false,\"netdev\":\"hostnet0\","
	"\"id\":\"net0\",\"mac\":\"52:54:00:e5:48:58\",\"bus\":\"pci.0\",\"addr\":\"0x2\"}\n"
	"-audiodev\n"
	"{\"id\":\"audio1\",\"driver\":\"none\"}\n"
	"-device\n"
	"{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pci.0\","
	"\"addr\":\"0x3\"}\n"
	"-sandbox\n"
	"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny\n"
	"-msg\n"
	"timestamp=on\n");
	vdomain_argv_free(argv);
	dom_free(d);
}

/* ---- machine-wide options ---- */

static void memory_and_smp_topology_follow_libvirt(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	d->memory_kib = 219100;		/* rounded up to whole MiB, as libvirt aligns it */
	d->vcpus = 6;
	d->vcpus_current = 1;
	d->cpu.present = true;
	d->cpu.sockets = 3;
	d->cpu.cores = 2;
	d->cpu.threads = 1;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-m", "214");
	assert_true(has_substr(argv, "\"size\":224395264}"));
	/* QEMU 8 knows dies, so libvirt writes dies=1 with every <topology> */
	assert_pair(argv, "-smp", "1,maxcpus=6,sockets=3,dies=1,cores=2,threads=1");
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);
	assert_pair(argv, "-smp", "1,maxcpus=6,sockets=3,cores=2,threads=1");
	assert_pair(argv, "-m", "214");
	assert_false(has_arg(argv, "-object"));
	assert_false(has_arg(argv, "-overcommit"));
	vdomain_argv_free(argv);

	d->cpu.sockets = 2;
	d->cpu.dies = 2;
	d->cpu.cores = 1;
	d->vcpus = 4;
	argv = build_ok(d, &VMM_CTX);
	assert_pair(argv, "-smp", "1,maxcpus=4,sockets=2,dies=2,cores=1,threads=1");
	vdomain_argv_free(argv);

	d->cpu.present = false;
	d->vcpus_current = 0;
	d->max_memory_kib = 1048576;
	d->max_memory_slots = 16;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-smp", "4,sockets=4,cores=1,threads=1");
	assert_pair(argv, "-m", "size=219136k,slots=16,maxmem=1048576k");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void cpu_modes_and_accelerator(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	d->virt = VDOM_VIRT_KVM;
	d->cpu.present = true;
	d->cpu.mode = S("host-passthrough");
	d->cpu.migratable = VTRI_OFF;
	d->features.acpi = true;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-accel", "kvm");
	assert_pair(argv, "-cpu", "host,migratable=off");
	assert_false(has_arg(argv, "-no-acpi"));
	vdomain_argv_free(argv);

	free(d->cpu.mode);
	d->cpu.mode = S("custom");
	d->cpu.model = S("Skylake-Client");
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-cpu", "Skylake-Client");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void kernel_boot_and_worker_head(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_argv_ctx ctx = VMM_CTX;
	char **argv;

	d->os.kernel = S("/boot/vmlinuz,1");
	d->os.initrd = S("/boot/initrd.img");
	d->os.cmdline = S("console=ttyS0 root=/dev/vda rw quiet,x");
	d->on_reboot = VDOM_ACT_DESTROY;
	argv = build_ok(d, &QEMU_CTX);
	/* separate arguments: nothing to escape, and QEMU takes them verbatim */
	assert_pair(argv, "-kernel", "/boot/vmlinuz,1");
	assert_pair(argv, "-initrd", "/boot/initrd.img");
	assert_pair(argv, "-append", "console=ttyS0 root=/dev/vda rw quiet,x");
	assert_pair(argv, "-boot", "strict=on");
	assert_false(has_arg(argv, "-no-reboot"));	/* libvirt handles it itself */
	vdomain_argv_free(argv);

	ctx.qmp_path = "/run/vireo/domains/QEMUGuest1/qmp.sock";
	ctx.emulator = "/usr/libexec/vireo-vmm";
	argv = build_ok(d, &ctx);
	assert_argv_equal(argv,
	"/usr/libexec/vireo-vmm\n"
	"-name\n"
	"guest=QEMUGuest1,debug-threads=on\n"
	"-S\n"
	"-machine\n"
	"pc,usb=off,dump-guest-core=off\n"
	"-accel\n"
	"tcg\n"
	"-cpu\n"
	"qemu64\n"
	"-m\n"
	"214\n"
	"-smp\n"
	"1,sockets=1,cores=1,threads=1\n"
	"-uuid\n"
	"c7a5fdbd-edaf-9455-926a-d65c16db1809\n"
	"-display\n"
	"none\n"
	"-no-user-config\n"
	"-nodefaults\n"
	"-qmp\n"
	"unix:/run/vireo/domains/QEMUGuest1/qmp.sock,server=on,wait=off\n"
	"-no-shutdown\n"
	"-no-reboot\n"
	"-no-acpi\n"	/* no <acpi/> in the definition */
	"-kernel\n"
	"/boot/vmlinuz,1\n"
	"-initrd\n"
	"/boot/initrd.img\n"
	"-append\n"
	"console=ttyS0 root=/dev/vda rw quiet,x\n"
	"-sandbox\n"
	"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny\n");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void qemu_monitor_on_a_path(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_argv_ctx ctx = QEMU_CTX;
	char **argv;

	ctx.qmp_path = "/run/vireo/a,b/qmp.sock";
	argv = build_ok(d, &ctx);
	assert_pair(argv, "-chardev",
		    "socket,id=charmonitor,path=/run/vireo/a,,b/qmp.sock,server=on,wait=off");
	assert_pair(argv, "-mon", "chardev=charmonitor,id=monitor,mode=control");
	assert_false(has_arg(argv, "-qmp"));
	vdomain_argv_free(argv);
	dom_free(d);
}

/* ---- interfaces ---- */

static void virtio_net_four_queues_uses_placeholders(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_interface *n;
	char **argv;

	d->virt = VDOM_VIRT_KVM;
	n = add_nic(d, VDOM_NET_ETHERNET, "virtio", 0x6e, 6);
	n->queues = 4;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fds\":\"3:4:5:6\",\"vhost\":true,"
		    "\"vhostfds\":\"44:45:46:47\",\"id\":\"hostnet0\"}");
	assert_pair(argv, "-device", "{\"driver\":\"virtio-net-pci\",\"mq\":true,\"vectors\":10,"
		    "\"netdev\":\"hostnet0\",\"id\":\"net0\",\"mac\":\"52:54:00:ee:96:6e\","
		    "\"bus\":\"pci.0\",\"addr\":\"0x6\"}");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void tap_uses_the_daemons_fds(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_net_fds fds[2] = {
		{ .tap_fds = { 30, 31, 32, 33 }, .n_tap = 4,
		  .vhost_fds = { 40, 41, 42, 43 }, .n_vhost = 4 },
		{ .tap_fds = { 35 }, .n_tap = 1 },
	};
	struct vdom_argv_ctx ctx = VMM_CTX;
	struct vdom_interface *n;
	char **argv;

	d->virt = VDOM_VIRT_KVM;
	n = add_nic(d, VDOM_NET_BRIDGE, "virtio", 1, 3);
	n->queues = 4;
	n->source_bridge = S("br0");
	n = add_nic(d, VDOM_NET_NETWORK, "e1000", 2, 4);
	n->source_network = S("default");
	ctx.net_fds = fds;
	ctx.n_net_fds = 2;
	argv = build_ok(d, &ctx);
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fds\":\"30:31:32:33\",\"vhost\":true,"
		    "\"vhostfds\":\"40:41:42:43\",\"id\":\"hostnet0\"}");
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"35\",\"id\":\"hostnet1\"}");
	assert_pair(argv, "-device", "{\"driver\":\"e1000\",\"netdev\":\"hostnet1\","
		    "\"id\":\"net1\",\"mac\":\"52:54:00:ee:96:02\",\"bus\":\"pci.0\","
		    "\"addr\":\"0x4\"}");
	vdomain_argv_free(argv);

	/* one vhost fd for one queue: the singular keys */
	fds[0].n_tap = fds[0].n_vhost = 1;
	d->interfaces[0].queues = 0;
	argv = build_ok(d, &ctx);
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"30\",\"vhost\":true,"
		    "\"vhostfd\":\"40\",\"id\":\"hostnet0\"}");
	vdomain_argv_free(argv);

	/* a tap without any fd cannot be started */
	fds[1].n_tap = 0;
	assert_build_fails(d, &ctx, ERR_INVALID, "no tap fd was opened for <interface> (line 42)");
	ctx.n_net_fds = 1;
	assert_build_fails(d, &ctx, ERR_INVALID, "2 interfaces but fds were given for 1");
	dom_free(d);
}

/* As qemuxml2argvdata/net-eth-unmanaged-tap.args: libvirt's test double gives every
 * virtio tap a vhost fd, even for a TCG guest. */
static void vhost_placeholders_follow_libvirts_tests(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	add_nic(d, VDOM_NET_ETHERNET, "virtio", 1, 2);
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"3\",\"vhost\":true,"
		    "\"vhostfd\":\"44\",\"id\":\"hostnet0\"}");
	vdomain_argv_free(argv);

	d->interfaces[0].backend = VDOM_NET_BACKEND_QEMU;	/* <driver name='qemu'> */
	add_nic(d, VDOM_NET_ETHERNET, "e1000", 2, 3);		/* not virtio */
	add_nic(d, VDOM_NET_ETHERNET, "virtio", 3, 4);
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"3\",\"id\":\"hostnet0\"}");
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"3\",\"id\":\"hostnet1\"}");
	assert_pair(argv, "-netdev", "{\"type\":\"tap\",\"fd\":\"3\",\"vhost\":true,"
		    "\"vhostfd\":\"44\",\"id\":\"hostnet2\"}");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void virtio_net_options_in_libvirt_order(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_interface *n;
	char **argv;

	n = add_nic(d, VDOM_NET_USER, "virtio", 0xaa, 2);
	n->txmode = S("iothread");
	n->ioeventfd = VTRI_OFF;
	n->host_csum = VTRI_OFF;
	n->guest_ufo = VTRI_OFF;
	n->rx_queue_size = 512;
	n->tx_queue_size = 256;
	n->mtu = 9000;
	n->boot_order = 1;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-netdev", "{\"type\":\"user\",\"id\":\"hostnet0\"}");
	assert_pair(argv, "-device", "{\"driver\":\"virtio-net-pci\",\"tx\":\"bh\","
		    "\"ioeventfd\":false,\"csum\":false,\"guest_ufo\":false,"
		    "\"rx_queue_size\":512,\"tx_queue_size\":256,\"host_mtu\":9000,"
		    "\"netdev\":\"hostnet0\",\"id\":\"net0\",\"mac\":\"52:54:00:ee:96:aa\","
		    "\"bootindex\":1,\"bus\":\"pci.0\",\"addr\":\"0x2\"}");
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);		/* user networking is in the worker too */
	assert_pair(argv, "-netdev", "{\"type\":\"user\",\"id\":\"hostnet0\"}");
	assert_false(has_substr(argv, "bootindex"));
	vdomain_argv_free(argv);
	dom_free(d);
}

/* ---- disks ---- */

static void virtio_disks_in_both_flavors(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	char **argv;

	k = add_disk(d, VDOM_DISK_FILE, "/var/lib/vireo/a,b.img", "vda", VDOM_BUS_VIRTIO, 20);
	k->queues = 4;
	k->queue_size = 256;
	k->addr = pci(3, 0);
	k->serial = S("DISK 1");
	k = add_disk(d, VDOM_DISK_FILE, "/srv/seed.img", "vdb", VDOM_BUS_VIRTIO, 25);
	k->readonly = true;
	k->addr = pci(4, 0);
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-blockdev", "{\"driver\":\"file\","
		    "\"filename\":\"/var/lib/vireo/a,b.img\",\"node-name\":\"libvirt-2-storage\","
		    "\"auto-read-only\":true,\"discard\":\"unmap\"}");
	assert_pair(argv, "-device", "{\"driver\":\"virtio-blk-pci\",\"num-queues\":4,"
		    "\"queue-size\":256,\"bus\":\"pci.0\",\"addr\":\"0x3\","
		    "\"drive\":\"libvirt-2-format\",\"id\":\"virtio-disk0\",\"bootindex\":1,"
		    "\"serial\":\"DISK\\\\ 1\"}");
	assert_pair(argv, "-blockdev", "{\"node-name\":\"libvirt-1-format\",\"read-only\":true,"
		    "\"driver\":\"raw\",\"file\":\"libvirt-1-storage\"}");
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);
	assert_pair(argv, "-drive",
		    "file=/var/lib/vireo/a,,b.img,format=raw,if=none,id=drive-virtio-disk0");
	assert_pair(argv, "-device", "{\"driver\":\"virtio-blk-pci\",\"num-queues\":4,"
		    "\"queue-size\":256,\"bus\":\"pci.0\",\"addr\":\"0x3\","
		    "\"drive\":\"drive-virtio-disk0\",\"id\":\"virtio-disk0\","
		    "\"serial\":\"DISK 1\"}");
	assert_pair(argv, "-drive",
		    "file=/srv/seed.img,format=raw,if=none,id=drive-virtio-disk1,readonly=on");
	assert_false(has_arg(argv, "-blockdev"));
	/* the implicit piix3 USB controller is not the user's: left out, not refused */
	assert_false(has_substr(argv, "usb-uhci"));
	vdomain_argv_free(argv);
	dom_free(d);
}

static void ide_scsi_cache_and_empty_cdrom_in_qemu(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	char **argv;

	k = add_disk(d, VDOM_DISK_BLOCK, "/dev/HostVG/QEMUGuest1", "hda", VDOM_BUS_IDE, 18);
	k->addr = drive(0, 0, 0);
	k->shareable = true;		/* shareable and writable: cache='none' */
	k = add_disk(d, VDOM_DISK_FILE, NULL, "hdc", VDOM_BUS_IDE, 24);
	k->device = VDOM_DISK_DEV_CDROM;
	k->addr = drive(0, 1, 0);
	k = add_disk(d, VDOM_DISK_BLOCK, "/dev/sdz", "sda", VDOM_BUS_SCSI, 30);
	k->addr = drive(0, 0, 0);
	k->cache = S("writethrough");
	k->error_policy = S("enospace");
	add_controller(d, VDOM_CTRL_SCSI, "virtio-scsi", pci(2, 0));
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-device", "{\"driver\":\"virtio-scsi-pci\",\"id\":\"scsi0\","
		    "\"bus\":\"pci.0\",\"addr\":\"0x2\"}");
	assert_pair(argv, "-blockdev", "{\"driver\":\"host_device\","
		    "\"filename\":\"/dev/HostVG/QEMUGuest1\",\"node-name\":\"libvirt-3-storage\","
		    "\"cache\":{\"direct\":true,\"no-flush\":false},\"auto-read-only\":true,"
		    "\"discard\":\"unmap\"}");
	assert_pair(argv, "-device", "{\"driver\":\"ide-hd\",\"bus\":\"ide.0\",\"unit\":0,"
		    "\"share-rw\":true,\"drive\":\"libvirt-3-format\",\"id\":\"ide0-0-0\","
		    "\"bootindex\":1,\"write-cache\":\"on\"}");
	/* an empty tray: a device without a drive, its node number still taken */
	assert_pair(argv, "-device", "{\"driver\":\"ide-cd\",\"bus\":\"ide.1\",\"unit\":0,"
		    "\"id\":\"ide0-1-0\"}");
	assert_false(has_substr(argv, "libvirt-2-"));
	assert_pair(argv, "-device", "{\"driver\":\"scsi-hd\",\"bus\":\"scsi0.0\",\"channel\":0,"
		    "\"scsi-id\":0,\"lun\":0,\"device_id\":\"drive-scsi0-0-0-0\","
		    "\"drive\":\"libvirt-1-format\",\"id\":\"scsi0-0-0-0\",\"write-cache\":\"off\","
		    "\"werror\":\"enospc\"}");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void per_device_boot_order_and_floppy(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	struct vdom_interface *n;
	char **argv;

	k = add_disk(d, VDOM_DISK_FILE, "/root/boot.iso", "hdc", VDOM_BUS_IDE, 20);
	k->device = VDOM_DISK_DEV_CDROM;
	k->addr = drive(0, 1, 0);
	k->boot_order = 1;
	k = add_disk(d, VDOM_DISK_FILE, "/dev/null", "fdb", VDOM_BUS_FDC, 26);
	k->device = VDOM_DISK_DEV_FLOPPY;
	k->addr = drive(0, 0, 1);
	k->boot_order = 4;
	n = add_nic(d, VDOM_NET_USER, "virtio", 5, 2);
	n->boot_order = 2;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-global", "isa-fdc.bootindexB=4");
	assert_pair(argv, "-device", "{\"driver\":\"floppy\",\"unit\":1,"
		    "\"drive\":\"libvirt-1-format\",\"id\":\"fdc0-0-1\"}");
	assert_pair(argv, "-device", "{\"driver\":\"ide-cd\",\"bus\":\"ide.1\",\"unit\":0,"
		    "\"drive\":\"libvirt-2-format\",\"id\":\"ide0-1-0\",\"bootindex\":1}");
	assert_true(has_substr(argv, "\"bootindex\":2,\"bus\":\"pci.0\""));
	vdomain_argv_free(argv);
	dom_free(d);
}

/* libvirt numbers USB ports in the order disks, inputs, serials, and names a cdrom
 * block device host_cdrom only when it is an optical drive. */
static void usb_ports_and_host_cdrom(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_input *in;
	struct vdom_disk *k;
	char **argv;

	k = add_disk(d, VDOM_DISK_BLOCK, "/dev/cdrom", "hdc", VDOM_BUS_IDE, 20);
	k->device = VDOM_DISK_DEV_CDROM;
	k->addr = drive(0, 1, 0);
	k = add_disk(d, VDOM_DISK_BLOCK, "/dev/HostVG/iso", "hdd", VDOM_BUS_IDE, 26);
	k->device = VDOM_DISK_DEV_CDROM;
	k->addr = drive(0, 1, 1);
	add_disk(d, VDOM_DISK_FILE, "/srv/stick.img", "sdb", VDOM_BUS_USB, 32);
	in = ADD(d, inputs);
	in->type = VDOM_INPUT_TABLET;
	in->bus = VDOM_INPUT_USB;
	argv = build_ok(d, &QEMU_CTX);
	assert_true(has_substr(argv, "{\"driver\":\"host_cdrom\",\"filename\":\"/dev/cdrom\""));
	assert_true(has_substr(argv,
			       "{\"driver\":\"host_device\",\"filename\":\"/dev/HostVG/iso\""));
	assert_pair(argv, "-device", "{\"driver\":\"usb-storage\",\"bus\":\"usb.0\",\"port\":\"1\","
		    "\"drive\":\"libvirt-1-format\",\"id\":\"usb-disk1\",\"bootindex\":1,"
		    "\"removable\":false}");
	assert_pair(argv, "-device", "{\"driver\":\"usb-tablet\",\"id\":\"input2\","
		    "\"bus\":\"usb.0\",\"port\":\"2\"}");
	vdomain_argv_free(argv);
	dom_free(d);
}

/* ---- chardevs ---- */

static void serial_chardevs_pty_file_unix_tcp(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_serial *s;
	char **argv;

	add_serial(d, VDOM_CHR_PTY, NULL, 0);
	s = add_serial(d, VDOM_CHR_FILE, "/var/log/vireo/a,b.log", 1);
	s->src.append = VTRI_ON;
	s->src.log_file = S("/var/log/vireo/serial.log");
	s->src.log_append = VTRI_OFF;
	add_serial(d, VDOM_CHR_UNIX, "/tmp/serial.sock", 2);
	s = add_serial(d, VDOM_CHR_UNIX, "/tmp/serial-server.sock", 3);
	s->src.listen = true;
	s = add_serial(d, VDOM_CHR_TCP, NULL, -1);
	s->src.host = S("127.0.0.1");
	s->src.service = S("9999");
	s->src.protocol = S("telnet");
	s->src.listen = true;
	add_serial(d, VDOM_CHR_NULL, NULL, -1);
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-chardev", "pty,id=charserial0");
	assert_pair(argv, "-device", "{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\","
		    "\"id\":\"serial0\",\"index\":0}");
	assert_pair(argv, "-chardev", "file,id=charserial1,path=/var/log/vireo/a,,b.log,append=on,"
		    "logfile=/var/log/vireo/serial.log,logappend=off");
	assert_pair(argv, "-chardev", "socket,id=charserial2,path=/tmp/serial.sock");
	assert_pair(argv, "-chardev",
		    "socket,id=charserial3,path=/tmp/serial-server.sock,server=on,wait=off");
	assert_pair(argv, "-chardev",
		    "socket,id=charserial4,host=127.0.0.1,port=9999,telnet=on,server=on,wait=off");
	assert_pair(argv, "-device", "{\"driver\":\"isa-serial\",\"chardev\":\"charserial4\","
		    "\"id\":\"serial4\",\"index\":4}");
	assert_pair(argv, "-chardev", "null,id=charserial5");
	vdomain_argv_free(argv);

	/* the worker has no TCP chardevs */
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "vireo-vmm cannot provide <serial type='tcp'> (line 55); use "
			   "<emulator>qemu-system-x86_64</emulator> or a pty or unix socket");
	dom_free(d);
}

static void consoles_serial_twin_and_virtio(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	add_serial(d, VDOM_CHR_PTY, NULL, 0);
	add_console(d, VDOM_CHR_PTY, VDOM_CON_TARGET_SERIAL);	/* the same port again */
	add_console(d, VDOM_CHR_PTY, VDOM_CON_TARGET_VIRTIO);
	d->consoles[1].src.type = VDOM_CHR_UNIX;
	d->consoles[1].src.path = S("/tmp/listen.socket");
	d->consoles[1].src.listen = true;
	add_controller(d, VDOM_CTRL_VIRTIO_SERIAL, NULL, pci(2, 0));
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-chardev", "pty,id=charserial0");
	assert_false(has_substr(argv, "charconsole0"));
	assert_pair(argv, "-device", "{\"driver\":\"virtio-serial-pci\",\"id\":\"virtio-serial0\","
		    "\"bus\":\"pci.0\",\"addr\":\"0x2\"}");
	assert_pair(argv, "-chardev",
		    "socket,id=charconsole1,path=/tmp/listen.socket,server=on,wait=off");
	assert_pair(argv, "-device", "{\"driver\":\"virtconsole\",\"chardev\":\"charconsole1\","
		    "\"id\":\"console1\"}");
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);
	assert_pair(argv, "-device", "{\"driver\":\"virtconsole\",\"chardev\":\"charconsole1\","
		    "\"id\":\"console1\"}");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void chardev_without_path_is_an_error(void **state)
{
	struct vdomain *d = dom_new();

	add_serial(d, VDOM_CHR_FILE, NULL, 0);
	assert_build_fails(d, &QEMU_CTX, ERR_INVALID,
			   "<serial type='file'> (line 51) has no source path");
	dom_free(d);
}

/* ---- balloon, rng, panic ---- */

static void balloon_options_and_model_none(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	argv = build_ok(d, &QEMU_CTX);			/* model='none' */
	assert_false(has_substr(argv, "balloon"));
	vdomain_argv_free(argv);

	d->memballoon.none = false;
	d->memballoon.addr = pci(0x12, 0);
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-device", "{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\","
		    "\"bus\":\"pci.0\",\"addr\":\"0x12\"}");
	vdomain_argv_free(argv);

	d->memballoon.autodeflate = VTRI_OFF;
	d->memballoon.free_page_reporting = VTRI_ON;
	d->memballoon.stats_period = 10;		/* set over QMP, not here */
	argv = build_ok(d, &VMM_CTX);
	assert_pair(argv, "-device", "{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\","
		    "\"deflate-on-oom\":false,\"free-page-reporting\":true,\"bus\":\"pci.0\","
		    "\"addr\":\"0x12\"}");
	vdomain_argv_free(argv);

	d->memballoon.present = false;
	argv = build_ok(d, &QEMU_CTX);
	assert_false(has_substr(argv, "balloon"));
	vdomain_argv_free(argv);
	dom_free(d);
}

static void rng_and_panic(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_rng *r = ADD(d, rngs);
	struct vdom_panic *p = ADD(d, panics);
	char **argv;

	r->backend_path = S("/dev/urandom");
	r->rate_bytes = 1024;
	r->rate_period = 1000;
	r->addr = pci(7, 0);
	p->model = S("isa");
	p->addr.type = VDOM_ADDR_ISA;
	p->addr.iobase = 0x505;
	p->addr.has_iobase = true;
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-object", "{\"qom-type\":\"rng-random\",\"id\":\"objrng0\","
		    "\"filename\":\"/dev/urandom\"}");
	assert_pair(argv, "-device", "{\"driver\":\"virtio-rng-pci\",\"rng\":\"objrng0\","
		    "\"id\":\"rng0\",\"max-bytes\":1024,\"period\":1000,\"bus\":\"pci.0\","
		    "\"addr\":\"0x7\"}");
	assert_pair(argv, "-device", "{\"driver\":\"pvpanic\",\"ioport\":1285}");
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);		/* the worker draws on getrandom() */
	assert_pair(argv, "-device", "{\"driver\":\"virtio-rng-pci\",\"id\":\"rng0\","
		    "\"max-bytes\":1024,\"period\":1000,\"bus\":\"pci.0\",\"addr\":\"0x7\"}");
	assert_false(has_arg(argv, "-object"));
	vdomain_argv_free(argv);

	free(r->backend_path);
	r->backend_path = S("/dev/hwrng");
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "<backend model='random'>/dev/hwrng</backend>");
	dom_free(d);
}

/* ---- what vireo-vmm refuses ---- */

static void vmm_refuses_what_it_cannot_provide(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	struct vdom_input *in;

	k = add_disk(d, VDOM_DISK_FILE, "/srv/a.img", "hda", VDOM_BUS_IDE, 24);
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "vireo-vmm cannot provide <disk bus='ide'> (line 24); use "
			   "<emulator>qemu-system-x86_64</emulator> or a virtio disk");
	k->bus = VDOM_BUS_VIRTIO;
	free(k->driver_type);
	k->driver_type = S("qcow2");
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "vireo-vmm cannot provide <driver type='qcow2'> (line 24); use "
			   "<emulator>qemu-system-x86_64</emulator> or a raw image");
	free(k->driver_type);
	k->driver_type = S("raw");
	k->bus = VDOM_BUS_USB;
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED, "<disk bus='usb'> (line 24)");
	k->bus = VDOM_BUS_VIRTIO;

	add_nic(d, VDOM_NET_USER, "rtl8139", 1, 3);
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "vireo-vmm cannot provide <model type='rtl8139'> (line 41); use "
			   "<emulator>qemu-system-x86_64</emulator> or <model type='virtio'>");
	free(d->interfaces[0].model);
	d->interfaces[0].model = S("virtio");

	in = ADD(d, inputs);
	in->type = VDOM_INPUT_TABLET;
	in->bus = VDOM_INPUT_USB;
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "vireo-vmm cannot provide <input type='tablet' bus='usb'>; use");
	d->n_inputs--;

	free(d->controllers[0].model);
	d->controllers[0].model = S("qemu-xhci");	/* a USB controller the user chose */
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED,
			   "<controller type='usb' model='qemu-xhci'> (line 31)");
	free(d->controllers[0].model);
	d->controllers[0].model = S("none");

	/* the rest is fine for the worker and for QEMU */
	vdomain_argv_free(build_ok(d, &VMM_CTX));
	vdomain_argv_free(build_ok(d, &QEMU_CTX));
	dom_free(d);
}

/* ---- escaping and odd input ---- */

static void key_value_values_escape_commas(void **state)
{
	struct vdomain *d = dom_new();
	char **argv;

	free(d->name);
	d->name = S("web,1");
	free(d->os.machine);
	d->os.machine = S("pc,accel=kvm");
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-name", "guest=web,,1,debug-threads=on");
	assert_pair(argv, "-machine", "pc,,accel=kvm,usb=off,dump-guest-core=off,"
		    "memory-backend=pc.ram");
	vdomain_argv_free(argv);
	dom_free(d);
}

static void json_values_escape_quotes(void **state)
{
	struct vdomain *d = dom_new();
	struct vdom_disk *k;
	char **argv;

	k = add_disk(d, VDOM_DISK_FILE, "/srv/we\"ird\\disk.img", "vda", VDOM_BUS_VIRTIO, 20);
	k->serial = S("a\"b");
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-blockdev", "{\"driver\":\"file\","
		    "\"filename\":\"/srv/we\\\"ird\\\\disk.img\","
		    "\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,"
		    "\"discard\":\"unmap\"}");
	assert_true(has_substr(argv, "\"serial\":\"a\\\"b\"}"));
	vdomain_argv_free(argv);
	dom_free(d);
}

static void odd_input_fails_cleanly(void **state)
{
	struct vdomain *d = dom_new();
	struct err *e = NULL;
	char **argv;

	assert_null(vdomain_to_argv(NULL, &QEMU_CTX, &e));
	assert_err(e, ERR_INVALID, "no domain");
	assert_null(vdomain_to_argv(d, NULL, NULL));		/* no errp: still no crash */

	d->vcpus = 0;					/* treated as libvirt's default of 1 */
	free(d->clock.offset);
	d->clock.offset = NULL;
	free(d->os.machine);
	d->os.machine = NULL;
	free(d->emulator);
	d->emulator = NULL;
	d->uuid_set = false;
	argv = build_ok(d, &QEMU_CTX);
	assert_string_equal(argv[0], "/usr/bin/qemu-system-x86_64");
	assert_pair(argv, "-smp", "1,sockets=1,cores=1,threads=1");
	assert_pair(argv, "-rtc", "base=utc");
	assert_pair(argv, "-machine", "pc,usb=off,dump-guest-core=off,memory-backend=pc.ram");
	assert_false(has_arg(argv, "-uuid"));
	vdomain_argv_free(argv);

	argv = build_ok(d, &VMM_CTX);
	assert_string_equal(argv[0], "vireo-vmm");
	vdomain_argv_free(argv);

	d->memory_kib = 0;
	assert_build_fails(d, &QEMU_CTX, ERR_INVALID, "no <memory>");
	d->memory_kib = 1024;
	free(d->name);
	d->name = NULL;
	assert_build_fails(d, &VMM_CTX, ERR_INVALID, "no name");
	d->name = S("x");
	d->clock.offset = S("localtime");
	assert_build_fails(d, &VMM_CTX, ERR_UNSUPPORTED, "<clock offset='localtime'>");
	argv = build_ok(d, &QEMU_CTX);
	assert_pair(argv, "-rtc", "base=localtime");
	vdomain_argv_free(argv);
	dom_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(net_user_matches_libvirt),
		cmocka_unit_test(net_user_ip_becomes_net),
		cmocka_unit_test(event_idx_matches_libvirt),
		cmocka_unit_test(memory_and_smp_topology_follow_libvirt),
		cmocka_unit_test(cpu_modes_and_accelerator),
		cmocka_unit_test(kernel_boot_and_worker_head),
		cmocka_unit_test(qemu_monitor_on_a_path),
		cmocka_unit_test(virtio_net_four_queues_uses_placeholders),
		cmocka_unit_test(tap_uses_the_daemons_fds),
		cmocka_unit_test(vhost_placeholders_follow_libvirts_tests),
		cmocka_unit_test(virtio_net_options_in_libvirt_order),
		cmocka_unit_test(virtio_disks_in_both_flavors),
		cmocka_unit_test(ide_scsi_cache_and_empty_cdrom_in_qemu),
		cmocka_unit_test(per_device_boot_order_and_floppy),
		cmocka_unit_test(usb_ports_and_host_cdrom),
		cmocka_unit_test(serial_chardevs_pty_file_unix_tcp),
		cmocka_unit_test(consoles_serial_twin_and_virtio),
		cmocka_unit_test(chardev_without_path_is_an_error),
		cmocka_unit_test(balloon_options_and_model_none),
		cmocka_unit_test(rng_and_panic),
		cmocka_unit_test(vmm_refuses_what_it_cannot_provide),
		cmocka_unit_test(key_value_values_escape_commas),
		cmocka_unit_test(json_values_escape_quotes),
		cmocka_unit_test(odd_input_fails_cleanly),
	};

	return cmocka_run_group_tests_name("argv", tests, NULL, NULL);
}
