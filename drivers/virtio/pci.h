/* The modern virtio-pci transport (virtio 1.x §4.1), VERSION_1 only: no legacy I/O BAR.
 *
 * Identity: vendor 0x1af4, device 0x1040 + device id, revision 1, subsystem 0x1af4 /
 * device id, class by device type. Layout, as QEMU's:
 *
 *   BAR 4, 32-bit memory, 16 KiB    0x0000 common configuration (§4.1.4.3)
 *                                   0x1000 ISR status (read clears it, lowers INTx)
 *                                   0x2000 device configuration (vdev->ops->config_*)
 *                                   0x3000 notifications, queue q at 0x3000 + 4 * q
 *   BAR 1, 32-bit memory, >= 4 KiB  MSI-X table at 0, PBA at 0x800 (or after the table)
 *
 * The vendor-specific capabilities for common (1), notify (2), ISR (3), device (4,
 * only when config_size > 0) and PCI configuration access (5) point into BAR 4.
 *
 * Threads: configuration and BAR accesses come from vCPU threads and are serialised
 * per device; kicks come from vCPU threads (MMIO) or the machine's I/O thread
 * (virtio_pci_queue_kick after an ioeventfd fired); interrupts are raised from device
 * threads through vdev->transport. Device callbacks (reset, set_features, driver_ok,
 * config_*) run without vdev->lock, so they may call vdev_set_needs_reset(). */
#ifndef VIREO_DRIVERS_VIRTIO_PCI_H
#define VIREO_DRIVERS_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/bus/pci.h"
#include "drivers/virtio/virtio.h"
#include "lib/util/err.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040
#define VIRTIO_PCI_NO_VECTOR	0xffff
#define VIRTIO_PCI_VECTORS_AUTO	(-1)		/* nqueues + 1 */

#define VIRTIO_PCI_BAR		4
#define VIRTIO_PCI_BAR_SIZE	0x4000
#define VIRTIO_PCI_COMMON_OFF	0x0000
#define VIRTIO_PCI_ISR_OFF	0x1000
#define VIRTIO_PCI_DEVICE_OFF	0x2000
#define VIRTIO_PCI_NOTIFY_OFF	0x3000
#define VIRTIO_PCI_NOTIFY_MULT	4
#define VIRTIO_PCI_MSIX_BAR	1

/* Vendor capability types (§4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* ISR status bits (§4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE	1
#define VIRTIO_PCI_ISR_CONFIG	2

struct virtio_pci_opts {
	/* MSI-X vectors (the vectors= property): VIRTIO_PCI_VECTORS_AUTO for nqueues + 1,
	 * 0 for no MSI-X (INTx and the ISR), else 1 to PCI_MSIX_MAX_VECTORS. */
	int vectors;
	/* Largest queue size offered (a power of two); 0: vdev->queue_max. */
	uint16_t queue_size;
	/* Register (assign) or drop a KVM ioeventfd for queue qidx's notify address
	 * [gpa, gpa + len) (len 2: the driver writes the 16-bit queue index, §4.1.4.4).
	 * Return 0 when registered: the machine then calls virtio_pci_queue_kick() from
	 * its I/O thread when the eventfd fires; -1 leaves the queue on the MMIO path
	 * (always works). Called when BAR 4 is mapped, moved, unmapped and at free.
	 * NULL: MMIO writes are the only path. */
	int (*ioeventfd)(void *ctx, uint64_t gpa, unsigned len, unsigned qidx, bool assign);
	void *ctx;
};

struct virtio_pci;

/* Defaults: VIRTIO_PCI_VECTORS_AUTO, the device's queue_max, no ioeventfd hook. */
void virtio_pci_opts_init(struct virtio_pci_opts *opts);

/* Put vdev (vdev_init done) on host as a PCI function at devfn (or PCI_DEVFN_AUTO)
 * and become its transport (vdev->transport, transport_priv; vdev->name if empty).
 * opts may be NULL for the defaults. Returns the transport, or NULL with an error
 * (bad vectors or queue size, no free slot, no room for the BARs). On failure a
 * PCI function may remain on the host: the machine gives up on the VM then. */
struct virtio_pci *virtio_pci_new(struct pci_host *host, int devfn, struct vdev *vdev,
				  const struct virtio_pci_opts *opts, struct err **errp);

/* Drops the ioeventfds and frees the transport (not the vdev, not the PCI function,
 * which the host owns). Call it with the vCPUs stopped, after pci_host_free() or
 * with no guest access possible before it. NULL is a no-op. */
void virtio_pci_free(struct virtio_pci *vp);

/* system_reset: the device is reset as if the driver wrote 0 to device_status. */
void virtio_pci_reset(struct virtio_pci *vp);

/* The queue's ioeventfd fired (I/O thread): kick it like an MMIO notify write,
 * ignored unless the queue is enabled and DRIVER_OK is set. */
void virtio_pci_queue_kick(struct virtio_pci *vp, unsigned qidx);

/* The PCI function (for the machine's tables and tests). */
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

#endif
