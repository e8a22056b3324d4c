/* Parsing a domain document: the top-level elements, then <devices> (domain_parse_dev.c,
 * domain_parse_net.c). Order of work: well-formedness, our own structural walk (which
 * names anything outside the model as "unsupported: <path> (line N)"), the RelaxNG
 * schema, semantic checks (domain_validate.c), then libvirt's defaults
 * (domain_defaults.c). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/buf.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

/* Domain documents are small; anything bigger is not a domain. */
#define DOMAIN_XML_MAX (4 << 20)
/* A first, generous bound on <devices> children, so that defaults (quadratic at
 * worst) stay cheap; vdomain_validate() applies the real limit after defaults. */
#define DOMAIN_ELEMENTS_MAX 4096

int vdom_parse_uuid(const char *s, uint8_t uuid[16])
{
	unsigned n = 0;

	while (*s == ' ')
		s++;
	for (; *s && n < 32; s++) {
		if (*s == '-')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		unsigned v = (unsigned)(isdigit((unsigned char)*s) ? *s - '0'
								   : tolower((unsigned char)*s) - 'a' + 10);
		if (n % 2 == 0)
			uuid[n / 2] = (uint8_t)(v << 4);
		else
			uuid[n / 2] |= (uint8_t)v;
		n++;
	}
	while (*s == ' ')
		s++;
	return n == 32 && *s == '\0' ? 0 : -1;
}

/* ---- simple text elements ---- */

/* The element's trimmed text; no child elements allowed (attributes are the
 * caller's to check). */
static int take_text(struct xml_ctx *x, xmlNode *n, char **out)
{
	if (xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	free(*out);
	*out = xml_text(n);
	return 0;
}

/* Text of an element that has no attributes at all. */
static int take_plain_text(struct xml_ctx *x, xmlNode *n, char **out)
{
	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	return take_text(x, n, out);
}

static int dom_name(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;

	if (take_plain_text(x, n, &d->name) < 0)
		return -1;
	if (!*d->name)
		return xml_bad_value(x, n, NULL, _("a domain name must not be empty"));
	if (strchr(d->name, '/') || strchr(d->name, '\n'))
		return xml_bad_value(x, n, NULL, _("a domain name must not contain '/' or a newline"));
	return 0;
}

static int dom_uuid(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;
	char *text = NULL;
	int rc = 0;

	if (take_plain_text(x, n, &text) < 0)
		return -1;
	if (vdom_parse_uuid(text, d->uuid) < 0)
		rc = xml_bad_value(x, n, NULL, _("not a UUID"));
	else
		d->uuid_set = true;
	free(text);
	return rc;
}

static int dom_title(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;

	if (take_plain_text(x, n, &d->title) < 0)
		return -1;
	if (strchr(d->title, '\n'))
		return xml_bad_value(x, n, NULL, _("a title must be a single line"));
	return 0;
}

static int dom_description(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;

	if (xml_check_attrs(x, n, NULL) < 0 || xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	/* Kept as written (libvirt keeps its whitespace too). */
	free(d->description);
	d->description = xml_text_raw(n);
	return 0;
}

static int dom_metadata(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;
	xmlBufferPtr xb = xmlBufferCreate();
	struct buf b = BUF_INIT;

	/* Anything goes inside <metadata>: keep each child element verbatim. */
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		xmlBufferEmpty(xb);
		xmlNodeDump(xb, n->doc, c, 0, 0);
		buf_append_str(&b, (const char *)xmlBufferContent(xb), NULL);
		buf_append_str(&b, "\n", NULL);
	}
	xmlBufferFree(xb);
	free(d->metadata_xml);
	d->metadata_xml = buf_steal(&b);
	return 0;
}

/* <memory unit='KiB'>N</memory> in KiB, rounded up like libvirt. */
static int read_memory(struct xml_ctx *x, xmlNode *n, const char *const *attrs, uint64_t *kib)
{
	char *text = NULL, *unit;
	uint64_t value, bytes;
	struct err *e = NULL;
	int rc = 0;

	if (xml_check_attrs(x, n, attrs) < 0 || take_text(x, n, &text) < 0)
		return -1;
	unit = xml_attr(n, "unit");
	if (parse_uint64(text, 0, UINT64_MAX, &value, &e) < 0 ||
	    parse_scaled(value, unit, 1024, (uint64_t)1 << 62, &bytes, &e) < 0) {
		xml_bad_value(x, n, NULL, "%s", e->message);
		err_free(e);
		rc = -1;
	} else {
		*kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
	}
	free(unit);
	free(text);
	return rc;
}

static int dom_memory(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "unit", NULL };

	return read_memory(x, n, attrs, &((struct vdomain *)obj)->memory_kib);
}

