/* vireo-vmm options that add things: -chardev, -qmp, -mon, -serial, -device, -netdev,
 * -drive, -blockdev, -object, -add-fd, -global, -audiodev; the references between
 * them. See options.h. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/options_priv.h"

#define MAX_OBJECT_SIZE ((uint64_t)1 << 40)

/* ---- chardevs ---- */

static const char *const chr_backend_names[] = {
	[VMM_CHR_NULL] = "null", [VMM_CHR_FILE] = "file", [VMM_CHR_PTY] = "pty",
	[VMM_CHR_STDIO] = "stdio", [VMM_CHR_SOCKET] = "socket",
};

static int chr_backend(const char *what, const char *name, enum vmm_chr_backend *out,
		       struct err **errp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(chr_backend_names); i++) {
		if (strcmp(name, chr_backend_names[i]) == 0) {
			*out = (enum vmm_chr_backend)i;
			return 0;
		}
	}
	return err_set(errp, ERR_USAGE, _("%s: unsupported backend '%s' (vireo-vmm has "
					  "null, file, pty, stdio, socket)"), what, name);
}

static const char *const *chr_keys(enum vmm_chr_backend b)
{
#define CHR_COMMON "backend", "id", "logfile", "logappend"
	static const char *const plain[] = { CHR_COMMON, NULL };
	static const char *const file[] = { CHR_COMMON, "path", "append", NULL };
	static const char *const stdio[] = { CHR_COMMON, "signal", NULL };
	static const char *const socket[] = {
		CHR_COMMON, "path", "fd", "server", "wait", "telnet", "host", "port", NULL,
	};
#undef CHR_COMMON

	switch (b) {
	case VMM_CHR_FILE:
		return file;
	case VMM_CHR_STDIO:
		return stdio;
	case VMM_CHR_SOCKET:
		return socket;
	case VMM_CHR_NULL:
	case VMM_CHR_PTY:
		break;
	}
	return plain;
}

/* A socket: a Unix path or an inherited fd (libvirt's fd=N for the monitor); the
 * worker does not do TCP or telnet. */
static int chr_socket(struct vmm_chardev *c, const struct vmm_props *p, const char *what,
		      struct err **errp)
{
	bool telnet, has_fd = vmm_props_get(p, "fd") != NULL;
	uint64_t fd;

	if (vmm_props_get(p, "host") || vmm_props_get(p, "port"))
		return err_set(errp, ERR_USAGE, _("%s: TCP sockets are not supported "
						  "(use path= or fd=)"), what);
	if (vmm_props_bool(p, what, "telnet", false, &telnet, errp) < 0 ||
	    vmm_props_bool(p, what, "server", false, &c->server, errp) < 0 ||
	    vmm_props_bool(p, what, "wait", true, &c->wait, errp) < 0 ||
	    vmm_props_uint(p, what, "fd", 0, INT_MAX, 0, &fd, errp) < 0)
		return -1;
	if (telnet)
		return err_set(errp, ERR_USAGE, _("%s: telnet=on is not supported"), what);
	if (!c->server && vmm_props_get(p, "wait"))
		return err_set(errp, ERR_USAGE, _("%s: wait= needs server=on"), what);
	if (has_fd == (c->path != NULL))
		return err_set(errp, ERR_USAGE, _("%s: a socket needs either path= or fd="),
			       what);
	c->fd = has_fd ? (int)fd : -1;
	return 0;
}

static int chr_fill(struct vmm_chardev *c, const struct vmm_props *p, const char *what,
		    struct err **errp)
{
	c->fd = -1;
	c->path = vmm_props_get(p, "path") ? xstrdup(vmm_props_get(p, "path")) : NULL;
	c->logfile = vmm_props_get(p, "logfile") ? xstrdup(vmm_props_get(p, "logfile")) : NULL;
	if (vmm_props_bool(p, what, "logappend", false, &c->logappend, errp) < 0)
		return -1;
	switch (c->backend) {
	case VMM_CHR_FILE:
		if (!opt_require(p, what, "path", errp))
			return -1;
		return vmm_props_bool(p, what, "append", false, &c->append, errp);
	case VMM_CHR_STDIO:
		return vmm_props_bool(p, what, "signal", true, &c->signal, errp);
	case VMM_CHR_SOCKET:
		return chr_socket(c, p, what, errp);
	case VMM_CHR_NULL:
	case VMM_CHR_PTY:
		break;
	}
	return 0;
}

