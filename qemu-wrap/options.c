/* vireo-vmm's command line: the option table, the machine-wide options (-name, -m,
 * -smp, -machine, -cpu, -boot, ...) and the checks after the last option. The
 * options that add chardevs, devices and backends are in opts_dev.c, the key=value
 * and JSON syntax in opts_kv.c. See options.h. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"
#include "qemu-wrap/options_priv.h"

#define MIB ((uint64_t)1 << 20)
#define DEFAULT_MEM_BYTES (128 * MIB)	/* QEMU's default -m */
#define MAX_MEM_BYTES ((uint64_t)1 << 40)
#define MAX_VCPUS 255u			/* the pc machine's limit (xAPIC ids) */
#define MAX_MEM_SLOTS 256u		/* QEMU's ACPI_MAX_RAM_SLOTS */

static void replace_str(char **field, const char *value)
{
	if (!value)
		return;
	free(*field);
	*field = xstrdup(value);
}

/* 0 if key is absent or its value is one of the '|'-separated choices; else -1 and
 * "WHAT: property 'KEY': 'V' is not valid (a, b)". */
static int check_choice(const struct vmm_props *p, const char *what, const char *key,
			const char *choices, struct err **errp)
{
	const char *v = vmm_props_get(p, key), *w = choices;
	size_t n = v ? strlen(v) : 0;
	struct strv list = STRV_INIT;
	char *text;

	if (!v)
		return 0;
	for (; *w; w += strcspn(w, "|"), w += *w == '|')
		if (n && strncmp(w, v, n) == 0 && (w[n] == '|' || w[n] == '\0'))
			return 0;
	strv_split(&list, choices, '|');
	text = strv_join(&list, ", ");
	opt_bad_value(p, what, key, text, errp);
	free(text);
	strv_free(&list);
	return -1;
}

/* ---- -name, -uuid ---- */

static int opt_name(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "guest", "process", "debug-threads", NULL };
	struct vmm_props p = { 0 };
	int rc = -1;

	if (opt_props_parse("-name", arg, "guest", false, keys, &p, errp) < 0 ||
	    vmm_props_bool(&p, "-name", "debug-threads", cfg->debug_threads,
			   &cfg->debug_threads, errp) < 0)
		goto out;
	replace_str(&cfg->name, vmm_props_get(&p, "guest"));
	replace_str(&cfg->process_name, vmm_props_get(&p, "process"));
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

static int hex_digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* 8-4-4-4-12 hex digits, as QEMU's qemu_uuid_parse. */
static bool uuid_parse(const char *s, uint8_t out[16])
{
	size_t i, n = 0;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	for (i = 0; i < 36; i += 2) {
		if (s[i] == '-')
			i++;
		out[n++] = (uint8_t)(hex_digit(s[i]) << 4 | hex_digit(s[i + 1]));
	}
	return true;
}

static int opt_uuid(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	if (!uuid_parse(arg, cfg->uuid))
		return err_set(errp, ERR_USAGE, _("-uuid: '%s' is not a valid UUID"), arg);
	cfg->uuid_set = true;
	return 0;
}

/* ---- -m ---- */

static int mem_size(struct vmm_config *cfg, const struct vmm_props *p, struct err **errp)
{
	const char *text = vmm_props_get(p, "size");
	uint64_t size;

	if (!text)
		return 0;
	/* QEMU: a bare number is MiB, and the size is rounded up to 8 KiB */
	if (vmm_props_size(p, "-m", "size", MIB, 0, &size, errp) < 0)
		return -1;
	if (size == 0)
		return err_set(errp, ERR_USAGE, _("-m: the memory size must not be 0"));
	if (size > MAX_MEM_BYTES)
		return err_set(errp, ERR_USAGE, _("-m: '%s' is more than 1 TiB"), text);
	cfg->mem_bytes = (size + 8191) & ~(uint64_t)8191;
	cfg->mem_given = true;
	return 0;
}

