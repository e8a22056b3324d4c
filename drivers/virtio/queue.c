/* The split virtqueue (virtio 1.x §2.7). See queue.h for the contract.
 *
 * Everything in the rings is written by the guest, possibly while we read it, so each
 * value is read exactly once into a local and checked there (no double fetch): a
 * descriptor is copied whole, then a compiler barrier stops the compiler from
 * re-reading guest memory in place of the copy. Every host pointer comes from
 * gmem_ptr(). */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/queue.h"
#include "lib/util/i18n.h"

/* Ring layouts (§2.7.5, §2.7.6, §2.7.8). */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

#define VRING_DESC_SIZE 16
/* flags, idx, ring[size], used_event / avail_event */
#define AVAIL_BYTES(n) (6 + 2 * (uint64_t)(n))
#define USED_BYTES(n) (6 + 8 * (uint64_t)(n))

/* Host views of the three rings, each checked whole against guest RAM. */
struct vq_rings {
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
};

/* Where we are in a chain walk, for the messages and the bounds. */
struct vq_walk {
	const uint8_t *table;	/* host pointer of the table being walked */
	unsigned table_size;	/* its entries */
	unsigned visited;	/* descriptors visited in this table */
	bool in_indirect;
	uint16_t indirect_from;	/* the main-table descriptor that pointed to the table */
	uint16_t idx;		/* current descriptor index in the table */
	char where[96];
};

static inline uint16_t ring_load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static inline void ring_store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

/* The guest can change a descriptor while we look at it: copy it once, then stop the
 * compiler from re-reading guest memory instead of the copy. */
