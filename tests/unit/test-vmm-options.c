/* Unit tests: qemu-wrap/options (vireo-vmm's QEMU-style command line).
 *
 * Each option in its forms, QEMU's key=value syntax (escaping, implied keys, bare
 * booleans) and the JSON form, the exact error messages, and whole command lines:
 * the one our own generator writes for examples/demo-domain.xml and some of libvirt
 * 9.0's (shared/corpus qemuxml2argvdata), as they are and reduced to what vireo-vmm
 * provides. When the corpus is at hand ($VIREO_SHARED_DIR, or ../shared next to the
 * sources), every one of its command lines either parses or fails naming something
 * vireo-vmm does not provide. */
#include "tests/unit/unit.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/util/file.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/options.h"

#define MIB ((uint64_t)1 << 20)

/* ---- helpers ---- */

/* Parse the NULL-terminated arguments (argv[0] is added). */
static int parse_list(struct vmm_config *cfg, struct err **e, va_list ap)
{
	char *argv[64] = { (char *)"vireo-vmm" };
	int argc = 1;
	const char *a;

	while ((a = va_arg(ap, const char *)) && argc < 63)
		argv[argc++] = (char *)a;
	return vmm_options_parse(cfg, argc, argv, e);
}

/* Parse must succeed; fails the test with the message otherwise. */
static void parse_ok_v(struct vmm_config *cfg, ...)
{
	struct err *e = NULL;
	va_list ap;
	int rc;

	va_start(ap, cfg);
	rc = parse_list(cfg, &e, ap);
	va_end(ap);
	if (rc < 0)
		fail_msg("parse failed: %s", e ? e->message : "(no error)");
	assert_null(e);
}

#define PARSE_OK(cfg, ...) parse_ok_v(cfg, __VA_ARGS__, NULL)

/* Parse must fail with ERR_USAGE and exactly this message. */
static void expect_error_v(const char *message, ...)
{
	struct vmm_config cfg;
	struct err *e = NULL;
	va_list ap;
	int rc;

	va_start(ap, message);
	rc = parse_list(&cfg, &e, ap);
	va_end(ap);
	assert_int_equal(rc, -1);
	assert_non_null(e);
	assert_string_equal(e->code, ERR_USAGE);
	assert_string_equal(e->message, message);
	assert_null(cfg.chardevs);	/* the config is left empty */
	err_free(e);
	vmm_config_free(&cfg);
}

#define EXPECT_ERROR(message, ...) expect_error_v(message, __VA_ARGS__, NULL)

/* The arguments of a libvirt .args text: environment lines and the binary dropped,
 * one option (and its value, single-quoted or not) per line, "\" continuations.
 * A line containing edits[i][0] is dropped (edits[i][1] NULL) or replaced. */
static void args_from_text(const char *text, const char *const (*edits)[2], struct strv *out)
{
	struct strv lines = STRV_INIT;
	bool binary_seen = false;
	size_t i, j;

	strv_split(&lines, text, '\n');
	strv_push(out, "vireo-vmm");
	for (i = 0; i < lines.len; i++) {
		char *line = lines.items[i];
		size_t n = strlen(line);
		char *sp;

		if (n >= 2 && strcmp(line + n - 2, " \\") == 0)
			line[n -= 2] = '\0';
		for (j = 0; edits && edits[j][0] && line; j++)
			if (strstr(line, edits[j][0]))
				line = (char *)edits[j][1];
		if (!line || !*line)
			continue;
		if (!binary_seen) {
			binary_seen = line[0] == '/';
			continue;	/* VAR=value, then the binary */
		}
		sp = strchr(line, ' ');
		if (!sp) {
			strv_push(out, line);
			continue;
		}
		strv_push_take(out, xstrndup(line, (size_t)(sp - line)));
		sp++;
		n = strlen(sp);
		if (n >= 2 && sp[0] == '\'' && sp[n - 1] == '\'')
			strv_push_take(out, xstrndup(sp + 1, n - 2));
		else
			strv_push(out, sp);
	}
	strv_free(&lines);
}

static int parse_text(struct vmm_config *cfg, const char *text, const char *const (*edits)[2],
		      struct err **e)
{
	struct strv args = STRV_INIT;
	int rc;

	args_from_text(text, edits, &args);
	rc = vmm_options_parse(cfg, (int)args.len, args.items, e);
	strv_free(&args);
	return rc;
}

static const struct vmm_device *find_device(const struct vmm_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_devices; i++)
		if (streq(cfg->devices[i].id, id))
			return &cfg->devices[i];
	fail_msg("no device '%s'", id);
	return NULL;
}

/* ---- whole command lines ---- */

/* `vireo domxml-to-native --worker vireo-vmm qemu-argv examples/demo-domain.xml` */
static const char demo_args[] =
	"/usr/local/bin/vireo-vmm \\\n"
	"-name guest=demo,debug-threads=on \\\n"
	"-S \\\n"
	"-machine pc,usb=off,dump-guest-core=off \\\n"
	"-accel kvm \\\n"
	"-cpu qemu64 \\\n"
	"-m 128 \\\n"
	"-smp 1,sockets=1,cores=1,threads=1 \\\n"
	"-uuid 540890bd-e80d-4158-b3b0-56117adbfa84 \\\n"
	"-display none \\\n"
	"-no-user-config \\\n"
	"-nodefaults \\\n"
	"-chardev socket,id=charmonitor,fd=1729,server=on,wait=off \\\n"
	"-mon chardev=charmonitor,id=monitor,mode=control \\\n"
	"-no-shutdown \\\n"
	"-kernel /usr/local/libexec/vireo/testguest.elf \\\n"
	"-append idle \\\n"
	"-netdev '{\"type\":\"tap\",\"fds\":\"3:4\",\"vhost\":true,\"vhostfds\":\"44:45\","
	"\"id\":\"hostnet0\"}' \\\n"
	"-device '{\"driver\":\"virtio-net-pci\",\"mq\":true,\"vectors\":6,\"netdev\":\"hostnet0\","
	"\"id\":\"net0\",\"mac\":\"52:54:00:de:d4:7a\",\"bus\":\"pci.0\",\"addr\":\"0x2\"}' \\\n"
	"-chardev pty,id=charserial0 \\\n"
	"-device '{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\","
	"\"index\":0}' \\\n"
	"-device '{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pci.0\","
	"\"addr\":\"0x3\"}'\n";

static void our_generators_argv_parses(void **state)
{
	static const uint8_t uuid[16] = { 0x54, 0x08, 0x90, 0xbd, 0xe8, 0x0d, 0x41, 0x58,
					  0xb3, 0xb0, 0x56, 0x11, 0x7a, 0xdb, 0xfa, 0x84 };
	struct vmm_config cfg;
	struct err *e = NULL;
	const struct vmm_device *d;

	assert_int_equal(parse_text(&cfg, demo_args, NULL, &e), 0);
	assert_string_equal(cfg.name, "demo");
	assert_true(cfg.debug_threads && cfg.start_paused && cfg.display_none);
	assert_true(cfg.nodefaults && cfg.no_user_config && cfg.no_shutdown);
	assert_false(cfg.no_reboot);
	assert_true(cfg.uuid_set);
	assert_memory_equal(cfg.uuid, uuid, 16);
	assert_true(cfg.mem_bytes == 128 * MIB);
	assert_int_equal(cfg.smp.cpus, 1);
	assert_string_equal(cfg.machine_type, "pc");
	assert_string_equal(cfg.cpu_model, "qemu64");
	assert_string_equal(cfg.kernel, "/usr/local/libexec/vireo/testguest.elf");
	assert_string_equal(cfg.append, "idle");
	assert_int_equal(cfg.n_chardevs, 2);
	assert_int_equal(cfg.chardevs[0].backend, VMM_CHR_SOCKET);
	assert_int_equal(cfg.chardevs[0].fd, 1729);
	assert_true(cfg.chardevs[0].server);
	assert_false(cfg.chardevs[0].wait);
	assert_int_equal(cfg.chardevs[1].backend, VMM_CHR_PTY);
	assert_int_equal(cfg.n_monitors, 1);
	assert_string_equal(cfg.monitors[0].chardev, "charmonitor");
	assert_int_equal(cfg.n_netdevs, 1);
	assert_int_equal(cfg.netdevs[0].type, VMM_NETDEV_TAP);
	assert_string_equal(cfg.netdevs[0].id, "hostnet0");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "fds"), "3:4");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "vhost"), "on");
	assert_int_equal(cfg.n_devices, 3);
	d = find_device(&cfg, "net0");
	assert_string_equal(d->driver, "virtio-net-pci");
	assert_string_equal(vmm_props_get(&d->props, "vectors"), "6");
	assert_string_equal(vmm_props_get(&d->props, "mq"), "on");
	assert_null(vmm_props_get(&d->props, "driver"));
	assert_null(vmm_props_get(&d->props, "id"));
	d = find_device(&cfg, "serial0");
	assert_string_equal(vmm_props_get(&d->props, "index"), "0");
	assert_string_equal(vmm_props_get(&d->props, "chardev"), "charserial0");
	vmm_config_free(&cfg);
}

