/* virtio-console (virtio 1.x §5.3), the simple single-port device: receiveq (0) and
 * transmitq (1), no VIRTIO_CONSOLE_F_MULTIPORT, so no control queues and no port
 * names. Linux binds it as hvc0. (QEMU's virtio-serial-pci + virtconsole is the
 * MULTIPORT variant; this is not that.) EMERG_WRITE is offered: a 32-bit write of
 * emerg_wr in config space sends one byte.
 *
 * The device knows nothing of chardevs: output goes to a callback, input is pushed in
 * with virtio_console_receive(). */
#ifndef VIREO_DRIVERS_VIRTIO_CONSOLE_H
#define VIREO_DRIVERS_VIRTIO_CONSOLE_H

#include <stddef.h>

#include "drivers/virtio/virtio.h"

#define VIRTIO_CONSOLE_F_SIZE		0
#define VIRTIO_CONSOLE_F_MULTIPORT	1
#define VIRTIO_CONSOLE_F_EMERG_WRITE	2

#define VIRTIO_CONSOLE_RX_QUEUE	0
#define VIRTIO_CONSOLE_TX_QUEUE	1

/* struct virtio_console_config (§5.3.4): le16 cols, le16 rows, le32 max_nr_ports,
 * le32 emerg_wr. */
#define VIRTIO_CONSOLE_CFG_EMERG_WR	8
#define VIRTIO_CONSOLE_CONFIG_SIZE	12

#define VIRTIO_CONSOLE_QUEUE_SIZE	128

struct virtio_console_opts {
	void *opaque;
	/* Bytes the guest wrote (transmitq or emerg_wr). Called in the kicking thread,
	 * with the device's tx lock held: must not call back into the device. */
	void (*tx)(void *opaque, const void *buf, size_t len);
	/* The guest gave receive buffers after a virtio_console_receive() that could not
	 * place everything: retry now. Called in the kicking thread (a vCPU), without
	 * device locks held. Optional. */
	void (*rx_ready)(void *opaque);
};

/* A console device. Returns it, or NULL with *errp set. */
struct vdev *virtio_console_new(const struct virtio_console_opts *o, const struct gmem *mem,
				const struct logger *log, struct err **errp);
void virtio_console_free(struct vdev *vdev);

/* Put up to len bytes into the guest's receive buffers. Returns how many were taken
 * (0 if the driver is not ready or has no buffers: rx_ready says when to retry). Any
 * thread. */
size_t virtio_console_receive(struct vdev *vdev, const void *buf, size_t len);

#endif
