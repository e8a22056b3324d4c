/*
 * net_test.c: the "net" mode: the virtio-net checks, in their own TAP plan. The guest
 * (192.0.2.2, the device's MAC) sends UDP frames to the echo responder on the host's tap
 * (tests/lib/netecho.py: 192.0.2.1, port 7), which sends each one back with addresses and
 * ports swapped and two bytes of the payload saying what it saw. See README.md
 * ("virtio-net") for the frame format; every check skips when there is no virtio-net.
 */
#include "net.h"
#include "io.h"

#define ECHO_PORT	7
#define FLOWS		4		/* per tx queue and round */
#define FRAME_LEN	128
#define MAX_SENT	(NET_MAX_PAIRS * 8)
#define ROUND_MS	2000

/* Payload (at NET_UDP_PAYLOAD): "VNET", op, tx queue, seq (be16), verdict, mode, 0, 0,
 * then byte i (from the payload start) = seq * 7 + i. */
#define PL_OP		4
#define PL_TXQ		5
#define PL_SEQ		6
#define PL_VERDICT	8
#define PL_MODE		9
#define PL_PATTERN	12
#define OP_ECHO		'E'	/* echo with a full UDP checksum */
#define OP_PARTIAL	'P'	/* echo with a partial one (NEEDS_CSUM towards the tap) */

static const uint8_t guest_ip[4] = { 192, 0, 2, 2 };
static const uint8_t host_ip[4] = { 192, 0, 2, 1 };
static const uint8_t host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

struct sent {
	uint16_t seq, sport;
	uint32_t len;
	uint8_t txq, rxq, verdict, mode, flags;
	uint16_t nbufs;
	bool got;
};

/* One round: frames sent, what came back, the first problem. */
struct round {
	struct sent s[MAX_SENT];
	unsigned ns, got, stray;
	unsigned needs_csum, data_valid;
	char bad[160];
};

static struct {
	bool tried;
	struct net nd;
	char why[160];
	uint16_t seq;
	struct round r;		/* the last round */
	struct round first;	/* check 5's round, for check 6 */
	bool hostile;
} t;

static bool net_get(struct tg *g, char *why, size_t n)
{
	if (!t.tried) {
		t.tried = true;
		if (net_start(g, &t.nd, t.why, sizeof(t.why)) || t.nd.d.found) {
			gprintf("# virtio-net %02x:%02x.%x: features 0x%lx (accepted 0x%lx)\n",
				t.nd.d.bus, t.nd.d.dev, t.nd.d.fn, t.nd.d.dev_features,
				t.nd.d.features);
		} else {
			gsnprintf(t.why, sizeof(t.why), "no device");
		}
	}
	if (!t.nd.d.found)
		g->skip = true;
	if (!t.nd.ok)
		gsnprintf(why, n, "%s", t.why);
	return t.nd.ok;
}

/* A check that does not apply: "ok N - name # SKIP what"; returns true. */
static bool skip(struct tg *g, char *why, size_t n, const char *what)
{
	g->skip = true;
	gsnprintf(why, n, "%s", what);
	return true;
}

/* ---- sending and matching echoes --------------------------------------------------------- */

static bool send_frame(struct round *r, uint8_t txq, uint16_t sport, uint8_t op, bool partial,
		       uint32_t len)
{
	static uint8_t small[NET_TX_SLOT];
	bool split = len + NET_HDR_LEN > NET_TX_SLOT;
	uint8_t *f = split ? (uint8_t *)(uintptr_t)NET_BIGTX : small, *pl = f + NET_UDP_PAYLOAD;
	struct net_hdr h = { 0 };
	struct sent *s;

	if (r->ns >= MAX_SENT || len > NET_FRAME_MAX || len < NET_UDP_PAYLOAD + PL_PATTERN)
		return false;
	s = &r->s[r->ns];
	*s = (struct sent){ .seq = ++t.seq, .sport = sport, .len = len, .txq = txq };
	memcpy(pl, "VNET", 4);
	pl[PL_OP] = op;
	pl[PL_TXQ] = txq;
	put_be16(pl + PL_SEQ, s->seq);
	pl[PL_VERDICT] = pl[PL_MODE] = pl[10] = pl[11] = 0;
	for (uint32_t i = PL_PATTERN; i < len - NET_UDP_PAYLOAD; i++)
		pl[i] = (uint8_t)(s->seq * 7 + i);
	net_build_udp(f, len, host_mac, t.nd.mac, guest_ip, host_ip, sport, ECHO_PORT, s->seq,
		      partial);
	if (partial) {
		h.flags = NET_HDR_F_NEEDS_CSUM;
		h.csum_start = NET_CSUM_START;
		h.csum_offset = NET_CSUM_OFFSET;
	}
	if (!net_tx(&t.nd.tx[txq], &h, f, len, split))
		return false;
	r->ns++;
	return true;
}

