/* Unit tests: lib/conf/network (libvirt network XML) */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/conf/network.h"

static struct vnetwork *parse(const char *xml, struct err **errp)
{
	return vnetwork_parse(xml, strlen(xml), "net.xml", errp);
}

/* Parsing xml fails with this code and exactly this message. */
#define assert_rejects(xml, want_code, want_msg)                             \
	do {                                                                 \
		struct err *e_ = NULL;                                       \
		struct vnetwork *n_ = parse((xml), &e_);                     \
		assert_null(n_);                                             \
		assert_non_null(e_);                                         \
		assert_string_equal(e_->message, (want_msg));                \
		assert_string_equal(e_->code, (want_code));                  \
		err_clear(&e_);                                              \
	} while (0)

/* Parse xml, format it, compare with want; the output must also be a fixpoint. */
static void assert_formats_as(const char *xml, const char *want)
{
	struct err *e = NULL;
	struct vnetwork *net = parse(xml, &e);
	char *out, *again;

	if (!net)
		fail_msg("parse failed: %s", e->message);
	out = vnetwork_format(net);
	assert_string_equal(out, want);
	vnetwork_free(net);
	net = parse(out, &e);
	if (!net)
		fail_msg("re-parse failed: %s", e->message);
	again = vnetwork_format(net);
	assert_string_equal(again, out);
	free(again);
	free(out);
	vnetwork_free(net);
}

static void nat_network_formats_in_libvirt_order(void **state)
{
	assert_formats_as(
		"<network>\n"
		"  <name>default</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n"
		"  <bridge name=\"virbr0\"/>\n"
		"  <mtu size='7000'/>\n"
		"  <forward mode=\"nat\" dev=\"eth1\"/>\n"
		"  <ip address=\"192.168.122.1\" netmask=\"255.255.255.0\">\n"
		"    <dhcp>\n"
		"      <range start=\"192.168.122.2\" end=\"192.168.122.254\"/>\n"
		"      <host mac=\"00:16:3e:77:e2:ed\" name=\"a.example.com\""
		" ip=\"192.168.122.10\"/>\n"
		"    </dhcp>\n"
		"  </ip>\n"
		"  <ip family=\"ipv6\" address=\"2001:DB8:ac10:fe01:0::1\" prefix=\"64\">\n"
		"  </ip>\n"
		"  <ip family=\"ipv4\" address=\"10.24.10.1\"/>\n"
		"</network>\n",
		"<network>\n"
		"  <name>default</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n"
		"  <forward dev='eth1' mode='nat'>\n"
		"    <interface dev='eth1'/>\n"
		"  </forward>\n"
		"  <bridge name='virbr0' stp='on' delay='0'/>\n"
		"  <mtu size='7000'/>\n"
		"  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
		"    <dhcp>\n"
		"      <range start='192.168.122.2' end='192.168.122.254'/>\n"
		"      <host mac='00:16:3e:77:e2:ed' name='a.example.com' ip='192.168.122.10'/>\n"
		"    </dhcp>\n"
		"  </ip>\n"
		"  <ip family='ipv6' address='2001:db8:ac10:fe01::1' prefix='64'>\n"
		"  </ip>\n"
		"  <ip family='ipv4' address='10.24.10.1'>\n"
		"  </ip>\n"
		"</network>\n");
}

static void bare_forward_is_nat_and_netboot_options_are_kept(void **state)
{
	assert_formats_as(
		"<network>\n"
		"  <name>netboot</name>\n"
		"  <uuid>81ff0d90c91e674264da4a736edb9a9b</uuid>\n"
		"  <bridge name=\"virbr1\" stp='off' delay='1'/>\n"
		"  <domain name=\"example.com\"/>\n"
		"  <forward/>\n"
		"  <ip address=\"192.168.122.1\" netmask=\"255.255.255.0\">\n"
		"    <tftp root=\"/var/lib/tftproot\"/>\n"
		"    <dhcp>\n"
		"      <range start=\"192.168.122.2\" end=\"192.168.122.254\"/>\n"
		"      <bootp file=\"pxeboot.img\" server=\"192.168.122.5\"/>\n"
		"    </dhcp>\n"
		"  </ip>\n"
		"</network>\n",
		"<network>\n"
		"  <name>netboot</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n"
		"  <forward mode='nat'/>\n"
		"  <bridge name='virbr1' stp='off' delay='1'/>\n"
		"  <domain name='example.com'/>\n"
		"  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
		"    <tftp root='/var/lib/tftproot'/>\n"
		"    <dhcp>\n"
		"      <range start='192.168.122.2' end='192.168.122.254'/>\n"
		"      <bootp file='pxeboot.img' server='192.168.122.5'/>\n"
		"    </dhcp>\n"
		"  </ip>\n"
		"</network>\n");
}

