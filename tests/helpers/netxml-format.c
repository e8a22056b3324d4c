/* Test helper: parse a network XML file and print it formatted as libvirt would.
 *
 * netxml-format FILE
 * Prints vnetwork_format() of FILE and exits 0, or prints "error: MESSAGE" on stderr
 * and exits 1 (2 for a usage error). The corpus harness (tests/compat) drives it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/conf/network.h"
#include "lib/util/buf.h"
#include "lib/util/err.h"
#include "lib/util/i18n.h"

/* The file into b: all of it, or enough past VNET_MAX_XML_SIZE for the parser to
 * refuse it. */
static int read_file(const char *path, struct buf *b, struct err **errp)
{
	FILE *f = fopen(path, "r");
	char chunk[8192];
	size_t n;

	if (!f)
		return err_set_errno(errp, NULL, errno, _("cannot open %s"), path);
	while (b->len <= VNET_MAX_XML_SIZE && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n, errp) < 0)
			break;
	if (ferror(f) && !*errp)
		err_set_errno(errp, ERR_IO, errno, _("cannot read %s"), path);
	fclose(f);
	return *errp ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	struct vnetwork *net = NULL;
	struct err *e = NULL;
	char *text;

	i18n_init();
	if (argc != 2) {
		fprintf(stderr, "usage: netxml-format FILE\n");
		return 2;
	}
	if (read_file(argv[1], &b, &e) == 0)
		net = vnetwork_parse(b.data ? b.data : "", b.len, argv[1], &e);
	buf_free(&b);
	if (!net) {
		text = err_describe(e);
		fprintf(stderr, "error: %s\n", text);
		free(text);
		err_free(e);
		return 1;
	}
	text = vnetwork_format(net);
	fputs(text, stdout);
	free(text);
	vnetwork_free(net);
	return 0;
}
