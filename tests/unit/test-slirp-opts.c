/* Unit tests: drivers/net/slirp (-netdev user): option parsing as QEMU spells it,
 * repeated hostfwd= through vireo-vmm's option parser, and the running back-end on an
 * event loop (an ARP request and an ICMP echo to the gateway through the frame channel,
 * a UDP host forward). Addresses: documentation ranges only. */
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drivers/net/slirp.h"
#include "qemu-wrap/options.h"

#define WHAT "-netdev user,id=n0"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_aton(s, &a), 1);
	return a.s_addr;
}

static int set(struct slirp_net_opts *o, const char *k, const char *v, struct err **e)
{
	return slirp_net_opts_set(o, WHAT, k, v, e);
}

static void defaults_are_qemus(void **state)
{
	struct slirp_net_opts o;
	struct err *e = NULL;

	(void)state;
	slirp_net_opts_init(&o);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), 0);
	assert_int_equal(o.net.s_addr, ip("10.0.2.0"));
	assert_int_equal(o.mask.s_addr, ip("255.255.255.0"));
	assert_int_equal(o.host.s_addr, ip("10.0.2.2"));
	assert_int_equal(o.dns.s_addr, ip("10.0.2.3"));
	assert_int_equal(o.dhcp_start.s_addr, ip("10.0.2.15"));
	assert_false(o.restricted);
	assert_true(o.ipv4 && o.ipv6);
	slirp_net_opts_free(&o);
}

static void net_sets_the_derived_addresses(void **state)
{
	struct slirp_net_opts o;
	struct err *e = NULL;

	(void)state;
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.77/24", &e), 0);
	assert_int_equal(set(&o, "restrict", "on", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), 0);
	assert_int_equal(o.net.s_addr, ip("192.0.2.0"));	/* host bits dropped */
	assert_int_equal(o.host.s_addr, ip("192.0.2.2"));
	assert_int_equal(o.dns.s_addr, ip("192.0.2.3"));
	assert_int_equal(o.dhcp_start.s_addr, ip("192.0.2.15"));
	assert_true(o.restricted);
	/* a dotted mask, explicit addresses */
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "198.51.100.0/255.255.255.128", &e), 0);
	assert_int_equal(set(&o, "host", "198.51.100.1", &e), 0);
	assert_int_equal(set(&o, "dns", "198.51.100.53", &e), 0);
	assert_int_equal(set(&o, "dhcpstart", "198.51.100.100", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), 0);
	assert_int_equal(o.mask.s_addr, ip("255.255.255.128"));
	assert_int_equal(o.host.s_addr, ip("198.51.100.1"));
	assert_int_equal(o.dns.s_addr, ip("198.51.100.53"));
	/* without a mask, QEMU's classful guess (with its /28 for 192.0.2.x) */
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "203.0.113.0", &e), 0);
	assert_int_equal(o.mask.s_addr, ip("255.255.255.240"));
	assert_int_equal(set(&o, "hostname", "g1", &e), 0);
	assert_string_equal(o.hostname, "g1");
	slirp_net_opts_free(&o);
}

static void hostfwd_rules_parse_as_qemu_spells_them(void **state)
{
	struct slirp_net_fwd f;
	struct slirp_net_opts o;
	struct err *e = NULL;

	(void)state;
	assert_int_equal(slirp_net_parse_hostfwd("tcp::2222-:22", WHAT, &f, &e), 0);
	assert_false(f.udp);
	assert_int_equal(f.host_addr.s_addr, 0);
	assert_int_equal(f.host_port, 2222);
	assert_int_equal(f.guest_addr.s_addr, 0);
	assert_int_equal(f.guest_port, 22);
	assert_int_equal(slirp_net_parse_hostfwd("udp:127.0.0.1:5555-192.0.2.9:7", WHAT, &f, &e), 0);
	assert_true(f.udp);
	assert_int_equal(f.host_addr.s_addr, ip("127.0.0.1"));
	assert_int_equal(f.guest_addr.s_addr, ip("192.0.2.9"));
	assert_int_equal(f.guest_port, 7);
	assert_int_equal(slirp_net_parse_hostfwd(":127.0.0.1:0-:80", WHAT, &f, &e), 0);
	assert_false(f.udp);
	/* a guest address left out becomes the first DHCP address */
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.0/24", &e), 0);
	assert_int_equal(set(&o, "hostfwd", "tcp::2222-:22", &e), 0);
	assert_int_equal(set(&o, "hostfwd", "udp::2223-192.0.2.20:7", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), 0);
	assert_int_equal(o.n_fwd, 2);
	assert_int_equal(o.fwd[0].guest_addr.s_addr, ip("192.0.2.15"));
	assert_int_equal(o.fwd[1].guest_addr.s_addr, ip("192.0.2.20"));
	slirp_net_opts_free(&o);
}

