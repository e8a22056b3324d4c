#include "tests/unit/unit.h"

#include <stdio.h>

#include "lib/util/mem.h"
#include "lib/util/str.h"

char *make_temp_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/vireo-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(path))
		fail_msg("mkdtemp failed");
	return path;
}

void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
	free(cmd);
}
