/* vireo-vmm options: QemuOpts key=value text and JSON objects as property lists, and
 * typed reads of them. See options.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"
#include "qemu-wrap/options_priv.h"

/* ---- property lists ---- */

static struct vmm_prop *props_find(const struct vmm_props *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->len; i++)
		if (strcmp(p->items[i].key, key) == 0)
			return &p->items[i];
	return NULL;
}

const char *vmm_props_get(const struct vmm_props *p, const char *key)
{
	const struct vmm_prop *it = props_find(p, key);

	return it ? it->value : NULL;
}

/* Set key, taking ownership of key and value. */
static void props_set_take(struct vmm_props *p, char *key, char *value, bool implied)
{
	struct vmm_prop *it = props_find(p, key);

	if (it) {
		free(key);
		free(it->value);
		it->value = value;
		it->implied = implied;
		return;
	}
	if (p->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->items = xreallocarray(p->items, p->cap, sizeof(*p->items));
	}
	p->items[p->len++] = (struct vmm_prop){ .key = key, .value = value, .implied = implied };
}

void vmm_props_set(struct vmm_props *p, const char *key, const char *value)
{
	props_set_take(p, xstrdup(key), xstrdup(value), false);
}

char *vmm_props_take(struct vmm_props *p, const char *key)
{
	struct vmm_prop *it = props_find(p, key);
	char *value;
	size_t i;

	if (!it)
		return NULL;
	value = it->value;
	free(it->key);
	i = (size_t)(it - p->items);
	memmove(it, it + 1, (p->len - i - 1) * sizeof(*it));
	p->len--;
	return value;
}

void vmm_props_free(struct vmm_props *p)
{
	size_t i;

	for (i = 0; i < p->len; i++) {
		free(p->items[i].key);
		free(p->items[i].value);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}

/* ---- QemuOpts text ---- */

/* Copy a value up to a single ',' (",," is a literal comma) into *out; returns the
 * position of that ',' or of the end (QEMU's get_opt_value). */
static const char *kv_value(const char *p, char **out)
{
	struct buf b = BUF_INIT;
	size_t n;

	for (;;) {
		n = strcspn(p, ",");
		if (p[n] == ',' && p[n + 1] == ',') {
			buf_append(&b, p, n + 1, NULL);
			p += n + 2;
			continue;
		}
		buf_append(&b, p, n, NULL);
		*out = buf_steal(&b);
		return p + n;
	}
}

/* One item at p: "key=value", "key" (key=on) or, first, the implied key's value.
 * Returns the position after it, or NULL with an error. */
static const char *kv_item(const char *p, const char *implied_key, struct vmm_props *out,
			   struct err **errp)
{
	size_t n = strcspn(p, "=,");
	char *key, *value;

	if (p[n] != '=' && implied_key) {
		p = kv_value(p, &value);
		props_set_take(out, xstrdup(implied_key), value, true);
		return p;
	}
	if (n == 0) {
		err_set(errp, ERR_USAGE, _("empty property name in '%s'"), p);
		return NULL;
	}
	key = xstrndup(p, n);
	p += n;
	if (*p == '=')
		p = kv_value(p + 1, &value);
	else
		value = xstrdup("on");
	props_set_take(out, key, value, false);
	return p;
}

int vmm_kv_parse(const char *text, const char *implied_key, struct vmm_props *out,
		 struct err **errp)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		p = kv_item(p, first ? implied_key : NULL, out, errp);
		if (!p)
			return -1;
		if (*p == ',')
			p++;
		first = false;
	}
	/* "-m ''": an empty implied value, so the option's own check names it */
	if (first && implied_key)
		props_set_take(out, xstrdup(implied_key), xstrdup(""), true);
	return 0;
}

/* ---- JSON ---- */

static int json_flatten(struct json_object *o, const char *prefix, struct vmm_props *out,
			struct err **errp);

/* One member: scalars become text, objects and arrays dotted keys ("file.driver",
 * "list.0") as QEMU's keyval does. */
static int json_member(const char *key, struct json_object *v, struct vmm_props *out,
		       struct err **errp)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		vmm_props_set(out, key, json_object_get_string(v));
		return 0;
	case json_type_boolean:
		vmm_props_set(out, key, json_object_get_boolean(v) ? "on" : "off");
		return 0;
	case json_type_int:
		vmm_props_set(out, key, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return 0;
	case json_type_object:
	case json_type_array:
		return json_flatten(v, key, out, errp);
	case json_type_double:
		return err_set(errp, ERR_USAGE, _("property '%s' must be an integer, not %s"),
			       key, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	case json_type_null:
		break;
	}
	return err_set(errp, ERR_USAGE, _("property '%s' is null"), key);
}

static int json_flatten(struct json_object *o, const char *prefix, struct vmm_props *out,
			struct err **errp)
{
	int rc = 0;

	if (json_object_is_type(o, json_type_array)) {
		size_t i, n = json_object_array_length(o);

		for (i = 0; i < n && rc == 0; i++) {
			char *key = xasprintf("%s.%zu", prefix, i);

			rc = json_member(key, json_object_array_get_idx(o, i), out, errp);
			free(key);
		}
		return rc;
	}
	json_object_object_foreach(o, k, v) {
		char *key = prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);

		rc = json_member(key, v, out, errp);
		free(key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The object in text, with nothing but blanks after it; NULL with an error. */
static struct json_object *json_parse_object(const char *text, struct err **errp)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	struct json_object *o;
	enum json_tokener_error jerr;

	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !o) {
		json_object_put(o);
		err_set(errp, ERR_USAGE, _("invalid JSON: %s"),
			jerr == json_tokener_continue ? _("unexpected end")
						      : json_tokener_error_desc(jerr));
		return NULL;
	}
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (end < len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		err_set(errp, ERR_USAGE, _("the JSON value is not one object"));
		return NULL;
	}
	return o;
}

