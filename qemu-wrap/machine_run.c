/* The machine's life cycle on the main thread: guest requests (poweroff, reset,
 * debug-exit, panic, KVM failures) and the QMP commands, with QEMU's semantics for
 * -S, -no-shutdown and -no-reboot and QEMU's event names and payloads. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/util/i18n.h"
#include "qemu-wrap/machine.h"

const char *machine_status_name(enum machine_status s)
{
	static const char *const names[] = {
		[MACHINE_PRELAUNCH] = "prelaunch",
		[MACHINE_RUNNING] = "running",
		[MACHINE_PAUSED] = "paused",
		[MACHINE_SHUTDOWN] = "shutdown",
		[MACHINE_INTERNAL_ERROR] = "internal-error",
		[MACHINE_GUEST_PANICKED] = "guest-panicked",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "running";
}

void machine_emit(struct machine *m, const char *event, json_object *data)
{
	for (size_t i = 0; i < m->cfg->n_monitors; i++)
		if (m->qmps[i])
			qmp_emit_event(m->qmps[i], event, data ? json_object_get(data) : NULL);
	json_object_put(data);
}

static json_object *reason(bool guest, const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "guest", json_object_new_boolean(guest));
	json_object_object_add(o, "reason", json_object_new_string(why));
	return o;
}

static void pause_with(struct machine *m, enum machine_status status)
{
	vm_pause(&m->vm);
	machine_pause_virtio(m);	/* in-flight I/O completes before stop returns */
	m->status = status;
}

/* The guest (or QMP quit) ended the VM: stop here under -no-shutdown, else leave. */
static void shut_down(struct machine *m, bool guest, const char *why)
{
	machine_emit(m, "SHUTDOWN", reason(guest, why));
	if (m->cfg->no_shutdown && guest) {
		pause_with(m, MACHINE_SHUTDOWN);
		machine_emit(m, "STOP", NULL);
		return;
	}
	vm_pause(&m->vm);
	m->exit_status = 0;
	evloop_quit(m->loop, 0);
}

int machine_reset(struct machine *m, struct err **errp)
{
	bool was_running = m->status == MACHINE_RUNNING;

	vm_pause(&m->vm);
	machine_pause_virtio(m);	/* no device thread writes RAM while it is cleared */
	/* Power-on state for everything: RAM, devices, vCPUs, then the image again. */
	gmem_clear(&m->vm.mem);
	for (unsigned i = 0; i < MACHINE_MAX_UARTS; i++)
		if (m->uarts[i].uart)
			uart_reset(m->uarts[i].uart);
	i8042_reset(m->kbc);
	rtc_reset(m->rtc);
	acpi_pm_reset(m->pm);
	machine_reset_virtio(m);
	pci_host_reset(m->pci);		/* BARs, command, MSI-X: once the devices are idle */
	if (vm_reset_cpus(&m->vm, errp) < 0 || machine_load(m, errp) < 0) {
		m->status = MACHINE_INTERNAL_ERROR;
		return -1;
	}
	if (was_running || m->status == MACHINE_SHUTDOWN || m->status == MACHINE_GUEST_PANICKED) {
		/* QEMU: a reset from the shutdown state leaves the VM paused until cont. */
		if (m->status == MACHINE_SHUTDOWN) {
			m->status = MACHINE_PAUSED;
			return 0;
		}
		m->status = MACHINE_RUNNING;
		machine_resume_virtio(m);
		vm_resume(&m->vm);
	}
	return 0;
}

static void guest_reset(struct machine *m)
{
	struct err *e = NULL;

	/* QEMU turns a guest reset under -no-reboot into a shutdown: no RESET event. */
	if (m->cfg->no_reboot) {
		shut_down(m, true, "guest-reset");
		return;
	}
	machine_emit(m, "RESET", reason(true, "guest-reset"));
	if (machine_reset(m, &e) < 0) {
		log_err(m->log, VLOG_ERROR, e);
		err_free(e);
	}
}

