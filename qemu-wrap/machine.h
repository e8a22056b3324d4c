/* The machine: builds the PC from the parsed options (KVM, RAM, the legacy devices,
 * the PCI host bridge, chardevs and QMP monitors, the loaded kernel and ACPI tables),
 * and runs its life cycle on the main thread's event loop: -S, stop/cont, guest
 * poweroff and reset, system_powerdown/system_reset/quit, -no-shutdown, -no-reboot,
 * isa-debug-exit, pvpanic. */
#ifndef VIREO_VMM_MACHINE_H
#define VIREO_VMM_MACHINE_H

#include <stdbool.h>

#include "drivers/bus/pci.h"
#include "drivers/legacy/acpi_pm.h"
#include "drivers/legacy/debug_exit.h"
#include "drivers/legacy/i8042.h"
#include "drivers/legacy/pvpanic.h"
#include "drivers/legacy/rtc.h"
#include "drivers/legacy/uart.h"
#include "lib/util/evloop.h"
#include "lib/util/log.h"
#include "qemu-wrap/chardev.h"
#include "qemu-wrap/kvm.h"
#include "qemu-wrap/options.h"
#include "qemu-wrap/qmp.h"

#define MACHINE_MAX_UARTS 4
#define MACHINE_MAX_VIRTIO 32
#define VDEV_QUEUES_MAX_IOEVENT 64

struct virtio_pci;
struct vdev;
struct machine_balloon;
struct machine_net;

/* QMP's RunState names (query-status "status"). */
enum machine_status {
	MACHINE_PRELAUNCH,	/* -S, never run yet */
	MACHINE_RUNNING,
	MACHINE_PAUSED,		/* QMP stop */
	MACHINE_SHUTDOWN,	/* guest powered off under -no-shutdown */
	MACHINE_INTERNAL_ERROR,
	MACHINE_GUEST_PANICKED,
};

struct machine_uart {
	struct uart *uart;
	struct chardev *chr;	/* NULL: output dropped */
	struct machine *m;
};

/* A virtio device and its transport (machine_virtio.c). */
struct machine_virtio {
	struct virtio_pci *vp;
	struct vdev *vdev;
	void (*free_fn)(struct vdev *vdev);
	struct chardev *chr;		/* the console's chardev, or NULL */
	/* Console input the guest has no buffers for yet (flushed on rx_ready). */
	pthread_mutex_t rx_lock;
	uint8_t rx_pending[4096];
	size_t rx_len;
	/* Queue kicks through KVM ioeventfds, served by the main loop. */
	struct machine *m;
	int kick_fd[VDEV_QUEUES_MAX_IOEVENT];
	struct ev_source *kick_src[VDEV_QUEUES_MAX_IOEVENT];
	uint64_t kick_gpa[VDEV_QUEUES_MAX_IOEVENT];
	bool kick_live[VDEV_QUEUES_MAX_IOEVENT];
};

struct machine {
	const struct vmm_config *cfg;
	const struct logger *log;
	struct evloop *loop;
	struct vm vm;
	bool vm_created;
	struct ev_source *request_src;

	struct chardev **chardevs;	/* parallel to cfg->chardevs */
	struct qmp **qmps;		/* parallel to cfg->monitors */
	struct machine_uart uarts[MACHINE_MAX_UARTS];
	unsigned n_uarts;
	struct i8042 *kbc;
	struct rtc *rtc;
	struct acpi_pm *pm;
	struct debug_exit *dbg;
	struct pvpanic *panic;
	struct pci_host *pci;
	struct machine_virtio virtio[MACHINE_MAX_VIRTIO];
	unsigned n_virtio;
	struct machine_balloon *balloon;	/* machine_balloon.c, or NULL */
	struct machine_net *net;		/* machine_net.c, or NULL */

	pthread_t main_thread;		/* the loop's thread (ioeventfd setup) */
	enum machine_status status;
	int exit_status;		/* what main() returns */
	uint64_t rsdp_gpa;
};

/* Build everything; on failure the error names the option or file at fault. */
int machine_init(struct machine *m, const struct vmm_config *cfg, const struct logger *log,
		 struct evloop *loop, struct err **errp);
/* Start the vCPUs (paused under -S). */
int machine_start(struct machine *m, struct err **errp);
void machine_destroy(struct machine *m);

/* Life-cycle operations, for QMP and the request handler (machine_run.c). */
const char *machine_status_name(enum machine_status s);
void machine_emit(struct machine *m, const char *event, json_object *data);
int machine_reset(struct machine *m, struct err **errp);
void machine_handle_requests(struct machine *m, unsigned requests);
extern const struct qmp_machine_ops machine_qmp_ops;

/* The open chardev of -chardev id=ID, or NULL (also for a NULL id). */
struct chardev *machine_find_chardev(struct machine *m, const char *id);

/* virtio devices (machine_virtio.c). */
int machine_add_virtio(struct machine *m, struct err **errp);
bool machine_virtio_driver(const char *driver);
void machine_reset_virtio(struct machine *m);
void machine_free_virtio(struct machine *m);
/* The VM stops / runs again: virtio devices with their own threads (virtio-blk's
 * queue workers) complete what is in flight and park / go on. Idempotent. */
void machine_pause_virtio(struct machine *m);
void machine_resume_virtio(struct machine *m);
/* Put vdev on the PCI bus for -device d (addr=, vectors=) with the machine's
 * ioeventfds; the machine owns it from then on (free_fn frees it, also when this
 * fails). Returns 0 or -1. */
int machine_add_virtio_device(struct machine *m, const struct vmm_device *d, struct vdev *vdev,
			      void (*free_fn)(struct vdev *), struct err **errp);

/* virtio-net (machine_net.c): -device virtio-net-pci with its -netdev; the back-ends
 * (taps, vhost) go with machine_net_free() after machine_free_virtio(); QMP
 * query-rx-filter and set_link. */
int machine_net_add(struct machine *m, const struct vmm_device *d, struct err **errp);
void machine_net_free(struct machine *m);
json_object *machine_qmp_query_rx_filter(void *vm, const char *name, struct err **errp);
int machine_qmp_set_link(void *vm, const char *name, bool up, struct err **errp);

/* The balloon (machine_balloon.c): the device for -device virtio-balloon-pci (its
 * state goes to m->balloon), freed by machine_balloon_free() before the virtio
 * devices; and its QMP commands (struct qmp_machine_ops). */
struct vdev *machine_balloon_new(struct machine *m, const struct vmm_device *d,
				 struct err **errp);
void machine_balloon_free(struct machine *m);
int machine_qmp_balloon(void *vm, int64_t bytes, struct err **errp);
json_object *machine_qmp_query_balloon(void *vm, struct err **errp);
json_object *machine_qmp_qom_get(void *vm, const char *path, const char *property,
				 struct err **errp);
int machine_qmp_qom_set(void *vm, const char *path, const char *property, json_object *value,
			struct err **errp);

/* Load kernel, initrd and ACPI tables into clean RAM and set the boot vCPU. */
int machine_load(struct machine *m, struct err **errp);

#endif
