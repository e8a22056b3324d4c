/* MSI-X for PCI functions (PCI Local Bus 3.0, 6.8.2): the capability, the vector
 * table and the pending bit array inside a memory BAR; each vector's signal path
 * (irqfd or msi_send) kept in line with the table. Locking: see pci.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/bus/pci_priv.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

#define ENTRY_SIZE	16
#define ENTRY_CTRL	12		/* vector control: bit 0 masks the vector */
#define VEC_MASKED	0x01
#define CAP_LEN		12
#define CAP_CTRL	2
#define CAP_TABLE	4
#define CAP_PBA		8

/* A vector's irqfd; update_lock. */
struct msix_route {
	int fd;				/* from msi_irqfd_bind, or -1 */
	unsigned route;
	bool valid;			/* the route delivers (addr, data) */
	uint64_t addr;
	uint32_t data;
};

/* What pci_msix_notify() does with a vector; sig_lock. */
struct msix_live {
	bool masked;			/* set the PBA bit */
	int fd;				/* else write this eventfd, or if -1 ... */
	uint64_t addr;			/* ... msi_send this message */
	uint32_t data;
};

struct pci_msix {
	unsigned nvectors;
	unsigned bar;
	unsigned cap;			/* capability offset in configuration space */
	uint32_t table_off, pba_off;
	uint8_t *table;			/* nvectors * ENTRY_SIZE bytes; host lock */
	struct pci_msix_msg *reported;	/* what msix_update() last told; host lock */
	bool enabled;			/* the enable bit, for lock-free readers */
	/* Set under sig_lock held for reading (atomic or), cleared under it held for
	 * writing; read with atomic loads. */
	uint64_t *pba;
	pthread_mutex_t update_lock;
	struct msix_route *routes;
	pthread_rwlock_t sig_lock;
	struct msix_live *live;
};

enum msix_hit { HIT_NONE, HIT_TABLE, HIT_PBA, HIT_PARTIAL };

static uint64_t table_size(const struct pci_msix *m)
{
	return (uint64_t)m->nvectors * ENTRY_SIZE;
}

static uint64_t pba_size(const struct pci_msix *m)
{
	return (m->nvectors + 63) / 64 * 8;
}

/* Set once before the guest runs; vCPU threads read it without the lock. */
static struct pci_msix *msix_of(const struct pci_dev *dev)
{
	return __atomic_load_n(&dev->msix, __ATOMIC_ACQUIRE);
}

static uint16_t msix_control(const struct pci_dev *dev, const struct pci_msix *m)
{
	return pci_cfg_get(dev->config, m->cap + CAP_CTRL, 2);
}

bool pci_msix_enabled_locked(const struct pci_dev *dev)
{
	const struct pci_msix *m = msix_of(dev);

	return m && (msix_control(dev, m) & PCIM_MSIXCTRL_ENABLE);
}

static void effective_msg(const struct pci_dev *dev, const struct pci_msix *m, unsigned v,
			  struct pci_msix_msg *msg)
{
	const uint8_t *e = m->table + (size_t)v * ENTRY_SIZE;
	uint16_t ctrl = msix_control(dev, m);

	msg->addr = pci_cfg_get(e, 0, 4) | (uint64_t)pci_cfg_get(e, 4, 4) << 32;
	msg->data = pci_cfg_get(e, 8, 4);
	msg->masked = !(ctrl & PCIM_MSIXCTRL_ENABLE) || (ctrl & PCIM_MSIXCTRL_MASKALL) ||
		      (e[ENTRY_CTRL] & VEC_MASKED);
}

/* Address and data of a masked vector do not matter until it is unmasked. */
static bool same_msg(const struct pci_msix_msg *a, const struct pci_msix_msg *b)
{
	if (a->masked || b->masked)
		return a->masked == b->masked;
	return a->addr == b->addr && a->data == b->data;
}

/* With sig_lock held for writing. */
static bool test_and_clear_pending(struct pci_msix *m, unsigned v)
{
	uint64_t bit = UINT64_C(1) << (v % 64);

	return __atomic_fetch_and(&m->pba[v / 64], ~bit, __ATOMIC_RELAXED) & bit;
}

