/* virtio-rng (virtio 1.x §5.4): one requestq; every writable buffer the guest offers
 * comes back filled from getrandom(2), at most VIRTIO_RNG_MAX_REQUEST bytes each. */
#ifndef VIREO_DRIVERS_VIRTIO_RNG_H
#define VIREO_DRIVERS_VIRTIO_RNG_H

#include "drivers/virtio/virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE	8		/* as QEMU */
#define VIRTIO_RNG_MAX_REQUEST	(64u * 1024)	/* bytes filled per buffer */

/* An entropy device. Returns it, or NULL with *errp set. */
struct vdev *virtio_rng_new(const struct gmem *mem, const struct logger *log,
			    struct err **errp);
void virtio_rng_free(struct vdev *vdev);

#endif