static void chardev_clear(struct vmm_chardev *c)
{
	free(c->id);
	free(c->path);
	free(c->logfile);
}

/* Add the chardev p describes (its "backend" set) as id. Returns 0 or -1. */
static int chardev_add(struct vmm_config *cfg, const char *what, const struct vmm_props *p,
		       const char *id, struct err **errp)
{
	struct vmm_chardev c = { 0 };
	const char *backend = opt_require(p, what, "backend", errp);

	if (!backend || chr_backend(what, backend, &c.backend, errp) < 0 ||
	    vmm_props_check_keys(p, what, chr_keys(c.backend), errp) < 0 ||
	    opt_check_id(what, id, errp) < 0)
		return -1;
	if (vmm_config_chardev(cfg, id))
		return err_set(errp, ERR_USAGE, _("%s: duplicate chardev id '%s'"), what, id);
	if (chr_fill(&c, p, what, errp) < 0) {
		chardev_clear(&c);
		return -1;
	}
	c.id = xstrdup(id);
	*(struct vmm_chardev *)opt_array_add(&cfg->chardevs, &cfg->n_chardevs,
					     sizeof(c)) = c;
	return 0;
}

int opt_chardev(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_props p = { 0 };
	const char *id;
	int rc = -1;

	if (opt_props_parse("-chardev", arg, "backend", false, NULL, &p, errp) < 0 ||
	    !(id = opt_require(&p, "-chardev", "id", errp)))
		goto out;
	rc = chardev_add(cfg, "-chardev", &p, id, errp);
out:
	vmm_props_free(&p);
	return rc;
}

/* The properties of a legacy spec ("unix:/path,server=on"); -1 if unsupported. */
static int spec_props(const char *what, const char *spec, struct vmm_props *p,
		      struct err **errp)
{
	static const char *const unix_keys[] = { "path", "server", "wait", NULL };
	static const char *const plain[] = { "null", "stdio", "pty" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plain); i++) {
		if (strcmp(spec, plain[i]) == 0) {
			vmm_props_set(p, "backend", spec);
			return 0;
		}
	}
	if (str_starts_with(spec, "file:")) {
		vmm_props_set(p, "path", spec + 5);	/* verbatim, as QEMU */
		vmm_props_set(p, "backend", "file");
		return 0;
	}
	if (str_starts_with(spec, "unix:")) {
		if (opt_props_parse(what, spec + 5, "path", false, unix_keys, p, errp) < 0)
			return -1;
		vmm_props_set(p, "backend", "socket");
		return 0;
	}
	if (str_starts_with(spec, "mon:"))
		return err_set(errp, ERR_USAGE, _("%s: 'mon:' is not supported (no human "
						  "monitor; use -qmp)"), what);
	return err_set(errp, ERR_USAGE, _("%s: unsupported character device '%s'"), what,
		       spec);
}

int opt_chardev_from_spec(struct vmm_config *cfg, const char *what, const char *spec,
			  const char *label, char **id_out, struct err **errp)
{
	struct vmm_props p = { 0 };
	int rc = -1;

	if (str_starts_with(spec, "chardev:")) {
		if (opt_check_id(what, spec + 8, errp) < 0)
			return -1;
		*id_out = xstrdup(spec + 8);
		return 0;
	}
	if (spec_props(what, spec, &p, errp) == 0 && chardev_add(cfg, what, &p, label, errp) == 0) {
		*id_out = xstrdup(label);
		rc = 0;
	}
	vmm_props_free(&p);
	return rc;
}

/* ---- -qmp, -mon, -serial ---- */

static void monitor_add(struct vmm_config *cfg, char *chardev, const char *id, bool pretty)
{
	struct vmm_monitor *m = opt_array_add(&cfg->monitors, &cfg->n_monitors, sizeof(*m));

	m->chardev = chardev;
	m->id = id ? xstrdup(id) : NULL;
	m->pretty = pretty;
}

