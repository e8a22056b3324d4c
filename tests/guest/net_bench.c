/*
 * net_bench.c: the "netbench" mode: virtio-net throughput as the guest sees it, polled and
 * TSC-timed, every queue pair the device offers (up to NET_MAX_PAIRS), pair p driven from
 * vCPU p when there are CPUs enough (else all from the BSP; see "The vCPUs" below). Six
 * phases, each announced on the serial line so the host can start and stop its side
 * (tests/bench/virtio-net.sh):
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
#include "smp.h"
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

/*
 * The vCPUs: with at least as many CPUs as pairs (and more than one pair), vCPU p drives
 * pair p (the BSP pair 0, AP k pair k) in every phase; else the BSP drives every pair and
 * the APs halt. The BSP starts a phase by bumping ctl.seq (release) and ends it through
 * ctl.stop; an AP counts in locals and hands its counts over in its own cache line
 * (cpus[k], ack and counted stored with release), which the BSP sums after an acquire.
 */
enum nb_op { NB_TX = 1, NB_RX, NB_QUIT };
enum nb_stop { NB_RUN = 0, NB_DRAIN, NB_STOP };

/* Written by the BSP only, a line of its own: what the APs spin on. */
static struct __attribute__((aligned(64))) nb_ctl {
	uint32_t seq;		/* bumped to start a phase (or to let the APs go: NB_QUIT) */
	uint32_t op;		/* enum nb_op */
	uint32_t stop;		/* enum nb_stop; tx: NB_DRAIN ends reposting; rx: NB_DRAIN ends
				 * counting, NB_STOP draining */
} ctl;
_Static_assert(sizeof(struct nb_ctl) == 64, "a line of its own");

struct rx_count {
	uint64_t frames, bytes, gso;
	uint64_t per[NET_MAX_PAIRS];
	uint16_t pending[NET_MAX_PAIRS];	/* buffers left of a merged frame */
};

/* AP k's share of a phase, written by AP k only (its own cache lines; cpus[0] unused). */
struct __attribute__((aligned(64))) nb_cpu {
	uint32_t ack;		/* seq of the last phase it finished */
	uint32_t counted;	/* rx: seq of the phase whose counts are in rx */
	uint32_t seen;		/* rx: seq of the phase in which it took its first buffer */
	uint32_t drained;	/* rx: bumped for every drain sweep that took buffers */
	bool failed;		/* tx: frames not used 2 s after the stop */
	uint64_t sent, done;	/* tx: frames posted and used */
	struct rx_count rx;
};
_Static_assert(sizeof(struct nb_cpu) % 64 == 0, "one AP per cache line");

static struct nb_cpu cpus[NET_MAX_PAIRS];
static unsigned drivers = 1;	/* vCPUs driving pairs: 1, or nb.pairs */

static uint32_t ld(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* The pairs vCPU cpu drives: [*p0, *p1). */
static void pairs_of(unsigned cpu, uint16_t *p0, uint16_t *p1)
{
	*p0 = drivers > 1 ? (uint16_t)cpu : 0;
	*p1 = drivers > 1 ? (uint16_t)(cpu + 1) : nb.pairs;
}

/* BSP: starts op on the APs; returns the phase's seq. */
static uint32_t nb_go(uint32_t op)
{
	__atomic_store_n(&ctl.stop, NB_RUN, __ATOMIC_RELAXED);
	__atomic_store_n(&ctl.op, op, __ATOMIC_RELAXED);
	st(&ctl.seq, ctl.seq + 1);	/* release: the stores above and the rings, first */
	return ctl.seq;
}

/* BSP: waits until every driving AP has stored seq in its ack (or counted); false after ms. */
static bool aps_wait(const struct tg *g, bool counted, uint32_t seq, uint64_t ms)
{
	struct deadline d;

	deadline_start(&d, g, ms);
	for (unsigned k = 1; k < drivers; k++)
		while (ld(counted ? &cpus[k].counted : &cpus[k].ack) != seq) {
			if (deadline_passed(&d))
				return false;
			cpu_pause();
		}
	return true;
}

/* After reposting: notifies q unless the device set VRING_USED_F_NO_NOTIFY. */
static void notify_if_asked(struct nq *q)
{
	mb();
	if (!(q->used->flags & VRING_USED_F_NO_NOTIFY))
		mw16(q->notify, q->index);
}

/* Posts the whole ring of tx queues [p0, p1); returns how many frames that is. */
static uint64_t prime_tx(uint16_t p0, uint16_t p1)
{
	uint64_t sent = 0;

	for (uint16_t p = p0; p < p1; p++) {
		struct nq *q = &nb.tx[p];

		for (uint16_t i = 0; i < q->size; i++)
			nq_publish(q, i, true, false);
		sent += q->size;
		nq_kick(q);
	}
	return sent;
}

/* Takes the used tx buffers of queues [p0, p1), reposting them while `more` (adding to
 * *sent); returns how many were used. */
static uint64_t tx_sweep(uint16_t p0, uint16_t p1, bool more, uint64_t *sent)
{
	uint64_t done = 0;

	for (uint16_t p = p0; p < p1; p++) {
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
				(*sent)++;
				posted = true;
			}
		}
		if (posted)
			notify_if_asked(q);
	}
	return done;
}