/* The same for a domain with a disk, an e1000, a file serial port with a log, a
 * virtio console on a Unix socket, an rng, an ISA panic device and maxMemory. */
static const char full_args[] =
	"/usr/local/bin/vireo-vmm \\\n"
	"-name guest=big,,one,debug-threads=on \\\n"
	"-S \\\n"
	"-machine pc,usb=off,dump-guest-core=off \\\n"
	"-accel kvm \\\n"
	"-cpu host \\\n"
	"-m size=262144k,slots=16,maxmem=1048576k \\\n"
	"-smp 2,maxcpus=4,sockets=2,cores=2,threads=1 \\\n"
	"-uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 \\\n"
	"-display none \\\n"
	"-no-user-config \\\n"
	"-nodefaults \\\n"
	"-chardev socket,id=charmonitor,fd=1729,server=on,wait=off \\\n"
	"-mon chardev=charmonitor,id=monitor,mode=control \\\n"
	"-no-shutdown \\\n"
	"-no-reboot \\\n"
	"-kernel /boot/vmlinuz \\\n"
	"-initrd /boot/initrd.img \\\n"
	"-append 'console=ttyS0 root=/dev/vda' \\\n"
	"-device '{\"driver\":\"virtio-serial-pci\",\"id\":\"virtio-serial0\",\"bus\":\"pci.0\""
	",\"addr\":\"0x3\"}' \\\n"
	"-drive file=/var/lib/vireo/a,,b.img,format=raw,if=none,id=drive-virtio-disk0 \\\n"
	"-device '{\"driver\":\"virtio-blk-pci\",\"bus\":\"pci.0\",\"addr\":\"0x4\",\"drive\":"
	"\"drive-virtio-disk0\",\"id\":\"virtio-disk0\",\"serial\":\"S1\"}' \\\n"
	"-netdev '{\"type\":\"tap\",\"fd\":\"3\",\"id\":\"hostnet0\"}' \\\n"
	"-device '{\"driver\":\"e1000\",\"netdev\":\"hostnet0\",\"id\":\"net0\",\"mac\":\"52:54"
	":00:80:d7:6e\",\"bus\":\"pci.0\",\"addr\":\"0x2\"}' \\\n"
	"-chardev file,id=charserial0,path=/tmp/com1.log,append=on,logfile=/tmp/com1.copy,logap"
	"pend=off \\\n"
	"-device '{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\",\"i"
	"ndex\":0}' \\\n"
	"-chardev socket,id=charconsole1,path=/tmp/con.sock,server=on,wait=off \\\n"
	"-device '{\"driver\":\"virtconsole\",\"chardev\":\"charconsole1\",\"id\":\"console1\"}"
	"' \\\n"
	"-device '{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pci.0\",\"ad"
	"dr\":\"0x5\"}' \\\n"
	"-device '{\"driver\":\"virtio-rng-pci\",\"id\":\"rng0\",\"bus\":\"pci.0\",\"addr\":\"0"
	"x6\"}' \\\n"
	"-device '{\"driver\":\"pvpanic\",\"ioport\":1285}'\n";

static void our_generators_full_argv_parses(void **state)
{
	struct vmm_config cfg;
	struct err *e = NULL;
	const struct vmm_chardev *c;

	assert_int_equal(parse_text(&cfg, full_args, NULL, &e), 0);
	assert_string_equal(cfg.name, "big,one");
	assert_true(cfg.mem_bytes == 256 * MIB && cfg.mem_max_bytes == 1024 * MIB);
	assert_int_equal(cfg.mem_slots, 16);
	assert_int_equal(cfg.smp.cpus, 2);
	assert_int_equal(cfg.smp.maxcpus, 4);
	assert_int_equal(cfg.smp.sockets, 2);
	assert_string_equal(cfg.cpu_model, "host");
	assert_true(cfg.no_reboot);
	assert_string_equal(cfg.initrd, "/boot/initrd.img");
	assert_string_equal(cfg.append, "console=ttyS0 root=/dev/vda");
	assert_string_equal(vmm_props_get(&cfg.drives[0].props, "file"), "/var/lib/vireo/a,b.img");
	assert_string_equal(cfg.drives[0].id, "drive-virtio-disk0");
	assert_string_equal(vmm_props_get(&find_device(&cfg, "virtio-disk0")->props, "serial"),
			    "S1");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "fd"), "3");
	c = vmm_config_chardev(&cfg, "charserial0");
	assert_string_equal(c->logfile, "/tmp/com1.copy");
	assert_false(c->logappend);
	c = vmm_config_chardev(&cfg, "charconsole1");
	assert_true(c->server);
	assert_string_equal(c->path, "/tmp/con.sock");
	assert_string_equal(find_device(&cfg, "console1")->driver, "virtconsole");
	assert_string_equal(vmm_props_get(&cfg.devices[cfg.n_devices - 1].props, "ioport"),
			    "1285");
	vmm_config_free(&cfg);
}

/* qemuxml2argvdata/console-virtio-unix.x86_64-latest.args */
static const char console_virtio_unix_args[] =
	"LC_ALL=C \\\n"
	"PATH=/bin \\\n"
	"HOME=/tmp/lib/domain--1-QEMUGuest1 \\\n"
	"USER=test \\\n"
	"LOGNAME=test \\\n"
	"XDG_DATA_HOME=/tmp/lib/domain--1-QEMUGuest1/.local/share \\\n"
	"XDG_CACHE_HOME=/tmp/lib/domain--1-QEMUGuest1/.cache \\\n"
	"XDG_CONFIG_HOME=/tmp/lib/domain--1-QEMUGuest1/.config \\\n"
	"/usr/bin/qemu-system-x86_64 \\\n"
	"-name guest=QEMUGuest1,debug-threads=on \\\n"
	"-S \\\n"
	"-object '{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\""
	"/tmp/lib/domain--1-QEMUGuest1/master-key.aes\"}' \\\n"
	"-machine pc,usb=off,dump-guest-core=off,memory-backend=pc.ram \\\n"
	"-accel kvm \\\n"
	"-cpu qemu64 \\\n"
	"-m 214 \\\n"
	"-object '{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":224395264}' "
	"\\\n"
	"-overcommit mem-lock=off \\\n"
	"-smp 1,sockets=1,cores=1,threads=1 \\\n"
	"-uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 \\\n"
	"-display none \\\n"
	"-no-user-config \\\n"
	"-nodefaults \\\n"
	"-chardev socket,id=charmonitor,fd=1729,server=on,wait=off \\\n"
	"-mon chardev=charmonitor,id=monitor,mode=control \\\n"
	"-rtc base=utc \\\n"
	"-no-shutdown \\\n"
	"-no-acpi \\\n"
	"-boot strict=on \\\n"
	"-device '{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x"
	"1.0x2\"}' \\\n"
	"-device '{\"driver\":\"virtio-serial-pci\",\"id\":\"virtio-serial0\",\"bus\":\"pci.0\""
	",\"addr\":\"0x2\"}' \\\n"
	"-chardev socket,id=charconsole0,fd=1729,server=on,wait=off \\\n"
	"-device '{\"driver\":\"virtconsole\",\"chardev\":\"charconsole0\",\"id\":\"console0\"}"
	"' \\\n"
	"-chardev socket,id=charconsole1,path=/tmp/connect.socket \\\n"
	"-device '{\"driver\":\"virtconsole\",\"chardev\":\"charconsole1\",\"id\":\"console1\"}"
	"' \\\n"
	"-audiodev '{\"id\":\"audio1\",\"driver\":\"none\"}' \\\n"
	"-device '{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pci.0\",\"ad"
	"dr\":\"0x3\"}' \\\n"
	"-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \\\n"
	"-msg timestamp=on\n"
	;