static int opt_m(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "size", "slots", "maxmem", NULL };
	struct vmm_props p = { 0 };
	uint64_t slots, maxmem;
	int rc = -1;

	if (opt_props_parse("-m", arg, "size", false, keys, &p, errp) < 0 ||
	    mem_size(cfg, &p, errp) < 0 ||
	    vmm_props_uint(&p, "-m", "slots", 0, MAX_MEM_SLOTS, cfg->mem_slots, &slots, errp) < 0 ||
	    vmm_props_size(&p, "-m", "maxmem", 1, cfg->mem_max_bytes, &maxmem, errp) < 0)
		goto out;
	cfg->mem_slots = (unsigned)slots;
	cfg->mem_max_bytes = maxmem;
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* ---- -smp ---- */

static int opt_smp(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = {
		"cpus", "maxcpus", "sockets", "dies", "cores", "threads", NULL,
	};
	unsigned *const fields[] = {
		&cfg->smp_given.cpus, &cfg->smp_given.maxcpus, &cfg->smp_given.sockets,
		&cfg->smp_given.dies, &cfg->smp_given.cores, &cfg->smp_given.threads,
	};
	struct vmm_props p = { 0 };
	uint64_t v;
	size_t i;
	int rc = -1;

	if (opt_props_parse("-smp", arg, "cpus", false, keys, &p, errp) < 0)
		goto out;
	/* several -smp merge, as QEMU's option group does */
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (vmm_props_uint(&p, "-smp", keys[i], 1, MAX_VCPUS, *fields[i], &v, errp) < 0)
			goto out;
		*fields[i] = (unsigned)v;
	}
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* Fill in what -smp omitted as QEMU 8's machine_parse_smp_config does for pc machines
 * (since 6.2 it prefers cores over sockets), then check the product. */
static int smp_finish(struct vmm_config *cfg, struct err **errp)
{
	const struct vmm_smp *g = &cfg->smp_given;
	uint64_t sockets = g->sockets, dies = g->dies ? g->dies : 1, cores = g->cores;
	uint64_t threads = g->threads, maxcpus = g->maxcpus, cpus = g->cpus, total;

	if (!cpus && !maxcpus) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (!cores) {
			sockets = sockets ? sockets : 1;
			threads = threads ? threads : 1;
			cores = maxcpus / (sockets * dies * threads);
		} else if (!sockets) {
			threads = threads ? threads : 1;
			sockets = maxcpus / (dies * cores * threads);
		}
		if (!threads)
			threads = maxcpus / (sockets * dies * cores);
	}
	total = sockets * dies * cores * threads;
	maxcpus = maxcpus ? maxcpus : total;
	cpus = cpus ? cpus : maxcpus;
	if (total != maxcpus)
		return err_set(errp, ERR_USAGE,
			       _("-smp: sockets (%" PRIu64 ") * dies (%" PRIu64 ") * cores (%"
				 PRIu64 ") * threads (%" PRIu64 ") != maxcpus (%" PRIu64 ")"),
			       sockets, dies, cores, threads, maxcpus);
	if (maxcpus < cpus)
		return err_set(errp, ERR_USAGE,
			       _("-smp: maxcpus (%" PRIu64 ") is less than cpus (%" PRIu64 ")"),
			       maxcpus, cpus);
	if (maxcpus > MAX_VCPUS)
		return err_set(errp, ERR_USAGE, _("-smp: %" PRIu64 " vCPUs, at most %u"),
			       maxcpus, MAX_VCPUS);
	cfg->smp = (struct vmm_smp){
		.cpus = (unsigned)cpus, .maxcpus = (unsigned)maxcpus,
		.sockets = (unsigned)sockets, .dies = (unsigned)dies,
		.cores = (unsigned)cores, .threads = (unsigned)threads,
	};
	return 0;
}

/* ---- -machine, -accel, -cpu ---- */

static bool machine_type_ok(const char *type)
{
	return strcmp(type, "pc") == 0 || str_starts_with(type, "pc-i440fx-");
}

/* libvirt's harmless machine properties: parsed, and refused only where they would
 * ask for something the worker does not have. */
