/* Unit tests: drivers/virtio/pci (the modern virtio-pci transport), driven the way a
 * guest driver drives it: configuration space through conf1, the BARs through the
 * MMIO bus. */
#include "tests/unit/unit.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "drivers/bus/pci.h"
#include "drivers/virtio/pci.h"
#include "lib/util/log.h"

#define DEVFN		PCI_DEVFN(4, 0)
#define NQUEUES		3
#define QMAX		256
#define CONFIG_SIZE	8
#define FEATURE_DEV	5		/* the one device feature the fake offers */
#define RAM_SIZE	(4u << 20)
#define DESC_GPA	0x10000
#define AVAIL_GPA	0x20000
#define USED_GPA	0x30000

#define BIT(n)		(UINT64_C(1) << (n))

struct fake_machine {
	int gsi_level[24];
	unsigned msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	unsigned assigns, deassigns;
	uint64_t evfd_gpa[NQUEUES];
	bool evfd_live[NQUEUES];
	bool irqfds;			/* the irqfd hooks work (else: msi_send) */
	int irqfd[8];			/* by route: eventfds bound to vectors */
	uint32_t irqfd_data[8];
	unsigned nirqfds;
};

/* A virtio device that records what the transport asked of it. */
struct fake_vdev {
	struct vdev vdev;
	unsigned resets, driver_oks, set_features_calls, notifies;
	unsigned last_queue;
	uint64_t features_set;
	bool refuse_features;
	uint32_t last_cfg_off, last_cfg_len;
	uint64_t last_cfg_write;
	unsigned irqfd_changed[NQUEUES];	/* queue_irqfd_changed() calls */
	int irqfd_seen[NQUEUES];		/* what queue_irqfd() said then */
};

struct rig {
	struct fake_machine machine;
	struct fake_vdev fv;
	struct logger log;
	struct gmem mem;
	struct iobus *pio, *mmio;
	struct pci_host *host;
	struct virtio_pci *vp;
	uint64_t bar;		/* BAR 4 */
	uint64_t msix_bar;	/* BAR 1 */
};

static int machine_irq_set(void *ctx, unsigned gsi, int level)
{
	struct fake_machine *m = ctx;

	assert_true(gsi < 24);
	m->gsi_level[gsi] = level;
	return 0;
}

static int machine_msi_send(void *ctx, uint64_t addr, uint32_t data)
{
	struct fake_machine *m = ctx;

	m->msis++;
	m->msi_addr = addr;
	m->msi_data = data;
	return 0;
}

static int machine_irqfd_bind(void *ctx, uint64_t addr, uint32_t data, unsigned *route)
{
	struct fake_machine *m = ctx;

	if (!m->irqfds || m->nirqfds == 8)
		return -1;
	m->irqfd[m->nirqfds] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->irqfd_data[m->nirqfds] = data;
	*route = m->nirqfds;
	return m->irqfd[m->nirqfds++];
}

static int machine_irqfd_update(void *ctx, unsigned route, uint64_t addr, uint32_t data)
{
	((struct fake_machine *)ctx)->irqfd_data[route] = data;
	return 0;
}

static void machine_irqfd_unbind(void *ctx, unsigned route, int fd)
{
	close(fd);
}

/* Interrupts delivered through an irqfd since the last look. */
static uint64_t irqfd_fired(int fd)
{
	uint64_t n = 0;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

static int machine_ioeventfd(void *ctx, uint64_t gpa, unsigned len, unsigned qidx,
			     bool assign)
{
	struct fake_machine *m = ctx;

	assert_true(qidx < NQUEUES);
	assert_int_equal(len, 2);
	if (assign) {
		assert_false(m->evfd_live[qidx]);
		m->assigns++;
		m->evfd_gpa[qidx] = gpa;
	} else {
		assert_true(m->evfd_live[qidx]);
		assert_int_equal(m->evfd_gpa[qidx], gpa);
		m->deassigns++;
	}
	m->evfd_live[qidx] = assign;
	return 0;
}

static struct fake_vdev *fake_of(struct vdev *vdev)
{
	return (struct fake_vdev *)vdev;
}

static uint64_t fake_features(struct vdev *vdev)
{
	return BIT(FEATURE_DEV);
}

static bool fake_set_features(struct vdev *vdev, uint64_t features)
{
	struct fake_vdev *fv = fake_of(vdev);

	fv->set_features_calls++;
	fv->features_set = features;
	return !fv->refuse_features;
}

static void fake_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *b = buf;

	assert_true(off + len <= CONFIG_SIZE);
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(0xc0 + off + i);
}

static void fake_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	struct fake_vdev *fv = fake_of(vdev);

	assert_true(off + len <= CONFIG_SIZE);
	fv->last_cfg_off = off;
	fv->last_cfg_len = len;
	fv->last_cfg_write = 0;
	memcpy(&fv->last_cfg_write, buf, len);
}

static void fake_queue_notify(struct vdev *vdev, unsigned qidx)
{
	fake_of(vdev)->notifies++;
	fake_of(vdev)->last_queue = qidx;
}

static void fake_driver_ok(struct vdev *vdev)
{
	fake_of(vdev)->driver_oks++;
}

static void fake_reset(struct vdev *vdev)
{
	fake_of(vdev)->resets++;
}

