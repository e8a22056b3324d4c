/* Unit tests: drivers/virtio/queue (the split virtqueue) and the vdev helpers.
 *
 * A fake driver lays out the rings in real guest RAM (a gmem) and adds chains the way
 * Linux's virtio_ring does; the hostile cases write what a broken or malicious driver
 * could. Guest RAM is remapped with a PROT_NONE page right after it, so any access
 * past the end crashes the test (ASan does not see into the memfd mapping). */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/virtio/queue.h"
#include "drivers/virtio/vdev_priv.h"
#include "drivers/virtio/virtio.h"

#define RAM_SIZE	(8ULL << 20)
#define QSZ		256
#define DESC_GPA	0x1000ULL
#define AVAIL_GPA	0x2000ULL
#define USED_GPA	0x3000ULL
#define IND_GPA		0x8000ULL	/* indirect tables: 0x8000..0x10000+ */
#define BUF_GPA		0x100000ULL

struct fake {
	struct gmem m;
	void *guard;
	struct virtqueue vq;
	uint16_t next_desc;	/* bump allocator over the descriptor table */
	uint16_t avail_idx;	/* the driver's shadow of avail->idx */
	uint64_t next_ind;	/* bump allocator for indirect tables */
	struct err *e;
	struct vq_chain chain;
};

struct seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* Remap guest RAM so a PROT_NONE page follows it: a read past the end crashes. */
static void *remap_with_guard(struct gmem *m)
{
	uint8_t *area = mmap(NULL, RAM_SIZE + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(area != MAP_FAILED);
	assert_true(mmap(area, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->memfd,
			 0) == area);
	munmap(m->base, RAM_SIZE);
	m->base = m->slots[0].host = area;
	return area + RAM_SIZE;
}

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct err *e = NULL;

	assert_non_null(f);
	assert_int_equal(gmem_init(&f->m, RAM_SIZE, &e), 0);
	f->guard = remap_with_guard(&f->m);
	f->vq.mem = &f->m;
	f->vq.size = QSZ;
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	f->next_ind = IND_GPA;
	assert_int_equal(vq_check_rings(&f->vq, &e), 0);
	f->vq.ready = true;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;

	err_clear(&f->e);
	munmap(f->guard, 4096);
	gmem_destroy(&f->m);
	free(f);
	return 0;
}

static void put_desc(struct fake *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t raw[16];

	memcpy(raw, &addr, 8);
	memcpy(raw + 8, &len, 4);
	memcpy(raw + 12, &flags, 2);
	memcpy(raw + 14, &next, 2);
	assert_int_equal(gmem_write(&f->m, table + 16ULL * i, raw, 16), 0);
}

static uint16_t *ring16(struct fake *f, uint64_t gpa)
{
	return gmem_ptr(&f->m, gpa, 2);
}

static void set_avail_idx(struct fake *f, uint16_t idx)
{
	__atomic_store_n(ring16(f, AVAIL_GPA + 2), idx, __ATOMIC_RELEASE);
}

/* Put head in the next avail slot and publish it, as virtqueue_add_split does. */
static void publish(struct fake *f, uint16_t head)
{
	*ring16(f, AVAIL_GPA + 4 + 2 * (f->avail_idx % QSZ)) = head;
	f->avail_idx++;
	set_avail_idx(f, f->avail_idx);
}

