/* The domain registry: every domain the daemon knows, its persistent definition on
 * disk (<root>/etc/vireo/domains/NAME.xml, replaced atomically), autostart marks
 * (symlinks in domains/autostart/, as libvirt keeps them), lookups, and the domain
 * object of the RPC. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/defstore.h"
#include "daemon/domain.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

#define XML_MAX ((size_t)16 << 20)

struct domain *dom_ref(struct domain *dom)
{
	dom->refs++;
	return dom;
}

void dom_unref(struct domain *dom)
{
	if (!dom || --dom->refs > 0)
		return;
	vdomain_free(dom->def);
	vdomain_free(dom->live);
	free(dom->name);
	free(dom);
}

const char *dom_state_name(enum dom_state s)
{
	switch (s) {
	case DOM_SHUTOFF: return "shut off";
	case DOM_RUNNING: return "running";
	case DOM_PAUSED: return "paused";
	case DOM_SHUTDOWN: return "in shutdown";
	case DOM_CRASHED: return "crashed";
	case DOM_PMSUSPENDED: return "pmsuspended";
	}
	return "no state";
}

bool dom_is_active(const struct domain *dom)
{
	return dom->w != NULL;
}

/* ---- lookups ---- */

/* "xxxxxxxx-xxxx-..." or 32 hex digits. */
static bool parse_uuid(const char *s, uint8_t out[16])
{
	size_t n = 0;

	for (; *s && n < 32; s++) {
		int v;

		if (*s == '-')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return false;
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 32 && *s == '\0';
}

struct domain *registry_find_name(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->reg.n; i++)
		if (strcmp(d->reg.doms[i]->name, name) == 0)
			return d->reg.doms[i];
	return NULL;
}

struct domain *registry_find_uuid(struct daemon *d, const uint8_t uuid[16])
{
	for (size_t i = 0; i < d->reg.n; i++)
		if (memcmp(d->reg.doms[i]->uuid, uuid, 16) == 0)
			return d->reg.doms[i];
	return NULL;
}

struct domain *registry_find(struct daemon *d, const char *ref)
{
	uint8_t uuid[16];
	int id;

	if (parse_int(ref, 0, INT32_MAX, &id, NULL) == 0)
		for (size_t i = 0; i < d->reg.n; i++)
			if (d->reg.doms[i]->id == id && id >= 0)
				return d->reg.doms[i];
	if (parse_uuid(ref, uuid) && registry_find_uuid(d, uuid))
		return registry_find_uuid(d, uuid);
	return registry_find_name(d, ref);
}

struct domain *registry_lookup(struct daemon *d, const char *ref, struct err **errp)
{
	struct domain *dom = registry_find(d, ref);

	if (!dom)
		err_set(errp, RPC_ERR_NO_DOMAIN,
			_("failed to get domain '%s': Domain not found"), ref);
	return dom;
}

struct domain *registry_add(struct daemon *d, struct vdomain *def, bool persistent)
{
	struct domain *dom = xzalloc(sizeof(*dom));

	dom->refs = 1;
	dom->d = d;
	dom->name = xstrdup(def->name);
	memcpy(dom->uuid, def->uuid, 16);
	vdom_format_uuid(dom->uuid, dom->uuid_str);
	dom->id = -1;
	dom->state = DOM_SHUTOFF;
	dom->reason = "unknown";
	if (persistent)
		dom->def = def;
	else
		dom->live = def;
	d->reg.doms = xreallocarray(d->reg.doms, d->reg.n + 1, sizeof(*d->reg.doms));
	d->reg.doms[d->reg.n++] = dom;
	return dom;
}

void registry_remove(struct daemon *d, struct domain *dom)
{
	for (size_t i = 0; i < d->reg.n; i++) {
		if (d->reg.doms[i] != dom)
			continue;
		memmove(&d->reg.doms[i], &d->reg.doms[i + 1],
			(d->reg.n - i - 1) * sizeof(*d->reg.doms));
		d->reg.n--;
		dom->removed = true;
		dom_unref(dom);
		return;
	}
}

void registry_free(struct daemon *d)
{
	while (d->reg.n > 0)
		registry_remove(d, d->reg.doms[d->reg.n - 1]);
	XFREE(&d->reg.doms);
}

/* ---- XML ---- */

struct vdomain *registry_parse_xml(struct daemon *d, const char *xml, struct err **errp)
{
	struct err *e = NULL;
	struct vdomain *def = vdomain_parse(xml, strlen(xml), "domain.xml", d->schema_dir, &e);

	if (!def) {
		char *text = err_describe(e);

		err_set(errp, RPC_ERR_INVALID_XML, "%s", text);
		free(text);
		err_free(e);
	}
	return def;
}

struct vdomain *registry_copy_def(struct daemon *d, const struct vdomain *def, struct err **errp)
{
	char *xml = vdomain_format(def);
	struct vdomain *copy = vdomain_parse(xml, strlen(xml), def->name, NULL, errp);