static void fake_queue_irqfd_changed(struct vdev *vdev, unsigned qidx)
{
	assert_true(qidx < NQUEUES);
	fake_of(vdev)->irqfd_changed[qidx]++;
	fake_of(vdev)->irqfd_seen[qidx] = vdev->transport->queue_irqfd(vdev, qidx);
}

static const struct vdev_ops fake_ops = {
	.name = "virtio-net-pci",
	.device_id = VIRTIO_ID_NET,
	.features = fake_features,
	.set_features = fake_set_features,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.queue_notify = fake_queue_notify,
	.driver_ok = fake_driver_ok,
	.reset = fake_reset,
	.queue_irqfd_changed = fake_queue_irqfd_changed,
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct pci_host_config cfg;
	struct err *e = NULL;

	assert_int_equal(logger_init(&r->log, "test-virtio-pci", 0, &e), 0);
	r->log.level = VLOG_ERROR;	/* the NEEDS_RESET warnings are expected */
	assert_int_equal(gmem_init(&r->mem, RAM_SIZE, &e), 0);
	r->pio = iobus_new();
	r->mmio = iobus_new();
	cfg = (struct pci_host_config){ .pio = r->pio, .mmio = r->mmio,
					.irq_set = machine_irq_set,
					.msi_send = machine_msi_send,
					.msi_irqfd_bind = machine_irqfd_bind,
					.msi_irqfd_update = machine_irqfd_update,
					.msi_irqfd_unbind = machine_irqfd_unbind, .ctx = &r->machine };
	r->host = pci_host_new(&cfg);
	assert_int_equal(pci_host_register(r->host, &e), 0);
	vdev_init(&r->fv.vdev, &fake_ops, &r->mem, &r->log, NQUEUES, QMAX, CONFIG_SIZE);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	pci_host_free(r->host);
	virtio_pci_free(r->vp);
	iobus_free(r->pio);
	iobus_free(r->mmio);
	gmem_destroy(&r->mem);
	pthread_mutex_destroy(&r->fv.vdev.lock);
	free(r);
	return 0;
}

/* Put the fake device on the bus with opts (NULL: defaults). */
static void rig_add(struct rig *r, const struct virtio_pci_opts *opts)
{
	struct err *e = NULL;

	r->vp = virtio_pci_new(r->host, DEVFN, &r->fv.vdev, opts, &e);
	if (!r->vp)
		fail_msg("virtio_pci_new: %s", e->message);
	r->bar = pci_dev_bar_addr(virtio_pci_dev(r->vp), VIRTIO_PCI_BAR);
	r->msix_bar = pci_dev_bar_addr(virtio_pci_dev(r->vp), VIRTIO_PCI_MSIX_BAR);
	assert_int_not_equal(r->bar, PCI_BAR_UNMAPPED);
}

static uint64_t in(struct iobus *bus, uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	if (!iobus_dispatch(bus, addr, size, false, &v))
		return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
	return v;
}

static void out(struct iobus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	iobus_dispatch(bus, addr, size, true, &value);
}

static uint32_t cfg_read(struct rig *r, unsigned reg, unsigned size)
{
	out(r->pio, 0xcf8, 4, 0x80000000u | DEVFN << 8 | (reg & 0xfc));
	return (uint32_t)in(r->pio, 0xcfc + (reg & 3), size);
}

static void cfg_write(struct rig *r, unsigned reg, unsigned size, uint32_t v)
{
	out(r->pio, 0xcf8, 4, 0x80000000u | DEVFN << 8 | (reg & 0xfc));
	out(r->pio, 0xcfc + (reg & 3), size, v);
}

/* Common configuration registers (§4.1.4.3). */
#define C_DFSELECT	0x00
#define C_DF		0x04
#define C_GFSELECT	0x08
#define C_GF		0x0c
#define C_MSIX_CONFIG	0x10
#define C_NUM_QUEUES	0x12
#define C_STATUS	0x14
#define C_GENERATION	0x15
#define C_Q_SELECT	0x16
#define C_Q_SIZE	0x18
#define C_Q_MSIX	0x1a
#define C_Q_ENABLE	0x1c
#define C_Q_NOTIFY_OFF	0x1e
#define C_Q_DESC	0x20
#define C_Q_DRIVER	0x28
#define C_Q_DEVICE	0x30

static uint64_t common_in(struct rig *r, unsigned off, unsigned size)
{
	return in(r->mmio, r->bar + VIRTIO_PCI_COMMON_OFF + off, size);
}

static void common_out(struct rig *r, unsigned off, unsigned size, uint64_t v)
{
	out(r->mmio, r->bar + VIRTIO_PCI_COMMON_OFF + off, size, v);
}

/* The capability of cfg_type found by walking the list as Linux does, or -1. */
static int find_virtio_cap(struct rig *r, uint8_t type)
{
	unsigned off = cfg_read(r, PCIR_CAP_PTR, 1) & ~3u;

	for (unsigned hops = 0; off >= 0x40 && hops < 48; hops++) {
		if (cfg_read(r, off, 1) == PCIY_VENDOR && cfg_read(r, off + 3, 1) == type)
			return (int)off;
		off = cfg_read(r, off + 1, 1) & ~3u;
	}
	return -1;
}

