/* Semantic checks after parsing and defaults, with libvirt's rules and clear words.
 * Every message names the element (and its line where the model keeps one). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/i18n.h"
#include "lib/util/str.h"

static bool is_virtio_model(const char *model)
{
	return model && (streq(model, "virtio") || str_starts_with(model, "virtio-"));
}

static bool power_of_two(unsigned v)
{
	return v && !(v & (v - 1));
}

/* libvirt/QEMU bound virtio-net ring sizes to powers of two in [256, 1024]. */
static int check_queue_size(const struct vdom_interface *n, const char *what, unsigned v,
			    struct err **errp)
{
	if (!v)
		return 0;
	if (!power_of_two(v) || v < 256 || v > 1024)
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface><driver %s='%u'>: %s has to be a power of two "
				 "from 256 to 1024"),
			       n->line, what, v, what);
	return 0;
}

static int validate_interface(const struct vdom_interface *n, struct err **errp)
{
	bool virtio = is_virtio_model(n->model);
	const char *model = n->model ? n->model : "(default)";

	if (n->type == VDOM_NET_BRIDGE && (!n->source_bridge || !*n->source_bridge))
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface type='bridge'>: <source bridge> is missing"),
			       n->line);
	if (n->type == VDOM_NET_NETWORK && (!n->source_network || !*n->source_network))
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface type='network'>: <source network> is missing"),
			       n->line);
	if (n->queues > 1 && !virtio)
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface>: queues='%u' needs <model type='virtio'>, not '%s'"),
			       n->line, n->queues, model);
	if (n->backend == VDOM_NET_BACKEND_VHOST && !virtio)
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface>: <driver name='vhost'> needs <model type='virtio'>, not '%s'"),
			       n->line, model);
	if ((n->rx_queue_size || n->tx_queue_size) && !virtio)
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface>: queue sizes need <model type='virtio'>"),
			       n->line);
	if (check_queue_size(n, "rx_queue_size", n->rx_queue_size, errp) < 0 ||
	    check_queue_size(n, "tx_queue_size", n->tx_queue_size, errp) < 0)
		return -1;
	if (n->target_managed == VTRI_OFF && (!n->target_dev || n->type != VDOM_NET_ETHERNET))
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface>: <target managed='no'> needs type='ethernet' and a dev name"),
			       n->line);
	if (n->target_dev && strlen(n->target_dev) >= 16)
		return err_set(errp, ERR_INVALID,
			       _("line %d: <interface>: <target dev='%s'> is longer than 15 characters"),
			       n->line, n->target_dev);
	return 0;
}

static int validate_disks(const struct vdomain *d, struct err **errp)
{
	for (size_t i = 0; i < d->n_disks; i++) {
		const struct vdom_disk *k = &d->disks[i];

		if (vdom_disk_index(k->target_dev) < 0)
			return err_set(errp, ERR_INVALID,
				       _("line %d: <disk>: <target dev='%s'> is not a disk name like vda or hda"),
				       k->line, k->target_dev);
		if (k->addr.type == VDOM_ADDR_NONE && k->bus != VDOM_BUS_VIRTIO &&
		    k->bus != VDOM_BUS_USB && k->bus != VDOM_BUS_NONE)
			return err_set(errp, ERR_INVALID,
				       _("line %d: <disk>: <target dev='%s'> is beyond the last controller"),
				       k->line, k->target_dev);
		if (k->bus == VDOM_BUS_NONE)
			return err_set(errp, ERR_INVALID,
				       _("line %d: <disk>: cannot tell the bus of '%s'; give <target bus>"),
				       k->line, k->target_dev);
		if (!k->source && k->device == VDOM_DISK_DEV_DISK)
			return err_set(errp, ERR_INVALID,
				       _("line %d: <disk device='disk'>: <source> is missing"), k->line);
		if ((k->queues || k->queue_size) && k->bus != VDOM_BUS_VIRTIO)
			return err_set(errp, ERR_INVALID,
				       _("line %d: <disk>: queues and queue_size need bus='virtio'"),
				       k->line);
		for (size_t j = 0; j < i; j++)
			if (streq(d->disks[j].target_dev, k->target_dev))
				return err_set(errp, ERR_INVALID,
					       _("line %d: <disk>: target '%s' is used twice"), k->line,
					       k->target_dev);
	}
	return 0;
}

int vdomain_validate(const struct vdomain *d, struct err **errp)
{
	bool per_device_boot = false;
	size_t i;

	size_t total = d->n_disks + d->n_controllers + d->n_interfaces + d->n_serials +
		       d->n_consoles + d->n_inputs + d->n_audios + d->n_rngs + d->n_panics +
		       (d->memballoon.present ? 1 : 0);

	/* Counted after defaults, so our own output (which holds the implicit devices)
	 * always parses again. */
	if (total > VDOM_DEVICES_MAX)
		return err_set(errp, ERR_LIMIT, _("more than %d devices (%zu)"), VDOM_DEVICES_MAX,
			       total);
	if (d->vcpus_current > d->vcpus)
		return err_set(errp, ERR_INVALID,
			       _("<vcpu current='%u'> is more than the %u vCPUs of the domain"),
			       d->vcpus_current, d->vcpus);
	if (d->cpu.sockets) {
		unsigned cpus = d->cpu.sockets * (d->cpu.dies ? d->cpu.dies : 1) * d->cpu.cores *
				d->cpu.threads;

		if (cpus != d->vcpus)
			return err_set(errp, ERR_INVALID,
				       _("<cpu><topology> gives %u vCPUs but <vcpu> says %u"), cpus,
				       d->vcpus);
	}
	if (d->max_memory_kib && d->max_memory_kib < d->memory_kib)
		return err_set(errp, ERR_INVALID, _("<maxMemory> is smaller than <memory>"));
	if (validate_disks(d, errp) < 0)
		return -1;
	for (i = 0; i < d->n_interfaces; i++) {
		if (validate_interface(&d->interfaces[i], errp) < 0)
			return -1;
		per_device_boot |= d->interfaces[i].boot_order != 0;
	}
	for (i = 0; i < d->n_disks; i++)
		per_device_boot |= d->disks[i].boot_order != 0;
	if (per_device_boot && d->os.nboot)
		return err_set(errp, ERR_INVALID,
			       _("per-device <boot order> cannot be used together with <os><boot dev>"));
	if (d->memballoon.none && (d->memballoon.stats_period >= 0 ||
				   d->memballoon.autodeflate || d->memballoon.free_page_reporting))
		return err_set(errp, ERR_INVALID,
			       _("line %d: <memballoon model='none'> takes no options"),
			       d->memballoon.line);
	if ((d->os.initrd || d->os.cmdline) && !d->os.kernel)
		return err_set(errp, ERR_INVALID, _("<os>: <initrd> and <cmdline> need a <kernel>"));
	return 0;
}
