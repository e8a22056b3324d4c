/* The network registry: definitions on disk (<root>/etc/vireo/networks/NAME.xml,
 * replaced atomically), autostart marks (symlinks in networks/autostart/), lookups,
 * define/undefine, and the daemon start (load, take over active networks). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "daemon/defstore.h"
#include "daemon/network/netlink.h"
#include "daemon/network/network.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* libvirt's template for the bridges it names itself. */
#define BRIDGE_TEMPLATE "virbr%u"
#define BRIDGE_AUTO_MAX 256

static void vnet_obj_free(struct vnet_obj *n)
{
	if (!n)
		return;
	vnetwork_free(n->def);
	vnetwork_free(n->live);
	vnet_runtime_clear(&n->rt);
	free(n->name);
	free(n);
}

static struct vnet_obj *netreg_add(struct daemon *d, struct vnetwork *def)
{
	struct netreg *r = d->nets;
	struct vnet_obj *n = xzalloc(sizeof(*n));

	n->name = xstrdup(def->name);
	memcpy(n->uuid, def->uuid, 16);
	vdom_format_uuid(n->uuid, n->uuid_str);
	n->def = def;
	r->nets = xreallocarray(r->nets, r->n + 1, sizeof(*r->nets));
	r->nets[r->n++] = n;
	return n;
}

static void netreg_remove(struct daemon *d, struct vnet_obj *n)
{
	struct netreg *r = d->nets;

	for (size_t i = 0; i < r->n; i++) {
		if (r->nets[i] != n)
			continue;
		memmove(&r->nets[i], &r->nets[i + 1], (r->n - i - 1) * sizeof(*r->nets));
		r->n--;
		vnet_obj_free(n);
		return;
	}
}

struct vnet_obj *netreg_find(struct daemon *d, const char *ref)
{
	struct netreg *r = d->nets;

	for (size_t i = 0; r && i < r->n; i++)
		if (strcmp(r->nets[i]->name, ref) == 0)
			return r->nets[i];
	for (size_t i = 0; r && i < r->n; i++)
		if (strcasecmp(r->nets[i]->uuid_str, ref) == 0)
			return r->nets[i];
	return NULL;
}

struct vnet_obj *netreg_lookup(struct daemon *d, const char *ref, struct err **errp)
{
	struct vnet_obj *n = netreg_find(d, ref);

	if (!n)
		err_set(errp, RPC_ERR_NO_NETWORK,
			_("Network not found: no network with matching name '%s'"), ref);
	return n;
}

char *netreg_run_path(struct daemon *d, const char *name, const char *file)
{
	char *dir = path_join(d->nets->run_dir, name), *p;

	if (!file)
		return dir;
	p = path_join(dir, file);
	free(dir);
	return p;
}

/* ---- define ---- */

static struct vnetwork *parse_xml(const char *xml, struct err **errp)
{
	struct err *e = NULL;
	struct vnetwork *def = vnetwork_parse(xml, strlen(xml), "network.xml", &e);

	if (!def) {
		char *text = err_describe(e);

		err_set(errp, RPC_ERR_INVALID_XML, "%s", text);
		free(text);
		err_free(e);
	}
	return def;
}

/* A name or uuid clash with another network, or its bridge name taken by one
 * (libvirt's wording). */
static int check_clash(struct daemon *d, const struct vnetwork *def, struct err **errp)
{
	struct netreg *r = d->nets;

	for (size_t i = 0; i < r->n; i++) {
		const struct vnet_obj *o = r->nets[i];
		bool same_name = strcmp(o->name, def->name) == 0;
		bool same_uuid = memcmp(o->uuid, def->uuid, 16) == 0;

		if (same_name && !same_uuid)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("network '%s' already exists with uuid %s"), o->name,
				       o->uuid_str);
		if (same_uuid && !same_name)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("network '%s' is already defined with uuid %s"), o->name,
				       o->uuid_str);
		if (!same_name && def->bridge.name && o->def->bridge.name &&
		    strcmp(def->bridge.name, o->def->bridge.name) == 0)
			return err_set(errp, RPC_ERR_OPERATION_FAILED,
				       _("bridge name '%s' already in use by network '%s'"),
				       def->bridge.name, o->name);
	}
	return 0;
}