/* Completes a NEEDS_CSUM checksum as the device would have (§5.1.6.4.1). */
static bool complete_csum(const struct net_rx *rx, char *why, size_t n)
{
	uint32_t start = rx->hdr.csum_start, off = rx->hdr.csum_offset;

	if (start < NET_ETH_LEN || start + off + 2 > rx->len) {
		gsnprintf(why, n, "NEEDS_CSUM with csum_start %u csum_offset %u in a %u-byte frame",
			  start, off, rx->len);
		return false;
	}
	put_be16(rx->frame + start + off,
		 (uint16_t)~csum_fold(csum_add(0, rx->frame + start, rx->len - start)));
	return true;
}

/* Checks an echo against what was sent; false with why when it is wrong. */
static bool check_echo(const struct sent *s, struct net_rx *rx, char *why, size_t n)
{
	uint8_t *f = rx->frame, *ip = f + NET_ETH_LEN, *udp = ip + 20, *pl = f + NET_UDP_PAYLOAD;
	uint32_t pseudo;

	if (memcmp(f, t.nd.mac, 6) || memcmp(f + 6, host_mac, 6)) {
		gsnprintf(why, n, "seq %u: MACs not swapped", s->seq);
		return false;
	}
	if (rx->len != s->len || be16(ip + 2) != s->len - NET_ETH_LEN) {
		gsnprintf(why, n, "seq %u: %u bytes back (ip length %u) for %u sent", s->seq,
			  rx->len, be16(ip + 2), s->len);
		return false;
	}
	if (csum_fold(csum_add(0, ip, 20)) != 0xffff) {
		gsnprintf(why, n, "seq %u: bad IPv4 header checksum", s->seq);
		return false;
	}
	if (rx->hdr.flags & (NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID)) {
		if (!net_has(&t.nd, NET_F_GUEST_CSUM)) {
			gsnprintf(why, n, "seq %u: rx header flags 0x%x without GUEST_CSUM", s->seq,
				  rx->hdr.flags);
			return false;
		}
		if ((rx->hdr.flags & NET_HDR_F_NEEDS_CSUM) && !complete_csum(rx, why, n))
			return false;
	}
	pseudo = csum_add(csum_add(0, ip + 12, 4), ip + 16, 4) + 17 + be16(udp + 4);
	if (be16(udp + 4) != s->len - NET_ETH_LEN - 20 || be16(udp + 6) == 0 ||
	    csum_fold(csum_add(pseudo, udp, s->len - NET_ETH_LEN - 20)) != 0xffff) {
		gsnprintf(why, n, "seq %u: UDP checksum 0x%04x is wrong (rx flags 0x%x)", s->seq,
			  be16(udp + 6), rx->hdr.flags);
		return false;
	}
	for (uint32_t i = PL_PATTERN; i < s->len - NET_UDP_PAYLOAD; i++) {
		if (pl[i] != (uint8_t)(s->seq * 7 + i)) {
			gsnprintf(why, n, "seq %u: payload byte %u is 0x%02x", s->seq, i, pl[i]);
			return false;
		}
	}
	return true;
}