/* Chain segs through fresh descriptors of the main table; returns the head. */
static uint16_t add_chain_nopub(struct fake *f, const struct seg *s, unsigned n)
{
	uint16_t head = f->next_desc % QSZ;

	for (unsigned i = 0; i < n; i++) {
		uint16_t cur = (uint16_t)((head + i) % QSZ), nxt = (uint16_t)((cur + 1) % QSZ);
		uint16_t flags = (s[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		put_desc(f, DESC_GPA, cur, s[i].addr, s[i].len, flags, i + 1 < n ? nxt : 0);
	}
	f->next_desc = (uint16_t)(f->next_desc + n);
	return head;
}

static uint16_t add_chain(struct fake *f, const struct seg *s, unsigned n)
{
	uint16_t head = add_chain_nopub(f, s, n);

	publish(f, head);
	return head;
}

/* One main descriptor pointing to an indirect table holding segs. */
static uint16_t add_indirect(struct fake *f, const struct seg *s, unsigned n)
{
	uint64_t table = f->next_ind;
	uint16_t head = f->next_desc++ % QSZ;

	for (unsigned i = 0; i < n; i++)
		put_desc(f, table, i, s[i].addr, s[i].len,
			 (s[i].write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1 < n ? i + 1 : 0));
	f->next_ind += 16ULL * n;
	put_desc(f, DESC_GPA, head, table, 16 * n, VRING_DESC_F_INDIRECT, 0);
	publish(f, head);
	return head;
}

static void assert_chain_inside_ram(struct fake *f)
{
	for (unsigned i = 0; i < f->chain.n_out + f->chain.n_in; i++) {
		uint8_t *p = f->chain.iov[i].iov_base;

		assert_true(p >= f->m.base);
		assert_true(p + f->chain.iov[i].iov_len <= f->m.base + RAM_SIZE);
	}
}

/* The device reset the queue and the driver set it up again, same rings. */
static void rearm(struct fake *f, bool indirect)
{
	vq_reset(&f->vq);
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	f->vq.indirect = indirect;
	f->vq.ready = true;
}

/* Pop must fail naming the problem, break the queue and consume nothing. */
static void assert_pop_fails(struct fake *f, const char *code, const char *needle)
{
	uint16_t before = f->vq.last_avail;

	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), -1);
	assert_err(f->e, code, needle);
	assert_true(f->vq.broken);
	assert_int_equal(f->vq.last_avail, before);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	assert_null(f->e);
}

static void simple_chain_pops_one_readable_buffer(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 512, false };
	uint16_t head = add_chain(f, &s, 1);

	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.n_out, 1);
	assert_int_equal(f->chain.n_in, 0);
	assert_true(f->chain.out_len == 512);
	assert_ptr_equal(f->chain.iov[0].iov_base, f->m.base + BUF_GPA);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
}

static void read_then_write_chain_splits_out_and_in(void **state)
{
	struct fake *f = *state;
	struct seg s[] = { { BUF_GPA, 16, false }, { BUF_GPA + 0x1000, 4096, true },
			   { BUF_GPA + 0x3000, 1, true } };

	add_chain(f, s, 3);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(f->chain.n_out, 1);
	assert_int_equal(f->chain.n_in, 2);
	assert_true(f->chain.out_len == 16 && f->chain.in_len == 4097);
	assert_chain_inside_ram(f);
}

static void push_publishes_used_element_and_idx(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 64, true };
	uint16_t head = add_chain(f, &s, 1);
	uint32_t elem[2];

	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	vq_push(&f->vq, f->chain.head, 60);
	assert_int_equal(__atomic_load_n(ring16(f, USED_GPA + 2), __ATOMIC_ACQUIRE), 1);
	assert_int_equal(gmem_read(&f->m, USED_GPA + 4, elem, sizeof(elem)), 0);
	assert_int_equal(elem[0], head);
	assert_int_equal(elem[1], 60);
}

static void empty_or_disabled_queue_pops_nothing(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 64, false };

	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	add_chain(f, &s, 1);
	f->vq.ready = false;
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	f->vq.ready = true;
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_null(f->e);
}

static void indirect_table_is_followed_when_negotiated(void **state)
{
	struct fake *f = *state;
	struct seg s[] = { { BUF_GPA, 16, false }, { BUF_GPA + 0x100, 32, false },
			   { BUF_GPA + 0x1000, 512, true } };
	uint16_t head;

	f->vq.indirect = true;
	head = add_indirect(f, s, 3);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.n_out, 2);
	assert_int_equal(f->chain.n_in, 1);
	assert_true(f->chain.out_len == 48 && f->chain.in_len == 512);
	assert_ptr_equal(f->chain.iov[2].iov_base, f->m.base + BUF_GPA + 0x1000);
}

