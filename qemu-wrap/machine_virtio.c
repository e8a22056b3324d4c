/* The virtio devices of the machine, from -device options, with their back-ends
 * from -drive / -blockdev / -add-fd (disks) and -chardev (the console).
 *
 *   -device virtio-blk-pci,drive=ID[,num-queues=N][,queue-size=M][,serial=S][,addr=0xS]
 *     with -drive ...,aio=io_uring|threads (or the -blockdev file node's aio=): the
 *     back-end of the device's queue workers (default: io_uring where it works)
 *   -device virtio-rng-pci[,rng=ID]
 *   -device virtio-balloon-pci[,...] (machine_balloon.c)
 *   -device virtio-serial-pci[,addr=..] + -device virtconsole,chardev=ID
 *
 * vireo-vmm's console is the simple single-port virtio console (Linux's hvc0), not
 * QEMU's multiport virtio-serial: virtio-serial-pci places it, virtconsole connects
 * its chardev. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drivers/block/raw.h"
#include "drivers/virtio/balloon.h"
#include "drivers/virtio/blk.h"
#include "drivers/virtio/console.h"
#include "drivers/virtio/net.h"
#include "drivers/virtio/pci.h"
#include "drivers/virtio/rng.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"
#include "qemu-wrap/machine.h"

static const char *prop(const struct vmm_device *d, const char *key)
{
	return vmm_props_get(&d->props, key);
}

/* "0x4" or "0x4.0x1" (QEMU's addr=) -> devfn; PCI_DEVFN_AUTO when absent. */
static int parse_addr(const struct vmm_device *d, int *devfn, struct err **errp)
{
	const char *a = prop(d, "addr");
	char *slot_s, *dot;
	unsigned slot, fn = 0;
	struct err *e = NULL;

	*devfn = PCI_DEVFN_AUTO;
	if (!a)
		return 0;
	slot_s = xstrdup(a);
	dot = strchr(slot_s, '.');
	if (dot)
		*dot++ = '\0';
	if (parse_uint(slot_s, 0, 31, &slot, &e) < 0 || (dot && parse_uint(dot, 0, 7, &fn, &e) < 0)) {
		err_set(errp, ERR_INVALID, _("%s: addr=%s: %s"), d->driver, a, e->message);
		err_free(e);
		free(slot_s);
		return -1;
	}
	free(slot_s);
	*devfn = PCI_DEVFN(slot, fn);
	return 0;
}

/* A file name of -drive/-blockdev: a path, or /dev/fdset/N from -add-fd. */
static struct raw_image *open_image(struct machine *m, const char *file, bool ro,
				    struct err **errp)
{
	unsigned set;

	if (str_starts_with(file, "/dev/fdset/") &&
	    parse_uint(file + strlen("/dev/fdset/"), 0, 65535, &set, NULL) == 0) {
		for (size_t i = 0; i < m->cfg->n_add_fds; i++) {
			if (m->cfg->add_fds[i].set != set)
				continue;
			int fd = dup(m->cfg->add_fds[i].fd);

			if (fd < 0)
				break;
			struct raw_image *img = raw_open_fd(fd, file, ro, errp);

			if (!img)
				close(fd);
			return img;
		}
		err_set(errp, ERR_NOT_FOUND, _("%s: no -add-fd with set=%u"), file, set);
		return NULL;
	}
	return raw_open(file, ro, errp);
}

static const struct vmm_blockdev *find_blockdev(const struct vmm_config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->n_blockdevs; i++)
		if (streq(cfg->blockdevs[i].node_name, name))
			return &cfg->blockdevs[i];
	return NULL;
}

static bool prop_on(const struct vmm_props *p, const char *key)
{
	bool b = false;
	const char *v = vmm_props_get(p, key);

	return v && parse_bool(v, &b, NULL) == 0 && b;
}

/* Resolve drive=ID: a -drive id, or a -blockdev raw format node over a file node.
 * *aio gets the aio= property (-drive, or the file node), NULL when absent. */
