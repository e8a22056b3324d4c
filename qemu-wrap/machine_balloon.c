/* The machine's memory balloon, as QEMU 7.2 presents it:
 *
 *   -device virtio-balloon-pci[,id=ID][,deflate-on-oom=on][,free-page-reporting=on]
 *           [,page-poison=on|off][,guest-stats-polling-interval=SECS][,addr=..][,bus=pci.0]
 *
 * QMP: balloon (target in bytes, clamped to the boot size as QEMU does), query-balloon
 * ({"actual": bytes} = RAM - actual pages * 4 KiB), qom-get/qom-set of guest-stats and
 * guest-stats-polling-interval on the device's QOM path (/machine/peripheral/ID, or
 * /machine/peripheral-anon/device[N] for the Nth -device without an id, and its
 * /virtio-backend child), and the BALLOON_CHANGE event, rate-limited as QEMU's monitor
 * does (monitor_qapi_event_conf: 1 s): the first change is sent at once, later ones
 * within the second are held and only the latest is sent when the second is over,
 * which opens the next second. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/balloon.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/loader.h"
#include "qemu-wrap/machine.h"

#define BALLOON_EVENT_RATE_MS	1000		/* QEMU: QAPI_EVENT_BALLOON_CHANGE */
#define LOW_RESERVED		0x100000ULL	/* loader data, ACPI tables, firmware */
#define PCI_TYPE		"virtio-balloon-pci"
#define BACKEND_TYPE		"virtio-balloon-device"

struct machine_balloon {
	struct machine *m;
	struct vdev *vdev;		/* owned by m->virtio[] once added */
	char *qom_path;
	uint64_t ram_size;

	int64_t poll_interval;		/* seconds; 0: no polling (main thread) */
	struct ev_source *poll_timer;

	pthread_mutex_t ev_lock;	/* BALLOON_CHANGE rate limiting */
	struct ev_source *ev_timer;
	bool ev_window;			/* an event went out less than a second ago */
	bool ev_pending;
	uint32_t ev_actual;
};

/* ---- BALLOON_CHANGE ---- */

static void emit_change(struct machine_balloon *mb, uint32_t actual)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "actual", json_object_new_int64(
		(int64_t)(mb->ram_size - ((uint64_t)actual << VIRTIO_BALLOON_PFN_SHIFT))));
	machine_emit(mb->m, "BALLOON_CHANGE", d);
}

/* The driver wrote a new `actual` (a vCPU thread). */
static void on_actual_changed(void *opaque, uint32_t actual)
{
	struct machine_balloon *mb = opaque;

	pthread_mutex_lock(&mb->ev_lock);
	if (mb->ev_window) {
		mb->ev_pending = true;
		mb->ev_actual = actual;
	} else {
		mb->ev_window = true;
		emit_change(mb, actual);
		evloop_timer_set(mb->ev_timer, BALLOON_EVENT_RATE_MS, 0, NULL);
	}
	pthread_mutex_unlock(&mb->ev_lock);
}

static void on_ev_timer(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct machine_balloon *mb = data;

	pthread_mutex_lock(&mb->ev_lock);
	if (mb->ev_pending) {
		mb->ev_pending = false;
		emit_change(mb, mb->ev_actual);
		evloop_timer_set(mb->ev_timer, BALLOON_EVENT_RATE_MS, 0, NULL);
	} else {
		mb->ev_window = false;
	}
	pthread_mutex_unlock(&mb->ev_lock);
}

/* ---- stats polling ---- */

/* QEMU polls on the virtual clock, which stands still while the VM is stopped. */
static void on_poll_timer(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct machine_balloon *mb = data;

	if (mb->m->status == MACHINE_RUNNING && mb->vdev)
		virtio_balloon_request_stats(mb->vdev);
}

/* Every `secs` seconds from now on (the first poll at once, as QEMU), or never. */
static void set_poll_interval(struct machine_balloon *mb, int64_t secs)
{
	mb->poll_interval = secs;
	evloop_timer_set(mb->poll_timer, 0, (uint64_t)secs * 1000, NULL);
}

/* ---- the device ---- */