static void direct_buffer_then_indirect_table(void **state)
{
	struct fake *f = *state;
	struct seg in = { BUF_GPA + 0x2000, 100, true };

	f->vq.indirect = true;
	put_desc(f, IND_GPA, 0, in.addr, in.len, VRING_DESC_F_WRITE, 0);
	put_desc(f, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, IND_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(f->chain.n_out, 1);
	assert_int_equal(f->chain.n_in, 1);
}

static void zero_length_buffer_carries_nothing(void **state)
{
	struct fake *f = *state;
	/* A zero-length buffer is not checked against RAM: it names no byte. */
	struct seg s[] = { { BUF_GPA, 8, false }, { ~0ULL, 0, false }, { BUF_GPA, 0, true },
			   { BUF_GPA + 8, 8, true } };

	add_chain(f, s, 4);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(f->chain.n_out, 1);
	assert_int_equal(f->chain.n_in, 1);
	assert_true(f->chain.out_len == 8 && f->chain.in_len == 8);
}

static void copy_helpers_cross_buffers_and_stop_at_the_end(void **state)
{
	struct fake *f = *state;
	struct seg s[] = { { BUF_GPA, 3, false }, { BUF_GPA + 0x10, 5, false },
			   { BUF_GPA + 0x100, 4, true }, { BUF_GPA + 0x200, 4, true } };
	char buf[16] = { 0 };

	assert_int_equal(gmem_write(&f->m, BUF_GPA, "abc", 3), 0);
	assert_int_equal(gmem_write(&f->m, BUF_GPA + 0x10, "defgh", 5), 0);
	add_chain(f, s, 4);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_int_equal(vq_copy_from_out(&f->chain, 2, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "cdefgh", 6);
	assert_int_equal(vq_copy_from_out(&f->chain, 9, buf, 4), 0);
	assert_int_equal(vq_copy_to_in(&f->chain, 1, "0123456789", 10), 7);
	assert_int_equal(gmem_read(&f->m, BUF_GPA + 0x101, buf, 3), 0);
	assert_memory_equal(buf, "012", 3);
	assert_int_equal(gmem_read(&f->m, BUF_GPA + 0x200, buf, 4), 0);
	assert_memory_equal(buf, "3456", 4);
}

static void no_interrupt_flag_suppresses_notify(void **state)
{
	struct fake *f = *state;

	vq_push(&f->vq, 0, 0);
	assert_true(vq_should_notify(&f->vq));
	*ring16(f, AVAIL_GPA) = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&f->vq, 1, 0);
	assert_false(vq_should_notify(&f->vq));
}

static void used_event_suppresses_notify_until_passed(void **state)
{
	struct fake *f = *state;
	uint16_t *used_event = ring16(f, AVAIL_GPA + 4 + 2 * QSZ);

	f->vq.event_idx = true;
	vq_push(&f->vq, 0, 0);
	assert_true(vq_should_notify(&f->vq));	/* first one always */
	*used_event = 3;	/* "interrupt me when used idx passes 3" */
	vq_push(&f->vq, 1, 0);	/* used idx 2 */
	assert_false(vq_should_notify(&f->vq));
	vq_push(&f->vq, 2, 0);	/* 3 */
	assert_false(vq_should_notify(&f->vq));
	vq_push(&f->vq, 3, 0);	/* 4: passes 3 */
	assert_true(vq_should_notify(&f->vq));
	vq_push(&f->vq, 4, 0);
	vq_push(&f->vq, 5, 0);
	assert_false(vq_should_notify(&f->vq));	/* event 3 is behind us */
	*used_event = 6;
	vq_push(&f->vq, 6, 0);	/* 7 */
	assert_true(vq_should_notify(&f->vq));	/* batch 6..7 crossed 6 */
	*ring16(f, AVAIL_GPA) = VRING_AVAIL_F_NO_INTERRUPT;	/* ignored with EVENT_IDX */
	*used_event = 7;
	vq_push(&f->vq, 7, 0);
	assert_true(vq_should_notify(&f->vq));
}

static void no_notify_flag_toggles_without_event_idx(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, false };

	vq_disable_kicks(&f->vq);
	assert_int_equal(*ring16(f, USED_GPA), VRING_USED_F_NO_NOTIFY);
	assert_false(vq_enable_kicks(&f->vq));
	assert_int_equal(*ring16(f, USED_GPA), 0);
	vq_disable_kicks(&f->vq);
	add_chain(f, &s, 1);	/* arrives while kicks are off */
	assert_true(vq_enable_kicks(&f->vq));
}

