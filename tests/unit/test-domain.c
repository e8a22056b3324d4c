/* Unit tests: lib/conf domain parsing, defaults, validation and formatting. */
#include "tests/unit/unit.h"

#include <stdio.h>

#include "lib/conf/domain.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* Schemas from the source tree, so schema validation is part of every test. */
static const char *schema_dir(void)
{
	static char dir[4096];
	const char *src = getenv("VIREO_TEST_SRCDIR");

	snprintf(dir, sizeof(dir), "%s/schemas", src && *src ? src : SRCDIR);
	return dir;
}

/* A minimal domain with `devices` spliced into <devices> and `extra` after <os>. */
static char *doc(const char *extra, const char *devices)
{
	return xasprintf("<domain type='kvm'>\n"
			 "  <name>web</name>\n"
			 "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
			 "  <memory unit='MiB'>512</memory>\n"
			 "  <vcpu>2</vcpu>\n"
			 "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
			 "%s"
			 "  <devices>\n%s  </devices>\n"
			 "</domain>\n",
			 extra, devices);
}

static struct vdomain *parse_ok(const char *xml)
{
	struct err *e = NULL;
	struct vdomain *d = vdomain_parse(xml, strlen(xml), "t.xml", schema_dir(), &e);

	if (!d)
		fail_msg("parse failed: %s\n%s", e->message, xml);
	return d;
}

/* Parse must fail with this code and a message containing `needle`. */
static void parse_fails(const char *xml, const char *code, const char *needle)
{
	struct err *e = NULL;
	struct vdomain *d = vdomain_parse(xml, strlen(xml), "t.xml", schema_dir(), &e);

	if (d)
		fail_msg("parse unexpectedly succeeded:\n%s", xml);
	if (strcmp(e->code, code) || !strstr(e->message, needle))
		fail_msg("got [%s] %s\nwanted [%s] ...%s...", e->code, e->message, code, needle);
	err_free(e);
}

static void fails_with(const char *extra, const char *devices, const char *code,
		       const char *needle)
{
	char *x = doc(extra, devices);

	parse_fails(x, code, needle);
	free(x);
}

static struct vdomain *parse_devices(const char *devices)
{
	char *x = doc("", devices);
	struct vdomain *d = parse_ok(x);

	free(x);
	return d;
}

/* The formatted XML of d contains `needle`. */
static void formats_with(const struct vdomain *d, const char *needle)
{
	char *x = vdomain_format(d);

	if (!strstr(x, needle))
		fail_msg("formatted XML lacks '%s':\n%s", needle, x);
	free(x);
}

