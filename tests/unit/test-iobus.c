/* Unit tests: drivers/bus/iobus (region registry and dispatch) */
#include "tests/unit/unit.h"

#include <pthread.h>

#include "drivers/bus/iobus.h"

/* A device that remembers the last access and answers reads with base + offset. */
struct probe {
	uint64_t answer;
	uint64_t last_offset;
	unsigned last_size;
	uint64_t last_value;
	unsigned reads, writes;
};

static uint64_t probe_read(void *dev, uint64_t offset, unsigned size)
{
	struct probe *p = dev;

	p->reads++;
	p->last_offset = offset;
	p->last_size = size;
	return p->answer + offset;
}

static void probe_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct probe *p = dev;

	p->writes++;
	p->last_offset = offset;
	p->last_size = size;
	p->last_value = value;
}

static const struct io_ops probe_ops = { .name = "probe", .read = probe_read,
					 .write = probe_write };
static const struct io_ops other_ops = { .name = "other", .read = probe_read,
					 .write = probe_write };

static void dispatch_reaches_the_region_with_its_offset(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { .answer = 0x100 }, b = { .answer = 0x200 };
	struct err *e = NULL;
	uint64_t v;

	assert_int_equal(iobus_register(bus, 0x3f8, 8, &probe_ops, &a, &e), 0);
	assert_int_equal(iobus_register(bus, 0x2f8, 8, &probe_ops, &b, &e), 0);
	assert_true(iobus_dispatch(bus, 0x3fd, 2, false, &v));
	assert_int_equal(v, 0x105);
	assert_true(iobus_dispatch(bus, 0x2f8, 1, false, &v));
	assert_int_equal(v, 0x00);		/* 0x200 cut to one byte */
	v = 0x1234;
	assert_true(iobus_dispatch(bus, 0x2fa, 2, true, &v));
	assert_int_equal(b.last_offset, 2);
	assert_int_equal(b.last_size, 2);
	assert_int_equal(b.last_value, 0x1234);
	assert_int_equal(a.writes, 0);
	assert_int_equal(iobus_count(bus), 2);
	iobus_free(bus);
}

static void unclaimed_and_straddling_accesses_are_refused(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { 0 };
	struct err *e = NULL;
	uint64_t v = 0;

	assert_false(iobus_dispatch(bus, 0x80, 1, false, &v));	/* empty bus */
	assert_int_equal(iobus_register(bus, 0x60, 1, &probe_ops, &a, &e), 0);
	assert_false(iobus_dispatch(bus, 0x5f, 1, false, &v));
	assert_false(iobus_dispatch(bus, 0x61, 1, false, &v));
	assert_false(iobus_dispatch(bus, 0x60, 2, false, &v));	/* runs past the end */
	assert_false(iobus_dispatch(bus, 0x5f, 2, true, &v));	/* starts before it */
	assert_false(iobus_dispatch(bus, 0x60, 0, false, &v));
	assert_false(iobus_dispatch(bus, 0x60, 9, false, &v));
	assert_false(iobus_dispatch(bus, UINT64_MAX, 8, false, &v));
	assert_int_equal(a.reads + a.writes, 0);
	iobus_free(bus);
}

static void overlap_is_an_error_naming_both_regions(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { 0 };
	struct err *e = NULL;

	assert_int_equal(iobus_register(bus, 0x1000, 0x100, &probe_ops, &a, &e), 0);
	/* Touching is fine on both sides. */
	assert_int_equal(iobus_register(bus, 0x0f00, 0x100, &other_ops, &a, &e), 0);
	assert_int_equal(iobus_register(bus, 0x1100, 0x100, &other_ops, &a, &e), 0);
	assert_int_equal(iobus_register(bus, 0x10ff, 1, &other_ops, &a, &e), -1);
	assert_err(e, ERR_EXISTS, "other at 0x10ff-0x10ff overlaps probe at 0x1000-0x10ff");
	assert_int_equal(iobus_register(bus, 0x0800, 0x1000, &other_ops, &a, &e), -1);
	assert_err(e, ERR_EXISTS, "overlaps");
	assert_int_equal(iobus_register(bus, 0x1050, 0x10, &other_ops, &a, &e), -1);
	assert_err(e, ERR_EXISTS, "probe at 0x1000-0x10ff");
	assert_int_equal(iobus_count(bus), 3);
	iobus_free(bus);
}

