/* virtio-balloon (virtio 1.x §5.5), as QEMU 7.2's virtio-balloon-pci offers it.
 *
 * Queues (QEMU's numbering: the stats queue always exists): 0 inflateq, 1 deflateq,
 * 2 statsq, 3 reporting_vq (only with free page reporting). Config space (16 bytes):
 * le32 num_pages (the host's target, in 4 KiB pages), le32 actual (what the driver
 * holds), le32 free_page_hint_cmd_id (always 0: no FREE_PAGE_HINT), le32 poison_val.
 *
 * Inflate: every PFN the driver hands over is given back to the host (the guest-RAM
 * memfd is punched, gmem_release), batched: the PFNs of a buffer are sorted and merged
 * into ranges, one release per range. PFNs outside the releasable RAM the machine names
 * (guest RAM minus the firmware area and the loader's low memory) are skipped and
 * logged once. Deflate needs nothing from the host: a punched page comes back zeroed on
 * its next touch. Free page reporting: each reported (device-writable, 4 KiB-aligned)
 * buffer is released the same way, unless the driver set a non-zero poison value (the
 * guest expects that pattern back, not zeroes; QEMU skips them too).
 *
 * Stats: the driver keeps one buffer on the statsq; the device holds it, and gives it
 * back when virtio_balloon_request_stats() asks for fresh values (the machine's polling
 * timer); the driver refills and resubmits it. Unknown tags (newer guests) are skipped.
 *
 * Threads: kicks from vCPU threads or the machine's I/O thread, config accesses from
 * vCPU threads, the other calls from the main thread; the device locks what it shares. */
#ifndef VIREO_DRIVERS_VIRTIO_BALLOON_H
#define VIREO_DRIVERS_VIRTIO_BALLOON_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"

/* Feature bits (§5.5.3). */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST		0
#define VIRTIO_BALLOON_F_STATS_VQ		1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM		2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT		3
#define VIRTIO_BALLOON_F_PAGE_POISON		4
#define VIRTIO_BALLOON_F_PAGE_REPORTING		5

#define VIRTIO_BALLOON_Q_INFLATE	0
#define VIRTIO_BALLOON_Q_DEFLATE	1
#define VIRTIO_BALLOON_Q_STATS		2
#define VIRTIO_BALLOON_Q_REPORTING	3

#define VIRTIO_BALLOON_PFN_SHIFT	12
#define VIRTIO_BALLOON_PAGE_SIZE	(1u << VIRTIO_BALLOON_PFN_SHIFT)
#define VIRTIO_BALLOON_QUEUE_SIZE	128	/* as QEMU's inflate/deflate/stats queues */
#define VIRTIO_BALLOON_CONFIG_SIZE	16	/* QEMU's size with PAGE_POISON offered */

/* Stat tags (§5.5.6.3) QEMU 7.2 knows; a tag >= VIRTIO_BALLOON_S_NR is skipped. */
#define VIRTIO_BALLOON_S_SWAP_IN	0
#define VIRTIO_BALLOON_S_SWAP_OUT	1
#define VIRTIO_BALLOON_S_MAJFLT		2
#define VIRTIO_BALLOON_S_MINFLT		3
#define VIRTIO_BALLOON_S_MEMFREE	4
#define VIRTIO_BALLOON_S_MEMTOT		5
#define VIRTIO_BALLOON_S_AVAIL		6
#define VIRTIO_BALLOON_S_CACHES		7
#define VIRTIO_BALLOON_S_HTLB_PGALLOC	8
#define VIRTIO_BALLOON_S_HTLB_PGFAIL	9
#define VIRTIO_BALLOON_S_NR		10
#define VIRTIO_BALLOON_STAT_SIZE	10	/* packed { le16 tag; le64 val; } */
#define VIRTIO_BALLOON_STAT_UNSET	UINT64_MAX	/* never reported (QEMU's -1) */

/* A guest-physical range [start, end). */
struct balloon_range {
	uint64_t start, end;
};

struct virtio_balloon_opts {
	bool deflate_on_oom;		/* offer DEFLATE_ON_OOM */
	bool free_page_reporting;	/* offer PAGE_REPORTING (and its queue) */
	bool page_poison;		/* offer PAGE_POISON (QEMU's default: on) */
	/* The RAM the device may give back to the host (copied); any other PFN is
	 * skipped. Sorted or not; at most VIRTIO_BALLOON_MAX_RAM_RANGES. */
	const struct balloon_range *ram;
	unsigned n_ram;
	/* The driver wrote a new `actual` (pages). Called from the vCPU thread doing the
	 * config write, without device locks held. Optional. */
	void (*actual_changed)(void *opaque, uint32_t actual);
	void *opaque;
};

#define VIRTIO_BALLOON_MAX_RAM_RANGES 8

struct virtio_balloon_stats {
	uint64_t value[VIRTIO_BALLOON_S_NR];	/* VIRTIO_BALLOON_STAT_UNSET if not given */
	int64_t last_update;			/* wall-clock seconds; 0: never */
};

/* A balloon device. Returns it, or NULL with *errp set. */
struct vdev *virtio_balloon_new(const struct virtio_balloon_opts *o, const struct gmem *mem,
				const struct logger *log, struct err **errp);
void virtio_balloon_free(struct vdev *vdev);

/* The host's target: num_pages 4 KiB pages in the balloon. Raises a config interrupt
 * once the driver is up (every time, as QEMU, even when unchanged). Any thread. */
void virtio_balloon_set_num_pages(struct vdev *vdev, uint32_t num_pages);
/* The pages the driver says it holds (config `actual`). Any thread. */
uint32_t virtio_balloon_actual(struct vdev *vdev);
/* The last stats the driver sent. Any thread. */
void virtio_balloon_get_stats(struct vdev *vdev, struct virtio_balloon_stats *out);
/* Give the held stats buffer back so the driver sends fresh values. Returns whether
 * the device held one (false: the driver has not (re)submitted it yet). */
bool virtio_balloon_request_stats(struct vdev *vdev);
/* QEMU's QOM name of a stat ("stat-swap-in"), or NULL for tag >= VIRTIO_BALLOON_S_NR. */
const char *virtio_balloon_stat_name(unsigned tag);

/* ---- the device's pure parts, for the unit tests ---- */

/* Sort pfns[0..n) in place and merge them into ranges of guest-physical bytes (a PFN
 * given twice counts once). out has room for n ranges. Returns the number of ranges. */
size_t balloon_pfns_to_ranges(uint32_t *pfns, size_t n, struct balloon_range *out);

/* Call fn for each part of r that lies inside one of ram[0..n_ram) (sorted by start,
 * not overlapping). Returns the bytes of r outside them (skipped). */
uint64_t balloon_clip_range(const struct balloon_range *r, const struct balloon_range *ram,
			    unsigned n_ram, void (*fn)(void *ctx, uint64_t gpa, uint64_t len),
			    void *ctx);

/* Parse a stats buffer (len bytes of packed stats; a trailing partial stat is
 * ignored) into stats[VIRTIO_BALLOON_S_NR]: known tags overwrite their slot, unknown
 * tags are counted in *unknown (may be NULL). Returns the number of whole stats read. */
size_t balloon_parse_stats(const void *buf, size_t len, uint64_t *stats, unsigned *unknown);

#endif
