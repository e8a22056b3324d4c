/* virsh's output shapes: the list table, dominfo's aligned fields, domstate,
 * dommemstat, and the --json forms for scripts.
 *
 * Everything here formats into a struct buf from plain inputs, so the unit tests can
 * check the layouts byte for byte without a daemon. */
#ifndef VIREO_CLIENT_FORMAT_H
#define VIREO_CLIENT_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/util/buf.h"
#include "lib/util/err.h"
#include "lib/util/str.h"

/* A domain as the RPC's list/info results describe it (docs/rpc.md). */
struct dom_info {
	char *name;
	char *uuid;
	int64_t id;		/* -1 when not running */
	char *state;		/* virsh's words: "running", "shut off", ... */
	char *reason;
	bool persistent;
	bool autostart;
	unsigned vcpus;
	uint64_t max_memory_kib;
	uint64_t memory_kib;
	uint64_t cpu_time_ns;
	char *os_type;
};

/* Fill d from a domain object; -1 (invalid-argument, naming the field) when a field
 * is missing or of the wrong type. d is zeroed first and must be freed either way. */
int dom_info_from_json(struct json_object *o, struct dom_info *d, struct err **errp);
void dom_info_free(struct dom_info *d);

/* Columns on screen of a UTF-8 string (wide characters count two). */
size_t text_width(const char *s);

/* virsh's table: " " + cells joined by three blanks, each padded to its column's
 * widest cell (the last column is not padded); with a header, the header row, then
 * a line of dashes as long as the sum of (width + 3). Cells are row-major, ncols a
 * row; header may be NULL (virsh -q prints no header and no dashes). */
void table_format(const char *const *header, const struct strv *cells, size_t ncols,
		  struct buf *out);

/* A state or reason word ("shut off", "booted") in the user's language. */
const char *state_word(const char *s);

/* `list`: the " Id   Name   State" table over doms. */
void list_format_table(const struct dom_info *doms, size_t n, bool header, struct buf *out);

/* One "Label:          value" line of dominfo/net-info: the label padded to 15
 * columns, a blank, the value. */
void format_field(struct buf *out, const char *label, const char *value);

/* `dominfo`: "Id:             3" and so on, the label padded to 15 columns. */
void dominfo_format(const struct dom_info *d, struct buf *out);

/* `domstate [--reason]`: "running" or "running (booted)". */
void domstate_format(const char *state, const char *reason, bool with_reason,
		     struct buf *out);

/* `dommemstat`: "actual 1048576" lines in virsh's order (actual, swap_in, ..., rss;
 * keys virsh does not know follow in the object's order). -1 when a value is not a
 * number. */
int memstat_format(struct json_object *stats, struct buf *out, struct err **errp);

/* The --json forms: pretty-printed, one trailing newline. */
void json_format(struct json_object *o, struct buf *out);

#endif
