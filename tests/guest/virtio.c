/*
 * virtio.c: small virtio 1.x drivers (modern PCI transport, split virtqueues, polled) for
 * virtio-blk, virtio-console and virtio-rng, and their TAP checks. Everything runs at CPL3:
 * PCI configuration through conf1 ports, the virtio structures through MMIO. One request
 * is in flight per queue at a time; completions are polled with bounded waits.
 * See README.md ("virtio") for what the host side must provide.
 */
#include "virtio.h"
#include "io.h"

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_MODERN_BASE	0x1040	/* device id 0x1040 + virtio device type */
#define VIRTIO_ID_BLK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

/* virtio_pci_cap.cfg_type */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4

/* struct virtio_pci_common_cfg offsets */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_CFGGEN	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_AVAIL	0x28
#define CC_Q_USED	0x30
#define CC_LEN		0x38

/* device status */
#define S_ACKNOWLEDGE	0x01
#define S_DRIVER	0x02
#define S_DRIVER_OK	0x04
#define S_FEATURES_OK	0x08
#define S_NEEDS_RESET	0x40
#define S_FAILED	0x80

/* virtio-blk */
#define BLK_F_SIZE_MAX	(1ull << 1)
#define BLK_F_SEG_MAX	(1ull << 2)
#define BLK_F_RO	(1ull << 5)
#define BLK_F_BLK_SIZE	(1ull << 6)
#define BLK_F_FLUSH	(1ull << 9)
#define BLK_F_DISCARD	(1ull << 13)
#define BLK_T_IN	0
#define BLK_T_OUT	1
#define BLK_T_FLUSH	4
#define BLK_T_GET_ID	8
#define BLK_T_DISCARD	11
#define BLK_S_OK	0
#define BLK_S_IOERR	1
#define BLK_S_UNSUPP	2
#define BLK_ID_BYTES	20

/* virtio-console */
#define CON_F_MULTIPORT	(1ull << 1)

#define NVQ		4	/* blk 1, console 2, rng 1 */
#define BAR_ALLOC_BASE	0xc0000000ull
#define BAR_ALLOC_END	0xfe000000ull
#define REQ_TIMEOUT_MS	2000
#define RESET_TIMEOUT_MS 1000

static struct vring_page vring_pages[NVQ] __attribute__((aligned(4096)));
static unsigned vring_next;

static uint64_t bar_alloc_next = BAR_ALLOC_BASE;

/* ---- PCI: finding the device, its BARs and its virtio capabilities --------------------- */

/* Makes [addr, addr + len) uncached in the identity map (2 MiB pages below 3 GiB). */
static void map_uncached(uint64_t addr, uint64_t len)
{
	for (uint64_t a = addr & ~0x1fffffull; a < addr + len && a < (3ull << 30); a += 2ull << 20)
		syscall1(SYS_MAP_UC, a);
}

/*
 * Returns the address of memory BAR `bar`, assigning one from BAR_ALLOC_BASE up when the
 * firmware left it at 0 (or put it above 4 GiB, which the guest does not map); 0 on error.
 */
static uint64_t bar_address(struct vdev *d, unsigned bar, char *why, size_t n)
{
	unsigned off = 0x10 + bar * 4;
	uint32_t lo = pci_read32(d->bus, d->dev, d->fn, off), hi = 0, cmd;
	bool is64 = (lo & 6) == 4;
	uint64_t addr, size;

	if (lo & 1) {
		gsnprintf(why, n, "BAR%u is an I/O BAR", bar);
		return 0;
	}
	if (is64 && bar < 5)
		hi = pci_read32(d->bus, d->dev, d->fn, off + 4);
	addr = ((uint64_t)hi << 32) | (lo & ~0xfull);
	cmd = pci_read32(d->bus, d->dev, d->fn, 0x04) & 0xffff;
	if (addr != 0 && addr < (4ull << 30)) {
		if ((cmd & 6) != 6)		/* memory decode and bus mastering */
			pci_write32(d->bus, d->dev, d->fn, 0x04, cmd | 6);
		return addr;
	}
	/* Size it with decoding off, then place it. */
	pci_write32(d->bus, d->dev, d->fn, 0x04, cmd & ~3u);
	pci_write32(d->bus, d->dev, d->fn, off, 0xffffffffu);
	size = pci_read32(d->bus, d->dev, d->fn, off) & ~0xfull;
	if (is64) {
		pci_write32(d->bus, d->dev, d->fn, off + 4, 0xffffffffu);
		size |= (uint64_t)pci_read32(d->bus, d->dev, d->fn, off + 4) << 32;
	} else {
		size |= 0xffffffff00000000ull;
	}
	size = ~size + 1;
	if (size == 0 || size > (256ull << 20) || (size & (size - 1))) {
		pci_write32(d->bus, d->dev, d->fn, off, lo);
		gsnprintf(why, n, "BAR%u: odd size 0x%lx", bar, size);
		return 0;
	}
	addr = (bar_alloc_next + size - 1) & ~(size - 1);
	if (addr + size > BAR_ALLOC_END) {
		gsnprintf(why, n, "BAR%u: no room for 0x%lx bytes", bar, size);
		return 0;
	}
	bar_alloc_next = addr + size;
	pci_write32(d->bus, d->dev, d->fn, off, (uint32_t)addr | (lo & 0xf));
	if (is64)
		pci_write32(d->bus, d->dev, d->fn, off + 4, 0);
	pci_write32(d->bus, d->dev, d->fn, 0x04, cmd | 6);
	gprintf("# virtio %02x:%02x.%x: assigned BAR%u 0x%lx (size 0x%lx, was 0x%lx)\n", d->bus,
		d->dev, d->fn, bar, addr, size, ((uint64_t)hi << 32) | (lo & ~(uint64_t)0xf));
	return addr;
}

