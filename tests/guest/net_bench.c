/*
 * net_bench.c: the "netbench" mode: virtio-net throughput as the guest sees it, polled and
 * TSC-timed, every queue pair the device offers (up to NET_MAX_PAIRS) driven from the one
 * vCPU. Four phases, each announced on the serial line so the host can start and stop its
 * side (tests/bench/virtio-net.sh):
 *
 *   tx64, tx1514   the guest sends 60- and 1514-byte frames (64 and 1518 on the wire with
 *                  the FCS) on every tx queue for BENCH_MS: "# netbench txN begin", then
 *                  "# netbench txN frames=F us=T" and "# netbench txN end" once every frame
 *                  has been used. The host counts what reached the tap.
 *   rx64, rx1514   "# netbench rxN ready": the host starts sending such frames to the
 *                  guest's MAC; the guest counts frames on every rx queue for BENCH_MS from
 *                  the first one, prints "# netbench rxN frames=F bytes=B us=T" and
 *                  "# netbench rxN end" (the host stops), then drains until quiet.
 *   txtso          as tx, with TSO_FRAME-byte TCP/IPv4 frames (GSO TCPV4, gso_size TSO_MSS,
 *                  NEEDS_CSUM) to 192.0.2.1 port 5001: only with HOST_TSO4. The host counts
 *                  the bytes that reached the tap.
 *   rxtso          as rx, after GUEST_OFFLOADS_SET switched GUEST_TSO4 on: the host sends
 *                  GSO TCP frames (tap-blast -t); the line adds gso=G, the frames that came
 *                  as GSO TCPV4 (merged buffers: one frame per num_buffers). Only with
 *                  GUEST_TSO4.
 *
 * HOST_TSO4, GUEST_TSO4 and CTRL_GUEST_OFFLOADS are negotiated when offered; the four first
 * phases run with the guest offloads cut to GUEST_CSUM (as without them), "# netbench
 * txtso|rxtso skipped: WHY" when the device lacks what a TSO phase needs.
 *
 * Frames go out with kicks only when the device asks for them (VRING_USED_F_NO_NOTIFY), rx
 * buffers are reposted in batches.
 */
#include "net.h"
#include "io.h"

#define BENCH_MS	1000
#define SETTLE_MS	300		/* around a tx phase: the host reads its counters */
#define FIRST_FRAME_MS	10000
#define QUIET_MS	200
#define BENCH_PORT	9		/* discard */
#define TSO_PORT	5001
#define TSO_MSS		1448
#define TSO_HDRS	(NET_ETH_LEN + 20 + 20)
#define TSO_FRAME	(TSO_HDRS + 44 * TSO_MSS)	/* 63766 bytes: IPv4 total length 63752 */

static const uint8_t guest_ip[4] = { 192, 0, 2, 2 };
static const uint8_t host_ip[4] = { 192, 0, 2, 1 };
static const uint8_t host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static struct net nb;

/* Fills every tx slot of every pair with one frame of `len` bytes (UDP port 30000 + pair). */
static void fill_tx(uint32_t len)
{
	static uint8_t frame[NET_TX_SLOT];

	for (uint16_t p = 0; p < nb.pairs; p++) {
		struct nq *q = &nb.tx[p];

		memset(frame + NET_UDP_PAYLOAD, 0x5a, len - NET_UDP_PAYLOAD);
		net_build_udp(frame, len, host_mac, nb.mac, guest_ip, host_ip,
			      (uint16_t)(30000 + p), BENCH_PORT, 0, false);
		for (uint16_t i = 0; i < q->size; i++) {
			uint8_t *b = (uint8_t *)(uintptr_t)(q->buf + (uint64_t)i * q->bufsz);

			memset(b, 0, NET_HDR_LEN);
			memcpy(b + NET_HDR_LEN, frame, len);
			q->desc[i] = (struct vring_desc){ (uintptr_t)b, NET_HDR_LEN + len, 0, 0 };
		}
	}
}

/* A TCP/IPv4 frame of TSO_FRAME bytes for pair p (ACK|PSH, port 31000 + p), the TCP
 * checksum field holding the pseudo-header sum (NEEDS_CSUM). */
static void build_tso(uint8_t *f, uint16_t p)
{
	uint8_t *tcp = f + NET_ETH_LEN + 20;
	uint16_t tlen = (uint16_t)(TSO_FRAME - NET_ETH_LEN - 20);
	uint32_t pseudo = csum_add(csum_add(0, guest_ip, 4), host_ip, 4) + 6 + tlen;

	memset(f + TSO_HDRS, 0x5a, TSO_FRAME - TSO_HDRS);
	net_build_ipv4(f, TSO_FRAME, host_mac, nb.mac, guest_ip, host_ip, 6, 0);
	memset(tcp, 0, 20);
	put_be16(tcp, (uint16_t)(31000 + p));
	put_be16(tcp + 2, TSO_PORT);
	tcp[7] = 1;			/* seq 1 */
	tcp[11] = 1;			/* ack 1 */
	tcp[12] = 5 << 4;		/* data offset: 20 bytes */
	tcp[13] = 0x18;			/* ACK | PSH */
	put_be16(tcp + 14, 0xffff);
	put_be16(tcp + 16, csum_fold(pseudo));
}