int vmm_json_parse(const char *text, struct vmm_props *out, struct err **errp)
{
	struct json_object *o = json_parse_object(text, errp);
	int rc;

	if (!o)
		return -1;
	rc = json_flatten(o, NULL, out, errp);
	json_object_put(o);
	return rc;
}

/* ---- helpers for the option parsers ---- */

int opt_error_prefix(struct err **errp, const char *what)
{
	struct err *e = errp ? *errp : NULL;
	char *msg;

	if (!e)
		return -1;
	msg = xasprintf("%s: %s", what, e->message);
	free(e->message);
	e->message = msg;
	free(e->code);
	e->code = xstrdup(ERR_USAGE);
	return -1;
}

int opt_props_parse(const char *what, const char *arg, const char *implied_key, bool json_ok,
		    const char *const *allowed, struct vmm_props *out, struct err **errp)
{
	int rc;

	if (json_ok && arg[0] == '{')
		rc = vmm_json_parse(arg, out, errp);
	else
		rc = vmm_kv_parse(arg, implied_key, out, errp);
	if (rc < 0)
		return opt_error_prefix(errp, what);
	return allowed ? vmm_props_check_keys(out, what, allowed, errp) : 0;
}

/* Name a bad value in a property: "-smp: 'x' is not a valid number" when the key was
 * implied, "-smp: property 'cores': 'x' is ..." otherwise. inner is freed. */
static int prop_fail(const struct vmm_prop *it, const char *what, struct err *inner,
		     struct err **errp)
{
	if (it->implied)
		err_set(errp, ERR_USAGE, "%s: %s", what, inner->message);
	else
		err_set(errp, ERR_USAGE, _("%s: property '%s': %s"), what, it->key,
			inner->message);
	err_free(inner);
	return -1;
}

const char *opt_require(const struct vmm_props *p, const char *what, const char *key,
			struct err **errp)
{
	const char *v = vmm_props_get(p, key);

	if (!v)
		err_set(errp, ERR_USAGE, _("%s: property '%s' is required"), what, key);
	return v;
}

int opt_bad_value(const struct vmm_props *p, const char *what, const char *key,
		  const char *allowed, struct err **errp)
{
	const struct vmm_prop *it = props_find(p, key);
	struct err *inner = NULL;

	err_set(&inner, ERR_USAGE, _("'%s' is not valid (%s)"), it ? it->value : "", allowed);
	if (!it) {
		err_set(errp, ERR_USAGE, "%s: %s", what, inner->message);
		err_free(inner);
		return -1;
	}
	return prop_fail(it, what, inner, errp);
}

int opt_check_id(const char *what, const char *id, struct err **errp)
{
	const char *p;

	if (isalpha((unsigned char)id[0])) {
		for (p = id + 1; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
				break;
		if (!*p)
			return 0;
	}
	return err_set(errp, ERR_USAGE, _("%s: '%s' is not a valid id"), what, id);
}

void *opt_array_add(void *arrayp, size_t *n, size_t sz)
{
	char **array = arrayp;
	char *item;

	*array = xreallocarray(*array, *n + 1, sz);
	item = *array + *n * sz;
	memset(item, 0, sz);
	(*n)++;
	return item;
}

/* ---- typed reads ---- */

int vmm_props_uint(const struct vmm_props *p, const char *what, const char *key,
		   uint64_t min, uint64_t max, uint64_t dflt, uint64_t *out, struct err **errp)
{
	const struct vmm_prop *it = props_find(p, key);
	struct err *inner = NULL;

	if (!it) {
		*out = dflt;
		return 0;
	}
	if (parse_uint64(it->value, min, max, out, &inner) < 0)
		return prop_fail(it, what, inner, errp);
	return 0;
}

int vmm_props_int(const struct vmm_props *p, const char *what, const char *key, int64_t min,
		  int64_t max, int64_t dflt, int64_t *out, struct err **errp)
{
	const struct vmm_prop *it = props_find(p, key);
	struct err *inner = NULL;

	if (!it) {
		*out = dflt;
		return 0;
	}
	if (parse_int64(it->value, min, max, out, &inner) < 0)
		return prop_fail(it, what, inner, errp);
	return 0;
}

int vmm_props_bool(const struct vmm_props *p, const char *what, const char *key, bool dflt,
		   bool *out, struct err **errp)
{
	const struct vmm_prop *it = props_find(p, key);
	struct err *inner = NULL;

	if (!it) {
		*out = dflt;
		return 0;
	}
	if (parse_bool(it->value, out, &inner) < 0)
		return prop_fail(it, what, inner, errp);
	return 0;
}

int vmm_props_size(const struct vmm_props *p, const char *what, const char *key,
		   uint64_t default_unit, uint64_t dflt, uint64_t *out, struct err **errp)
{
	const struct vmm_prop *it = props_find(p, key);
	struct err *inner = NULL;

	if (!it) {
		*out = dflt;
		return 0;
	}
	if (parse_size_default(it->value, default_unit, out, &inner) < 0)
		return prop_fail(it, what, inner, errp);
	return 0;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

int vmm_props_check_keys(const struct vmm_props *p, const char *what,
			 const char *const *allowed, struct err **errp)
{
	size_t i;

	for (i = 0; i < p->len; i++)
		if (!key_allowed(p->items[i].key, allowed))
			return err_set(errp, ERR_USAGE, _("%s: unknown property '%s'"), what,
				       p->items[i].key);
	return 0;
}