/* The driver's feature negotiation (§3.1.1 steps 1-5); returns the status read back. */
static uint8_t negotiate(struct rig *r, uint64_t features)
{
	common_out(r, C_STATUS, 1, 0);
	common_out(r, C_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	common_out(r, C_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	common_out(r, C_GFSELECT, 4, 0);
	common_out(r, C_GF, 4, (uint32_t)features);
	common_out(r, C_GFSELECT, 4, 1);
	common_out(r, C_GF, 4, (uint32_t)(features >> 32));
	common_out(r, C_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK);
	return (uint8_t)common_in(r, C_STATUS, 1);
}

static void setup_queue(struct rig *r, unsigned q, uint64_t desc, uint64_t avail,
			uint64_t used)
{
	common_out(r, C_Q_SELECT, 2, q);
	common_out(r, C_Q_DESC, 4, (uint32_t)desc);
	common_out(r, C_Q_DESC + 4, 4, (uint32_t)(desc >> 32));
	common_out(r, C_Q_DRIVER, 4, (uint32_t)avail);
	common_out(r, C_Q_DRIVER + 4, 4, (uint32_t)(avail >> 32));
	common_out(r, C_Q_DEVICE, 4, (uint32_t)used);
	common_out(r, C_Q_DEVICE + 4, 4, (uint32_t)(used >> 32));
	common_out(r, C_Q_ENABLE, 2, 1);
}

static const uint8_t status_ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;

/* Negotiate VERSION_1, set up every queue in RAM, DRIVER_OK. */
static void bring_up(struct rig *r)
{
	assert_true(negotiate(r, BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < NQUEUES; q++)
		setup_queue(r, q, DESC_GPA + q * 0x1000, AVAIL_GPA + q * 0x1000,
			    USED_GPA + q * 0x1000);
	common_out(r, C_STATUS, 1, status_ok);
	assert_int_equal(common_in(r, C_STATUS, 1), status_ok);
}

static void enable_msix(struct rig *r)
{
	int cap = -1;

	for (unsigned off = cfg_read(r, PCIR_CAP_PTR, 1); off >= 0x40;
	     off = cfg_read(r, off + 1, 1))
		if (cfg_read(r, off, 1) == PCIY_MSIX)
			cap = (int)off;
	assert_true(cap > 0);
	cfg_write(r, (unsigned)cap + 2, 2, PCIM_MSIXCTRL_ENABLE);
}

static void program_vector(struct rig *r, unsigned v, uint64_t addr, uint32_t data)
{
	uint64_t e = r->msix_bar + v * 16;

	out(r->mmio, e, 4, (uint32_t)addr);
	out(r->mmio, e + 4, 4, addr >> 32);
	out(r->mmio, e + 8, 4, data);
	out(r->mmio, e + 12, 4, 0);		/* unmask */
}

/* ---- tests ---- */

static void identity_follows_the_virtio_pci_ids(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	assert_int_equal(cfg_read(r, PCIR_VENDOR, 4), 0x10411af4);
	assert_int_equal(cfg_read(r, PCIR_REVID, 1), 1);
	assert_int_equal(cfg_read(r, PCIR_SUBVEND, 4), 0x00011af4);
	assert_int_equal(cfg_read(r, PCIR_SUBCLASS, 2), 0x0200);	/* network */
	assert_int_equal(cfg_read(r, PCIR_INTPIN, 1), 1);
	assert_string_equal(r->fv.vdev.name, "virtio-net-pci (00:04.0)");
}

static void capabilities_point_into_bar4(void **state)
{
	struct rig *r = *state;
	const struct {
		uint8_t type;
		uint32_t off, minlen;
	} want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, 0x38 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, NQUEUES * 4 },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF, CONFIG_SIZE },
	};
	int c;

	rig_add(r, NULL);
	assert_true(cfg_read(r, PCIR_STATUS, 2) & PCIM_STATUS_CAPPRESENT);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		c = find_virtio_cap(r, want[i].type);
		assert_true(c >= 0x40);
		assert_int_equal(cfg_read(r, (unsigned)c + 4, 1), VIRTIO_PCI_BAR);
		assert_int_equal(cfg_read(r, (unsigned)c + 8, 4), want[i].off);
		assert_true(cfg_read(r, (unsigned)c + 12, 4) >= want[i].minlen);
		assert_true(cfg_read(r, (unsigned)c + 2, 1) >= 16);
	}
	c = find_virtio_cap(r, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_int_equal(cfg_read(r, (unsigned)c + 16, 4), 4);	/* notify_off_multiplier */
	assert_true(find_virtio_cap(r, VIRTIO_PCI_CAP_PCI_CFG) > 0);
	/* BAR 4 is a 16 KiB 32-bit memory BAR. */
	cfg_write(r, PCIR_BAR(4), 4, 0xffffffff);
	assert_int_equal(cfg_read(r, PCIR_BAR(4), 4), 0xffffc000);
	cfg_write(r, PCIR_BAR(4), 4, (uint32_t)r->bar);
	assert_int_equal(common_in(r, C_NUM_QUEUES, 2), NQUEUES);
}