static void isolated_network_lowercases_mac_and_drops_ipv6_no(void **state)
{
	assert_formats_as(
		"<network ipv6='no'><name>private</name>"
		"<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>"
		"<bridge name='virbr2' zone='myzone' macTableManager='libvirt'/>"
		"<mac address='52:54:00:17:3F:37'/></network>",
		"<network>\n"
		"  <name>private</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n"
		"  <bridge name='virbr2' zone='myzone' stp='on' delay='0'"
		" macTableManager='libvirt'/>\n"
		"  <mac address='52:54:00:17:3f:37'/>\n"
		"</network>\n");
	assert_formats_as(
		"<network ipv6='yes'><name>v6</name>"
		"<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid><forward mode='none'/></network>",
		"<network ipv6='yes'>\n"
		"  <name>v6</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n"
		"  <bridge stp='on' delay='0'/>\n"
		"</network>\n");
}

static void host_bridge_and_open_and_route_modes(void **state)
{
	assert_formats_as(
		"<network><name>host-bridge-net</name>"
		"<uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>"
		"<forward mode=\"bridge\"/><bridge name=\"br0\"/></network>",
		"<network>\n"
		"  <name>host-bridge-net</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>\n"
		"  <forward mode='bridge'/>\n"
		"  <bridge name='br0'/>\n"
		"</network>\n");
	assert_formats_as(
		"<network><name>open</name><uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>"
		"<forward mode='open'/><bridge name='virbr9'/>"
		"<ip address='192.0.2.1' prefix='24'/></network>",
		"<network>\n"
		"  <name>open</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>\n"
		"  <forward mode='open'/>\n"
		"  <bridge name='virbr9' stp='on' delay='0'/>\n"
		"  <ip address='192.0.2.1' prefix='24'>\n"
		"  </ip>\n"
		"</network>\n");
	assert_formats_as(
		"<network><name>local</name><uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>"
		"<forward mode='route'><interface dev='eth1'/></forward></network>",
		"<network>\n"
		"  <name>local</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>\n"
		"  <forward dev='eth1' mode='route'>\n"
		"    <interface dev='eth1'/>\n"
		"  </forward>\n"
		"  <bridge stp='on' delay='0'/>\n"
		"</network>\n");
}

static void nat_port_range_is_kept(void **state)
{
	assert_formats_as(
		"<network><name>n</name><uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>"
		"<forward mode='nat' dev='eth1'><nat><port start='60000' end='65432'/></nat>"
		"</forward></network>",
		"<network>\n"
		"  <name>n</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>\n"
		"  <forward dev='eth1' mode='nat'>\n"
		"    <nat>\n"
		"      <port start='60000' end='65432'/>\n"
		"    </nat>\n"
		"    <interface dev='eth1'/>\n"
		"  </forward>\n"
		"  <bridge stp='on' delay='0'/>\n"
		"</network>\n");
	assert_rejects("<network><name>n</name>\n<forward><nat><port start='2000' end='1000'/>"
		       "</nat></forward></network>", ERR_INVALID,
		       "net.xml:2: <port end='1000'>: '1000' is out of range (2000 to 65535)");
	assert_rejects("<network><name>n</name>\n<forward mode='route'><nat/></forward></network>",
		       ERR_INVALID, "net.xml:2: <nat> is only allowed in <forward mode='nat'>");
}