/* qemuxml2argvdata/serial-file-log.x86_64-latest.args, without the environment lines */
static const char serial_file_log_args[] =
	"/usr/bin/qemu-system-x86_64 \\\n"
	"-name guest=QEMUGuest1,debug-threads=on \\\n"
	"-S \\\n"
	"-object '{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\""
	"/tmp/lib/domain--1-QEMUGuest1/master-key.aes\"}' \\\n"
	"-machine pc,usb=off,dump-guest-core=off,memory-backend=pc.ram \\\n"
	"-accel tcg \\\n"
	"-cpu qemu64 \\\n"
	"-m 214 \\\n"
	"-object '{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":224395264}' "
	"\\\n"
	"-overcommit mem-lock=off \\\n"
	"-smp 1,sockets=1,cores=1,threads=1 \\\n"
	"-uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 \\\n"
	"-display none \\\n"
	"-no-user-config \\\n"
	"-nodefaults \\\n"
	"-chardev socket,id=charmonitor,fd=1729,server=on,wait=off \\\n"
	"-mon chardev=charmonitor,id=monitor,mode=control \\\n"
	"-rtc base=utc \\\n"
	"-no-shutdown \\\n"
	"-no-acpi \\\n"
	"-boot strict=on \\\n"
	"-device '{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x"
	"1.0x2\"}' \\\n"
	"-blockdev '{\"driver\":\"host_device\",\"filename\":\"/dev/HostVG/QEMUGuest1\",\"node-"
	"name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}' \\\n"
	"-blockdev '{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"raw\","
	"\"file\":\"libvirt-1-storage\"}' \\\n"
	"-device '{\"driver\":\"ide-hd\",\"bus\":\"ide.0\",\"unit\":0,\"drive\":\"libvirt-1-for"
	"mat\",\"id\":\"ide0-0-0\",\"bootindex\":1}' \\\n"
	"-add-fd set=0,fd=1750,opaque=serial0-source \\\n"
	"-add-fd set=1,fd=1751,opaque=serial0-log \\\n"
	"-chardev file,id=charserial0,path=/dev/fdset/0,append=on,logfile=/dev/fdset/1,logappen"
	"d=on \\\n"
	"-device '{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\",\"i"
	"ndex\":0}' \\\n"
	"-audiodev '{\"id\":\"audio1\",\"driver\":\"none\"}' \\\n"
	"-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \\\n"
	"-msg timestamp=on\n"
	;

/* qemuxml2argvdata/net-virtio-device.args, without the environment lines */
static const char net_virtio_device_args[] =
	"/usr/bin/qemu-system-i386 \\\n"
	"-name guest=QEMUGuest1,debug-threads=on \\\n"
	"-S \\\n"
	"-object secret,id=masterKey0,format=raw,file=/tmp/lib/domain--1-QEMUGuest1/master-key."
	"aes \\\n"
	"-machine pc,usb=off,dump-guest-core=off \\\n"
	"-accel tcg \\\n"
	"-m 214 \\\n"
	"-overcommit mem-lock=off \\\n"
	"-smp 1,sockets=1,cores=1,threads=1 \\\n"
	"-uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 \\\n"
	"-display none \\\n"
	"-no-user-config \\\n"
	"-nodefaults \\\n"
	"-chardev socket,id=charmonitor,fd=1729,server=on,wait=off \\\n"
	"-mon chardev=charmonitor,id=monitor,mode=control \\\n"
	"-rtc base=utc \\\n"
	"-no-shutdown \\\n"
	"-no-acpi \\\n"
	"-boot strict=on \\\n"
	"-usb \\\n"
	"-blockdev '{\"driver\":\"host_device\",\"filename\":\"/dev/HostVG/QEMUGuest1\",\"node-"
	"name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}' \\\n"
	"-blockdev '{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"raw\","
	"\"file\":\"libvirt-1-storage\"}' \\\n"
	"-device ide-hd,bus=ide.0,unit=0,drive=libvirt-1-format,id=ide0-0-0,bootindex=1 \\\n"
	"-netdev user,id=hostnet0 \\\n"
	"-device virtio-net-pci,tx=bh,netdev=hostnet0,id=net0,mac=00:11:22:33:44:55,bus=pci.0,a"
	"ddr=0x2 \\\n"
	"-audiodev '{\"id\":\"audio1\",\"driver\":\"none\"}' \\\n"
	"-device virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3 \\\n"
	"-msg timestamp=on\n"
	;

static void libvirt_virtio_console_line_parses_without_usb(void **state)
{
	static const char *const edits[][2] = { { "piix3-usb-uhci", NULL }, { NULL, NULL } };
	struct vmm_config cfg;
	struct err *e = NULL;

	assert_int_equal(parse_text(&cfg, console_virtio_unix_args, NULL, &e), -1);
	assert_err(e, ERR_USAGE, "unsupported device 'piix3-usb-uhci'");
	assert_int_equal(parse_text(&cfg, console_virtio_unix_args, edits, &e), 0);
	assert_null(e);
	assert_string_equal(cfg.memory_backend, "pc.ram");
	assert_true(cfg.mem_bytes == 214 * MIB);
	assert_int_equal(cfg.n_objects, 2);
	assert_int_equal(cfg.objects[0].type, VMM_OBJ_SECRET);
	assert_string_equal(vmm_props_get(&cfg.objects[0].props, "format"), "raw");
	assert_true(cfg.objects[1].size == 224395264);
	assert_true(cfg.no_acpi && cfg.boot.strict && cfg.sandbox);
	assert_string_equal(vmm_props_get(&cfg.sandbox_props, "spawn"), "deny");
	assert_int_equal(cfg.n_chardevs, 3);
	assert_string_equal(cfg.chardevs[2].path, "/tmp/connect.socket");
	assert_false(cfg.chardevs[2].server);
	assert_int_equal(cfg.chardevs[2].fd, -1);
	assert_string_equal(find_device(&cfg, "console1")->driver, "virtconsole");
	assert_string_equal(find_device(&cfg, "virtio-serial0")->driver, "virtio-serial-pci");
	assert_true(cfg.msg_timestamp);
	vmm_config_free(&cfg);
}

static void libvirt_file_serial_with_fdsets_parses_on_kvm(void **state)
{
	static const char *const edits[][2] = {
		{ "-accel tcg", "-accel kvm" }, { "piix3-usb-uhci", NULL }, { "ide-hd", NULL },
		{ NULL, NULL },
	};
	struct vmm_config cfg;
	struct err *e = NULL;
	const struct vmm_chardev *c;

	assert_int_equal(parse_text(&cfg, serial_file_log_args, NULL, &e), -1);
	assert_err(e, ERR_USAGE, "-accel tcg: vireo-vmm only supports -accel kvm");
	assert_int_equal(parse_text(&cfg, serial_file_log_args, edits, &e), 0);
	assert_int_equal(cfg.n_add_fds, 2);
	assert_int_equal(cfg.add_fds[1].fd, 1751);
	assert_int_equal(cfg.add_fds[1].set, 1);
	assert_string_equal(cfg.add_fds[1].opaque, "serial0-log");
	c = vmm_config_chardev(&cfg, "charserial0");
	assert_non_null(c);
	assert_int_equal(c->backend, VMM_CHR_FILE);
	assert_string_equal(c->path, "/dev/fdset/0");
	assert_true(c->append && c->logappend);
	assert_string_equal(c->logfile, "/dev/fdset/1");
	assert_int_equal(cfg.n_blockdevs, 2);
	assert_string_equal(cfg.blockdevs[0].node_name, "libvirt-1-storage");
	assert_string_equal(cfg.blockdevs[0].driver, "host_device");
	assert_string_equal(vmm_props_get(&cfg.blockdevs[0].props, "auto-read-only"), "on");
	assert_string_equal(vmm_props_get(&cfg.blockdevs[1].props, "read-only"), "off");
	vmm_config_free(&cfg);
}

static void libvirt_key_value_devices_parse(void **state)
{
	static const char *const edits[][2] = {
		{ "-accel tcg", "-accel kvm" }, { "-usb", NULL }, { "ide-hd", NULL },
		{ NULL, NULL },
	};
	struct vmm_config cfg;
	struct err *e = NULL;
	const struct vmm_device *d;

	assert_int_equal(parse_text(&cfg, net_virtio_device_args, edits, &e), 0);
	assert_int_equal(cfg.n_netdevs, 1);
	assert_int_equal(cfg.netdevs[0].type, VMM_NETDEV_USER);
	assert_int_equal(cfg.netdevs[0].props.len, 0);
	d = find_device(&cfg, "net0");
	assert_string_equal(d->driver, "virtio-net-pci");
	assert_string_equal(vmm_props_get(&d->props, "tx"), "bh");
	assert_string_equal(vmm_props_get(&d->props, "mac"), "00:11:22:33:44:55");
	assert_string_equal(d->props.items[0].key, "tx");	/* order kept */
	assert_string_equal(find_device(&cfg, "balloon0")->driver, "virtio-balloon-pci");
	vmm_config_free(&cfg);
}