static void device_features_offer_version1_and_ring_features(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	common_out(r, C_DFSELECT, 4, 0);
	assert_int_equal(common_in(r, C_DF, 4), BIT(FEATURE_DEV) | BIT(VIRTIO_RING_F_EVENT_IDX) |
						 BIT(VIRTIO_RING_F_INDIRECT_DESC));
	common_out(r, C_DFSELECT, 4, 1);
	assert_int_equal(common_in(r, C_DF, 4), 1);		/* VERSION_1 is bit 32 */
	common_out(r, C_DFSELECT, 4, 2);
	assert_int_equal(common_in(r, C_DF, 4), 0);
	assert_int_equal(common_in(r, C_DFSELECT, 4), 2);
}

static void features_with_version1_are_accepted(void **state)
{
	struct rig *r = *state;
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(FEATURE_DEV) | BIT(VIRTIO_RING_F_EVENT_IDX);

	rig_add(r, NULL);
	assert_int_equal(negotiate(r, f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(r->fv.set_features_calls, 1);
	assert_int_equal(r->fv.features_set, f);
	assert_int_equal(r->fv.vdev.driver_features, f);
	common_out(r, C_GFSELECT, 4, 0);
	assert_int_equal(common_in(r, C_GF, 4), (uint32_t)f);
	/* Fixed after FEATURES_OK. */
	common_out(r, C_GF, 4, 0);
	assert_int_equal(common_in(r, C_GF, 4), (uint32_t)f);
}

static void features_without_version1_are_refused(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	assert_int_equal(negotiate(r, BIT(FEATURE_DEV)),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(r->fv.set_features_calls, 0);
	assert_int_equal(r->fv.vdev.driver_features, 0);
	/* DRIVER_OK without FEATURES_OK does not start the device. */
	common_out(r, C_STATUS, 1, status_ok);
	assert_false(common_in(r, C_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(r->fv.driver_oks, 0);
}

static void unknown_or_device_refused_features_are_refused(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	assert_false(negotiate(r, BIT(VIRTIO_F_VERSION_1) | BIT(7)) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(r->fv.set_features_calls, 0);
	r->fv.refuse_features = true;
	assert_false(negotiate(r, BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(r->fv.set_features_calls, 1);
	r->fv.refuse_features = false;
	assert_true(negotiate(r, BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
}

static void queue_setup_copies_the_rings_into_the_virtqueue(void **state)
{
	struct rig *r = *state;
	struct virtqueue *vq = &r->fv.vdev.vqs[1];

	rig_add(r, NULL);
	negotiate(r, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX));
	common_out(r, C_Q_SELECT, 2, 1);
	assert_int_equal(common_in(r, C_Q_SIZE, 2), QMAX);
	assert_int_equal(common_in(r, C_Q_NOTIFY_OFF, 2), 1);
	assert_int_equal(common_in(r, C_Q_ENABLE, 2), 0);
	common_out(r, C_Q_SIZE, 2, 64);
	setup_queue(r, 1, 0x12340, 0x22220, 0x33330);
	assert_int_equal(common_in(r, C_Q_ENABLE, 2), 1);
	assert_true(vq->ready);
	assert_int_equal(vq->size, 64);
	assert_int_equal(vq->desc_gpa, 0x12340);
	assert_int_equal(vq->avail_gpa, 0x22220);
	assert_int_equal(vq->used_gpa, 0x33330);
	assert_true(vq->event_idx);
	assert_false(vq->indirect);
	assert_int_equal(common_in(r, C_Q_DESC, 8), 0x12340);
	assert_int_equal(common_in(r, C_Q_DRIVER + 4, 4), 0);
	/* Frozen while enabled. */
	common_out(r, C_Q_DESC, 4, 0x50000);
	common_out(r, C_Q_SIZE, 2, 32);
	assert_int_equal(vq->desc_gpa, 0x12340);
	assert_int_equal(vq->size, 64);
	assert_int_equal(r->fv.vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

static void queue_size_can_only_be_lowered_to_a_power_of_two(void **state)
{
	struct rig *r = *state;
	struct virtio_pci_opts o;

	virtio_pci_opts_init(&o);
	o.queue_size = 128;
	rig_add(r, &o);
	common_out(r, C_Q_SELECT, 2, 0);
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 128);
	common_out(r, C_Q_SIZE, 2, 256);		/* larger: ignored */
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 128);
	common_out(r, C_Q_SIZE, 2, 48);			/* not a power of two */
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 128);
	common_out(r, C_Q_SIZE, 2, 0);
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 128);
	common_out(r, C_Q_SIZE, 2, 16);
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 16);
}

static void notify_write_kicks_the_right_queue_after_driver_ok(void **state)
{
	struct rig *r = *state;
	uint64_t notify;

	rig_add(r, NULL);
	notify = r->bar + VIRTIO_PCI_NOTIFY_OFF;
	negotiate(r, BIT(VIRTIO_F_VERSION_1));
	setup_queue(r, 2, DESC_GPA, AVAIL_GPA, USED_GPA);
	out(r->mmio, notify + 2 * 4, 2, 2);
	assert_int_equal(r->fv.notifies, 0);		/* before DRIVER_OK: ignored */
	common_out(r, C_STATUS, 1, status_ok);
	assert_int_equal(r->fv.driver_oks, 1);
	out(r->mmio, notify + 2 * 4, 2, 2);
	assert_int_equal(r->fv.notifies, 1);
	assert_int_equal(r->fv.last_queue, 2);
	out(r->mmio, notify + 1 * 4, 2, 1);		/* queue 1 is not enabled */
	out(r->mmio, notify + 7 * 4, 2, 7);		/* no such queue */
	out(r->mmio, notify + 9, 1, 0);			/* not a notify address */
	assert_int_equal(r->fv.notifies, 1);
	virtio_pci_queue_kick(r->vp, 2);
	virtio_pci_queue_kick(r->vp, 99);
	assert_int_equal(r->fv.notifies, 2);
}

static void msix_vectors_are_programmed_and_delivered(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	bring_up(r);
	enable_msix(r);
	program_vector(r, 0, 0xfee00000, 0x4021);
	program_vector(r, 2, 0xfee01000, 0x4022);
	common_out(r, C_MSIX_CONFIG, 2, 0);
	assert_int_equal(common_in(r, C_MSIX_CONFIG, 2), 0);
	common_out(r, C_Q_SELECT, 2, 1);
	common_out(r, C_Q_MSIX, 2, 2);
	assert_int_equal(common_in(r, C_Q_MSIX, 2), 2);
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 1);
	assert_int_equal(r->machine.msis, 1);
	assert_int_equal(r->machine.msi_addr, 0xfee01000);
	assert_int_equal(r->machine.msi_data, 0x4022);
	r->fv.vdev.transport->notify_config(&r->fv.vdev);
	assert_int_equal(r->machine.msis, 2);
	assert_int_equal(r->machine.msi_data, 0x4021);
	assert_int_equal(r->machine.gsi_level[pci_intx_gsi(4, 1)], 0);
	/* A queue without a vector sends nothing while MSI-X is on. */
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 0);
	assert_int_equal(r->machine.msis, 2);
}

static void msix_vectors_go_through_their_irqfds(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;

	m->irqfds = true;
	rig_add(r, NULL);
	bring_up(r);
	enable_msix(r);
	program_vector(r, 1, 0xfee00000, 0x4031);
	program_vector(r, 3, 0xfee00000, 0x4033);
	assert_int_equal(m->nirqfds, 2);
	assert_int_equal(m->irqfd_data[0], 0x4031);
	common_out(r, C_Q_SELECT, 2, 0);
	common_out(r, C_Q_MSIX, 2, 1);
	common_out(r, C_MSIX_CONFIG, 2, 3);
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 0);
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 0);
	assert_int_equal(irqfd_fired(m->irqfd[0]), 2);
	r->fv.vdev.transport->notify_config(&r->fv.vdev);
	assert_int_equal(irqfd_fired(m->irqfd[1]), 1);
	assert_int_equal(m->msis, 0);
	assert_int_equal(m->gsi_level[pci_intx_gsi(4, 1)], 0);
	/* The ISR is set all the same (as QEMU), read-clear as ever. */
	assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF, 1),
			 VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
	/* Queue 1 has VIRTIO_MSI_NO_VECTOR: no interrupt at all. */
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 1);
	assert_int_equal(irqfd_fired(m->irqfd[0]) + irqfd_fired(m->irqfd[1]), 0);
	/* A masked vector waits in the PBA for its unmask. */
	out(r->mmio, r->msix_bar + 16 + 12, 4, 1);
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 0);
	assert_int_equal(irqfd_fired(m->irqfd[0]), 0);
	out(r->mmio, r->msix_bar + 16 + 12, 4, 0);
	assert_int_equal(irqfd_fired(m->irqfd[0]), 1);
	assert_int_equal(m->msis, 0);
}