/* Finds the first modern virtio device of `type` and its common/notify/ISR/device caps. */
bool vdev_find(struct vdev *d, uint16_t type, char *why, size_t n)
{
	unsigned count;
	const struct pci_fn *f = pci_functions(&count);
	uint64_t bars[6] = { 0 };
	unsigned ptr, guard = 0;

	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < count; i++) {
		if (f[i].vendor == VIRTIO_VENDOR && f[i].device == VIRTIO_MODERN_BASE + type) {
			d->found = true;
			d->bus = f[i].bus;
			d->dev = f[i].dev;
			d->fn = f[i].fn;
			break;
		}
	}
	if (!d->found)
		return false;
	d->type = type;
	if (!(pci_read16(d->bus, d->dev, d->fn, 0x06) & 0x10)) {
		gsnprintf(why, n, "no capability list");
		return false;
	}
	ptr = pci_read8(d->bus, d->dev, d->fn, 0x34) & 0xfc;
	while (ptr >= 0x40 && guard++ < 48) {
		uint32_t w0 = pci_read32(d->bus, d->dev, d->fn, ptr);
		uint32_t w1 = pci_read32(d->bus, d->dev, d->fn, ptr + 4);
		uint8_t cfg_type = (uint8_t)(w0 >> 24), bar = (uint8_t)w1, caplen = (uint8_t)(w0 >> 16);
		uint64_t base, addr;
		uint32_t offset, length;

		if ((w0 & 0xff) != 0x09 || cfg_type < CAP_COMMON || cfg_type > CAP_DEVICE ||
		    bar > 5 || caplen < 16)
			goto next;
		/* The first capability of each type is the preferred one. */
		if ((cfg_type == CAP_COMMON && d->common) || (cfg_type == CAP_NOTIFY && d->notify) ||
		    (cfg_type == CAP_ISR && d->isr) || (cfg_type == CAP_DEVICE && d->devcfg))
			goto next;
		offset = pci_read32(d->bus, d->dev, d->fn, ptr + 8);
		length = pci_read32(d->bus, d->dev, d->fn, ptr + 12);
		if (!bars[bar]) {
			bars[bar] = bar_address(d, bar, why, n);
			if (!bars[bar])
				return false;
		}
		base = bars[bar];
		addr = base + offset;
		map_uncached(addr, length);
		switch (cfg_type) {
		case CAP_COMMON:
			if (length < CC_LEN) {
				gsnprintf(why, n, "common cfg only %u bytes", length);
				return false;
			}
			d->common = addr;
			break;
		case CAP_NOTIFY:
			d->notify = addr;
			d->notify_mult = pci_read32(d->bus, d->dev, d->fn, ptr + 16);
			break;
		case CAP_ISR:
			d->isr = addr;
			break;
		case CAP_DEVICE:
			d->devcfg = addr;
			d->devcfg_len = length;
			break;
		}
next:
		ptr = (w0 >> 8) & 0xfc;
	}
	if (!d->common || !d->notify || !d->isr) {
		gsnprintf(why, n, "missing capabilities: common 0x%lx notify 0x%lx isr 0x%lx",
			  d->common, d->notify, d->isr);
		return false;
	}
	return true;
}

/* ---- device status, features, queues ----------------------------------------------------- */

uint8_t vdev_status(const struct vdev *d)
{
	return mr8(d->common + CC_STATUS);
}

/* Writes 0 to device_status and waits for it to read back 0. */
static bool vdev_reset(struct tg *g, const struct vdev *d)
{
	struct deadline dl;

	mw8(d->common + CC_STATUS, 0);
	deadline_start(&dl, g, RESET_TIMEOUT_MS);
	while (vdev_status(d) != 0)
		if (deadline_passed(&dl))
			return false;
	return true;
}

static uint64_t vdev_device_features(const struct vdev *d)
{
	uint64_t f;

	mw32(d->common + CC_DFSELECT, 0);
	f = mr32(d->common + CC_DF);
	mw32(d->common + CC_DFSELECT, 1);
	f |= (uint64_t)mr32(d->common + CC_DF) << 32;
	return f;
}

/* Reset, ACKNOWLEDGE|DRIVER, negotiate (VERSION_1 plus `wanted`), FEATURES_OK. */
bool vdev_begin(struct tg *g, struct vdev *d, uint64_t wanted, char *why, size_t n)
{
	uint8_t st;

	if (!vdev_reset(g, d)) {
		gsnprintf(why, n, "status 0x%02x: reset did not complete in %u ms", vdev_status(d),
			  RESET_TIMEOUT_MS);
		return false;
	}
	mw8(d->common + CC_STATUS, S_ACKNOWLEDGE);
	mw8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	d->dev_features = vdev_device_features(d);
	if (!(d->dev_features & F_VERSION_1)) {
		mw8(d->common + CC_STATUS, S_FAILED);
		gsnprintf(why, n, "features 0x%lx lack VERSION_1", d->dev_features);
		return false;
	}
	d->features = (d->dev_features & wanted) | F_VERSION_1;
	mw32(d->common + CC_GFSELECT, 0);
	mw32(d->common + CC_GF, (uint32_t)d->features);
	mw32(d->common + CC_GFSELECT, 1);
	mw32(d->common + CC_GF, (uint32_t)(d->features >> 32));
	mw8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	st = vdev_status(d);
	if (!(st & S_FEATURES_OK)) {
		mw8(d->common + CC_STATUS, S_FAILED);
		gsnprintf(why, n, "status 0x%02x: FEATURES_OK not kept (features 0x%lx)", st,
			  d->features);
		return false;
	}
	d->num_queues = mr16(d->common + CC_NUMQ);
	return true;
}

/*
 * Sets up queue `index` with rings the caller placed (and zeroed) at desc/avail/used, of
 * min(device's size, max) entries. Returns that size (0 on error, with why); the queue's
 * notify address in *notify.
 */