static struct msix_event *reserve_events(struct pci_events *ev, unsigned n)
{
	if (n <= ARRAY_SIZE(ev->local)) {
		ev->msix = ev->local;
	} else {
		ev->msix = xcalloc(n, sizeof(*ev->msix));
		ev->msix_heap = true;
	}
	ev->nmsix = 0;
	return ev->msix;
}

/* Compare vectors [first, last] with what the device was last told; queue an event
 * for each change. */
static void collect_changes(struct pci_dev *dev, struct pci_msix *m, unsigned first,
			    unsigned last, struct pci_events *ev)
{
	reserve_events(ev, last - first + 1);
	for (unsigned v = first; v <= last; v++) {
		struct pci_msix_msg cur;

		effective_msg(dev, m, v, &cur);
		if (same_msg(&cur, &m->reported[v]))
			continue;
		m->reported[v] = cur;
		ev->msix[ev->nmsix++].vector = v;
	}
}

void pci_msix_config_written_locked(struct pci_dev *dev, unsigned offset, unsigned size,
				    struct pci_events *ev)
{
	struct pci_msix *m = msix_of(dev);

	if (!m || !pci_range_touches(offset, size, m->cap + CAP_CTRL, 2))
		return;
	__atomic_store_n(&m->enabled, pci_msix_enabled_locked(dev), __ATOMIC_RELEASE);
	collect_changes(dev, m, 0, m->nvectors - 1, ev);
	pci_update_intx_locked(dev);	/* INTx is off while MSI-X is enabled */
}

/* Send what l says, with sig_lock held: write the irqfd, or (without one, or if the
 * write fails) msi_send. */