static struct raw_image *open_drive(struct machine *m, const char *id, bool *ro,
				    const char **aio, struct err **errp)
{
	const struct vmm_blockdev *fmt, *file;

	for (size_t i = 0; id && i < m->cfg->n_drives; i++) {
		const struct vmm_drive *dr = &m->cfg->drives[i];
		const char *format = vmm_props_get(&dr->props, "format");
		const char *path = vmm_props_get(&dr->props, "file");

		if (!streq(dr->id, id))
			continue;
		if (format && strcmp(format, "raw") != 0) {
			err_set(errp, ERR_UNSUPPORTED, _("-drive %s: format=%s (vireo-vmm reads raw images)"),
				id, format);
			return NULL;
		}
		if (!path) {
			err_set(errp, ERR_INVALID, _("-drive %s: no file="), id);
			return NULL;
		}
		*ro = prop_on(&dr->props, "readonly");
		*aio = vmm_props_get(&dr->props, "aio");
		return open_image(m, path, *ro, errp);
	}
	fmt = find_blockdev(m->cfg, id);
	if (!fmt) {
		err_set(errp, ERR_NOT_FOUND, _("virtio-blk-pci: no drive or node '%s'"), id ? id : "");
		return NULL;
	}
	if (!streq(fmt->driver, "raw")) {
		/* A protocol node used directly: it is the file itself. */
		file = fmt;
	} else {
		file = find_blockdev(m->cfg, vmm_props_get(&fmt->props, "file"));
	}
	if (!file || !vmm_props_get(&file->props, "filename")) {
		err_set(errp, ERR_INVALID, _("-blockdev %s: no file node with a filename"), id);
		return NULL;
	}
	*ro = prop_on(&fmt->props, "read-only");
	*aio = vmm_props_get(&file->props, "aio");
	return open_image(m, vmm_props_get(&file->props, "filename"), *ro, errp);
}

/* ---- kicks through ioeventfd: a queue notify does not stop the vCPU ---- */

static void on_kick(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		    void *data)
{
	struct machine_virtio *mv = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	for (unsigned q = 0; q < VDEV_QUEUES_MAX_IOEVENT; q++)
		if (mv->kick_fd[q] == fd)
			virtio_pci_queue_kick(mv->vp, q);
}

static int kvm_ioeventfd(struct machine *m, int fd, uint64_t gpa, unsigned len, bool assign)
{
	struct kvm_ioeventfd io = { .addr = gpa, .len = len, .fd = fd,
				    .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN };

	return ioctl(m->vm.vm_fd, KVM_IOEVENTFD, &io);
}

/* The eventfd a device's own thread serves for queue qidx (virtio-blk's queue
 * workers), or -1: the main loop serves the queue's kicks. */
static int device_kick_fd(struct machine_virtio *mv, unsigned qidx)
{
	if (mv->free_fn == virtio_blk_free)
		return virtio_blk_kick_fd(mv->vdev, qidx);
	if (mv->free_fn == virtio_net_free)
		return virtio_net_kick_fd(mv->vdev, qidx);
	return -1;
}

/* An eventfd for queue qidx's kicks: the device's own, or one served by the main
 * loop (made on the main thread only). Returns 0 or -1 (keep the MMIO path). */
static int kick_fd_open(struct machine_virtio *mv, unsigned qidx)
{
	struct machine *m = mv->m;
	int own = device_kick_fd(mv, qidx);

	if (own >= 0) {
		mv->kick_fd[qidx] = own;	/* the device's: no loop source, not closed here */
		return 0;
	}
	if (!pthread_equal(pthread_self(), m->main_thread))
		return -1;
	mv->kick_fd[qidx] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mv->kick_fd[qidx] < 0)
		return -1;
	mv->kick_src[qidx] = evloop_add_fd(m->loop, mv->kick_fd[qidx], EPOLLIN, on_kick, mv, NULL);
	if (!mv->kick_src[qidx]) {
		close(mv->kick_fd[qidx]);
		mv->kick_fd[qidx] = -1;
		return -1;
	}
	return 0;
}

/* The transport's hook: (de)assign queue qidx's notify address. The eventfd (and its
 * loop source) is made once, at device creation on the main thread; later calls (a
 * guest moving the BAR, from a vCPU thread) only toggle KVM's registration. */
static int ioeventfd_hook(void *ctx, uint64_t gpa, unsigned len, unsigned qidx, bool assign)
{
	struct machine_virtio *mv = ctx;
	struct machine *m = mv->m;

	if (qidx >= VDEV_QUEUES_MAX_IOEVENT)
		return -1;
	if (mv->kick_live[qidx]) {
		kvm_ioeventfd(m, mv->kick_fd[qidx], mv->kick_gpa[qidx], len, false);
		mv->kick_live[qidx] = false;
	}
	if (!assign)
		return 0;
	if (mv->kick_fd[qidx] < 0 && kick_fd_open(mv, qidx) < 0)
		return -1;
	if (kvm_ioeventfd(m, mv->kick_fd[qidx], gpa, len, true) < 0)
		return -1;
	mv->kick_gpa[qidx] = gpa;
	mv->kick_live[qidx] = true;
	return 0;
}

