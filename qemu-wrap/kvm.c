/* KVM VM and vCPU threads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "qemu-wrap/kvm.h"

/* The TSS and identity-map pages KVM needs on Intel hosts, just below the BIOS. */
#define KVM_TSS_GPA 0xfffbd000ULL
#define KVM_IDENTITY_MAP_GPA 0xfffbc000ULL

static int kvm_ioctl_err(struct err **errp, const char *what)
{
	return err_set_errno(errp, ERR_SYSTEM, errno, _("KVM: %s failed"), what);
}

/* CPUID as KVM supports it, with what a guest must see for this topology. */
static int setup_cpuid(struct vm *vm, struct err **errp)
{
	unsigned nent = 128;

	for (;;) {
		vm->cpuid = xzalloc(sizeof(*vm->cpuid) + nent * sizeof(vm->cpuid->entries[0]));
		vm->cpuid->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) == 0)
			return 0;
		free(vm->cpuid);
		vm->cpuid = NULL;
		if (errno != E2BIG || nent > 4096)
			return kvm_ioctl_err(errp, "KVM_GET_SUPPORTED_CPUID");
		nent *= 2;
	}
}

static int set_vcpu_cpuid(struct vm *vm, struct vcpu *c, struct err **errp)
{
	size_t size = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *id = xmemdup(vm->cpuid, size);
	int rc = 0;

	for (unsigned i = 0; i < id->nent; i++) {
		struct kvm_cpuid_entry2 *e = &id->entries[i];

		switch (e->function) {
		case 1:
			/* APIC id and logical processor count; we run under a hypervisor. */
			e->ebx = (e->ebx & 0x0000ffffu) | (c->index << 24) | ((vm->ncpus & 0xff) << 16);
			e->ecx |= 1u << 31;
			if (vm->ncpus > 1)
				e->edx |= 1u << 28;	/* HTT: the count above is valid */
			break;
		case 7:
			/* No IA32_ARCH_CAPABILITIES: PVM hosts do not implement the MSR. */
			if (e->index == 0)
				e->edx &= ~(1u << 29);
			break;
		case 0xb:
			e->edx = c->index;	/* x2APIC id */
			break;
		}
	}
	if (ioctl(c->fd, KVM_SET_CPUID2, id) < 0)
		rc = kvm_ioctl_err(errp, "KVM_SET_CPUID2");
	free(id);
	return rc;
}

static int create_vcpu(struct vm *vm, unsigned index, struct err **errp)
{
	struct vcpu *c = &vm->vcpus[index];

	c->vm = vm;
	c->index = index;
	c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, index);
	if (c->fd < 0)
		return kvm_ioctl_err(errp, "KVM_CREATE_VCPU");
	c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return kvm_ioctl_err(errp, "mmap of kvm_run");
	}
	if (set_vcpu_cpuid(vm, c, errp) < 0)
		return -1;
	if (ioctl(c->fd, KVM_GET_LAPIC, &c->lapic0) < 0 ||
	    ioctl(c->fd, KVM_GET_MP_STATE, &c->mp0) < 0 ||
	    ioctl(c->fd, KVM_GET_SREGS, &c->sregs0) < 0)
		return kvm_ioctl_err(errp, "saving the vCPU's power-on state");
	return 0;
}

static int create_irqchip(struct vm *vm, struct err **errp)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA) < 0)
		return kvm_ioctl_err(errp, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ KVM_IDENTITY_MAP_GPA }) < 0)
		return kvm_ioctl_err(errp, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kvm_ioctl_err(errp, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return kvm_ioctl_err(errp, "KVM_CREATE_PIT2");
	for (unsigned i = 0; i < 3; i++) {
		vm->chip0[i].chip_id = i;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->chip0[i]) < 0)
			return kvm_ioctl_err(errp, "KVM_GET_IRQCHIP");
	}
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->pit0) < 0)
		return kvm_ioctl_err(errp, "KVM_GET_PIT2");
	return 0;
}