static void bad_lengths_are_refused_but_the_top_of_space_is_usable(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { .answer = 7 };
	struct err *e = NULL;
	uint64_t v;

	assert_int_equal(iobus_register(bus, 0x10, 0, &probe_ops, &a, &e), -1);
	assert_err(e, ERR_INVALID, "invalid length");
	assert_int_equal(iobus_register(bus, UINT64_MAX - 1, 3, &probe_ops, &a, &e), -1);
	assert_err(e, ERR_INVALID, "probe");
	assert_int_equal(iobus_register(bus, 0x10, 1, NULL, &a, &e), -1);
	assert_err(e, ERR_INTERNAL, "no operations");
	assert_int_equal(iobus_register(bus, UINT64_MAX - 15, 16, &probe_ops, &a, &e), 0);
	assert_true(iobus_dispatch(bus, UINT64_MAX - 7, 8, false, &v));
	assert_int_equal(v, 7 + 8);
	assert_false(iobus_dispatch(bus, UINT64_MAX, 2, false, &v));
	iobus_free(bus);
}

static void unregister_removes_only_the_owner_s_region(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { 0 }, b = { 0 };
	struct err *e = NULL;
	uint64_t v;

	assert_int_equal(iobus_register(bus, 0x70, 2, &probe_ops, &a, &e), 0);
	iobus_unregister(bus, 0x70, &b);	/* not b's */
	iobus_unregister(bus, 0x71, &a);	/* not where it starts */
	assert_true(iobus_dispatch(bus, 0x71, 1, false, &v));
	iobus_unregister(bus, 0x70, &a);
	assert_false(iobus_dispatch(bus, 0x71, 1, false, &v));
	assert_int_equal(iobus_count(bus), 0);
	iobus_unregister(bus, 0x70, &a);	/* twice is harmless */
	assert_int_equal(iobus_register(bus, 0x70, 2, &probe_ops, &b, &e), 0);
	iobus_free(bus);
}

static void many_regions_in_any_order_are_found(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe p[200];
	struct err *e = NULL;
	uint64_t v;

	for (unsigned i = 0; i < 200; i++) {
		unsigned k = (i * 73) % 200;	/* a permutation of 0..199 */

		p[k] = (struct probe){ .answer = 1000 * k };
		assert_int_equal(iobus_register(bus, 0x10000 + 0x10 * k, 0x8, &probe_ops,
						&p[k], &e), 0);
	}
	assert_int_equal(iobus_count(bus), 200);
	for (unsigned k = 0; k < 200; k++) {
		assert_true(iobus_dispatch(bus, 0x10000 + 0x10 * k + 4, 4, false, &v));
		assert_int_equal(v, 1000 * k + 4);
		assert_false(iobus_dispatch(bus, 0x10000 + 0x10 * k + 8, 1, false, &v));
	}
	iobus_free(bus);
}

static void values_are_cut_to_the_access_size(void **state)
{
	struct iobus *bus = iobus_new();
	struct probe a = { .answer = UINT64_MAX - 0x10 };
	struct err *e = NULL;
	uint64_t v;

	assert_int_equal(iobus_register(bus, 0, 16, &probe_ops, &a, &e), 0);
	assert_true(iobus_dispatch(bus, 0, 2, false, &v));
	assert_int_equal(v, 0xffef);
	v = 0x1122334455667788ULL;
	assert_true(iobus_dispatch(bus, 4, 4, true, &v));
	assert_int_equal(a.last_value, 0x55667788);
	assert_true(iobus_dispatch(bus, 8, 8, true, &v));
	assert_true(a.last_value == 0x1122334455667788ULL);
	iobus_free(bus);
}

/* A device that claims a second region from inside its write handler, as the PCI
 * host bridge does when the guest moves a BAR: must not deadlock. */
struct mover {
	struct iobus *bus;
	struct probe target;
};