static int add_virtio(struct machine *m, const struct vmm_device *d, struct vdev *vdev,
		      void (*free_fn)(struct vdev *), struct err **errp)
{
	struct virtio_pci_opts o;
	struct machine_virtio *mv;
	uint64_t vectors;
	int devfn;

	if (m->n_virtio >= MACHINE_MAX_VIRTIO) {
		free_fn(vdev);
		return err_set(errp, ERR_LIMIT, _("more than %d virtio devices"), MACHINE_MAX_VIRTIO);
	}
	virtio_pci_opts_init(&o);
	mv = &m->virtio[m->n_virtio];
	mv->m = m;
	for (unsigned q = 0; q < VDEV_QUEUES_MAX_IOEVENT; q++)
		mv->kick_fd[q] = -1;
	o.ioeventfd = ioeventfd_hook;
	o.ctx = mv;
	if (parse_addr(d, &devfn, errp) < 0 ||
	    (prop(d, "vectors") &&
	     (vmm_props_uint(&d->props, d->driver, "vectors", 0, 2048, 0, &vectors, errp) < 0 ||
	      (o.vectors = (int)vectors, false)))) {
		free_fn(vdev);
		return -1;
	}
	mv->vdev = vdev;
	mv->free_fn = free_fn;
	mv->vp = virtio_pci_new(m->pci, devfn, vdev, &o, errp);
	if (!mv->vp) {
		free_fn(vdev);
		mv->vdev = NULL;
		return -1;
	}
	m->n_virtio++;
	return 0;
}

int machine_add_virtio_device(struct machine *m, const struct vmm_device *d, struct vdev *vdev,
			      void (*free_fn)(struct vdev *), struct err **errp)
{
	return add_virtio(m, d, vdev, free_fn, errp);
}

static int add_blk(struct machine *m, const struct vmm_device *d, struct err **errp)
{
	struct virtio_blk_opts o = { 0 };
	uint64_t nq, qs;
	const char *serial = prop(d, "serial"), *aio = NULL;
	struct vdev *vdev;
	bool ro = false;

	if (vmm_props_uint(&d->props, d->driver, "num-queues", 1, 64, 1, &nq, errp) < 0 ||
	    vmm_props_uint(&d->props, d->driver, "queue-size", 4, 1024, 256, &qs, errp) < 0)
		return -1;
	o.img = open_drive(m, prop(d, "drive"), &ro, &aio, errp);
	if (!o.img)
		return err_wrap(errp, ERR_INVALID, _("-device %s"), d->driver);
	if (aio && aio_kind_parse(aio, &o.aio, errp) < 0) {
		raw_close(o.img);
		return err_wrap(errp, ERR_INVALID, _("-device %s"), d->driver);
	}
	o.readonly = ro;
	o.num_queues = (unsigned)nq;
	o.queue_size = (unsigned)qs;
	if (serial)
		snprintf(o.serial, sizeof(o.serial), "%s", serial);
	vdev = virtio_blk_new(&o, &m->vm.mem, m->log, errp);
	if (!vdev) {
		raw_close(o.img);
		return -1;
	}
	return add_virtio(m, d, vdev, virtio_blk_free, errp);
}

/* ---- the console and its chardev ---- */

static void console_tx(void *opaque, const void *buf, size_t len)
{
	struct machine_virtio *mv = opaque;

	if (mv->chr)
		chardev_write(mv->chr, buf, len);
}

/* Hand pending input to the guest; what does not fit waits for rx_ready. */
static void console_flush_rx(struct machine_virtio *mv)
{
	size_t n;

	pthread_mutex_lock(&mv->rx_lock);
	n = mv->rx_len ? virtio_console_receive(mv->vdev, mv->rx_pending, mv->rx_len) : 0;
	memmove(mv->rx_pending, mv->rx_pending + n, mv->rx_len - n);
	mv->rx_len -= n;
	pthread_mutex_unlock(&mv->rx_lock);
	if (n && mv->chr)
		chardev_accept_input(mv->chr);
}

/* The guest posted receive buffers (vCPU thread). */
static void console_rx_ready(void *opaque)
{
	console_flush_rx(opaque);
}

/* Input from the chardev (main thread): queue, then try to deliver. */
static void chr_to_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine_virtio *mv = opaque;

	pthread_mutex_lock(&mv->rx_lock);
	if (len > sizeof(mv->rx_pending) - mv->rx_len)
		len = sizeof(mv->rx_pending) - mv->rx_len;	/* can_receive bounds this */
	memcpy(mv->rx_pending + mv->rx_len, buf, len);
	mv->rx_len += len;
	pthread_mutex_unlock(&mv->rx_lock);
	console_flush_rx(mv);
}

/* Stop reading the chardev while the pending buffer is full. */
static size_t console_can_receive(void *opaque)
{
	struct machine_virtio *mv = opaque;
	size_t room;

	pthread_mutex_lock(&mv->rx_lock);
	room = sizeof(mv->rx_pending) - mv->rx_len;
	pthread_mutex_unlock(&mv->rx_lock);
	return room;
}

static int add_console(struct machine *m, const struct vmm_device *serial_dev,
		       struct err **errp)
{
	static const struct chardev_frontend fe = { .receive = chr_to_console,
						    .can_receive = console_can_receive };
	const char *chr_id = NULL;
	struct machine_virtio *mv;
	struct vdev *vdev;

