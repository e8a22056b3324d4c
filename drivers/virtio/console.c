/* virtio-console, single port without MULTIPORT: see console.h. */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/console.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct virtio_console {
	struct vdev vdev;		/* first: container_of by cast */
	struct virtio_console_opts be;
	pthread_mutex_t rx_lock;	/* receiveq, rx_wanted */
	pthread_mutex_t tx_lock;	/* transmitq, the tx callback */
	bool rx_wanted;			/* a receive found no buffer: call rx_ready on a kick */
	struct vq_chain rx_chain, tx_chain;
};

static struct virtio_console *to_con(struct vdev *vdev)
{
	return (struct virtio_console *)vdev;
}

static uint64_t con_features(struct vdev *vdev)
{
	return 1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE;
}

static bool con_set_features(struct vdev *vdev, uint64_t features)
{
	return !(features & (1ULL << VIRTIO_CONSOLE_F_MULTIPORT));
}

static void con_config_read(struct vdev *vdev, uint32_t off, void *buf, uint32_t len)
{
	/* cols/rows are 0 (no F_SIZE), max_nr_ports is 0 (no MULTIPORT), emerg_wr
	 * reads as 0. */
	memset(buf, 0, len);
}

static void con_config_write(struct vdev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	struct virtio_console *c = to_con(vdev);
	uint32_t v = 0;
	uint8_t ch;

	/* §5.3.4: a write of emerg_wr sends its low byte. */
	if (off != VIRTIO_CONSOLE_CFG_EMERG_WR || len != 4 ||
	    !vdev_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE))
		return;
	memcpy(&v, buf, 4);
	ch = (uint8_t)le32toh(v);
	pthread_mutex_lock(&c->tx_lock);
	c->be.tx(c->be.opaque, &ch, 1);
	pthread_mutex_unlock(&c->tx_lock);
}

static void con_broken(struct virtio_console *c, unsigned qidx, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), _("queue %u: %s"), qidx, why);
	vdev_set_needs_reset(&c->vdev, msg);
}

/* Send every readable byte of every pending transmit chain, one ring's worth per
 * round. Returns the chains completed, -1 when the queue broke. */
static int con_tx_round(struct vdev *vdev, unsigned qidx)
{
	struct virtio_console *c = to_con(vdev);
	struct virtqueue *vq = &vdev->vqs[qidx];
	int done = 0;

	while (done < vq->size) {
		struct err *e = NULL;
		int r = vq_pop(vq, &c->tx_chain, &e);

		if (r == 0)
			break;
		if (r < 0) {
			con_broken(c, VIRTIO_CONSOLE_TX_QUEUE, e ? e->message : "?");
			err_free(e);
			return done ? done : -1;
		}
		for (unsigned i = 0; i < c->tx_chain.n_out; i++)
			if (c->tx_chain.iov[i].iov_len)
				c->be.tx(c->be.opaque, c->tx_chain.iov[i].iov_base,
					 c->tx_chain.iov[i].iov_len);
		vq_push(vq, c->tx_chain.head, 0);
		done++;
	}
	return done;
}

static void con_tx_kick(struct virtio_console *c)
{
	pthread_mutex_lock(&c->tx_lock);
	vdev_queue_run(&c->vdev, VIRTIO_CONSOLE_TX_QUEUE, con_tx_round);
	pthread_mutex_unlock(&c->tx_lock);
}

/* The guest added receive buffers: if input was waiting, tell the back-end. */
static void con_rx_kick(struct virtio_console *c)
{
	bool wanted;

	pthread_mutex_lock(&c->rx_lock);
	wanted = c->rx_wanted;
	c->rx_wanted = false;
	pthread_mutex_unlock(&c->rx_lock);
	if (wanted && c->be.rx_ready)
		c->be.rx_ready(c->be.opaque);
}

static void con_queue_notify(struct vdev *vdev, unsigned qidx)
{
	if (qidx == VIRTIO_CONSOLE_TX_QUEUE)
		con_tx_kick(to_con(vdev));
	else if (qidx == VIRTIO_CONSOLE_RX_QUEUE)
		con_rx_kick(to_con(vdev));
}

/* Kicks before DRIVER_OK are dropped by the transport: look at both rings once. */
static void con_driver_ok(struct vdev *vdev)
{
	con_tx_kick(to_con(vdev));
	con_rx_kick(to_con(vdev));
}

size_t virtio_console_receive(struct vdev *vdev, const void *buf, size_t len)
{
	struct virtio_console *c = to_con(vdev);
	struct virtqueue *vq = &vdev->vqs[VIRTIO_CONSOLE_RX_QUEUE];
	size_t done = 0;
	unsigned pushed = 0;

	pthread_mutex_lock(&c->rx_lock);
	/* Bounded by the ring: each pop consumes one available entry. */
	while (done < len && pushed < vq->size) {
		struct err *e = NULL;
		int r = vq_pop(vq, &c->rx_chain, &e);
		size_t n;

		if (r == 0)
			break;
		if (r < 0) {
			con_broken(c, VIRTIO_CONSOLE_RX_QUEUE, e ? e->message : "?");
			err_free(e);
			break;
		}
		n = vq_copy_to_in(&c->rx_chain, 0, (const char *)buf + done, len - done);
		vq_push(vq, c->rx_chain.head, (uint32_t)n);
		pushed++;
		done += n;
	}
	if (done < len)
		c->rx_wanted = true;
	if (pushed)
		vdev_notify_queue(vdev, VIRTIO_CONSOLE_RX_QUEUE);
	pthread_mutex_unlock(&c->rx_lock);
	return done;
}

static void con_reset(struct vdev *vdev)
{
	struct virtio_console *c = to_con(vdev);

	/* The back-end may hold input the old driver never took: ask for it again at
	 * the first receive kick (rx_ready with nothing pending is harmless). */
	pthread_mutex_lock(&c->rx_lock);
	c->rx_wanted = true;
	pthread_mutex_unlock(&c->rx_lock);
	pthread_mutex_lock(&c->tx_lock);	/* waits out a transmit in progress */
	pthread_mutex_unlock(&c->tx_lock);
}

static const struct vdev_ops virtio_console_ops = {
	.name = "virtio-console-pci",	/* not QEMU's: see console.h */
	.device_id = VIRTIO_ID_CONSOLE,
	.features = con_features,
	.set_features = con_set_features,
	.config_read = con_config_read,
	.config_write = con_config_write,
	.queue_notify = con_queue_notify,
	.driver_ok = con_driver_ok,
	.reset = con_reset,
};

struct vdev *virtio_console_new(const struct virtio_console_opts *o, const struct gmem *mem,
				const struct logger *log, struct err **errp)
{
	struct virtio_console *c;

	if (!o->tx)
		return err_set(errp, ERR_INTERNAL, "virtio-console: no tx callback"), NULL;
	c = xzalloc(sizeof(*c));
	vdev_init(&c->vdev, &virtio_console_ops, mem, log, 2, VIRTIO_CONSOLE_QUEUE_SIZE,
		  VIRTIO_CONSOLE_CONFIG_SIZE);
	c->be = *o;
	pthread_mutex_init(&c->rx_lock, NULL);
	pthread_mutex_init(&c->tx_lock, NULL);
	return &c->vdev;
}

void virtio_console_free(struct vdev *vdev)
{
	struct virtio_console *c;

	if (!vdev)
		return;
	c = to_con(vdev);
	pthread_mutex_destroy(&c->rx_lock);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&vdev->lock);
	free(c);
}