/* The RAM the guest may give back: the e820 RAM above the loader's first MiB. */
static unsigned releasable_ram(const struct gmem *mem, struct balloon_range *out, unsigned max)
{
	struct e820_entry e820[8];
	unsigned n = loader_e820(mem, e820, 8), k = 0;

	for (unsigned i = 0; i < n && k < max; i++) {
		uint64_t start = e820[i].addr, end = e820[i].addr + e820[i].size;

		if (e820[i].type != 1)
			continue;
		if (start < LOW_RESERVED)
			start = LOW_RESERVED;
		if (start < end)
			out[k++] = (struct balloon_range){ start, end };
	}
	return k;
}

/* QEMU's QOM path of the device: /machine/peripheral/ID, or device[N] among the
 * -device options without an id, counted in command-line order. */
static char *qom_path_of(const struct vmm_config *cfg, const struct vmm_device *d)
{
	unsigned anon = 0;

	if (d->id)
		return xasprintf("/machine/peripheral/%s", d->id);
	for (size_t i = 0; i < cfg->n_devices && &cfg->devices[i] != d; i++)
		if (!cfg->devices[i].id)
			anon++;
	return xasprintf("/machine/peripheral-anon/device[%u]", anon);
}

static int check_props(const struct vmm_device *d, struct virtio_balloon_opts *o,
		       uint64_t *interval, struct err **errp)
{
	static const char *const keys[] = {
		"addr", "bus", "vectors", "disable-legacy", "disable-modern", "deflate-on-oom",
		"free-page-reporting", "free-page-hint", "page-poison",
		"guest-stats-polling-interval", NULL,
	};
	const char *what = "-device " PCI_TYPE, *bus = vmm_props_get(&d->props, "bus");
	const char *legacy = vmm_props_get(&d->props, "disable-legacy");
	bool hint, modern_off, legacy_off = true;

	if (vmm_props_check_keys(&d->props, what, keys, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "deflate-on-oom", false, &o->deflate_on_oom,
			   errp) < 0 ||
	    vmm_props_bool(&d->props, what, "free-page-reporting", false, &o->free_page_reporting,
			   errp) < 0 ||
	    vmm_props_bool(&d->props, what, "page-poison", true, &o->page_poison, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "free-page-hint", false, &hint, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "disable-modern", false, &modern_off, errp) < 0 ||
	    /* "auto", QEMU's default, is what the modern-only transport does anyway */
	    (legacy && !streq(legacy, "auto") &&
	     vmm_props_bool(&d->props, what, "disable-legacy", true, &legacy_off, errp) < 0) ||
	    vmm_props_uint(&d->props, what, "guest-stats-polling-interval", 0, UINT32_MAX, 0,
			   interval, errp) < 0)
		return -1;
	if (hint)
		return err_set(errp, ERR_UNSUPPORTED, _("%s: free-page-hint=on is not supported"),
			       what);
	if (modern_off || !legacy_off)
		return err_set(errp, ERR_UNSUPPORTED, _("%s: vireo-vmm's virtio devices are "
							"modern only (disable-legacy=on)"), what);
	if (bus && !streq(bus, "pci.0"))
		return err_set(errp, ERR_INVALID, _("%s: bus=%s: the machine has one PCI bus, "
						    "pci.0"), what, bus);
	return 0;
}

struct vdev *machine_balloon_new(struct machine *m, const struct vmm_device *d,
				 struct err **errp)
{
	struct balloon_range ram[VIRTIO_BALLOON_MAX_RAM_RANGES];
	struct virtio_balloon_opts o = { 0 };
	struct machine_balloon *mb;
	uint64_t interval;