/* Matches one received frame with the round; frames that are not our echoes are strays. */
static void take_frame(struct round *r, uint8_t rxq, struct net_rx *rx)
{
	const uint8_t *f = rx->frame, *ip = f + NET_ETH_LEN, *pl = f + NET_UDP_PAYLOAD;
	struct sent *s = NULL;
	char why[sizeof(r->bad)];
	uint16_t seq;

	if (rx->len < NET_UDP_PAYLOAD + PL_PATTERN || be16(f + 12) != 0x0800 || ip[0] != 0x45 ||
	    ip[9] != 17 || memcmp(ip + 12, host_ip, 4) || memcmp(ip + 16, guest_ip, 4) ||
	    be16(ip + 20) != ECHO_PORT || memcmp(pl, "VNET", 4)) {
		r->stray++;
		return;
	}
	seq = be16(pl + PL_SEQ);
	for (unsigned i = 0; i < r->ns; i++)
		if (r->s[i].seq == seq && !r->s[i].got)
			s = &r->s[i];
	if (!s) {
		r->stray++;
		return;
	}
	s->got = true;
	r->got++;
	s->rxq = rxq;
	s->flags = rx->hdr.flags;
	s->nbufs = rx->nbufs;
	r->needs_csum += !!(rx->hdr.flags & NET_HDR_F_NEEDS_CSUM);
	r->data_valid += !!(rx->hdr.flags & NET_HDR_F_DATA_VALID);
	if (!check_echo(s, rx, why, sizeof(why)) && !r->bad[0])
		memcpy(r->bad, why, sizeof(why));
	s->verdict = pl[PL_VERDICT];
	s->mode = pl[PL_MODE];
}

/* Polls every rx queue until the whole round is back or ms have passed. */
static void collect(struct tg *g, struct round *r, uint64_t ms)
{
	struct deadline dl;

	deadline_start(&dl, g, ms);
	while (r->got < r->ns && !deadline_passed(&dl)) {
		for (uint16_t p = 0; p < t.nd.pairs; p++) {
			struct net_rx rx;
			char why[120] = "";
			int k;

			while ((k = net_rx(g, &t.nd, &t.nd.rx[p], &rx, why, sizeof(why))) > 0)
				take_frame(r, (uint8_t)p, &rx);
			if (k < 0 && !r->bad[0])
				gsnprintf(r->bad, sizeof(r->bad), "%s", why);
		}
		for (uint16_t p = 0; p < t.nd.pairs; p++)
			net_tx_reap(&t.nd.tx[p]);
		cpu_pause();
	}
}

/*
 * Sends `flows` frames (UDP source ports port0 + q * flows + k) on each of the first
 * `queues` tx queues and collects the echoes. Returns true when all came back intact
 * (and, for every frame, the responder's verdict was "good checksum").
 */
static bool echo_round(struct tg *g, unsigned queues, unsigned flows, uint16_t port0, uint8_t op,
		       bool partial, uint32_t len, char *why, size_t n)
{
	struct round *r = &t.r;

	memset(r, 0, sizeof(*r));
	for (unsigned q = 0; q < queues; q++) {
		for (unsigned k = 0; k < flows; k++) {
			uint16_t port = (uint16_t)(port0 + q * flows + k);

			if (!send_frame(r, (uint8_t)q, port, op, partial, len)) {
				gsnprintf(why, n, "tx queue %u: no free descriptor", q);
				return false;
			}
		}
	}
	collect(g, r, ROUND_MS);
	if (r->stray)
		gprintf("# virtio-net: %u frames that are not our echoes (ignored)\n", r->stray);
	if (r->bad[0]) {
		gsnprintf(why, n, "%s", r->bad);
		return false;
	}
	for (unsigned i = 0; i < r->ns; i++) {
		const struct sent *s = &r->s[i];

		if (!s->got) {
			gsnprintf(why, n, "%u of %u echoes within %u ms; first missing: seq %u "
				  "sent on tx queue %u (status 0x%02x)", r->got, r->ns, ROUND_MS,
				  s->seq, s->txq, vdev_status(&t.nd.d));
			return false;
		}
		if (s->verdict != 'G') {
			gsnprintf(why, n, "the peer found seq %u (tx queue %u) %s", s->seq, s->txq,
				  s->verdict == 'I' ? "with a bad IPv4 checksum"
						    : "with a bad UDP checksum");
			return false;
		}
	}
	return true;
}

