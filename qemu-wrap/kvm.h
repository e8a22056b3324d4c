/* The KVM virtual machine: VM fd, in-kernel irqchip and PIT, guest RAM slots, and one
 * thread per vCPU running KVM_RUN and dispatching port I/O and MMIO to the buses.
 *
 * Run control: vm_pause() stops every vCPU outside KVM_RUN (immediate_exit plus a
 * SIGUSR1 kick) and returns once all are parked; vm_resume() lets them go on. Things
 * a vCPU cannot decide alone (guest shutdown, reset, triple fault, an emulation
 * failure) are posted as requests to the main thread through an eventfd; the main
 * thread handles them in its event loop (machine.c). */
#ifndef VIREO_VMM_KVM_H
#define VIREO_VMM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/bus/iobus.h"
#include "lib/util/err.h"
#include "qemu-wrap/gmem.h"
#include "qemu-wrap/loader.h"

struct irqroute;

/* Requests a vCPU (or a device on a vCPU thread) posts to the main thread. */
enum vm_request {
	VM_REQ_SHUTDOWN = 1 << 0,	/* guest powered off (ACPI S5) */
	VM_REQ_RESET = 1 << 1,		/* guest asked for a reset (i8042, 0xcf9, triple fault) */
	VM_REQ_EXIT = 1 << 2,		/* isa-debug-exit: leave with vm->exit_status */
	VM_REQ_PANIC = 1 << 3,		/* pvpanic */
	VM_REQ_INTERNAL_ERROR = 1 << 4,	/* KVM could not run the guest */
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	/* The state right after creation, restored on reset. */
	struct kvm_lapic_state lapic0;
	struct kvm_mp_state mp0;
	struct kvm_sregs sregs0;
};

struct vm {
	int kvm_fd, vm_fd;
	struct gmem mem;
	struct iobus *pio, *mmio;
	unsigned ncpus;
	struct vcpu *vcpus;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	struct boot_info boot;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running;		/* vCPUs may enter the guest */
	bool quit;		/* vCPU threads end */
	unsigned parked;	/* vCPUs waiting while !running */

	int request_fd;		/* eventfd: the main thread's wake-up */
	atomic_uint requests;	/* enum vm_request bits */
	atomic_int exit_status;	/* for VM_REQ_EXIT */
	char internal_error[160];	/* for VM_REQ_INTERNAL_ERROR */

	/* Snapshots of the in-kernel devices right after creation, for reset. */
	struct kvm_irqchip chip0[3];
	struct kvm_pit_state2 pit0;

	/* GSI routes and irqfds for MSI-X (irqroute.h): made and freed by the machine. */
	struct irqroute *irqroute;
};

/* Open /dev/kvm, create the VM with ncpus vCPUs and mem_bytes of RAM. */
int vm_create(struct vm *vm, unsigned ncpus, uint64_t mem_bytes, struct err **errp);
void vm_destroy(struct vm *vm);

/* Put the boot vCPU at the loaded image's entry (and the others waiting for SIPI). */
int vm_set_boot_state(struct vm *vm, const struct boot_info *bi, struct err **errp);

/* Start the vCPU threads (parked until vm_resume when start_paused). */
int vm_start(struct vm *vm, bool start_paused, struct err **errp);
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Stop and join the vCPU threads. */
void vm_stop_threads(struct vm *vm);

/* Restore vCPUs, LAPICs, PIC/IOAPIC and PIT to their power-on state (vCPUs paused). */
int vm_reset_cpus(struct vm *vm, struct err **errp);

/* Post a request from any thread; the main thread reads them with vm_take_requests. */
void vm_post_request(struct vm *vm, enum vm_request req);
unsigned vm_take_requests(struct vm *vm);

/* Drive a GSI of the in-kernel irqchip (the irq_line set() of every device). */
int vm_irq_line(void *vm, unsigned gsi, int level);

#endif
