/* The modern virtio-pci transport (virtio 1.x §4.1); see pci.h for the layout.
 *
 * Locking: vp->lock serialises the guest's accesses to the common configuration
 * (several vCPUs may poke it) and the ioeventfd state; vdev->lock is taken only for
 * the short moments that change what device threads read (status, features, queue
 * setup). Device callbacks run with vp->lock only, so a device may take vdev->lock or
 * call vdev_set_needs_reset() from them. vp->isr_lock keeps the ISR byte and the
 * INTx level in step: without it a guest read clearing the ISR could race a device
 * raising it and leave the line asserted with the ISR empty (an interrupt storm).
 * With MSI-X on, signalling takes no lock of ours: the ISR bit is an atomic or, the
 * vector goes to pci_msix_notify() (its irqfd, see drivers/bus/pci.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/pci.h"
#include "drivers/virtio/vdev_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* Common configuration fields (§4.1.4.3), in layout order. */
enum common_field {
	CF_DFSELECT, CF_DF, CF_GFSELECT, CF_GF, CF_MSIX_CONFIG, CF_NUM_QUEUES, CF_STATUS,
	CF_GENERATION, CF_Q_SELECT, CF_Q_SIZE, CF_Q_MSIX, CF_Q_ENABLE, CF_Q_NOTIFY_OFF,
	CF_Q_DESC, CF_Q_DRIVER, CF_Q_DEVICE, CF_COUNT
};

static const struct {
	uint8_t off, width;
} common_layout[CF_COUNT] = {
	[CF_DFSELECT] = { 0x00, 4 },	[CF_DF] = { 0x04, 4 },
	[CF_GFSELECT] = { 0x08, 4 },	[CF_GF] = { 0x0c, 4 },
	[CF_MSIX_CONFIG] = { 0x10, 2 },	[CF_NUM_QUEUES] = { 0x12, 2 },
	[CF_STATUS] = { 0x14, 1 },	[CF_GENERATION] = { 0x15, 1 },
	[CF_Q_SELECT] = { 0x16, 2 },	[CF_Q_SIZE] = { 0x18, 2 },
	[CF_Q_MSIX] = { 0x1a, 2 },	[CF_Q_ENABLE] = { 0x1c, 2 },
	[CF_Q_NOTIFY_OFF] = { 0x1e, 2 },	[CF_Q_DESC] = { 0x20, 8 },
	[CF_Q_DRIVER] = { 0x28, 8 },	[CF_Q_DEVICE] = { 0x30, 8 },
};

#define COMMON_LEN	0x38
#define ISR_LEN		1
#define PCICFG_DATA	16		/* pci_cfg_data in the PCI_CFG capability */

struct virtio_pci {
	struct vdev *vdev;
	struct pci_dev *dev;
	pthread_mutex_t lock;		/* guest accesses to the common config, ioeventfds */
	pthread_mutex_t isr_lock;
	uint8_t isr;
	unsigned nvectors;		/* 0: no MSI-X */
	uint16_t queue_max;
	int pcicfg_cap;			/* offset of the PCI_CFG capability */

	uint32_t dfselect, gfselect;
	uint64_t guest_features;	/* what the driver wrote, until FEATURES_OK */
	uint16_t config_vector;
	uint16_t queue_sel;
	uint16_t queue_vector[VDEV_MAX_QUEUES];

	int (*ioeventfd)(void *ctx, uint64_t gpa, unsigned len, unsigned qidx, bool assign);
	void *ctx;
	uint64_t notify_gpa;		/* BAR 4 address the ioeventfds are at */
	bool evfd[VDEV_MAX_QUEUES];
};

void virtio_pci_opts_init(struct virtio_pci_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->vectors = VIRTIO_PCI_VECTORS_AUTO;
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return vp->dev;
}

/* The features offered: the device's plus what this transport and queue.c do. */
static uint64_t offered_features(struct virtio_pci *vp)
{
	uint64_t f = vp->vdev->ops->features ? vp->vdev->ops->features(vp->vdev) : 0;
	uint64_t ours = UINT64_C(1) << VIRTIO_RING_F_INDIRECT_DESC |
			UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX;

	return f | UINT64_C(1) << VIRTIO_F_VERSION_1 | (ours & ~vp->vdev->transport_features_off);
}