/* AP k's tx phase: until the BSP says stop, then until every frame is used (2 s at most). */
static void ap_tx(const struct tg *g, struct nb_cpu *me, uint16_t p0, uint16_t p1)
{
	uint64_t khz = tsc_khz_or_guess(g), sent = prime_tx(p0, p1), done = 0, stopped = 0;

	me->failed = false;
	while (done < sent) {
		bool more = __atomic_load_n(&ctl.stop, __ATOMIC_RELAXED) == NB_RUN;

		if (!more && !stopped)
			stopped = rdtsc();
		done += tx_sweep(p0, p1, more, &sent);
		if (stopped && rdtsc() - stopped > 2000 * khz) {
			me->failed = true;
			break;
		}
	}
	me->sent = sent;
	me->done = done;
}

/* One tx phase (len 0: TSO frames); returns false (with why) when the device stops using
 * buffers. */
static bool bench_tx(struct tg *g, const char *name, uint32_t len, char *why, size_t n)
{
	uint64_t khz = tsc_khz_or_guess(g), t0, end, sent, done = 0;
	uint16_t p0, p1;
	uint32_t seq;

	if (len)
		fill_tx(len);
	else
		fill_tx_tso();
	gprintf("# netbench %s begin\n", name);
	delay_ms(g, SETTLE_MS);
	pairs_of(0, &p0, &p1);
	t0 = rdtsc();
	end = t0 + BENCH_MS * khz;
	seq = nb_go(NB_TX);
	sent = prime_tx(p0, p1);
	while (done < sent) {
		bool more = rdtsc() < end;

		if (!more && ctl.stop == NB_RUN)
			st(&ctl.stop, NB_DRAIN);
		done += tx_sweep(p0, p1, more, &sent);
		if (!more && rdtsc() - end > 2000 * khz) {
			gsnprintf(why, n, "%s: %lu of %lu frames not used 2 s after the end "
				  "(status 0x%02x)", name, sent - done, sent, vdev_status(&nb.d));
			return false;
		}
	}
	if (ctl.stop == NB_RUN)
		st(&ctl.stop, NB_DRAIN);
	if (!aps_wait(g, false, seq, 3000)) {
		gsnprintf(why, n, "%s: an AP did not finish its pair 3 s after the BSP", name);
		return false;
	}
	for (unsigned k = 1; k < drivers; k++) {
		if (cpus[k].failed) {
			gsnprintf(why, n, "%s: cpu %u: %lu of %lu frames not used 2 s after the end "
				  "(status 0x%02x)", name, k, cpus[k].sent - cpus[k].done,
				  cpus[k].sent, vdev_status(&nb.d));
			return false;
		}
		done += cpus[k].done;
	}
	gprintf("# netbench %s frames=%lu us=%lu\n", name, done, (rdtsc() - t0) * 1000 / khz);
	gprintf("# netbench %s end\n", name);
	delay_ms(g, SETTLE_MS);
	return true;
}

/* Takes every used rx buffer of queues [p0, p1), counts frames and bytes, reposts;
 * returns buffers taken. */
static unsigned rx_sweep(struct rx_count *c, uint16_t p0, uint16_t p1)
{
	unsigned taken = 0;

	for (uint16_t p = p0; p < p1; p++) {
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
		if (posted)
			notify_if_asked(q);
	}
	return taken;
}

/* AP k's rx phase: counts until NB_DRAIN, hands the counts over, drains until NB_STOP. */
static void ap_rx(struct nb_cpu *me, uint32_t seq, uint16_t p0, uint16_t p1)
{
	struct rx_count c = { 0 };

	while (__atomic_load_n(&ctl.stop, __ATOMIC_RELAXED) == NB_RUN)
		if (rx_sweep(&c, p0, p1) && me->seen != seq)
			st(&me->seen, seq);
	me->rx = c;
	st(&me->counted, seq);
	while (__atomic_load_n(&ctl.stop, __ATOMIC_RELAXED) == NB_DRAIN)
		if (rx_sweep(&c, p0, p1))
			__atomic_store_n(&me->drained, me->drained + 1, __ATOMIC_RELAXED);
}

/* Did an AP take a buffer in phase seq? */
static bool aps_seen(uint32_t seq)
{
	for (unsigned k = 1; k < drivers; k++)
		if (ld(&cpus[k].seen) == seq)
			return true;
	return false;
}

/* The APs' drain sweeps that took buffers, so far. */
static uint32_t aps_drained(void)
{
	uint32_t sum = 0;

	for (unsigned k = 1; k < drivers; k++)
		sum += __atomic_load_n(&cpus[k].drained, __ATOMIC_RELAXED);
	return sum;
}

/* One rx phase: count for BENCH_MS from the first frame, then drain until quiet; `gso`:
 * the line says how many frames came as GSO TCPV4. */