static int map_memory(struct vm *vm, struct err **errp)
{
	for (unsigned i = 0; i < vm->mem.nslots; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.slots[i].gpa,
			.memory_size = vm->mem.slots[i].size,
			.userspace_addr = (uintptr_t)vm->mem.slots[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return kvm_ioctl_err(errp, "KVM_SET_USER_MEMORY_REGION");
	}
	return 0;
}

int vm_create(struct vm *vm, unsigned ncpus, uint64_t mem_bytes, struct err **errp)
{
	int version, mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->request_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->pio = iobus_new();
	vm->mmio = iobus_new();
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot open /dev/kvm"));
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return err_set(errp, ERR_UNSUPPORTED, _("KVM API version %d, expected %d"), version,
			       KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kvm_ioctl_err(errp, "KVM_CREATE_VM");
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		return kvm_ioctl_err(errp, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)mmap_size;
	vm->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->request_fd < 0)
		return err_set_errno(errp, NULL, errno, _("cannot create an eventfd"));
	if (gmem_init(&vm->mem, mem_bytes, errp) < 0 || map_memory(vm, errp) < 0 ||
	    create_irqchip(vm, errp) < 0 || setup_cpuid(vm, errp) < 0)
		return -1;
	vm->ncpus = ncpus ? ncpus : 1;
	vm->vcpus = xcalloc(vm->ncpus, sizeof(*vm->vcpus));
	for (unsigned i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i].fd = -1;
		if (create_vcpu(vm, i, errp) < 0)
			return -1;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	vm_stop_threads(vm);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	free(vm->cpuid);
	gmem_destroy(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->request_fd >= 0)
		close(vm->request_fd);
	iobus_free(vm->pio);
	iobus_free(vm->mmio);
	vm->vm_fd = vm->kvm_fd = vm->request_fd = -1;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

int vm_set_boot_state(struct vm *vm, const struct boot_info *bi, struct err **errp)
{
	struct vcpu *c = &vm->vcpus[0];
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = 2, .rip = bi->entry };
	bool lm = bi->kind == BOOT_LINUX64;

	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return kvm_ioctl_err(errp, "KVM_GET_SREGS");
	flat_segment(&s.cs, lm ? BOOT_CS64 : BOOT_CS32, 0xb, lm);
	flat_segment(&s.ds, BOOT_DS, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = BOOT_GDT_GPA;
	s.gdt.limit = 4 * 8 - 1;
	s.cr0 = 0x11;				/* PE, ET */
	s.cr4 = 0;
	s.efer = 0;
	if (lm) {
		s.cr3 = BOOT_PML4_GPA;
		s.cr4 = 0x20;			/* PAE */
		s.cr0 |= 0x80000000u;		/* PG */
		s.efer = 0x500;			/* LME, LMA */
		r.rsi = bi->arg;
	} else {
		r.rbx = bi->arg;		/* PVH: %ebx = start_info */
	}
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return kvm_ioctl_err(errp, "KVM_SET_SREGS");
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return kvm_ioctl_err(errp, "KVM_SET_REGS");
	vm->boot = *bi;
	return 0;
}

/* ---- vCPU threads ---- */

static void kick_handler(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

static void handle_io(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	/* count > 1 for rep ins/outs: one access per element. */
	for (uint32_t i = 0; i < run->io.count && size <= 8; i++, data += size) {
		uint64_t v = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&v, data, size);
			iobus_dispatch(c->vm->pio, run->io.port, size, true, &v);
		} else {
			if (!iobus_dispatch(c->vm->pio, run->io.port, size, false, &v))
				v = ~0ULL;	/* nothing there: the bus floats high */
			memcpy(data, &v, size);
		}
	}
}

static void handle_mmio(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	uint64_t v = 0;
	unsigned len = run->mmio.len;

	if (len == 0 || len > 8)
		return;
	if (run->mmio.is_write) {
		memcpy(&v, run->mmio.data, len);
		iobus_dispatch(c->vm->mmio, run->mmio.phys_addr, len, true, &v);
	} else {
		if (!iobus_dispatch(c->vm->mmio, run->mmio.phys_addr, len, false, &v))
			v = ~0ULL;
		memcpy(run->mmio.data, &v, len);
	}
}

static void internal_error(struct vcpu *c, const char *what, unsigned long long code)
{
	struct vm *vm = c->vm;

	snprintf(vm->internal_error, sizeof(vm->internal_error),
		 "vCPU %u: %s (code 0x%llx)", c->index, what, code);
	vm_post_request(vm, VM_REQ_INTERNAL_ERROR);
}

/* Wait while the VM is paused; false when the thread must end. */
static bool wait_until_running(struct vcpu *c)
{
	struct vm *vm = c->vm;
	bool go;

	pthread_mutex_lock(&vm->lock);
	while (!vm->running && !vm->quit) {
		vm->parked++;
		pthread_cond_broadcast(&vm->cond);
		pthread_cond_wait(&vm->cond, &vm->lock);
		vm->parked--;
	}
	go = !vm->quit;
	c->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->lock);
	return go;
}