/* Every echo on its own pair's rx queue, every queue used; per-queue counts printed. */
static bool echoes_on_own_queue(const struct round *r, unsigned queues, char *why, size_t n)
{
	unsigned per[NET_MAX_PAIRS] = { 0 };
	char line[80] = "";
	size_t at = 0;

	for (unsigned i = 0; i < r->ns; i++)
		if (r->s[i].got)
			per[r->s[i].rxq]++;
	for (unsigned p = 0; p < t.nd.pairs; p++)
		at += (size_t)gsnprintf(line + at, sizeof(line) - at, " %u", per[p]);
	gprintf("# virtio-net: echoes per rx queue:%s\n", line);
	for (unsigned i = 0; i < r->ns; i++) {
		if (r->s[i].got && r->s[i].rxq != r->s[i].txq % queues) {
			gsnprintf(why, n, "seq %u sent on tx queue %u came back on rx queue %u",
				  r->s[i].seq, r->s[i].txq, r->s[i].rxq);
			return false;
		}
	}
	for (unsigned p = 0; p < queues; p++) {
		if (!per[p]) {
			gsnprintf(why, n, "rx queue %u received nothing", p);
			return false;
		}
	}
	return true;
}

/* ---- the checks -------------------------------------------------------------------------- */

static bool test_init(struct tg *g, char *why, size_t n)
{
	const uint8_t *m = t.nd.mac;

	if (!net_get(g, why, n))
		return false;
	gprintf("# virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x%s, status 0x%x, max pairs %u "
		"(using %u), mtu %u%s, mrg_rxbuf %s, queue sizes rx %u tx %u, %u rx buffers of %u "
		"bytes\n", m[0], m[1], m[2], m[3], m[4], m[5],
		net_has(&t.nd, NET_F_MAC) ? "" : " (fixed: no MAC feature)", t.nd.status,
		t.nd.max_pairs, t.nd.pairs, t.nd.mtu, net_has(&t.nd, NET_F_MTU) ? "" : " (default)",
		net_has(&t.nd, NET_F_MRG_RXBUF) ? "on" : "off", t.nd.rx[0].size, t.nd.tx[0].size,
		t.nd.rx[0].nbufs, t.nd.rx[0].bufsz);
	if (m[0] & 1) {
		gsnprintf(why, n, "the MAC is a multicast address");
		return false;
	}
	return true;
}

static bool test_link(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (!net_has(&t.nd, NET_F_STATUS))
		return skip(g, why, n, "STATUS not offered");
	if (!(mr16(t.nd.d.devcfg + 6) & NET_S_LINK_UP)) {
		gsnprintf(why, n, "status 0x%x: link down", mr16(t.nd.d.devcfg + 6));
		return false;
	}
	return true;
}

static bool test_pairs_set(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (!net_has(&t.nd, NET_F_MQ))
		return skip(g, why, n, "MQ not offered (or no CTRL_VQ)");
	return net_set_pairs(g, &t.nd, t.nd.pairs, why, n);
}

/* Starts the device again and sets every pair (after a reset or a device gone bad). */
static bool restart(struct tg *g, char *why, size_t n)
{
	if (!net_start(g, &t.nd, why, n))
		return false;
	return !net_has(&t.nd, NET_F_MQ) || net_set_pairs(g, &t.nd, t.nd.pairs, why, n);
}

