/* virsh's output shapes (see format.h). The layouts were taken from virsh 9.0 on
 * test:///default; tests/integration/cli-virsh-parity.test.sh compares them. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "client/format.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

static int get_string(struct json_object *o, const char *key, char **out, struct err **errp)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return err_set(errp, ERR_INVALID, _("domain object: '%s' is missing or not a string"),
			       key);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

static int get_int(struct json_object *o, const char *key, int64_t min, int64_t *out,
		   struct err **errp)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < min)
		return err_set(errp, ERR_INVALID,
			       _("domain object: '%s' is missing or not an integer"), key);
	*out = json_object_get_int64(v);
	return 0;
}

/* Booleans and the optional fields: absent means false/0 (an older daemon). */
static bool opt_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static uint64_t opt_uint(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? (uint64_t)n : 0;
}

int dom_info_from_json(struct json_object *o, struct dom_info *d, struct err **errp)
{
	struct json_object *v;

	memset(d, 0, sizeof(*d));
	d->id = -1;
	if (!json_object_is_type(o, json_type_object))
		return err_set(errp, ERR_INVALID, _("domain object: not a JSON object"));
	if (get_string(o, "name", &d->name, errp) < 0 ||
	    get_string(o, "uuid", &d->uuid, errp) < 0 ||
	    get_int(o, "id", -1, &d->id, errp) < 0 ||
	    get_string(o, "state", &d->state, errp) < 0)
		return -1;
	d->reason = json_object_object_get_ex(o, "reason", &v) &&
				    json_object_is_type(v, json_type_string)
			    ? xstrdup(json_object_get_string(v))
			    : xstrdup("unknown");
	d->os_type = json_object_object_get_ex(o, "os_type", &v) &&
				     json_object_is_type(v, json_type_string)
			     ? xstrdup(json_object_get_string(v))
			     : xstrdup("hvm");
	d->persistent = opt_bool(o, "persistent");
	d->autostart = opt_bool(o, "autostart");
	d->vcpus = (unsigned)opt_uint(o, "vcpus");
	d->max_memory_kib = opt_uint(o, "max_memory_kib");
	d->memory_kib = opt_uint(o, "memory_kib");
	d->cpu_time_ns = opt_uint(o, "cpu_time_ns");
	return 0;
}

void dom_info_free(struct dom_info *d)
{
	free(d->name);
	free(d->uuid);
	free(d->state);
	free(d->reason);
	free(d->os_type);
	memset(d, 0, sizeof(*d));
	d->id = -1;
}

size_t text_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	wchar_t *w;
	int cols;

	if (n == (size_t)-1)
		return strlen(s);
	w = xcalloc(n + 1, sizeof(*w));
	mbstowcs(w, s, n + 1);
	cols = wcswidth(w, n);
	free(w);
	return cols < 0 ? strlen(s) : (size_t)cols;
}

static void format_row(const char *const *row, const size_t *widths, size_t ncols,
		       struct buf *out)
{
	for (size_t c = 0; c < ncols; c++) {
		buf_append_str(out, c ? "   " : " ", NULL);
		buf_append_str(out, row[c], NULL);
		if (c + 1 < ncols)
			buf_appendf(out, NULL, "%*s", (int)(widths[c] - text_width(row[c])), "");
	}
	buf_append_str(out, "\n", NULL);
}

void table_format(const char *const *header, const struct strv *cells, size_t ncols,
		  struct buf *out)
{
	size_t *widths = xcalloc(ncols, sizeof(*widths));
	size_t nrows = ncols ? cells->len / ncols : 0, dashes = 0;

	for (size_t c = 0; c < ncols; c++) {
		widths[c] = header ? text_width(header[c]) : 0;
		for (size_t r = 0; r < nrows; r++) {
			size_t w = text_width(cells->items[r * ncols + c]);

			if (w > widths[c])
				widths[c] = w;
		}
		dashes += widths[c] + 3;
	}
	if (header) {
		format_row(header, widths, ncols, out);
		for (size_t i = 0; i < dashes; i++)
			buf_append_str(out, "-", NULL);
		buf_append_str(out, "\n", NULL);
	}
	for (size_t r = 0; r < nrows; r++)
		format_row((const char *const *)cells->items + r * ncols, widths, ncols, out);
	free(widths);
}

/* virsh's words for states and reasons, translated on output; anything else a newer
 * daemon sends is printed as it came. */
static const char *const state_words[] = {
	N_("running"), N_("paused"), N_("shut off"), N_("in shutdown"), N_("crashed"),
	N_("pmsuspended"), N_("no state"), N_("idle"), N_("blocked"),
	N_("booted"), N_("unpaused"), N_("user"), N_("shutdown"), N_("destroyed"),
	N_("saved"), N_("unknown"), N_("migrated"), N_("from snapshot"), N_("failed"),
	N_("restored"), N_("wakeup"), N_("panicked"), N_("ioerror"),
	N_("watchdog"), N_("starting up"), N_("post-copy"),
};

