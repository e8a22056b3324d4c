/*
 * net_slirp.c: the "slirp" mode: the guest on a user-mode network (QEMU's -netdev user,
 * vireo-vmm's libslirp back-end) started with net=192.0.2.0/24, so the gateway is
 * 192.0.2.2, the built-in DNS 192.0.2.3 and the guest takes the first DHCP address,
 * 192.0.2.15 (where hostfwd rules without a guest address point). Its own TAP plan:
 * ARP for the gateway, ICMP echo to the gateway and to the DNS address (slirp answers
 * both itself), and with `udp-echo` a UDP echo service on port 7 for a host test's
 * hostfwd=udp:...-:7 (until a datagram "bye" or 30 s), answering ARP for itself.
 */
#include "net.h"
#include "io.h"

#define WAIT_MS		2000
#define ECHO_MS		30000
#define ECHO_PORT	7

static const uint8_t me[4] = { 192, 0, 2, 15 };
static const uint8_t gw[4] = { 192, 0, 2, 2 };
static const uint8_t dns[4] = { 192, 0, 2, 3 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct {
	struct net nd;
	uint8_t gw_mac[6];
	bool have_gw;
	bool udp_echo;
	uint16_t seq;
	unsigned echoed;
} s;

static bool send(const void *f, uint32_t len)
{
	struct net_hdr h = { 0 };

	net_tx_reap(&s.nd.tx[0]);
	return net_tx(&s.nd.tx[0], &h, f, len, false);
}

static void arp(uint16_t op, const uint8_t dst_mac[6], const uint8_t tha[6], const uint8_t tpa[4])
{
	uint8_t f[60] = { 0 };

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, s.nd.mac, 6);
	put_be16(f + 12, 0x0806);
	put_be16(f + 14, 1);		/* Ethernet */
	put_be16(f + 16, 0x0800);	/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, op);
	memcpy(f + 22, s.nd.mac, 6);
	memcpy(f + 28, me, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	send(f, sizeof(f));
}

/* Answers an ARP request for our address; returns true if f was one. */
static bool answer_arp(const uint8_t *f, uint32_t len)
{
	if (len < 42 || be16(f + 12) != 0x0806 || be16(f + 20) != 1 || memcmp(f + 38, me, 4))
		return false;
	arp(2, f + 6, f + 22, f + 28);
	return true;
}

/* Waits up to ms for a frame accept() likes (ARP requests for us answered meanwhile);
 * returns it (at NET_FRAME) or NULL. */
static const uint8_t *wait_for(struct tg *g, uint64_t ms, bool (*accept)(const uint8_t *, uint32_t),
			       uint32_t *len, char *why, size_t n)
{
	struct deadline dl;

	deadline_start(&dl, g, ms);
	while (!deadline_passed(&dl)) {
		struct net_rx rx;
		int k = net_rx(g, &s.nd, &s.nd.rx[0], &rx, why, n);

		if (k < 0)
			return NULL;
		if (k == 0) {
			cpu_pause();
			continue;
		}
		if (answer_arp(rx.frame, rx.len))
			continue;
		if (accept(rx.frame, rx.len)) {
			*len = rx.len;
			return rx.frame;
		}
	}
	return NULL;
}

static bool net_up(struct tg *g, char *why, size_t n)
{
	if (!s.nd.tried) {
		s.nd.tried = true;
		if (!net_start(g, &s.nd, s.nd.why, sizeof(s.nd.why)) && !s.nd.d.found)
			gsnprintf(s.nd.why, sizeof(s.nd.why), "no virtio-net device");
	}
	if (!s.nd.d.found)
		g->skip = true;
	if (!s.nd.ok)
		gsnprintf(why, n, "%s", s.nd.why);
	return s.nd.ok;
}

static bool test_init(struct tg *g, char *why, size_t n)
{
	if (!net_up(g, why, n))
		return false;
	gprintf("# slirp: virtio-net %02x:%02x.%x, mac %02x:%02x:%02x:%02x:%02x:%02x, "
		"guest 192.0.2.15\n", s.nd.d.bus, s.nd.d.dev, s.nd.d.fn, s.nd.mac[0], s.nd.mac[1],
		s.nd.mac[2], s.nd.mac[3], s.nd.mac[4], s.nd.mac[5]);
	return true;
}

static bool is_arp_reply_from_gw(const uint8_t *f, uint32_t len)
{
	return len >= 42 && be16(f + 12) == 0x0806 && be16(f + 20) == 2 && !memcmp(f + 28, gw, 4);
}

static bool test_arp(struct tg *g, char *why, size_t n)
{
	const uint8_t zero[6] = { 0 };
	const uint8_t *f;
	uint32_t len;

	if (!net_up(g, why, n))
		return false;
	arp(1, bcast, zero, gw);
	f = wait_for(g, WAIT_MS, is_arp_reply_from_gw, &len, why, n);
	if (!f) {
		if (!why[0])
			gsnprintf(why, n, "no ARP reply for 192.0.2.2 within %u ms", WAIT_MS);
		return false;
	}
	memcpy(s.gw_mac, f + 22, 6);
	s.have_gw = true;
	gprintf("# slirp: gateway 192.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", f[22], f[23],
		f[24], f[25], f[26], f[27]);
	return true;
}

/* ---- ICMP echo ---- */