/* Every tx slot of every pair: one TSO frame, from NET_TSO_BUFS buffers per pair. */
static void fill_tx_tso(void)
{
	const struct net_hdr h = {
		.flags = NET_HDR_F_NEEDS_CSUM, .gso_type = NET_HDR_GSO_TCPV4,
		.hdr_len = TSO_HDRS, .gso_size = TSO_MSS,
		.csum_start = NET_CSUM_START, .csum_offset = 16,
	};

	for (uint16_t p = 0; p < nb.pairs; p++) {
		struct nq *q = &nb.tx[p];
		uint64_t base = NET_TSO_BASE + (uint64_t)p * NET_TSO_BUFS * NET_TSO_SLOT;

		for (unsigned k = 0; k < NET_TSO_BUFS; k++) {
			uint8_t *b = (uint8_t *)(uintptr_t)(base + k * NET_TSO_SLOT);

			memcpy(b, &h, NET_HDR_LEN);
			build_tso(b + NET_HDR_LEN, p);
		}
		for (uint16_t i = 0; i < q->size; i++)
			q->desc[i] = (struct vring_desc){ base + (i % NET_TSO_BUFS) * NET_TSO_SLOT,
							  NET_HDR_LEN + TSO_FRAME, 0, 0 };
	}
}

/* Posts the whole ring of every tx queue; returns how many frames that is. */
static uint64_t prime_tx(void)
{
	uint64_t sent = 0;

	for (uint16_t p = 0; p < nb.pairs; p++) {
		struct nq *q = &nb.tx[p];

		for (uint16_t i = 0; i < q->size; i++)
			nq_publish(q, i, true, false);
		sent += q->size;
		nq_kick(q);
	}
	return sent;
}

/* One tx phase (len 0: TSO frames); returns false (with why) when the device stops using
 * buffers. */
static bool bench_tx(struct tg *g, const char *name, uint32_t len, char *why, size_t n)
{
	uint64_t khz = tsc_khz_or_guess(g), t0, end, sent, done = 0;

	if (len)
		fill_tx(len);
	else
		fill_tx_tso();
	gprintf("# netbench %s begin\n", name);
	delay_ms(g, SETTLE_MS);
	t0 = rdtsc();
	end = t0 + BENCH_MS * khz;
	sent = prime_tx();
	while (done < sent) {
		bool more = rdtsc() < end;

		for (uint16_t p = 0; p < nb.pairs; p++) {
			struct nq *q = &nb.tx[p];
			bool posted = false;

			while (q->used->idx != q->last_used) {
				uint32_t id;

				barrier();
				id = q->used->ring[q->last_used % q->size].id;
				q->last_used++;
				done++;
				if (more && id < q->size) {
					nq_publish(q, (uint16_t)id, true, false);
					sent++;
					posted = true;
				}
			}
			if (posted) {
				mb();
				if (!(q->used->flags & VRING_USED_F_NO_NOTIFY))
					mw16(q->notify, q->index);
			}
		}
		if (!more && rdtsc() - end > 2000 * khz) {
			gsnprintf(why, n, "%s: %lu of %lu frames not used 2 s after the end "
				  "(status 0x%02x)", name, sent - done, sent, vdev_status(&nb.d));
			return false;
		}
	}
	gprintf("# netbench %s frames=%lu us=%lu\n", name, done, (rdtsc() - t0) * 1000 / khz);
	gprintf("# netbench %s end\n", name);
	delay_ms(g, SETTLE_MS);
	return true;
}

struct rx_count {
	uint64_t frames, bytes, gso;
	uint64_t per[NET_MAX_PAIRS];
	uint16_t pending[NET_MAX_PAIRS];	/* buffers left of a merged frame */
};

/* Takes every used rx buffer, counts frames and bytes, reposts; returns buffers taken. */
static unsigned rx_sweep(struct rx_count *c)
{
	unsigned taken = 0;

	for (uint16_t p = 0; p < nb.pairs; p++) {
		struct nq *q = &nb.rx[p];
		bool posted = false;

		while (q->used->idx != q->last_used) {
			volatile struct vring_used_elem *e;
			uint32_t id, len;

			barrier();
			e = &q->used->ring[q->last_used % q->size];
			id = e->id;
			len = e->len;
			q->last_used++;
			taken++;
			if (id >= q->nbufs)
				continue;
			if (c->pending[p]) {
				c->pending[p]--;
				c->bytes += len;
			} else {
				const struct net_hdr *h = (const struct net_hdr *)(uintptr_t)
					(q->buf + (uint64_t)id * q->bufsz);
				uint16_t nbuf = net_has(&nb, NET_F_MRG_RXBUF) ? h->num_buffers : 1;

				c->pending[p] = nbuf ? (uint16_t)(nbuf - 1) : 0;
				c->frames++;
				c->gso += (h->gso_type & 0x7f) == NET_HDR_GSO_TCPV4;
				c->per[p]++;
				c->bytes += len > NET_HDR_LEN ? len - NET_HDR_LEN : 0;
			}
			nq_publish(q, (uint16_t)id, true, false);
			posted = true;
		}
		if (posted) {
			mb();
			if (!(q->used->flags & VRING_USED_F_NO_NOTIFY))
				mw16(q->notify, q->index);
		}
	}
	return taken;
}