static int dom_current_memory(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "unit", NULL };

	return read_memory(x, n, attrs, &((struct vdomain *)obj)->current_memory_kib);
}

static int dom_max_memory(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "unit", "slots", NULL };
	struct vdomain *d = obj;

	if (read_memory(x, n, attrs, &d->max_memory_kib) < 0 ||
	    xml_attr_uint(x, n, "slots", 0, 255, &d->max_memory_slots) < 0)
		return -1;
	return 0;
}

static int dom_vcpu(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "placement", "cpuset", "current", NULL };
	static const char *const placements[] = { "static", "auto", NULL };
	struct vdomain *d = obj;
	char *text = NULL;
	struct err *e = NULL;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "placement", placements, &d->vcpu_placement) < 0 ||
	    xml_attr_choice(x, n, "cpuset", NULL, &d->vcpu_cpuset) < 0 ||
	    xml_attr_uint(x, n, "current", 1, 4096, &d->vcpus_current) < 0 ||
	    take_text(x, n, &text) < 0)
		return -1;
	if (parse_uint(text, 1, 4096, &d->vcpus, &e) < 0) {
		free(text);
		xml_bad_value(x, n, NULL, "%s", e->message);
		err_free(e);
		return -1;
	}
	free(text);
	return 0;
}

/* ---- <os> ---- */

static int os_type(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	static const char *const arches[] = { "x86_64", "i686", NULL };
	struct vdomain *d = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "arch", arches, &d->os.arch) < 0 ||
	    xml_attr_choice(x, n, "machine", NULL, &d->os.machine) < 0 ||
	    take_text(x, n, &d->os.type) < 0)
		return -1;
	if (strcmp(d->os.type, "hvm") != 0)
		return xml_bad_value(x, n, NULL, _("only 'hvm' guests are supported"));
	return 0;
}

static int os_kernel(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return take_plain_text(x, n, &((struct vdomain *)obj)->os.kernel);
}

static int os_initrd(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return take_plain_text(x, n, &((struct vdomain *)obj)->os.initrd);
}

static int os_cmdline(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return take_plain_text(x, n, &((struct vdomain *)obj)->os.cmdline);
}

static int os_boot(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "dev", NULL };
	static const char *const devs[] = { "hd", "cdrom", "network", "fd", NULL };
	struct vdomain *d = obj;
	int dev = -1;

	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "dev", devs, &dev) < 0)
		return -1;
	if (dev < 0)
		return xml_bad_value(x, n, "dev", _("is required"));
	if (d->os.nboot >= ARRAY_SIZE(d->os.boot))
		return xml_bad_value(x, n, "dev", _("at most 4 <boot> elements are allowed"));
	d->os.boot[d->os.nboot++] = (enum vdom_boot_dev)dev;
	return 0;
}

static int os_bootmenu(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "enable", "timeout", NULL };
	struct vdomain *d = obj;
	unsigned timeout;
	int rc;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_tristate(x, n, "enable", true, &d->os.bootmenu) < 0)
		return -1;
	rc = xml_attr_uint(x, n, "timeout", 0, 65535, &timeout);
	if (rc < 0)
		return -1;
	if (rc == 1)
		d->os.bootmenu_timeout = (int)timeout;
	return 0;
}

static int dom_os(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const struct xml_child children[] = {
		{ "type", os_type }, { "kernel", os_kernel }, { "initrd", os_initrd },
		{ "cmdline", os_cmdline }, { "boot", os_boot }, { "bootmenu", os_bootmenu },
		{ NULL, NULL },
	};
	struct vdomain *d = obj;

	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	d->os.bootmenu_timeout = -1;
	if (xml_walk_children(x, n, children, d) < 0)
		return -1;
	if (!d->os.type)
		return err_set(x->errp, ERR_INVALID, _("%s:%ld: <os>: <type> is missing"), x->source,
			       xmlGetLineNo(n));
	return 0;
}