static void mover_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
	struct mover *m = dev;

	iobus_unregister(m->bus, 0x9000, &m->target);
	iobus_register(m->bus, value, 4, &probe_ops, &m->target, NULL);
}

static const struct io_ops mover_ops = { .name = "mover", .write = mover_write };

static void a_callback_may_move_regions(void **state)
{
	struct mover m = { .bus = iobus_new() };
	struct err *e = NULL;
	uint64_t v = 0x9000;

	assert_int_equal(iobus_register(m.bus, 0xcf8, 4, &mover_ops, &m, &e), 0);
	assert_true(iobus_dispatch(m.bus, 0xcf8, 4, true, &v));
	assert_true(iobus_dispatch(m.bus, 0x9002, 1, false, &v));
	assert_int_equal(iobus_count(m.bus), 2);
	assert_true(iobus_dispatch(m.bus, 0xcf8, 1, false, &v));
	assert_int_equal(v, 0);			/* no read handler: reads 0 */
	iobus_free(m.bus);
}

static uint64_t constant_read(void *dev, uint64_t offset, unsigned size)
{
	return 0x5a;
}

static const struct io_ops constant_ops = { .name = "constant", .read = constant_read };

struct race {
	struct iobus *bus;
	int stop;
	unsigned bad;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	unsigned bad = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t v = 0;

		if (!iobus_dispatch(r->bus, 0x5000, 1, false, &v) || v != 0x5a)
			bad++;
	}
	__atomic_add_fetch(&r->bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void concurrent_dispatch_and_registration(void **state)
{
	struct race r = { .bus = iobus_new() };
	struct err *e = NULL;
	pthread_t readers[4];
	int tokens[64];

	assert_int_equal(iobus_register(r.bus, 0x5000, 1, &constant_ops, &r, &e), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &r), 0);
	for (unsigned round = 0; round < 200; round++) {
		for (unsigned i = 0; i < 64; i++)
			assert_int_equal(iobus_register(r.bus, 0x4000 + 0x40 * i, 0x20,
							&constant_ops, &tokens[i], &e), 0);
		for (unsigned i = 0; i < 64; i++)
			iobus_unregister(r.bus, 0x4000 + 0x40 * i, &tokens[i]);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(readers[i], NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(iobus_count(r.bus), 1);
	iobus_free(r.bus);
}

static void register_helpers_slice_little_endian_values(void **state)
{
	assert_int_equal(io_mask(0x1122334455667788ULL, 1), 0x88);
	assert_true(io_mask(UINT64_MAX, 8) == UINT64_MAX);
	assert_int_equal(io_reg_read(0xaabbccdd, 4, 1, 2), 0xbbcc);
	assert_int_equal(io_reg_read(0xaabbccdd, 4, 3, 4), 0xaa);	/* beyond width: 0 */
	assert_int_equal(io_reg_read(0xaabbccdd, 4, 4, 1), 0);
	assert_int_equal(io_reg_merge(0xaabbccdd, 4, 1, 1, 0x11), 0xaabb11dd);
	assert_int_equal(io_reg_merge(0xaabbccdd, 4, 2, 4, 0x44332211), 0x2211ccdd);
	assert_int_equal(io_reg_merge(0xaabbccdd, 4, 9, 1, 0), 0xaabbccdd);
	assert_int_equal(io_reg_merge(0xffff, 2, 0, 2, 0x12345678), 0x5678);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dispatch_reaches_the_region_with_its_offset),
		cmocka_unit_test(unclaimed_and_straddling_accesses_are_refused),
		cmocka_unit_test(overlap_is_an_error_naming_both_regions),
		cmocka_unit_test(bad_lengths_are_refused_but_the_top_of_space_is_usable),
		cmocka_unit_test(unregister_removes_only_the_owner_s_region),
		cmocka_unit_test(many_regions_in_any_order_are_found),
		cmocka_unit_test(values_are_cut_to_the_access_size),
		cmocka_unit_test(a_callback_may_move_regions),
		cmocka_unit_test(concurrent_dispatch_and_registration),
		cmocka_unit_test(register_helpers_slice_little_endian_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
