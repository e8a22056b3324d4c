/* libFuzzer target: the domain XML parser, defaults, validation and formatter.
 *
 * Whatever the input, parsing must either fail with an error or produce a domain
 * whose formatted XML parses again to the same text (a fixpoint); no crash, no leak,
 * no undefined behaviour. Build and run with tests/fuzz/run.sh. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *schema_dir = getenv("FUZZ_SCHEMA_DIR");
	struct err *e = NULL;
	struct vdomain *d, *d2;
	char *out, *out2;

	d = vdomain_parse((const char *)data, size, "fuzz.xml", schema_dir, &e);
	if (!d) {
		if (!e || !e->message || !*e->message)
			abort();	/* every failure must say why */
		err_free(e);
		return 0;
	}
	out = vdomain_format(d);
	d2 = vdomain_parse(out, strlen(out), "fuzz-out.xml", schema_dir, &e);
	if (!d2)
		abort();	/* our own output must parse */
	out2 = vdomain_format(d2);
	if (strcmp(out, out2) != 0)
		abort();	/* and format to the same text */
	free(out);
	free(out2);
	vdomain_free(d);
	vdomain_free(d2);
	return 0;
}