uint16_t vq_setup_rings(struct vdev *d, uint16_t index, uint16_t max, uint64_t desc,
			uint64_t avail, uint64_t used, uint64_t *notify, char *why, size_t n)
{
	uint16_t size, noff;

	if (index >= d->num_queues) {
		gsnprintf(why, n, "queue %u: device has %u queues", index, d->num_queues);
		return 0;
	}
	mw16(d->common + CC_Q_SELECT, index);
	size = mr16(d->common + CC_Q_SIZE);
	if (size == 0) {
		gsnprintf(why, n, "queue %u: size 0", index);
		return 0;
	}
	if (size > max)
		size = max;
	if (size & (size - 1)) {
		gsnprintf(why, n, "queue %u: size %u is not a power of 2", index, size);
		return 0;
	}
	mw16(d->common + CC_Q_SIZE, size);
	mw16(d->common + CC_Q_MSIX, 0xffff);	/* VIRTIO_MSI_NO_VECTOR: we poll */
	noff = mr16(d->common + CC_Q_NOFF);
	*notify = d->notify + (uint64_t)noff * d->notify_mult;
	mw64(d->common + CC_Q_DESC, desc);
	mw64(d->common + CC_Q_AVAIL, avail);
	mw64(d->common + CC_Q_USED, used);
	mw16(d->common + CC_Q_ENABLE, 1);
	if (mr16(d->common + CC_Q_ENABLE) != 1) {
		gsnprintf(why, n, "queue %u: queue_enable does not read back 1", index);
		return 0;
	}
	return size;
}

/* Sets up queue `index` in the ring page `r` (zeroed here). */
bool vq_setup(struct vdev *d, struct vq *q, struct vring_page *r, uint16_t index,
		     char *why, size_t n)
{
	memset(r, 0, sizeof(*r));
	memset(q, 0, sizeof(*q));
	q->r = r;
	q->index = index;
	q->size = vq_setup_rings(d, index, VQ_MAX, (uint64_t)(uintptr_t)r->desc,
				 (uint64_t)(uintptr_t)&r->avail, (uint64_t)(uintptr_t)&r->used,
				 &q->notify, why, n);
	return q->size != 0;
}

bool vdev_driver_ok(struct vdev *d, char *why, size_t n)
{
	uint8_t st;

	mw8(d->common + CC_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	st = vdev_status(d);
	if ((st & (S_NEEDS_RESET | S_FAILED)) || !(st & S_DRIVER_OK)) {
		gsnprintf(why, n, "status 0x%02x after DRIVER_OK", st);
		return false;
	}
	return true;
}

/* Publishes the chain starting at descriptor `head` and notifies the device. */
void vq_kick(struct vq *q, uint16_t head)
{
	q->r->avail.ring[q->avail_idx % q->size] = head;
	barrier();
	q->avail_idx++;
	*(volatile uint16_t *)&q->r->avail.idx = q->avail_idx;
	mb();
	mw16(q->notify, q->index);
}

/* Places bufs in descriptors 0..nb-1 as one chain and kicks (one request in flight). */
static void vq_submit(struct vq *q, const struct buf *bufs, unsigned nb)
{
	for (unsigned i = 0; i < nb; i++) {
		struct vring_desc *dsc = &q->r->desc[i];

		dsc->addr = (uint64_t)(uintptr_t)bufs[i].addr;
		dsc->len = bufs[i].len;
		dsc->flags = (uint16_t)((i + 1 < nb ? VRING_DESC_F_NEXT : 0) |
					(bufs[i].write ? VRING_DESC_F_WRITE : 0));
		dsc->next = (uint16_t)(i + 1 < nb ? i + 1 : 0);
	}
	vq_kick(q, 0);
}

/* Waits up to ms for a used element; returns false on timeout. */
bool vq_wait(struct tg *g, struct vq *q, uint64_t ms, uint32_t *id, uint32_t *len)
{
	struct deadline dl;

	deadline_start(&dl, g, ms);
	while (*(volatile uint16_t *)&q->r->used.idx == q->last_used) {
		if (deadline_passed(&dl))
			return false;
		cpu_pause();
	}
	barrier();
	const volatile struct vring_used_elem *e = &q->r->used.ring[q->last_used % q->size];
	if (id)
		*id = e->id;
	if (len)
		*len = e->len;
	q->last_used++;
	return true;
}

/* ---- virtio-blk --------------------------------------------------------------------------- */

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_discard_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static struct {
	bool tried, ok;
	char why[160];
	struct vdev d;
	struct vq q;
	uint64_t capacity;
	bool broken;		/* left NEEDS_RESET by the hostile test */
	struct blk_req_hdr hdr;
	volatile uint8_t status;
	struct blk_discard_seg seg;
	uint8_t data[8 * 512] __attribute__((aligned(512)));
} blk;

#define BLK_WANTED	(BLK_F_RO | BLK_F_BLK_SIZE | BLK_F_FLUSH | BLK_F_DISCARD | \
			 BLK_F_SEG_MAX | BLK_F_SIZE_MAX)

static bool blk_setup(struct tg *g, char *why, size_t n)
{
	static struct vring_page *page;

	if (!page)
		page = &vring_pages[vring_next++];
	if (!vdev_begin(g, &blk.d, BLK_WANTED, why, n) ||
	    !vq_setup(&blk.d, &blk.q, page, 0, why, n) || !vdev_driver_ok(&blk.d, why, n))
		return false;
	if (!blk.d.devcfg || blk.d.devcfg_len < 8) {
		gsnprintf(why, n, "no device configuration (capacity)");
		return false;
	}
	blk.capacity = mr32(blk.d.devcfg) | (uint64_t)mr32(blk.d.devcfg + 4) << 32;
	blk.broken = false;
	return true;
}

/* Finds and initialises the first virtio-blk once; false with g->skip when absent. */
static bool blk_get(struct tg *g, char *why, size_t n)
{
	if (!blk.tried) {
		blk.tried = true;
		if (!vdev_find(&blk.d, VIRTIO_ID_BLK, blk.why, sizeof(blk.why))) {
			if (!blk.d.found)
				gsnprintf(blk.why, sizeof(blk.why), "no device");
		} else {
			blk.ok = blk_setup(g, blk.why, sizeof(blk.why));
		}
	}
	if (!blk.d.found)
		g->skip = true;
	if (!blk.ok)
		gsnprintf(why, n, "%s", blk.why);
	return blk.ok;
}

/*
 * One request: header, optional data (device-readable for OUT/DISCARD, writable for
 * IN/GET_ID), status. Returns the status byte, or -1 on timeout.
 */
