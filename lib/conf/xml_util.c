#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/xml_util.h"
#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

static const char *node_name(const xmlNode *n, char *buf, size_t len)
{
	if (n->ns && n->ns->prefix)
		snprintf(buf, len, "%s:%s", (const char *)n->ns->prefix, (const char *)n->name);
	else
		snprintf(buf, len, "%s", (const char *)n->name);
	return buf;
}

char *xml_node_path(const xmlNode *n)
{
	char *path = xstrdup("");

	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		char name[128];
		char *next = xasprintf("/%s%s", node_name(n, name, sizeof(name)), path);

		free(path);
		path = next;
	}
	return path;
}

int xml_unsupported(struct xml_ctx *x, const xmlNode *n, const char *attr)
{
	char *path = xml_node_path(n);
	long line = xmlGetLineNo(n);

	if (attr)
		err_set(x->errp, ERR_UNSUPPORTED, _("%s:%ld: unsupported: %s/@%s (line %ld)"),
			x->source, line, path, attr, line);
	else
		err_set(x->errp, ERR_UNSUPPORTED, _("%s:%ld: unsupported: %s (line %ld)"),
			x->source, line, path, line);
	free(path);
	return -1;
}

int xml_bad_value(struct xml_ctx *x, const xmlNode *n, const char *attr, const char *fmt, ...)
{
	char name[128], *what, *msg;
	char *value = attr ? xml_attr(n, attr) : xml_text(n);
	va_list ap;

	node_name(n, name, sizeof(name));
	if (attr)
		what = xasprintf("<%s %s='%s'>", name, attr, value ? value : "");
	else
		what = xasprintf("<%s>%s</%s>", name, value ? value : "", name);
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(x->errp, ERR_INVALID, "%s:%ld: %s: %s", x->source, xmlGetLineNo(n), what, msg);
	free(what);
	free(msg);
	free(value);
	return -1;
}

int xml_check_attrs(struct xml_ctx *x, const xmlNode *n, const char *const *allowed)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		bool ok = false;

		for (size_t i = 0; allowed && allowed[i]; i++)
			if (!a->ns && strcmp((const char *)a->name, allowed[i]) == 0)
				ok = true;
		if (!ok)
			return xml_unsupported(x, n, (const char *)a->name);
	}
	return 0;
}

int xml_walk_children(struct xml_ctx *x, xmlNode *n, const struct xml_child *table, void *obj)
{
	for (xmlNode *c = n->children; c; c = c->next) {
		const struct xml_child *h = NULL;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (size_t i = 0; table && table[i].name; i++)
			if (!c->ns && strcmp((const char *)c->name, table[i].name) == 0)
				h = &table[i];
		if (!h)
			return xml_unsupported(x, c, NULL);
		if (h->fn(x, c, obj) < 0)
			return -1;
	}
	return 0;
}

char *xml_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (!v)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *xml_text_raw(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = xstrdup(v ? (const char *)v : "");

	xmlFree(v);
	return s;
}

char *xml_text(const xmlNode *n)
{
	char *s = xml_text_raw(n), *start = s, *end;

	while (*start && isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

int xml_attr_uint(struct xml_ctx *x, const xmlNode *n, const char *name, unsigned min,
		  unsigned max, unsigned *out)
{
	char *v = xml_attr(n, name);
	struct err *e = NULL;
	int rc = 1;

	if (!v)
		return 0;
	if (parse_uint(v, min, max, out, &e) < 0) {
		xml_bad_value(x, n, name, "%s", e->message);
		err_free(e);
		rc = -1;
	}
	free(v);
	return rc;
}

int xml_attr_enum(struct xml_ctx *x, const xmlNode *n, const char *name,
		  const char *const *names, int *out)
{
	char *v = xml_attr(n, name);
	struct strv expected = STRV_INIT;
	char *list;
	int i;

	if (!v)
		return 0;
	for (i = 0; names[i]; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			free(v);
			strv_free(&expected);
			return 1;
		}
		strv_push(&expected, names[i]);
	}
	list = strv_join(&expected, ", ");
	xml_bad_value(x, n, name, _("expected one of: %s"), list);
	free(list);
	strv_free(&expected);
	free(v);
	return -1;
}

int xml_attr_tristate(struct xml_ctx *x, const xmlNode *n, const char *name, bool yes_no,
		      enum vtristate *out)
{
	static const char *const on_off[] = { "on", "off", NULL };
	static const char *const yes_no_names[] = { "yes", "no", NULL };
	int idx, rc = xml_attr_enum(x, n, name, yes_no ? yes_no_names : on_off, &idx);

	if (rc == 1)
		*out = idx == 0 ? VTRI_ON : VTRI_OFF;
	return rc;
}

int xml_attr_choice(struct xml_ctx *x, const xmlNode *n, const char *name,
		    const char *const *names, char **out)
{
	int idx, rc;

	if (!names) {
		char *v = xml_attr(n, name);

		if (!v)
			return 0;
		free(*out);
		*out = v;
		return 1;
	}
	rc = xml_attr_enum(x, n, name, names, &idx);
	if (rc == 1) {
		free(*out);
		*out = xstrdup(names[idx]);
	}
	return rc;
}

bool xml_name_in(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return true;
	return false;
}

char *xml_escape(const char *s, bool attr)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		switch (*s) {
		case '<': buf_append_str(&b, "&lt;", NULL); break;
		case '>': buf_append_str(&b, "&gt;", NULL); break;
		case '&': buf_append_str(&b, "&amp;", NULL); break;
		/* libvirt escapes quotes in text too; so do we, for identical output. */
		case '\'': buf_append_str(&b, "&apos;", NULL); break;
		case '"': buf_append_str(&b, "&quot;", NULL); break;
		default: buf_append(&b, s, 1, NULL);
		}
	}
	return buf_steal(&b);
}