static bool test_ctrl_malformed(struct tg *g, char *why, size_t n)
{
	static const char *const kinds[4] = {
		"an unknown class", "VQ_PAIRS_SET 0", "VQ_PAIRS_SET max+1",
		"VQ_PAIRS_SET without data",
	};
	unsigned count = 1;
	bool ok = true;

	if (!net_get(g, why, n))
		return false;
	if (!net_has(&t.nd, NET_F_CTRL_VQ))
		return skip(g, why, n, "CTRL_VQ not offered");
	if (net_has(&t.nd, NET_F_MQ))	/* MQ commands only where MQ is negotiated */
		count = 4;
	for (unsigned k = 0; k < count && ok; k++) {
		uint16_t v = k == 1 ? 0 : (uint16_t)(t.nd.max_pairs + 1);
		int ack = k == 0 ? net_ctrl(g, &t.nd, 0x7f, 0, &v, sizeof(v))
			  : net_ctrl(g, &t.nd, NET_CTRL_MQ, NET_CTRL_MQ_VQ_PAIRS_SET,
				     k == 3 ? NULL : &v, k == 3 ? 0 : sizeof(v));
		uint8_t st = vdev_status(&t.nd.d);

		gprintf("# virtio-net: ctrl %s -> ack %d, status 0x%02x\n", kinds[k], ack, st);
		if (ack != NET_ERR || (st & VIRTIO_S_NEEDS_RESET)) {
			gsnprintf(why, n, "%s: ack %d, status 0x%02x; want VIRTIO_NET_ERR (1)",
				  kinds[k], ack, st);
			ok = false;
		}
	}
	/* Whatever happened, leave a working device with every pair for the next checks. */
	if (!ok || (vdev_status(&t.nd.d) & VIRTIO_S_NEEDS_RESET)) {
		char w2[120];

		if (!restart(g, w2, sizeof(w2)))
			gprintf("# virtio-net: restart failed: %s\n", w2);
	}
	return ok;
}

static bool test_echo_every_txq(struct tg *g, char *why, size_t n)
{
	bool ok;

	if (!net_get(g, why, n))
		return false;
	ok = echo_round(g, t.nd.active, FLOWS, 20000, OP_ECHO, false, FRAME_LEN, why, n);
	t.first = t.r;
	return ok;
}

static bool test_every_rxq(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (t.first.got < t.first.ns || !t.first.ns) {
		gsnprintf(why, n, "the echo round did not complete (%u of %u)", t.first.got,
			  t.first.ns);
		return false;
	}
	return echoes_on_own_queue(&t.first, t.nd.active, why, n);
}

static bool test_tx_csum(struct tg *g, char *why, size_t n)
{
	unsigned partial = 0;

	if (!net_get(g, why, n))
		return false;
	if (!net_has(&t.nd, NET_F_CSUM))
		return skip(g, why, n, "CSUM not offered");
	if (!echo_round(g, t.nd.active, 2, 20100, OP_ECHO, true, FRAME_LEN, why, n))
		return false;
	for (unsigned i = 0; i < t.r.ns; i++)
		partial += t.r.s[i].mode == 'P';
	gprintf("# virtio-net: tx csum: the peer saw %u of %u frames still partial (NEEDS_CSUM), "
		"all with a correct checksum\n", partial, t.r.ns);
	return true;
}

static bool test_rx_csum(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (!echo_round(g, t.nd.active, 2, 20200, OP_PARTIAL, false, FRAME_LEN, why, n))
		return false;
	gprintf("# virtio-net: rx csum (GUEST_CSUM %s): %u of %u partial-checksum echoes had "
		"NEEDS_CSUM, %u DATA_VALID; all verified\n",
		net_has(&t.nd, NET_F_GUEST_CSUM) ? "on" : "off", t.r.needs_csum, t.r.ns,
		t.r.data_valid);
	return true;
}

static bool test_mtu(struct tg *g, char *why, size_t n)
{
	uint32_t len;

	if (!net_get(g, why, n))
		return false;
	len = t.nd.mtu + NET_ETH_LEN;
	if (!echo_round(g, 1, 1, 20300, OP_ECHO, false, len, why, n))
		return false;
	gprintf("# virtio-net: a %u-byte frame (mtu %u%s) went out as 3 descriptors and came "
		"back in %u rx buffer(s)\n", len, t.nd.mtu,
		net_has(&t.nd, NET_F_MTU) ? " from the config" : ", no MTU feature",
		t.r.s[0].nbufs);
	return true;
}

static bool test_pairs_switch(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (!net_has(&t.nd, NET_F_MQ) || t.nd.pairs < 2)
		return skip(g, why, n, net_has(&t.nd, NET_F_MQ) ? "only one queue pair"
								: "MQ not offered");
	if (!net_set_pairs(g, &t.nd, 1, why, n))
		return false;
	if (!echo_round(g, 1, 8, 21000, OP_ECHO, false, FRAME_LEN, why, n))
		return false;
	for (unsigned i = 0; i < t.r.ns; i++) {
		if (t.r.s[i].rxq != 0) {
			gsnprintf(why, n, "1 pair set, yet seq %u came back on rx queue %u",
				  t.r.s[i].seq, t.r.s[i].rxq);
			return false;
		}
	}
	if (!net_set_pairs(g, &t.nd, t.nd.pairs, why, n))
		return false;
	if (!echo_round(g, t.nd.pairs, FLOWS, 21100, OP_ECHO, false, FRAME_LEN, why, n))
		return false;
	return echoes_on_own_queue(&t.r, t.nd.pairs, why, n);
}