/* Queue q's largest size: the transport's, or the device's smaller one for q. */
static uint16_t queue_max_of(const struct virtio_pci *vp, unsigned q)
{
	uint16_t own = vp->vdev->queue_max_of[q];

	return own && own < vp->queue_max ? own : vp->queue_max;
}

static uint8_t status_of(const struct vdev *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
}

/* ---- interrupts ---- */

/* Signal the driver on vector, or through the ISR and INTx; any thread. As QEMU does,
 * the ISR bit is set either way (a driver using MSI-X does not read it, §4.1.4.5);
 * INTx only without MSI-X (the bridge would not drive it anyway). VIRTIO_PCI_NO_VECTOR
 * under MSI-X: no interrupt. A masked vector is remembered in the PBA by the bridge. */
static void signal_driver(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (vp->nvectors && pci_msix_enabled(vp->dev)) {
		__atomic_fetch_or(&vp->isr, isr_bit, __ATOMIC_RELAXED);
		if (vector < vp->nvectors)
			pci_msix_notify(vp->dev, vector);
		return;
	}
	pthread_mutex_lock(&vp->isr_lock);
	__atomic_fetch_or(&vp->isr, isr_bit, __ATOMIC_RELAXED);
	pci_dev_set_intx(vp->dev, 1);
	pthread_mutex_unlock(&vp->isr_lock);
}

static void transport_notify_queue(struct vdev *vdev, unsigned qidx)
{
	struct virtio_pci *vp = vdev->transport_priv;

	if (qidx >= vdev->nqueues)
		return;
	signal_driver(vp, __atomic_load_n(&vp->queue_vector[qidx], __ATOMIC_RELAXED),
		      VIRTIO_PCI_ISR_QUEUE);
}

static void transport_notify_config(struct vdev *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	signal_driver(vp, __atomic_load_n(&vp->config_vector, __ATOMIC_RELAXED),
		      VIRTIO_PCI_ISR_CONFIG);
}

/* Only with MSI-X on and a vector of the queue's own: INTx needs the ISR. */
static int transport_queue_irqfd(struct vdev *vdev, unsigned qidx)
{
	struct virtio_pci *vp = vdev->transport_priv;
	uint16_t vector;

	if (qidx >= vdev->nqueues || !vp->nvectors || !pci_msix_enabled(vp->dev))
		return -1;
	vector = __atomic_load_n(&vp->queue_vector[qidx], __ATOMIC_RELAXED);
	return vector < vp->nvectors ? pci_msix_irqfd(vp->dev, vector) : -1;
}

static const struct vdev_transport_ops virtio_pci_transport = {
	.notify_queue = transport_notify_queue,
	.notify_config = transport_notify_config,
	.queue_irqfd = transport_queue_irqfd,
};

/* Reading the ISR clears it and lowers INTx (§4.1.4.5). Returns the old value. */
static uint8_t isr_read_clear(struct virtio_pci *vp)
{
	uint8_t v;

	pthread_mutex_lock(&vp->isr_lock);
	v = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_RELAXED);
	pci_dev_set_intx(vp->dev, 0);
	pthread_mutex_unlock(&vp->isr_lock);
	return v;
}

/* ---- reset, features, status ---- */

/* Back to the state after power-on (§2.4), with vp->lock held; the device's own reset
 * runs unless the device was only just created. */