static const uint8_t *ping_dst;

static bool is_echo_reply(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + NET_ETH_LEN, *icmp = ip + 20;

	return len >= 42 + 16 && be16(f + 12) == 0x0800 && ip[9] == 1 &&
	       !memcmp(ip + 12, ping_dst, 4) && icmp[0] == 0 && be16(icmp + 4) == 0x7669 &&
	       be16(icmp + 6) == s.seq;
}

static bool ping(struct tg *g, const uint8_t dst[4], char *why, size_t n)
{
	static const char text[16] = "vireo-slirp-ping";
	uint8_t f[NET_ETH_LEN + 20 + 8 + 16];
	uint8_t *ip = f + NET_ETH_LEN, *icmp = ip + 20;
	const uint8_t *r;
	uint32_t len;

	if (!net_up(g, why, n))
		return false;
	if (!s.have_gw) {
		gsnprintf(why, n, "no gateway MAC (ARP failed)");
		return false;
	}
	memcpy(f, s.gw_mac, 6);
	memcpy(f + 6, s.nd.mac, 6);
	put_be16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, 20 + 8 + 16);
	put_be16(ip + 4, ++s.seq);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, me, 4);
	memcpy(ip + 16, dst, 4);
	put_be16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
	icmp[0] = 8;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, 0x7669);	/* "vi" */
	put_be16(icmp + 6, s.seq);
	memcpy(icmp + 8, text, 16);
	put_be16(icmp + 2, (uint16_t)~csum_fold(csum_add(0, icmp, 8 + 16)));
	ping_dst = dst;
	if (!send(f, sizeof(f))) {
		gsnprintf(why, n, "no tx slot");
		return false;
	}
	r = wait_for(g, WAIT_MS, is_echo_reply, &len, why, n);
	if (!r) {
		if (!why[0])
			gsnprintf(why, n, "no echo reply from %u.%u.%u.%u within %u ms", dst[0], dst[1],
				  dst[2], dst[3], WAIT_MS);
		return false;
	}
	if (memcmp(r + 42, text, 16) || csum_fold(csum_add(0, r + 34, len - 34)) != 0xffff) {
		gsnprintf(why, n, "the echo reply's payload or checksum is wrong");
		return false;
	}
	return true;
}

static bool test_ping_gw(struct tg *g, char *why, size_t n)
{
	return ping(g, gw, why, n);
}

static bool test_ping_dns(struct tg *g, char *why, size_t n)
{
	return ping(g, dns, why, n);
}

/* ---- UDP echo on port 7 (for hostfwd) ---- */

static bool is_udp_for_echo(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + NET_ETH_LEN;

	return len >= NET_UDP_PAYLOAD && be16(f + 12) == 0x0800 && ip[0] == 0x45 && ip[9] == 17 &&
	       !memcmp(ip + 16, me, 4) && be16(ip + 20 + 2) == ECHO_PORT;
}

static bool test_udp_echo(struct tg *g, char *why, size_t n)
{
	struct deadline dl;

	if (!s.udp_echo) {
		g->skip = true;
		gsnprintf(why, n, "no udp-echo on the command line");
		return true;
	}
	if (!net_up(g, why, n))
		return false;
	gprintf("# slirp: udp echo ready\n");
	deadline_start(&dl, g, ECHO_MS);
	while (!deadline_passed(&dl)) {
		static uint8_t out[NET_TX_SLOT];
		const uint8_t *f, *ip;
		uint32_t len, plen;

		f = wait_for(g, 200, is_udp_for_echo, &len, why, n);
		if (!f) {
			if (why[0])
				return false;
			continue;
		}
		ip = f + NET_ETH_LEN;
		plen = be16(ip + 20 + 4) - 8;
		if (plen > len - NET_UDP_PAYLOAD || NET_UDP_PAYLOAD + plen > sizeof(out) - NET_HDR_LEN)
			continue;
		if (plen == 3 && !memcmp(f + NET_UDP_PAYLOAD, "bye", 3))
			break;
		memcpy(out + NET_UDP_PAYLOAD, f + NET_UDP_PAYLOAD, plen);
		net_build_udp(out, NET_UDP_PAYLOAD + plen, f + 6, s.nd.mac, me, ip + 12, ECHO_PORT,
			      be16(ip + 20), ++s.seq, false);
		if (send(out, NET_UDP_PAYLOAD + plen))
			s.echoed++;
	}
	gprintf("# slirp: echoed %u datagrams\n", s.echoed);
	if (!s.echoed)
		gsnprintf(why, n, "no datagram to port 7 arrived");
	return s.echoed > 0;
}

static const struct test checks[] = {
	{ "slirp: virtio-net device initialised", test_init },
	{ "slirp: ARP: the gateway 192.0.2.2 answers", test_arp },
	{ "slirp: ICMP echo to the gateway 192.0.2.2 is answered", test_ping_gw },
	{ "slirp: ICMP echo to the built-in DNS 192.0.2.3 is answered", test_ping_dns },
	{ "slirp: UDP echo on port 7 served (hostfwd from the host)", test_udp_echo },
};

unsigned net_slirp_tests(struct tg *g, bool udp_echo)
{
	s.udp_echo = udp_echo;
	return tap_run(g, checks, sizeof(checks) / sizeof(checks[0]));
}