/* Every libvirt command line of the corpus parses or names what vireo-vmm lacks. */
static bool names_a_missing_feature(const char *msg)
{
	static const char *const ok[] = {
		"unsupported device '", "vireo-vmm only supports -accel kvm",
		"unsupported option -", "unsupported machine type", "unsupported object type",
		"unsupported type '", "TCP sockets are not supported", "unsupported backend",
		"is not supported", "unknown property '",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (strstr(msg, ok[i]))
			return true;
	return false;
}

static char *corpus_dir(void)
{
	const char *shared = getenv("VIREO_SHARED_DIR"), *src = getenv("VIREO_TEST_SRCDIR");
	char *dir;

	if (shared && *shared)
		dir = xasprintf("%s/corpus/libvirt-xml/qemuxml2argvdata", shared);
	else if (src && *src)
		dir = xasprintf("%s/../shared/corpus/libvirt-xml/qemuxml2argvdata", src);
	else
		return NULL;
	if (access(dir, R_OK) == 0)
		return dir;
	free(dir);
	return NULL;
}

/* TCG guests are read as KVM ones, and the USB controller libvirt adds to every pc
 * guest (-usb, piix3-usb-uhci) and IDE disks are left out, so that the rest of each
 * line is parsed too. */
static void check_corpus_file(const char *dir, const char *name, unsigned *parsed)
{
	static const char *const edits[][2] = {
		{ "-accel tcg", "-accel kvm" }, { "-usb", NULL }, { "ide-hd", NULL },
		{ "ide-cd", NULL }, { NULL, NULL },
	};
	char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	struct vmm_config cfg;
	struct err *e = NULL;
	size_t len;

	if (file_read_all(path, 1 << 20, &text, &len, &e) < 0)
		fail_msg("%s: %s", path, e->message);
	if (parse_text(&cfg, text, edits, &e) == 0) {
		(*parsed)++;
		vmm_config_free(&cfg);
	} else if (!names_a_missing_feature(e->message)) {
		fail_msg("%s: %s", name, e->message);
	} else if (getenv("VIREO_TEST_VERBOSE")) {
		print_message("%s: %s\n", name, e->message);
	}
	err_clear(&e);
	free(text);
	free(path);
}

static void every_libvirt_corpus_line_parses_or_names_what_is_missing(void **state)
{
	char *dir = corpus_dir();
	unsigned files = 0, parsed = 0;
	struct dirent *de;
	DIR *d;

	if (!dir) {
		print_message("# skipping: no libvirt corpus beside the source tree "
			      "(set VIREO_SHARED_DIR)\n");
		skip();
	}
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".args"))
			continue;
		check_corpus_file(dir, de->d_name, &parsed);
		files++;
	}
	closedir(d);
	free(dir);
	print_message("# corpus: %u command lines, %u parse (as KVM guests)\n", files, parsed);
	assert_true(files > 0);
}

/* ---- machine-wide options ---- */

static void defaults_without_options(void **state)
{
	struct vmm_config cfg;
	struct err *e = NULL;
	char *argv[] = { (char *)"vireo-vmm", NULL };

	assert_int_equal(vmm_options_parse(&cfg, 1, argv, &e), 0);
	assert_true(cfg.mem_bytes == 128 * MIB);
	assert_int_equal(cfg.smp.cpus, 1);
	assert_int_equal(cfg.smp.maxcpus, 1);
	assert_int_equal(cfg.smp.sockets * cfg.smp.dies * cfg.smp.cores * cfg.smp.threads, 1);
	assert_string_equal(cfg.machine_type, "pc");
	assert_string_equal(cfg.cpu_model, "qemu64");
	assert_false(cfg.start_paused || cfg.display_none || cfg.uuid_set || cfg.rtc_localtime);
	assert_int_equal(cfg.boot.reboot_timeout, -1);
	assert_int_equal(cfg.n_chardevs + cfg.n_devices + cfg.n_serials, 0);
	vmm_config_free(&cfg);
	vmm_config_free(&cfg);	/* harmless twice */
}

static void name_plain_guest_form_and_escaped_comma(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-name", "web");
	assert_string_equal(cfg.name, "web");
	assert_false(cfg.debug_threads);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-name", "guest=demo,debug-threads=on,process=vm-demo");
	assert_string_equal(cfg.name, "demo");
	assert_string_equal(cfg.process_name, "vm-demo");
	assert_true(cfg.debug_threads);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-name", "a,,b,debug-threads");	/* bare key: on */
	assert_string_equal(cfg.name, "a,b");
	assert_true(cfg.debug_threads);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-name: unknown property 'colour'", "-name", "x,colour=red");
	EXPECT_ERROR("-name: property 'debug-threads': 'maybe' is not on/off, yes/no or "
		     "true/false", "-name", "x,debug-threads=maybe");
}

static void uuid_is_parsed_and_a_bad_one_named(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-uuid", "C7A5FDBD-edaf-9455-926a-d65c16db1809");
	assert_true(cfg.uuid_set);
	assert_int_equal(cfg.uuid[0], 0xc7);
	assert_int_equal(cfg.uuid[15], 0x09);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-uuid: 'c7a5fdbd' is not a valid UUID", "-uuid", "c7a5fdbd");
	EXPECT_ERROR("-uuid: 'c7a5fdbdxedaf-9455-926a-d65c16db1809' is not a valid UUID",
		     "-uuid", "c7a5fdbdxedaf-9455-926a-d65c16db1809");
	EXPECT_ERROR("-uuid: 'g7a5fdbd-edaf-9455-926a-d65c16db1809' is not a valid UUID",
		     "-uuid", "g7a5fdbd-edaf-9455-926a-d65c16db1809");
}

static void memory_size_forms_default_to_mib(void **state)
{
	static const struct {
		const char *arg;
		uint64_t bytes;
	} cases[] = {
		{ "128", 128 * MIB }, { "128M", 128 * MIB }, { "size=128M", 128 * MIB },
		{ "1G", 1024 * MIB }, { "1.5g", 1536 * MIB }, { "size=219136k", 214 * MIB },
		{ "0x10", 16 * MIB }, { "1000000b", 1007616 },	/* rounded up to 8 KiB */
	};
	struct vmm_config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		PARSE_OK(&cfg, "-m", cases[i].arg);
		assert_true(cfg.mem_bytes == cases[i].bytes);
		vmm_config_free(&cfg);
	}
	PARSE_OK(&cfg, "-m", "size=219136k,slots=16,maxmem=1048576k");
	assert_true(cfg.mem_max_bytes == 1024 * MIB);
	assert_int_equal(cfg.mem_slots, 16);
	vmm_config_free(&cfg);
	EXPECT_ERROR("option -m needs a value", "-m");
	EXPECT_ERROR("-m: 'x' is not a valid size", "-m", "x");
	EXPECT_ERROR("-m: empty value where a size is expected", "-m", "");
	EXPECT_ERROR("-m: the memory size must not be 0", "-m", "0");
	EXPECT_ERROR("-m: '2T' is more than 1 TiB", "-m", "2T");
	EXPECT_ERROR("-m: property 'slots': '300' is out of range (0 to 256)",
		     "-m", "128,slots=300,maxmem=1G");
	EXPECT_ERROR("-m: slots needs maxmem", "-m", "128,slots=2");
	EXPECT_ERROR("-m: maxmem (67108864 bytes) is less than the memory size (134217728 bytes)",
		     "-m", "128,maxmem=64M");
	EXPECT_ERROR("-m: unknown property 'foo'", "-m", "128,foo=1");
}

static void smp_topology_is_filled_in_as_qemu_does(void **state)
{
	static const struct {
		const char *arg;
		struct vmm_smp want;
	} cases[] = {
		{ "2", { 2, 2, 1, 1, 2, 1 } },			/* cores preferred (QEMU >= 6.2) */
		{ "cpus=4,sockets=2", { 4, 4, 2, 1, 2, 1 } },
		{ "6,sockets=6,cores=1,threads=1", { 6, 6, 6, 1, 1, 1 } },
		{ "2,maxcpus=6,sockets=6,cores=1,threads=1", { 2, 6, 6, 1, 1, 1 } },
		{ "1,maxcpus=4,sockets=2,dies=2,cores=1,threads=1", { 1, 4, 2, 2, 1, 1 } },
		{ "sockets=2,cores=2,threads=2", { 8, 8, 2, 1, 2, 2 } },
		{ "8,cores=2,threads=2", { 8, 8, 2, 1, 2, 2 } },
	};
	struct vmm_config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		PARSE_OK(&cfg, "-smp", cases[i].arg);
		assert_memory_equal(&cfg.smp, &cases[i].want, sizeof(cfg.smp));
		vmm_config_free(&cfg);
	}
}