static void reset_locked(struct virtio_pci *vp, bool reset_device)
{
	struct vdev *vdev = vp->vdev;

	pthread_mutex_lock(&vdev->lock);
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);	/* kicks stop here */
	pthread_mutex_unlock(&vdev->lock);
	if (reset_device && vdev->ops->reset)
		vdev->ops->reset(vdev);
	pthread_mutex_lock(&vdev->lock);
	vdev_reset_common(vdev);
	for (unsigned q = 0; q < vdev->nqueues; q++) {
		struct virtqueue *vq = &vdev->vqs[q];

		vq->size = queue_max_of(vp, q);
		vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
		__atomic_store_n(&vp->queue_vector[q], VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&vdev->lock);
	__atomic_store_n(&vp->config_vector, VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELAXED);
	vp->dfselect = vp->gfselect = 0;
	vp->guest_features = 0;
	vp->queue_sel = 0;
	isr_read_clear(vp);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	reset_locked(vp, true);
	pthread_mutex_unlock(&vp->lock);
}

/* FEATURES_OK (§3.1.1): true if the driver took VERSION_1, nothing we did not offer,
 * and the device agrees. */
static bool features_acceptable(struct virtio_pci *vp, uint64_t f)
{
	struct vdev *vdev = vp->vdev;

	if (!(f >> VIRTIO_F_VERSION_1 & 1) || (f & ~offered_features(vp)))
		return false;
	return !vdev->ops->set_features || vdev->ops->set_features(vdev, f);
}

/* A status write other than 0. The driver never clears bits (§2.1.2), so bits once
 * set stay; FEATURES_OK is refused by leaving it out, DRIVER_OK needs FEATURES_OK. */
static void status_write(struct virtio_pci *vp, uint8_t value)
{
	struct vdev *vdev = vp->vdev;
	uint8_t old = status_of(vdev) & ~VIRTIO_STATUS_NEEDS_RESET;
	uint8_t now = (value | old) & ~VIRTIO_STATUS_NEEDS_RESET;
	bool accepted = false;

	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		accepted = features_acceptable(vp, vp->guest_features);
		if (!accepted)
			now &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	if (!(now & VIRTIO_STATUS_FEATURES_OK))
		now &= ~VIRTIO_STATUS_DRIVER_OK;
	pthread_mutex_lock(&vdev->lock);
	if (accepted)
		vdev->driver_features = vp->guest_features;
	__atomic_store_n(&vdev->status, now | (vdev->status & VIRTIO_STATUS_NEEDS_RESET),
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vdev->lock);
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    vdev->ops->driver_ok)
		vdev->ops->driver_ok(vdev);
}

/* ---- queues ---- */

static struct virtqueue *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->vdev->nqueues ? &vp->vdev->vqs[vp->queue_sel] : NULL;
}

static bool queue_ready(const struct virtqueue *vq)
{
	return __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE);
}

