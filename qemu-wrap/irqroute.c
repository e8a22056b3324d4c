/* KVM GSI routing and irqfds (see irqroute.h; KVM API: 4.52 KVM_SET_GSI_ROUTING,
 * 4.75 KVM_IRQFD). */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "qemu-wrap/irqroute.h"

struct msi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
};

struct irqroute {
	pthread_mutex_t lock;
	const struct irqroute_ops *ops;
	void *ctx;
	const struct logger *log;
	unsigned nmsi;			/* GSIs IRQROUTE_FIRST_MSI_GSI.. it may hand out */
	unsigned nused;
	struct msi_route *msi;		/* by gsi - IRQROUTE_FIRST_MSI_GSI */
	bool broken;			/* KVM refused routing or irqfds: bind fails */
	bool warned_broken, warned_full;
};

/* As kvm_setup_default_irq_routing() (virt/kvm/irqchip.c, arch/x86/kvm/irq_comm.c):
 * per GSI the IOAPIC entry first, then the PIC's for GSIs 0-15. */
static unsigned put_default_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;

	for (unsigned gsi = 0; gsi < IRQROUTE_IRQCHIP_GSIS; gsi++) {
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi } };
		if (gsi < 16)
			e[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
								    KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi % 8 } };
	}
	return n;
}

/* KVM_CHECK_EXTENSION's answer, 0 when the ioctl fails. */
static int check_extension(struct irqroute *r, long cap)
{
	int v = r->ops->vm_ioctl(r->ctx, KVM_CHECK_EXTENSION, (void *)cap);

	return v < 0 ? 0 : v;
}

struct irqroute *irqroute_new(const struct irqroute_ops *ops, void *ctx,
			      const struct logger *log)
{
	struct irqroute *r = xzalloc(sizeof(*r));
	int gsis;

	pthread_mutex_init(&r->lock, NULL);
	r->ops = ops;
	r->ctx = ctx;
	r->log = log;
	gsis = check_extension(r, KVM_CAP_IRQ_ROUTING);
	if (gsis > IRQROUTE_MAX_GSIS)
		gsis = IRQROUTE_MAX_GSIS;
	if (gsis > IRQROUTE_FIRST_MSI_GSI && check_extension(r, KVM_CAP_IRQFD) > 0)
		r->nmsi = (unsigned)gsis - IRQROUTE_FIRST_MSI_GSI;
	r->broken = r->nmsi == 0;
	r->msi = xcalloc(r->nmsi ? r->nmsi : 1, sizeof(*r->msi));
	return r;
}

void irqroute_free(struct irqroute *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->msi);
	free(r);
}

unsigned irqroute_msi_capacity(struct irqroute *r)
{
	return r->nmsi;
}

unsigned irqroute_count(struct irqroute *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = IRQROUTE_DEFAULT_ROUTES + r->nused;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static int msi_alloc_locked(struct irqroute *r, uint64_t addr, uint32_t data,
			    struct err **errp)
{
	for (unsigned i = 0; i < r->nmsi; i++) {
		if (r->msi[i].used)
			continue;
		r->msi[i] = (struct msi_route){ .used = true, .addr = addr, .data = data };
		r->nused++;
		return (int)(IRQROUTE_FIRST_MSI_GSI + i);
	}
	return err_set(errp, ERR_LIMIT, _("all %u KVM GSIs for MSI routes are taken"), r->nmsi);
}

/* The MSI route of gsi, or NULL if gsi is not an allocated one. */
static struct msi_route *msi_of(struct irqroute *r, unsigned gsi)
{
	if (gsi < IRQROUTE_FIRST_MSI_GSI || gsi - IRQROUTE_FIRST_MSI_GSI >= r->nmsi)
		return NULL;
	return r->msi[gsi - IRQROUTE_FIRST_MSI_GSI].used ? &r->msi[gsi - IRQROUTE_FIRST_MSI_GSI]
							  : NULL;
}

int irqroute_msi_alloc(struct irqroute *r, uint64_t addr, uint32_t data, struct err **errp)
{
	int gsi;

	pthread_mutex_lock(&r->lock);
	gsi = msi_alloc_locked(r, addr, data, errp);
	pthread_mutex_unlock(&r->lock);
	return gsi;
}

static int msi_update_locked(struct irqroute *r, unsigned gsi, uint64_t addr, uint32_t data,
			     struct err **errp)
{
	struct msi_route *m = msi_of(r, gsi);

	if (!m)
		return err_set(errp, ERR_NOT_FOUND, _("GSI %u is not an MSI route"), gsi);
	m->addr = addr;
	m->data = data;
	return 0;
}

int irqroute_msi_update(struct irqroute *r, unsigned gsi, uint64_t addr, uint32_t data,
			struct err **errp)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = msi_update_locked(r, gsi, addr, data, errp);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void msi_free_locked(struct irqroute *r, unsigned gsi)
{
	struct msi_route *m = msi_of(r, gsi);

	if (m) {
		m->used = false;
		r->nused--;
	}
}

void irqroute_msi_free(struct irqroute *r, unsigned gsi)
{
	pthread_mutex_lock(&r->lock);
	msi_free_locked(r, gsi);
	pthread_mutex_unlock(&r->lock);
}

static int commit_locked(struct irqroute *r, struct err **errp)
{
	unsigned max = IRQROUTE_DEFAULT_ROUTES + r->nused, n;
	struct kvm_irq_routing *t = xzalloc(sizeof(*t) + max * sizeof(t->entries[0]));
	int rc = 0;

	n = put_default_routes(t->entries);
	for (unsigned i = 0; i < r->nmsi && n < max; i++) {
		const struct msi_route *m = &r->msi[i];

		if (!m->used)
			continue;
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = IRQROUTE_FIRST_MSI_GSI + i, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)m->addr,
				   .address_hi = (uint32_t)(m->addr >> 32), .data = m->data } };
	}
	t->nr = n;
	if (r->ops->vm_ioctl(r->ctx, KVM_SET_GSI_ROUTING, t) < 0)
		rc = err_set_errno(errp, ERR_SYSTEM, errno, _("KVM: %s failed"),
				   "KVM_SET_GSI_ROUTING");
	free(t);
	return rc;
}