int opt_qmp(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	char *label = NULL, *id = NULL;
	unsigned n = 0;
	int rc;

	/* QEMU's name for the chardev of the Nth -qmp */
	do {
		free(label);
		label = xasprintf("compat_monitor%u", n++);
	} while (vmm_config_chardev(cfg, label));
	rc = opt_chardev_from_spec(cfg, "-qmp", arg, label, &id, errp);
	free(label);
	if (rc == 0)
		monitor_add(cfg, id, NULL, false);
	return rc;
}

int opt_mon(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "chardev", "id", "mode", "pretty", NULL };
	struct vmm_props p = { 0 };
	const char *chardev, *id, *mode;
	bool pretty;
	int rc = -1;

	if (opt_props_parse("-mon", arg, "chardev", false, keys, &p, errp) < 0 ||
	    !(chardev = opt_require(&p, "-mon", "chardev", errp)) ||
	    vmm_props_bool(&p, "-mon", "pretty", false, &pretty, errp) < 0)
		goto out;
	id = vmm_props_get(&p, "id");
	mode = vmm_props_get(&p, "mode");
	/* QEMU's default mode is readline, the human monitor */
	if (!mode || strcmp(mode, "control") != 0) {
		err_set(errp, ERR_USAGE, _("-mon: only mode=control is supported, not '%s'"),
			mode ? mode : "readline");
		goto out;
	}
	if (opt_check_id("-mon", chardev, errp) < 0 || (id && opt_check_id("-mon", id, errp) < 0))
		goto out;
	monitor_add(cfg, xstrdup(chardev), id, pretty);
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

int opt_serial(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	char *label, *id = NULL;
	int rc;

	cfg->serial_given = true;
	if (strcmp(arg, "none") == 0)
		return 0;
	label = xasprintf("serial%zu", cfg->n_serials);	/* QEMU's name */
	rc = opt_chardev_from_spec(cfg, "-serial", arg, label, &id, errp);
	free(label);
	if (rc == 0)
		((struct vmm_serial *)opt_array_add(&cfg->serials, &cfg->n_serials,
						    sizeof(struct vmm_serial)))->chardev = id;
	return rc;
}

/* ---- -device ---- */

struct prop_rule {
	const char *key;
	bool number;		/* else any text */
	uint64_t min, max;
};

struct driver_def {
	const char *driver;
	const struct prop_rule *rules;	/* NULL: kept for the device's own parser */
};

/* QEMU's properties and ranges for the devices of this round. */
static const struct prop_rule isa_serial_rules[] = {
	{ "chardev", false, 0, 0 },
	{ "index", true, 0, 3 },
	{ "iobase", true, 0, 0xffff },
	{ "irq", true, 0, 15 },
	{ NULL, false, 0, 0 },
};

static const struct prop_rule debug_exit_rules[] = {
	{ "iobase", true, 0, 0xffff },	/* QEMU's default 0x501 */
	{ "iosize", true, 1, 0xffff },	/* default 2 */
	{ NULL, false, 0, 0 },
};

static const struct prop_rule pvpanic_rules[] = {
	{ "ioport", true, 0, 0xffff },	/* default 0x505 */
	{ "events", true, 0, 7 },	/* panicked | crash-loaded | shutdown */
	{ NULL, false, 0, 0 },
};

static const struct driver_def driver_defs[] = {
	{ "isa-serial", isa_serial_rules },
	{ "isa-debug-exit", debug_exit_rules },
	{ "pvpanic", pvpanic_rules },
	{ "virtio-net-pci", NULL },
	{ "e1000", NULL },
	{ "virtio-blk-pci", NULL },
	{ "virtio-balloon-pci", NULL },
	{ "virtio-serial-pci", NULL },
	{ "virtconsole", NULL },
	{ "virtio-rng-pci", NULL },
};

static const struct driver_def *driver_lookup(const char *driver)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(driver_defs); i++)
		if (strcmp(driver_defs[i].driver, driver) == 0)
			return &driver_defs[i];
	return NULL;
}

static const struct prop_rule *rule_lookup(const struct prop_rule *rules, const char *key)
{
	for (; rules->key; rules++)
		if (strcmp(rules->key, key) == 0)
			return rules;
	return NULL;
}