static int blk_request(struct tg *g, uint32_t type, uint64_t sector, void *data, uint32_t len,
		       bool data_write)
{
	struct buf b[3];
	unsigned nb = 0;
	uint32_t id;

	blk.hdr = (struct blk_req_hdr){ .type = type, .sector = sector };
	blk.status = 0xff;
	b[nb++] = (struct buf){ &blk.hdr, sizeof(blk.hdr), false };
	if (len)
		b[nb++] = (struct buf){ data, len, data_write };
	b[nb++] = (struct buf){ &blk.status, 1, true };
	vq_submit(&blk.q, b, nb);
	if (!vq_wait(g, &blk.q, REQ_TIMEOUT_MS, &id, NULL))
		return -1;
	barrier();
	return blk.status;
}

static void fill_pattern(uint8_t *p, size_t len, const char *s)
{
	size_t sl = strlen(s);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)s[i % sl];
}

/* Compares sector `sec` in buf with its host pattern "vireo-blk-sector-N". */
static bool check_sector(const uint8_t *buf, unsigned sec, char *why, size_t n)
{
	char pat[32];
	uint8_t want[512];

	gsnprintf(pat, sizeof(pat), "vireo-blk-sector-%u", sec);
	fill_pattern(want, sizeof(want), pat);
	for (unsigned i = 0; i < 512; i++) {
		if (buf[i] != want[i]) {
			gsnprintf(why, n, "sector %u byte %u is 0x%02x, want 0x%02x ('%s')", sec, i,
				  buf[i], want[i], pat);
			return false;
		}
	}
	return true;
}

static const char *blk_status_name(int st)
{
	switch (st) {
	case -1: return "timeout";
	case BLK_S_OK: return "OK";
	case BLK_S_IOERR: return "IOERR";
	case BLK_S_UNSUPP: return "UNSUPP";
	default: return "bad status";
	}
}

bool test_vblk_init(struct tg *g, char *why, size_t n)
{
	if (!blk_get(g, why, n))
		return false;
	gprintf("# virtio-blk %02x:%02x.%x: features 0x%lx (accepted 0x%lx), %u queues, "
		"queue 0 size %u, capacity %lu sectors\n", blk.d.bus, blk.d.dev, blk.d.fn,
		blk.d.dev_features, blk.d.features, blk.d.num_queues, blk.q.size, blk.capacity);
	return true;
}

bool test_vblk_read(struct tg *g, char *why, size_t n)
{
	int st;

	if (!blk_get(g, why, n))
		return false;
	if (blk.capacity < 32) {
		gsnprintf(why, n, "capacity %lu sectors, need at least 32", blk.capacity);
		return false;
	}
	memset(blk.data, 0, sizeof(blk.data));
	st = blk_request(g, BLK_T_IN, 0, blk.data, 8 * 512, true);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "read of sectors 0-7: %s (%d)", blk_status_name(st), st);
		return false;
	}
	for (unsigned s = 0; s < 8; s++)
		if (!check_sector(blk.data + s * 512, s, why, n))
			return false;
	return true;
}

bool test_vblk_write(struct tg *g, char *why, size_t n)
{
	uint8_t want[512];
	int st;

	if (!blk_get(g, why, n))
		return false;
	if (blk.d.features & BLK_F_RO) {
		g->skip = true;
		gsnprintf(why, n, "read-only disk");
		return true;
	}
	fill_pattern(want, sizeof(want), "vireo-blk-written");
	memcpy(blk.data, want, 512);
	st = blk_request(g, BLK_T_OUT, 8, blk.data, 512, false);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "write of sector 8: %s (%d)", blk_status_name(st), st);
		return false;
	}
	if (blk.d.features & BLK_F_FLUSH) {
		st = blk_request(g, BLK_T_FLUSH, 0, NULL, 0, false);
		if (st != BLK_S_OK) {
			gsnprintf(why, n, "flush: %s (%d)", blk_status_name(st), st);
			return false;
		}
		gprintf("# virtio-blk: flushed\n");
	} else {
		gprintf("# virtio-blk: FLUSH not offered\n");
	}
	memset(blk.data, 0, 512);
	st = blk_request(g, BLK_T_IN, 8, blk.data, 512, true);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "read back of sector 8: %s (%d)", blk_status_name(st), st);
		return false;
	}
	if (memcmp(blk.data, want, 512) != 0) {
		gsnprintf(why, n, "sector 8 reads back different data");
		return false;
	}
	return true;
}

bool test_vblk_id(struct tg *g, char *why, size_t n)
{
	char id[BLK_ID_BYTES + 1];
	int st;
	size_t len;

	if (!blk_get(g, why, n))
		return false;
	memset(blk.data, 0, BLK_ID_BYTES);
	st = blk_request(g, BLK_T_GET_ID, 0, blk.data, BLK_ID_BYTES, true);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "GET_ID: %s (%d)", blk_status_name(st), st);
		return false;
	}
	memcpy(id, blk.data, BLK_ID_BYTES);
	id[BLK_ID_BYTES] = '\0';
	len = strlen(id);
	gprintf("# virtio-blk serial '%s'\n", id);
	if (len == 0) {
		gsnprintf(why, n, "empty serial");
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (id[i] < 0x20 || id[i] > 0x7e) {
			gsnprintf(why, n, "serial byte %zu is 0x%02x", i, (uint8_t)id[i]);
			return false;
		}
	}
	return true;
}

bool test_vblk_discard(struct tg *g, char *why, size_t n)
{
	int st;

	if (!blk_get(g, why, n))
		return false;
	if (!(blk.d.features & BLK_F_DISCARD) || (blk.d.features & BLK_F_RO)) {
		g->skip = true;
		gsnprintf(why, n, (blk.d.features & BLK_F_RO) ? "read-only disk"
							      : "DISCARD not offered");
		return true;
	}
	if (blk.d.devcfg_len >= 48)
		gprintf("# virtio-blk: max_discard_sectors %u max_discard_seg %u alignment %u\n",
			mr32(blk.d.devcfg + 36), mr32(blk.d.devcfg + 40), mr32(blk.d.devcfg + 44));
	blk.seg = (struct blk_discard_seg){ .sector = 16, .num_sectors = 16, .flags = 0 };
	st = blk_request(g, BLK_T_DISCARD, 0, &blk.seg, sizeof(blk.seg), false);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "discard of sectors 16-31: %s (%d)", blk_status_name(st), st);
		return false;
	}
	return true;
}