static void smp_errors_name_the_option(void **state)
{
	EXPECT_ERROR("-smp: 'x' is not a valid number", "-smp", "x");
	EXPECT_ERROR("-smp: property 'sockets': 'x' is not a valid number", "-smp",
		     "2,sockets=x");
	EXPECT_ERROR("-smp: '300' is out of range (1 to 255)", "-smp", "300");
	EXPECT_ERROR("-smp: property 'cores': '0' is out of range (1 to 255)", "-smp",
		     "2,cores=0");
	EXPECT_ERROR("-smp: sockets (3) * dies (1) * cores (1) * threads (1) != maxcpus (4)",
		     "-smp", "4,sockets=3,cores=1");
	EXPECT_ERROR("-smp: maxcpus (2) is less than cpus (4)", "-smp", "4,maxcpus=2");
	EXPECT_ERROR("-smp: 256 vCPUs, at most 255", "-smp", "sockets=128,cores=2");
	EXPECT_ERROR("-smp: unknown property 'books'", "-smp", "2,books=1");
}

static void machine_takes_libvirts_harmless_properties(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-machine", "pc,usb=off,dump-guest-core=off,vmport=off");
	assert_string_equal(cfg.machine_type, "pc");
	assert_null(cfg.memory_backend);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-M", "type=pc-i440fx-8.0,accel=kvm,mem-merge=no");
	assert_string_equal(cfg.machine_type, "pc-i440fx-8.0");
	vmm_config_free(&cfg);
	/* the memory backend object gives the size when -m is absent */
	PARSE_OK(&cfg, "-machine", "pc,memory-backend=ram0", "-object",
		 "memory-backend-memfd,id=ram0,size=256M");
	assert_true(cfg.mem_bytes == 256 * MIB);
	assert_int_equal(cfg.objects[0].type, VMM_OBJ_MEMORY_BACKEND_MEMFD);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-machine: unsupported machine type 'q35' (vireo-vmm provides pc)",
		     "-machine", "q35");
	EXPECT_ERROR("-machine: usb=on is not supported (vireo-vmm has no USB controller)",
		     "-machine", "pc,usb=on");
	EXPECT_ERROR("-machine accel=tcg: vireo-vmm only supports -accel kvm", "-machine",
		     "pc,accel=tcg");
	EXPECT_ERROR("-machine: unknown property 'hpet'", "-machine", "pc,hpet=off");
	EXPECT_ERROR("-machine: property 'vmport': 'on' is not valid (off, auto)", "-machine",
		     "pc,vmport=on");
	EXPECT_ERROR("-machine: memory-backend 'ram0' has 268435456 bytes but -m asks for "
		     "134217728", "-m", "128", "-machine", "pc,memory-backend=ram0", "-object",
		     "memory-backend-ram,id=ram0,size=256M");
	EXPECT_ERROR("-machine: memory-backend 'pc.ram' is not a memory backend -object",
		     "-machine", "pc,memory-backend=pc.ram");
}

static void accel_is_kvm_only(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-accel", "kvm", "-accel", "kvm,dirty-ring-size=4096", "-enable-kvm");
	vmm_config_free(&cfg);
	EXPECT_ERROR("-accel tcg: vireo-vmm only supports -accel kvm", "-accel", "tcg");
	EXPECT_ERROR("-accel: unknown property 'thread'", "-accel", "kvm,thread=single");
}

static void cpu_model_and_feature_spellings(void **state)
{
	struct vmm_config cfg;
	const struct vmm_props *f = &cfg.cpu_features;

	PARSE_OK(&cfg, "-cpu", "host,+x2apic,-svm,kvm=off,migratable=on,hv-spinlocks=0x1fff");
	assert_string_equal(cfg.cpu_model, "host");
	assert_int_equal(f->len, 5);
	assert_string_equal(vmm_props_get(f, "x2apic"), "on");
	assert_string_equal(vmm_props_get(f, "svm"), "off");
	assert_string_equal(vmm_props_get(f, "kvm"), "off");
	assert_string_equal(vmm_props_get(f, "hv-spinlocks"), "0x1fff");
	assert_null(vmm_props_get(f, "model"));
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-cpu", "max");
	assert_string_equal(cfg.cpu_model, "max");
	assert_int_equal(cfg.cpu_features.len, 0);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-cpu: unsupported CPU model 'Skylake-Client' (vireo-vmm provides host, "
		     "max, qemu64, qemu32, kvm64)", "-cpu", "Skylake-Client,+avx");
}

static void files_and_flags(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-kernel", "/boot/vmlinuz", "-initrd", "/boot/initrd.img", "-append",
		 "console=ttyS0 root=/dev/vda,rw", "-bios", "/usr/share/bios.bin", "-pidfile",
		 "/run/vm.pid", "-S", "-no-shutdown", "-no-reboot", "-daemonize", "-nodefaults",
		 "--no-user-config", "-no-acpi", "-display", "none");
	assert_string_equal(cfg.kernel, "/boot/vmlinuz");
	assert_string_equal(cfg.initrd, "/boot/initrd.img");
	assert_string_equal(cfg.append, "console=ttyS0 root=/dev/vda,rw");	/* verbatim */
	assert_string_equal(cfg.bios, "/usr/share/bios.bin");
	assert_string_equal(cfg.pidfile, "/run/vm.pid");
	assert_true(cfg.start_paused && cfg.no_shutdown && cfg.no_reboot && cfg.daemonize);
	assert_true(cfg.nodefaults && cfg.no_user_config && cfg.no_acpi && cfg.display_none);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-kernel", "/a", "-kernel", "/b", "-append", "");	/* last wins */
	assert_string_equal(cfg.kernel, "/b");
	assert_string_equal(cfg.append, "");
	vmm_config_free(&cfg);
	EXPECT_ERROR("-kernel: empty file name", "-kernel", "");
	EXPECT_ERROR("option -initrd needs a value", "-kernel", "/a", "-initrd");
}

static void display_none_only_and_nographic(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-display", "{\"type\":\"none\"}");
	assert_true(cfg.display_none);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-display: only 'none' is supported, not 'gtk'", "-display", "gtk");
	EXPECT_ERROR("-display: unknown property 'gl'", "-display", "none,gl=on");
	/* -nographic: display none and, without -nodefaults, COM1 on stdio */
	PARSE_OK(&cfg, "-nographic");
	assert_true(cfg.display_none && cfg.nographic);
	assert_int_equal(cfg.n_serials, 1);
	assert_int_equal(vmm_config_chardev(&cfg, cfg.serials[0].chardev)->backend,
			 VMM_CHR_STDIO);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-nographic", "-nodefaults");
	assert_int_equal(cfg.n_serials, 0);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-nographic", "-serial", "pty");
	assert_int_equal(cfg.n_serials, 1);
	assert_int_equal(cfg.chardevs[0].backend, VMM_CHR_PTY);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-nographic", "-chardev", "null,id=c0", "-device",
		 "isa-serial,chardev=c0");
	assert_int_equal(cfg.n_serials, 0);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-nographic cannot be used with -daemonize", "-nographic", "-daemonize");
	EXPECT_ERROR("-daemonize: chardev 'serial0' is on stdio", "-daemonize", "-serial",
		     "stdio");
}

static void rtc_and_boot(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-rtc", "base=localtime,driftfix=slew", "-boot",
		 "order=cd,once=d,menu=on,splash-time=3000,reboot-timeout=1000,strict=on");
	assert_true(cfg.rtc_localtime);
	assert_string_equal(cfg.boot.order, "cd");
	assert_string_equal(cfg.boot.once, "d");
	assert_true(cfg.boot.menu && cfg.boot.strict);
	assert_int_equal(cfg.boot.splash_time, 3000);
	assert_int_equal(cfg.boot.reboot_timeout, 1000);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-rtc", "base=utc", "-boot", "c");	/* implied order */
	assert_false(cfg.rtc_localtime);
	assert_string_equal(cfg.boot.order, "c");
	assert_false(cfg.boot.strict);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-rtc: property 'base': '2006-06-17' is not valid (utc, localtime)",
		     "-rtc", "base=2006-06-17");
	EXPECT_ERROR("-rtc: property 'clock': 'vm' is not valid (host)", "-rtc", "clock=vm");
	EXPECT_ERROR("-boot: property 'order': 'cc' is not valid (drive letters a-p, each once)",
		     "-boot", "order=cc");
	EXPECT_ERROR("-boot: 'z' is not valid (drive letters a-p, each once)", "-boot", "z");
	EXPECT_ERROR("-boot: unknown property 'splash'", "-boot", "splash=/a.bmp");
	EXPECT_ERROR("-boot: property 'reboot-timeout': '-2' is out of range (-1 to 65535)",
		     "-boot", "reboot-timeout=-2");
	PARSE_OK(&cfg, "-boot", "reboot-timeout=128", "-boot", "reboot-timeout=-1");
	assert_int_equal(cfg.boot.reboot_timeout, -1);
	vmm_config_free(&cfg);
}

/* ---- chardevs, monitors, serial ports ---- */