int irqroute_commit(struct irqroute *r, struct err **errp)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = commit_locked(r, errp);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- irqfds ---- */

static int kvm_irqfd(struct irqroute *r, int fd, unsigned gsi, bool assign)
{
	struct kvm_irqfd a = { .fd = (uint32_t)fd, .gsi = gsi,
			       .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN };

	return r->ops->vm_ioctl(r->ctx, KVM_IRQFD, &a);
}

/* From now on binds fail at once; says so once, with the reason. */
static void give_up_locked(struct irqroute *r, struct err *e)
{
	r->broken = true;
	if (!r->warned_broken && r->log) {
		err_wrap(&e, ERR_UNSUPPORTED, _("MSI-X through KVM irqfds is unavailable, "
						"interrupts go through KVM_SIGNAL_MSI"));
		log_err(r->log, VLOG_WARNING, e);
	}
	r->warned_broken = true;
	err_free(e);
}

static void warn_full_locked(struct irqroute *r, struct err *e)
{
	if (!r->warned_full && r->log) {
		err_wrap(&e, ERR_LIMIT, _("an MSI-X vector goes through KVM_SIGNAL_MSI"));
		log_err(r->log, VLOG_WARNING, e);
	}
	r->warned_full = true;
	err_free(e);
}

/* The fd bound to gsi, or -1 (gsi freed, the failure handled). */
static int bind_locked(struct irqroute *r, unsigned gsi)
{
	struct err *e = NULL;
	int fd;

	if (commit_locked(r, &e) < 0)
		goto fail;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		err_set_errno(&e, ERR_SYSTEM, errno, _("cannot create an eventfd"));
		goto fail;
	}
	if (kvm_irqfd(r, fd, gsi, true) < 0) {
		err_set_errno(&e, ERR_SYSTEM, errno, _("KVM: %s failed"), "KVM_IRQFD");
		close(fd);
		goto fail;
	}
	return fd;
fail:
	/* KVM may keep the route until the next commit: harmless, nothing signals it. */
	msi_free_locked(r, gsi);
	give_up_locked(r, e);
	return -1;
}

int irqroute_irqfd_bind(struct irqroute *r, uint64_t addr, uint32_t data, unsigned *gsi)
{
	struct err *e = NULL;
	int g, fd = -1;

	pthread_mutex_lock(&r->lock);
	if (r->broken) {
		if (!r->warned_broken) {
			err_set(&e, ERR_UNSUPPORTED, _("KVM has no GSI routing or no irqfds"));
			give_up_locked(r, e);
		}
		goto out;
	}
	g = msi_alloc_locked(r, addr, data, &e);
	if (g < 0) {
		warn_full_locked(r, e);
		goto out;
	}
	fd = bind_locked(r, (unsigned)g);
	if (fd >= 0) {
		*gsi = (unsigned)g;
		if (r->log)
			log_debug(r->log, "irqfd %d on GSI %d: MSI address 0x%llx data 0x%x",
				  fd, g, (unsigned long long)addr, data);
	}
out:
	pthread_mutex_unlock(&r->lock);
	return fd;
}

int irqroute_irqfd_update(struct irqroute *r, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct err *e = NULL;
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = msi_update_locked(r, gsi, addr, data, &e);
	if (rc == 0)
		rc = commit_locked(r, &e);
	if (rc < 0 && r->log && !r->warned_broken) {
		log_err(r->log, VLOG_WARNING, e);
		r->warned_broken = true;
	}
	err_free(e);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void irqroute_irqfd_unbind(struct irqroute *r, unsigned gsi, int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&r->lock);
	kvm_irqfd(r, fd, gsi, false);
	close(fd);
	msi_free_locked(r, gsi);
	pthread_mutex_unlock(&r->lock);
}
