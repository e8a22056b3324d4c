/* RelaxNG validation against our schemas (schemas/domain.rng, schemas/network.rng).
 *
 * A schema is compiled once per process and kept: compiling domain.rng costs far
 * more than validating a document. The cache is the one piece of process-wide state
 * in lib/conf; it only grows, entries are immutable once published, and a mutex
 * guards the list, so any thread may validate. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/relaxng.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/buf.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

struct schema_entry {
	char *path;
	xmlRelaxNGPtr schema;
	struct schema_entry *next;
};

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static struct schema_entry *schema_cache;

static void first_error(void *ctx, xmlErrorPtr error)
{
	struct buf *b = ctx;

	if (b->len == 0 && error && error->message) {
		size_t n = strcspn(error->message, "\n");

		buf_appendf(b, NULL, "%d: %.*s", error->line, (int)n, error->message);
	}
}

static xmlRelaxNGPtr schema_get(const char *path, struct err **errp)
{
	struct schema_entry *e;
	xmlRelaxNGParserCtxtPtr pc;
	xmlRelaxNGPtr schema = NULL;
	struct buf msg = BUF_INIT;

	pthread_mutex_lock(&schema_lock);
	for (e = schema_cache; e; e = e->next)
		if (strcmp(e->path, path) == 0) {
			schema = e->schema;
			goto out;
		}
	pc = xmlRelaxNGNewParserCtxt(path);
	xmlRelaxNGSetParserStructuredErrors(pc, first_error, &msg);
	schema = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	if (!schema) {
		err_set(errp, ERR_INTERNAL, _("cannot load the schema %s: %s"), path,
			msg.len ? msg.data : _("unknown error"));
		goto out;
	}
	e = xzalloc(sizeof(*e));
	e->path = xstrdup(path);
	e->schema = schema;
	e->next = schema_cache;
	schema_cache = e;
out:
	pthread_mutex_unlock(&schema_lock);
	buf_free(&msg);
	return schema;
}

int domain_schema_validate(void *doc, const char *schema_dir, const char *rng_name,
			   const char *source, struct err **errp)
{
	char *path = path_join(schema_dir, rng_name);
	xmlRelaxNGPtr schema = schema_get(path, errp);
	xmlRelaxNGValidCtxtPtr vc;
	struct buf msg = BUF_INIT;
	int rc;

	free(path);
	if (!schema)
		return -1;
	vc = xmlRelaxNGNewValidCtxt(schema);
	xmlRelaxNGSetValidStructuredErrors(vc, first_error, &msg);
	rc = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	if (rc != 0) {
		err_set(errp, ERR_INVALID, _("%s:%s (does not match the schema %s)"), source,
			msg.len ? msg.data : _(" invalid document"), rng_name);
		buf_free(&msg);
		return -1;
	}
	buf_free(&msg);
	return 0;
}
