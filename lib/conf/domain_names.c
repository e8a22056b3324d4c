/* Enum spellings, MAC/UUID text, and freeing the domain model. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/conf/domain.h"
#include "lib/util/mem.h"

const char *vdom_lifecycle_name(enum vdom_lifecycle_action a)
{
	static const char *const names[] = {
		[VDOM_ACT_DEFAULT] = "destroy",	/* never formatted: defaults are filled in */
		[VDOM_ACT_DESTROY] = "destroy",
		[VDOM_ACT_RESTART] = "restart",
		[VDOM_ACT_PRESERVE] = "preserve",
		[VDOM_ACT_RENAME_RESTART] = "rename-restart",
		[VDOM_ACT_COREDUMP_DESTROY] = "coredump-destroy",
		[VDOM_ACT_COREDUMP_RESTART] = "coredump-restart",
	};

	return (unsigned)a < ARRAY_SIZE(names) ? names[a] : "destroy";
}

const char *vdom_disk_bus_name(enum vdom_disk_bus b)
{
	static const char *const names[] = {
		[VDOM_BUS_NONE] = "", [VDOM_BUS_IDE] = "ide", [VDOM_BUS_SATA] = "sata",
		[VDOM_BUS_SCSI] = "scsi", [VDOM_BUS_VIRTIO] = "virtio", [VDOM_BUS_FDC] = "fdc",
		[VDOM_BUS_USB] = "usb",
	};

	return (unsigned)b < ARRAY_SIZE(names) ? names[b] : "";
}

const char *vdom_net_type_name(enum vdom_net_type t)
{
	static const char *const names[] = {
		[VDOM_NET_ETHERNET] = "ethernet", [VDOM_NET_BRIDGE] = "bridge",
		[VDOM_NET_NETWORK] = "network", [VDOM_NET_USER] = "user",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "";
}

const char *vdom_controller_type_name(enum vdom_controller_type t)
{
	static const char *const names[] = {
		[VDOM_CTRL_IDE] = "ide", [VDOM_CTRL_FDC] = "fdc", [VDOM_CTRL_SCSI] = "scsi",
		[VDOM_CTRL_SATA] = "sata", [VDOM_CTRL_VIRTIO_SERIAL] = "virtio-serial",
		[VDOM_CTRL_USB] = "usb", [VDOM_CTRL_PCI] = "pci",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "";
}

const char *vdom_chr_type_name(enum vdom_chr_type t)
{
	static const char *const names[] = {
		[VDOM_CHR_PTY] = "pty", [VDOM_CHR_FILE] = "file", [VDOM_CHR_UNIX] = "unix",
		[VDOM_CHR_NULL] = "null", [VDOM_CHR_TCP] = "tcp",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "";
}

void vdom_format_mac(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void vdom_format_uuid(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static void free_chr_source(struct vdom_chr_source *s)
{
	free(s->path);
	free(s->host);
	free(s->service);
	free(s->protocol);
	free(s->log_file);
}

static void free_disks(struct vdomain *d)
{
	for (size_t i = 0; i < d->n_disks; i++) {
		struct vdom_disk *k = &d->disks[i];

		free(k->driver_name);
		free(k->driver_type);
		free(k->cache);
		free(k->discard);
		free(k->detect_zeroes);
		free(k->error_policy);
		free(k->io);
		free(k->source);
		free(k->target_dev);
		free(k->serial);
	}
	free(d->disks);
}

static void free_interfaces(struct vdomain *d)
{
	for (size_t i = 0; i < d->n_interfaces; i++) {
		struct vdom_interface *n = &d->interfaces[i];

		free(n->source_bridge);
		free(n->source_network);
		free(n->ip_address);
		free(n->target_dev);
		free(n->model);
		free(n->txmode);
		free(n->link_state);
	}
	free(d->interfaces);
}

void vdomain_free(struct vdomain *d)
{
	size_t i;

	if (!d)
		return;
	free(d->name);
	free(d->title);
	free(d->description);
	free(d->metadata_xml);
	free(d->vcpu_placement);
	free(d->vcpu_cpuset);
	free(d->os.type);
	free(d->os.arch);
	free(d->os.machine);
	free(d->os.kernel);
	free(d->os.initrd);
	free(d->os.cmdline);
	free(d->cpu.mode);
	free(d->cpu.match);
	free(d->cpu.check);
	free(d->cpu.model);
	free(d->cpu.model_fallback);
	free(d->clock.offset);
	for (i = 0; i < d->clock.n_timers; i++) {
		free(d->clock.timers[i].name);
		free(d->clock.timers[i].tickpolicy);
	}
	free(d->clock.timers);
	free(d->emulator);
	free_disks(d);
	for (i = 0; i < d->n_controllers; i++)
		free(d->controllers[i].model);
	free(d->controllers);
	free_interfaces(d);
	for (i = 0; i < d->n_serials; i++) {
		free_chr_source(&d->serials[i].src);
		free(d->serials[i].target_type);
		free(d->serials[i].target_model);
	}
	free(d->serials);
	for (i = 0; i < d->n_consoles; i++)
		free_chr_source(&d->consoles[i].src);
	free(d->consoles);
	free(d->inputs);
	for (i = 0; i < d->n_audios; i++)
		free(d->audios[i].type);
	free(d->audios);
	for (i = 0; i < d->n_rngs; i++)
		free(d->rngs[i].backend_path);
	free(d->rngs);
	for (i = 0; i < d->n_panics; i++)
		free(d->panics[i].model);
	free(d->panics);
	free(d);
}
