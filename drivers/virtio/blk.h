/* virtio-blk (virtio 1.x §5.2) over a raw image (drivers/block/raw.h), one worker
 * thread per request queue (drivers/block/aio.h back-ends). */
#ifndef VIREO_DRIVERS_VIRTIO_BLK_H
#define VIREO_DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>

#include "drivers/block/aio.h"
#include "drivers/block/raw.h"
#include "drivers/virtio/virtio.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_GET_LIFETIME	10
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_T_SECURE_ERASE	14

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_WZ_F_UNMAP	1	/* discard/write-zeroes segment flag */

#define VIRTIO_BLK_SECTOR_SIZE	512
#define VIRTIO_BLK_ID_BYTES	20

/* Offsets in the config space (struct virtio_blk_config, §5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY			0	/* le64 */
#define VIRTIO_BLK_CFG_SIZE_MAX			8	/* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX			12	/* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE			20	/* le32 */
#define VIRTIO_BLK_CFG_NUM_QUEUES		34	/* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS	36	/* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG		40	/* le32 */
#define VIRTIO_BLK_CFG_DISCARD_ALIGNMENT	44	/* le32 */
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS		48	/* le32 */
#define VIRTIO_BLK_CFG_MAX_WZ_SEG		52	/* le32 */
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP		56	/* u8 */
#define VIRTIO_BLK_CONFIG_SIZE			60	/* up to unused1[3] */

/* Largest discard / write-zeroes request, in sectors (1 GiB: bounds one fallocate
 * or, in the fallback, the zeros written synchronously for one request). */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS	(1u << 21)
/* Discard granularity we advertise, in sectors: a 4 KiB file system block. */
#define VIRTIO_BLK_DISCARD_ALIGNMENT	8

#define VIRTIO_BLK_DEFAULT_QUEUE_SIZE	256
#define VIRTIO_BLK_MAX_QUEUE_SIZE	1024	/* QEMU's limit too */

struct virtio_blk_opts {
	struct raw_image *img;	/* owned by the device once virtio_blk_new succeeds */
	bool readonly;		/* offer VIRTIO_BLK_F_RO and refuse writes */
	unsigned num_queues;	/* 0 means 1 */
	unsigned queue_size;	/* 0 means 256; a power of two, 4 to 1024 */
	char serial[VIRTIO_BLK_ID_BYTES + 1];	/* GET_ID answer; "" for none */
	enum aio_kind aio;	/* back-end of the queue workers; AIO_DEFAULT: the build's */
};

/* A virtio-blk device on o->img. Returns the device (which now owns the image), or
 * NULL with *errp naming the bad property (the image is then still the caller's). */
struct vdev *virtio_blk_new(const struct virtio_blk_opts *o, const struct gmem *mem,
			    const struct logger *log, struct err **errp);

/* Free a device from virtio_blk_new (closes its image); NULL is fine. Stops and joins
 * the queue workers first (what they have in flight completes). The transport must
 * no longer call it. */
void virtio_blk_free(struct vdev *vdev);

/* The eventfd queue qidx's worker waits on (register it as the KVM ioeventfd of the
 * queue's notify address), or -1 when the queue runs in-line (no worker: kicks must
 * reach the device through vdev->ops->queue_notify). The device keeps it. */
int virtio_blk_kick_fd(struct vdev *vdev, unsigned qidx);

/* The VM stops (QMP stop, before a system reset, before teardown): returns once every
 * queue has completed what was in flight into the used ring and its worker is parked;
 * virtio_blk_resume lets them run again. Both are idempotent. */
void virtio_blk_pause(struct vdev *vdev);
void virtio_blk_resume(struct vdev *vdev);

/* How queue qidx runs: "io_uring", "threads", "sync" (a worker doing the I/O itself)
 * or "in-line" (no worker), and its back-end's submit calls and requests so far. */
const char *virtio_blk_queue_mode(struct vdev *vdev, unsigned qidx);
void virtio_blk_queue_stats(struct vdev *vdev, unsigned qidx, uint64_t *submits,
			    uint64_t *requests);

#endif