static int device_check_props(const struct driver_def *def, const struct vmm_props *p,
			      struct err **errp)
{
	char *what = xasprintf("-device %s", def->driver);
	uint64_t v;
	size_t i;
	int rc = 0;

	for (i = 0; def->rules && rc == 0 && i < p->len; i++) {
		const struct prop_rule *r = rule_lookup(def->rules, p->items[i].key);

		if (!r)
			rc = err_set(errp, ERR_USAGE, _("unknown property '%s' for device '%s'"),
				     p->items[i].key, def->driver);
		else if (r->number)
			rc = vmm_props_uint(p, what, r->key, r->min, r->max, 0, &v, errp);
	}
	free(what);
	return rc;
}

static bool device_id_used(const struct vmm_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_devices; i++)
		if (streq(cfg->devices[i].id, id))
			return true;
	return false;
}

int opt_device(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_device d = { 0 };
	const struct driver_def *def;

	if (opt_props_parse("-device", arg, "driver", true, NULL, &d.props, errp) < 0 ||
	    !opt_require(&d.props, "-device", "driver", errp))
		goto fail;
	d.driver = vmm_props_take(&d.props, "driver");
	d.id = vmm_props_take(&d.props, "id");
	if (!(def = driver_lookup(d.driver))) {
		err_set(errp, ERR_USAGE, _("unsupported device '%s'"), d.driver);
		goto fail;
	}
	if (device_check_props(def, &d.props, errp) < 0 ||
	    (d.id && opt_check_id("-device", d.id, errp) < 0))
		goto fail;
	if (d.id && device_id_used(cfg, d.id)) {
		err_set(errp, ERR_USAGE, _("-device: duplicate id '%s'"), d.id);
		goto fail;
	}
	*(struct vmm_device *)opt_array_add(&cfg->devices, &cfg->n_devices, sizeof(d)) = d;
	return 0;
fail:
	free(d.driver);
	free(d.id);
	vmm_props_free(&d.props);
	return -1;
}

/* ---- -netdev, -drive, -blockdev ---- */

/* Take "id" out of p into *id (required or not), checking its form. */
static int take_id(struct vmm_props *p, const char *what, const char *key, bool required,
		   char **id, struct err **errp)
{
	if (required && !opt_require(p, what, key, errp))
		return -1;
	*id = vmm_props_take(p, key);
	return *id ? opt_check_id(what, *id, errp) : 0;
}

/* QemuOpts text with every "hostfwd=" item renamed "hostfwd.N.str=" (as the JSON form
 * flattens its list), so repeated rules do not replace each other. */
static char *number_hostfwd(const char *arg)
{
	struct buf b = BUF_INIT;
	unsigned n = 0;
	bool item_start = true;

	for (const char *p = arg; *p; p++) {
		if (item_start && strncmp(p, "hostfwd=", 8) == 0) {
			buf_appendf(&b, NULL, "hostfwd.%u.str=", n++);
			p += 7;
			item_start = false;
			continue;
		}
		if (p[0] == ',' && p[1] == ',') {
			buf_append(&b, p, 2, NULL);
			p++;
			item_start = false;
			continue;
		}
		buf_append(&b, p, 1, NULL);
		item_start = *p == ',';
	}
	return buf_steal(&b);
}

int opt_netdev(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_netdev n = { 0 };
	char *type = NULL, *text = arg[0] == '{' ? xstrdup(arg) : number_hostfwd(arg);
	size_t i;
	int rc;

	rc = opt_props_parse("-netdev", text, "type", true, NULL, &n.props, errp);
	free(text);
	if (rc < 0 ||
	    !opt_require(&n.props, "-netdev", "type", errp) ||
	    take_id(&n.props, "-netdev", "id", true, &n.id, errp) < 0)
		goto fail;
	type = vmm_props_take(&n.props, "type");
	if (strcmp(type, "tap") != 0 && strcmp(type, "user") != 0) {
		err_set(errp, ERR_USAGE, _("-netdev: unsupported type '%s' (vireo-vmm has tap, "
					   "user)"), type);
		goto fail;
	}
	n.type = strcmp(type, "tap") == 0 ? VMM_NETDEV_TAP : VMM_NETDEV_USER;
	for (i = 0; i < cfg->n_netdevs; i++) {
		if (strcmp(cfg->netdevs[i].id, n.id) == 0) {
			err_set(errp, ERR_USAGE, _("-netdev: duplicate id '%s'"), n.id);
			goto fail;
		}
	}
	free(type);
	*(struct vmm_netdev *)opt_array_add(&cfg->netdevs, &cfg->n_netdevs, sizeof(n)) = n;
	return 0;
fail:
	free(type);
	free(n.id);
	vmm_props_free(&n.props);
	return -1;
}