void machine_handle_requests(struct machine *m, unsigned req)
{
	if (req & VM_REQ_EXIT) {
		/* isa-debug-exit: QEMU leaves at once with (value << 1) | 1. */
		vm_pause(&m->vm);
		m->exit_status = atomic_load(&m->vm.exit_status);
		evloop_quit(m->loop, m->exit_status);
		return;
	}
	if (req & VM_REQ_INTERNAL_ERROR) {
		log_error(m->log, _("KVM could not run the guest: %s"), m->vm.internal_error);
		pause_with(m, MACHINE_INTERNAL_ERROR);
		machine_emit(m, "STOP", NULL);
		return;
	}
	if (req & VM_REQ_PANIC) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "action", json_object_new_string("pause"));
		pause_with(m, MACHINE_GUEST_PANICKED);
		machine_emit(m, "GUEST_PANICKED", d);
		return;
	}
	if (req & VM_REQ_SHUTDOWN)
		shut_down(m, true, "guest-shutdown");
	else if (req & VM_REQ_RESET)
		guest_reset(m);
}

/* ---- QMP commands ---- */

static json_object *q_status(void *vm)
{
	struct machine *m = vm;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(machine_status_name(m->status)));
	json_object_object_add(o, "singlestep", json_object_new_boolean(0));
	json_object_object_add(o, "running", json_object_new_boolean(m->status == MACHINE_RUNNING));
	return o;
}

static json_object *q_name(void *vm)
{
	struct machine *m = vm;
	json_object *o = json_object_new_object();

	if (m->cfg->name)
		json_object_object_add(o, "name", json_object_new_string(m->cfg->name));
	return o;
}

static json_object *q_uuid(void *vm)
{
	struct machine *m = vm;
	const uint8_t *u = m->cfg->uuid;
	json_object *o = json_object_new_object();
	char s[37];

	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	json_object_object_add(o, "UUID", json_object_new_string(s));
	return o;
}

static json_object *q_chardev(void *vm)
{
	struct machine *m = vm;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < m->cfg->n_chardevs; i++)
		if (m->chardevs[i])
			json_object_array_add(a, chardev_query_info(m->chardevs[i]));
	return a;
}

static int q_stop(void *vm, struct err **errp)
{
	struct machine *m = vm;

	if (m->status == MACHINE_RUNNING) {
		pause_with(m, MACHINE_PAUSED);
		machine_emit(m, "STOP", NULL);
	}
	return 0;
}

static int q_cont(void *vm, struct err **errp)
{
	struct machine *m = vm;

	switch (m->status) {
	case MACHINE_RUNNING:
		return 0;
	case MACHINE_SHUTDOWN:
	case MACHINE_INTERNAL_ERROR:
	case MACHINE_GUEST_PANICKED:
		return err_set(errp, ERR_INVALID, "Resetting the Virtual Machine is required");
	default:
		m->status = MACHINE_RUNNING;
		machine_resume_virtio(m);
		vm_resume(&m->vm);
		machine_emit(m, "RESUME", NULL);
		return 0;
	}
}

static int q_powerdown(void *vm, struct err **errp)
{
	struct machine *m = vm;

	machine_emit(m, "POWERDOWN", NULL);
	acpi_pm_press_power_button(m->pm);
	return 0;
}

static int q_reset(void *vm, struct err **errp)
{
	struct machine *m = vm;

	machine_emit(m, "RESET", reason(false, "host-qmp-system-reset"));
	return machine_reset(m, errp);
}

static int q_quit(void *vm, struct err **errp)
{
	struct machine *m = vm;

	/* The reply goes out first; the loop ends after this dispatch round. */
	machine_emit(m, "SHUTDOWN", reason(false, "host-qmp-quit"));
	vm_pause(&m->vm);
	m->exit_status = 0;
	evloop_quit(m->loop, 0);
	return 0;
}

const struct qmp_machine_ops machine_qmp_ops = {
	.query_status = q_status,
	.query_name = q_name,
	.query_uuid = q_uuid,
	.query_chardev = q_chardev,
	.stop = q_stop,
	.cont = q_cont,
	.system_powerdown = q_powerdown,
	.system_reset = q_reset,
	.quit = q_quit,
	.balloon = machine_qmp_balloon,
	.query_balloon = machine_qmp_query_balloon,
	.qom_get = machine_qmp_qom_get,
	.qom_set = machine_qmp_qom_set,
	.query_rx_filter = machine_qmp_query_rx_filter,
	.set_link = machine_qmp_set_link,
};
