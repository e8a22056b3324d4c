/*
 * net_peer.c: the "net-peer" mode: two (or more) test guests on one Ethernet segment
 * (a vireo network's bridge) prove that their frames reach each other. The guest brings
 * up its virtio-net device (pair 0 only), broadcasts PEER_FRAMES frames every PEER_GAP_MS
 * while it receives for PEER_WINDOW_MS in all (so two guests started a few seconds
 * apart still overlap), and counts the frames of other guests. Frames: Ethernet to
 * ff:ff:ff:ff:ff:ff from the device's MAC, ethertype 0x88b5 (IEEE local experimental),
 * payload "VPEER", the sender's MAC again, seq (be16), zero padding to 60 bytes. Plan
 * `1..3`; see README.md ("virtio-net").
 */
#include "net.h"
#include "io.h"

#define PEER_ETHERTYPE	0x88b5
#define PEER_FRAMES	20
#define PEER_GAP_MS	250
#define PEER_WINDOW_MS	(PEER_FRAMES * PEER_GAP_MS + 1000)
#define PEER_MAX	4		/* distinct senders counted */
#define PEER_LEN	60
#define PEER_MAGIC	"VPEER"
#define PEER_MAGIC_LEN	5

struct peer {
	uint8_t mac[6];
	unsigned frames;
};

static struct net nd;

static void mac_str(char *buf, size_t n, const uint8_t m[6])
{
	gsnprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool send_peer_frame(uint16_t seq)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct net_hdr h = { 0 };
	uint8_t f[PEER_LEN] = { 0 };

	memcpy(f, bcast, 6);
	memcpy(f + 6, nd.mac, 6);
	put_be16(f + 12, PEER_ETHERTYPE);
	memcpy(f + NET_ETH_LEN, PEER_MAGIC, PEER_MAGIC_LEN);
	memcpy(f + NET_ETH_LEN + PEER_MAGIC_LEN, nd.mac, 6);
	put_be16(f + NET_ETH_LEN + PEER_MAGIC_LEN + 6, seq);
	net_tx_reap(&nd.tx[0]);
	return net_tx(&nd.tx[0], &h, f, sizeof(f), false);
}

/* A "VPEER" frame of another guest (its source MAC repeated in the payload)? */
static bool is_peer_frame(const uint8_t *f, uint32_t len)
{
	const uint8_t *p = f + NET_ETH_LEN;

	return len >= NET_ETH_LEN + PEER_MAGIC_LEN + 8 && be16(f + 12) == PEER_ETHERTYPE &&
	       !memcmp(p, PEER_MAGIC, PEER_MAGIC_LEN) && !memcmp(p + PEER_MAGIC_LEN, f + 6, 6) &&
	       memcmp(f + 6, nd.mac, 6) != 0;
}

static void count_peer(struct peer *peers, unsigned *npeers, const uint8_t mac[6])
{
	for (unsigned i = 0; i < *npeers; i++) {
		if (!memcmp(peers[i].mac, mac, 6)) {
			peers[i].frames++;
			return;
		}
	}
	if (*npeers < PEER_MAX) {
		memcpy(peers[*npeers].mac, mac, 6);
		peers[(*npeers)++].frames = 1;
	}
}

static void tap_line(unsigned k, bool ok, const char *text, const char *why)
{
	if (ok)
		gprintf("ok %u - net-peer: %s\n", k, text);
	else
		gprintf("not ok %u - net-peer: %s # %s\n", k, text, why);
}

unsigned net_peer_tests(struct tg *g)
{
	struct peer peers[PEER_MAX];
	unsigned npeers = 0, sent = 0, other = 0, failed = 0, best = 0;
	char why[192] = "", text[96], mac[18];
	struct deadline window, next;
	bool link;

	gprintf("1..3\n");
	if (!net_start(g, &nd, why, sizeof(why)) && !why[0])
		gsnprintf(why, sizeof(why), "no virtio-net device");
	link = !net_has(&nd, NET_F_STATUS) || (nd.status & NET_S_LINK_UP);
	mac_str(mac, sizeof(mac), nd.mac);
	gsnprintf(text, sizeof(text), "virtio-net device up (mac %s, link %s)", mac,
		  net_has(&nd, NET_F_STATUS) ? (link ? "up" : "down") : "not reported");
	if (nd.ok && !link)
		gsnprintf(why, sizeof(why), "the device reports its link down");
	tap_line(1, nd.ok && link, text, why);
	if (!nd.ok || !link) {
		tap_line(2, false, "sent 0 frames", "no device");
		tap_line(3, false, "received no frames", "no device");
		gprintf("# 3 of 3 failed\n");
		return 3;
	}
	deadline_start(&window, g, PEER_WINDOW_MS);
	deadline_start(&next, g, 0);
	while (!deadline_passed(&window)) {
		struct net_rx rx;
		int k;

		if (sent < PEER_FRAMES && deadline_passed(&next)) {
			if (send_peer_frame((uint16_t)sent))
				sent++;
			deadline_start(&next, g, PEER_GAP_MS);
		}
		k = net_rx(g, &nd, &nd.rx[0], &rx, why, sizeof(why));
		if (k < 0)
			break;
		if (k == 0) {
			cpu_pause();
			continue;
		}
		if (is_peer_frame(rx.frame, rx.len))
			count_peer(peers, &npeers, rx.frame + 6);
		else
			other++;
	}
	net_tx_reap(&nd.tx[0]);
	gsnprintf(text, sizeof(text), "sent %u frames", sent);
	tap_line(2, sent == PEER_FRAMES, text, "no free tx slot");
	failed += sent != PEER_FRAMES;
	for (unsigned i = 0; i < npeers; i++) {
		mac_str(mac, sizeof(mac), peers[i].mac);
		gprintf("# net-peer: %u frames from %s\n", peers[i].frames, mac);
		if (peers[i].frames > peers[best].frames)
			best = i;
	}
	gprintf("# net-peer: %u other frames ignored\n", other);
	if (npeers) {
		mac_str(mac, sizeof(mac), peers[best].mac);
		gsnprintf(text, sizeof(text), "received %u frames from %s", peers[best].frames, mac);
		tap_line(3, true, text, "");
	} else {
		if (!why[0])
			gsnprintf(why, sizeof(why), "no frame of another guest within %u ms",
				  PEER_WINDOW_MS);
		tap_line(3, false, "received 0 frames from another guest", why);
		failed++;
	}
	gprintf("# %u of 3 failed\n", failed);
	return failed;
}
