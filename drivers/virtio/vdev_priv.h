/* Common vdev helpers for the transports (not for devices). */
#ifndef VIREO_DRIVERS_VIRTIO_VDEV_PRIV_H
#define VIREO_DRIVERS_VIRTIO_VDEV_PRIV_H

#include "drivers/virtio/virtio.h"

/* The common part of a device reset (the driver wrote 0 to device_status, or
 * system_reset): status and negotiated features to 0, every queue back to its reset
 * state with size queue_max, and the NEEDS_RESET log line armed again. The caller
 * holds vdev->lock and calls vdev->ops->reset itself. */
void vdev_reset_common(struct vdev *vdev);

#endif
