/*
 * balloon.c: the test guest's virtio-balloon driver (virtio 1.x §5.5), polled from the
 * idle loop. It owns a page pool: the RAM entry of the PVH memory map that holds
 * POOL_BASE, up to 3 GiB. The balloon is the top of the pool: inflating grows it
 * downwards, deflating gives back its lowest pages. Before a page goes into the balloon
 * the guest writes to it, so the host really holds it and has something to give back.
 *
 * Per poll: follow num_pages (inflate or deflate, PFNs in buffers of up to 256 like
 * Linux, BUFS_IN_FLIGHT buffers per kick, `actual` written after each round), and give
 * the stats buffer back filled whenever the host has returned it. With "report-free"
 * and PAGE_REPORTING, the free part of the pool is reported once at start.
 * See README.md ("virtio-balloon").
 */
#include "virtio.h"
#include "io.h"

#define VIRTIO_ID_BALLOON	5
#define BAL_F_STATS_VQ		(1ull << 1)
#define BAL_F_DEFLATE_ON_OOM	(1ull << 2)
#define BAL_F_PAGE_REPORTING	(1ull << 5)
#define BAL_WANTED		(BAL_F_STATS_VQ | BAL_F_DEFLATE_ON_OOM | BAL_F_PAGE_REPORTING)

#define Q_INFLATE	0
#define Q_DEFLATE	1
#define Q_STATS		2
#define Q_REPORTING	3	/* QEMU's numbering: the stats queue always exists */

#define CFG_NUM_PAGES	0
#define CFG_ACTUAL	4

#define PAGE		4096ull
#define POOL_BASE	(32ull << 20)	/* above the image, stacks and blkbench's buffers */
#define POOL_LIMIT	(3ull << 30)	/* the guest maps RAM cached below 3 GiB */
#define PFNS_PER_BUF	256		/* as Linux's VIRTIO_BALLOON_ARRAY_PFNS_MAX */
#define BUFS_IN_FLIGHT	8
#define REPORT_CHUNK	(2ull << 20)	/* Linux reports pageblocks (2 MiB on x86) */
#define REPORT_SEGS	VQ_MAX

/* Stat tags (§5.5.6.3); 10 is Linux 6.12's OOM_KILL, unknown to QEMU 7.2: a host must
 * skip it. */
enum { ST_SWAP_IN, ST_SWAP_OUT, ST_MAJFLT, ST_MINFLT, ST_MEMFREE, ST_MEMTOT, ST_AVAIL,
       ST_CACHES, ST_NEWER = 10, NSTATS = 9 };

struct bstat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

static struct {
	bool ok;
	struct vdev d;
	struct vq q[4];
	bool reporting;
	uint64_t pool_lo, pool_hi;	/* [pool_lo, pool_hi) */
	uint64_t ram_total;		/* RAM in the memory map, bytes */
	uint32_t pool_pages;
	uint32_t held;			/* pages in the balloon: the top of the pool */
	uint32_t target;		/* the last num_pages seen */
	uint64_t stats_sent;
	struct bstat stats[NSTATS];
	uint32_t pfns[BUFS_IN_FLIGHT][PFNS_PER_BUF];
} bal;

static struct vring_page bal_rings[4] __attribute__((aligned(4096)));

/* The pool: the memory-map RAM entry around POOL_BASE, cut at POOL_LIMIT. */
static bool find_pool(const struct tg *g)
{
	const struct hvm_memmap_table_entry *e;

	if (!g->si || g->si->version < 1 || !g->si->memmap_paddr)
		return false;
	e = (const struct hvm_memmap_table_entry *)(uintptr_t)g->si->memmap_paddr;
	for (uint32_t i = 0; i < g->si->memmap_entries && i < 64; i++) {
		if (e[i].type != 1)
			continue;
		bal.ram_total += e[i].size;
		if (e[i].addr <= POOL_BASE && e[i].addr + e[i].size > POOL_BASE) {
			bal.pool_lo = POOL_BASE;
			bal.pool_hi = e[i].addr + e[i].size;
			if (bal.pool_hi > POOL_LIMIT)
				bal.pool_hi = POOL_LIMIT;
			bal.pool_hi &= ~(PAGE - 1);
		}
	}
	bal.pool_pages = (uint32_t)((bal.pool_hi - bal.pool_lo) / PAGE);
	return bal.pool_hi > bal.pool_lo;
}