/* ---- <features>, <cpu>, <clock>, <pm>, lifecycle ---- */

static int feature_flag(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const apic_attrs[] = { "eoi", NULL };
	static const char *const vmport_attrs[] = { "state", NULL };
	struct vdom_features *f = &((struct vdomain *)obj)->features;
	const char *name = (const char *)n->name;

	if (xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	if (strcmp(name, "acpi") == 0 || strcmp(name, "pae") == 0) {
		if (xml_check_attrs(x, n, NULL) < 0)
			return -1;
		*(name[0] == 'a' ? &f->acpi : &f->pae) = true;
		return 0;
	}
	if (strcmp(name, "apic") == 0) {
		f->apic = true;
		return xml_check_attrs(x, n, apic_attrs) < 0 ||
		       xml_attr_tristate(x, n, "eoi", false, &f->apic_eoi) < 0 ? -1 : 0;
	}
	f->vmport_set = true;
	return xml_check_attrs(x, n, vmport_attrs) < 0 ||
	       xml_attr_tristate(x, n, "state", false, &f->vmport) < 0 ? -1 : 0;
}

static int dom_features(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const struct xml_child children[] = {
		{ "acpi", feature_flag }, { "apic", feature_flag }, { "pae", feature_flag },
		{ "vmport", feature_flag }, { NULL, NULL },
	};

	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	return xml_walk_children(x, n, children, obj);
}

static int cpu_model(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "fallback", NULL };
	static const char *const fallbacks[] = { "allow", "forbid", NULL };
	struct vdom_cpu *c = &((struct vdomain *)obj)->cpu;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "fallback", fallbacks, &c->model_fallback) < 0)
		return -1;
	return take_text(x, n, &c->model);
}

static int cpu_topology(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "sockets", "dies", "cores", "threads", NULL };
	struct vdom_cpu *c = &((struct vdomain *)obj)->cpu;

	c->dies = 1;
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_uint(x, n, "sockets", 1, 4096, &c->sockets) < 0 ||
	    xml_attr_uint(x, n, "dies", 1, 4096, &c->dies) < 0 ||
	    xml_attr_uint(x, n, "cores", 1, 4096, &c->cores) < 0 ||
	    xml_attr_uint(x, n, "threads", 1, 4096, &c->threads) < 0)
		return -1;
	if (!c->sockets || !c->cores || !c->threads)
		return xml_bad_value(x, n, c->sockets ? (c->cores ? "threads" : "cores") : "sockets",
				     _("is required"));
	return 0;
}

static int dom_cpu(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "mode", "match", "check", "migratable", NULL };
	static const char *const modes[] = { "custom", "host-model", "host-passthrough",
					     "maximum", NULL };
	static const char *const matches[] = { "minimum", "exact", "strict", NULL };
	static const char *const checks[] = { "none", "partial", "full", NULL };
	static const struct xml_child children[] = {
		{ "model", cpu_model }, { "topology", cpu_topology }, { NULL, NULL },
	};
	struct vdomain *d = obj;
	struct vdom_cpu *c = &d->cpu;

	c->present = true;
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "mode", modes, &c->mode) < 0 ||
	    xml_attr_choice(x, n, "match", matches, &c->match) < 0 ||
	    xml_attr_choice(x, n, "check", checks, &c->check) < 0 ||
	    xml_attr_tristate(x, n, "migratable", false, &c->migratable) < 0)
		return -1;
	return xml_walk_children(x, n, children, d);
}

static int clock_timer(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "name", "tickpolicy", "present", NULL };
	static const char *const names[] = { "rtc", "pit", "hpet", "kvmclock", "tsc", NULL };
	static const char *const policies[] = { "delay", "catchup", "merge", "discard", NULL };
	struct vdom_clock *c = &((struct vdomain *)obj)->clock;
	struct vdom_timer *t;

	c->timers = xreallocarray(c->timers, c->n_timers + 1, sizeof(*c->timers));
	t = &c->timers[c->n_timers++];
	memset(t, 0, sizeof(*t));
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "name", names, &t->name) < 0 ||
	    xml_attr_choice(x, n, "tickpolicy", policies, &t->tickpolicy) < 0 ||
	    xml_attr_tristate(x, n, "present", true, &t->present) < 0)
		return -1;
	if (!t->name)
		return xml_bad_value(x, n, "name", _("is required"));
	return xml_walk_children(x, n, NULL, NULL);
}