static bool bench_rx(struct tg *g, const char *name, bool gso, char *why, size_t n)
{
	uint64_t khz = tsc_khz_or_guess(g), t0, end, quiet;
	struct rx_count c = { 0 };
	char per[64] = "";
	size_t at = 0;
	uint16_t p0, p1;
	uint32_t seq, drained;

	pairs_of(0, &p0, &p1);
	seq = nb_go(NB_RX);
	gprintf("# netbench %s ready\n", name);
	t0 = rdtsc();
	while (!rx_sweep(&c, p0, p1) && !aps_seen(seq)) {
		if (rdtsc() - t0 > FIRST_FRAME_MS * khz) {
			st(&ctl.stop, NB_STOP);
			gsnprintf(why, n, "%s: no frame within %u ms", name, FIRST_FRAME_MS);
			return false;
		}
		cpu_pause();
	}
	t0 = rdtsc();
	end = t0 + BENCH_MS * khz;
	while (rdtsc() < end)
		rx_sweep(&c, p0, p1);
	end = rdtsc();
	st(&ctl.stop, NB_DRAIN);
	if (!aps_wait(g, true, seq, 1000)) {
		st(&ctl.stop, NB_STOP);
		gsnprintf(why, n, "%s: an AP did not hand its counts over within 1 s", name);
		return false;
	}
	for (unsigned k = 1; k < drivers; k++) {
		c.frames += cpus[k].rx.frames;
		c.bytes += cpus[k].rx.bytes;
		c.gso += cpus[k].rx.gso;
		for (uint16_t p = 0; p < nb.pairs; p++)
			c.per[p] += cpus[k].rx.per[p];
	}
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
	drained = aps_drained();
	while (rdtsc() - quiet < QUIET_MS * khz && rdtsc() - end < 5000 * khz) {
		uint32_t d = aps_drained();

		if (rx_sweep(&c, p0, p1) || d != drained) {
			quiet = rdtsc();
			drained = d;
		}
	}
	st(&ctl.stop, NB_STOP);
	if (!aps_wait(g, false, seq, 1000)) {
		gsnprintf(why, n, "%s: an AP did not stop draining within 1 s", name);
		return false;
	}
	return true;
}

/* Every AP: waits for a phase, runs it on its pair, acks; returns (and halts) on NB_QUIT
 * or when it drives no pair. */
static void nb_ap(unsigned cpu, void *arg)
{
	const struct tg *g = arg;
	uint32_t last = 0;
	uint16_t p0, p1;

	if (cpu >= nb.pairs || cpu >= NET_MAX_PAIRS)
		return;
	for (;;) {
		uint32_t seq;

		while ((seq = ld(&ctl.seq)) == last)
			cpu_pause();
		last = seq;
		if (__atomic_load_n(&ctl.op, __ATOMIC_RELAXED) == NB_QUIT)
			return;
		pairs_of(cpu, &p0, &p1);
		if (ctl.op == NB_TX)
			ap_tx(g, &cpus[cpu], p0, p1);
		else
			ap_rx(&cpus[cpu], seq, p0, p1);
		st(&cpus[cpu].ack, seq);
	}
}

/* Starts the APs on nb_ap; sets drivers to nb.pairs when there are CPUs enough for one per
 * pair, else lets the APs halt. */
static void start_aps(struct tg *g)
{
	char why[192] = "";
	unsigned up;

	if (!acpi_probe(g, why, sizeof(why), false)) {
		/* without a MADT smp_start() would count CPUID's (under PVM the host's) CPUs */
		gprintf("# netbench: no ACPI (%s): one vCPU\n", why);
		return;
	}
	up = smp_start(g, nb_ap, g, why, sizeof(why));
	if (up + 1 < smp_cpu_count())
		gprintf("# netbench: %u of %u APs started: %s\n", up, smp_cpu_count() - 1, why);
	if (nb.pairs > 1 && up + 1 >= nb.pairs)
		drivers = nb.pairs;	/* before the first nb_go(): published by its release */
	else
		nb_go(NB_QUIT);
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
	bool ok;

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
	start_aps(g);
	gprintf("# netbench: tsc %lu kHz, features 0x%lx, %u of %u queue pairs, queue sizes rx %u "
		"tx %u, %u rx buffers of %u bytes per queue, %u ms per phase, %u vCPU%s (of %u)\n",
		tsc_khz_or_guess(g), nb.d.features, nb.pairs, nb.max_pairs, nb.rx[0].size,
		nb.tx[0].size, nb.rx[0].nbufs, nb.rx[0].bufsz, BENCH_MS, drivers,
		drivers > 1 ? "s" : "", smp_cpu_count() ? smp_cpu_count() : 1);
	ok = bench_tx(g, "tx64", 60, why, n) && bench_tx(g, "tx1500", 1514, why, n) &&
	     bench_rx(g, "rx64", false, why, n) && bench_rx(g, "rx1500", false, why, n) &&
	     bench_tso(g, why, n);
	if (drivers > 1)
		nb_go(NB_QUIT);	/* an AP still in a phase (after a failure) halts with the VM */
	return ok;
}