/* The address of the k-th page from the top of the pool (k = 0 is the highest). */
static uint64_t top_page(uint32_t k)
{
	return bal.pool_hi - (uint64_t)(k + 1) * PAGE;
}

static uint64_t ms_since(const struct tg *g, uint64_t t0)
{
	return (rdtsc() - t0) / tsc_khz_or_guess(g);
}

/* Post nb buffers of PFNs on queue qi, wait for them all. */
static bool send_pfns(struct tg *g, unsigned qi, const unsigned *counts, unsigned nb)
{
	struct vq *q = &bal.q[qi];

	for (unsigned i = 0; i < nb; i++) {
		q->r->desc[i] = (struct vring_desc){ (uintptr_t)bal.pfns[i], counts[i] * 4, 0, 0 };
		vq_kick(q, (uint16_t)i);
	}
	for (unsigned i = 0; i < nb; i++)
		if (!vq_wait(g, q, 2000, NULL, NULL))
			return false;
	return true;
}

/* Move the balloon one round towards `want` pages. Returns false if the device did
 * not answer. */
static bool balloon_round(struct tg *g, uint32_t want)
{
	bool inflate = want > bal.held;
	uint32_t todo = inflate ? want - bal.held : bal.held - want, k = 0;
	unsigned counts[BUFS_IN_FLIGHT], nb = 0;

	for (; nb < BUFS_IN_FLIGHT && k < todo; nb++) {
		counts[nb] = 0;
		for (; counts[nb] < PFNS_PER_BUF && k < todo; counts[nb]++, k++) {
			/* inflate: the next pages below the balloon; deflate: its lowest */
			uint64_t pa = inflate ? top_page(bal.held + k) : top_page(bal.held - 1 - k);

			if (inflate)	/* so the host holds it */
				*(volatile uint64_t *)(uintptr_t)pa = pa;
			bal.pfns[nb][counts[nb]] = (uint32_t)(pa / PAGE);
		}
	}
	if (!send_pfns(g, inflate ? Q_INFLATE : Q_DEFLATE, counts, nb))
		return false;
	bal.held = inflate ? bal.held + k : bal.held - k;
	mw32(bal.d.devcfg + CFG_ACTUAL, bal.held);
	return true;
}

/* Follow num_pages, as far as the pool allows. */
static void follow_target(struct tg *g)
{
	uint32_t want = mr32(bal.d.devcfg + CFG_NUM_PAGES), from = bal.held;
	uint64_t t0 = rdtsc();

	if (want == bal.target)
		return;
	bal.target = want;
	if (want > bal.pool_pages)
		want = bal.pool_pages;
	while (bal.held != want) {
		if (!balloon_round(g, want)) {
			gprintf("# balloon: a buffer not returned within 2 s; stopping\n");
			bal.ok = false;
			return;
		}
	}
	gprintf("# balloon: target %u pages: %s from %u to %u pages (%u MiB) in %lu ms\n",
		bal.target, want >= from ? "inflated" : "deflated", from, bal.held,
		bal.held / 256, ms_since(g, t0));
}

static void fill_stats(void)
{
	uint64_t free = (uint64_t)(bal.pool_pages - bal.held) * PAGE;
	static const uint8_t tags[NSTATS] = { ST_SWAP_IN, ST_SWAP_OUT, ST_MAJFLT, ST_MINFLT,
					      ST_MEMFREE, ST_MEMTOT, ST_AVAIL, ST_CACHES,
					      ST_NEWER };
	uint64_t vals[NSTATS] = { 0, 0, 0, bal.stats_sent, free,
				  bal.ram_total - (uint64_t)bal.held * PAGE, free, 0, 0 };

	for (unsigned i = 0; i < NSTATS; i++)
		bal.stats[i] = (struct bstat){ tags[i], vals[i] };
}

/* (Re)post the stats buffer; stat-minor-faults counts the reports sent so far, so the
 * host can count them too. */
static void send_stats(void)
{
	struct vq *q = &bal.q[Q_STATS];

	fill_stats();
	q->r->desc[0] = (struct vring_desc){ (uintptr_t)bal.stats, sizeof(bal.stats), 0, 0 };
	vq_kick(q, 0);
	bal.stats_sent++;
}

/* The host gave the stats buffer back (its polling timer): send fresh values. */
static void answer_stats(void)
{
	struct vq *q = &bal.q[Q_STATS];

	if (*(volatile uint16_t *)&q->r->used.idx == q->last_used)
		return;
	q->last_used++;
	send_stats();
}