static void desc_read(const uint8_t *p, struct vring_desc *d)
{
	struct vring_desc raw;

	memcpy(&raw, p, sizeof(raw));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

static bool size_is_valid(unsigned size)
{
	return size != 0 && size <= VQ_MAX_SIZE && (size & (size - 1)) == 0;
}

/* Fills *r with host pointers for the three rings; -1 (errp says which ring) if any
 * byte of one lies outside guest RAM. */
static int vq_map_rings(const struct virtqueue *vq, struct vq_rings *r, struct err **errp)
{
	uint64_t dbytes = (uint64_t)vq->size * VRING_DESC_SIZE;

	r->desc = gmem_ptr(vq->mem, vq->desc_gpa, dbytes);
	if (!r->desc)
		return err_set(errp, ERR_INVALID,
			       _("descriptor table at 0x%llx (%llu bytes for %u entries) is outside guest RAM"),
			       (unsigned long long)vq->desc_gpa, (unsigned long long)dbytes, vq->size);
	r->avail = gmem_ptr(vq->mem, vq->avail_gpa, AVAIL_BYTES(vq->size));
	if (!r->avail)
		return err_set(errp, ERR_INVALID,
			       _("avail ring at 0x%llx (%llu bytes for %u entries) is outside guest RAM"),
			       (unsigned long long)vq->avail_gpa,
			       (unsigned long long)AVAIL_BYTES(vq->size), vq->size);
	r->used = gmem_ptr(vq->mem, vq->used_gpa, USED_BYTES(vq->size));
	if (!r->used)
		return err_set(errp, ERR_INVALID,
			       _("used ring at 0x%llx (%llu bytes for %u entries) is outside guest RAM"),
			       (unsigned long long)vq->used_gpa,
			       (unsigned long long)USED_BYTES(vq->size), vq->size);
	return 0;
}

/* 0 if the rings are aligned (§2.7: desc 16, avail 2, used 4) and inside guest RAM,
 * else -1 with errp naming the ring; the queue is then broken. */
int vq_check_rings(struct virtqueue *vq, struct err **errp)
{
	struct vq_rings r;

	if (!size_is_valid(vq->size)) {
		vq->broken = true;
		return err_set(errp, ERR_INVALID,
			       _("queue size %u is not a power of two between 1 and %u"),
			       vq->size, VQ_MAX_SIZE);
	}
	if (vq->desc_gpa & 15) {
		vq->broken = true;
		return err_set(errp, ERR_INVALID, _("descriptor table at 0x%llx is not 16-byte aligned"),
			       (unsigned long long)vq->desc_gpa);
	}
	if (vq->avail_gpa & 1) {
		vq->broken = true;
		return err_set(errp, ERR_INVALID, _("avail ring at 0x%llx is not 2-byte aligned"),
			       (unsigned long long)vq->avail_gpa);
	}
	if (vq->used_gpa & 3) {
		vq->broken = true;
		return err_set(errp, ERR_INVALID, _("used ring at 0x%llx is not 4-byte aligned"),
			       (unsigned long long)vq->used_gpa);
	}
	if (vq_map_rings(vq, &r, errp) < 0) {
		vq->broken = true;
		return -1;
	}
	return 0;
}

/* Keeps mem and size (the transport sets size back to its maximum). */
void vq_reset(struct virtqueue *vq)
{
	const struct gmem *mem = vq->mem;
	uint16_t size = vq->size;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->size = size;
}

/* "descriptor 7" or "descriptor 2 of the indirect table in descriptor 7", for messages
 * (built only on the error path: the walk is the data path). */
static const char *walk_where(struct vq_walk *w)
{
	if (w->in_indirect)
		snprintf(w->where, sizeof(w->where),
			 _("descriptor %u of the indirect table in descriptor %u"),
			 w->idx, w->indirect_from);
	else
		snprintf(w->where, sizeof(w->where), _("descriptor %u"), w->idx);
	return w->where;
}

/* Switch the walk to the indirect table that descriptor d (at w->idx) points to.
 * Returns 0, or -1 with errp saying what is wrong with it (§2.7.5.3). */
static int walk_enter_indirect(struct virtqueue *vq, struct vq_walk *w,
			       const struct vring_desc *d, struct err **errp)
{
	const uint8_t *table;

	if (!vq->indirect)
		return err_set(errp, ERR_INVALID,
			       _("%s: INDIRECT flag set, but VIRTIO_RING_F_INDIRECT_DESC was not negotiated"),
			       walk_where(w));
	if (w->in_indirect)
		return err_set(errp, ERR_INVALID,
			       _("%s: nested INDIRECT descriptor (an indirect table may not point to another)"),
			       walk_where(w));
	if (d->flags & VRING_DESC_F_NEXT)
		return err_set(errp, ERR_INVALID, _("%s: INDIRECT and NEXT set in the same descriptor"),
			       walk_where(w));
	if (d->len == 0 || d->len % VRING_DESC_SIZE)
		return err_set(errp, ERR_INVALID,
			       _("%s: indirect table length %u is not a positive multiple of 16"),
			       walk_where(w), d->len);
	if (d->len / VRING_DESC_SIZE > VQ_MAX_SEGS)
		return err_set(errp, ERR_LIMIT,
			       _("%s: indirect table of %u entries is larger than the limit of %u"),
			       walk_where(w), d->len / VRING_DESC_SIZE, VQ_MAX_SEGS);
	table = gmem_ptr(vq->mem, d->addr, d->len);
	if (!table)
		return err_set(errp, ERR_INVALID,
			       _("%s: indirect table at 0x%llx length %u is outside guest RAM"),
			       walk_where(w), (unsigned long long)d->addr, d->len);
	w->indirect_from = w->idx;
	w->in_indirect = true;
	w->table = table;
	w->table_size = d->len / VRING_DESC_SIZE;
	w->visited = 0;
	w->idx = 0;
	return 0;
}

/* Add the buffer of descriptor d to the chain. Returns 0, or -1 with errp. */
static int walk_add_buffer(struct virtqueue *vq, struct vq_walk *w, const struct vring_desc *d,
			   struct vq_chain *c, struct err **errp)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *p;

	/* §2.7.4.2: all device-writable buffers come after the readable ones. */
	if (!writable && c->n_in)
		return err_set(errp, ERR_INVALID,
			       _("%s: a device-readable buffer after a device-writable one"),
			       walk_where(w));
	if (d->len == 0)
		return 0;	/* allowed; carries nothing */
	p = gmem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return err_set(errp, ERR_INVALID, _("%s: address 0x%llx length %u is outside guest RAM"),
			       walk_where(w), (unsigned long long)d->addr, d->len);
	if (c->n_out + c->n_in >= VQ_MAX_SEGS)
		return err_set(errp, ERR_LIMIT, _("descriptor chain has more than %u buffers"),
			       VQ_MAX_SEGS);
	/* used->len is 32 bits: a chain that cannot be accounted for is malformed. */
	if (c->out_len + c->in_len + d->len > UINT32_MAX)
		return err_set(errp, ERR_INVALID,
			       _("%s: the chain's total length overflows 4 GiB"), walk_where(w));
	c->iov[c->n_out + c->n_in] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		c->n_in++;
		c->in_len += d->len;
	} else {
		c->n_out++;
		c->out_len += d->len;
	}
	return 0;
}