/*
 * "hostile-net": two malformed chains on tx queue 0, each on a freshly started device:
 * a device-writable buffer (a tx chain must be device-readable), and an 8 KiB buffer at
 * 256 GiB, far outside RAM (QEMU reads up to one page of unassigned memory through its
 * bounce buffer without complaint, so the buffer is longer). Each must make the device
 * set DEVICE_NEEDS_RESET.
 */
static bool test_hostile(struct tg *g, char *why, size_t n)
{
	static const char *const kinds[2] = { "device-writable tx buffer", "tx buffer at 256 GiB" };

	if (!net_get(g, why, n))
		return false;
	if (!t.hostile)
		return skip(g, why, n, "no 'hostile-net' on the command line");
	for (unsigned k = 0; k < 2; k++) {
		struct nq *q = &t.nd.tx[0];
		uint8_t *b = (uint8_t *)(uintptr_t)q->buf;
		uint16_t id;
		uint8_t st;

		if (k > 0 && !restart(g, why, n))
			return false;
		id = q->free[--q->nfree];
		memset(b, 0, 128);
		q->desc[id] = (struct vring_desc){ (uintptr_t)b, 128, VRING_DESC_F_WRITE, 0 };
		if (k == 1)
			q->desc[id] = (struct vring_desc){ 0x4000000000ull, 8192, 0, 0 };
		nq_publish(q, id, false, true);
		if (!vdev_wait_needs_reset(g, &t.nd.d, &st)) {
			gsnprintf(why, n, "%s: status 0x%02x after 1 s, no NEEDS_RESET (0x40); "
				  "used idx %u", kinds[k], st, q->used->idx);
			return false;
		}
		gprintf("# virtio-net: %s -> status 0x%02x\n", kinds[k], st);
	}
	return true;
}

static bool test_hostile_reinit(struct tg *g, char *why, size_t n)
{
	if (!net_get(g, why, n))
		return false;
	if (!t.hostile)
		return skip(g, why, n, "no 'hostile-net' on the command line");
	if (!restart(g, why, n))
		return false;
	return echo_round(g, t.nd.active, FLOWS, 21200, OP_ECHO, false, FRAME_LEN, why, n);
}

static const struct test checks[] = {
	{ "virtio-net: modern device initialised (VERSION_1, FEATURES_OK, DRIVER_OK)", test_init },
	{ "virtio-net: link is up (STATUS)", test_link },
	{ "virtio-net: ctrl vq: VQ_PAIRS_SET to every queue pair is acknowledged", test_pairs_set },
	{ "virtio-net: ctrl vq: malformed commands get VIRTIO_NET_ERR", test_ctrl_malformed },
	{ "virtio-net: a frame sent on every tx queue is echoed intact", test_echo_every_txq },
	{ "virtio-net: every rx queue receives, each echo on its own pair", test_every_rxq },
	{ "virtio-net: tx checksum offload: NEEDS_CSUM frames reach the peer correct",
	  test_tx_csum },
	{ "virtio-net: rx checksum: partial-checksum frames from the peer verify", test_rx_csum },
	{ "virtio-net: MTU: a frame of the config mtu goes out and comes back", test_mtu },
	{ "virtio-net: 1 pair set: every echo on rx queue 0; all pairs again: every rx queue",
	  test_pairs_switch },
	{ "virtio-net: malformed tx chains set NEEDS_RESET", test_hostile },
	{ "virtio-net: reset after NEEDS_RESET, frames are echoed again", test_hostile_reinit },
};

unsigned net_tests(struct tg *g, bool hostile)
{
	t.hostile = hostile;
	return tap_run(g, checks, sizeof(checks) / sizeof(checks[0]));
}
