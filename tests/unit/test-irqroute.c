/* Unit tests: qemu-wrap/irqroute (the KVM GSI routing table and irqfds), against a
 * fake VM ioctl that records what KVM would have been told; one test uses the real
 * /dev/kvm when there is one. */
#include "tests/unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "qemu-wrap/irqroute.h"

#define MAX_ROUTES	256
#define MAX_IRQFDS	8

struct fake_kvm {
	int routing_gsis;		/* KVM_CAP_IRQ_ROUTING's answer */
	int has_irqfd;			/* KVM_CAP_IRQFD's answer */
	int routing_errno;		/* KVM_SET_GSI_ROUTING fails with it */
	int irqfd_errno;		/* KVM_IRQFD (assign) fails with it */
	unsigned commits;
	unsigned nr;			/* the last table committed */
	struct kvm_irq_routing_entry table[MAX_ROUTES];
	unsigned assigns, deassigns;
	struct kvm_irqfd last_irqfd;
};

static int fake_ioctl(void *ctx, unsigned long request, void *arg)
{
	struct fake_kvm *k = ctx;

	if (request == KVM_CHECK_EXTENSION) {
		long cap = (long)arg;

		return cap == KVM_CAP_IRQ_ROUTING ? k->routing_gsis :
		       cap == KVM_CAP_IRQFD	  ? k->has_irqfd : 0;
	}
	if (request == KVM_SET_GSI_ROUTING) {
		const struct kvm_irq_routing *t = arg;

		if (k->routing_errno) {
			errno = k->routing_errno;
			return -1;
		}
		assert_true(t->nr <= MAX_ROUTES);
		assert_int_equal(t->flags, 0);
		k->commits++;
		k->nr = t->nr;
		memcpy(k->table, t->entries, t->nr * sizeof(t->entries[0]));
		return 0;
	}
	if (request == KVM_IRQFD) {
		const struct kvm_irqfd *a = arg;
		bool deassign = a->flags & KVM_IRQFD_FLAG_DEASSIGN;

		if (!deassign && k->irqfd_errno) {
			errno = k->irqfd_errno;
			return -1;
		}
		k->last_irqfd = *a;
		if (deassign)
			k->deassigns++;
		else
			k->assigns++;
		return 0;
	}
	fail_msg("unexpected ioctl 0x%lx", request);
	return -1;
}

static const struct irqroute_ops fake_ops = { .vm_ioctl = fake_ioctl };

struct rig {
	struct fake_kvm kvm;
	struct logger log;
	FILE *logfile;
	struct irqroute *r;
};

static int rig_setup(void **state)
{
	struct rig *g = calloc(1, sizeof(*g));

	g->kvm.routing_gsis = 4096;
	g->kvm.has_irqfd = 1;
	g->logfile = tmpfile();
	assert_non_null(g->logfile);
	g->log = (struct logger){ .level = VLOG_DEBUG, .target = VLOG_TO_STDERR,
				  .fd = fileno(g->logfile), .ident = "test-irqroute" };
	*state = g;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *g = *state;

	irqroute_free(g->r);
	fclose(g->logfile);
	free(g);
	return 0;
}

static struct irqroute *rig_new(struct rig *g)
{
	g->r = irqroute_new(&fake_ops, &g->kvm, &g->log);
	return g->r;
}

/* The log's lines containing needle. */
static unsigned log_lines_with(struct rig *g, const char *needle)
{
	char line[512];
	unsigned n = 0;

	rewind(g->logfile);
	while (fgets(line, sizeof(line), g->logfile))
		n += strstr(line, needle) != NULL;
	return n;
}

