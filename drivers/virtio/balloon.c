/* virtio-balloon: see balloon.h. */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/virtio/balloon.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* PFNs read from a buffer at a time: bounds the work space whatever the guest posts
 * (Linux sends 256 per buffer). */
#define PFN_CHUNK	1024
/* Stats bytes read from one buffer (Linux 6.x sends 16 stats, 160 bytes). */
#define STATS_MAX_BYTES	(64 * VIRTIO_BALLOON_STAT_SIZE)

struct virtio_balloon {
	struct vdev vdev;		/* first: container_of by cast */
	bool offer_deflate_on_oom, offer_reporting, offer_poison;
	struct balloon_range ram[VIRTIO_BALLOON_MAX_RAM_RANGES];	/* sorted */
	unsigned n_ram;
	void (*actual_changed)(void *opaque, uint32_t actual);
	void *opaque;

	pthread_mutex_t qlock;		/* queue processing and what follows */
	struct vq_chain chain;
	bool stats_held;		/* the driver's stats buffer, held until polled */
	uint16_t stats_head;
	bool skipped_logged;		/* "PFNs outside RAM" said once per device */
	bool release_err_logged;
	uint32_t pfns[PFN_CHUNK];
	struct balloon_range ranges[PFN_CHUNK];

	pthread_mutex_t state;		/* config fields and stats */
	uint32_t num_pages, actual, poison_val;
	struct virtio_balloon_stats stats;
};

static struct virtio_balloon *to_balloon(struct vdev *vdev)
{
	return (struct virtio_balloon *)vdev;
}

/* ---- pure parts ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t balloon_pfns_to_ranges(uint32_t *pfns, size_t n, struct balloon_range *out)
{
	size_t nr = 0;

	qsort(pfns, n, sizeof(*pfns), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		uint64_t start = (uint64_t)pfns[i] << VIRTIO_BALLOON_PFN_SHIFT;

		if (nr && start < out[nr - 1].end)
			continue;	/* a duplicate */
		if (nr && start == out[nr - 1].end) {
			out[nr - 1].end += VIRTIO_BALLOON_PAGE_SIZE;
			continue;
		}
		out[nr].start = start;
		out[nr].end = start + VIRTIO_BALLOON_PAGE_SIZE;
		nr++;
	}
	return nr;
}

uint64_t balloon_clip_range(const struct balloon_range *r, const struct balloon_range *ram,
			    unsigned n_ram, void (*fn)(void *ctx, uint64_t gpa, uint64_t len),
			    void *ctx)
{
	uint64_t inside = 0;

	for (unsigned i = 0; i < n_ram && ram[i].start < r->end; i++) {
		uint64_t lo = r->start > ram[i].start ? r->start : ram[i].start;
		uint64_t hi = r->end < ram[i].end ? r->end : ram[i].end;

		if (lo >= hi)
			continue;
		fn(ctx, lo, hi - lo);
		inside += hi - lo;
	}
	return (r->end - r->start) - inside;
}

size_t balloon_parse_stats(const void *buf, size_t len, uint64_t *stats, unsigned *unknown)
{
	const uint8_t *p = buf;
	size_t n = len / VIRTIO_BALLOON_STAT_SIZE;

	for (size_t i = 0; i < n; i++, p += VIRTIO_BALLOON_STAT_SIZE) {
		uint16_t tag;
		uint64_t val;

		memcpy(&tag, p, sizeof(tag));
		memcpy(&val, p + 2, sizeof(val));
		tag = le16toh(tag);
		if (tag < VIRTIO_BALLOON_S_NR)
			stats[tag] = le64toh(val);
		else if (unknown)
			(*unknown)++;
	}
	return n;
}

const char *virtio_balloon_stat_name(unsigned tag)
{
	static const char *const names[VIRTIO_BALLOON_S_NR] = {
		[VIRTIO_BALLOON_S_SWAP_IN] = "stat-swap-in",
		[VIRTIO_BALLOON_S_SWAP_OUT] = "stat-swap-out",
		[VIRTIO_BALLOON_S_MAJFLT] = "stat-major-faults",
		[VIRTIO_BALLOON_S_MINFLT] = "stat-minor-faults",
		[VIRTIO_BALLOON_S_MEMFREE] = "stat-free-memory",
		[VIRTIO_BALLOON_S_MEMTOT] = "stat-total-memory",
		[VIRTIO_BALLOON_S_AVAIL] = "stat-available-memory",
		[VIRTIO_BALLOON_S_CACHES] = "stat-disk-caches",
		[VIRTIO_BALLOON_S_HTLB_PGALLOC] = "stat-htlb-pgalloc",
		[VIRTIO_BALLOON_S_HTLB_PGFAIL] = "stat-htlb-pgfail",
	};

	return tag < VIRTIO_BALLOON_S_NR ? names[tag] : NULL;
}