static void missing_uuid_is_generated_as_version_4(void **state)
{
	const char *xml = "<network><name>n</name></network>";
	struct err *e = NULL;
	struct vnetwork *a = parse(xml, &e), *b = parse(xml, &e);

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->uuid[6] >> 4, 4);
	assert_int_equal(a->uuid[8] & 0xc0, 0x80);
	assert_memory_not_equal(a->uuid, b->uuid, 16);
	vnetwork_free(a);
	vnetwork_free(b);
}

static void model_fields_and_prefixes(void **state)
{
	struct err *e = NULL;
	struct vnetwork *net = parse(
		"<network><name>m</name><mtu size='9000'/>"
		"<ip address='10.1.2.3'/><ip address='172.16.0.1'/><ip address='192.168.1.1'/>"
		"<ip address='192.168.1.1' netmask='255.255.0.0'/>"
		"<ip address='fd00::1'><dhcp><range start='fd00::10' end='fd00::20'/></dhcp></ip>"
		"</network>", &e);
	char text[VNET_ADDR_STRLEN];

	assert_non_null(net);
	assert_int_equal(net->mtu, 9000);
	assert_int_equal(net->n_ips, 5);
	assert_int_equal(vnet_ip_prefix(&net->ips[0]), 8);
	assert_int_equal(vnet_ip_prefix(&net->ips[1]), 16);
	assert_int_equal(vnet_ip_prefix(&net->ips[2]), 24);
	assert_int_equal(vnet_ip_prefix(&net->ips[3]), 16);
	assert_int_equal(vnet_ip_prefix(&net->ips[4]), 64);
	assert_int_equal(net->ips[4].address.family, AF_INET6);
	assert_string_equal(vnet_addr_format(&net->ips[4].ranges[0].end, text), "fd00::20");
	assert_int_equal(net->forward.mode, VNET_FWD_NONE);
	vnetwork_free(net);
}

static void special_characters_are_escaped(void **state)
{
	assert_formats_as(
		"<network><name>a&quot;b&apos;c&lt;&amp;</name>"
		"<uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>"
		"<domain name='x&amp;y'/></network>",
		"<network>\n"
		"  <name>a&quot;b&apos;c&lt;&amp;</name>\n"
		"  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid>\n"
		"  <bridge stp='on' delay='0'/>\n"
		"  <domain name='x&amp;y'/>\n"
		"</network>\n");
}

static void unknown_elements_and_attributes_are_named_with_their_line(void **state)
{
	assert_rejects("<network>\n  <name>n</name>\n  <dns>\n  </dns>\n</network>",
		       ERR_UNSUPPORTED, "net.xml:3: unsupported: /network/dns (line 3)");
	assert_rejects("<network>\n<name>n</name>\n<ip address='192.0.2.1'>\n<dhcp>\n"
		       "<range start='192.0.2.2' end='192.0.2.9'><lease expiry='1'/></range>\n"
		       "</dhcp></ip></network>",
		       ERR_UNSUPPORTED,
		       "net.xml:5: unsupported: /network/ip/dhcp/range/lease (line 5)");
	assert_rejects("<network>\n<name>n</name>\n<ip address='192.0.2.1' localPtr='yes'/>\n"
		       "</network>", ERR_UNSUPPORTED,
		       "net.xml:3: unsupported: /network/ip/@localPtr (line 3)");
	assert_rejects("<network trustGuestRxFilters='yes'><name>n</name></network>",
		       ERR_UNSUPPORTED,
		       "net.xml:1: unsupported: /network/@trustGuestRxFilters (line 1)");
	assert_rejects("<network xmlns:d='http://libvirt.org/schemas/network/dnsmasq/1.0'>\n"
		       "<name>n</name>\n<d:options/>\n</network>", ERR_UNSUPPORTED,
		       "net.xml:3: unsupported: /network/d:options (line 3)");
	assert_rejects("<network><name>n</name><forward mode='hostdev'/></network>",
		       ERR_UNSUPPORTED, "net.xml:1: unsupported: /network/forward/@mode (line 1)");
	assert_rejects("<domain><name>n</name></domain>", ERR_UNSUPPORTED,
		       "net.xml:1: unsupported: /domain (line 1)");
	assert_rejects("<network><name>n</name>\n<bridge name='br0'>x</bridge></network>",
		       ERR_UNSUPPORTED, "net.xml:2: unsupported: text in <bridge> (line 2)");
}