/* Walk the chain starting at head into c. Returns 0, or -1 with errp. */
static int walk_chain(struct virtqueue *vq, const struct vq_rings *r, uint16_t head,
		      struct vq_chain *c, struct err **errp)
{
	struct vq_walk w = { .table = r->desc, .table_size = vq->size, .idx = head };
	struct vring_desc d;

	for (;;) {
		/* Each table is walked at most once per descriptor: a longer chain loops. */
		if (++w.visited > w.table_size) {
			if (w.in_indirect)
				return err_set(errp, ERR_INVALID,
					       _("indirect descriptor chain in descriptor %u is longer than its table of %u entries (a loop?)"),
					       w.indirect_from, w.table_size);
			return err_set(errp, ERR_INVALID,
				       _("descriptor chain longer than the queue size %u (a loop?)"),
				       w.table_size);
		}
		desc_read(w.table + (size_t)w.idx * VRING_DESC_SIZE, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (walk_enter_indirect(vq, &w, &d, errp) < 0)
				return -1;
			continue;
		}
		if (walk_add_buffer(vq, &w, &d, c, errp) < 0)
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= w.table_size) {
			if (w.in_indirect)
				return err_set(errp, ERR_INVALID,
					       _("%s: next index %u is past the indirect table's %u entries"),
					       walk_where(&w), d.next, w.table_size);
			return err_set(errp, ERR_INVALID,
				       _("%s: next index %u is past the queue size %u"),
				       walk_where(&w), d.next, w.table_size);
		}
		w.idx = d.next;
	}
}

/* 1 with *chain filled, 0 if empty / not ready / broken, -1 if malformed (now broken). */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain, struct err **errp)
{
	struct vq_rings r;
	uint16_t avail_idx, pending, slot, head;

	/* ready is set by a vCPU thread (queue_enable) after the ring addresses. */
	if (!__atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) || vq->broken)
		return 0;
	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, errp) < 0)
		goto broken;
	/* Acquire: the ring entries and descriptors written before idx are visible. */
	avail_idx = ring_load16(r.avail + 2, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->size) {
		err_set(errp, ERR_INVALID, _("driver advanced avail idx by %u > queue size %u"),
			pending, vq->size);
		goto broken;
	}
	slot = vq->last_avail & (vq->size - 1);
	head = ring_load16(r.avail + 4 + 2 * (size_t)slot, __ATOMIC_RELAXED);
	if (head >= vq->size) {
		err_set(errp, ERR_INVALID,
			_("avail ring slot %u: head descriptor %u is past the queue size %u"),
			slot, head, vq->size);
		goto broken;
	}
	chain->head = head;
	chain->n_out = chain->n_in = 0;
	chain->out_len = chain->in_len = 0;
	if (walk_chain(vq, &r, head, chain, errp) < 0)
		goto broken;
	vq->last_avail++;
	return 1;
broken:
	vq->broken = true;
	return -1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	struct vq_rings r;
	struct vring_used_elem e = { .id = htole32(head), .len = htole32(written) };
	uint16_t slot;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0) {
		vq->broken = true;
		return;
	}
	slot = vq->used_idx & (vq->size - 1);
	memcpy(r.used + 4 + 8 * (size_t)slot, &e, sizeof(e));
	vq->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	ring_store16(r.used + 2, vq->used_idx, __ATOMIC_RELEASE);
}