static void bad_options_name_the_option(void **state)
{
	static const struct {
		const char *key, *value, *code, *needle;
	} bad[] = {
		{ "net", "192.0.2.0/33", ERR_USAGE, "net=192.0.2.0/33" },
		{ "net", "192.0.2.0/2", ERR_USAGE, "4 to 32" },
		{ "net", "192.0.2/24x", ERR_USAGE, "net=" },
		{ "net", "example/24", ERR_USAGE, "'example' is not an IPv4 address" },
		{ "net", "192.0.2.0/255.0.255.0", ERR_USAGE, "not a netmask" },
		{ "host", "192.0.2.999", ERR_USAGE, "host=192.0.2.999" },
		{ "dns", "x", ERR_USAGE, "dns=x" },
		{ "restrict", "maybe", ERR_USAGE, "restrict=maybe" },
		{ "hostfwd", "sctp::1-:2", ERR_USAGE, "bad protocol name" },
		{ "hostfwd", "tcp:300.1.1.1:1-:2", ERR_USAGE, "bad host address" },
		{ "hostfwd", "tcp::70000-:22", ERR_USAGE, "bad host port" },
		{ "hostfwd", "tcp::2222", ERR_USAGE, "bad host port" },
		{ "hostfwd", "tcp::2222-x:22", ERR_USAGE, "bad guest address" },
		{ "hostfwd", "tcp::2222-:0", ERR_USAGE, "bad guest port" },
		{ "hostfwd", "tcp::2222-", ERR_USAGE, "hostfwd=tcp::2222-" },
		{ "smb", "/srv", ERR_UNSUPPORTED, "smb= is not supported" },
		{ "queues", "2", ERR_USAGE, "unknown property 'queues'" },
	};
	struct slirp_net_opts o;
	struct err *e = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		slirp_net_opts_init(&o);
		if (set(&o, bad[i].key, bad[i].value, &e) == 0)
			fail_msg("%s=%s accepted", bad[i].key, bad[i].value);
		assert_non_null(strstr(e->message, WHAT));
		assert_err(e, bad[i].code, bad[i].needle);
		slirp_net_opts_free(&o);
	}
	/* addresses outside the network, or the same twice */
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.0/24", &e), 0);
	assert_int_equal(set(&o, "host", "198.51.100.2", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), -1);
	assert_err(e, ERR_USAGE, "host=198.51.100.2 is not a host address of the guest network");
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.0/24", &e), 0);
	assert_int_equal(set(&o, "dns", "192.0.2.255", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), -1);
	assert_err(e, ERR_USAGE, "dns=192.0.2.255");
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.0/24", &e), 0);
	assert_int_equal(set(&o, "dhcpstart", "192.0.2.2", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), -1);
	assert_err(e, ERR_USAGE, "must be different");
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "ipv4", "off", &e), 0);
	assert_int_equal(set(&o, "ipv6", "off", &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), -1);
	assert_err(e, ERR_USAGE, "no network");
}

/* vireo-vmm's parser keeps every hostfwd= of a QemuOpts -netdev, and the JSON list. */
static void repeated_hostfwd_survive_the_option_parser(void **state)
{
	const char *kv[] = { "vireo-vmm", "-netdev",
			     "user,id=n0,net=192.0.2.0/24,hostfwd=tcp::2222-:22,"
			     "hostname=a,,b,hostfwd=udp::2223-:7", NULL };
	const char *js[] = { "vireo-vmm", "-netdev",
			     "{\"type\":\"user\",\"id\":\"n1\",\"hostfwd\":[{\"str\":\"tcp::1-:2\"},"
			     "{\"str\":\"udp::3-:4\"}]}", NULL };
	struct vmm_config cfg;
	struct err *e = NULL;

	(void)state;
	assert_int_equal(vmm_options_parse(&cfg, 3, (char **)kv, &e), 0);
	assert_int_equal(cfg.n_netdevs, 1);
	assert_int_equal(cfg.netdevs[0].type, VMM_NETDEV_USER);
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "hostfwd.0.str"), "tcp::2222-:22");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "hostfwd.1.str"), "udp::2223-:7");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "hostname"), "a,b");
	vmm_config_free(&cfg);
	assert_int_equal(vmm_options_parse(&cfg, 3, (char **)js, &e), 0);
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "hostfwd.0.str"), "tcp::1-:2");
	assert_string_equal(vmm_props_get(&cfg.netdevs[0].props, "hostfwd.1.str"), "udp::3-:4");
	vmm_config_free(&cfg);
}

/* ---- the running back-end ---- */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* Run the loop until a frame of ethertype type (and, for IPv4, protocol proto)
 * arrives on fd, up to 2 s. Returns its length, or 0. */