int opt_drive(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_drive d = { 0 };
	size_t i;

	if (opt_props_parse("-drive", arg, NULL, false, NULL, &d.props, errp) < 0 ||
	    take_id(&d.props, "-drive", "id", false, &d.id, errp) < 0)
		goto fail;
	for (i = 0; d.id && i < cfg->n_drives; i++) {
		if (streq(cfg->drives[i].id, d.id)) {
			err_set(errp, ERR_USAGE, _("-drive: duplicate id '%s'"), d.id);
			goto fail;
		}
	}
	*(struct vmm_drive *)opt_array_add(&cfg->drives, &cfg->n_drives, sizeof(d)) = d;
	return 0;
fail:
	free(d.id);
	vmm_props_free(&d.props);
	return -1;
}

int opt_blockdev(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_blockdev b = { 0 };
	size_t i;

	if (opt_props_parse("-blockdev", arg, NULL, true, NULL, &b.props, errp) < 0 ||
	    !opt_require(&b.props, "-blockdev", "driver", errp) ||
	    take_id(&b.props, "-blockdev", "node-name", true, &b.node_name, errp) < 0)
		goto fail;
	b.driver = vmm_props_take(&b.props, "driver");
	for (i = 0; i < cfg->n_blockdevs; i++) {
		if (strcmp(cfg->blockdevs[i].node_name, b.node_name) == 0) {
			err_set(errp, ERR_USAGE, _("-blockdev: duplicate node-name '%s'"),
				b.node_name);
			goto fail;
		}
	}
	*(struct vmm_blockdev *)opt_array_add(&cfg->blockdevs, &cfg->n_blockdevs,
					      sizeof(b)) = b;
	return 0;
fail:
	free(b.node_name);
	free(b.driver);
	vmm_props_free(&b.props);
	return -1;
}

/* ---- -object, -add-fd, -global, -audiodev ---- */

static const char *const object_type_names[] = {
	[VMM_OBJ_MEMORY_BACKEND_RAM] = "memory-backend-ram",
	[VMM_OBJ_MEMORY_BACKEND_MEMFD] = "memory-backend-memfd",
	[VMM_OBJ_SECRET] = "secret",
};

static int object_type(const char *name, enum vmm_object_type *out, struct err **errp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(object_type_names); i++) {
		if (strcmp(name, object_type_names[i]) == 0) {
			*out = (enum vmm_object_type)i;
			return 0;
		}
	}
	return err_set(errp, ERR_USAGE, _("-object: unsupported object type '%s'"), name);
}

static int object_size(struct vmm_object *o, struct err **errp)
{
	char *text;

	if (o->type == VMM_OBJ_SECRET)
		return 0;
	if (!opt_require(&o->props, "-object", "size", errp) ||
	    vmm_props_size(&o->props, "-object", "size", 1, 0, &o->size, errp) < 0)
		return -1;
	if (o->size == 0 || o->size > MAX_OBJECT_SIZE)
		return err_set(errp, ERR_USAGE, _("-object %s: size must be 1 byte to 1 TiB"),
			       o->id);
	text = vmm_props_take(&o->props, "size");
	free(text);
	return 0;
}