/* ---- giving memory back ---- */

static void release_piece(void *ctx, uint64_t gpa, uint64_t len)
{
	struct virtio_balloon *b = ctx;

	if (gmem_release(b->vdev.mem, gpa, len) == 0 || b->release_err_logged)
		return;
	b->release_err_logged = true;
	log_warning(b->vdev.log, _("%s: cannot give guest RAM 0x%llx-0x%llx back to the host "
				   "(logged once)"), b->vdev.name, (unsigned long long)gpa,
		    (unsigned long long)(gpa + len));
}

/* Release r where it is releasable RAM; say once what was skipped. qlock held. */
static void release_range(struct virtio_balloon *b, const struct balloon_range *r)
{
	if (balloon_clip_range(r, b->ram, b->n_ram, release_piece, b) == 0 || b->skipped_logged)
		return;
	b->skipped_logged = true;
	log_warning(b->vdev.log, _("%s: the guest gave pages outside the RAM it may return "
				   "(0x%llx-0x%llx); they are ignored (logged once)"), b->vdev.name,
		    (unsigned long long)r->start, (unsigned long long)r->end);
}

/* An inflateq buffer: le32 PFNs, sorted and merged chunk by chunk. */
static void inflate_chain(struct virtio_balloon *b)
{
	uint64_t total = b->chain.out_len / sizeof(uint32_t);

	for (uint64_t done = 0; done < total;) {
		size_t n = total - done < PFN_CHUNK ? (size_t)(total - done) : PFN_CHUNK;
		size_t nr;

		vq_copy_from_out(&b->chain, done * sizeof(uint32_t), b->pfns, n * sizeof(uint32_t));
		for (size_t i = 0; i < n; i++)
			b->pfns[i] = le32toh(b->pfns[i]);
		nr = balloon_pfns_to_ranges(b->pfns, n, b->ranges);
		for (size_t i = 0; i < nr; i++)
			release_range(b, &b->ranges[i]);
		done += n;
	}
}

/* A reporting_vq buffer: device-writable buffers, each a free 4 KiB-aligned block. */
static void report_chain(struct virtio_balloon *b)
{
	uint32_t poison;

	pthread_mutex_lock(&b->state);
	poison = b->poison_val;
	pthread_mutex_unlock(&b->state);
	if (poison)
		return;	/* the guest expects its poison pattern back, not zeroes */
	for (unsigned i = b->chain.n_out; i < b->chain.n_out + b->chain.n_in; i++) {
		struct balloon_range r;
		uint64_t len = b->chain.iov[i].iov_len;

		if (!gmem_gpa_of(b->vdev.mem, b->chain.iov[i].iov_base, &r.start) ||
		    ((r.start | len) & (VIRTIO_BALLOON_PAGE_SIZE - 1)))
			continue;	/* unaligned: ignored, as QEMU does */
		r.end = r.start + len;
		release_range(b, &r);
	}
}

/* A statsq buffer: keep its values and hold it until the next poll. Returns whether
 * an older held buffer was given back (a driver that did not wait for the poll). */
