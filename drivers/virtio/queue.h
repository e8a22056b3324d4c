/* The split virtqueue (virtio 1.x §2.7), shared by every virtio device.
 *
 * The guest owns the rings; everything read from them is hostile. vq_pop() walks one
 * descriptor chain through the one checked door to guest memory (gmem_ptr), bounded
 * by the queue size, following at most one level of INDIRECT descriptors, and turns
 * it into host iovecs split into device-readable ("out") and device-writable ("in")
 * parts. Any malformation (a loop, an index past the ring, an address or length
 * outside guest RAM, a length overflow, a readable buffer after a writable one, a
 * nested indirect table) marks the queue broken and reports why; the caller then sets
 * DEVICE_NEEDS_RESET (vdev_set_needs_reset). A broken queue pops nothing until reset.
 *
 * Memory ordering: the used ring is published with a release store of used->idx
 * after the elements; avail->idx is read with an acquire load before the elements. */
#ifndef VIREO_DRIVERS_VIRTIO_QUEUE_H
#define VIREO_DRIVERS_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/util/err.h"
#include "qemu-wrap/gmem.h"

#define VQ_MAX_SIZE 32768	/* virtio's limit for a split queue */
#define VQ_MAX_SEGS 1024	/* buffers in one chain we accept (after indirect) */

/* Descriptor flags (virtio 1.x §2.7.5). */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
/* used->flags / avail->flags */
#define VRING_USED_F_NO_NOTIFY	1
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct virtqueue {
	const struct gmem *mem;
	uint16_t size;		/* entries; a power of two <= VQ_MAX_SIZE */
	bool ready;		/* the driver enabled it (queue_enable) */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */

	uint16_t last_avail;	/* next avail->ring slot to consume */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last interrupt (EVENT_IDX) */
	bool signalled_valid;
	bool broken;
};

/* One popped chain: host pointers for each buffer, readable ones first. */
struct vq_chain {
	uint16_t head;		/* give back to vq_push */
	unsigned n_out, n_in;	/* iov[0..n_out) readable, iov[n_out..n_out+n_in) writable */
	struct iovec iov[VQ_MAX_SEGS];
	uint64_t out_len, in_len;	/* byte totals */
};

/* Validate the ring addresses for the current size (all three rings inside guest RAM,
 * aligned as the spec requires); called when the driver enables the queue. */
int vq_check_rings(struct virtqueue *vq, struct err **errp);

/* Back to the state after reset (not ready, indices 0, not broken). */
void vq_reset(struct virtqueue *vq);

/* Take the next available chain. Returns 1 with *chain filled, 0 if the ring is
 * empty (or the queue not ready), -1 if the ring is malformed (errp says how; the
 * queue is now broken). */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain, struct err **errp);

/* Give a chain back with `written` bytes written into its writable part. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* vq_push in two steps, for a result spread over several chains that the driver must
 * see whole (virtio-net's MRG_RXBUF): vq_fill writes the used element `off` places
 * after the published ones without publishing it; vq_flush publishes the next n. */
void vq_fill(struct virtqueue *vq, unsigned off, uint16_t head, uint32_t written);
void vq_flush(struct virtqueue *vq, unsigned n);

/* Hand back the last n chains vq_pop gave (not used): they are popped again next
 * time, as QEMU's virtqueue_unpop. n must not exceed what was popped since. */
void vq_unpop(struct virtqueue *vq, unsigned n);

/* After pushing: should the device interrupt the driver now? (NO_INTERRUPT flag, or
 * used_event with EVENT_IDX, §2.7.10). */
bool vq_should_notify(struct virtqueue *vq);

/* Ask the driver not to kick (processing) or to kick again (idle). With EVENT_IDX
 * this writes avail_event; returns true if more buffers arrived meanwhile (the
 * caller must process again instead of sleeping: avoids the lost-kick race). */
void vq_disable_kicks(struct virtqueue *vq);
bool vq_enable_kicks(struct virtqueue *vq);
/* Like vq_enable_kicks, for a device that needs more room than the buffers there now
 * (it handed them back with vq_unpop): the kick comes once the driver adds buffers
 * past those available now (QEMU's virtio_queue_set_notification). Returns true if
 * some were added meanwhile. */
bool vq_enable_kicks_beyond(struct virtqueue *vq);

/* Copy helpers over a chain's readable / writable iovecs (bounded by their sizes). */
size_t vq_copy_from_out(const struct vq_chain *c, size_t offset, void *dst, size_t len);
size_t vq_copy_to_in(const struct vq_chain *c, size_t offset, const void *src, size_t len);

#endif