	if (m->balloon) {
		err_set(errp, ERR_INVALID, _("-device %s: only one balloon device is supported"),
			PCI_TYPE);
		return NULL;
	}
	if (check_props(d, &o, &interval, errp) < 0)
		return NULL;
	mb = xzalloc(sizeof(*mb));
	mb->m = m;
	mb->ram_size = m->vm.mem.size;
	mb->qom_path = qom_path_of(m->cfg, d);
	pthread_mutex_init(&mb->ev_lock, NULL);
	m->balloon = mb;
	mb->ev_timer = evloop_add_timer(m->loop, 0, 0, on_ev_timer, mb, errp);
	mb->poll_timer = evloop_add_timer(m->loop, 0, 0, on_poll_timer, mb, errp);
	if (!mb->ev_timer || !mb->poll_timer)
		return NULL;
	o.ram = ram;
	o.n_ram = releasable_ram(&m->vm.mem, ram, VIRTIO_BALLOON_MAX_RAM_RANGES);
	o.actual_changed = on_actual_changed;
	o.opaque = mb;
	mb->vdev = virtio_balloon_new(&o, &m->vm.mem, m->log, errp);
	if (mb->vdev && interval)
		set_poll_interval(mb, (int64_t)interval);
	return mb->vdev;
}

void machine_balloon_free(struct machine *m)
{
	struct machine_balloon *mb = m->balloon;

	if (!mb)
		return;
	evloop_remove(mb->ev_timer);
	evloop_remove(mb->poll_timer);
	pthread_mutex_destroy(&mb->ev_lock);
	free(mb->qom_path);
	free(mb);
	m->balloon = NULL;
}

/* ---- QMP ---- */

/* The balloon, or NULL with QEMU's error for a machine without one. */
static struct machine_balloon *active(struct machine *m, struct err **errp)
{
	if (m->balloon && m->balloon->vdev)
		return m->balloon;
	err_set(errp, QMP_CLASS_DEVICE_NOT_ACTIVE, _("No balloon device has been activated"));
	return NULL;
}

int machine_qmp_balloon(void *vm, int64_t bytes, struct err **errp)
{
	struct machine_balloon *mb = active(vm, errp);
	uint64_t target, pages;

	if (!mb)
		return -1;
	/* QEMU clamps a target above the RAM size (virtio_balloon_to_target). */
	target = (uint64_t)bytes < mb->ram_size ? (uint64_t)bytes : mb->ram_size;
	pages = (mb->ram_size - target) >> VIRTIO_BALLOON_PFN_SHIFT;
	virtio_balloon_set_num_pages(mb->vdev, (uint32_t)pages);
	return 0;
}

json_object *machine_qmp_query_balloon(void *vm, struct err **errp)
{
	struct machine_balloon *mb = active(vm, errp);
	json_object *o;
	uint64_t actual;

	if (!mb)
		return NULL;
	actual = (uint64_t)virtio_balloon_actual(mb->vdev) << VIRTIO_BALLOON_PFN_SHIFT;
	o = json_object_new_object();
	json_object_object_add(o, "actual",
			       json_object_new_int64((int64_t)(mb->ram_size - actual)));
	return o;
}

/* QEMU's guest-stats: {"stats": {...}, "last-update": N}, the stats in the order QEMU
 * 7.2 happens to write them (its QDict's hash order), unreported ones as 2^64 - 1. */