static bool stats_chain(struct virtio_balloon *b)
{
	uint8_t buf[STATS_MAX_BYTES];
	size_t len = vq_copy_from_out(&b->chain, 0, buf, sizeof(buf));
	bool pushed = false;

	if (b->stats_held) {
		vq_push(&b->vdev.vqs[VIRTIO_BALLOON_Q_STATS], b->stats_head, 0);
		pushed = true;
	}
	b->stats_held = true;
	b->stats_head = b->chain.head;
	pthread_mutex_lock(&b->state);
	/* Afresh each time, as QEMU: a guest that now sends fewer stats (it booted an
	 * older kernel) leaves no stale values. */
	for (unsigned i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		b->stats.value[i] = VIRTIO_BALLOON_STAT_UNSET;
	balloon_parse_stats(buf, len, b->stats.value, NULL);
	b->stats.last_update = (int64_t)time(NULL);
	pthread_mutex_unlock(&b->state);
	return pushed;
}

/* One ring's worth of buffers on queue q. Returns the number given back (used), -1
 * if the ring broke. qlock held. */
static int balloon_round(struct vdev *vdev, unsigned q)
{
	struct virtio_balloon *b = to_balloon(vdev);
	struct virtqueue *vq = &vdev->vqs[q];
	int popped = 0, used = 0;

	while (popped < vq->size) {
		struct err *e = NULL;
		int r = vq_pop(vq, &b->chain, &e);

		if (r == 0)
			break;
		if (r < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), _("queue %u: %s"), q, e ? e->message : "?");
			vdev_set_needs_reset(&b->vdev, msg);
			err_free(e);
			return used ? used : -1;
		}
		popped++;
		if (q == VIRTIO_BALLOON_Q_STATS) {
			used += stats_chain(b);
			continue;
		}
		if (q == VIRTIO_BALLOON_Q_INFLATE)
			inflate_chain(b);
		else if (q == VIRTIO_BALLOON_Q_REPORTING)
			report_chain(b);
		vq_push(vq, b->chain.head, 0);	/* deflate: nothing for the host to do */
		used++;
	}
	return popped ? used : 0;
}

static void balloon_queue_notify(struct vdev *vdev, unsigned qidx)
{
	struct virtio_balloon *b = to_balloon(vdev);

	if (qidx >= vdev->nqueues)
		return;
	pthread_mutex_lock(&b->qlock);
	vdev_queue_run(vdev, qidx, balloon_round);
	pthread_mutex_unlock(&b->qlock);
}

/* Kicks before DRIVER_OK are dropped by the transport (Linux posts its first stats
 * buffer then): look at every ring once. */
static void balloon_driver_ok(struct vdev *vdev)
{
	for (unsigned q = 0; q < vdev->nqueues; q++)
		balloon_queue_notify(vdev, q);
}

bool virtio_balloon_request_stats(struct vdev *vdev)
{
	struct virtio_balloon *b = to_balloon(vdev);
	bool held;

	pthread_mutex_lock(&b->qlock);
	held = b->stats_held;
	if (held) {
		vq_push(&vdev->vqs[VIRTIO_BALLOON_Q_STATS], b->stats_head, 0);
		b->stats_held = false;
		vdev_notify_queue(vdev, VIRTIO_BALLOON_Q_STATS);
	}
	pthread_mutex_unlock(&b->qlock);
	return held;
}

/* ---- config space and features ---- */

static uint64_t balloon_features(struct vdev *vdev)
{
	struct virtio_balloon *b = to_balloon(vdev);
	uint64_t f = UINT64_C(1) << VIRTIO_BALLOON_F_STATS_VQ;

	if (b->offer_deflate_on_oom)
		f |= UINT64_C(1) << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (b->offer_poison)
		f |= UINT64_C(1) << VIRTIO_BALLOON_F_PAGE_POISON;
	if (b->offer_reporting)
		f |= UINT64_C(1) << VIRTIO_BALLOON_F_PAGE_REPORTING;
	return f;
}

static bool balloon_set_features(struct vdev *vdev, uint64_t features)
{
	return true;
}

/* The config space as the driver sees it. state held. */
static void config_image(const struct virtio_balloon *b, uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE])
{
	uint32_t v[4] = { htole32(b->num_pages), htole32(b->actual), 0, htole32(b->poison_val) };

	memcpy(cfg, v, VIRTIO_BALLOON_CONFIG_SIZE);
}

static void balloon_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_balloon *b = to_balloon(vdev);
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];

	pthread_mutex_lock(&b->state);
	config_image(b, cfg);
	pthread_mutex_unlock(&b->state);
	memcpy(buf, cfg + off, len);
}

/* The driver writes `actual` (and poison_val with PAGE_POISON); num_pages is the
 * host's and a write to it changes nothing, as in QEMU. */
static void balloon_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	struct virtio_balloon *b = to_balloon(vdev);
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];
	uint32_t actual, poison, old;

	pthread_mutex_lock(&b->state);
	config_image(b, cfg);
	memcpy(cfg + off, buf, len);
	memcpy(&actual, cfg + 4, 4);
	memcpy(&poison, cfg + 12, 4);
	old = b->actual;
	b->actual = le32toh(actual);
	b->poison_val = vdev_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_POISON) ? le32toh(poison) : 0;
	actual = b->actual;
	pthread_mutex_unlock(&b->state);
	if (actual != old && b->actual_changed)
		b->actual_changed(b->opaque, actual);
}