void vq_fill(struct virtqueue *vq, unsigned off, uint16_t head, uint32_t written)
{
	struct vq_rings r;
	struct vring_used_elem e = { .id = htole32(head), .len = htole32(written) };
	uint16_t slot;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0) {
		vq->broken = true;
		return;
	}
	slot = (uint16_t)(vq->used_idx + off) & (vq->size - 1);
	memcpy(r.used + 4 + 8 * (size_t)slot, &e, sizeof(e));
}

void vq_flush(struct virtqueue *vq, unsigned n)
{
	struct vq_rings r;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0) {
		vq->broken = true;
		return;
	}
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	/* Release: the elements are visible before the index that publishes them. */
	ring_store16(r.used + 2, vq->used_idx, __ATOMIC_RELEASE);
}

void vq_unpop(struct virtqueue *vq, unsigned n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
}

/* vring_need_event() from the spec (§2.7.10): did new_idx just pass event_idx? */
static bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* True if the driver wants an interrupt for what was pushed since the last one. */
bool vq_should_notify(struct virtqueue *vq)
{
	struct vq_rings r;
	uint16_t old, event;
	bool valid;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0)
		return false;
	/* Full barrier: our used->idx store must be visible before we read the driver's
	 * suppression state, or both sides may decide the other will act (lost wakeup). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ring_load16(r.avail, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = ring_load16(r.avail + 4 + 2 * (size_t)vq->size, __ATOMIC_RELAXED);
	return vring_need_event(event, vq->used_idx, old);
}

/* With EVENT_IDX the driver kicks only when it passes avail_event, which we stop
 * advancing; used->flags must then stay 0 (§2.7.10). */
void vq_disable_kicks(struct virtqueue *vq)
{
	struct vq_rings r;
	uint16_t flags;

	if (vq->event_idx || !size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0)
		return;
	flags = ring_load16(r.used, __ATOMIC_RELAXED);
	ring_store16(r.used, flags | VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

/* Ask for a kick once avail->idx passes `from`; true if it has already moved past it
 * (process before sleeping). */
static bool enable_kicks_from(struct virtqueue *vq, const struct vq_rings *r, uint16_t from)
{
	uint16_t flags;

	if (vq->event_idx) {
		ring_store16(r->used + 4 + 8 * (size_t)vq->size, from, __ATOMIC_RELAXED);
	} else {
		flags = ring_load16(r->used, __ATOMIC_RELAXED);
		ring_store16(r->used, flags & ~VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	/* Full barrier: publish the request before re-reading avail->idx, so a buffer
	 * added meanwhile is either seen here or followed by a kick. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ring_load16(r->avail + 2, __ATOMIC_ACQUIRE) != from;
}

/* Returns true if buffers are already pending (process them before sleeping). */
bool vq_enable_kicks(struct virtqueue *vq)
{
	struct vq_rings r;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0)
		return false;
	return enable_kicks_from(vq, &r, vq->last_avail);
}

bool vq_enable_kicks_beyond(struct virtqueue *vq)
{
	struct vq_rings r;

	if (!size_is_valid(vq->size) || vq_map_rings(vq, &r, NULL) < 0)
		return false;
	return enable_kicks_from(vq, &r, ring_load16(r.avail + 2, __ATOMIC_ACQUIRE));
}

/* Copies between iov[0..n), starting `offset` bytes in, and out (if non-NULL) or
 * else from in; returns bytes copied. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t offset, void *out,
		       const void *in, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - offset;
		if (chunk > len - done)
			chunk = len - done;
		if (out)
			memcpy((uint8_t *)out + done, (uint8_t *)iov[i].iov_base + offset, chunk);
		else
			memcpy((uint8_t *)iov[i].iov_base + offset, (const uint8_t *)in + done, chunk);
		done += chunk;
		offset = 0;
	}
	return done;
}

size_t vq_copy_from_out(const struct vq_chain *c, size_t offset, void *dst, size_t len)
{
	return iov_copy(c->iov, c->n_out, offset, dst, NULL, len);
}

size_t vq_copy_to_in(const struct vq_chain *c, size_t offset, const void *src, size_t len)
{
	return iov_copy(c->iov + c->n_out, c->n_in, offset, NULL, src, len);
}