const char *state_word(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(state_words); i++)
		if (strcmp(s, state_words[i]) == 0)
			return _(state_words[i]);
	return s ? s : "";
}

void list_format_table(const struct dom_info *doms, size_t n, bool header, struct buf *out)
{
	const char *head[3] = { _("Id"), _("Name"), _("State") };
	struct strv cells = STRV_INIT;

	for (size_t i = 0; i < n; i++) {
		if (doms[i].id >= 0)
			strv_pushf(&cells, "%" PRId64, doms[i].id);
		else
			strv_push(&cells, "-");
		strv_push(&cells, doms[i].name);
		strv_push(&cells, state_word(doms[i].state));
	}
	table_format(header ? head : NULL, &cells, 3, out);
	strv_free(&cells);
}

/* One "Label:         value" line: the label padded to 15 columns and a blank. */
static void field(struct buf *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void field(struct buf *out, const char *label, const char *fmt, ...)
{
	size_t w = text_width(label);
	va_list ap;
	char *value;

	va_start(ap, fmt);
	value = xvasprintf(fmt, ap);
	va_end(ap);
	buf_appendf(out, NULL, "%s%*s %s\n", label, (int)(w < 15 ? 15 - w : 0), "", value);
	free(value);
}

void format_field(struct buf *out, const char *label, const char *value)
{
	field(out, label, "%s", value);
}

void dominfo_format(const struct dom_info *d, struct buf *out)
{
	if (d->id >= 0)
		field(out, _("Id:"), "%" PRId64, d->id);
	else
		field(out, _("Id:"), "-");
	field(out, _("Name:"), "%s", d->name);
	field(out, _("UUID:"), "%s", d->uuid);
	field(out, _("OS Type:"), "%s", d->os_type);
	field(out, _("State:"), "%s", state_word(d->state));
	field(out, _("CPU(s):"), "%u", d->vcpus);
	/* virsh leaves the line out when the time is 0 (a domain that never ran). */
	if (d->cpu_time_ns)
		field(out, _("CPU time:"), "%.1fs", (double)d->cpu_time_ns / 1e9);
	field(out, _("Max memory:"), _("%" PRIu64 " KiB"), d->max_memory_kib);
	field(out, _("Used memory:"), _("%" PRIu64 " KiB"), d->memory_kib);
	field(out, _("Persistent:"), "%s", d->persistent ? _("yes") : _("no"));
	field(out, _("Autostart:"), "%s", d->autostart ? _("enable") : _("disable"));
	field(out, _("Managed save:"), "%s", _("no"));
	/* No security driver: virsh's lines for the "none" model. */
	field(out, _("Security model:"), "%s", "none");
	field(out, _("Security DOI:"), "%s", "0");
}

void domstate_format(const char *state, const char *reason, bool with_reason,
		     struct buf *out)
{
	if (with_reason)
		buf_appendf(out, NULL, "%s (%s)\n", state_word(state),
			    state_word(reason ? reason : "unknown"));
	else
		buf_appendf(out, NULL, "%s\n", state_word(state));
}

/* virsh prints what the QEMU driver returns: the balloon's actual size, the guest's
 * statistics in libvirt's tag order, then rss. */
static const char *const memstat_order[] = {
	"actual", "swap_in", "swap_out", "major_fault", "minor_fault", "unused", "available",
	"usable", "last_update", "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail", "rss",
};

static bool memstat_known(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(memstat_order); i++)
		if (strcmp(key, memstat_order[i]) == 0)
			return true;
	return false;
}

static int memstat_line(const char *key, struct json_object *v, struct buf *out,
			struct err **errp)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return err_set(errp, ERR_INVALID, _("memory statistic '%s' is not a number"), key);
	buf_appendf(out, NULL, "%s %" PRId64 "\n", key, json_object_get_int64(v));
	return 0;
}

int memstat_format(struct json_object *stats, struct buf *out, struct err **errp)
{
	struct json_object *v;

	if (!json_object_is_type(stats, json_type_object))
		return err_set(errp, ERR_INVALID, _("memory statistics: not a JSON object"));
	/* "rss" is last in virsh's order, after any key virsh does not know. */
	for (size_t i = 0; i + 1 < ARRAY_SIZE(memstat_order); i++)
		if (json_object_object_get_ex(stats, memstat_order[i], &v) &&
		    memstat_line(memstat_order[i], v, out, errp) < 0)
			return -1;
	json_object_object_foreach(stats, key, val)
		if (!memstat_known(key) && memstat_line(key, val, out, errp) < 0)
			return -1;
	if (json_object_object_get_ex(stats, "rss", &v) && memstat_line("rss", v, out, errp) < 0)
		return -1;
	return 0;
}

void json_format(struct json_object *o, struct buf *out)
{
	buf_append_str(out,
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE),
		       NULL);
	buf_append_str(out, "\n", NULL);
}