static void chardev_backends_and_escaped_paths(void **state)
{
	struct vmm_config cfg;
	const struct vmm_chardev *c;

	PARSE_OK(&cfg, "-chardev", "null,id=n0", "-chardev", "file,id=f0,path=/tmp/a,,b,append",
		 "-chardev", "pty,id=p0,logfile=/var/log/p0.log,logappend=yes", "-chardev",
		 "stdio,id=s0,signal=off", "-chardev", "socket,id=u0,path=/run/u0.sock,server=on,"
		 "wait=false", "-chardev", "backend=socket,id=u1,path=/run/u1.sock");
	assert_int_equal(cfg.n_chardevs, 6);
	c = vmm_config_chardev(&cfg, "f0");
	assert_int_equal(c->backend, VMM_CHR_FILE);
	assert_string_equal(c->path, "/tmp/a,b");
	assert_true(c->append);
	c = vmm_config_chardev(&cfg, "p0");
	assert_string_equal(c->logfile, "/var/log/p0.log");
	assert_true(c->logappend);
	assert_false(vmm_config_chardev(&cfg, "s0")->signal);
	c = vmm_config_chardev(&cfg, "u0");
	assert_true(c->server);
	assert_false(c->wait);
	assert_int_equal(c->fd, -1);
	c = vmm_config_chardev(&cfg, "u1");
	assert_false(c->server);
	assert_true(c->wait);	/* QEMU's default, meaningless for a client */
	assert_int_equal(vmm_config_chardev(&cfg, "n0")->backend, VMM_CHR_NULL);
	assert_null(vmm_config_chardev(&cfg, "nope"));
	vmm_config_free(&cfg);
}

static void chardev_errors(void **state)
{
	EXPECT_ERROR("-chardev: property 'id' is required", "-chardev", "pty");
	EXPECT_ERROR("-chardev: unsupported backend 'vc' (vireo-vmm has null, file, pty, stdio, "
		     "socket)", "-chardev", "vc,id=v0");
	EXPECT_ERROR("-chardev: property 'path' is required", "-chardev", "file,id=f0");
	EXPECT_ERROR("-chardev: a socket needs either path= or fd=", "-chardev",
		     "socket,id=s0,server=on");
	EXPECT_ERROR("-chardev: a socket needs either path= or fd=", "-chardev",
		     "socket,id=s0,path=/a,fd=5");
	EXPECT_ERROR("-chardev: TCP sockets are not supported (use path= or fd=)", "-chardev",
		     "socket,id=s0,host=127.0.0.1,port=4555");
	EXPECT_ERROR("-chardev: telnet=on is not supported", "-chardev",
		     "socket,id=s0,path=/a,telnet=on");
	EXPECT_ERROR("-chardev: wait= needs server=on", "-chardev",
		     "socket,id=s0,path=/a,wait=off");
	EXPECT_ERROR("-chardev: property 'fd': 'x' is not a valid number", "-chardev",
		     "socket,id=s0,fd=x,server=on");
	EXPECT_ERROR("-chardev: unknown property 'append'", "-chardev", "pty,id=p0,append=on");
	EXPECT_ERROR("-chardev: '0bad' is not a valid id", "-chardev", "pty,id=0bad");
	EXPECT_ERROR("-chardev: duplicate chardev id 'c'", "-chardev", "pty,id=c", "-chardev",
		     "null,id=c");
	EXPECT_ERROR("-chardev: property 'server': 'si' is not on/off, yes/no or true/false",
		     "-chardev", "socket,id=s0,path=/a,server=si");
}

static void qmp_makes_a_chardev_and_a_control_monitor(void **state)
{
	struct vmm_config cfg;
	const struct vmm_chardev *c;

	PARSE_OK(&cfg, "-qmp", "unix:/run/vireo/a,,b.qmp,server=on,wait=off", "-qmp", "stdio");
	assert_int_equal(cfg.n_monitors, 2);
	assert_string_equal(cfg.monitors[0].chardev, "compat_monitor0");
	c = vmm_config_chardev(&cfg, "compat_monitor0");
	assert_int_equal(c->backend, VMM_CHR_SOCKET);
	assert_string_equal(c->path, "/run/vireo/a,b.qmp");
	assert_true(c->server);
	assert_false(c->wait);
	assert_int_equal(vmm_config_chardev(&cfg, "compat_monitor1")->backend, VMM_CHR_STDIO);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-qmp: unsupported character device 'tcp:localhost:4444,server'", "-qmp",
		     "tcp:localhost:4444,server");
	EXPECT_ERROR("-qmp: unknown property 'nodelay'", "-qmp", "unix:/a,server=on,nodelay");
}

static void mon_is_control_mode_on_an_existing_chardev(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-chardev", "socket,id=charmonitor,fd=3,server=on,wait=off", "-mon",
		 "chardev=charmonitor,id=monitor,mode=control,pretty=on");
	assert_string_equal(cfg.monitors[0].id, "monitor");
	assert_true(cfg.monitors[0].pretty);
	assert_int_equal(cfg.chardevs[0].fd, 3);
	vmm_config_free(&cfg);
	/* the chardev may come after the -mon that names it */
	PARSE_OK(&cfg, "-mon", "charmonitor,mode=control", "-chardev", "pty,id=charmonitor");
	vmm_config_free(&cfg);
	EXPECT_ERROR("-mon: only mode=control is supported, not 'readline'", "-chardev",
		     "pty,id=c", "-mon", "chardev=c,mode=readline");
	EXPECT_ERROR("-mon: only mode=control is supported, not 'readline'", "-chardev",
		     "pty,id=c", "-mon", "chardev=c");
	EXPECT_ERROR("-mon: property 'chardev' is required", "-mon", "id=m,mode=control");
	EXPECT_ERROR("-mon: no chardev 'ghost'", "-mon", "chardev=ghost,mode=control");
	EXPECT_ERROR("-device isa-serial: chardev 'c' is already in use", "-chardev", "pty,id=c",
		     "-mon", "chardev=c,mode=control", "-device", "isa-serial,chardev=c");
}

static void serial_short_forms(void **state)
{
	struct vmm_config cfg;
	const struct vmm_chardev *c;

	PARSE_OK(&cfg, "-chardev", "pty,id=charserial0", "-serial", "chardev:charserial0",
		 "-serial", "none", "-serial", "file:/tmp/com,2.log", "-serial", "null", "-serial",
		 "unix:/tmp/com4.sock,server=on,wait=off", "-serial", "pty");
	assert_int_equal(cfg.n_serials, 5);
	assert_string_equal(cfg.serials[0].chardev, "charserial0");
	assert_string_equal(cfg.serials[1].chardev, "serial1");
	c = vmm_config_chardev(&cfg, "serial1");
	assert_int_equal(c->backend, VMM_CHR_FILE);
	assert_string_equal(c->path, "/tmp/com,2.log");	/* file: takes the rest verbatim */
	assert_int_equal(vmm_config_chardev(&cfg, "serial2")->backend, VMM_CHR_NULL);
	c = vmm_config_chardev(&cfg, "serial3");
	assert_string_equal(c->path, "/tmp/com4.sock");
	assert_true(c->server);
	assert_int_equal(vmm_config_chardev(&cfg, "serial4")->backend, VMM_CHR_PTY);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-serial", "stdio");
	assert_int_equal(cfg.chardevs[0].backend, VMM_CHR_STDIO);
	assert_true(cfg.chardevs[0].signal);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-serial: 'mon:' is not supported (no human monitor; use -qmp)", "-serial",
		     "mon:stdio");
	EXPECT_ERROR("-serial: unsupported character device 'vc'", "-serial", "vc");
	EXPECT_ERROR("-serial: no chardev 'nope'", "-serial", "chardev:nope");
}

/* ---- devices and backends ---- */