	free(xml);
	return copy;
}

/* libvirt's running-domain XML says which id it has: <domain type='kvm' id='3'>. */
static char *insert_id(char *xml, int id)
{
	char *gt = strchr(xml, '>');
	char *out;

	if (!gt || gt == xml || gt[-1] == '/')
		return xml;
	out = xasprintf("%.*s id='%d'%s", (int)(gt - xml), xml, id, gt);
	free(xml);
	return out;
}

char *dom_format_xml(const struct domain *dom, bool inactive)
{
	if (dom->live && (!inactive || !dom->def)) {
		char *xml = vdomain_format(dom->live);

		return dom->id >= 0 ? insert_id(xml, dom->id) : xml;
	}
	return vdomain_format(dom->def ? dom->def : dom->live);
}

/* ---- files (daemon/defstore.h) ---- */

int registry_save(struct daemon *d, const struct domain *dom, struct err **errp)
{
	char *xml = vdomain_format(dom->def);
	int rc = defstore_save(d->paths.domains_dir, dom->name, xml, errp);

	free(xml);
	return rc;
}

int registry_delete_files(struct daemon *d, const struct domain *dom, struct err **errp)
{
	return defstore_delete(d->paths.domains_dir, d->paths.autostart_dir, dom->name, errp);
}

int registry_set_autostart(struct daemon *d, struct domain *dom, bool on, struct err **errp)
{
	int rc = defstore_set_autostart(d->paths.autostart_dir, dom->name, on, errp);

	if (rc == 0)
		dom->autostart = on;
	return rc;
}

/* One definition file; NULL (logged) when it is unusable. */
static struct vdomain *load_one(struct daemon *d, const char *file)
{
	char *path = path_join(d->paths.domains_dir, file), *xml = NULL;
	struct vdomain *def = NULL;
	struct err *e = NULL;

	if (file_read_all(path, XML_MAX, &xml, NULL, &e) == 0)
		def = registry_parse_xml(d, xml, &e);
	if (def && !defstore_file_is(file, def->name)) {
		err_set(&e, RPC_ERR_INVALID_XML, _("the file holds domain '%s'"), def->name);
		vdomain_free(def);
		def = NULL;
	}
	if (def && (registry_find_name(d, def->name) || registry_find_uuid(d, def->uuid))) {
		err_set(&e, RPC_ERR_DOMAIN_EXISTS, _("a domain with this name or uuid exists"));
		vdomain_free(def);
		def = NULL;
	}
	if (!def)
		defstore_warn_ignored(&d->log, path, e);
	free(xml);
	free(path);
	return def;
}

void registry_load(struct daemon *d)
{
	struct strv files = STRV_INIT;

	if (defstore_list(d->paths.domains_dir, &files) < 0) {
		log_warning(&d->log, _("cannot read %s: %s"), d->paths.domains_dir,
			    strerror(errno));
		return;
	}
	for (size_t i = 0; i < files.len; i++) {
		struct vdomain *def = load_one(d, files.items[i]);
		struct domain *dom;

		if (!def)
			continue;
		dom = registry_add(d, def, true);
		dom->autostart = defstore_is_autostart(d->paths.autostart_dir, dom->name);
	}
	strv_free(&files);
}

/* ---- the RPC's domain object ---- */

static uint64_t current_memory(const struct vdomain *def)
{
	return def->current_memory_kib ? def->current_memory_kib : def->memory_kib;
}

struct json_object *dom_to_json(const struct domain *dom)
{
	const struct vdomain *def = dom->live ? dom->live : dom->def;
	struct json_object *o = json_object_new_object();
	uint64_t cpu_ns = 0;

	if (dom->w)
		proc_cpu_time_ns(dom->w->pid, &cpu_ns);
	json_object_object_add(o, "name", json_object_new_string(dom->name));
	json_object_object_add(o, "uuid", json_object_new_string(dom->uuid_str));
	json_object_object_add(o, "id", json_object_new_int(dom->id));
	json_object_object_add(o, "state", json_object_new_string(dom_state_name(dom->state)));
	json_object_object_add(o, "reason", json_object_new_string(dom->reason));
	json_object_object_add(o, "persistent", json_object_new_boolean(dom->def != NULL));
	json_object_object_add(o, "autostart", json_object_new_boolean(dom->autostart));
	json_object_object_add(o, "vcpus", json_object_new_int((int)(def->vcpus_current ?
									def->vcpus_current :
									def->vcpus)));
	json_object_object_add(o, "max_memory_kib", json_object_new_int64((int64_t)def->memory_kib));
	json_object_object_add(o, "memory_kib", json_object_new_int64((int64_t)current_memory(def)));
	json_object_object_add(o, "cpu_time_ns", json_object_new_int64((int64_t)cpu_ns));
	json_object_object_add(o, "os_type",
			       json_object_new_string(def->os.type ? def->os.type : "hvm"));
	return o;
}