static bool bridge_name_taken(struct daemon *d, struct nl *nl, const char *name)
{
	for (size_t i = 0; i < d->nets->n; i++)
		if (streq(d->nets->nets[i]->def->bridge.name, name))
			return true;
	return nl && nl_link_exists(nl, name);
}

/* What libvirt fills in at define for a bridge it will manage: a name (the first
 * free virbrN) and a MAC (52:54:00 and three random bytes). */
static int fill_defaults(struct daemon *d, struct vnetwork *def, struct err **errp)
{
	struct nl nl;
	bool have_nl;

	if (def->forward.mode == VNET_FWD_BRIDGE)
		return 0;
	if (!def->mac_given) {
		def->mac[0] = 0x52;
		def->mac[1] = 0x54;
		def->mac[2] = 0x00;
		if (getrandom(def->mac + 3, 3, 0) != 3)
			return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot generate a MAC"));
		def->mac_given = true;
	}
	if (def->bridge.name)
		return 0;
	have_nl = nl_open(&nl, NULL) == 0;
	for (unsigned i = 0; i < BRIDGE_AUTO_MAX && !def->bridge.name; i++) {
		char *name = xasprintf(BRIDGE_TEMPLATE, i);

		if (!bridge_name_taken(d, have_nl ? &nl : NULL, name))
			def->bridge.name = name;
		else
			free(name);
	}
	if (have_nl)
		nl_close(&nl);
	if (!def->bridge.name)
		return err_set(errp, RPC_ERR_OPERATION_FAILED,
			       _("no free bridge name for network '%s'"), def->name);
	def->bridge_given = true;
	return 0;
}

static int save_def(struct daemon *d, const struct vnetwork *def, struct err **errp)
{
	char *xml = vnetwork_format(def);
	int rc = defstore_save(d->nets->dir, def->name, xml, errp);

	free(xml);
	return rc;
}

struct vnet_obj *netdef_define(struct daemon *d, const char *xml, bool *is_new,
			       struct err **errp)
{
	struct vnetwork *def = parse_xml(xml, errp), *old;
	struct vnet_obj *n;

	if (!def || check_clash(d, def, errp) < 0) {
		vnetwork_free(def);
		return NULL;
	}
	n = netreg_find(d, def->name);
	if (n && !def->bridge.name && n->def->bridge.name &&
	    def->forward.mode != VNET_FWD_BRIDGE) {
		/* a redefinition keeps the bridge it had (libvirt does too) */
		def->bridge.name = xstrdup(n->def->bridge.name);
		def->bridge_given = true;
	}
	if (n && !def->mac_given && n->def->mac_given) {
		memcpy(def->mac, n->def->mac, 6);
		def->mac_given = true;
	}
	if (fill_defaults(d, def, errp) < 0 || save_def(d, def, errp) < 0) {
		vnetwork_free(def);
		return NULL;
	}
	*is_new = n == NULL;
	if (!n)
		return netreg_add(d, def);
	/* the next start uses it; an active network goes on as it is */
	old = n->def;
	n->def = def;
	vnetwork_free(old);
	return n;
}

int netdef_undefine(struct daemon *d, struct vnet_obj *n, struct err **errp)
{
	if (n->live)
		return err_set(errp, RPC_ERR_OPERATION_INVALID,
			       _("Requested operation is not valid: Network '%s' is still running"),
			       n->name);
	if (defstore_delete(d->nets->dir, d->nets->autostart_dir, n->name, errp) < 0)
		return -1;
	netreg_remove(d, n);
	return 0;
}

int netdef_set_autostart(struct daemon *d, struct vnet_obj *n, bool on, struct err **errp)
{
	if (defstore_set_autostart(d->nets->autostart_dir, n->name, on, errp) < 0)
		return -1;
	n->autostart = on;
	return 0;
}