/* Report the free part of the pool, REPORT_SEGS blocks of 2 MiB per request. */
static void report_free(struct tg *g)
{
	struct vq *q = &bal.q[Q_REPORTING];
	uint64_t a = bal.pool_lo, end = bal.pool_hi - (uint64_t)bal.held * PAGE, done = 0;
	uint64_t t0 = rdtsc();

	while (a + REPORT_CHUNK <= end) {
		unsigned n = 0;

		for (; n < REPORT_SEGS && a + REPORT_CHUNK <= end; n++, a += REPORT_CHUNK)
			q->r->desc[n] = (struct vring_desc){ a, REPORT_CHUNK,
							     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
							     (uint16_t)(n + 1) };
		q->r->desc[n - 1].flags = VRING_DESC_F_WRITE;	/* the chain ends here */
		q->r->desc[n - 1].next = 0;
		vq_kick(q, 0);
		if (!vq_wait(g, q, 2000, NULL, NULL)) {
			gprintf("# balloon: free page report not returned within 2 s\n");
			return;
		}
		done += n * REPORT_CHUNK;
	}
	gprintf("# balloon: reported %lu MiB of free pages in %lu ms\n", done >> 20,
		ms_since(g, t0));
}

/* Touch every pool page (one write each), so the host holds all of the guest's RAM. */
static void touch_pool(const struct tg *g)
{
	uint64_t t0 = rdtsc();

	for (uint64_t a = bal.pool_lo; a < bal.pool_hi; a += PAGE)
		*(volatile uint64_t *)(uintptr_t)a = a;
	gprintf("# balloon: touched %lu MiB of free RAM in %lu ms\n",
		(bal.pool_hi - bal.pool_lo) >> 20, ms_since(g, t0));
}

static bool balloon_init(struct tg *g, char *why, size_t n)
{
	unsigned nq;

	if (!vdev_begin(g, &bal.d, BAL_WANTED, why, n))
		return false;
	bal.reporting = (bal.d.features & BAL_F_PAGE_REPORTING) != 0;
	nq = bal.reporting ? 4 : 3;
	for (unsigned i = 0; i < nq; i++)
		if (!vq_setup(&bal.d, &bal.q[i], &bal_rings[i], (uint16_t)i, why, n))
			return false;
	if (!vdev_driver_ok(&bal.d, why, n))
		return false;
	if (!bal.d.devcfg || bal.d.devcfg_len < 8) {
		gsnprintf(why, n, "no device configuration (num_pages, actual)");
		return false;
	}
	/* A fresh driver holds nothing: say so (a host may remember an earlier boot's). */
	mw32(bal.d.devcfg + CFG_ACTUAL, 0);
	if (bal.d.features & BAL_F_STATS_VQ)
		send_stats();
	return true;
}

void balloon_start(struct tg *g, bool touch_ram, bool report)
{
	char why[160] = "";

	if (!vdev_find(&bal.d, VIRTIO_ID_BALLOON, why, sizeof(why))) {
		if (bal.d.found)
			gprintf("# balloon: unusable device: %s\n", why);
		return;
	}
	if (!find_pool(g)) {
		gprintf("# balloon: no RAM at 0x%llx for a page pool\n", POOL_BASE);
		return;
	}
	if (!balloon_init(g, why, sizeof(why))) {
		gprintf("# balloon: %s\n", why);
		return;
	}
	bal.ok = true;
	gprintf("# balloon %02x:%02x.%x: features 0x%lx (accepted 0x%lx), %u queues (size %u %u "
		"%u%s), pool 0x%lx-0x%lx (%u MiB)\n", bal.d.bus, bal.d.dev, bal.d.fn,
		bal.d.dev_features, bal.d.features, bal.d.num_queues, bal.q[0].size, bal.q[1].size,
		bal.q[2].size, bal.reporting ? " + reporting" : "", bal.pool_lo, bal.pool_hi,
		bal.pool_pages / 256);
	if (touch_ram)
		touch_pool(g);
	if (report && bal.reporting)
		report_free(g);
	else if (report)
		gprintf("# balloon: report-free: PAGE_REPORTING not offered\n");
	follow_target(g);
}

void balloon_poll(struct tg *g)
{
	if (!bal.ok)
		return;
	follow_target(g);
	if (bal.ok && (bal.d.features & BAL_F_STATS_VQ))
		answer_stats();
}