static bool handle_exit(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(c);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(c);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: a PC resets. */
		vm_post_request(c->vm, VM_REQ_RESET);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_post_request(c->vm, run->system_event.type == KVM_SYSTEM_EVENT_RESET
					       ? VM_REQ_RESET
					       : VM_REQ_SHUTDOWN);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		internal_error(c, "entry failed",
			       run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(c, run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
					  ? "instruction emulation failed"
					  : "internal error",
			       run->internal.suberror);
		return false;
	default:
		internal_error(c, "unexpected exit", run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	sigset_t kick;
	char name[16];

	snprintf(name, sizeof(name), "CPU %u/KVM", c->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	while (wait_until_running(c)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			internal_error(c, "KVM_RUN failed", (unsigned)errno);
		} else if (handle_exit(c)) {
			continue;
		}
		/* The main thread decides what happens next (it pauses the VM first);
		 * stay out of the guest, counted as parked so vm_pause() can finish. */
		pthread_mutex_lock(&vm->lock);
		vm->parked++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->running && !vm->quit)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->parked--;
		pthread_mutex_unlock(&vm->lock);
	}
	return NULL;
}

int vm_start(struct vm *vm, bool start_paused, struct err **errp)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN must return */
	vm->running = !start_paused;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int rc = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);

		if (rc != 0)
			return err_set_errno(errp, NULL, rc, _("cannot start vCPU thread %u"), i);
		vm->vcpus[i].started = true;
	}
	return 0;
}

/* Make every vCPU leave KVM_RUN now. Called with vm->lock held. */
static void kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		c->run->immediate_exit = 1;
		if (c->started)
			pthread_kill(c->thread, SIGUSR1);
	}
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->running = false;
	kick_all(vm);
	pthread_cond_broadcast(&vm->cond);
	while (vm->parked < vm->ncpus) {
		struct timespec ts;

		/* A vCPU blocked in the kernel (hlt, waiting for SIPI) needs the kick
		 * again if it arrived before it slept. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&vm->cond, &vm->lock, &ts) == ETIMEDOUT)
			kick_all(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->running = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vm_stop_threads(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	vm->running = false;
	if (vm->vcpus)
		kick_all(vm);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		while (c->started) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 0;
			ts.tv_nsec += 50 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(c->thread, NULL, &ts) == 0)
				c->started = false;
			else
				pthread_kill(c->thread, SIGUSR1);
		}
	}
}

/* Turn off KVM's paravirtual features the last boot enabled (kvmclock, steal time,
 * async page faults, PV EOI): otherwise KVM keeps writing into the new boot's memory
 * at addresses the old kernel chose. A write the host does not know is skipped. */
static void reset_pv_msrs(struct vcpu *c)
{
	static const uint32_t pv_msrs[] = {
		0x11, 0x12,				/* MSR_KVM_WALL_CLOCK, SYSTEM_TIME */
		0x4b564d00, 0x4b564d01,			/* the _NEW variants */
		0x4b564d02, 0x4b564d03, 0x4b564d04,	/* ASYNC_PF_EN, STEAL_TIME, PV_EOI_EN */
	};

	for (size_t i = 0; i < sizeof(pv_msrs) / sizeof(pv_msrs[0]); i++) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} one = { .hdr.nmsrs = 1, .e.index = pv_msrs[i], .e.data = 0 };

		ioctl(c->fd, KVM_SET_MSRS, &one);
	}
}

int vm_reset_cpus(struct vm *vm, struct err **errp)
{
	for (unsigned i = 0; i < 3; i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->chip0[i]) < 0)
			return kvm_ioctl_err(errp, "KVM_SET_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->pit0) < 0)
		return kvm_ioctl_err(errp, "KVM_SET_PIT2");
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		/* sregs first: they carry the APIC base (and x2APIC mode) the LAPIC
		 * state must match. */
		if (ioctl(c->fd, KVM_SET_SREGS, &c->sregs0) < 0 ||
		    ioctl(c->fd, KVM_SET_LAPIC, &c->lapic0) < 0 ||
		    ioctl(c->fd, KVM_SET_MP_STATE, &c->mp0) < 0)
			return kvm_ioctl_err(errp, "restoring a vCPU's power-on state");
		reset_pv_msrs(c);
	}
	return 0;
}

void vm_post_request(struct vm *vm, enum vm_request req)
{
	uint64_t one = 1;

	atomic_fetch_or(&vm->requests, (unsigned)req);
	if (write(vm->request_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the main thread is awake anyway */
	}
}

unsigned vm_take_requests(struct vm *vm)
{
	uint64_t n;

	if (read(vm->request_fd, &n, sizeof(n)) < 0) {
		/* nothing pending: fine */
	}
	return atomic_exchange(&vm->requests, 0);
}

int vm_irq_line(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}