static void malformed_xml_names_file_and_line(void **state)
{
	struct err *e = NULL;

	assert_null(parse("<network>\n<name>n</name>\n<bridge name='x'>\n</network>", &e));
	assert_err(e, ERR_PARSE, "net.xml:4: malformed XML: ");
	assert_null(parse("", &e));
	assert_err(e, ERR_PARSE, "net.xml:");
	assert_null(vnetwork_parse("<network/>", VNET_MAX_XML_SIZE + 1, "big.xml", &e));
	assert_err(e, ERR_LIMIT, "big.xml: larger than 1048576 bytes");
}

/* A DOCTYPE is refused: no entity can expand, no external file is read. */
static void doctype_and_external_entities_are_refused(void **state)
{
	assert_rejects("<?xml version='1.0'?>\n<!DOCTYPE network [\n"
		       "<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
		       "<network><name>&x;</name></network>", ERR_UNSUPPORTED,
		       "net.xml: unsupported: <!DOCTYPE> (document type declarations are refused)");
	assert_rejects("<!DOCTYPE network [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
		       "<network><name>&b;&b;</name></network>", ERR_UNSUPPORTED,
		       "net.xml: unsupported: <!DOCTYPE> (document type declarations are refused)");
}

static void name_is_required_and_sane(void **state)
{
	assert_rejects("<network>\n<uuid>81ff0d90-c91e-6742-64da-4a736edb9a8e</uuid></network>",
		       ERR_INVALID, "net.xml: <network>: <name> is missing");
	assert_rejects("<network>\n<name></name></network>", ERR_INVALID,
		       "net.xml:2: <name></name>: a network name must not be empty");
	assert_rejects("<network><name>a/b</name></network>", ERR_INVALID,
		       "net.xml:1: <name>a/b</name>: a name cannot contain '/' or a newline");
	assert_rejects("<network><name>a</name>\n<name>b</name></network>", ERR_INVALID,
		       "net.xml:2: <name> is given twice in <network>");
	assert_rejects("<network><name>a</name>\n<uuid>81ff0d90-c91e</uuid></network>",
		       ERR_INVALID, "net.xml:2: <uuid>81ff0d90-c91e</uuid>: not a valid UUID");
}

static void bridge_and_forward_values_are_checked(void **state)
{
	assert_rejects("<network><name>n</name>\n<bridge name='virbr-much-too-long'/></network>",
		       ERR_INVALID,
		       "net.xml:2: <bridge name='virbr-much-too-long'>: "
		       "longer than 15 characters");
	assert_rejects("<network><name>n</name>\n<bridge name='br0' stp='maybe'/></network>",
		       ERR_INVALID, "net.xml:2: <bridge stp='maybe'>: expected one of: off, on");
	assert_rejects("<network><name>n</name>\n<bridge name='br0' delay='-1'/></network>",
		       ERR_INVALID, "net.xml:2: <bridge delay='-1'>: '-1' is not a valid number");
	assert_rejects("<network><name>n</name>\n<forward mode='tunnel'/></network>", ERR_INVALID,
		       "net.xml:2: <forward mode='tunnel'>: "
		       "expected one of: none, nat, route, open, bridge");
	assert_rejects("<network><name>n</name>\n<forward dev='eth0'><interface dev='eth1'/>"
		       "</forward></network>", ERR_INVALID,
		       "net.xml:2: <forward dev='eth0'>: differs from the first <interface dev>");
	assert_rejects("<network><name>n</name>\n<forward mode='open' dev='eth0'/></network>",
		       ERR_INVALID, "net.xml:2: <forward mode='open'> cannot have a forward dev");
	assert_rejects("<network><name>n</name>\n<forward mode='route'><interface dev='a'/>"
		       "<interface dev='b'/></forward></network>", ERR_INVALID,
		       "net.xml:2: <forward mode='route'> takes one forward dev");
	assert_rejects("<network><name>n</name>\n<mtu size='big'/></network>", ERR_INVALID,
		       "net.xml:2: <mtu size='big'>: 'big' is not a valid number");
	assert_rejects("<network><name>n</name>\n<mac address='01:00:5e:00:00:01'/></network>",
		       ERR_INVALID,
		       "net.xml:2: <mac address='01:00:5e:00:00:01'>: a multicast MAC address");
	assert_rejects("<network><name>n</name>\n<mac address='52:54:00:zz:00:01'/></network>",
		       ERR_INVALID,
		       "net.xml:2: <mac address='52:54:00:zz:00:01'>: "
		       "not a MAC address (expected xx:xx:xx:xx:xx:xx)");
}