bool test_vblk_past_end(struct tg *g, char *why, size_t n)
{
	int st;

	if (!blk_get(g, why, n))
		return false;
	st = blk_request(g, BLK_T_IN, blk.capacity, blk.data, 512, true);
	if (st != BLK_S_IOERR) {
		gsnprintf(why, n, "read of sector %lu (= capacity): %s (%d), want IOERR",
			  blk.capacity, blk_status_name(st), st);
		return false;
	}
	return true;
}

bool test_vblk_ro(struct tg *g, char *why, size_t n)
{
	int st;

	if (!blk_get(g, why, n))
		return false;
	if (!(blk.d.features & BLK_F_RO)) {
		g->skip = true;
		gsnprintf(why, n, "disk is writable (RO not offered)");
		return true;
	}
	fill_pattern(blk.data, 512, "vireo-blk-written");
	st = blk_request(g, BLK_T_OUT, 8, blk.data, 512, false);
	if (st != BLK_S_IOERR) {
		gsnprintf(why, n, "write to a read-only disk: %s (%d), want IOERR",
			  blk_status_name(st), st);
		return false;
	}
	return true;
}

/* Waits up to 1 s for NEEDS_RESET in device_status; returns whether it came (the last
 * status read in *st). */
bool vdev_wait_needs_reset(struct tg *g, const struct vdev *d, uint8_t *st)
{
	struct deadline dl;

	deadline_start(&dl, g, 1000);
	for (;;) {
		*st = vdev_status(d);
		if (*st & S_NEEDS_RESET)
			return true;
		if (deadline_passed(&dl))
			return false;
		cpu_pause();
	}
}

/*
 * "hostile": three malformed chains, each on a freshly initialised device: a descriptor
 * loop, a buffer past the end of RAM, a device-readable descriptor after a writable one.
 * Each must make the device set DEVICE_NEEDS_RESET.
 */