/* ---- daemon start and exit ---- */

static struct vnetwork *load_one(struct daemon *d, const char *file)
{
	char *path = path_join(d->nets->dir, file), *xml = NULL;
	struct vnetwork *def = NULL;
	struct err *e = NULL;

	if (file_read_all(path, VNET_MAX_XML_SIZE, &xml, NULL, &e) == 0)
		def = parse_xml(xml, &e);
	if (def && !defstore_file_is(file, def->name)) {
		err_set(&e, RPC_ERR_INVALID_XML, _("the file holds network '%s'"), def->name);
		vnetwork_free(def);
		def = NULL;
	}
	if (def && check_clash(d, def, &e) < 0) {
		vnetwork_free(def);
		def = NULL;
	}
	/* a file written by hand or installed (data/networks/default.xml) gets its uuid,
	 * MAC and bridge name once, saved back so they stay (libvirt does the same) */
	if (def && (!strstr(xml, "<uuid>") ||
		    (!def->mac_given && def->forward.mode != VNET_FWD_BRIDGE)) &&
	    (fill_defaults(d, def, &e) < 0 || save_def(d, def, &e) < 0)) {
		vnetwork_free(def);
		def = NULL;
	}
	if (!def)
		defstore_warn_ignored(&d->log, path, e);
	free(xml);
	free(path);
	return def;
}

static void load_definitions(struct daemon *d)
{
	struct strv files = STRV_INIT;

	defstore_list(d->nets->dir, &files);
	for (size_t i = 0; i < files.len; i++) {
		struct vnetwork *def = load_one(d, files.items[i]);
		struct vnet_obj *n;

		if (!def)
			continue;
		n = netreg_add(d, def);
		n->autostart = defstore_is_autostart(d->nets->autostart_dir, n->name);
	}
	strv_free(&files);
}

/* The run dirs of networks a previous daemon started. */
static void take_over_active(struct daemon *d)
{
	struct strv names = STRV_INIT;

	dir_list_names(d->nets->run_dir, &names);
	for (size_t i = 0; i < names.len; i++) {
		struct vnet_obj *n = netreg_find(d, names.items[i]);

		if (n) {
			net_reconcile(d, n);
			continue;
		}
		log_warning(&d->log, _("network %s: active, but not defined any more; stopping it"),
			    names.items[i]);
		/* a throw-away entry carries the record through the usual teardown */
		n = xzalloc(sizeof(*n));
		n->name = xstrdup(names.items[i]);
		net_reconcile(d, n);
		vnet_obj_free(n);
	}
	strv_free(&names);
}

void netreg_load(struct daemon *d)
{
	struct err *e = NULL;

	d->nets = xzalloc(sizeof(*d->nets));
	d->nets->dir = path_join(d->paths.config_dir, "networks");
	d->nets->autostart_dir = path_join(d->nets->dir, "autostart");
	d->nets->run_dir = path_join(d->paths.run_dir, "networks");
	if (mkdir_p(d->nets->autostart_dir, 0755, &e) < 0 ||
	    mkdir_p(d->nets->run_dir, 0755, &e) < 0) {
		log_err(&d->log, VLOG_WARNING, e);
		err_free(e);
	}
	load_definitions(d);
	take_over_active(d);
}

void netreg_free(struct daemon *d)
{
	struct netreg *r = d->nets;

	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		vnet_obj_free(r->nets[i]);
	free(r->nets);
	free(r->dir);
	free(r->autostart_dir);
	free(r->run_dir);
	free(r);
	d->nets = NULL;
}

void netreg_autostart(struct daemon *d)
{
	for (size_t i = 0; d->nets && i < d->nets->n; i++) {
		struct vnet_obj *n = d->nets->nets[i];
		struct err *e = NULL;

		if (!n->autostart || n->live)
			continue;
		log_info(&d->log, _("autostarting network %s"), n->name);
		if (net_start(d, n, &e) < 0) {
			log_err(&d->log, VLOG_WARNING, e);
			err_free(e);
		}
	}
}