	for (size_t i = 0; i < m->cfg->n_devices; i++)
		if (streq(m->cfg->devices[i].driver, "virtconsole")) {
			chr_id = vmm_props_get(&m->cfg->devices[i].props, "chardev");
			break;
		}
	if (m->n_virtio >= MACHINE_MAX_VIRTIO)
		return err_set(errp, ERR_LIMIT, _("more than %d virtio devices"), MACHINE_MAX_VIRTIO);
	mv = &m->virtio[m->n_virtio];
	pthread_mutex_init(&mv->rx_lock, NULL);
	mv->chr = machine_find_chardev(m, chr_id);
	if (chr_id && !mv->chr)
		return err_set(errp, ERR_INVALID, _("virtconsole: no chardev '%s'"), chr_id);
	vdev = virtio_console_new(&(struct virtio_console_opts){ .opaque = mv, .tx = console_tx,
							       .rx_ready = console_rx_ready },
				  &m->vm.mem, m->log, errp);
	if (!vdev || add_virtio(m, serial_dev, vdev, virtio_console_free, errp) < 0)
		return -1;
	if (mv->chr && chardev_attach(mv->chr, &fe, mv, errp) < 0)
		return -1;
	return 0;
}

int machine_add_virtio(struct machine *m, struct err **errp)
{
	for (size_t i = 0; i < m->cfg->n_devices; i++) {
		const struct vmm_device *d = &m->cfg->devices[i];
		struct vdev *vdev;

		if (streq(d->driver, "virtio-blk-pci")) {
			if (add_blk(m, d, errp) < 0)
				return -1;
		} else if (streq(d->driver, "virtio-rng-pci")) {
			vdev = virtio_rng_new(&m->vm.mem, m->log, errp);
			if (!vdev || add_virtio(m, d, vdev, virtio_rng_free, errp) < 0)
				return -1;
		} else if (streq(d->driver, "virtio-balloon-pci")) {
			vdev = machine_balloon_new(m, d, errp);
			if (!vdev || add_virtio(m, d, vdev, virtio_balloon_free, errp) < 0)
				return -1;
		} else if (streq(d->driver, "virtio-serial-pci")) {
			if (add_console(m, d, errp) < 0)
				return -1;
		} else if (streq(d->driver, "virtio-net-pci")) {
			if (machine_net_add(m, d, errp) < 0)
				return -1;
		}
	}
	return 0;
}

bool machine_virtio_driver(const char *driver)
{
	static const char *const names[] = { "virtio-blk-pci", "virtio-rng-pci",
					     "virtio-serial-pci", "virtconsole",
					     "virtio-balloon-pci", "virtio-net-pci", NULL };

	for (size_t i = 0; names[i]; i++)
		if (streq(driver, names[i]))
			return true;
	return false;
}

void machine_reset_virtio(struct machine *m)
{
	for (unsigned i = 0; i < m->n_virtio; i++)
		virtio_pci_reset(m->virtio[i].vp);
}

/* QMP stop, system_reset, teardown: the devices with their own threads finish what
 * is in flight and stop touching guest memory and the transport. */
void machine_pause_virtio(struct machine *m)
{
	for (unsigned i = 0; i < m->n_virtio; i++)
		if (m->virtio[i].free_fn == virtio_blk_free)
			virtio_blk_pause(m->virtio[i].vdev);
		else if (m->virtio[i].free_fn == virtio_net_free)
			virtio_net_pause(m->virtio[i].vdev);
}

void machine_resume_virtio(struct machine *m)
{
	for (unsigned i = 0; i < m->n_virtio; i++)
		if (m->virtio[i].free_fn == virtio_blk_free)
			virtio_blk_resume(m->virtio[i].vdev);
		else if (m->virtio[i].free_fn == virtio_net_free)
			virtio_net_resume(m->virtio[i].vdev);
}

void machine_free_virtio(struct machine *m)
{
	machine_pause_virtio(m);
	for (unsigned i = 0; i < m->n_virtio; i++) {
		struct machine_virtio *mv = &m->virtio[i];

		if (mv->chr)
			chardev_detach(mv->chr);
		virtio_pci_free(mv->vp);
		for (unsigned q = 0; q < VDEV_QUEUES_MAX_IOEVENT; q++) {
			if (mv->kick_fd[q] < 0)
				continue;
			if (mv->kick_live[q])
				kvm_ioeventfd(m, mv->kick_fd[q], mv->kick_gpa[q], 2, false);
			if (!mv->kick_src[q])
				continue;	/* the device's own eventfd */
			evloop_remove(mv->kick_src[q]);
			close(mv->kick_fd[q]);
		}
		if (mv->vdev)
			mv->free_fn(mv->vdev);
	}
	m->n_virtio = 0;
}