bool test_vblk_hostile(struct tg *g, char *why, size_t n)
{
	static const char *const kinds[3] = {
		"descriptor loop", "buffer past the end of RAM", "readable after writable",
	};
	/* Far beyond any test VM's RAM, below 40 physical address bits, not a BAR. */
	const uint64_t bad_addr = 0x4000000000ull;

	if (!blk_get(g, why, n))
		return false;
	if (!g->hostile) {
		g->skip = true;
		gsnprintf(why, n, "no 'hostile' on the command line");
		return true;
	}
	for (unsigned k = 0; k < 3; k++) {
		struct vring_desc *dsc = blk.q.r->desc;
		uint8_t st;

		if (k > 0 && !blk_setup(g, why, n)) {
			blk.broken = true;
			return false;
		}
		blk.hdr = (struct blk_req_hdr){ .type = BLK_T_IN, .sector = 0 };
		blk.status = 0xff;
		switch (k) {
		case 0:	/* 0 -> 1 -> 0 -> ... */
			dsc[0] = (struct vring_desc){ (uintptr_t)&blk.hdr, sizeof(blk.hdr),
						      VRING_DESC_F_NEXT, 1 };
			dsc[1] = (struct vring_desc){ (uintptr_t)&blk.hdr, sizeof(blk.hdr),
						      VRING_DESC_F_NEXT, 0 };
			break;
		case 1:	/* a 1 MiB data buffer far above RAM */
			dsc[0] = (struct vring_desc){ (uintptr_t)&blk.hdr, sizeof(blk.hdr),
						      VRING_DESC_F_NEXT, 1 };
			dsc[1] = (struct vring_desc){ bad_addr, 1u << 20,
						      VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
			dsc[2] = (struct vring_desc){ (uintptr_t)&blk.status, 1,
						      VRING_DESC_F_WRITE, 0 };
			break;
		case 2:	/* header, writable data, then a readable descriptor */
			dsc[0] = (struct vring_desc){ (uintptr_t)&blk.hdr, sizeof(blk.hdr),
						      VRING_DESC_F_NEXT, 1 };
			dsc[1] = (struct vring_desc){ (uintptr_t)blk.data, 512,
						      VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
			dsc[2] = (struct vring_desc){ (uintptr_t)&blk.hdr, sizeof(blk.hdr),
						      VRING_DESC_F_NEXT, 3 };
			dsc[3] = (struct vring_desc){ (uintptr_t)&blk.status, 1,
						      VRING_DESC_F_WRITE, 0 };
			break;
		}
		vq_kick(&blk.q, 0);
		blk.broken = true;
		if (!vdev_wait_needs_reset(g, &blk.d, &st)) {
			gsnprintf(why, n, "%s: status 0x%02x after 1 s, no NEEDS_RESET (0x40); "
				  "used idx %u", kinds[k], st,
				  *(volatile uint16_t *)&blk.q.r->used.idx);
			return false;
		}
		gprintf("# virtio-blk: %s -> status 0x%02x\n", kinds[k], st);
	}
	return true;
}

bool test_vblk_reinit(struct tg *g, char *why, size_t n)
{
	int st;

	if (!blk_get(g, why, n))
		return false;
	if (!g->hostile) {
		g->skip = true;
		gsnprintf(why, n, "no 'hostile' on the command line");
		return true;
	}
	if (!blk_setup(g, why, n))
		return false;
	memset(blk.data, 0, 512);
	st = blk_request(g, BLK_T_IN, 0, blk.data, 512, true);
	if (st != BLK_S_OK) {
		gsnprintf(why, n, "read of sector 0 after reset: %s (%d)", blk_status_name(st), st);
		return false;
	}
	return check_sector(blk.data, 0, why, n);
}

/* ---- virtio-console ----------------------------------------------------------------------- */

static struct {
	bool tried, ok;
	char why[160];
	struct vdev d;
	struct vq rx, tx;
	char txbuf[160];
	uint8_t rxbuf[64];
} con;

static bool con_get(struct tg *g, char *why, size_t n)
{
	if (!con.tried) {
		con.tried = true;
		if (!vdev_find(&con.d, VIRTIO_ID_CONSOLE, con.why, sizeof(con.why))) {
			if (!con.d.found)
				gsnprintf(con.why, sizeof(con.why), "no device");
		} else if (vdev_begin(g, &con.d, 0, con.why, sizeof(con.why)) &&
			   vq_setup(&con.d, &con.rx, &vring_pages[vring_next++], 0, con.why,
				    sizeof(con.why)) &&
			   vq_setup(&con.d, &con.tx, &vring_pages[vring_next++], 1, con.why,
				    sizeof(con.why)) &&
			   vdev_driver_ok(&con.d, con.why, sizeof(con.why))) {
			con.ok = true;
			gprintf("# virtio-console %02x:%02x.%x: features 0x%lx (accepted 0x%lx)%s, "
				"%u queues\n", con.d.bus, con.d.dev, con.d.fn, con.d.dev_features,
				con.d.features, (con.d.dev_features & CON_F_MULTIPORT) ?
				", MULTIPORT declined" : "", con.d.num_queues);
		}
	}
	if (!con.d.found)
		g->skip = true;
	if (!con.ok)
		gsnprintf(why, n, "%s", con.why);
	return con.ok;
}

static bool con_send(struct tg *g, const char *s, char *why, size_t n)
{
	size_t len = strlen(s);
	struct buf b;
	uint32_t id;

	if (len > sizeof(con.txbuf))
		len = sizeof(con.txbuf);
	memcpy(con.txbuf, s, len);
	b = (struct buf){ con.txbuf, (uint32_t)len, false };
	vq_submit(&con.tx, &b, 1);
	if (!vq_wait(g, &con.tx, REQ_TIMEOUT_MS, &id, NULL)) {
		gsnprintf(why, n, "transmitq: no used buffer within %u ms", REQ_TIMEOUT_MS);
		return false;
	}
	return true;
}

bool test_vcon_hello(struct tg *g, char *why, size_t n)
{
	if (!con_get(g, why, n))
		return false;
	return con_send(g, "vireo-console-hello\n", why, n);
}

bool test_vcon_echo(struct tg *g, char *why, size_t n)
{
	char line[100], out[120];
	size_t len = 0;
	struct deadline dl;
	bool eol = false;

	if (!con_get(g, why, n))
		return false;
	if (!g->console_echo) {
		g->skip = true;
		gsnprintf(why, n, "no 'console-echo' on the command line");
		return true;
	}
	deadline_start(&dl, g, 5000);
	while (!eol && !deadline_passed(&dl)) {
		struct buf b = { con.rxbuf, sizeof(con.rxbuf), true };
		uint32_t id, got;

		vq_submit(&con.rx, &b, 1);
		for (;;) {
			if (vq_wait(g, &con.rx, 10, &id, &got))
				break;
			if (deadline_passed(&dl)) {
				gsnprintf(why, n, "no line on the receiveq within 5 s (%zu bytes: "
					  "'%.*s')", len, (int)len, line);
				return false;
			}
		}
		if (got > sizeof(con.rxbuf))
			got = sizeof(con.rxbuf);
		for (uint32_t i = 0; i < got && !eol; i++) {
			if (con.rxbuf[i] == '\n' || con.rxbuf[i] == '\r')
				eol = true;
			else if (len + 1 < sizeof(line))
				line[len++] = (char)con.rxbuf[i];
		}
	}
	line[len] = '\0';
	if (!eol) {
		gsnprintf(why, n, "no end of line on the receiveq within 5 s");
		return false;
	}
	gprintf("# virtio-console: received '%s'\n", line);
	gsnprintf(out, sizeof(out), "echo:%s\n", line);
	return con_send(g, out, why, n);
}

/* ---- virtio-rng --------------------------------------------------------------------------- */

static uint8_t rng_buf[2][64];

static bool rng_fill(struct tg *g, struct vq *q, uint8_t *p, char *why, size_t n)
{
	uint32_t have = 0, id, got;

	for (unsigned tries = 0; have < 64 && tries < 64; tries++) {
		struct buf b = { p + have, 64 - have, true };

		vq_submit(q, &b, 1);
		if (!vq_wait(g, q, REQ_TIMEOUT_MS, &id, &got)) {
			gsnprintf(why, n, "no used buffer within %u ms (%u of 64 bytes)",
				  REQ_TIMEOUT_MS, have);
			return false;
		}
		if (got > 64 - have) {
			gsnprintf(why, n, "used length %u for a %u-byte buffer", got, 64 - have);
			return false;
		}
		have += got;
	}
	if (have < 64) {
		gsnprintf(why, n, "only %u of 64 bytes after 64 requests", have);
		return false;
	}
	return true;
}

bool test_vrng(struct tg *g, char *why, size_t n)
{
	static struct vdev d;
	static struct vq q;
	bool nonzero[2] = { false, false };

	if (!vdev_find(&d, VIRTIO_ID_RNG, why, n)) {
		if (d.found)
			return false;
		g->skip = true;
		gsnprintf(why, n, "no device");
		return true;
	}
	if (!vdev_begin(g, &d, 0, why, n) || !vq_setup(&d, &q, &vring_pages[vring_next++], 0,
						       why, n) || !vdev_driver_ok(&d, why, n))
		return false;
	memset(rng_buf, 0, sizeof(rng_buf));
	for (unsigned i = 0; i < 2; i++)
		if (!rng_fill(g, &q, rng_buf[i], why, n))
			return false;
	for (unsigned i = 0; i < 2; i++)
		for (unsigned j = 0; j < 64; j++)
			nonzero[i] |= rng_buf[i][j] != 0;
	gprintf("# virtio-rng %02x:%02x.%x: %02x%02x%02x%02x... %02x%02x%02x%02x...\n", d.bus,
		d.dev, d.fn, rng_buf[0][0], rng_buf[0][1], rng_buf[0][2], rng_buf[0][3],
		rng_buf[1][0], rng_buf[1][1], rng_buf[1][2], rng_buf[1][3]);
	if (!nonzero[0] || !nonzero[1]) {
		gsnprintf(why, n, "a 64-byte read is all zero");
		return false;
	}
	if (memcmp(rng_buf[0], rng_buf[1], 64) == 0) {
		gsnprintf(why, n, "the two 64-byte reads are equal");
		return false;
	}
	vdev_reset(g, &d);
	return true;
}

/* ---- blkbench: virtio-blk throughput (cmdline "blkbench") --------------------------------- */

/*
 * Not a check: queue 0 is set up again with a larger ring of its own (up to BB_QMAX
 * entries) so that up to BB_QD_MAX requests can be in flight, then the guest measures
 * 4 KiB random reads at queue depth 1 and BB_QD_MAX, and sequential 1 MiB reads and
 * writes over the first 64 MiB, each for about BB_MS ms (TSC). Completions are polled.
 * The buffers and the ring sit at fixed addresses from 16 MiB up (not in .bss: the boot
 * code would zero them at CPL0, which PVM emulates one instruction at a time).
 */
#define BB_QMAX		256
#define BB_QD_MAX	32
#define BB_MS		1000
#define BB_SPAN		(64ull << 20)
#define BB_SEQ_LEN	(1u << 20)
#define BB_BASE		0x1000000ull			/* 16 MiB */
#define BB_SEQ_BUF	BB_BASE				/* 1 MiB */
#define BB_PAGES	(BB_SEQ_BUF + BB_SEQ_LEN)	/* BB_QD_MAX x 4 KiB */
#define BB_HDRS		(BB_PAGES + BB_QD_MAX * 4096ull)	/* 32 bytes per slot */
#define BB_RING		(BB_HDRS + 4096)		/* desc, avail, used: a page each */
#define BB_END		(BB_RING + 3 * 4096)

struct bb_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[BB_QMAX];
	uint16_t used_event;
};

struct bb_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[BB_QMAX];
	uint16_t avail_event;
};
_Static_assert(BB_QMAX * sizeof(struct vring_desc) <= 4096, "bb desc page");
_Static_assert(sizeof(struct bb_used) <= 4096, "bb used page");