/* The committed entry for gsi of type/chip, or NULL. */
static const struct kvm_irq_routing_entry *find_route(const struct fake_kvm *k, unsigned gsi,
						      uint32_t type, uint32_t chip)
{
	for (unsigned i = 0; i < k->nr; i++) {
		const struct kvm_irq_routing_entry *e = &k->table[i];

		if (e->gsi == gsi && e->type == type &&
		    (type != KVM_IRQ_ROUTING_IRQCHIP || e->u.irqchip.irqchip == chip))
			return e;
	}
	return NULL;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* ---- the table ---- */

static void commit_repeats_kvms_default_irqchip_routes(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	struct err *e = NULL;

	assert_int_equal(irqroute_count(r), IRQROUTE_DEFAULT_ROUTES);
	assert_int_equal(irqroute_commit(r, &e), 0);
	assert_int_equal(g->kvm.commits, 1);
	assert_int_equal(g->kvm.nr, 40);
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		const struct kvm_irq_routing_entry *io =
			find_route(&g->kvm, gsi, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
		uint32_t pic = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		const struct kvm_irq_routing_entry *p =
			find_route(&g->kvm, gsi, KVM_IRQ_ROUTING_IRQCHIP, pic);

		assert_non_null(io);
		assert_int_equal(io->u.irqchip.pin, gsi);
		if (gsi < 16) {
			assert_non_null(p);
			assert_int_equal(p->u.irqchip.pin, gsi % 8);
			assert_true(p == io + 1);	/* KVM's order: IOAPIC, then PIC */
		} else {
			assert_null(find_route(&g->kvm, gsi, KVM_IRQ_ROUTING_IRQCHIP,
					       KVM_IRQCHIP_PIC_MASTER));
			assert_null(find_route(&g->kvm, gsi, KVM_IRQ_ROUTING_IRQCHIP,
					       KVM_IRQCHIP_PIC_SLAVE));
		}
	}
	for (unsigned i = 0; i < g->kvm.nr; i++)
		assert_true(g->kvm.table[i].gsi < 24);
}

static void msi_routes_come_from_gsi_24_up_and_are_reused(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	const struct kvm_irq_routing_entry *m;
	struct err *e = NULL;

	assert_int_equal(irqroute_msi_capacity(r), 4096 - 24);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 0x4021, &e), 24);
	assert_int_equal(irqroute_msi_alloc(r, 0x1fee01000ULL, 0x4022, &e), 25);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee02000, 0x4023, &e), 26);
	assert_int_equal(irqroute_count(r), 43);
	irqroute_msi_free(r, 25);
	irqroute_msi_free(r, 25);			/* twice: ignored */
	irqroute_msi_free(r, 7);			/* an irqchip GSI: ignored */
	assert_int_equal(irqroute_count(r), 42);
	assert_int_equal(g->kvm.commits, 0);		/* nothing sent before a commit */
	assert_int_equal(irqroute_commit(r, &e), 0);
	assert_int_equal(g->kvm.nr, 42);
	assert_null(find_route(&g->kvm, 25, KVM_IRQ_ROUTING_MSI, 0));
	m = find_route(&g->kvm, 26, KVM_IRQ_ROUTING_MSI, 0);
	assert_non_null(m);
	assert_int_equal(m->u.msi.address_lo, 0xfee02000);
	assert_int_equal(m->u.msi.address_hi, 0);
	assert_int_equal(m->u.msi.data, 0x4023);
	assert_int_equal(irqroute_msi_alloc(r, 0x1fee01000ULL, 0x4024, &e), 25);
	assert_int_equal(irqroute_commit(r, &e), 0);
	m = find_route(&g->kvm, 25, KVM_IRQ_ROUTING_MSI, 0);
	assert_non_null(m);
	assert_int_equal(m->u.msi.address_lo, 0xfee01000);
	assert_int_equal(m->u.msi.address_hi, 1);
	assert_int_equal(m->u.msi.data, 0x4024);
	assert_non_null(find_route(&g->kvm, 0, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC));
}

static void update_moves_one_route_and_rejects_unknown_gsis(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	const struct kvm_irq_routing_entry *m;
	struct err *e = NULL;

	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 0x4021, &e), 24);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 0x4022, &e), 25);
	assert_int_equal(irqroute_msi_update(r, 24, 0xfee03000, 0x4031, &e), 0);
	assert_int_equal(irqroute_commit(r, &e), 0);
	m = find_route(&g->kvm, 24, KVM_IRQ_ROUTING_MSI, 0);
	assert_int_equal(m->u.msi.address_lo, 0xfee03000);
	assert_int_equal(m->u.msi.data, 0x4031);
	m = find_route(&g->kvm, 25, KVM_IRQ_ROUTING_MSI, 0);
	assert_int_equal(m->u.msi.data, 0x4022);
	assert_int_equal(irqroute_msi_update(r, 26, 0xfee00000, 0, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "GSI 26");
	assert_int_equal(irqroute_msi_update(r, 10, 0xfee00000, 0, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "GSI 10");
	assert_int_equal(irqroute_msi_update(r, 100000, 0xfee00000, 0, &e), -1);
	assert_err(e, ERR_NOT_FOUND, "not an MSI route");
}

static void running_out_of_gsis_is_an_error(void **state)
{
	struct rig *g = *state;
	struct irqroute *r;
	struct err *e = NULL;

	g->kvm.routing_gsis = 26;		/* room for two MSI routes */
	r = rig_new(g);
	assert_int_equal(irqroute_msi_capacity(r), 2);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 1, &e), 24);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 2, &e), 25);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 3, &e), -1);
	assert_err(e, ERR_LIMIT, "all 2");
	irqroute_msi_free(r, 24);
	assert_int_equal(irqroute_msi_alloc(r, 0xfee00000, 3, &e), 24);
}

