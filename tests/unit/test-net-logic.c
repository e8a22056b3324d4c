/* Unit tests: the pure parts of vireod's host networking (daemon/network): the host
 * MAC of a tap, subnet overlaps, a network's nftables ruleset and dnsmasq
 * configuration, the table name. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <sys/socket.h>

#include "daemon/network/dnsmasq.h"
#include "daemon/network/nft.h"
#include "daemon/network/subnet.h"
#include "daemon/network/tap.h"
#include "lib/conf/network.h"

static struct vnetwork *parse(const char *xml)
{
	struct err *e = NULL;
	struct vnetwork *net = vnetwork_parse(xml, strlen(xml), "net.xml", &e);

	if (!net)
		fail_msg("parse failed: %s", e->message);
	return net;
}

static struct vnet_addr addr(const char *text)
{
	struct vnetwork *net;
	struct vnet_addr a;
	char xml[256];

	/* through the parser, so the tests use the model's own address reading */
	snprintf(xml, sizeof(xml),
		 "<network><name>a</name><ip address='%s' prefix='24'/></network>", text);
	net = parse(xml);
	a = net->ips[0].address;
	vnetwork_free(net);
	return a;
}

static void host_mac_is_guest_mac_with_first_byte_fe(void **state)
{
	const uint8_t guest[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	const uint8_t want[6] = { 0xfe, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t host[6];

	tap_host_mac(guest, host);
	assert_memory_equal(host, want, 6);
}

static void host_mac_is_fa_when_the_guest_mac_starts_with_fe(void **state)
{
	const uint8_t guest[6] = { 0xfe, 0x54, 0x00, 0x00, 0x00, 0x01 };
	uint8_t host[6];

	tap_host_mac(guest, host);
	assert_int_equal(host[0], 0xfa);
	assert_memory_equal(host + 1, guest + 1, 5);
}

static void subnets_overlap_when_one_contains_the_other(void **state)
{
	struct vnet_addr a = addr("192.0.2.1"), b = addr("192.0.2.200"), c = addr("198.51.100.1");
	struct vnet_addr v6 = addr("2001:db8::1");

	assert_true(subnet_overlap(&a, 24, &b, 25));	/* 192.0.2.128/25 inside /24 */
	assert_true(subnet_overlap(&b, 25, &a, 24));
	assert_false(subnet_overlap(&a, 25, &b, 25));	/* the two halves */
	assert_false(subnet_overlap(&a, 24, &c, 24));
	assert_true(subnet_overlap(&a, 24, &a, 32));	/* a host address in it */
	assert_true(subnet_overlap(&a, 8, &c, 1));	/* 128.0.0.0/1 holds both */
	assert_false(subnet_overlap(&a, 24, &v6, 24));	/* families never overlap */
}

static void subnet_text_is_the_network_address(void **state)
{
	struct vnet_addr a = addr("198.51.100.200");
	char buf[SUBNET_STRLEN];

	assert_string_equal(subnet_format(&a, 25, buf), "198.51.100.128/25");
	assert_string_equal(subnet_format(&a, 24, buf), "198.51.100.0/24");
	assert_string_equal(subnet_format(&a, 32, buf), "198.51.100.200/32");
	assert_string_equal(subnet_format(&a, 0, buf), "0.0.0.0/0");
}

static void range_size_counts_both_ends(void **state)
{
	struct vnet_addr s = addr("192.0.2.10"), e = addr("192.0.2.100");

	assert_int_equal(subnet_range_size(&s, &e), 91);
	assert_int_equal(subnet_range_size(&e, &s), 0);
}

static void table_name_is_vireo_and_the_name_or_the_uuid(void **state)
{
	const uint8_t uuid[16] = { 0xde, 0xad, 0xbe, 0xef };
	char *a = nft_table_name("nat1", uuid), *b = nft_table_name("my net", uuid);

	assert_string_equal(a, "vireo-nat1");
	assert_string_equal(b, "vireo-deadbeef");	/* a blank is not a bare nft word */
	free(a);
	free(b);
}

static const char NAT_XML[] =
	"<network><name>t1</name><forward mode='nat'/><bridge name='vbr-t1'/>"
	"<ip address='192.0.2.1' netmask='255.255.255.0'>"
	"<dhcp><range start='192.0.2.10' end='192.0.2.100'/>"
	"<host mac='52:54:00:00:00:01' name='web' ip='192.0.2.5'/></dhcp></ip></network>";

static void nat_ruleset_masquerades_the_subnet_and_guards_the_bridge(void **state)
{
	struct vnetwork *net = parse(NAT_XML);
	char *rules = nft_ruleset(net, "vireo-t1", "vbr-t1");

	assert_string_equal(rules,
		"# vireod: the table of network 't1' (bridge vbr-t1)\n"
		"table ip vireo-t1\n"
		"delete table ip vireo-t1\n"
		"table ip vireo-t1 {\n"
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\toifname \"vbr-t1\" ip daddr 192.0.2.0/24 ct state related,established accept\n"
		"\t\tiifname \"vbr-t1\" ip saddr 192.0.2.0/24 accept\n"
		"\t\tiifname \"vbr-t1\" oifname \"vbr-t1\" accept\n"
		"\t\tiifname \"vbr-t1\" reject\n"
		"\t\toifname \"vbr-t1\" reject\n"
		"\t}\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip saddr 192.0.2.0/24 ip daddr 224.0.0.0/24 return\n"
		"\t\tip saddr 192.0.2.0/24 ip daddr 255.255.255.255 return\n"
		"\t\tip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 meta l4proto { tcp, udp } "
		"masquerade to :1024-65535\n"
		"\t\tip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 masquerade\n"
		"\t}\n"
		"}\n");
	free(rules);
	vnetwork_free(net);
}

static void nat_port_range_and_forward_dev_reach_the_rules(void **state)
{
	struct vnetwork *net = parse(
		"<network><name>t2</name><forward mode='nat' dev='up0'><nat><port start='2000' "
		"end='3000'/></nat></forward><bridge name='vbr-t2'/>"
		"<ip address='198.51.100.1' prefix='24'/></network>");
	char *rules = nft_ruleset(net, "vireo-t2", "vbr-t2");

	assert_non_null(strstr(rules, "oifname \"up0\" ip saddr 198.51.100.0/24 ip daddr != "
				      "198.51.100.0/24 meta l4proto { tcp, udp } masquerade to "
				      ":2000-3000\n"));
	assert_non_null(strstr(rules, "iifname \"vbr-t2\" oifname \"up0\" ip saddr "
				      "198.51.100.0/24 accept\n"));
	free(rules);
	vnetwork_free(net);
}

static void routed_network_has_no_nat_and_isolated_one_only_rejects(void **state)
{
	struct vnetwork *route = parse("<network><name>r</name><forward mode='route'/>"
				       "<bridge name='vbr-r'/><ip address='203.0.113.1' "
				       "prefix='24'/></network>");
	struct vnetwork *iso = parse("<network><name>i</name><bridge name='vbr-i'/>"
				     "<ip address='203.0.113.1' prefix='24'/></network>");
	struct vnetwork *open = parse("<network><name>o</name><forward mode='open'/>"
				      "<bridge name='vbr-o'/></network>");
	char *r = nft_ruleset(route, "vireo-r", "vbr-r"), *i = nft_ruleset(iso, "vireo-i", "vbr-i");

	assert_null(strstr(r, "masquerade"));
	assert_non_null(strstr(r, "oifname \"vbr-r\" ip daddr 203.0.113.0/24 accept\n"));
	assert_null(strstr(i, "203.0.113"));
	assert_non_null(strstr(i, "iifname \"vbr-i\" reject\n"));
	assert_true(nft_wanted(route) && nft_wanted(iso));
	assert_false(nft_wanted(open));
	free(r);
	free(i);
	vnetwork_free(route);
	vnetwork_free(iso);
	vnetwork_free(open);
}

static void dnsmasq_config_serves_dhcp_and_dns_on_the_bridge_only(void **state)
{
	struct vnetwork *net = parse(NAT_XML);
	struct dnsmasq_paths p = { "/run/t1/dnsmasq.conf", "/run/t1/dnsmasq.pid",
				   "/run/t1/dnsmasq.leases" };
	char *conf = dnsmasq_conf(net, "vbr-t1", &p);

	assert_string_equal(conf,
		"## written by vireod for network 't1': changes are lost at the next start "
		"(use vireo net-define)\n"
		"strict-order\n"
		"pid-file=/run/t1/dnsmasq.pid\n"
		"except-interface=lo\n"
		"bind-dynamic\n"
		"interface=vbr-t1\n"
		"dhcp-range=192.0.2.10,192.0.2.100,255.255.255.0\n"
		"dhcp-host=52:54:00:00:00:01,192.0.2.5,web\n"
		"dhcp-no-override\n"
		"dhcp-authoritative\n"
		"dhcp-lease-max=91\n"
		"dhcp-leasefile=/run/t1/dnsmasq.leases\n");
	assert_true(dnsmasq_wanted(net));
	free(conf);
	vnetwork_free(net);
}

static void dnsmasq_config_without_dhcp_has_dns_only(void **state)
{
	struct vnetwork *net = parse("<network><name>d</name><bridge name='vbr-d'/>"
				     "<domain name='example.test'/>"
				     "<ip address='203.0.113.1' prefix='24'/></network>");
	struct dnsmasq_paths p = { "c", "p", "l" };
	char *conf = dnsmasq_conf(net, "vbr-d", &p);

	assert_null(strstr(conf, "dhcp"));
	assert_non_null(strstr(conf, "domain=example.test\nexpand-hosts\nlocal=/example.test/\n"));
	free(conf);
	vnetwork_free(net);
}

static void names_and_values_that_would_break_the_files_are_refused(void **state)
{
	struct vnetwork *net = parse("<network><name>q</name><bridge name='vbr-q'/>"
				     "<ip address='203.0.113.1' prefix='24'><dhcp>"
				     "<host mac='52:54:00:00:00:02' name='a,b' ip='203.0.113.9'/>"
				     "</dhcp></ip></network>");
	struct err *e = NULL;

	assert_int_equal(nft_check_ifname("bridge name", "vbr-ok.1_x", &e), 0);
	assert_int_equal(nft_check_ifname("bridge name", "br\"x", &e), -1);
	assert_err(e, ERR_INVALID, "bridge name 'br\"x'");
	assert_int_equal(dnsmasq_check(net, &e), -1);
	assert_err(e, ERR_INVALID, "<host name> 'a,b' cannot go into dnsmasq's configuration");
	vnetwork_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_mac_is_guest_mac_with_first_byte_fe),
		cmocka_unit_test(host_mac_is_fa_when_the_guest_mac_starts_with_fe),
		cmocka_unit_test(subnets_overlap_when_one_contains_the_other),
		cmocka_unit_test(subnet_text_is_the_network_address),
		cmocka_unit_test(range_size_counts_both_ends),
		cmocka_unit_test(table_name_is_vireo_and_the_name_or_the_uuid),
		cmocka_unit_test(nat_ruleset_masquerades_the_subnet_and_guards_the_bridge),
		cmocka_unit_test(nat_port_range_and_forward_dev_reach_the_rules),
		cmocka_unit_test(routed_network_has_no_nat_and_isolated_one_only_rejects),
		cmocka_unit_test(dnsmasq_config_serves_dhcp_and_dns_on_the_bridge_only),
		cmocka_unit_test(dnsmasq_config_without_dhcp_has_dns_only),
		cmocka_unit_test(names_and_values_that_would_break_the_files_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