static void bridge_mode_takes_no_addresses_and_one_bridge(void **state)
{
	assert_rejects("<network><name>n</name><forward mode='bridge'/><bridge name='br0'/>\n"
		       "<ip address='192.0.2.1' prefix='24'/></network>", ERR_INVALID,
		       "net.xml:1: <ip> is not allowed with <forward mode='bridge'> (line 1)");
	assert_rejects("<network><name>n</name>\n<forward mode='bridge'/>\n"
		       "<bridge name='br0' stp='on'/></network>", ERR_INVALID,
		       "net.xml:1: <bridge> stp and delay are not allowed with "
		       "<forward mode='bridge'> (line 3)");
	assert_rejects("<network><name>n</name>\n<forward mode='bridge'/></network>", ERR_INVALID,
		       "net.xml:1: <forward mode='bridge'> needs either a <bridge name> or a "
		       "forward dev (line 2)");
}

static void addresses_and_masks_are_checked(void **state)
{
	assert_rejects("<network><name>n</name>\n<ip address='300.1.1.1'/></network>", ERR_INVALID,
		       "net.xml:2: <ip address='300.1.1.1'>: not an IPv4 or IPv6 address");
	assert_rejects("<network><name>n</name>\n<ip netmask='255.0.0.0'/></network>", ERR_INVALID,
		       "net.xml:2: <ip address> is missing");
	assert_rejects("<network><name>n</name>\n<ip address='192.0.2.1' netmask='255.0.255.0'/>"
		       "</network>", ERR_INVALID,
		       "net.xml:2: <ip netmask='255.0.255.0'>: not a contiguous netmask");
	assert_rejects("<network><name>n</name>\n<ip address='192.0.2.1' prefix='33'/></network>",
		       ERR_INVALID,
		       "net.xml:2: <ip prefix='33'>: '33' is out of range (0 to 32)");
	assert_rejects("<network><name>n</name>\n<ip address='fd00::1' prefix='129'/></network>",
		       ERR_INVALID,
		       "net.xml:2: <ip prefix='129'>: '129' is out of range (0 to 128)");
	assert_rejects("<network><name>n</name>\n"
		       "<ip address='192.0.2.1' netmask='255.255.255.0' prefix='24'/></network>",
		       ERR_INVALID, "net.xml:2: <ip prefix='24'>: a netmask is given too");
	assert_rejects("<network><name>n</name>\n<ip family='ipv6' address='192.0.2.1'/></network>",
		       ERR_INVALID, "net.xml:2: <ip family='ipv6'>: the address is not IPv6");
	assert_rejects("<network><name>n</name>\n<ip family='inet' address='192.0.2.1'/></network>",
		       ERR_INVALID, "net.xml:2: <ip family='inet'>: expected one of: ipv4, ipv6");
	assert_rejects("<network><name>n</name>\n<ip address='fd00::1' netmask='ffff::'/>"
		       "</network>", ERR_INVALID,
		       "net.xml:2: <ip netmask='ffff::'>: "
		       "a netmask is for IPv4 only, use a prefix");
	assert_rejects("<network><name>n</name>\n<ip address='224.0.0.1'/></network>",
		       ERR_INVALID, "net.xml:2: <ip address='224.0.0.1'>: "
		       "a class D or E address needs a netmask or a prefix");
	assert_rejects("<network><name>n</name>\n<ip address='fd00::1'><tftp root='/x'/></ip>"
		       "</network>", ERR_INVALID,
		       "net.xml:2: <tftp> is only allowed in an IPv4 <ip>");
}