static void fire(const struct pci_host *h, const struct msix_live *l)
{
	const uint64_t one = 1;

	if (l->fd >= 0 && write(l->fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return;
	if (h->cfg.msi_send)
		h->cfg.msi_send(h->cfg.ctx, l->addr, l->data);
}

/* The irqfd that delivers cur (bound on the first unmask, re-routed when the message
 * changed), or -1: msi_send then. With update_lock held. */
static int route_vector(const struct pci_host *h, struct msix_route *r,
			const struct pci_msix_msg *cur)
{
	const struct pci_host_config *c = &h->cfg;

	if (!c->msi_irqfd_bind)
		return -1;
	if (r->fd < 0) {
		r->fd = c->msi_irqfd_bind(c->ctx, cur->addr, cur->data, &r->route);
		if (r->fd < 0)
			return -1;
	} else if (!r->valid || r->addr != cur->addr || r->data != cur->data) {
		r->valid = false;
		if (!c->msi_irqfd_update || c->msi_irqfd_update(c->ctx, r->route, cur->addr,
								cur->data) < 0)
			return -1;
	}
	r->valid = true;
	r->addr = cur->addr;
	r->data = cur->data;
	return r->fd;
}

/* Bring vector v's signal path in line with the table as it is now (not as an event
 * saw it: with several vCPUs writing, the last to get here applies the latest state).
 * The route changes first, then the signal path switches under sig_lock; a message
 * pended while masked goes out on unmask. */
static void apply_vector(struct pci_dev *dev, struct pci_msix *m, unsigned v)
{
	struct pci_msix_msg cur;
	struct msix_live *l = &m->live[v];
	int fd = -1;

	pthread_mutex_lock(&m->update_lock);
	pthread_mutex_lock(&dev->host->lock);
	effective_msg(dev, m, v, &cur);
	pthread_mutex_unlock(&dev->host->lock);
	if (!cur.masked)
		fd = route_vector(dev->host, &m->routes[v], &cur);
	pthread_rwlock_wrlock(&m->sig_lock);
	*l = (struct msix_live){ .masked = cur.masked, .fd = fd, .addr = cur.addr,
				 .data = cur.data };
	if (!cur.masked && test_and_clear_pending(m, v))
		fire(dev->host, l);
	pthread_rwlock_unlock(&m->sig_lock);
	pthread_mutex_unlock(&m->update_lock);
}

void pci_msix_run_events(struct pci_dev *dev, struct pci_events *ev)
{
	const struct pci_dev_ops *ops = dev->ops;
	struct pci_msix *m = msix_of(dev);

	for (unsigned i = 0; m && i < ev->nmsix; i++) {
		apply_vector(dev, m, ev->msix[i].vector);
		if (ops && ops->msix_update)
			ops->msix_update(dev->opaque, dev, ev->msix[i].vector);
	}
	if (ev->msix_heap)
		free(ev->msix);
	ev->msix = NULL;
	ev->nmsix = 0;
	ev->msix_heap = false;
}

static bool inside(uint64_t off, unsigned size, uint64_t start, uint64_t len)
{
	return off >= start && off - start < len && size <= len - (off - start);
}

static bool overlaps(uint64_t off, unsigned size, uint64_t start, uint64_t len)
{
	return off < start + len && off + size > start;
}

static enum msix_hit locate(const struct pci_msix *m, uint64_t off, unsigned size)
{
	if (inside(off, size, m->table_off, table_size(m)))
		return HIT_TABLE;
	if (inside(off, size, m->pba_off, pba_size(m)))
		return HIT_PBA;
	if (overlaps(off, size, m->table_off, table_size(m)) ||
	    overlaps(off, size, m->pba_off, pba_size(m)))
		return HIT_PARTIAL;	/* straddles an edge: ignored, reads 0 */
	return HIT_NONE;
}

/* The MSI-X part of a BAR, or NULL if the access is not about MSI-X. */
static struct pci_msix *msix_for_bar(const struct pci_bar *bar, uint64_t off, unsigned size,
				     enum msix_hit *hit)
{
	struct pci_msix *m = msix_of(bar->dev);

	if (!m || m->bar != bar->index || size == 0 || size > 8)
		return NULL;
	*hit = locate(m, off, size);
	return *hit == HIT_NONE ? NULL : m;
}

static uint8_t pba_byte(const struct pci_msix *m, uint64_t i)
{
	return (uint8_t)(__atomic_load_n(&m->pba[i / 8], __ATOMIC_RELAXED) >> (8 * (i % 8)));
}

bool pci_msix_bar_read(struct pci_bar *bar, uint64_t offset, unsigned size, uint64_t *value)
{
	enum msix_hit hit;
	struct pci_msix *m = msix_for_bar(bar, offset, size, &hit);
	uint64_t v = 0;

	if (!m)
		return false;
	pthread_mutex_lock(&bar->dev->host->lock);
	for (unsigned i = 0; i < size && hit != HIT_PARTIAL; i++) {
		uint8_t b = hit == HIT_TABLE ? m->table[offset - m->table_off + i] :
					       pba_byte(m, offset - m->pba_off + i);

		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&bar->dev->host->lock);
	*value = v;
	return true;
}

/* Only the mask bit of vector control is writable; the PBA is read-only. */
static uint8_t table_wmask(uint64_t table_byte)
{
	unsigned in_entry = table_byte % ENTRY_SIZE;

	if (in_entry < ENTRY_CTRL)
		return 0xff;
	return in_entry == ENTRY_CTRL ? VEC_MASKED : 0;
}

bool pci_msix_bar_write(struct pci_bar *bar, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_dev *dev = bar->dev;
	struct pci_events ev = { 0 };
	enum msix_hit hit;
	struct pci_msix *m = msix_for_bar(bar, offset, size, &hit);
	uint64_t start;

	if (!m)
		return false;
	if (hit != HIT_TABLE)
		return true;
	start = offset - m->table_off;
	pthread_mutex_lock(&dev->host->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t wm = table_wmask(start + i), b = value >> (8 * i);

		m->table[start + i] = (m->table[start + i] & ~wm) | (b & wm);
	}
	collect_changes(dev, m, start / ENTRY_SIZE, (start + size - 1) / ENTRY_SIZE, &ev);
	pthread_mutex_unlock(&dev->host->lock);
	pci_msix_run_events(dev, &ev);
	return true;
}

static int check_msix(const struct pci_dev *dev, unsigned n, unsigned bar,
		      uint32_t table_off, uint32_t pba_off, struct err **errp)
{
	uint64_t tsize = (uint64_t)n * ENTRY_SIZE, psize = (n + 63) / 64 * 8, bsize;

	if (msix_of(dev))
		return err_set(errp, ERR_EXISTS, _("%s: MSI-X is already set up"), dev->name);
	if (n < 1 || n > PCI_MSIX_MAX_VECTORS)
		return err_set(errp, ERR_RANGE, _("%s: MSI-X: %u vectors is out of range "
						  "(1 to %u)"), dev->name, n,
			       PCI_MSIX_MAX_VECTORS);
	if (bar >= PCI_NUM_BARS || !dev->bars[bar].size || dev->bars[bar].is_io)
		return err_set(errp, ERR_INVALID, _("%s: MSI-X: BAR %u is not a memory BAR"),
			       dev->name, bar);
	bsize = dev->bars[bar].size;
	if ((table_off | pba_off) & 7)
		return err_set(errp, ERR_INVALID, _("%s: MSI-X: table and PBA offsets must be "
						    "8-byte aligned"), dev->name);
	if (table_off > bsize || tsize > bsize - table_off || pba_off > bsize ||
	    psize > bsize - pba_off ||
	    (table_off < pba_off + psize && pba_off < table_off + tsize))
		return err_set(errp, ERR_INVALID, _("%s: MSI-X: table and PBA do not fit apart "
						    "in the %llu bytes of BAR %u"), dev->name,
			       (unsigned long long)bsize, bar);
	return 0;
}

static struct pci_msix *msix_alloc(unsigned n, unsigned bar, uint32_t table_off,
				   uint32_t pba_off, int cap)
{
	struct pci_msix *m = xzalloc(sizeof(*m));
	pthread_rwlockattr_t attr;

	pthread_mutex_init(&m->update_lock, NULL);
	/* Signallers hold it briefly but often; a guest's mask must not wait long. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&m->sig_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	m->nvectors = n;
	m->bar = bar;
	m->cap = (unsigned)cap;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->table = xcalloc(n, ENTRY_SIZE);
	m->pba = xcalloc((n + 63) / 64, sizeof(uint64_t));
	m->reported = xcalloc(n, sizeof(*m->reported));
	m->routes = xcalloc(n, sizeof(*m->routes));
	m->live = xcalloc(n, sizeof(*m->live));
	for (unsigned v = 0; v < n; v++) {
		m->table[v * ENTRY_SIZE + ENTRY_CTRL] = VEC_MASKED;
		m->reported[v].masked = true;
		m->routes[v].fd = -1;
		m->live[v] = (struct msix_live){ .masked = true, .fd = -1 };
	}
	return m;
}

int pci_msix_init(struct pci_dev *dev, unsigned nvectors, unsigned bar,
		  uint32_t table_offset, uint32_t pba_offset, struct err **errp)
{
	struct pci_msix *m;
	int cap;

	if (check_msix(dev, nvectors, bar, table_offset, pba_offset, errp) < 0)
		return -1;
	cap = pci_dev_add_cap(dev, PCIY_MSIX, CAP_LEN, errp);
	if (cap < 0)
		return -1;
	m = msix_alloc(nvectors, bar, table_offset, pba_offset, cap);
	pthread_mutex_lock(&dev->host->lock);
	pci_cfg_put(dev->config, cap + CAP_CTRL, 2, nvectors - 1);
	pci_cfg_put(dev->wmask, cap + CAP_CTRL, 2,
		    PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_MASKALL);
	pci_cfg_put(dev->config, cap + CAP_TABLE, 4, table_offset | bar);
	pci_cfg_put(dev->config, cap + CAP_PBA, 4, pba_offset | bar);
	__atomic_store_n(&dev->msix, m, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dev->host->lock);
	return 0;
}

bool pci_msix_get(struct pci_dev *dev, unsigned vector, struct pci_msix_msg *msg)
{
	struct pci_msix *m = msix_of(dev);

	if (!m || vector >= m->nvectors)
		return false;
	pthread_mutex_lock(&dev->host->lock);
	effective_msg(dev, m, vector, msg);
	pthread_mutex_unlock(&dev->host->lock);
	return true;
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	struct pci_msix *m = msix_of(dev);

	return m && __atomic_load_n(&m->enabled, __ATOMIC_ACQUIRE);
}

int pci_msix_notify(struct pci_dev *dev, unsigned vector)
{
	struct pci_msix *m = msix_of(dev);
	const struct msix_live *l;
	int sent;

	if (!m || vector >= m->nvectors)
		return -1;
	l = &m->live[vector];
	pthread_rwlock_rdlock(&m->sig_lock);
	sent = !l->masked;
	if (sent)
		fire(dev->host, l);
	else
		__atomic_fetch_or(&m->pba[vector / 64], UINT64_C(1) << (vector % 64),
				  __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&m->sig_lock);
	return sent;
}

int pci_msix_irqfd(struct pci_dev *dev, unsigned vector)
{
	struct pci_msix *m = msix_of(dev);
	int fd;

	if (!m || vector >= m->nvectors)
		return -1;
	pthread_rwlock_rdlock(&m->sig_lock);
	fd = m->live[vector].masked ? -1 : m->live[vector].fd;
	pthread_rwlock_unlock(&m->sig_lock);
	return fd;
}

void pci_msix_lock_update(struct pci_dev *dev)
{
	struct pci_msix *m = msix_of(dev);

	if (m)
		pthread_mutex_lock(&m->update_lock);
}

void pci_msix_unlock_update(struct pci_dev *dev)
{
	struct pci_msix *m = msix_of(dev);

	if (m)
		pthread_mutex_unlock(&m->update_lock);
}

/* Power-on state (PCI 3.0, 6.8.2.3 and 6.8.2.9): MSI-X and the function mask off,
 * every entry zero and masked, nothing pending. The signal paths switch to pending
 * here, under sig_lock, so nothing signalled before the reset is delivered after it;
 * the vectors that were live get their routes and msix_update() from the events.
 * Their irqfds stay bound, as for any mask. */
void pci_msix_reset_locked(struct pci_dev *dev, struct pci_events *ev)
{
	struct pci_msix *m = msix_of(dev);
	uint16_t ctrl;

	if (!m)
		return;
	ctrl = msix_control(dev, m) & ~(PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_MASKALL);
	pci_cfg_put(dev->config, m->cap + CAP_CTRL, 2, ctrl);
	__atomic_store_n(&m->enabled, false, __ATOMIC_RELEASE);
	memset(m->table, 0, table_size(m));
	for (unsigned v = 0; v < m->nvectors; v++)
		m->table[v * ENTRY_SIZE + ENTRY_CTRL] = VEC_MASKED;
	pthread_rwlock_wrlock(&m->sig_lock);
	for (unsigned v = 0; v < m->nvectors; v++)
		m->live[v].masked = true;
	for (unsigned i = 0; i < (m->nvectors + 63) / 64; i++)
		__atomic_store_n(&m->pba[i], 0, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&m->sig_lock);
	collect_changes(dev, m, 0, m->nvectors - 1, ev);
}

void pci_msix_free(struct pci_dev *dev)
{
	const struct pci_host_config *c = &dev->host->cfg;
	struct pci_msix *m = dev->msix;

	if (!m)
		return;
	for (unsigned v = 0; v < m->nvectors; v++)
		if (m->routes[v].fd >= 0 && c->msi_irqfd_unbind)
			c->msi_irqfd_unbind(c->ctx, m->routes[v].route, m->routes[v].fd);
	pthread_mutex_destroy(&m->update_lock);
	pthread_rwlock_destroy(&m->sig_lock);
	free(m->table);
	free(m->pba);
	free(m->reported);
	free(m->routes);
	free(m->live);
	free(m);
	dev->msix = NULL;
}