static void memory_units_are_libvirts(void **state)
{
	static const struct {
		const char *value, *unit;
		uint64_t kib;
	} cases[] = {
		{ "524288", NULL, 524288 },		/* no unit: KiB */
		{ "512", "M", 524288 },
		{ "512", "MiB", 524288 },
		{ "1", "G", 1048576 },
		{ "1", "GB", 976563 },			/* 10^9 bytes, rounded up to KiB */
		{ "1000", "KB", 977 },
		{ "1048576", "b", 1024 },
		{ "2", "TiB", 2147483648ULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *mem = cases[i].unit
				    ? xasprintf("<memory unit='%s'>%s</memory>", cases[i].unit,
						cases[i].value)
				    : xasprintf("<memory>%s</memory>", cases[i].value);
		char *x = xasprintf("<domain type='qemu'><name>m</name>%s<os><type>hvm</type></os>"
				    "<devices/></domain>",
				    mem);
		struct vdomain *d = parse_ok(x);

		if (d->memory_kib != cases[i].kib)
			fail_msg("%s %s: got %llu KiB, want %llu", cases[i].value,
				 cases[i].unit ? cases[i].unit : "(none)",
				 (unsigned long long)d->memory_kib,
				 (unsigned long long)cases[i].kib);
		assert_true(d->current_memory_kib == d->memory_kib);
		vdomain_free(d);
		free(x);
		free(mem);
	}
}

static void defaults_are_filled_in_like_libvirt(void **state)
{
	const char *x = "<domain type='kvm'><name>n</name><memory>65536</memory>"
			"<vcpu>1</vcpu><os><type>hvm</type></os><devices>"
			"<interface type='user'/></devices></domain>";
	struct vdomain *d = parse_ok(x);
	char *out = vdomain_format(d);

	assert_true(d->uuid_set);
	assert_int_equal(d->interfaces[0].mac[0], 0x52);
	assert_int_equal(d->interfaces[0].mac[1], 0x54);
	assert_int_equal(d->interfaces[0].mac[2], 0x00);
	assert_non_null(strstr(out, "<vcpu placement='static'>1</vcpu>"));
	assert_non_null(strstr(out, "<type arch='x86_64' machine='pc'>hvm</type>"));
	assert_non_null(strstr(out, "<boot dev='hd'/>"));
	assert_non_null(strstr(out, "<on_poweroff>destroy</on_poweroff>"));
	assert_non_null(strstr(out, "<on_reboot>restart</on_reboot>"));
	assert_non_null(strstr(out, "<controller type='pci' index='0' model='pci-root'/>"));
	assert_non_null(strstr(out, "<input type='mouse' bus='ps2'/>"));
	assert_non_null(strstr(out, "<audio id='1' type='none'/>"));
	/* memballoon added, NIC then balloon in PCI slot order */
	assert_non_null(strstr(out, "<memballoon model='virtio'>"));
	assert_non_null(strstr(out, "slot='0x02'"));
	assert_non_null(strstr(out, "slot='0x03'"));
	free(out);
	vdomain_free(d);
}

static void format_is_a_fixpoint(void **state)
{
	char *x = doc("  <features><acpi/><apic/></features>\n"
		      "  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>\n",
		      "<disk type='file' device='disk'><source file='/var/a.img'/>"
		      "<target dev='vda' bus='virtio'/></disk>"
		      "<interface type='network'><source network='default'/>"
		      "<model type='virtio'/><driver name='vhost' queues='2'/></interface>"
		      "<serial type='pty'/><memballoon model='virtio'><stats period='10'/>"
		      "</memballoon><rng model='virtio'><backend model='random'>/dev/urandom"
		      "</backend></rng><panic model='isa'/>");
	struct vdomain *d = parse_ok(x), *d2;
	char *out1 = vdomain_format(d), *out2;

	d2 = parse_ok(out1);
	out2 = vdomain_format(d2);
	assert_string_equal(out1, out2);
	assert_non_null(strstr(out1, "<driver name='vhost' queues='2'/>"));
	assert_non_null(strstr(out1, "<stats period='10'/>"));
	assert_non_null(strstr(out1, "<timer name='rtc' tickpolicy='catchup'/>"));
	vdomain_free(d);
	vdomain_free(d2);
	free(out1);
	free(out2);
	free(x);
}

static void interface_elements_round_trip(void **state)
{
	struct vdomain *d = parse_devices(
		"<interface type='ethernet'><mac address='52:54:00:aa:bb:cc'/>"
		"<target dev='tap7' managed='no'/><model type='virtio'/>"
		"<driver name='qemu' queues='4' rx_queue_size='512' tx_queue_size='256' "
		"event_idx='off' ioeventfd='on'><host csum='off'/><guest tso4='off'/></driver>"
		"<mtu size='9000'/><link state='down'/></interface>"
		"<interface type='bridge'><source bridge='br0'/><model type='e1000'/></interface>");
	const struct vdom_interface *n = &d->interfaces[0];

	assert_int_equal(n->type, VDOM_NET_ETHERNET);
	assert_int_equal(n->queues, 4);
	assert_int_equal(n->rx_queue_size, 512);
	assert_int_equal(n->backend, VDOM_NET_BACKEND_QEMU);
	assert_int_equal(n->target_managed, VTRI_OFF);
	assert_int_equal(n->mtu, 9000);
	assert_int_equal(n->host_csum, VTRI_OFF);
	assert_string_equal(d->interfaces[1].source_bridge, "br0");
	formats_with(d, "<mac address='52:54:00:aa:bb:cc'/>");
	formats_with(d, "<target dev='tap7' managed='no'/>");
	formats_with(d, "<driver name='qemu' ioeventfd='on' event_idx='off' queues='4' "
			"rx_queue_size='512' tx_queue_size='256'>");
	formats_with(d, "<host csum='off'/>");
	formats_with(d, "<link state='down'/>");
	formats_with(d, "<mtu size='9000'/>");
	vdomain_free(d);
}

static void interface_rules_match_libvirts(void **state)
{
	fails_with("", "<interface type='user'><model type='e1000'/><driver queues='2'/></interface>",
		   ERR_INVALID, "queues='2' needs <model type='virtio'>, not 'e1000'");
	fails_with("", "<interface type='user'><model type='rtl8139'/><driver name='vhost'/></interface>",
		   ERR_INVALID, "<driver name='vhost'> needs <model type='virtio'>");
	fails_with("", "<interface type='user'><model type='virtio'/><driver rx_queue_size='511'/></interface>",
		   ERR_INVALID, "t.xml:8: <interface><driver rx_queue_size='511'>: rx_queue_size has to be a power of two");
	fails_with("", "<interface type='user'><model type='virtio'/><driver tx_queue_size='2048'/></interface>",
		   ERR_INVALID, "tx_queue_size has to be a power of two from 256 to 1024");
	fails_with("", "<interface type='bridge'><model type='virtio'/></interface>", ERR_INVALID,
		   "<interface type='bridge'>: <source bridge> is missing");
	fails_with("", "<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>",
		   ERR_INVALID, "expected a unicast MAC address");
	fails_with("", "<interface type='user'><mac address='52:54:00:zz:00:01'/></interface>",
		   ERR_INVALID, "not a MAC address");
	fails_with("", "<interface type='ethernet'><target dev='averyveryverylongtapname'/></interface>",
		   ERR_INVALID, "longer than 15 characters");
}

/* <ip> on a user-mode interface: the guest network, kept and formatted back. */
static void user_interface_ip(void **state)
{
	struct vdomain *d = parse_devices("<interface type='user'>"
					  "<ip family='ipv4' address='192.0.2.0' prefix='24'/></interface>");

	(void)state;
	assert_string_equal(d->interfaces[0].ip_address, "192.0.2.0");
	assert_int_equal(d->interfaces[0].ip_prefix, 24);
	formats_with(d, "<ip family='ipv4' address='192.0.2.0' prefix='24'/>");
	vdomain_free(d);
	fails_with("", "<interface type='user'><ip address='192.0.2.300'/></interface>",
		   ERR_INVALID, "must be an IPv4 address");
	fails_with("", "<interface type='user'><ip address='192.0.2.0' prefix='33'/></interface>",
		   ERR_INVALID, "prefix");
	fails_with("", "<interface type='ethernet'><ip address='192.0.2.0'/></interface>",
		   ERR_UNSUPPORTED, "ip");
}

static void negative_queues_say_what_is_wrong(void **state)
{
	fails_with("", "<interface type='user'><model type='virtio'/><driver name='vhost' queues='-5'/></interface>",
		   ERR_INVALID, "<driver queues='-5'>: '-5' is not a valid number");
}

static void unsupported_elements_are_named_with_line(void **state)
{
	fails_with("", "<sound model='ich9'/>\n", ERR_UNSUPPORTED,
		   "t.xml:8: unsupported: /domain/devices/sound (line 8)");
	fails_with("  <memtune><hard_limit>1</hard_limit></memtune>\n", "", ERR_UNSUPPORTED,
		   "t.xml:7: unsupported: /domain/memtune (line 7)");
	fails_with("", "<interface type='vhostuser'/>", ERR_UNSUPPORTED,
		   "unsupported: /domain/devices/interface/@type");
	fails_with("", "<interface type='user'><driver rss='on'/></interface>", ERR_UNSUPPORTED,
		   "unsupported: /domain/devices/interface/driver/@rss");
	fails_with("", "<disk type='network' device='disk'/>", ERR_UNSUPPORTED,
		   "unsupported: /domain/devices/disk/@type");
}

static void malformed_xml_names_file_and_line(void **state)
{
	parse_fails("<domain type='kvm'>\n<name>x</name>\n<memory>1</memory\n</domain>", ERR_PARSE,
		    "t.xml:4: expected '>'");
	parse_fails("", ERR_PARSE, "t.xml:");
	parse_fails("<network><name>x</name></network>", ERR_PARSE,
		    "expected a <domain> document, not <network>");
}

static void missing_pieces_are_errors(void **state)
{
	parse_fails("<domain type='kvm'><name>x</name><os><type>hvm</type></os></domain>",
		    ERR_INVALID, "memory size must be given with <memory>");
	parse_fails("<domain type='kvm'><memory>1024</memory><os><type>hvm</type></os></domain>",
		    ERR_INVALID, "<name> is missing");
	parse_fails("<domain type='xen'><name>x</name></domain>", ERR_UNSUPPORTED,
		    "unsupported: /domain/@type");
	fails_with("", "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk>"
		   "<disk type='file' device='disk'><source file='/b'/><target dev='vda'/></disk>",
		   ERR_INVALID, "target 'vda' is used twice");
	fails_with("", "<disk type='file' device='disk'><target dev='vdb'/></disk>", ERR_INVALID,
		   "<disk device='disk'>: <source> is missing");
	/* Found by fuzzing: a huge controller number once meant 65536 implicit
	 * controllers and minutes of work. */
	fails_with("", "<disk type='file' device='disk'><source file='/a'/><target dev='hda'/>"
		   "<address type='drive' controller='65535' bus='0' target='0' unit='0'/></disk>",
		   ERR_INVALID, "controller='65535'>: '65535' is out of range (0 to 31)");
}

static void disks_get_buses_addresses_and_controllers(void **state)
{
	struct vdomain *d = parse_devices(
		"<disk type='file' device='disk'><source file='/b.img'/><target dev='vdb'/></disk>"
		"<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/></disk>"
		"<disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/>"
		"<serial>  SER1</serial><boot order='1'/></disk>");

	/* Sorted as libvirt inserts them: by bus, then by name within a bus. */
	assert_string_equal(d->disks[0].target_dev, "vda");
	assert_string_equal(d->disks[1].target_dev, "vdb");
	assert_string_equal(d->disks[2].target_dev, "hdc");
	assert_int_equal(d->disks[0].bus, VDOM_BUS_VIRTIO);
	assert_true(d->disks[2].readonly);	/* cdroms are read-only */
	assert_int_equal(d->disks[2].addr.type, VDOM_ADDR_DRIVE);
	assert_int_equal(d->disks[2].addr.bus, 1);
	assert_string_equal(d->disks[0].serial, "  SER1");
	formats_with(d, "<driver name='qemu' type='raw'/>");
	formats_with(d, "<address type='drive' controller='0' bus='1' target='0' unit='0'/>");
	formats_with(d, "<controller type='ide' index='0'>");
	formats_with(d, "<boot order='1'/>");
	/* per-device boot: no <os><boot> added */
	assert_int_equal(d->os.nboot, 0);
	vdomain_free(d);
}

static void serial_and_console_alias_like_libvirt(void **state)
{
	struct vdomain *d = parse_devices("<console type='pty'><target type='serial'/></console>");

	assert_int_equal(d->n_serials, 1);
	assert_string_equal(d->serials[0].target_type, "isa-serial");
	assert_int_equal(d->serials[0].port, 0);
	formats_with(d, "<target type='isa-serial' port='0'>\n        <model name='isa-serial'/>");
	vdomain_free(d);
	d = parse_devices("<serial type='file'><source path='/var/log/s.log' append='on'/>"
			  "<log file='/var/log/s2.log' append='off'/></serial>"
			  "<console type='pty'><target type='virtio' port='1'/></console>");
	assert_int_equal(d->n_consoles, 2);
	assert_int_equal(d->consoles[0].target, VDOM_CON_TARGET_SERIAL);
	formats_with(d, "<source path='/var/log/s.log' append='on'/>");
	formats_with(d, "<log file='/var/log/s2.log' append='off'/>");
	formats_with(d, "<controller type='virtio-serial' index='0'>");
	vdomain_free(d);
	fails_with("", "<serial type='file'/>", ERR_INVALID, "<serial type='file'>: <source path> is missing");
}

static void balloon_options_and_none(void **state)
{
	struct vdomain *d = parse_devices("<memballoon model='virtio' autodeflate='on' "
					  "freePageReporting='on'><stats period='5'/></memballoon>");

	assert_int_equal(d->memballoon.autodeflate, VTRI_ON);
	assert_int_equal(d->memballoon.free_page_reporting, VTRI_ON);
	assert_int_equal(d->memballoon.stats_period, 5);
	formats_with(d, "<memballoon model='virtio' autodeflate='on' freePageReporting='on'>");
	vdomain_free(d);
	d = parse_devices("<memballoon model='none'/>");
	assert_true(d->memballoon.none);
	formats_with(d, "<memballoon model='none'/>");
	vdomain_free(d);
	fails_with("", "<memballoon model='none'><stats period='5'/></memballoon>", ERR_INVALID,
		   "<memballoon model='none'> takes no options");
}

static void kept_as_written_title_description_metadata(void **state)
{
	char *x = doc("", "");
	char *y = xasprintf("%.*s<title>Web &amp; mail</title><description> two\n lines </description>"
			    "<metadata><app:x xmlns:app='urn:x'>1</app:x></metadata>%s",
			    (int)(strstr(x, "  <memory") - x), x, strstr(x, "  <memory"));
	struct vdomain *d = parse_ok(y);

	assert_string_equal(d->title, "Web & mail");
	assert_string_equal(d->description, " two\n lines ");
	formats_with(d, "<title>Web &amp; mail</title>");
	formats_with(d, "<app:x xmlns:app=\"urn:x\">1</app:x>");
	vdomain_free(d);
	free(x);
	free(y);
}

static void cpu_topology_and_vcpu_current(void **state)
{
	char *x = xasprintf("<domain type='kvm'><name>c</name><memory>65536</memory>"
			    "<vcpu current='2'>4</vcpu><os><type>hvm</type></os>"
			    "<cpu mode='host-passthrough'><topology sockets='2' cores='2' threads='1'/>"
			    "</cpu><devices/></domain>");
	struct vdomain *d = parse_ok(x);

	assert_int_equal(d->cpu.sockets, 2);
	assert_int_equal(d->cpu.dies, 1);
	formats_with(d, "<vcpu placement='static' current='2'>4</vcpu>");
	formats_with(d, "<topology sockets='2' dies='1' cores='2' threads='1'/>");
	vdomain_free(d);
	free(x);
	x = xasprintf("<domain type='kvm'><name>c</name><memory>65536</memory><vcpu>3</vcpu>"
		      "<os><type>hvm</type></os><cpu><topology sockets='2' cores='2' threads='1'/>"
		      "</cpu></domain>");
	parse_fails(x, ERR_INVALID, "<cpu><topology> gives 4 vCPUs but <vcpu> says 3");
	free(x);
}

static void kernel_boot_and_lifecycle(void **state)
{
	char *x = xasprintf("<domain type='kvm'><name>k</name><memory>65536</memory>"
			    "<os><type>hvm</type><kernel>/boot/vmlinuz</kernel>"
			    "<initrd>/boot/initrd</initrd><cmdline>console=ttyS0</cmdline></os>"
			    "<on_poweroff>preserve</on_poweroff><on_crash>coredump-restart</on_crash>"
			    "<pm><suspend-to-mem enabled='no'/></pm><devices/></domain>");
	struct vdomain *d = parse_ok(x);

	formats_with(d, "<kernel>/boot/vmlinuz</kernel>\n    <initrd>/boot/initrd</initrd>\n"
			"    <cmdline>console=ttyS0</cmdline>");
	formats_with(d, "<on_poweroff>preserve</on_poweroff>");
	formats_with(d, "<on_crash>coredump-restart</on_crash>");
	formats_with(d, "<suspend-to-mem enabled='no'/>");
	vdomain_free(d);
	free(x);
	fails_with("  <on_reboot>coredump-destroy</on_reboot>\n", "", ERR_INVALID,
		   "coredump actions are only valid for <on_crash>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_units_are_libvirts),
		cmocka_unit_test(defaults_are_filled_in_like_libvirt),
		cmocka_unit_test(format_is_a_fixpoint),
		cmocka_unit_test(interface_elements_round_trip),
		cmocka_unit_test(interface_rules_match_libvirts),
		cmocka_unit_test(user_interface_ip),
		cmocka_unit_test(negative_queues_say_what_is_wrong),
		cmocka_unit_test(unsupported_elements_are_named_with_line),
		cmocka_unit_test(malformed_xml_names_file_and_line),
		cmocka_unit_test(missing_pieces_are_errors),
		cmocka_unit_test(disks_get_buses_addresses_and_controllers),
		cmocka_unit_test(serial_and_console_alias_like_libvirt),
		cmocka_unit_test(balloon_options_and_none),
		cmocka_unit_test(kept_as_written_title_description_metadata),
		cmocka_unit_test(cpu_topology_and_vcpu_current),
		cmocka_unit_test(kernel_boot_and_lifecycle),
	};

	return cmocka_run_group_tests_name("domain", tests, NULL, NULL);
}
