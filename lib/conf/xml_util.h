/* Small libxml2 helpers shared by the domain and network parsers.
 *
 * A `struct xml_ctx` carries the document's name for messages and the error slot.
 * Every reader names what it rejects with file, line and path:
 *   "web.xml:31: unsupported: /domain/devices/sound (line 31)"
 *   "web.xml:28: <driver queues='-5'>: '-5' is not a valid number" */
#ifndef VIREO_CONF_XML_UTIL_H
#define VIREO_CONF_XML_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "lib/conf/domain.h"
#include "lib/util/err.h"

struct xml_ctx {
	const char *source;	/* file name (or "<string>") for messages */
	struct err **errp;
};

/* "/domain/devices/interface" for n (prefix:name for namespaced elements). */
char *xml_node_path(const xmlNode *n);

/* Report an element (or, with attr set, an attribute) outside the model. -1. */
int xml_unsupported(struct xml_ctx *x, const xmlNode *n, const char *attr);
/* Report a bad value of attribute attr (NULL: the element's text). -1. */
int xml_bad_value(struct xml_ctx *x, const xmlNode *n, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fail on any attribute of n not in `allowed` (NULL-terminated). */
int xml_check_attrs(struct xml_ctx *x, const xmlNode *n, const char *const *allowed);

/* A child-element dispatcher: each known child name has a handler; unknown element
 * children are unsupported. */
struct xml_child {
	const char *name;
	int (*fn)(struct xml_ctx *x, xmlNode *child, void *obj);
};
int xml_walk_children(struct xml_ctx *x, xmlNode *n, const struct xml_child *table, void *obj);

/* The attribute's value as an owned string, or NULL. */
char *xml_attr(const xmlNode *n, const char *name);
/* The element's text content, trimmed of surrounding blanks (owned; "" if empty). */
char *xml_text(const xmlNode *n);
/* Untrimmed text content (owned). */
char *xml_text_raw(const xmlNode *n);

/* Typed attribute readers: 0 if absent (out untouched), 1 if read, -1 on a bad value
 * (error set naming element and attribute). */
int xml_attr_uint(struct xml_ctx *x, const xmlNode *n, const char *name, unsigned min,
		  unsigned max, unsigned *out);
int xml_attr_tristate(struct xml_ctx *x, const xmlNode *n, const char *name, bool yes_no,
		      enum vtristate *out);
/* One of the NULL-terminated spellings; *out gets its index. */
int xml_attr_enum(struct xml_ctx *x, const xmlNode *n, const char *name,
		  const char *const *names, int *out);
/* An owned string attribute restricted to the given spellings (NULL list: any). */
int xml_attr_choice(struct xml_ctx *x, const xmlNode *n, const char *name,
		    const char *const *names, char **out);

/* True if s is one of the NULL-terminated names. */
bool xml_name_in(const char *const *names, const char *s);

/* Escape text for an XML attribute value or element content (owned). */
char *xml_escape(const char *s, bool attr);

#endif