/* A valid vector, or NO_VECTOR for anything else (§4.1.5.1.2: it reads back so). */
static uint16_t checked_vector(struct virtio_pci *vp, uint64_t v)
{
	return v < vp->nvectors ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

/* queue_enable = 1: the rings must lie in RAM, else DEVICE_NEEDS_RESET (§2.1.1). */
static void queue_enable(struct virtio_pci *vp, struct virtqueue *vq, unsigned qidx)
{
	struct vdev *vdev = vp->vdev;
	struct err *e = NULL;
	int rc;

	pthread_mutex_lock(&vdev->lock);
	vq->mem = vdev->mem;
	vq->event_idx = vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = vdev_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	rc = vq_check_rings(vq, &e);
	if (rc == 0)
		__atomic_store_n(&vq->ready, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vdev->lock);
	if (rc < 0) {
		char *why;

		err_wrap(&e, ERR_INVALID, _("queue %u"), qidx);
		why = err_describe(e);
		vdev_set_needs_reset(vdev, why);
		free(why);
		err_free(e);
	}
}

static uint64_t queue_field_read(struct virtio_pci *vp, enum common_field f)
{
	struct virtqueue *vq = selected_queue(vp);

	if (!vq)
		return 0;
	switch (f) {
	case CF_Q_SIZE:		return vq->size;
	case CF_Q_MSIX:		return vp->queue_vector[vp->queue_sel];
	case CF_Q_ENABLE:	return queue_ready(vq);
	case CF_Q_NOTIFY_OFF:	return vp->queue_sel;
	case CF_Q_DESC:		return vq->desc_gpa;
	case CF_Q_DRIVER:	return vq->avail_gpa;
	case CF_Q_DEVICE:	return vq->used_gpa;
	default:		return 0;
	}
}

/* The driver must not change a queue's size or rings while it is enabled
 * (§4.1.4.3.2): such writes are ignored, as is a size that is not a power of two
 * up to the maximum. */
static void queue_field_write(struct virtio_pci *vp, enum common_field f, uint64_t v)
{
	struct virtqueue *vq = selected_queue(vp);
	unsigned q = vp->queue_sel;

	if (!vq)
		return;
	if (f == CF_Q_MSIX) {
		__atomic_store_n(&vp->queue_vector[q], checked_vector(vp, v), __ATOMIC_RELAXED);
		return;
	}
	if (queue_ready(vq))
		return;
	pthread_mutex_lock(&vp->vdev->lock);
	switch (f) {
	case CF_Q_SIZE:
		if (v && v <= queue_max_of(vp, q) && !(v & (v - 1)))
			vq->size = (uint16_t)v;
		break;
	case CF_Q_DESC:		vq->desc_gpa = v; break;
	case CF_Q_DRIVER:	vq->avail_gpa = v; break;
	case CF_Q_DEVICE:	vq->used_gpa = v; break;
	default:		break;
	}
	pthread_mutex_unlock(&vp->vdev->lock);
	if (f == CF_Q_ENABLE && v == 1)
		queue_enable(vp, vq, q);
}

/* ---- common configuration ---- */

static uint64_t common_field_read(struct virtio_pci *vp, enum common_field f)
{
	struct vdev *vdev = vp->vdev;

	switch (f) {
	case CF_DFSELECT:	return vp->dfselect;
	case CF_DF:		return vp->dfselect < 2 ?
				       (uint32_t)(offered_features(vp) >> (32 * vp->dfselect)) : 0;
	case CF_GFSELECT:	return vp->gfselect;
	case CF_GF:		return vp->gfselect < 2 ?
				       (uint32_t)(vp->guest_features >> (32 * vp->gfselect)) : 0;
	case CF_MSIX_CONFIG:	return vp->config_vector;
	case CF_NUM_QUEUES:	return vdev->nqueues;
	case CF_STATUS:		return status_of(vdev);
	case CF_GENERATION:	return (uint8_t)__atomic_load_n(&vdev->config_generation,
								__ATOMIC_ACQUIRE);
	case CF_Q_SELECT:	return vp->queue_sel;
	default:		return queue_field_read(vp, f);
	}
}

static void common_field_write(struct virtio_pci *vp, enum common_field f, uint64_t v)
{
	unsigned shift = 32 * vp->gfselect;

	switch (f) {
	case CF_DFSELECT:	vp->dfselect = (uint32_t)v; break;
	case CF_GFSELECT:	vp->gfselect = (uint32_t)v; break;
	case CF_GF:
		/* Features are fixed once FEATURES_OK is set (§3.1.1 step 5). */
		if (vp->gfselect < 2 && !(status_of(vp->vdev) & VIRTIO_STATUS_FEATURES_OK))
			vp->guest_features = (vp->guest_features & ~(UINT64_C(0xffffffff) << shift)) |
					     (v & 0xffffffff) << shift;
		break;
	case CF_MSIX_CONFIG:
		__atomic_store_n(&vp->config_vector, checked_vector(vp, v), __ATOMIC_RELAXED);
		break;
	case CF_STATUS:
		if ((uint8_t)v == 0)
			reset_locked(vp, true);
		else
			status_write(vp, (uint8_t)v);
		break;
	case CF_Q_SELECT:	vp->queue_sel = (uint16_t)v; break;
	case CF_DF: case CF_NUM_QUEUES: case CF_GENERATION: case CF_Q_NOTIFY_OFF:
		break;		/* read-only */
	default:		queue_field_write(vp, f, v); break;
	}
}

/* The field holding [off, off + size), or CF_COUNT when the access is outside one
 * field (hostile or sloppy: ignored). */
static enum common_field common_field_at(uint64_t off, unsigned size)
{
	for (int f = 0; f < CF_COUNT; f++) {
		uint64_t start = common_layout[f].off, end = start + common_layout[f].width;

		if (off >= start && off < end)
			return off + size <= end ? (enum common_field)f : CF_COUNT;
	}
	return CF_COUNT;
}

static uint64_t common_read(struct virtio_pci *vp, uint64_t off, unsigned size)
{
	enum common_field f = common_field_at(off, size);
	uint64_t v;

	if (f == CF_COUNT)
		return 0;
	pthread_mutex_lock(&vp->lock);
	v = common_field_read(vp, f);
	pthread_mutex_unlock(&vp->lock);
	return io_reg_read(v, common_layout[f].width, off - common_layout[f].off, size);
}

/* A write of part of a field merges into its current value (the 64-bit ring
 * addresses are written as two 32-bit halves, §4.1.3.1). */
static void common_write(struct virtio_pci *vp, uint64_t off, unsigned size, uint64_t value)
{
	enum common_field f = common_field_at(off, size);
	unsigned w;
	uint64_t v;

	if (f == CF_COUNT)
		return;
	w = common_layout[f].width;
	pthread_mutex_lock(&vp->lock);
	v = w == size ? value : io_reg_merge(common_field_read(vp, f), w,
					      off - common_layout[f].off, size, value);
	common_field_write(vp, f, v);
	pthread_mutex_unlock(&vp->lock);
}

/* ---- BAR 4 ---- */

void virtio_pci_queue_kick(struct virtio_pci *vp, unsigned qidx)
{
	struct vdev *vdev = vp->vdev;

	/* §2.1.2: no buffers are used before DRIVER_OK; the device's driver_ok()
	 * looks at the rings once, so a kick before it is not lost. */
	if (qidx >= vdev->nqueues || !queue_ready(&vdev->vqs[qidx]) ||
	    !(status_of(vdev) & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vdev->ops->queue_notify)
		vdev->ops->queue_notify(vdev, qidx);
}

static uint64_t device_cfg_read(struct virtio_pci *vp, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (off + size > vp->vdev->config_size || !vp->vdev->ops->config_read)
		return 0;
	vp->vdev->ops->config_read(vp->vdev, (uint32_t)off, &v, size);
	return io_mask(v, size);
}

static void device_cfg_write(struct virtio_pci *vp, uint64_t off, unsigned size, uint64_t v)
{
	if (off + size > vp->vdev->config_size || !vp->vdev->ops->config_write)
		return;
	vp->vdev->ops->config_write(vp->vdev, (uint32_t)off, &v, size);
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;

	if (off < VIRTIO_PCI_ISR_OFF)
		return common_read(vp, off - VIRTIO_PCI_COMMON_OFF, size);
	if (off < VIRTIO_PCI_DEVICE_OFF)
		return off == VIRTIO_PCI_ISR_OFF ? isr_read_clear(vp) : 0;
	if (off < VIRTIO_PCI_NOTIFY_OFF)
		return device_cfg_read(vp, off - VIRTIO_PCI_DEVICE_OFF, size);
	return 0;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
	struct virtio_pci *vp = opaque;

	if (off < VIRTIO_PCI_ISR_OFF) {
		common_write(vp, off - VIRTIO_PCI_COMMON_OFF, size, value);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
		device_cfg_write(vp, off - VIRTIO_PCI_DEVICE_OFF, size, value);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF && off < VIRTIO_PCI_BAR_SIZE) {
		off -= VIRTIO_PCI_NOTIFY_OFF;
		if (off % VIRTIO_PCI_NOTIFY_MULT == 0)
			virtio_pci_queue_kick(vp, (unsigned)(off / VIRTIO_PCI_NOTIFY_MULT));
	}
}

static const struct io_ops virtio_pci_bar_ops = {
	.name = "virtio-pci",
	.read = bar_read,
	.write = bar_write,
};

/* ---- ioeventfds ---- */

/* Move every queue's ioeventfd to BAR 4 at addr (PCI_BAR_UNMAPPED: drop them). */
static void ioeventfds_move(struct virtio_pci *vp, uint64_t addr)
{
	if (!vp->ioeventfd)
		return;
	pthread_mutex_lock(&vp->lock);
	for (unsigned q = 0; q < vp->vdev->nqueues; q++) {
		uint64_t off = VIRTIO_PCI_NOTIFY_OFF + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;

		if (vp->evfd[q])
			vp->ioeventfd(vp->ctx, vp->notify_gpa + off, 2, q, false);
		vp->evfd[q] = addr != PCI_BAR_UNMAPPED &&
			      vp->ioeventfd(vp->ctx, addr + off, 2, q, true) == 0;
	}
	vp->notify_gpa = addr;
	pthread_mutex_unlock(&vp->lock);
}

/* ---- PCI configuration space ---- */

static void pci_bar_remapped(void *opaque, struct pci_dev *dev, unsigned bar, uint64_t addr)
{
	if (bar == VIRTIO_PCI_BAR)
		ioeventfds_move(opaque, addr);
}

/* The PCI_CFG capability's window (§4.1.4.8): false if bar/offset/length are not a
 * naturally aligned 1, 2 or 4-byte access inside BAR 4. */
static bool pcicfg_target(struct virtio_pci *vp, uint32_t *off, unsigned *len)
{
	unsigned c = (unsigned)vp->pcicfg_cap;

	*off = pci_config_get(vp->dev, c + 8, 4);
	*len = pci_config_get(vp->dev, c + 12, 4);
	return pci_config_get(vp->dev, c + 4, 1) == VIRTIO_PCI_BAR &&
	       (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 &&
	       *off < VIRTIO_PCI_BAR_SIZE;
}

static bool pci_config_read_hook(void *opaque, struct pci_dev *dev, unsigned offset,
				 unsigned size, uint32_t *value)
{
	struct virtio_pci *vp = opaque;
	unsigned data = (unsigned)vp->pcicfg_cap + PCICFG_DATA, len;
	uint32_t off;

	if (vp->pcicfg_cap < 0 || offset < data || offset + size > data + 4 ||
	    !pcicfg_target(vp, &off, &len))
		return false;
	*value = (uint32_t)io_reg_read(bar_read(vp, off, len), len, offset - data, size);
	return true;
}

static void pci_config_write_hook(void *opaque, struct pci_dev *dev, unsigned offset,
				  unsigned size, uint32_t value)
{
	struct virtio_pci *vp = opaque;
	unsigned data = (unsigned)vp->pcicfg_cap + PCICFG_DATA, len;
	uint32_t off;

	if (vp->pcicfg_cap < 0 || offset + size <= data || offset >= data + 4 ||
	    !pcicfg_target(vp, &off, &len))
		return;
	bar_write(vp, off, len, pci_config_get(dev, data, len));
}

/* A vector was masked, unmasked or re-routed (after the bridge switched its signal
 * path): the queues on it may get a different queue_irqfd() now. With vp->lock, as
 * the other device callbacks, so these changes and reset or DRIVER_OK come in turn. */
static void pci_msix_update_hook(void *opaque, struct pci_dev *dev, unsigned vector)
{
	struct virtio_pci *vp = opaque;
	struct vdev *vdev = vp->vdev;

	if (!vdev->ops->queue_irqfd_changed)
		return;
	pthread_mutex_lock(&vp->lock);
	for (unsigned q = 0; q < vdev->nqueues; q++)
		if (__atomic_load_n(&vp->queue_vector[q], __ATOMIC_RELAXED) == vector)
			vdev->ops->queue_irqfd_changed(vdev, q);
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_dev_ops virtio_pci_dev_ops = {
	.config_read = pci_config_read_hook,
	.config_write = pci_config_write_hook,
	.bar_remapped = pci_bar_remapped,
	.msix_update = pci_msix_update_hook,
};

/* ---- setup ---- */

/* Class code by device type (what QEMU gives each). */
static uint32_t class_for(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:	return 0x020000;
	case VIRTIO_ID_BLOCK:	return 0x010000;
	case VIRTIO_ID_CONSOLE:	return 0x078000;
	default:		return 0x00ff00;
	}
}

/* A virtio_pci_cap (§4.1.4) of cap_len bytes pointing at [off, off + len) of BAR 4.
 * Returns its offset in configuration space, or -1 with an error. */
static int add_virtio_cap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len,
			  unsigned cap_len, struct err **errp)
{
	int c = pci_dev_add_cap(vp->dev, PCIY_VENDOR, cap_len, errp);

	if (c < 0)
		return -1;
	pci_config_set(vp->dev, (unsigned)c + 2, 1, cap_len);
	pci_config_set(vp->dev, (unsigned)c + 3, 1, type);
	pci_config_set(vp->dev, (unsigned)c + 4, 1, VIRTIO_PCI_BAR);
	pci_config_set(vp->dev, (unsigned)c + 8, 4, off);
	pci_config_set(vp->dev, (unsigned)c + 12, 4, len);
	return c;
}

static int add_virtio_caps(struct virtio_pci *vp, struct err **errp)
{
	unsigned nq = vp->vdev->nqueues, c;
	int notify;

	if (add_virtio_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, COMMON_LEN,
			   16, errp) < 0 ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, ISR_LEN, 16,
			   errp) < 0)
		return -1;
	if (vp->vdev->config_size &&
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
			   vp->vdev->config_size, 16, errp) < 0)
		return -1;
	notify = add_virtio_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
				(nq ? nq : 1) * VIRTIO_PCI_NOTIFY_MULT, 20, errp);
	if (notify < 0)
		return -1;
	pci_config_set(vp->dev, (unsigned)notify + 16, 4, VIRTIO_PCI_NOTIFY_MULT);
	vp->pcicfg_cap = add_virtio_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 20, errp);
	if (vp->pcicfg_cap < 0)
		return -1;
	/* bar, offset, length and data are the driver's to write (§4.1.4.8). */
	c = (unsigned)vp->pcicfg_cap;
	pci_config_set(vp->dev, c + 4, 1, 0);
	pci_config_set_wmask(vp->dev, c + 4, 1, 0xff);
	pci_config_set_wmask(vp->dev, c + 8, 4, 0xffffffff);
	pci_config_set_wmask(vp->dev, c + 12, 4, 0xffffffff);
	pci_config_set_wmask(vp->dev, c + 16, 4, 0xffffffff);
	return 0;
}