static void device_key_value_and_json_forms(void **state)
{
	struct vmm_config cfg;
	const struct vmm_device *d;

	PARSE_OK(&cfg, "-chardev", "pty,id=charserial0", "-device",
		 "{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\","
		 "\"index\":0}", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device",
		 "{\"driver\":\"pvpanic\"}", "-device", "driver=pvpanic,ioport=0x505,id=panic1",
		 "-device", "{\"driver\":\"virtio-rng-pci\",\"id\":\"rng0\",\"max-bytes\":1024,"
		 "\"free-page-reporting\":false,\"big\":18446744073709551615}");
	assert_int_equal(cfg.n_devices, 5);
	d = find_device(&cfg, "serial0");
	assert_string_equal(d->driver, "isa-serial");
	assert_int_equal(d->props.len, 2);
	assert_string_equal(vmm_props_get(&d->props, "index"), "0");
	d = &cfg.devices[1];
	assert_null(d->id);
	assert_string_equal(d->driver, "isa-debug-exit");
	assert_string_equal(vmm_props_get(&d->props, "iobase"), "0xf4");
	assert_int_equal(cfg.devices[2].props.len, 0);
	assert_string_equal(vmm_props_get(&find_device(&cfg, "panic1")->props, "ioport"), "0x505");
	d = find_device(&cfg, "rng0");
	assert_string_equal(vmm_props_get(&d->props, "max-bytes"), "1024");
	assert_string_equal(vmm_props_get(&d->props, "free-page-reporting"), "off");
	assert_string_equal(vmm_props_get(&d->props, "big"), "18446744073709551615");
	vmm_config_free(&cfg);
	/* the devices of later rounds keep any property, for their own parsers */
	PARSE_OK(&cfg, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:01,x-anything=1",
		 "-device", "virtio-blk-pci,drive=d0,num-queues=2", "-device",
		 "virtio-serial-pci,id=vs0", "-device", "virtconsole,id=con0");
	assert_string_equal(vmm_props_get(&cfg.devices[0].props, "x-anything"), "1");
	vmm_config_free(&cfg);
}

static void device_errors_name_driver_and_property(void **state)
{
	EXPECT_ERROR("unknown property 'x' for device 'isa-serial'", "-device", "isa-serial,x=1");
	EXPECT_ERROR("unknown property 'bus' for device 'pvpanic'", "-device",
		     "{\"driver\":\"pvpanic\",\"bus\":\"isa.0\"}");
	EXPECT_ERROR("unsupported device 'foo'", "-device", "foo,id=f");
	EXPECT_ERROR("unsupported device 'piix3-usb-uhci'", "-device",
		     "{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\"}");
	EXPECT_ERROR("-device isa-serial: property 'index': '4' is out of range (0 to 3)",
		     "-device", "isa-serial,index=4");
	EXPECT_ERROR("-device isa-debug-exit: property 'iobase': '0x10000' is out of range "
		     "(0 to 65535)", "-device", "isa-debug-exit,iobase=0x10000");
	EXPECT_ERROR("-device pvpanic: property 'events': 'all' is not a valid number",
		     "-device", "pvpanic,events=all");
	EXPECT_ERROR("-device: property 'driver' is required", "-device", "{\"id\":\"x\"}");
	EXPECT_ERROR("-device: duplicate id 'd'", "-device", "pvpanic,id=d", "-device",
		     "isa-debug-exit,id=d");
	EXPECT_ERROR("-device isa-serial: no chardev 'missing'", "-device",
		     "isa-serial,chardev=missing");
	EXPECT_ERROR("-device: property 'n.x' must be an integer, not 1.5", "-device",
		     "{\"driver\":\"pvpanic\",\"n\":{\"x\":1.5}}");
	EXPECT_ERROR("-device: property 'y' is null", "-device",
		     "{\"driver\":\"pvpanic\",\"y\":null}");
	EXPECT_ERROR("-device: invalid JSON: unexpected end", "-device", "{\"driver\":");
	EXPECT_ERROR("-device: the JSON value is not one object", "-device",
		     "{\"driver\":\"pvpanic\"} {}");
}

static void netdev_tap_and_user(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-netdev", "tap,id=n0,fd=3,vhost,vhostfd=44,ifname=tap,,0", "-netdev",
		 "{\"type\":\"user\",\"id\":\"n1\"}", "-netdev",
		 "{\"type\":\"tap\",\"fds\":\"3:4\",\"queues\":2,\"vhost\":false,\"id\":\"n2\"}");
	assert_int_equal(cfg.n_netdevs, 3);
	assert_int_equal(cfg.netdevs[0].type, VMM_NETDEV_TAP);
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "vhost"), "on");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "ifname"), "tap,0");
	assert_null(vmm_props_get(&cfg.netdevs[0].props, "type"));
	assert_int_equal(cfg.netdevs[1].type, VMM_NETDEV_USER);
	assert_string_equal(vmm_props_get(&cfg.netdevs[2].props, "queues"), "2");
	assert_string_equal(vmm_props_get(&cfg.netdevs[2].props, "vhost"), "off");
	vmm_config_free(&cfg);
	EXPECT_ERROR("-netdev: unsupported type 'bridge' (vireo-vmm has tap, user)", "-netdev",
		     "bridge,id=n0,br=virbr0");
	EXPECT_ERROR("-netdev: property 'id' is required", "-netdev", "tap,fd=3");
	EXPECT_ERROR("-netdev: duplicate id 'n0'", "-netdev", "user,id=n0", "-netdev",
		     "tap,id=n0,fd=3");
}

static void drive_blockdev_object_add_fd(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-drive", "file=/var/lib/a,,b.img,format=raw,if=none,id=drive-virtio-disk0,"
		 "readonly=on", "-blockdev", "{\"node-name\":\"f0\",\"driver\":\"raw\","
		 "\"file\":{\"driver\":\"file\",\"filename\":\"/a.img\"}}", "-blockdev",
		 "driver=file,node-name=f1,filename=/b.img", "-object",
		 "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":134217728}",
		 "-object", "secret,id=masterKey0,format=raw,file=/k.aes", "-add-fd",
		 "fd=5,set=2");
	assert_string_equal(cfg.drives[0].id, "drive-virtio-disk0");
	assert_string_equal(vmm_props_get(&cfg.drives[0].props, "file"), "/var/lib/a,b.img");
	assert_string_equal(vmm_props_get(&cfg.drives[0].props, "readonly"), "on");
	assert_string_equal(cfg.blockdevs[0].driver, "raw");
	assert_string_equal(vmm_props_get(&cfg.blockdevs[0].props, "file.filename"), "/a.img");
	assert_string_equal(cfg.blockdevs[1].node_name, "f1");
	assert_true(vmm_config_object(&cfg, "pc.ram")->size == 128 * MIB);
	assert_null(vmm_props_get(&vmm_config_object(&cfg, "pc.ram")->props, "size"));
	assert_string_equal(vmm_props_get(&vmm_config_object(&cfg, "masterKey0")->props, "file"),
			    "/k.aes");
	assert_int_equal(cfg.add_fds[0].fd, 5);
	assert_int_equal(cfg.add_fds[0].set, 2);
	assert_null(cfg.add_fds[0].opaque);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-blockdev: property 'node-name' is required", "-blockdev",
		     "driver=file,filename=/a");
	EXPECT_ERROR("-object: unsupported object type 'iothread'", "-object",
		     "iothread,id=iothread1");
	EXPECT_ERROR("-object: property 'size' is required", "-object",
		     "memory-backend-ram,id=m");
	EXPECT_ERROR("-object: property 'size': '12Q' is not a valid size (suffixes: B K M G T "
		     "P E)", "-object", "memory-backend-memfd,id=m,size=12Q");
	EXPECT_ERROR("-object: duplicate id 's'", "-object", "secret,id=s,data=x", "-object",
		     "secret,id=s,data=y");
	EXPECT_ERROR("-add-fd: property 'fd': '1' is out of range (3 to 2147483647)", "-add-fd",
		     "fd=1,set=0");
	EXPECT_ERROR("-add-fd: property 'set' is required", "-add-fd", "fd=4");
	EXPECT_ERROR("-drive: duplicate id 'd'", "-drive", "file=/a,id=d", "-drive",
		     "file=/b,id=d");
}

static void global_overcommit_sandbox_msg_audiodev(void **state)
{
	struct vmm_config cfg;

	PARSE_OK(&cfg, "-global", "PIIX4_PM.disable_s3=1", "-global",
		 "driver=isa-fdc,property=bootindexA,value=4", "-overcommit", "mem-lock=off",
		 "-overcommit", "cpu-pm=off", "-sandbox",
		 "on,obsolete=deny,elevateprivileges=children,spawn=deny,resourcecontrol=deny",
		 "-msg", "timestamp=on", "-audiodev", "{\"id\":\"audio1\",\"driver\":\"none\"}",
		 "-audiodev", "none,id=audio2");
	assert_int_equal(cfg.n_globals, 2);
	assert_string_equal(cfg.globals[0].driver, "PIIX4_PM");
	assert_string_equal(cfg.globals[0].property, "disable_s3");
	assert_string_equal(cfg.globals[0].value, "1");
	assert_string_equal(cfg.globals[1].property, "bootindexA");
	assert_true(cfg.sandbox && cfg.msg_timestamp);
	assert_int_equal(cfg.sandbox_props.len, 4);
	assert_string_equal(vmm_props_get(&cfg.sandbox_props, "elevateprivileges"), "children");
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "-sandbox", "off");
	assert_false(cfg.sandbox);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-global: 'nonsense' is not DRIVER.PROPERTY=VALUE", "-global", "nonsense");
	EXPECT_ERROR("-overcommit: mem-lock=on is not supported", "-overcommit", "mem-lock=on");
	EXPECT_ERROR("-sandbox: property 'spawn': 'maybe' is not valid (allow, deny)",
		     "-sandbox", "on,spawn=maybe");
	EXPECT_ERROR("-msg: unknown property 'colour'", "-msg", "colour=on");
	EXPECT_ERROR("-audiodev: only driver=none is supported, not 'pa'", "-audiodev",
		     "pa,id=a");
	EXPECT_ERROR("-audiodev: property 'id' is required", "-audiodev", "none");
}