static void a_refused_commit_reports_the_ioctl(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	struct err *e = NULL;

	g->kvm.routing_errno = EINVAL;
	assert_int_equal(irqroute_commit(r, &e), -1);
	assert_err(e, ERR_SYSTEM, "KVM_SET_GSI_ROUTING");
}

/* ---- irqfds ---- */

static void irqfd_bind_routes_assigns_and_unbind_undoes_it(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	const struct kvm_irq_routing_entry *m;
	uint64_t one = 1, got = 0;
	unsigned gsi = 0;
	int fd;

	fd = irqroute_irqfd_bind(r, 0xfee00000, 0x4041, &gsi);
	assert_true(fd >= 0);
	assert_int_equal(gsi, 24);
	/* The route is committed before the irqfd is assigned to it. */
	assert_int_equal(g->kvm.commits, 1);
	m = find_route(&g->kvm, 24, KVM_IRQ_ROUTING_MSI, 0);
	assert_non_null(m);
	assert_int_equal(m->u.msi.data, 0x4041);
	assert_int_equal(g->kvm.assigns, 1);
	assert_int_equal(g->kvm.last_irqfd.fd, fd);
	assert_int_equal(g->kvm.last_irqfd.gsi, 24);
	assert_int_equal(g->kvm.last_irqfd.flags, 0);
	assert_int_equal(log_lines_with(g, "GSI 24"), 1);	/* the debug line */
	/* It is an eventfd: what a device writes, KVM would read. */
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(read(fd, &got, sizeof(got)), sizeof(got));
	assert_int_equal(got, 1);
	assert_int_equal(irqroute_irqfd_update(r, 24, 0xfee01000, 0x4042), 0);
	assert_int_equal(g->kvm.commits, 2);
	m = find_route(&g->kvm, 24, KVM_IRQ_ROUTING_MSI, 0);
	assert_int_equal(m->u.msi.address_lo, 0xfee01000);
	assert_int_equal(m->u.msi.data, 0x4042);
	irqroute_irqfd_unbind(r, 24, fd);
	assert_int_equal(g->kvm.deassigns, 1);
	assert_int_equal(g->kvm.last_irqfd.gsi, 24);
	assert_int_equal(g->kvm.last_irqfd.flags, KVM_IRQFD_FLAG_DEASSIGN);
	assert_false(fd_is_open(fd));
	assert_int_equal(irqroute_count(r), IRQROUTE_DEFAULT_ROUTES);
	fd = irqroute_irqfd_bind(r, 0xfee00000, 0x4043, &gsi);
	assert_true(fd >= 0);
	assert_int_equal(gsi, 24);			/* the freed GSI again */
	irqroute_irqfd_unbind(r, gsi, fd);
}

static void without_kvm_irqfds_bind_fails_and_says_so_once(void **state)
{
	struct rig *g = *state;
	struct irqroute *r;
	unsigned gsi = 0;

	g->kvm.has_irqfd = 0;
	r = rig_new(g);
	assert_int_equal(irqroute_msi_capacity(r), 0);
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 1, &gsi), -1);
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 2, &gsi), -1);
	assert_int_equal(g->kvm.commits + g->kvm.assigns, 0);
	assert_int_equal(log_lines_with(g, "KVM_SIGNAL_MSI"), 1);
}