static void avail_event_tracks_consumption_with_event_idx(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, false };
	uint16_t *avail_event = ring16(f, USED_GPA + 4 + 8 * QSZ);

	f->vq.event_idx = true;
	add_chain(f, &s, 1);
	add_chain(f, &s, 1);
	vq_disable_kicks(&f->vq);
	assert_int_equal(*ring16(f, USED_GPA), 0);	/* flags stay 0 with EVENT_IDX */
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_true(vq_enable_kicks(&f->vq));	/* one still pending */
	assert_int_equal(*avail_event, 1);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_false(vq_enable_kicks(&f->vq));
	assert_int_equal(*avail_event, 2);
}

static void indices_wrap_past_65535(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, true };

	f->vq.last_avail = f->vq.used_idx = 65530;
	f->avail_idx = 65530;
	*ring16(f, USED_GPA + 2) = 65530;
	for (unsigned i = 0; i < 12; i++)
		add_chain(f, &s, 1);
	assert_int_equal(f->avail_idx, 6);
	for (unsigned i = 0; i < 12; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
		assert_int_equal(f->chain.head, i);
		vq_push(&f->vq, f->chain.head, 8);
	}
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	assert_int_equal(*ring16(f, USED_GPA + 2), 6);
	assert_int_equal(f->vq.last_avail, 6);
}

static void full_ring_pops_every_entry(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, false };

	for (unsigned i = 0; i < QSZ; i++)
		add_chain(f, &s, 1);
	for (unsigned i = 0; i < QSZ; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
		vq_push(&f->vq, f->chain.head, 0);
	}
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	/* And a second lap over the same slots. */
	for (unsigned i = 0; i < QSZ; i++)
		add_chain(f, &s, 1);
	for (unsigned i = 0; i < QSZ; i++)
		assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
	assert_null(f->e);
}