/* The device hears of a mask change on the vector of its queues (for vhost's call
 * fd), after the bridge switched the vector: queue_irqfd() already answers anew. */
static void masking_a_queue_vector_tells_the_device(void **state)
{
	struct rig *r = *state;
	struct fake_machine *m = &r->machine;
	struct fake_vdev *fv = &r->fv;

	m->irqfds = true;
	rig_add(r, NULL);
	bring_up(r);
	enable_msix(r);
	program_vector(r, 1, 0xfee00000, 0x4031);
	common_out(r, C_Q_SELECT, 2, 0);
	common_out(r, C_Q_MSIX, 2, 1);
	common_out(r, C_Q_SELECT, 2, 2);
	common_out(r, C_Q_MSIX, 2, 1);
	memset(fv->irqfd_changed, 0, sizeof(fv->irqfd_changed));
	out(r->mmio, r->msix_bar + 16 + 12, 4, 1);	/* mask vector 1 */
	assert_int_equal(fv->irqfd_changed[0], 1);
	assert_int_equal(fv->irqfd_changed[1], 0);	/* no vector */
	assert_int_equal(fv->irqfd_changed[2], 1);
	assert_int_equal(fv->irqfd_seen[0], -1);
	out(r->mmio, r->msix_bar + 16 + 12, 4, 0);
	assert_int_equal(fv->irqfd_changed[0], 2);
	assert_int_equal(fv->irqfd_changed[2], 2);
	assert_true(m->irqfd[0] >= 0);
	assert_int_equal(fv->irqfd_seen[0], m->irqfd[0]);
	/* Another vector's mask is not the queues' business. */
	program_vector(r, 3, 0xfee00000, 0x4033);
	out(r->mmio, r->msix_bar + 3 * 16 + 12, 4, 1);
	assert_int_equal(fv->irqfd_changed[0] + fv->irqfd_changed[1] + fv->irqfd_changed[2], 4);
}