static int dom_clock(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "offset", NULL };
	static const char *const offsets[] = { "utc", "localtime", NULL };
	static const struct xml_child children[] = { { "timer", clock_timer }, { NULL, NULL } };
	struct vdomain *d = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "offset", offsets, &d->clock.offset) < 0)
		return -1;
	return xml_walk_children(x, n, children, d);
}

static int pm_flag(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "enabled", NULL };
	struct vdom_pm *pm = &((struct vdomain *)obj)->pm;
	bool mem = strcmp((const char *)n->name, "suspend-to-mem") == 0;

	if (xml_check_attrs(x, n, attrs) < 0 || xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	return xml_attr_tristate(x, n, "enabled", true,
				 mem ? &pm->suspend_to_mem : &pm->suspend_to_disk) < 0 ? -1 : 0;
}

static int dom_pm(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const struct xml_child children[] = {
		{ "suspend-to-mem", pm_flag }, { "suspend-to-disk", pm_flag }, { NULL, NULL },
	};

	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	return xml_walk_children(x, n, children, obj);
}

static int lifecycle(struct xml_ctx *x, xmlNode *n, enum vdom_lifecycle_action *out,
		     bool allow_restarts)
{
	static const char *const names[] = { "destroy", "restart", "preserve", "rename-restart",
					     "coredump-destroy", "coredump-restart", NULL };
	char *text = NULL;
	int i, rc = -1;

	if (take_plain_text(x, n, &text) < 0)
		return -1;
	for (i = 0; names[i]; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum vdom_lifecycle_action)(i + 1);
			rc = 0;
		}
	}
	if (rc < 0)
		xml_bad_value(x, n, NULL, _("expected destroy, restart, preserve or rename-restart"));
	else if (!allow_restarts && *out >= VDOM_ACT_COREDUMP_DESTROY)
		rc = xml_bad_value(x, n, NULL, _("coredump actions are only valid for <on_crash>"));
	free(text);
	return rc;
}

static int dom_on_poweroff(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return lifecycle(x, n, &((struct vdomain *)obj)->on_poweroff, false);
}

static int dom_on_reboot(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return lifecycle(x, n, &((struct vdomain *)obj)->on_reboot, false);
}

static int dom_on_crash(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return lifecycle(x, n, &((struct vdomain *)obj)->on_crash, true);
}

static int dev_emulator(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return take_plain_text(x, n, &((struct vdomain *)obj)->emulator);
}

static int dom_devices(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const struct xml_child children[] = {
		{ "emulator", dev_emulator }, { "disk", parse_disk },
		{ "controller", parse_controller }, { "interface", parse_interface },
		{ "serial", parse_serial }, { "console", parse_console }, { "input", parse_input },
		{ "audio", parse_audio }, { "memballoon", parse_memballoon }, { "rng", parse_rng },
		{ "panic", parse_panic }, { NULL, NULL },
	};

	unsigned count = 0;

	if (xml_check_attrs(x, n, NULL) < 0)
		return -1;
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && ++count > DOMAIN_ELEMENTS_MAX)
			return err_set(x->errp, ERR_LIMIT, _("%s:%ld: more than %d devices"),
				       x->source, xmlGetLineNo(c), VDOM_DEVICES_MAX);
	return xml_walk_children(x, n, children, obj);
}

/* ---- the document ---- */