static json_object *guest_stats(struct machine_balloon *mb)
{
	static const unsigned order[VIRTIO_BALLOON_S_NR] = {
		VIRTIO_BALLOON_S_HTLB_PGALLOC, VIRTIO_BALLOON_S_SWAP_OUT, VIRTIO_BALLOON_S_AVAIL,
		VIRTIO_BALLOON_S_HTLB_PGFAIL, VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MINFLT,
		VIRTIO_BALLOON_S_MAJFLT, VIRTIO_BALLOON_S_MEMTOT, VIRTIO_BALLOON_S_SWAP_IN,
		VIRTIO_BALLOON_S_CACHES,
	};
	struct virtio_balloon_stats s;
	json_object *o = json_object_new_object(), *st = json_object_new_object();

	virtio_balloon_get_stats(mb->vdev, &s);
	for (unsigned i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		json_object_object_add(st, virtio_balloon_stat_name(order[i]),
				       json_object_new_uint64(s.value[order[i]]));
	json_object_object_add(o, "stats", st);
	json_object_object_add(o, "last-update", json_object_new_int64(s.last_update));
	return o;
}

/* Does path (absolute, or QEMU's partial path: trailing components) name `full`? */
static bool path_names(const char *path, const char *full)
{
	size_t pl = strlen(path), fl = strlen(full);

	while (pl > 1 && path[pl - 1] == '/')
		pl--;
	if (path[0] == '/')
		return pl == fl && strncmp(path, full, pl) == 0;
	return pl > 0 && pl < fl && strncmp(full + fl - pl, path, pl) == 0 &&
	       full[fl - pl - 1] == '/';
}

/* The QOM type at path (the balloon, its backend, another -device), or NULL with
 * QEMU's DeviceNotFound error. */
static const char *qom_type(struct machine *m, const char *path, struct err **errp)
{
	struct machine_balloon *mb = m->balloon;
	unsigned anon = 0;

	if (mb && mb->vdev) {
		char *backend = xasprintf("%s/virtio-backend", mb->qom_path);
		bool is_backend = path_names(path, backend);

		free(backend);
		if (is_backend)
			return BACKEND_TYPE;
		if (path_names(path, mb->qom_path))
			return PCI_TYPE;
	}
	for (size_t i = 0; i < m->cfg->n_devices; i++) {
		const struct vmm_device *d = &m->cfg->devices[i];
		char *p = d->id ? xasprintf("/machine/peripheral/%s", d->id)
				: xasprintf("/machine/peripheral-anon/device[%u]", anon++);
		bool hit = path_names(path, p);

		free(p);
		if (hit)
			return d->driver;
	}
	err_set(errp, QMP_CLASS_DEVICE_NOT_FOUND, _("Device '%s' not found"), path);
	return NULL;
}

static bool is_balloon_type(const char *type)
{
	return streq(type, PCI_TYPE) || streq(type, BACKEND_TYPE);
}

json_object *machine_qmp_qom_get(void *vm, const char *path, const char *property,
				 struct err **errp)
{
	struct machine *m = vm;
	const char *type = qom_type(m, path, errp);

	if (!type)
		return NULL;
	if (streq(property, "type"))
		return json_object_new_string(type);
	if (is_balloon_type(type) && streq(property, "guest-stats"))
		return guest_stats(m->balloon);
	if (is_balloon_type(type) && streq(property, "guest-stats-polling-interval"))
		return json_object_new_int64(m->balloon->poll_interval);
	err_set(errp, ERR_INVALID, _("Property '%s.%s' not found"), type, property);
	return NULL;
}

/* QEMU's balloon_stats_set_poll_interval, with its messages. */
static int set_interval(struct machine_balloon *mb, json_object *value, struct err **errp)
{
	int64_t v;

	/* QEMU's visitor takes only integers that fit int64 ("expected: integer"). */
	if (!json_object_is_type(value, json_type_int) ||
	    (json_object_get_int64(value) == INT64_MAX &&
	     json_object_get_uint64(value) > (uint64_t)INT64_MAX))
		return err_set(errp, ERR_INVALID,
			       _("Invalid parameter type for '%s', expected: %s"),
			       "guest-stats-polling-interval", "integer");
	v = json_object_get_int64(value);
	if (v < 0)
		return err_set(errp, ERR_INVALID, _("timer value must be greater than zero"));
	if (v > (int64_t)UINT32_MAX)
		return err_set(errp, ERR_INVALID, _("timer value is too big"));
	if (v != mb->poll_interval)
		set_poll_interval(mb, v);
	return 0;
}

int machine_qmp_qom_set(void *vm, const char *path, const char *property, json_object *value,
			struct err **errp)
{
	struct machine *m = vm;
	const char *type = qom_type(m, path, errp);

	if (!type)
		return -1;
	if (is_balloon_type(type) && streq(property, "guest-stats-polling-interval"))
		return set_interval(m->balloon, value, errp);
	/* QEMU reports guest-stats from the backend, where the alias leads. */
	if (is_balloon_type(type) && streq(property, "guest-stats"))
		return err_set(errp, ERR_INVALID, _("Property '%s.%s' is not writable"),
			       BACKEND_TYPE, property);
	if (streq(property, "type"))
		return err_set(errp, ERR_INVALID, _("Property '%s.%s' is not writable"), type,
			       property);
	return err_set(errp, ERR_INVALID, _("Property '%s.%s' not found"), type, property);
}