static struct {
	struct vring_desc *desc;
	struct bb_avail *avail;
	struct bb_used *used;
	uint16_t size, avail_idx, last_used;
	uint64_t notify;
	uint64_t khz;
	uint64_t seed;
} bq;

static bool bb_setup(struct tg *g, char *why, size_t n)
{
	struct vdev *d = &blk.d;

	if (!vdev_begin(g, d, BLK_WANTED, why, n))
		return false;
	memset((void *)(uintptr_t)BB_RING, 0, 3 * 4096);
	memset(&bq, 0, sizeof(bq));
	bq.desc = (struct vring_desc *)(uintptr_t)BB_RING;
	bq.avail = (struct bb_avail *)(uintptr_t)(BB_RING + 4096);
	bq.used = (struct bb_used *)(uintptr_t)(BB_RING + 8192);
	bq.size = vq_setup_rings(d, 0, BB_QMAX, BB_RING, BB_RING + 4096, BB_RING + 8192,
				 &bq.notify, why, n);
	if (bq.size == 0)
		return false;
	if (bq.size < 4) {
		gsnprintf(why, n, "queue 0: size %u", bq.size);
		return false;
	}
	return vdev_driver_ok(d, why, n);
}

/* Puts head into the available ring; notifies unless `defer` or the device said not to. */
static void bb_publish(uint16_t head, bool defer)
{
	bq.avail->ring[bq.avail_idx % bq.size] = head;
	barrier();
	bq.avail_idx++;
	*(volatile uint16_t *)&bq.avail->idx = bq.avail_idx;
	if (defer)
		return;
	mb();
	if (!(*(volatile uint16_t *)&bq.used->flags & 1))	/* VRING_USED_F_NO_NOTIFY */
		mw16(bq.notify, 0);
}

static void bb_notify(void)
{
	mb();
	mw16(bq.notify, 0);
}

/*
 * Builds a request at descriptor `head`: header and status in slot `slot`, the data
 * [buf, buf + len) split into `nseg` equal descriptors in head+1...
 */
static void bb_build(uint16_t head, unsigned slot, uint32_t type, uint64_t sector, uint64_t buf,
		     uint32_t len, unsigned nseg)
{
	struct blk_req_hdr *h = (struct blk_req_hdr *)(uintptr_t)(BB_HDRS + slot * 32);
	volatile uint8_t *st = (volatile uint8_t *)(uintptr_t)(BB_HDRS + slot * 32 + 16);
	uint16_t dwrite = type == BLK_T_IN ? VRING_DESC_F_WRITE : 0;
	uint32_t seg = len / nseg;

	*h = (struct blk_req_hdr){ .type = type, .sector = sector };
	*st = 0xff;
	bq.desc[head] = (struct vring_desc){ (uintptr_t)h, sizeof(*h), VRING_DESC_F_NEXT,
					     (uint16_t)(head + 1) };
	for (unsigned i = 0; i < nseg; i++)
		bq.desc[head + 1 + i] = (struct vring_desc){ buf + (uint64_t)i * seg, seg,
			(uint16_t)(VRING_DESC_F_NEXT | dwrite), (uint16_t)(head + 2 + i) };
	bq.desc[head + 1 + nseg] = (struct vring_desc){ (uintptr_t)st, 1, VRING_DESC_F_WRITE, 0 };
}

/* Waits for one used element; returns its id, or -1 on timeout / a bad status. */
static int bb_reap(struct tg *g, char *why, size_t n)
{
	uint64_t t0 = rdtsc(), lim = REQ_TIMEOUT_MS * bq.khz;
	uint32_t id;

	(void)g;
	while (*(volatile uint16_t *)&bq.used->idx == bq.last_used) {
		if (rdtsc() - t0 > lim) {
			gsnprintf(why, n, "no completion within %u ms (status 0x%02x)",
				  REQ_TIMEOUT_MS, vdev_status(&blk.d));
			return -1;
		}
		cpu_pause();
	}
	barrier();
	id = ((volatile struct vring_used_elem *)&bq.used->ring[bq.last_used % bq.size])->id;
	bq.last_used++;
	if (id >= bq.size) {
		gsnprintf(why, n, "used id %u", id);
		return -1;
	}
	return (int)id;
}

static uint64_t bb_rand(void)
{
	bq.seed ^= bq.seed << 13;
	bq.seed ^= bq.seed >> 7;
	bq.seed ^= bq.seed << 17;
	return bq.seed;
}