static int parse_root(struct xml_ctx *x, xmlNode *root, struct vdomain *d)
{
	static const char *const attrs[] = { "type", "id", NULL };
	static const char *const types[] = { "kvm", "qemu", NULL };
	static const struct xml_child children[] = {
		{ "name", dom_name }, { "uuid", dom_uuid }, { "title", dom_title },
		{ "description", dom_description }, { "metadata", dom_metadata },
		{ "maxMemory", dom_max_memory }, { "memory", dom_memory },
		{ "currentMemory", dom_current_memory }, { "vcpu", dom_vcpu }, { "os", dom_os },
		{ "features", dom_features }, { "cpu", dom_cpu }, { "clock", dom_clock },
		{ "on_poweroff", dom_on_poweroff }, { "on_reboot", dom_on_reboot },
		{ "on_crash", dom_on_crash }, { "pm", dom_pm }, { "devices", dom_devices },
		{ NULL, NULL },
	};
	int type = -1;
	char *t;

	if (root->ns || strcmp((const char *)root->name, "domain") != 0)
		return err_set(x->errp, ERR_PARSE, _("%s:%ld: expected a <domain> document, not <%s>"),
			       x->source, xmlGetLineNo(root), (const char *)root->name);
	t = xml_attr(root, "type");
	if (t && !xml_name_in(types, t)) {
		free(t);
		return xml_unsupported(x, root, "type");
	}
	free(t);
	if (xml_check_attrs(x, root, attrs) < 0 || xml_attr_enum(x, root, "type", types, &type) < 0)
		return -1;
	if (type < 0)
		return xml_bad_value(x, root, "type", _("is required"));
	d->virt = type == 0 ? VDOM_VIRT_KVM : VDOM_VIRT_QEMU;
	if (xml_walk_children(x, root, children, d) < 0)
		return -1;
	if (!d->name)
		return err_set(x->errp, ERR_INVALID, _("%s: <domain>: <name> is missing"), x->source);
	if (!d->memory_kib)
		return err_set(x->errp, ERR_INVALID,
			       _("%s: <domain>: memory size must be given with <memory>"),
			       x->source);
	if (!d->os.type)
		return err_set(x->errp, ERR_INVALID, _("%s: <domain>: <os> is missing"), x->source);
	return 0;
}

struct vdomain *vdomain_parse(const char *xml, size_t len, const char *source_name,
			      const char *schema_dir, struct err **errp)
{
	struct xml_ctx x = { .source = source_name ? source_name : "<string>", .errp = errp };
	struct vdomain *d = NULL;
	struct err *structural = NULL;
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;

	if (len > DOMAIN_XML_MAX) {
		err_set(errp, ERR_LIMIT, _("%s: larger than %d bytes"), x.source, DOMAIN_XML_MAX);
		return NULL;
	}
	pc = xmlNewParserCtxt();
	if (!pc) {
		err_set(errp, ERR_INTERNAL, _("cannot create an XML parser"));
		return NULL;
	}
	/* No network, no external entities, no entity expansion into the tree, and no
	 * messages on stderr: the error comes back to the caller. */
	doc = xmlCtxtReadMemory(pc, xml, (int)len, x.source, NULL,
				XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *xe = xmlCtxtGetLastError(pc);
		char *m = xe && xe->message ? xstrndup(xe->message, strcspn(xe->message, "\n"))
					    : xstrdup(_("not a well-formed XML document"));

		err_set(errp, ERR_PARSE, "%s:%d: %s", x.source, xe ? xe->line : 0, m);
		free(m);
		xmlFreeParserCtxt(pc);
		goto out;
	}
	xmlFreeParserCtxt(pc);
	d = xzalloc(sizeof(*d));
	/* Our own walk first: it names unsupported elements and bad values precisely.
	 * Then the schema, which must agree; then libvirt's defaults and the semantic
	 * rules. */
	if (parse_root(&x, xmlDocGetRootElement(doc), d) < 0 ||
	    (schema_dir &&
	     domain_schema_validate(doc, schema_dir, "domain.rng", x.source, errp) < 0) ||
	    vdomain_apply_defaults(d, errp) < 0) {
		vdomain_free(d);
		d = NULL;
	} else if (vdomain_validate(d, &structural) < 0) {
		/* Semantic messages start with "line N: " or name the element; put the file
		 * in front as everywhere else ("web.xml:22: <interface>..."). */
		const char *m = structural->message;

		if (str_starts_with(m, "line "))
			err_set(errp, structural->code, "%s:%s", x.source, m + 5);
		else
			err_set(errp, structural->code, "%s: %s", x.source, m);
		err_free(structural);
		vdomain_free(d);
		d = NULL;
	}
out:
	xmlFreeDoc(doc);
	return d;
}

struct vdomain *vdomain_parse_file(const char *path, const char *schema_dir, struct err **errp)
{
	struct vdomain *d;
	char *data;
	size_t len;

	if (file_read_all(path, DOMAIN_XML_MAX, &data, &len, errp) < 0)
		return NULL;
	d = vdomain_parse(data, len, path, schema_dir, errp);
	free(data);
	return d;
}