int opt_object(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_object o = { 0 };
	char *type = NULL;

	if (opt_props_parse("-object", arg, "qom-type", true, NULL, &o.props, errp) < 0 ||
	    !opt_require(&o.props, "-object", "qom-type", errp))
		goto fail;
	type = vmm_props_take(&o.props, "qom-type");
	if (object_type(type, &o.type, errp) < 0 ||
	    take_id(&o.props, "-object", "id", true, &o.id, errp) < 0 || object_size(&o, errp) < 0)
		goto fail;
	if (vmm_config_object(cfg, o.id)) {
		err_set(errp, ERR_USAGE, _("-object: duplicate id '%s'"), o.id);
		goto fail;
	}
	free(type);
	*(struct vmm_object *)opt_array_add(&cfg->objects, &cfg->n_objects, sizeof(o)) = o;
	return 0;
fail:
	free(type);
	free(o.id);
	vmm_props_free(&o.props);
	return -1;
}

int opt_add_fd(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "fd", "set", "opaque", NULL };
	struct vmm_props p = { 0 };
	struct vmm_add_fd *a;
	uint64_t fd, set;
	int rc = -1;

	/* fds 0-2 are never the caller's to give (QEMU: "a standard I/O stream") */
	if (opt_props_parse("-add-fd", arg, NULL, false, keys, &p, errp) < 0 ||
	    !opt_require(&p, "-add-fd", "fd", errp) || !opt_require(&p, "-add-fd", "set", errp) ||
	    vmm_props_uint(&p, "-add-fd", "fd", 3, INT_MAX, 0, &fd, errp) < 0 ||
	    vmm_props_uint(&p, "-add-fd", "set", 0, INT_MAX, 0, &set, errp) < 0)
		goto out;
	a = opt_array_add(&cfg->add_fds, &cfg->n_add_fds, sizeof(*a));
	a->fd = (int)fd;
	a->set = (unsigned)set;
	a->opaque = vmm_props_take(&p, "opaque");
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* "DRIVER.PROPERTY=VALUE", or driver=,property=,value= (QEMU's qemu_global_option). */
static int global_props(const char *arg, struct vmm_props *p, struct err **errp)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');

	if (dot && eq && dot > arg && eq > dot + 1) {
		char *driver = xstrndup(arg, (size_t)(dot - arg));
		char *prop = xstrndup(dot + 1, (size_t)(eq - dot - 1));

		vmm_props_set(p, "driver", driver);
		vmm_props_set(p, "property", prop);
		vmm_props_set(p, "value", eq + 1);
		free(driver);
		free(prop);
		return 0;
	}
	if (vmm_kv_parse(arg, NULL, p, NULL) < 0 || p->len != 3 || !vmm_props_get(p, "driver") ||
	    !vmm_props_get(p, "property") || !vmm_props_get(p, "value"))
		return err_set(errp, ERR_USAGE, _("-global: '%s' is not "
						  "DRIVER.PROPERTY=VALUE"), arg);
	return 0;
}

int opt_global(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	struct vmm_props p = { 0 };
	struct vmm_global *g;

	if (global_props(arg, &p, errp) < 0) {
		vmm_props_free(&p);
		return -1;
	}
	g = opt_array_add(&cfg->globals, &cfg->n_globals, sizeof(*g));
	g->driver = vmm_props_take(&p, "driver");
	g->property = vmm_props_take(&p, "property");
	g->value = vmm_props_take(&p, "value");
	vmm_props_free(&p);
	return 0;
}

/* libvirt gives every guest an audio backend; "none" is the only one without sound. */
int opt_audiodev(struct vmm_config *cfg, const char *arg, struct err **errp)
{
	static const char *const keys[] = { "driver", "id", "timer-period", NULL };
	struct vmm_props p = { 0 };
	const char *driver, *id;
	uint64_t period;
	int rc = -1;

	if (opt_props_parse("-audiodev", arg, "driver", true, keys, &p, errp) < 0 ||
	    !(driver = opt_require(&p, "-audiodev", "driver", errp)) ||
	    !(id = opt_require(&p, "-audiodev", "id", errp)) ||
	    opt_check_id("-audiodev", id, errp) < 0 ||
	    vmm_props_uint(&p, "-audiodev", "timer-period", 1, UINT32_MAX, 0, &period, errp) < 0)
		goto out;
	if (strcmp(driver, "none") != 0) {
		err_set(errp, ERR_USAGE, _("-audiodev: only driver=none is supported, not '%s'"),
			driver);
		goto out;
	}
	rc = 0;
out:
	vmm_props_free(&p);
	return rc;
}