/* MSI-X in BAR 1: the table at 0, the PBA at the next 2 KiB boundary (0x800 for up to
 * 128 vectors, as QEMU). Returns 0 or -1 with an error. */
static int add_msix(struct virtio_pci *vp, struct err **errp)
{
	uint64_t table = (uint64_t)vp->nvectors * 16;
	uint64_t pba_off = (table + 0x7ff) & ~UINT64_C(0x7ff);
	uint64_t end = pba_off + (vp->nvectors + 63) / 64 * 8, size = 0x1000;

	while (size < end)
		size <<= 1;
	if (pci_dev_add_bar(vp->dev, VIRTIO_PCI_MSIX_BAR, size, false, NULL, NULL, errp) < 0)
		return -1;
	return pci_msix_init(vp->dev, vp->nvectors, VIRTIO_PCI_MSIX_BAR, 0, (uint32_t)pba_off,
			     errp);
}

/* Check what the device and the options ask for; fills vp->nvectors, queue_max. */
static int check_opts(struct virtio_pci *vp, const struct virtio_pci_opts *o,
		      struct err **errp)
{
	const struct vdev *vdev = vp->vdev;
	unsigned qmax = o->queue_size ? o->queue_size : vdev->queue_max;

	if (vdev->nqueues > VDEV_MAX_QUEUES)
		return err_set(errp, ERR_LIMIT, _("%s: %u queues, at most %u are supported"),
			       vdev->ops->name, vdev->nqueues, VDEV_MAX_QUEUES);
	if (vdev->config_size > VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF)
		return err_set(errp, ERR_INTERNAL, _("%s: config space of %u bytes is too large"),
			       vdev->ops->name, vdev->config_size);
	if (o->vectors != VIRTIO_PCI_VECTORS_AUTO &&
	    (o->vectors < 0 || o->vectors > PCI_MSIX_MAX_VECTORS))
		return err_set(errp, ERR_RANGE, _("%s: vectors=%d is not between 0 and %u"),
			       vdev->ops->name, o->vectors, PCI_MSIX_MAX_VECTORS);
	if (!qmax || qmax > VQ_MAX_SIZE || (qmax & (qmax - 1)) ||
	    (vdev->queue_max && qmax > vdev->queue_max))
		return err_set(errp, ERR_INVALID,
			       _("%s: queue size %u is not a power of two from 1 to %u"),
			       vdev->ops->name, qmax,
			       vdev->queue_max ? vdev->queue_max : VQ_MAX_SIZE);
	vp->nvectors = o->vectors == VIRTIO_PCI_VECTORS_AUTO ? vdev->nqueues + 1 :
							       (unsigned)o->vectors;
	vp->queue_max = (uint16_t)qmax;
	return 0;
}