static void invalid_vectors_read_back_as_no_vector(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);				/* NQUEUES + 1 = 4 vectors */
	common_out(r, C_Q_SELECT, 2, 0);
	common_out(r, C_Q_MSIX, 2, 4);
	assert_int_equal(common_in(r, C_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
	common_out(r, C_Q_MSIX, 2, 3);
	assert_int_equal(common_in(r, C_Q_MSIX, 2), 3);
	common_out(r, C_MSIX_CONFIG, 2, 0x8000);
	assert_int_equal(common_in(r, C_MSIX_CONFIG, 2), VIRTIO_PCI_NO_VECTOR);
}

static void without_msix_intx_is_raised_and_isr_read_clears_it(void **state)
{
	struct rig *r = *state;
	struct virtio_pci_opts o;
	unsigned gsi = pci_intx_gsi(4, 1);
	uint64_t isr;

	virtio_pci_opts_init(&o);
	o.vectors = 0;
	rig_add(r, &o);
	assert_int_equal(r->msix_bar, PCI_BAR_UNMAPPED);
	for (unsigned off = cfg_read(r, PCIR_CAP_PTR, 1); off >= 0x40;
	     off = cfg_read(r, off + 1, 1))
		assert_int_not_equal(cfg_read(r, off, 1), PCIY_MSIX);
	bring_up(r);
	common_out(r, C_Q_MSIX, 2, 0);
	assert_int_equal(common_in(r, C_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
	isr = r->bar + VIRTIO_PCI_ISR_OFF;
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 0);
	assert_int_equal(r->machine.gsi_level[gsi], 1);
	assert_int_equal(in(r->mmio, isr, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(r->machine.gsi_level[gsi], 0);
	assert_int_equal(in(r->mmio, isr, 1), 0);
	r->fv.vdev.transport->notify_config(&r->fv.vdev);
	r->fv.vdev.transport->notify_queue(&r->fv.vdev, 2);
	assert_int_equal(r->machine.gsi_level[gsi], 1);
	assert_int_equal(in(r->mmio, isr, 4), VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(r->machine.gsi_level[gsi], 0);
	assert_int_equal(r->machine.msis, 0);
}

static void *notify_many(void *arg)
{
	struct vdev *vdev = arg;

	for (unsigned i = 0; i < 20000; i++)
		vdev->transport->notify_queue(vdev, i % NQUEUES);
	return NULL;
}

/* A device thread raising while a vCPU reads the ISR never leaves INTx asserted with
 * the ISR empty (the guest would see an interrupt storm). */
static void isr_and_intx_stay_in_step_under_concurrent_use(void **state)
{
	struct rig *r = *state;
	struct virtio_pci_opts o;
	unsigned gsi = pci_intx_gsi(4, 1);
	pthread_t t;

	virtio_pci_opts_init(&o);
	o.vectors = 0;
	rig_add(r, &o);
	bring_up(r);
	assert_int_equal(pthread_create(&t, NULL, notify_many, &r->fv.vdev), 0);
	for (unsigned i = 0; i < 20000; i++)
		in(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF, 1);
	pthread_join(t, NULL);
	if (r->machine.gsi_level[gsi])
		assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	else
		assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF, 1), 0);
	assert_int_equal(r->machine.gsi_level[gsi], 0);
}

static void status_zero_resets_device_queues_and_vectors(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	bring_up(r);
	common_out(r, C_Q_SELECT, 2, 1);
	common_out(r, C_Q_MSIX, 2, 1);
	common_out(r, C_Q_SIZE, 2, 8);			/* ignored: enabled */
	common_out(r, C_MSIX_CONFIG, 2, 0);
	r->fv.resets = 0;
	common_out(r, C_STATUS, 1, 0);
	assert_int_equal(r->fv.resets, 1);
	assert_int_equal(common_in(r, C_STATUS, 1), 0);
	assert_int_equal(r->fv.vdev.driver_features, 0);
	assert_int_equal(common_in(r, C_MSIX_CONFIG, 2), VIRTIO_PCI_NO_VECTOR);
	for (unsigned q = 0; q < NQUEUES; q++) {
		common_out(r, C_Q_SELECT, 2, q);
		assert_int_equal(common_in(r, C_Q_ENABLE, 2), 0);
		assert_int_equal(common_in(r, C_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
		assert_int_equal(common_in(r, C_Q_SIZE, 2), QMAX);
		assert_int_equal(common_in(r, C_Q_DESC, 8), 0);
		assert_false(r->fv.vdev.vqs[q].ready);
	}
	/* Kicks after the reset go nowhere. */
	out(r->mmio, r->bar + VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	assert_int_equal(r->fv.notifies, 0);
	/* system_reset does the same. */
	bring_up(r);
	r->fv.resets = 0;
	virtio_pci_reset(r->vp);
	assert_int_equal(r->fv.resets, 1);
	assert_int_equal(common_in(r, C_STATUS, 1), 0);
}

static void queue_select_out_of_range_reads_zero(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	negotiate(r, BIT(VIRTIO_F_VERSION_1));
	common_out(r, C_Q_SELECT, 2, NQUEUES);
	assert_int_equal(common_in(r, C_Q_SELECT, 2), NQUEUES);
	assert_int_equal(common_in(r, C_Q_SIZE, 2), 0);
	assert_int_equal(common_in(r, C_Q_MSIX, 2), 0);
	assert_int_equal(common_in(r, C_Q_NOTIFY_OFF, 2), 0);
	common_out(r, C_Q_SIZE, 2, 16);
	common_out(r, C_Q_DESC, 4, DESC_GPA);
	common_out(r, C_Q_ENABLE, 2, 1);
	assert_int_equal(common_in(r, C_Q_ENABLE, 2), 0);
	common_out(r, C_Q_SELECT, 2, 0xffff);
	common_out(r, C_Q_ENABLE, 2, 1);
	assert_int_equal(common_in(r, C_Q_DESC, 8), 0);
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++)
		assert_false(r->fv.vdev.vqs[q].ready);
}

static void hostile_accesses_are_ignored(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	negotiate(r, BIT(VIRTIO_F_VERSION_1));
	/* Read-only fields. */
	common_out(r, C_NUM_QUEUES, 2, 60);
	common_out(r, C_DF, 4, 0);
	common_out(r, C_GENERATION, 1, 9);
	common_out(r, C_Q_NOTIFY_OFF, 2, 9);
	assert_int_equal(common_in(r, C_NUM_QUEUES, 2), NQUEUES);
	assert_int_equal(r->fv.vdev.nqueues, NQUEUES);
	/* Accesses straddling two fields, odd sizes, past the structure. */
	common_out(r, C_STATUS, 2, 0);			/* status + generation */
	assert_true(common_in(r, C_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(common_in(r, C_MSIX_CONFIG, 4), 0);
	common_out(r, 0x13, 3, 0xffffff);
	assert_int_equal(common_in(r, 0x13, 3), 0);
	for (unsigned off = 0x38; off < 0x1000; off += 0x1c4) {
		common_out(r, off, 4, 0xffffffff);
		assert_int_equal(common_in(r, off, 4), 0);
	}
	/* The ISR past its byte, device config past config_size, odd notify offsets. */
	assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF + 1, 1), 0);
	out(r->mmio, r->bar + VIRTIO_PCI_ISR_OFF, 1, 0xff);
	assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_DEVICE_OFF + CONFIG_SIZE - 2, 4), 0);
	out(r->mmio, r->bar + VIRTIO_PCI_DEVICE_OFF + CONFIG_SIZE, 4, 1);
	out(r->mmio, r->bar + VIRTIO_PCI_DEVICE_OFF + 0xfff, 1, 1);
	assert_int_equal(r->fv.last_cfg_len, 0);
	for (unsigned off = 0; off < 0x1000; off += 0x1f)
		out(r->mmio, r->bar + VIRTIO_PCI_NOTIFY_OFF + off, 3, 0);
	assert_int_equal(in(r->mmio, r->bar + VIRTIO_PCI_NOTIFY_OFF, 4), 0);
	out(r->mmio, r->bar + 0x3fff, 1, 0);
	assert_int_equal(r->fv.notifies, 0);
	assert_int_equal(common_in(r, C_STATUS, 1), VIRTIO_STATUS_ACKNOWLEDGE |
						   VIRTIO_STATUS_DRIVER |
						   VIRTIO_STATUS_FEATURES_OK);
}

static void rings_outside_ram_set_needs_reset(void **state)
{
	struct rig *r = *state;

	rig_add(r, NULL);
	negotiate(r, BIT(VIRTIO_F_VERSION_1));
	setup_queue(r, 0, 0x80000000ull, AVAIL_GPA, USED_GPA);
	assert_int_equal(common_in(r, C_Q_ENABLE, 2), 0);
	assert_false(r->fv.vdev.vqs[0].ready);
	assert_true(common_in(r, C_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* The bit stays through the driver's status writes; a reset clears it. */
	common_out(r, C_STATUS, 1, status_ok);
	assert_true(common_in(r, C_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	common_out(r, C_STATUS, 1, 0);
	assert_int_equal(common_in(r, C_STATUS, 1), 0);
	/* A used ring ending past RAM, after a fresh negotiation. */
	negotiate(r, BIT(VIRTIO_F_VERSION_1));
	setup_queue(r, 1, DESC_GPA, AVAIL_GPA, RAM_SIZE - 8);
	assert_true(common_in(r, C_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(common_in(r, C_Q_ENABLE, 2), 0);
}

static void device_config_goes_to_the_device(void **state)
{
	struct rig *r = *state;
	uint64_t dev;

	rig_add(r, NULL);
	dev = r->bar + VIRTIO_PCI_DEVICE_OFF;
	assert_int_equal(in(r->mmio, dev + 2, 2), 0xc3c2);
	assert_int_equal(in(r->mmio, dev + 4, 4), 0xc7c6c5c4);
	out(r->mmio, dev + 6, 2, 0xbeef);
	assert_int_equal(r->fv.last_cfg_off, 6);
	assert_int_equal(r->fv.last_cfg_len, 2);
	assert_int_equal(r->fv.last_cfg_write, 0xbeef);
	r->fv.vdev.config_generation = 0x105;
	assert_int_equal(common_in(r, C_GENERATION, 1), 5);
}

static void ioeventfds_follow_the_bar(void **state)
{
	struct rig *r = *state;
	struct virtio_pci_opts o;

	virtio_pci_opts_init(&o);
	o.ioeventfd = machine_ioeventfd;
	o.ctx = &r->machine;
	rig_add(r, &o);
	assert_int_equal(r->machine.assigns, NQUEUES);
	for (unsigned q = 0; q < NQUEUES; q++)
		assert_int_equal(r->machine.evfd_gpa[q], r->bar + VIRTIO_PCI_NOTIFY_OFF + 4 * q);
	/* The guest moves BAR 4. */
	cfg_write(r, PCIR_BAR(4), 4, 0xe8000000);
	assert_int_equal(r->machine.deassigns, NQUEUES);
	assert_int_equal(r->machine.assigns, 2 * NQUEUES);
	assert_int_equal(r->machine.evfd_gpa[2], 0xe8000000 + VIRTIO_PCI_NOTIFY_OFF + 8);
	/* Memory decoding off: they go; on again: they come back. */
	cfg_write(r, PCIR_COMMAND, 2, 0);
	assert_int_equal(r->machine.deassigns, 2 * NQUEUES);
	cfg_write(r, PCIR_COMMAND, 2, PCIM_CMD_MEMEN);
	assert_int_equal(r->machine.assigns, 3 * NQUEUES);
	r->bar = 0xe8000000;
	bring_up(r);
	virtio_pci_queue_kick(r->vp, 1);
	assert_int_equal(r->fv.notifies, 1);
	assert_int_equal(r->fv.last_queue, 1);
	/* Freeing drops them. */
	virtio_pci_free(r->vp);
	r->vp = NULL;
	for (unsigned q = 0; q < NQUEUES; q++)
		assert_false(r->machine.evfd_live[q]);
}

static void pci_cfg_capability_reaches_bar4(void **state)
{
	struct rig *r = *state;
	int c;

	rig_add(r, NULL);
	c = find_virtio_cap(r, VIRTIO_PCI_CAP_PCI_CFG);
	assert_true(c > 0);
	cfg_write(r, (unsigned)c + 4, 1, VIRTIO_PCI_BAR);
	cfg_write(r, (unsigned)c + 8, 4, VIRTIO_PCI_COMMON_OFF + C_NUM_QUEUES);
	cfg_write(r, (unsigned)c + 12, 4, 2);
	assert_int_equal(cfg_read(r, (unsigned)c + 16, 2), NQUEUES);
	/* Write the status through the window. */
	cfg_write(r, (unsigned)c + 8, 4, VIRTIO_PCI_COMMON_OFF + C_STATUS);
	cfg_write(r, (unsigned)c + 12, 4, 1);
	cfg_write(r, (unsigned)c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(common_in(r, C_STATUS, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	/* A misaligned or oversized window does nothing. */
	cfg_write(r, (unsigned)c + 12, 4, 3);
	cfg_write(r, (unsigned)c + 16, 4, 0);
	assert_int_equal(common_in(r, C_STATUS, 1), VIRTIO_STATUS_ACKNOWLEDGE);
}

static void bad_options_are_errors_naming_the_device(void **state)
{
	struct rig *r = *state;
	struct virtio_pci_opts o;
	struct err *e = NULL;

	virtio_pci_opts_init(&o);
	o.vectors = 5000;
	assert_null(virtio_pci_new(r->host, DEVFN, &r->fv.vdev, &o, &e));
	assert_err(e, ERR_RANGE, "virtio-net-pci: vectors=5000 is not between 0 and 2048");
	virtio_pci_opts_init(&o);
	o.queue_size = 100;
	assert_null(virtio_pci_new(r->host, DEVFN, &r->fv.vdev, &o, &e));
	assert_err(e, ERR_INVALID, "queue size 100");
	o.queue_size = 512;				/* above the device's 256 */
	assert_null(virtio_pci_new(r->host, DEVFN, &r->fv.vdev, &o, &e));
	assert_err(e, ERR_INVALID, "queue size 512");
	assert_int_equal(cfg_read(r, PCIR_VENDOR, 2), 0xffff);	/* nothing was added */
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(identity_follows_the_virtio_pci_ids),
		T(capabilities_point_into_bar4),
		T(device_features_offer_version1_and_ring_features),
		T(features_with_version1_are_accepted),
		T(features_without_version1_are_refused),
		T(unknown_or_device_refused_features_are_refused),
		T(queue_setup_copies_the_rings_into_the_virtqueue),
		T(queue_size_can_only_be_lowered_to_a_power_of_two),
		T(notify_write_kicks_the_right_queue_after_driver_ok),
		T(msix_vectors_are_programmed_and_delivered),
		T(msix_vectors_go_through_their_irqfds),
		T(masking_a_queue_vector_tells_the_device),
		T(invalid_vectors_read_back_as_no_vector),
		T(without_msix_intx_is_raised_and_isr_read_clears_it),
		T(isr_and_intx_stay_in_step_under_concurrent_use),
		T(status_zero_resets_device_queues_and_vectors),
		T(queue_select_out_of_range_reads_zero),
		T(hostile_accesses_are_ignored),
		T(rings_outside_ram_set_needs_reset),
		T(device_config_goes_to_the_device),
		T(ioeventfds_follow_the_bar),
		T(pci_cfg_capability_reaches_bar4),
		T(bad_options_are_errors_naming_the_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