static void a_refused_routing_table_disables_irqfds_for_good(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	unsigned gsi = 0;

	g->kvm.routing_errno = EINVAL;
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 1, &gsi), -1);
	assert_int_equal(irqroute_count(r), IRQROUTE_DEFAULT_ROUTES);	/* GSI given back */
	assert_int_equal(log_lines_with(g, "KVM_SET_GSI_ROUTING"), 1);
	g->kvm.routing_errno = 0;
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 2, &gsi), -1);
	assert_int_equal(g->kvm.commits + g->kvm.assigns, 0);	/* no second try */
	assert_int_equal(log_lines_with(g, "KVM_SIGNAL_MSI"), 1);
}

/* The lowest free file descriptor (what the next open would get). */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void a_refused_irqfd_closes_the_eventfd_and_frees_the_gsi(void **state)
{
	struct rig *g = *state;
	struct irqroute *r = rig_new(g);
	unsigned gsi = 0;
	int before = lowest_free_fd();

	g->kvm.irqfd_errno = ENOSYS;
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 1, &gsi), -1);
	assert_int_equal(lowest_free_fd(), before);		/* no eventfd left open */
	assert_int_equal(irqroute_count(r), IRQROUTE_DEFAULT_ROUTES);
	assert_int_equal(log_lines_with(g, "KVM_IRQFD"), 1);
}

static void exhausted_gsis_fall_back_and_say_so_once(void **state)
{
	struct rig *g = *state;
	struct irqroute *r;
	unsigned gsi = 0;
	int fd;

	g->kvm.routing_gsis = 25;			/* one MSI route */
	r = rig_new(g);
	fd = irqroute_irqfd_bind(r, 0xfee00000, 1, &gsi);
	assert_true(fd >= 0);
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 2, &gsi), -1);
	assert_int_equal(irqroute_irqfd_bind(r, 0xfee00000, 3, &gsi), -1);
	assert_int_equal(log_lines_with(g, "all 1 KVM GSIs"), 1);
	irqroute_irqfd_unbind(r, 24, fd);
	fd = irqroute_irqfd_bind(r, 0xfee00000, 4, &gsi);	/* room again */
	assert_true(fd >= 0);
	irqroute_irqfd_unbind(r, gsi, fd);
}

/* ---- the real thing ---- */

static int real_ioctl(void *ctx, unsigned long request, void *arg)
{
	return ioctl(*(int *)ctx, request, arg);
}

static void real_kvm_accepts_the_table_and_the_irqfd(void **state)
{
	static const struct irqroute_ops ops = { .vm_ioctl = real_ioctl };
	struct rig *g = *state;
	struct irqroute *r;
	struct err *e = NULL;
	unsigned gsi = 0;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, fd;

	if (kvm < 0) {
		print_message("# SKIP: no /dev/kvm (%s)\n", strerror(errno));
		skip();
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	assert_true(vm >= 0);
	assert_int_equal(ioctl(vm, KVM_CREATE_IRQCHIP, 0), 0);
	r = irqroute_new(&ops, &vm, &g->log);
	assert_true(irqroute_msi_capacity(r) > 0);
	assert_int_equal(irqroute_commit(r, &e), 0);		/* the defaults alone */
	fd = irqroute_irqfd_bind(r, 0xfee00000, 0x4030, &gsi);
	assert_true(fd >= 0);
	assert_int_equal(irqroute_irqfd_update(r, gsi, 0xfee00000, 0x4031), 0);
	/* KVM refuses a second assign of the same eventfd: it really is bound. */
	assert_int_equal(ioctl(vm, KVM_IRQFD, &(struct kvm_irqfd){ .fd = (uint32_t)fd,
								  .gsi = gsi }), -1);
	assert_int_equal(errno, EBUSY);
	irqroute_irqfd_unbind(r, gsi, fd);
	irqroute_free(r);
	close(vm);
	close(kvm);
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(commit_repeats_kvms_default_irqchip_routes),
		T(msi_routes_come_from_gsi_24_up_and_are_reused),
		T(update_moves_one_route_and_rejects_unknown_gsis),
		T(running_out_of_gsis_is_an_error),
		T(a_refused_commit_reports_the_ioctl),
		T(irqfd_bind_routes_assigns_and_unbind_undoes_it),
		T(without_kvm_irqfds_bind_fails_and_says_so_once),
		T(a_refused_routing_table_disables_irqfds_for_good),
		T(a_refused_irqfd_closes_the_eventfd_and_frees_the_gsi),
		T(exhausted_gsis_fall_back_and_say_so_once),
		T(real_kvm_accepts_the_table_and_the_irqfd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