/* ---- references ---- */

const struct vmm_chardev *vmm_config_chardev(const struct vmm_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_chardevs; i++)
		if (strcmp(cfg->chardevs[i].id, id) == 0)
			return &cfg->chardevs[i];
	return NULL;
}

const struct vmm_object *vmm_config_object(const struct vmm_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_objects; i++)
		if (strcmp(cfg->objects[i].id, id) == 0)
			return &cfg->objects[i];
	return NULL;
}

/* Count one use of chardev id by `user`; a chardev has one frontend (QEMU: "chardev
 * is already in use"). */
static int chardev_use(const struct vmm_config *cfg, unsigned *uses, const char *id,
		       const char *user, struct err **errp)
{
	const struct vmm_chardev *c = vmm_config_chardev(cfg, id);

	if (!c)
		return err_set(errp, ERR_USAGE, _("%s: no chardev '%s'"), user, id);
	if (uses[c - cfg->chardevs]++)
		return err_set(errp, ERR_USAGE, _("%s: chardev '%s' is already in use"), user,
			       id);
	return 0;
}

int opt_check_references(const struct vmm_config *cfg, struct err **errp)
{
	unsigned *uses = xcalloc(cfg->n_chardevs + 1, sizeof(*uses));
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < cfg->n_monitors; i++)
		rc = chardev_use(cfg, uses, cfg->monitors[i].chardev, "-mon", errp);
	for (i = 0; rc == 0 && i < cfg->n_serials; i++)
		rc = chardev_use(cfg, uses, cfg->serials[i].chardev, "-serial", errp);
	for (i = 0; rc == 0 && i < cfg->n_devices; i++) {
		const struct vmm_device *d = &cfg->devices[i];
		const char *chr = vmm_props_get(&d->props, "chardev");
		char *user;

		if (!chr)
			continue;
		user = xasprintf("-device %s", d->driver);
		rc = chardev_use(cfg, uses, chr, user, errp);
		free(user);
	}
	free(uses);
	return rc;
}

/* ---- freeing ---- */

static void free_chardevs_monitors_serials(struct vmm_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_chardevs; i++)
		chardev_clear(&cfg->chardevs[i]);
	for (i = 0; i < cfg->n_monitors; i++) {
		free(cfg->monitors[i].id);
		free(cfg->monitors[i].chardev);
	}
	for (i = 0; i < cfg->n_serials; i++)
		free(cfg->serials[i].chardev);
	free(cfg->chardevs);
	free(cfg->monitors);
	free(cfg->serials);
}

static void free_backends(struct vmm_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_netdevs; i++) {
		free(cfg->netdevs[i].id);
		vmm_props_free(&cfg->netdevs[i].props);
	}
	for (i = 0; i < cfg->n_drives; i++) {
		free(cfg->drives[i].id);
		vmm_props_free(&cfg->drives[i].props);
	}
	for (i = 0; i < cfg->n_blockdevs; i++) {
		free(cfg->blockdevs[i].node_name);
		free(cfg->blockdevs[i].driver);
		vmm_props_free(&cfg->blockdevs[i].props);
	}
	for (i = 0; i < cfg->n_objects; i++) {
		free(cfg->objects[i].id);
		vmm_props_free(&cfg->objects[i].props);
	}
	free(cfg->netdevs);
	free(cfg->drives);
	free(cfg->blockdevs);
	free(cfg->objects);
}

void opt_free_devices(struct vmm_config *cfg)
{
	size_t i;

	free_chardevs_monitors_serials(cfg);
	free_backends(cfg);
	for (i = 0; i < cfg->n_devices; i++) {
		free(cfg->devices[i].driver);
		free(cfg->devices[i].id);
		vmm_props_free(&cfg->devices[i].props);
	}
	for (i = 0; i < cfg->n_add_fds; i++)
		free(cfg->add_fds[i].opaque);
	for (i = 0; i < cfg->n_globals; i++) {
		free(cfg->globals[i].driver);
		free(cfg->globals[i].property);
		free(cfg->globals[i].value);
	}
	free(cfg->devices);
	free(cfg->add_fds);
	free(cfg->globals);
}