static int machine_props(const struct vmm_props *p, struct err **errp)
{
	static const char *const ignored_bools[] = { "dump-guest-core", "mem-merge", "graphics" };
	bool b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ignored_bools); i++)
		if (vmm_props_bool(p, "-machine", ignored_bools[i], false, &b, errp) < 0)
			return -1;
	if (vmm_props_bool(p, "-machine", "usb", false, &b, errp) < 0)
		return -1;
	if (b)
		return err_set(errp, ERR_USAGE, _("-machine: usb=on is not supported "
						  "(vireo-vmm has no USB controller)"));
	return check_choice(p, "-machine", "vmport", "off|auto", errp);
}

static int opt_machine(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = {
		"type", "accel", "usb", "dump-guest-core", "mem-merge", "memory-backend",
		"vmport", "graphics", NULL,
	};
	struct vmm_props p = { 0 };
	const char *type, *accel, *backend;
	int rc = -1;

	if (opt_props_parse("-machine", arg, "type", false, keys, &p, errp) < 0 ||
	    machine_props(&p, errp) < 0)
		goto out;
	type = vmm_props_get(&p, "type");
	accel = vmm_props_get(&p, "accel");
	backend = vmm_props_get(&p, "memory-backend");
	if (type && !machine_type_ok(type)) {
		err_set(errp, ERR_USAGE, _("-machine: unsupported machine type '%s' "
					   "(vireo-vmm provides pc)"), type);
		goto out;
	}
	if (accel && strcmp(accel, "kvm") != 0) {
		err_set(errp, ERR_USAGE, _("-machine accel=%s: vireo-vmm only supports "
					   "-accel kvm"), accel);
		goto out;
	}
	if (backend && opt_check_id("-machine memory-backend", backend, errp) < 0)
		goto out;
	replace_str(&cfg->machine_type, type);
	replace_str(&cfg->memory_backend, backend);
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

static int opt_accel(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "accel", "dirty-ring-size", NULL };
	struct vmm_props p = { 0 };
	const char *accel;
	uint64_t ring;
	int rc = -1;

	if (opt_props_parse("-accel", arg, "accel", false, keys, &p, errp) < 0)
		goto out;
	accel = vmm_props_get(&p, "accel");
	if (!accel || strcmp(accel, "kvm") != 0) {
		err_set(errp, ERR_USAGE, _("-accel %s: vireo-vmm only supports -accel kvm"),
			accel ? accel : "");
		goto out;
	}
	/* the dirty ring serves migration, which the worker does not do */
	if (vmm_props_uint(&p, "-accel", "dirty-ring-size", 0, UINT32_MAX, 0, &ring, errp) < 0)
		goto out;
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

static int opt_enable_kvm(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	return 0;	/* -accel kvm, the only accelerator there is */
}

/* "+feat" and "-feat" are QEMU's legacy spellings of feat=on and feat=off. */
static void cpu_features(struct vmm_config *cfg, const struct vmm_props *p)
{
	size_t i;

	for (i = 0; i < p->len; i++) {
		const struct vmm_prop *it = &p->items[i];

		if (it->implied || strcmp(it->key, "model") == 0)
			continue;
		if ((it->key[0] == '+' || it->key[0] == '-') && it->key[1])
			vmm_props_set(&cfg->cpu_features, it->key + 1,
				      it->key[0] == '+' ? "on" : "off");
		else
			vmm_props_set(&cfg->cpu_features, it->key, it->value);
	}
}

static int opt_cpu(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const models[] = { "host", "max", "qemu64", "qemu32", "kvm64" };
	struct vmm_props p = { 0 };
	const char *model;
	size_t i;
	int rc = -1;

	if (opt_props_parse("-cpu", arg, "model", false, NULL, &p, errp) < 0)
		goto out;
	model = vmm_props_get(&p, "model");
	for (i = 0; model && i < ARRAY_SIZE(models); i++)
		if (strcmp(model, models[i]) == 0)
			break;
	if (!model || i == ARRAY_SIZE(models)) {
		err_set(errp, ERR_USAGE, _("-cpu: unsupported CPU model '%s' (vireo-vmm "
					   "provides host, max, qemu64, qemu32, kvm64)"),
			model ? model : "");
		goto out;
	}
	replace_str(&cfg->cpu_model, model);
	vmm_props_free(&cfg->cpu_features);
	cpu_features(cfg, &p);
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* ---- -display, -nographic, -rtc, -boot ---- */

static int opt_display(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "type", NULL };
	struct vmm_props p = { 0 };
	const char *type;
	int rc = -1;

	if (opt_props_parse("-display", arg, "type", true, keys, &p, errp) < 0)
		goto out;
	type = vmm_props_get(&p, "type");
	if (!type || strcmp(type, "none") != 0) {
		err_set(errp, ERR_USAGE, _("-display: only 'none' is supported, not '%s'"),
			type ? type : "");
		goto out;
	}
	cfg->display_none = true;
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

static int opt_nographic(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	cfg->nographic = true;
	cfg->display_none = true;
	return 0;
}

/* The worker's CMOS clock reads the host's clock (clock=host). driftfix=slew, which
 * virt-manager sets for every guest, re-injects RTC ticks a stalled guest missed;
 * only guests that count those ticks to keep time (old Windows) notice its absence. */
static int opt_rtc(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "base", "clock", "driftfix", NULL };
	struct vmm_props p = { 0 };
	const char *base;
	int rc = -1;

	if (opt_props_parse("-rtc", arg, NULL, false, keys, &p, errp) < 0 ||
	    check_choice(&p, "-rtc", "base", "utc|localtime", errp) < 0 ||
	    check_choice(&p, "-rtc", "clock", "host", errp) < 0 ||
	    check_choice(&p, "-rtc", "driftfix", "none|slew", errp) < 0)
		goto out;
	base = vmm_props_get(&p, "base");
	if (base)
		cfg->rtc_localtime = strcmp(base, "localtime") == 0;
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* Drive letters a-p, each at most once (QEMU's validate_bootdevices). */
static int boot_order_check(const struct vmm_props *p, const char *key, struct err **errp)
{
	const char *order = vmm_props_get(p, key);
	unsigned seen = 0;

	for (const char *c = order; c && *c; c++) {
		if (*c < 'a' || *c > 'p' || (seen & 1u << (*c - 'a')))
			return opt_bad_value(p, "-boot", key, _("drive letters a-p, each once"),
					     errp);
		seen |= 1u << (*c - 'a');
	}
	return 0;
}

static int opt_boot(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = {
		"order", "once", "menu", "splash-time", "reboot-timeout", "strict", NULL,
	};
	struct vmm_boot *b = &cfg->boot;
	struct vmm_props p = { 0 };
	uint64_t splash;
	int64_t reboot;
	int rc = -1;

	/* reboot-timeout=-1, QEMU's default, is "do not reboot" */
	if (opt_props_parse("-boot", arg, "order", false, keys, &p, errp) < 0 ||
	    boot_order_check(&p, "order", errp) < 0 || boot_order_check(&p, "once", errp) < 0 ||
	    vmm_props_bool(&p, "-boot", "menu", b->menu, &b->menu, errp) < 0 ||
	    vmm_props_bool(&p, "-boot", "strict", b->strict, &b->strict, errp) < 0 ||
	    vmm_props_uint(&p, "-boot", "splash-time", 0, 0xffff, b->splash_time, &splash,
			   errp) < 0 ||
	    vmm_props_int(&p, "-boot", "reboot-timeout", -1, 0xffff, b->reboot_timeout, &reboot,
			  errp) < 0)
		goto out;
	b->splash_time = (unsigned)splash;
	b->reboot_timeout = (int)reboot;
	replace_str(&b->order, vmm_props_get(&p, "order"));
	replace_str(&b->once, vmm_props_get(&p, "once"));
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* ---- -overcommit, -sandbox, -msg ---- */

static int opt_overcommit(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "mem-lock", "cpu-pm", NULL };
	struct vmm_props p = { 0 };
	bool lock, pm;
	int rc = -1;

	if (opt_props_parse("-overcommit", arg, NULL, false, keys, &p, errp) < 0 ||
	    vmm_props_bool(&p, "-overcommit", "mem-lock", false, &lock, errp) < 0 ||
	    vmm_props_bool(&p, "-overcommit", "cpu-pm", false, &pm, errp) < 0)
		goto out;
	if (lock || pm) {
		err_set(errp, ERR_USAGE, _("-overcommit: %s=on is not supported"),
			lock ? "mem-lock" : "cpu-pm");
		goto out;
	}
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

static int opt_sandbox(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = {
		"enable", "obsolete", "elevateprivileges", "spawn", "resourcecontrol", NULL,
	};
	struct vmm_props p = { 0 };

	if (opt_props_parse("-sandbox", arg, "enable", false, keys, &p, errp) < 0 ||
	    vmm_props_bool(&p, "-sandbox", "enable", false, &cfg->sandbox, errp) < 0 ||
	    check_choice(&p, "-sandbox", "obsolete", "allow|deny", errp) < 0 ||
	    check_choice(&p, "-sandbox", "elevateprivileges", "allow|deny|children", errp) < 0 ||
	    check_choice(&p, "-sandbox", "spawn", "allow|deny", errp) < 0 ||
	    check_choice(&p, "-sandbox", "resourcecontrol", "allow|deny", errp) < 0) {
		vmm_props_free(&p);
		return -1;
	}
	free(vmm_props_take(&p, "enable"));
	vmm_props_free(&cfg->sandbox_props);
	cfg->sandbox_props = p;
	return 0;
}

static int opt_msg(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "timestamp", "guest-name", NULL };
	struct vmm_props p = { 0 };
	bool guest_name;
	int rc = -1;

	if (opt_props_parse("-msg", arg, NULL, false, keys, &p, errp) < 0 ||
	    vmm_props_bool(&p, "-msg", "timestamp", cfg->msg_timestamp, &cfg->msg_timestamp,
			   errp) < 0 ||
	    vmm_props_bool(&p, "-msg", "guest-name", false, &guest_name, errp) < 0)
		goto out;
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* ---- the option table ---- */

enum opt_kind {
	OPT_FLAG,	/* sets the bool at `field` */
	OPT_PATH,	/* a non-empty value kept in the char * at `field` */
	OPT_TEXT,	/* any value kept in the char * at `field` */
	OPT_FN,		/* fn(value) */
	OPT_FN_NOARG,	/* fn(NULL) */
	OPT_STOP,	/* sets the bool at `field`; the options after it are not read */
};

struct opt_def {
	const char *name;	/* without the leading '-' */
	enum opt_kind kind;
	size_t field;
	int (*fn)(struct vmm_config *cfg, const char *arg, struct err **errp);
};

#define FIELD(f) offsetof(struct vmm_config, f)

static const struct opt_def opt_table[] = {
	{ "name", OPT_FN, 0, opt_name },
	{ "uuid", OPT_FN, 0, opt_uuid },
	{ "m", OPT_FN, 0, opt_m },
	{ "smp", OPT_FN, 0, opt_smp },
	{ "machine", OPT_FN, 0, opt_machine },
	{ "M", OPT_FN, 0, opt_machine },
	{ "accel", OPT_FN, 0, opt_accel },
	{ "enable-kvm", OPT_FN_NOARG, 0, opt_enable_kvm },
	{ "cpu", OPT_FN, 0, opt_cpu },
	{ "kernel", OPT_PATH, FIELD(kernel), NULL },
	{ "initrd", OPT_PATH, FIELD(initrd), NULL },
	{ "append", OPT_TEXT, FIELD(append), NULL },
	{ "bios", OPT_PATH, FIELD(bios), NULL },
	{ "pidfile", OPT_PATH, FIELD(pidfile), NULL },
	{ "S", OPT_FLAG, FIELD(start_paused), NULL },
	{ "no-shutdown", OPT_FLAG, FIELD(no_shutdown), NULL },
	{ "no-reboot", OPT_FLAG, FIELD(no_reboot), NULL },
	{ "daemonize", OPT_FLAG, FIELD(daemonize), NULL },
	{ "nodefaults", OPT_FLAG, FIELD(nodefaults), NULL },
	{ "no-user-config", OPT_FLAG, FIELD(no_user_config), NULL },
	{ "no-acpi", OPT_FLAG, FIELD(no_acpi), NULL },
	{ "display", OPT_FN, 0, opt_display },
	{ "nographic", OPT_FN_NOARG, 0, opt_nographic },
	{ "rtc", OPT_FN, 0, opt_rtc },
	{ "boot", OPT_FN, 0, opt_boot },
	{ "chardev", OPT_FN, 0, opt_chardev },
	{ "qmp", OPT_FN, 0, opt_qmp },
	{ "mon", OPT_FN, 0, opt_mon },
	{ "serial", OPT_FN, 0, opt_serial },
	{ "device", OPT_FN, 0, opt_device },
	{ "netdev", OPT_FN, 0, opt_netdev },
	{ "drive", OPT_FN, 0, opt_drive },
	{ "blockdev", OPT_FN, 0, opt_blockdev },
	{ "object", OPT_FN, 0, opt_object },
	{ "add-fd", OPT_FN, 0, opt_add_fd },
	{ "global", OPT_FN, 0, opt_global },
	{ "audiodev", OPT_FN, 0, opt_audiodev },
	{ "overcommit", OPT_FN, 0, opt_overcommit },
	{ "sandbox", OPT_FN, 0, opt_sandbox },
	{ "msg", OPT_FN, 0, opt_msg },
	{ "version", OPT_STOP, FIELD(show_version), NULL },
	{ "help", OPT_STOP, FIELD(show_help), NULL },
	{ "h", OPT_STOP, FIELD(show_help), NULL },
};

static const struct opt_def *opt_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opt_table); i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

static bool takes_value(enum opt_kind kind)
{
	return kind == OPT_PATH || kind == OPT_TEXT || kind == OPT_FN;
}

static int opt_apply(struct vmm_config *cfg, const struct opt_def *def, const char *arg,
		     struct err **errp)
{
	char *base = (char *)cfg;

	switch (def->kind) {
	case OPT_FLAG:
	case OPT_STOP:
		*(bool *)(base + def->field) = true;
		return 0;
	case OPT_PATH:
		if (!*arg)
			return err_set(errp, ERR_USAGE, _("-%s: empty file name"), def->name);
		/* fall through */
	case OPT_TEXT:
		replace_str((char **)(base + def->field), arg);
		return 0;
	case OPT_FN:
	case OPT_FN_NOARG:
		break;
	}
	return def->fn(cfg, arg, errp);
}

/* Apply the options in order; -version and -help end the walk. Returns 0 or -1. */
static int parse_all(struct vmm_config *cfg, int argc, char **argv, struct err **errp)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *name = argv[i];
		const struct opt_def *def;

		if (name[0] != '-' || !name[1])
			return err_set(errp, ERR_USAGE, _("unexpected argument '%s' (a disk "
							  "image needs -drive)"), name);
		name += name[1] == '-' ? 2 : 1;	/* --opt is -opt, as in QEMU */
		def = opt_lookup(name);
		if (!def)
			return err_set(errp, ERR_USAGE, _("unsupported option -%s"), name);
		if (takes_value(def->kind) && i + 1 >= argc)
			return err_set(errp, ERR_USAGE, _("option -%s needs a value"), name);
		if (opt_apply(cfg, def, takes_value(def->kind) ? argv[++i] : NULL, errp) < 0)
			return -1;
		if (def->kind == OPT_STOP)
			return 0;
	}
	return 0;
}

/* ---- after the last option ---- */

/* -machine memory-backend= names the guest RAM: its size is the RAM size, and -m, if
 * given, must agree (QEMU: "memory size ... does not match"). */
static int memory_finish(struct vmm_config *cfg, struct err **errp)
{
	const struct vmm_object *o;

	if (cfg->memory_backend) {
		o = vmm_config_object(cfg, cfg->memory_backend);
		if (!o || o->type == VMM_OBJ_SECRET)
			return err_set(errp, ERR_USAGE, _("-machine: memory-backend '%s' is not "
							  "a memory backend -object"),
				       cfg->memory_backend);
		if (cfg->mem_given && o->size != cfg->mem_bytes)
			return err_set(errp, ERR_USAGE,
				       _("-machine: memory-backend '%s' has %" PRIu64 " bytes "
					 "but -m asks for %" PRIu64), o->id, o->size,
				       cfg->mem_bytes);
		cfg->mem_bytes = o->size;
	}
	if (cfg->mem_slots && !cfg->mem_max_bytes)
		return err_set(errp, ERR_USAGE, _("-m: slots needs maxmem"));
	if (cfg->mem_max_bytes && cfg->mem_max_bytes < cfg->mem_bytes)
		return err_set(errp, ERR_USAGE, _("-m: maxmem (%" PRIu64 " bytes) is less "
						  "than the memory size (%" PRIu64 " bytes)"),
			       cfg->mem_max_bytes, cfg->mem_bytes);
	return 0;
}

static bool has_device(const struct vmm_config *cfg, const char *driver)
{
	size_t i;

	for (i = 0; i < cfg->n_devices; i++)
		if (strcmp(cfg->devices[i].driver, driver) == 0)
			return true;
	return false;
}

/* QEMU's -nographic puts the first serial port on stdio unless -nodefaults, a
 * -serial or an isa-serial device says otherwise. */
static int nographic_serial(struct vmm_config *cfg, struct err **errp)
{
	char *id = NULL;

	if (!cfg->nographic || cfg->nodefaults || cfg->serial_given ||
	    has_device(cfg, "isa-serial"))
		return 0;
	if (opt_chardev_from_spec(cfg, "-nographic", "stdio", "serial0", &id, errp) < 0)
		return -1;
	((struct vmm_serial *)opt_array_add(&cfg->serials, &cfg->n_serials,
					    sizeof(struct vmm_serial)))->chardev = id;
	return 0;
}

static int daemonize_check(const struct vmm_config *cfg, struct err **errp)
{
	size_t i;

	if (!cfg->daemonize)
		return 0;
	if (cfg->nographic)
		return err_set(errp, ERR_USAGE, _("-nographic cannot be used with -daemonize"));
	for (i = 0; i < cfg->n_chardevs; i++)
		if (cfg->chardevs[i].backend == VMM_CHR_STDIO)
			return err_set(errp, ERR_USAGE, _("-daemonize: chardev '%s' is on stdio"),
				       cfg->chardevs[i].id);
	return 0;
}

static int finish(struct vmm_config *cfg, struct err **errp)
{
	if (memory_finish(cfg, errp) < 0 || smp_finish(cfg, errp) < 0)
		return -1;
	if (!cfg->machine_type)
		cfg->machine_type = xstrdup("pc");
	if (!cfg->cpu_model)
		cfg->cpu_model = xstrdup("qemu64");	/* QEMU's x86_64 default */
	if (nographic_serial(cfg, errp) < 0 || opt_check_references(cfg, errp) < 0)
		return -1;
	return daemonize_check(cfg, errp);
}

int vmm_options_parse(struct vmm_config *cfg, int argc, char **argv, struct err **errp)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = DEFAULT_MEM_BYTES;
	cfg->boot.reboot_timeout = -1;
	if (parse_all(cfg, argc, argv, errp) < 0 ||
	    (!cfg->show_version && !cfg->show_help && finish(cfg, errp) < 0)) {
		vmm_config_free(cfg);
		return -1;
	}
	return 0;
}

void vmm_config_free(struct vmm_config *cfg)
{
	char **strings[] = {
		&cfg->name, &cfg->process_name, &cfg->machine_type, &cfg->memory_backend,
		&cfg->cpu_model, &cfg->kernel, &cfg->initrd, &cfg->append, &cfg->bios,
		&cfg->pidfile, &cfg->boot.order, &cfg->boot.once,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(strings); i++)
		free(*strings[i]);
	vmm_props_free(&cfg->cpu_features);
	vmm_props_free(&cfg->sandbox_props);
	opt_free_devices(cfg);
	memset(cfg, 0, sizeof(*cfg));
}