static void descriptor_loop_is_reported(void **state)
{
	struct fake *f = *state;

	put_desc(f, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	publish(f, 0);
	assert_pop_fails(f, ERR_INVALID, "descriptor chain longer than the queue size 256 (a loop?)");
}

static void self_loop_in_indirect_table_is_reported(void **state)
{
	struct fake *f = *state;

	f->vq.indirect = true;
	put_desc(f, IND_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, IND_GPA, 1, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 5, IND_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(f, 5);
	assert_pop_fails(f, ERR_INVALID,
			 "indirect descriptor chain in descriptor 5 is longer than its table of 2 entries (a loop?)");
}

static void next_index_past_queue_is_reported(void **state)
{
	struct fake *f = *state;

	put_desc(f, DESC_GPA, 7, BUF_GPA, 8, VRING_DESC_F_NEXT, 256);
	publish(f, 7);
	assert_pop_fails(f, ERR_INVALID, "descriptor 7: next index 256 is past the queue size 256");
}

static void head_index_past_queue_is_reported(void **state)
{
	struct fake *f = *state;

	publish(f, 300);
	assert_pop_fails(f, ERR_INVALID,
			 "avail ring slot 0: head descriptor 300 is past the queue size 256");
}

static void buffer_past_end_of_ram_is_reported(void **state)
{
	struct fake *f = *state;
	struct seg s[] = { { BUF_GPA, 8, false }, { RAM_SIZE - 100, 4096, true } };

	add_chain(f, s, 2);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 1: address 0x7fff9c length 4096 is outside guest RAM");
}

static void buffer_address_overflow_is_reported(void **state)
{
	struct fake *f = *state;
	struct seg s = { 0xfffffffffffff000ULL, 0x2000, false };

	add_chain(f, &s, 1);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 0: address 0xfffffffffffff000 length 8192 is outside guest RAM");
}

static void readable_after_writable_is_reported(void **state)
{
	struct fake *f = *state;
	struct seg s[] = { { BUF_GPA, 8, false }, { BUF_GPA, 8, true }, { BUF_GPA, 8, false } };

	add_chain(f, s, 3);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 2: a device-readable buffer after a device-writable one");
}

static void nested_indirect_is_reported(void **state)
{
	struct fake *f = *state;

	f->vq.indirect = true;
	put_desc(f, IND_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, IND_GPA, 1, IND_GPA + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	put_desc(f, DESC_GPA, 3, IND_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(f, 3);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 1 of the indirect table in descriptor 3: nested INDIRECT");
}

static void indirect_without_negotiation_is_reported(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, false };

	add_indirect(f, &s, 1);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 0: INDIRECT flag set, but VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
}

static void indirect_table_with_bad_length_is_reported(void **state)
{
	struct fake *f = *state;

	f->vq.indirect = true;
	put_desc(f, DESC_GPA, 0, IND_GPA, 24, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_pop_fails(f, ERR_INVALID, "descriptor 0: indirect table length 24 is not a positive multiple of 16");
	rearm(f, true);
	put_desc(f, DESC_GPA, 0, IND_GPA, 0, VRING_DESC_F_INDIRECT, 0);
	assert_pop_fails(f, ERR_INVALID, "indirect table length 0 is not a positive multiple of 16");
	rearm(f, true);
	put_desc(f, DESC_GPA, 0, IND_GPA, 16 * (VQ_MAX_SEGS + 1), VRING_DESC_F_INDIRECT, 0);
	assert_pop_fails(f, ERR_LIMIT, "indirect table of 1025 entries is larger than the limit of 1024");
	rearm(f, true);
	put_desc(f, DESC_GPA, 0, RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	assert_pop_fails(f, ERR_INVALID, "indirect table at 0x7ffff0 length 32 is outside guest RAM");
}

static void indirect_with_next_is_reported(void **state)
{
	struct fake *f = *state;

	f->vq.indirect = true;
	put_desc(f, IND_GPA, 0, BUF_GPA, 8, 0, 0);
	put_desc(f, DESC_GPA, 0, IND_GPA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, BUF_GPA, 8, 0, 0);
	publish(f, 0);
	assert_pop_fails(f, ERR_INVALID, "descriptor 0: INDIRECT and NEXT set in the same descriptor");
}

static void too_many_segments_is_reported(void **state)
{
	struct fake *f = *state;

	/* One direct buffer, then an indirect table of the maximum 1024: 1025 buffers. */
	f->vq.indirect = true;
	for (unsigned i = 0; i < VQ_MAX_SEGS; i++)
		put_desc(f, IND_GPA, i, BUF_GPA, 8, i + 1 < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	put_desc(f, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC_GPA, 1, IND_GPA, 16 * VQ_MAX_SEGS, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_pop_fails(f, ERR_LIMIT, "descriptor chain has more than 1024 buffers");
}

static void total_length_over_4gib_is_reported(void **state)
{
	struct fake *f = *state;

	/* Overlapping 5 MiB buffers: each is inside RAM, 820 of them exceed 4 GiB. */
	f->vq.indirect = true;
	for (unsigned i = 0; i < VQ_MAX_SEGS; i++)
		put_desc(f, IND_GPA, i, BUF_GPA, 5 << 20, i + 1 < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	put_desc(f, DESC_GPA, 0, IND_GPA, 16 * VQ_MAX_SEGS, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_pop_fails(f, ERR_INVALID,
			 "descriptor 819 of the indirect table in descriptor 0: the chain's total length overflows 4 GiB");
}

static void avail_idx_jump_is_reported(void **state)
{
	struct fake *f = *state;

	set_avail_idx(f, QSZ + 1);
	assert_pop_fails(f, ERR_INVALID, "driver advanced avail idx by 257 > queue size 256");
}

static void check_rings_rejects_misaligned_rings(void **state)
{
	struct fake *f = *state;

	f->vq.desc_gpa = DESC_GPA + 8;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "descriptor table at 0x1008 is not 16-byte aligned");
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA + 1;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "avail ring at 0x2001 is not 2-byte aligned");
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA + 2;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "used ring at 0x3002 is not 4-byte aligned");
	f->vq.used_gpa = USED_GPA;
	f->vq.size = 100;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "queue size 100 is not a power of two");
}

static void check_rings_rejects_rings_outside_ram(void **state)
{
	struct fake *f = *state;

	f->vq.desc_gpa = RAM_SIZE - 16 * QSZ + 16;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID,
		   "descriptor table at 0x7ff010 (4096 bytes for 256 entries) is outside guest RAM");
	f->vq.desc_gpa = RAM_SIZE - 16 * QSZ;
	/* The event field after the ring counts: 6 + 2 * 256 bytes. */
	f->vq.avail_gpa = RAM_SIZE - 516;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "avail ring at 0x7ffdfc (518 bytes for 256 entries)");
	f->vq.avail_gpa = RAM_SIZE - 518;
	f->vq.used_gpa = RAM_SIZE - 2052;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "used ring at 0x7ff7fc (2054 bytes for 256 entries)");
	f->vq.used_gpa = 0xfffffffffffffff0ULL;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), -1);
	assert_err(f->e, ERR_INVALID, "used ring at 0xfffffffffffffff0");
	f->vq.used_gpa = RAM_SIZE - 2056;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), 0);	/* exactly fits */
}