static ssize_t wait_frame(struct evloop *loop, int fd, uint16_t type, uint8_t proto,
			  uint8_t *buf, size_t cap)
{
	for (int i = 0; i < 200; i++) {
		ssize_t n;

		assert_true(evloop_run_once(loop, 10, NULL) >= 0);
		while ((n = recv(fd, buf, cap, MSG_DONTWAIT)) > 0)
			if (n >= 34 && (buf[12] << 8 | buf[13]) == type &&
			    (type != 0x0800 || buf[23] == proto))
				return n;
	}
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void ipv4_header(uint8_t *f, const uint8_t dst_mac[6], uint16_t len, uint8_t proto,
			const char *src, const char *dst)
{
	uint32_t s = ip(src), d = ip(dst);
	uint16_t c;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	f[16] = (uint8_t)(len >> 8), f[17] = (uint8_t)len;
	f[22] = 64, f[23] = proto;
	memcpy(f + 26, &s, 4);
	memcpy(f + 30, &d, 4);
	c = csum(f + 14, 20);
	f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
}

static void backend_answers_arp_ping_and_forwards_udp(void **state)
{
	struct slirp_net_opts o;
	struct slirp_net_stats st;
	struct slirp_net *s;
	struct evloop *loop;
	struct err *e = NULL;
	uint8_t f[2048], gw_mac[6];
	struct sockaddr_in to = { .sin_family = AF_INET };
	socklen_t tolen = sizeof(to);
	int fd, probe, host;
	ssize_t n;
	uint16_t c, port;

	(void)state;
	/* a free UDP port on 127.0.0.1 for the forward */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&to, &tolen), 0);
	port = ntohs(to.sin_port);
	close(probe);

	loop = evloop_new(&e);
	assert_non_null(loop);
	slirp_net_opts_init(&o);
	assert_int_equal(set(&o, "net", "192.0.2.0/24", &e), 0);
	assert_int_equal(set(&o, "ipv6", "off", &e), 0);
	snprintf((char *)f, sizeof(f), "udp:127.0.0.1:%u-:7", port);
	assert_int_equal(set(&o, "hostfwd", (char *)f, &e), 0);
	assert_int_equal(slirp_net_opts_finish(&o, WHAT, &e), 0);
	s = slirp_net_new(&o, loop, NULL, WHAT, &fd, &e);
	if (!s)
		fail_msg("%s", e->message);

	/* ARP: who has 192.0.2.2? tell 192.0.2.15 */
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, &(uint32_t){ ip("192.0.2.15") }, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &(uint32_t){ ip("192.0.2.2") }, 4);
	memset(f + 42, 0, 18);
	assert_int_equal(send(fd, f, 60, 0), 60);
	n = wait_frame(loop, fd, 0x0806, 0, f, sizeof(f));
	assert_true(n >= 42);
	assert_int_equal(f[21], 2);				/* a reply */
	assert_memory_equal(f + 28, &(uint32_t){ ip("192.0.2.2") }, 4);
	assert_memory_equal(f + 32, guest_mac, 6);
	memcpy(gw_mac, f + 22, 6);

	/* ICMP echo to the gateway: slirp answers it itself */
	ipv4_header(f, gw_mac, 20 + 8 + 16, 1, "192.0.2.15", "192.0.2.2");
	memcpy(f + 34, "\x08\x00\x00\x00\x12\x34\x00\x01", 8);
	memcpy(f + 42, "vireo-slirp-ping", 16);
	c = csum(f + 34, 24);
	f[36] = (uint8_t)(c >> 8), f[37] = (uint8_t)c;
	assert_int_equal(send(fd, f, 58, 0), 58);
	n = wait_frame(loop, fd, 0x0800, 1, f, sizeof(f));
	assert_int_equal(n, 58);
	assert_int_equal(f[34], 0);				/* echo reply */
	assert_memory_equal(f + 26, &(uint32_t){ ip("192.0.2.2") }, 4);
	assert_memory_equal(f + 42, "vireo-slirp-ping", 16);

	/* UDP from the host to 127.0.0.1:port comes out towards 192.0.2.15:7 */
	host = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_port = htons(port);
	assert_int_equal(sendto(host, "fwd", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	n = wait_frame(loop, fd, 0x0800, 17, f, sizeof(f));
	assert_int_equal(n, 14 + 20 + 8 + 3);
	assert_memory_equal(f + 30, &(uint32_t){ ip("192.0.2.15") }, 4);
	assert_int_equal(f[36] << 8 | f[37], 7);
	assert_memory_equal(f + 42, "fwd", 3);
	close(host);

	slirp_net_get_stats(s, &st);
	assert_true(st.to_slirp == 2 && st.to_guest >= 3);
	slirp_net_free(s);
	slirp_net_opts_free(&o);
	/* everything slirp hooked into the loop is gone */
	assert_int_equal(evloop_source_count(loop), 0);
	evloop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_qemus),
		cmocka_unit_test(net_sets_the_derived_addresses),
		cmocka_unit_test(hostfwd_rules_parse_as_qemu_spells_them),
		cmocka_unit_test(bad_options_name_the_option),
		cmocka_unit_test(repeated_hostfwd_survive_the_option_parser),
		cmocka_unit_test(backend_answers_arp_ping_and_forwards_udp),
	};

	return cmocka_run_group_tests_name("slirp-opts", tests, NULL, NULL);
}