static struct pci_dev *add_function(struct pci_host *host, int devfn, struct vdev *vdev,
				    struct err **errp)
{
	uint16_t id = vdev->ops->device_id;
	struct pci_id pid = {
		.vendor = VIRTIO_PCI_VENDOR, .device = VIRTIO_PCI_DEVICE_BASE + id,
		.subsystem_vendor = VIRTIO_PCI_VENDOR, .subsystem = id,
		.class_code = class_for(id), .revision = 1, .intx_pin = 1,
	};

	return pci_dev_add(host, devfn, vdev->ops->name, &pid, errp);
}

struct virtio_pci *virtio_pci_new(struct pci_host *host, int devfn, struct vdev *vdev,
				  const struct virtio_pci_opts *opts, struct err **errp)
{
	struct virtio_pci_opts defaults;
	struct virtio_pci *vp = xzalloc(sizeof(*vp));

	if (!opts) {
		virtio_pci_opts_init(&defaults);
		opts = &defaults;
	}
	vp->vdev = vdev;
	vp->pcicfg_cap = -1;
	vp->notify_gpa = PCI_BAR_UNMAPPED;
	vp->ioeventfd = opts->ioeventfd;
	vp->ctx = opts->ctx;
	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->isr_lock, NULL);
	if (check_opts(vp, opts, errp) < 0)
		goto fail;
	vp->dev = add_function(host, devfn, vdev, errp);
	if (!vp->dev ||
	    pci_dev_add_bar(vp->dev, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, false,
			    &virtio_pci_bar_ops, vp, errp) < 0 ||
	    (vp->nvectors && add_msix(vp, errp) < 0) || add_virtio_caps(vp, errp) < 0)
		goto fail;
	if (!vdev->name[0])
		snprintf(vdev->name, sizeof(vdev->name), "%s (00:%02x.%x)", vdev->ops->name,
			 PCI_SLOT(pci_dev_devfn(vp->dev)), PCI_FUNC(pci_dev_devfn(vp->dev)));
	vdev->transport = &virtio_pci_transport;
	vdev->transport_priv = vp;
	pthread_mutex_lock(&vp->lock);
	reset_locked(vp, false);
	pthread_mutex_unlock(&vp->lock);
	pci_dev_set_ops(vp->dev, &virtio_pci_dev_ops, vp);
	ioeventfds_move(vp, pci_dev_bar_addr(vp->dev, VIRTIO_PCI_BAR));
	return vp;
fail:
	pthread_mutex_destroy(&vp->lock);
	pthread_mutex_destroy(&vp->isr_lock);
	free(vp);
	return NULL;
}

void virtio_pci_free(struct virtio_pci *vp)
{
	if (!vp)
		return;
	ioeventfds_move(vp, PCI_BAR_UNMAPPED);
	pthread_mutex_destroy(&vp->lock);
	pthread_mutex_destroy(&vp->isr_lock);
	free(vp);
}