static void broken_queue_stays_broken_until_reset(void **state)
{
	struct fake *f = *state;
	struct seg s = { BUF_GPA, 8, false };

	publish(f, 999);
	assert_pop_fails(f, ERR_INVALID, "head descriptor 999");
	/* The driver "fixes" the ring: still nothing until the device is reset. */
	*ring16(f, AVAIL_GPA + 4) = 0;
	put_desc(f, DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 0);
	vq_reset(&f->vq);
	assert_false(f->vq.broken);
	assert_int_equal(f->vq.size, QSZ);
	assert_ptr_equal(f->vq.mem, &f->m);
	/* The driver sets the queue up again from scratch. */
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	assert_int_equal(vq_check_rings(&f->vq, &f->e), 0);
	f->vq.ready = true;
	f->avail_idx = 0;
	f->next_desc = 0;
	set_avail_idx(f, 0);
	add_chain(f, &s, 1);
	assert_int_equal(vq_pop(&f->vq, &f->chain, &f->e), 1);
}

/* --- vdev helpers --- */

struct fake_transport {
	struct vdev vdev;
	unsigned queue_irqs, config_irqs;
};

static void ft_notify_queue(struct vdev *vdev, unsigned qidx)
{
	((struct fake_transport *)vdev)->queue_irqs++;
}

static void ft_notify_config(struct vdev *vdev)
{
	((struct fake_transport *)vdev)->config_irqs++;
}

static const struct vdev_transport_ops ft_ops = {
	.notify_queue = ft_notify_queue,
	.notify_config = ft_notify_config,
};

static const struct vdev_ops fake_dev_ops = { .name = "virtio-fake-pci", .device_id = 99 };