/* 4 KiB random reads over the disk at depth qd for BB_MS ms; returns IOPS or 0. */
static uint64_t bb_randread(struct tg *g, unsigned qd, uint64_t pages, char *why, size_t n)
{
	uint64_t t0, end, done = 0, dt;
	unsigned inflight = 0;

	for (unsigned i = 0; i < qd; i++) {
		bb_build((uint16_t)(3 * i), i, BLK_T_IN, (bb_rand() % pages) * 8,
			 BB_PAGES + i * 4096ull, 4096, 1);
		bb_publish((uint16_t)(3 * i), true);
		inflight++;
	}
	t0 = rdtsc();
	end = t0 + BB_MS * bq.khz;
	bb_notify();
	while (inflight) {
		int id = bb_reap(g, why, n);
		unsigned slot;
		uint8_t st;

		if (id < 0)
			return 0;
		slot = (unsigned)id / 3;
		st = *(volatile uint8_t *)(uintptr_t)(BB_HDRS + slot * 32 + 16);
		if (st != BLK_S_OK) {
			gsnprintf(why, n, "read status %u", st);
			return 0;
		}
		done++;
		inflight--;
		if (rdtsc() < end) {
			bb_build((uint16_t)id, slot, BLK_T_IN, (bb_rand() % pages) * 8,
				 BB_PAGES + slot * 4096ull, 4096, 1);
			bb_publish((uint16_t)id, false);
			inflight++;
		}
	}
	dt = rdtsc() - t0;
	gprintf("# blkbench qd%u-randread-4k: %lu requests in %lu us\n", qd, done,
		dt * 1000 / bq.khz);
	return dt ? done * bq.khz * 1000 / dt : 0;
}

/* Sequential 1 MiB requests over the first BB_SPAN bytes for BB_MS ms; returns MB/s or 0. */
static uint64_t bb_seq(struct tg *g, uint32_t type, unsigned nseg, char *why, size_t n)
{
	uint64_t t0, end, off = 0, done = 0, dt;

	t0 = rdtsc();
	end = t0 + BB_MS * bq.khz;
	do {
		uint8_t st;

		bb_build(0, 0, type, off / 512, BB_SEQ_BUF, BB_SEQ_LEN, nseg);
		bb_publish(0, false);
		if (bb_reap(g, why, n) < 0)
			return 0;
		st = *(volatile uint8_t *)(uintptr_t)(BB_HDRS + 16);
		if (st != BLK_S_OK) {
			gsnprintf(why, n, "%s status %u at offset 0x%lx",
				  type == BLK_T_IN ? "read" : "write", st, off);
			return 0;
		}
		done++;
		off = (off + BB_SEQ_LEN) % BB_SPAN;
	} while (rdtsc() < end);
	dt = rdtsc() - t0;
	gprintf("# blkbench seq-%s-1m: %lu requests in %lu us\n", type == BLK_T_IN ? "read" : "write",
		done, dt * 1000 / bq.khz);
	return dt ? done * BB_SEQ_LEN * bq.khz / dt / 1000 : 0;	/* bytes/us = MB/s */
}

/* Is [a, b) inside one RAM entry of the PVH memory map? */
static bool bb_ram(const struct tg *g, uint64_t a, uint64_t b)
{
	const struct hvm_memmap_table_entry *e;

	if (!g->si || g->si->version < 1 || !g->si->memmap_paddr)
		return false;
	e = (const struct hvm_memmap_table_entry *)(uintptr_t)g->si->memmap_paddr;
	for (uint32_t i = 0; i < g->si->memmap_entries && i < 64; i++)
		if (e[i].type == 1 && e[i].addr <= a && e[i].addr + e[i].size >= b)
			return true;
	return false;
}

/* Runs the benchmark; returns false (with why) when it could not. */
bool blk_bench(struct tg *g, char *why, size_t n)
{
	uint64_t pages, v;
	unsigned qd, nseg, segmax = 0;

	if (!blk_get(g, why, n))
		return false;
	if (!bb_ram(g, BB_BASE, BB_END)) {
		gsnprintf(why, n, "no RAM at 0x%llx-0x%llx (use -m 64 or more)", BB_BASE, BB_END);
		return false;
	}
	if (blk.capacity * 512 < BB_SPAN) {
		gsnprintf(why, n, "capacity %lu sectors, need %llu MiB", blk.capacity, BB_SPAN >> 20);
		return false;
	}
	if (!bb_setup(g, why, n))
		return false;
	bq.khz = tsc_khz_or_guess(g);
	bq.seed = 0x9e3779b97f4a7c15ull;
	pages = blk.capacity / 8;
	qd = bq.size / 3;
	if (qd > BB_QD_MAX)
		qd = BB_QD_MAX;
	/* Data descriptors for 1 MiB: 4 KiB pages if seg_max and the ring allow, else fewer. */
	if ((blk.d.features & BLK_F_SEG_MAX) && blk.d.devcfg_len >= 16)
		segmax = mr32(blk.d.devcfg + 12);
	nseg = 256;
	while (nseg > 1 && (nseg + 2 > bq.size || (segmax && nseg > segmax)))
		nseg /= 2;
	gprintf("# blkbench: tsc %lu kHz, queue size %u, seg_max %u, capacity %lu sectors, "
		"%u ms per test, 1 MiB as %u descriptors of %u KiB\n", bq.khz, bq.size, segmax,
		blk.capacity, BB_MS, nseg, (BB_SEQ_LEN / nseg) >> 10);
	memset((void *)(uintptr_t)BB_SEQ_BUF, 0x5a, BB_SEQ_LEN);

	if (!(v = bb_randread(g, 1, pages, why, n)))
		return false;
	gprintf("# blkbench qd1-randread-4k iops=%lu\n", v);
	if (qd > 1) {
		if (!(v = bb_randread(g, qd, pages, why, n)))
			return false;
		gprintf("# blkbench qd%u-randread-4k iops=%lu\n", qd, v);
	}
	if (!(v = bb_seq(g, BLK_T_IN, nseg, why, n)))
		return false;
	gprintf("# blkbench seq-read-1m mbps=%lu\n", v);
	if (blk.d.features & BLK_F_RO) {
		gprintf("# blkbench: read-only disk, no write test\n");
		return true;
	}
	if (!(v = bb_seq(g, BLK_T_OUT, nseg, why, n)))
		return false;
	gprintf("# blkbench seq-write-1m mbps=%lu\n", v);
	return true;
}