/* ---- the syntax itself ---- */

static void boolean_spellings_and_bare_keys(void **state)
{
	static const char *const spellings[][2] = {
		{ "on", "off" }, { "yes", "no" }, { "true", "false" },
	};
	struct vmm_config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(spellings); i++) {
		char *yes = xasprintf("socket,id=s,path=/a,server=%s,wait=%s", spellings[i][0],
				      spellings[i][1]);

		PARSE_OK(&cfg, "-chardev", yes);
		assert_true(cfg.chardevs[0].server);
		assert_false(cfg.chardevs[0].wait);
		vmm_config_free(&cfg);
		free(yes);
	}
	PARSE_OK(&cfg, "-chardev", "socket,id=s,path=/a,server");	/* key alone: on */
	assert_true(cfg.chardevs[0].server);
	vmm_config_free(&cfg);
	EXPECT_ERROR("-chardev: property 'server': '1' is not on/off, yes/no or true/false",
		     "-chardev", "socket,id=s,path=/a,server=1");
}

static void key_value_syntax_is_qemus(void **state)
{
	struct vmm_props p = { 0 };
	struct err *e = NULL;

	assert_int_equal(vmm_kv_parse("tap,id=n0,,x,,,a=,b,c=1,", "type", &p, &e), 0);
	assert_int_equal(p.len, 5);
	assert_string_equal(p.items[0].key, "type");
	assert_true(p.items[0].implied);
	assert_string_equal(p.items[0].value, "tap");
	assert_string_equal(vmm_props_get(&p, "id"), "n0,x,");	/* ",,," is "," then a cut */
	assert_string_equal(vmm_props_get(&p, "a"), "");
	assert_string_equal(vmm_props_get(&p, "b"), "on");
	assert_string_equal(vmm_props_get(&p, "c"), "1");	/* a trailing comma is fine */
	vmm_props_free(&p);
	/* a first item with '=' is an ordinary key; repeating a key keeps its place */
	assert_int_equal(vmm_kv_parse("x=1,y=2,x=3", "type", &p, &e), 0);
	assert_int_equal(p.len, 2);
	assert_string_equal(p.items[0].value, "3");
	assert_false(p.items[0].implied);
	free(vmm_props_take(&p, "x"));
	assert_int_equal(p.len, 1);
	assert_null(vmm_props_take(&p, "x"));
	vmm_props_free(&p);
	assert_int_equal(vmm_kv_parse("a=1,=2", NULL, &p, &e), -1);
	assert_err(e, ERR_USAGE, "empty property name in '=2'");
	vmm_props_free(&p);
	EXPECT_ERROR("-drive: empty property name in '=x'", "-drive", "file=/a,=x");
}

static void props_typed_reads(void **state)
{
	struct vmm_props p = { 0 };
	struct err *e = NULL;
	uint64_t v;
	bool b;

	vmm_props_set(&p, "queues", "4");
	vmm_props_set(&p, "mq", "yes");
	vmm_props_set(&p, "size", "2M");
	assert_int_equal(vmm_props_uint(&p, "-device x", "queues", 1, 8, 1, &v, &e), 0);
	assert_true(v == 4);
	assert_int_equal(vmm_props_uint(&p, "-device x", "vectors", 0, 8, 3, &v, &e), 0);
	assert_true(v == 3);	/* absent: the default */
	assert_int_equal(vmm_props_bool(&p, "-device x", "mq", false, &b, &e), 0);
	assert_true(b);
	assert_int_equal(vmm_props_size(&p, "-device x", "size", 1, 0, &v, &e), 0);
	assert_true(v == 2 * MIB);
	assert_int_equal(vmm_props_uint(&p, "-device x", "queues", 1, 2, 1, &v, &e), -1);
	assert_err(e, ERR_USAGE, "-device x: property 'queues': '4' is out of range (1 to 2)");
	vmm_props_free(&p);
}

static void option_errors(void **state)
{
	struct vmm_config cfg;

	EXPECT_ERROR("unsupported option -foo", "-foo");
	EXPECT_ERROR("unsupported option -usb", "-name", "x", "-usb");
	EXPECT_ERROR("unsupported option -monitor", "--monitor", "stdio");
	EXPECT_ERROR("option -m needs a value", "-m");
	EXPECT_ERROR("unexpected argument 'disk.img' (a disk image needs -drive)", "disk.img");
	EXPECT_ERROR("unexpected argument '-' (a disk image needs -drive)", "-");
	/* -version and -help stop at once, as in QEMU */
	PARSE_OK(&cfg, "-version", "-bogus");
	assert_true(cfg.show_version);
	vmm_config_free(&cfg);
	PARSE_OK(&cfg, "--help");
	assert_true(cfg.show_help);
	vmm_config_free(&cfg);
}

static void describe_lists_what_was_parsed(void **state)
{
	struct vmm_config cfg;
	char *text;

	PARSE_OK(&cfg, "-name", "demo", "-m", "256", "-smp", "2", "-S", "-qmp",
		 "unix:/run/q.sock,server=on,wait=off", "-netdev", "user,id=n0", "-device",
		 "virtio-net-pci,netdev=n0,id=net0");
	text = vmm_config_describe(&cfg);
	assert_non_null(strstr(text, "name: demo\n"));
	assert_non_null(strstr(text, "memory: 268435456\n"));
	assert_non_null(strstr(text, "smp: cpus=2 maxcpus=2 sockets=1 dies=1 cores=2 threads=1\n"));
	assert_non_null(strstr(text, "flags: start-paused\n"));
	assert_non_null(strstr(text, "chardev compat_monitor0: socket path=/run/q.sock "
				     "server=on wait=off\n"));
	assert_non_null(strstr(text, "monitor -: chardev=compat_monitor0 pretty=off\n"));
	assert_non_null(strstr(text, "netdev n0: user\n"));
	assert_non_null(strstr(text, "device net0: virtio-net-pci netdev=n0\n"));
	free(text);
	vmm_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(our_generators_argv_parses),
		cmocka_unit_test(our_generators_full_argv_parses),
		cmocka_unit_test(libvirt_virtio_console_line_parses_without_usb),
		cmocka_unit_test(libvirt_file_serial_with_fdsets_parses_on_kvm),
		cmocka_unit_test(libvirt_key_value_devices_parse),
		cmocka_unit_test(every_libvirt_corpus_line_parses_or_names_what_is_missing),
		cmocka_unit_test(defaults_without_options),
		cmocka_unit_test(name_plain_guest_form_and_escaped_comma),
		cmocka_unit_test(uuid_is_parsed_and_a_bad_one_named),
		cmocka_unit_test(memory_size_forms_default_to_mib),
		cmocka_unit_test(smp_topology_is_filled_in_as_qemu_does),
		cmocka_unit_test(smp_errors_name_the_option),
		cmocka_unit_test(machine_takes_libvirts_harmless_properties),
		cmocka_unit_test(accel_is_kvm_only),
		cmocka_unit_test(cpu_model_and_feature_spellings),
		cmocka_unit_test(files_and_flags),
		cmocka_unit_test(display_none_only_and_nographic),
		cmocka_unit_test(rtc_and_boot),
		cmocka_unit_test(chardev_backends_and_escaped_paths),
		cmocka_unit_test(chardev_errors),
		cmocka_unit_test(qmp_makes_a_chardev_and_a_control_monitor),
		cmocka_unit_test(mon_is_control_mode_on_an_existing_chardev),
		cmocka_unit_test(serial_short_forms),
		cmocka_unit_test(device_key_value_and_json_forms),
		cmocka_unit_test(device_errors_name_driver_and_property),
		cmocka_unit_test(netdev_tap_and_user),
		cmocka_unit_test(drive_blockdev_object_add_fd),
		cmocka_unit_test(global_overcommit_sandbox_msg_audiodev),
		cmocka_unit_test(boolean_spellings_and_bare_keys),
		cmocka_unit_test(key_value_syntax_is_qemus),
		cmocka_unit_test(props_typed_reads),
		cmocka_unit_test(option_errors),
		cmocka_unit_test(describe_lists_what_was_parsed),
	};

	return cmocka_run_group_tests_name("vmm-options", tests, NULL, NULL);
}