/* One rx phase: count for BENCH_MS from the first frame, then drain until quiet; `gso`:
 * the line says how many frames came as GSO TCPV4. */
static bool bench_rx(struct tg *g, const char *name, bool gso, char *why, size_t n)
{
	uint64_t khz = tsc_khz_or_guess(g), t0, end, quiet;
	struct rx_count c = { 0 };
	char per[64] = "";
	size_t at = 0;

	gprintf("# netbench %s ready\n", name);
	t0 = rdtsc();
	while (!rx_sweep(&c)) {
		if (rdtsc() - t0 > FIRST_FRAME_MS * khz) {
			gsnprintf(why, n, "%s: no frame within %u ms", name, FIRST_FRAME_MS);
			return false;
		}
		cpu_pause();
	}
	t0 = rdtsc();
	end = t0 + BENCH_MS * khz;
	while (rdtsc() < end)
		rx_sweep(&c);
	end = rdtsc();
	for (uint16_t p = 0; p < nb.pairs; p++)
		at += (size_t)gsnprintf(per + at, sizeof(per) - at, " %lu", c.per[p]);
	if (gso)
		gprintf("# netbench %s frames=%lu bytes=%lu gso=%lu us=%lu per-queue%s\n", name,
			c.frames, c.bytes, c.gso, (end - t0) * 1000 / khz, per);
	else
		gprintf("# netbench %s frames=%lu bytes=%lu us=%lu per-queue%s\n", name, c.frames,
			c.bytes, (end - t0) * 1000 / khz, per);
	gprintf("# netbench %s end\n", name);
	quiet = rdtsc();
	while (rdtsc() - quiet < QUIET_MS * khz && rdtsc() - end < 5000 * khz)
		if (rx_sweep(&c))
			quiet = rdtsc();
	return true;
}

/* txtso and rxtso, or why each is skipped. */
static bool bench_tso(struct tg *g, char *why, size_t n)
{
	if (!net_has(&nb, NET_F_HOST_TSO4))
		gprintf("# netbench txtso skipped: no HOST_TSO4\n");
	else if (!bench_tx(g, "txtso", 0, why, n))
		return false;
	if (!net_has(&nb, NET_F_GUEST_TSO4)) {
		gprintf("# netbench rxtso skipped: no GUEST_TSO4 (needs GUEST_CSUM, MRG_RXBUF)\n");
		return true;
	}
	if (net_has(&nb, NET_F_CTRL_GUEST_OFFLOADS) &&
	    !net_set_offloads(g, &nb, NET_F_GUEST_CSUM | NET_F_GUEST_TSO4, why, n))
		return false;
	return bench_rx(g, "rxtso", true, why, n);
}

bool net_bench(struct tg *g, char *why, size_t n)
{
	nb.extra = NET_F_GUEST_TSO4 | NET_F_CTRL_GUEST_OFFLOADS;
	if (net_ram_covers(g, NET_TSO_BASE, NET_TSO_END))
		nb.extra |= NET_F_HOST_TSO4;	/* else txtso is skipped */
	if (!net_start(g, &nb, why, n)) {
		if (!nb.d.found)
			gsnprintf(why, n, "no virtio-net device");
		return false;
	}
	if (net_has(&nb, NET_F_MQ) && !net_set_pairs(g, &nb, nb.pairs, why, n))
		return false;
	/* The first phases as without the TSO features: no GSO frames to the guest. */
	if (net_has(&nb, NET_F_GUEST_TSO4 | NET_F_CTRL_GUEST_OFFLOADS) &&
	    !net_set_offloads(g, &nb, NET_F_GUEST_CSUM, why, n))
		return false;
	gprintf("# netbench: tsc %lu kHz, features 0x%lx, %u of %u queue pairs, queue sizes rx %u "
		"tx %u, %u rx buffers of %u bytes per queue, %u ms per phase, one vCPU\n",
		tsc_khz_or_guess(g), nb.d.features, nb.pairs, nb.max_pairs, nb.rx[0].size,
		nb.tx[0].size, nb.rx[0].nbufs, nb.rx[0].bufsz, BENCH_MS);
	return bench_tx(g, "tx64", 60, why, n) && bench_tx(g, "tx1500", 1514, why, n) &&
	       bench_rx(g, "rx64", false, why, n) && bench_rx(g, "rx1500", false, why, n) &&
	       bench_tso(g, why, n);
}