static void dhcp_ranges_and_hosts_stay_in_the_subnet(void **state)
{
	assert_rejects("<network><name>n</name><ip address='192.168.152.1' netmask='255.255.255.0'>"
		       "<dhcp>\n<range start='192.168.152.2' end='192.168.153.1'/></dhcp></ip>"
		       "</network>", ERR_INVALID,
		       "net.xml:2: <range end='192.168.153.1'>: "
		       "not inside the network 192.168.152.1/24");
	assert_rejects("<network><name>n</name><ip address='192.168.152.1' prefix='24'><dhcp>\n"
		       "<range start='192.168.152.200' end='192.168.152.100'/></dhcp></ip>"
		       "</network>", ERR_INVALID,
		       "net.xml:2: <range end='192.168.152.100'>: before the start of the range");
	assert_rejects("<network><name>n</name><ip address='192.168.152.1' prefix='24'><dhcp>\n"
		       "<range start='fd00::1' end='fd00::2'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:2: <range start='fd00::1'>: an IPv6 address in an IPv4 <ip>");
	assert_rejects("<network><name>n</name><ip address='192.168.152.1' prefix='24'><dhcp>\n"
		       "<range start='192.168.152.2'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:2: <range end> is missing");
	assert_rejects("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
		       "<host mac='01:16:3e:77:e2:ed' ip='10.0.0.5'/></dhcp></ip></network>",
		       ERR_INVALID,
		       "net.xml:2: <host mac='01:16:3e:77:e2:ed'>: a multicast MAC address");
	assert_rejects("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
		       "<host name='9lives' ip='10.0.0.5'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:2: <host name='9lives'>: does not start with a letter");
	assert_rejects("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
		       "<host ip='10.0.0.5'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:2: <host> needs a mac or a name");
	assert_rejects("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
		       "<host name='a' ip='11.0.0.5'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:2: <host ip='11.0.0.5'>: not inside the network 10.0.0.1/8");
	assert_rejects("<network><name>n</name>"
		       "<ip address='10.0.0.1' prefix='8'><dhcp><host name='a' ip='10.0.0.5'/>"
		       "</dhcp></ip>\n<ip address='10.1.0.1' prefix='16'><dhcp>"
		       "<host name='b' ip='10.1.0.5'/></dhcp></ip></network>", ERR_INVALID,
		       "net.xml:1: DHCP is given for more than one IPv4 <ip> (line 2)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nat_network_formats_in_libvirt_order),
		cmocka_unit_test(bare_forward_is_nat_and_netboot_options_are_kept),
		cmocka_unit_test(isolated_network_lowercases_mac_and_drops_ipv6_no),
		cmocka_unit_test(host_bridge_and_open_and_route_modes),
		cmocka_unit_test(nat_port_range_is_kept),
		cmocka_unit_test(missing_uuid_is_generated_as_version_4),
		cmocka_unit_test(model_fields_and_prefixes),
		cmocka_unit_test(special_characters_are_escaped),
		cmocka_unit_test(unknown_elements_and_attributes_are_named_with_their_line),
		cmocka_unit_test(malformed_xml_names_file_and_line),
		cmocka_unit_test(doctype_and_external_entities_are_refused),
		cmocka_unit_test(name_is_required_and_sane),
		cmocka_unit_test(bridge_and_forward_values_are_checked),
		cmocka_unit_test(bridge_mode_takes_no_addresses_and_one_bridge),
		cmocka_unit_test(addresses_and_masks_are_checked),
		cmocka_unit_test(dhcp_ranges_and_hosts_stay_in_the_subnet),
	};

	return cmocka_run_group_tests_name("network", tests, NULL, NULL);
}