void virtio_balloon_set_num_pages(struct vdev *vdev, uint32_t num_pages)
{
	struct virtio_balloon *b = to_balloon(vdev);

	pthread_mutex_lock(&b->state);
	b->num_pages = num_pages;
	pthread_mutex_unlock(&b->state);
	/* §4.1.4.3: a config change bumps config_generation; QEMU signals only a live
	 * driver. */
	if (!(__atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE) & VIRTIO_STATUS_DRIVER_OK))
		return;
	__atomic_add_fetch(&vdev->config_generation, 1, __ATOMIC_ACQ_REL);
	if (vdev->transport && vdev->transport->notify_config)
		vdev->transport->notify_config(vdev);
}

uint32_t virtio_balloon_actual(struct vdev *vdev)
{
	struct virtio_balloon *b = to_balloon(vdev);
	uint32_t a;

	pthread_mutex_lock(&b->state);
	a = b->actual;
	pthread_mutex_unlock(&b->state);
	return a;
}

void virtio_balloon_get_stats(struct vdev *vdev, struct virtio_balloon_stats *out)
{
	struct virtio_balloon *b = to_balloon(vdev);

	pthread_mutex_lock(&b->state);
	*out = b->stats;
	pthread_mutex_unlock(&b->state);
}

/* The target and `actual` survive a device reset, as in QEMU (the driver that comes
 * next reads the target and reports what it holds); the held stats buffer and the
 * poison value do not. */
static void balloon_reset(struct vdev *vdev)
{
	struct virtio_balloon *b = to_balloon(vdev);

	pthread_mutex_lock(&b->qlock);	/* waits out a buffer in progress */
	b->stats_held = false;
	pthread_mutex_unlock(&b->qlock);
	pthread_mutex_lock(&b->state);
	b->poison_val = 0;
	pthread_mutex_unlock(&b->state);
}

static const struct vdev_ops virtio_balloon_ops = {
	.name = "virtio-balloon-pci",
	.device_id = VIRTIO_ID_BALLOON,
	.features = balloon_features,
	.set_features = balloon_set_features,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.queue_notify = balloon_queue_notify,
	.driver_ok = balloon_driver_ok,
	.reset = balloon_reset,
};

static int cmp_range(const void *a, const void *b)
{
	const struct balloon_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

struct vdev *virtio_balloon_new(const struct virtio_balloon_opts *o, const struct gmem *mem,
				const struct logger *log, struct err **errp)
{
	struct virtio_balloon *b;

	if (o->n_ram > VIRTIO_BALLOON_MAX_RAM_RANGES) {
		err_set(errp, ERR_LIMIT, _("virtio-balloon-pci: more than %d RAM ranges"),
			VIRTIO_BALLOON_MAX_RAM_RANGES);
		return NULL;
	}
	b = xzalloc(sizeof(*b));
	vdev_init(&b->vdev, &virtio_balloon_ops, mem, log, o->free_page_reporting ? 4 : 3,
		  VIRTIO_BALLOON_QUEUE_SIZE, VIRTIO_BALLOON_CONFIG_SIZE);
	b->offer_deflate_on_oom = o->deflate_on_oom;
	b->offer_reporting = o->free_page_reporting;
	b->offer_poison = o->page_poison;
	b->actual_changed = o->actual_changed;
	b->opaque = o->opaque;
	memcpy(b->ram, o->ram, o->n_ram * sizeof(*o->ram));
	b->n_ram = o->n_ram;
	qsort(b->ram, b->n_ram, sizeof(b->ram[0]), cmp_range);
	for (unsigned i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		b->stats.value[i] = VIRTIO_BALLOON_STAT_UNSET;
	pthread_mutex_init(&b->qlock, NULL);
	pthread_mutex_init(&b->state, NULL);
	return &b->vdev;
}

void virtio_balloon_free(struct vdev *vdev)
{
	struct virtio_balloon *b;

	if (!vdev)
		return;
	b = to_balloon(vdev);
	pthread_mutex_destroy(&b->qlock);
	pthread_mutex_destroy(&b->state);
	pthread_mutex_destroy(&vdev->lock);
	free(b);
}