static size_t drain(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void needs_reset_logs_once_and_reset_rearms_it(void **state)
{
	struct fake *f = *state;
	struct fake_transport *t = calloc(1, sizeof(*t));
	struct logger lg = { .level = VLOG_WARNING, .target = VLOG_TO_STDERR, .ident = "test" };
	int p[2];
	char buf[512];

	assert_non_null(t);
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	lg.fd = p[1];
	vdev_init(&t->vdev, &fake_dev_ops, &f->m, &lg, 2, 128, 0);
	assert_int_equal(t->vdev.vqs[1].size, 128);
	assert_ptr_equal(t->vdev.vqs[1].mem, &f->m);
	t->vdev.transport = &ft_ops;
	t->vdev.status = VIRTIO_STATUS_DRIVER_OK;
	vdev_set_needs_reset(&t->vdev, "descriptor 7: next index 300 is past the queue size 128");
	assert_true(t->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(t->config_irqs, 1);
	drain(p[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "virtio-fake-pci: descriptor 7: next index 300"));
	vdev_set_needs_reset(&t->vdev, "again");
	assert_int_equal(t->config_irqs, 1);
	assert_int_equal(drain(p[0], buf, sizeof(buf)), 0);

	t->vdev.vqs[0].broken = true;
	t->vdev.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	vdev_reset_common(&t->vdev);
	assert_int_equal(t->vdev.status, 0);
	assert_true(t->vdev.driver_features == 0);
	assert_false(t->vdev.vqs[0].broken);
	assert_int_equal(t->vdev.vqs[0].size, 128);
	snprintf(t->vdev.name, sizeof(t->vdev.name), "virtio-fake-pci (00:04.0)");
	vdev_set_needs_reset(&t->vdev, "bad request header");
	drain(p[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "virtio-fake-pci (00:04.0): bad request header"));
	assert_int_equal(t->config_irqs, 1);	/* not DRIVER_OK: no interrupt */
	close(p[0]);
	close(p[1]);
	pthread_mutex_destroy(&t->vdev.lock);
	free(t);
}

static void notify_queue_follows_the_ring(void **state)
{
	struct fake *f = *state;
	struct fake_transport *t = calloc(1, sizeof(*t));
	struct virtqueue *vq;

	assert_non_null(t);
	vdev_init(&t->vdev, &fake_dev_ops, &f->m, NULL, 1, QSZ, 0);
	t->vdev.transport = &ft_ops;
	vq = &t->vdev.vqs[0];
	vq->desc_gpa = DESC_GPA;
	vq->avail_gpa = AVAIL_GPA;
	vq->used_gpa = USED_GPA;
	assert_int_equal(vq_check_rings(vq, &f->e), 0);
	vq->ready = true;
	vq_push(vq, 0, 0);
	vdev_notify_queue(&t->vdev, 0);
	assert_int_equal(t->queue_irqs, 1);
	*ring16(f, AVAIL_GPA) = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(vq, 1, 0);
	vdev_notify_queue(&t->vdev, 0);
	assert_int_equal(t->queue_irqs, 1);
	vdev_notify_queue(&t->vdev, 5);	/* no such queue: ignored */
	assert_int_equal(t->queue_irqs, 1);
	pthread_mutex_destroy(&t->vdev.lock);
	free(t);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(simple_chain_pops_one_readable_buffer),
		T(read_then_write_chain_splits_out_and_in),
		T(push_publishes_used_element_and_idx),
		T(empty_or_disabled_queue_pops_nothing),
		T(indirect_table_is_followed_when_negotiated),
		T(direct_buffer_then_indirect_table),
		T(zero_length_buffer_carries_nothing),
		T(copy_helpers_cross_buffers_and_stop_at_the_end),
		T(no_interrupt_flag_suppresses_notify),
		T(used_event_suppresses_notify_until_passed),
		T(no_notify_flag_toggles_without_event_idx),
		T(avail_event_tracks_consumption_with_event_idx),
		T(indices_wrap_past_65535),
		T(full_ring_pops_every_entry),
		T(descriptor_loop_is_reported),
		T(self_loop_in_indirect_table_is_reported),
		T(next_index_past_queue_is_reported),
		T(head_index_past_queue_is_reported),
		T(buffer_past_end_of_ram_is_reported),
		T(buffer_address_overflow_is_reported),
		T(readable_after_writable_is_reported),
		T(nested_indirect_is_reported),
		T(indirect_without_negotiation_is_reported),
		T(indirect_table_with_bad_length_is_reported),
		T(indirect_with_next_is_reported),
		T(too_many_segments_is_reported),
		T(total_length_over_4gib_is_reported),
		T(avail_idx_jump_is_reported),
		T(check_rings_rejects_misaligned_rings),
		T(check_rings_rejects_rings_outside_ram),
		T(broken_queue_stays_broken_until_reset),
		T(needs_reset_logs_once_and_reset_rearms_it),
		T(notify_queue_follows_the_ring),
	};
#undef T

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
