#include "config.h"

#include <stdlib.h>

#include "lib/util/i18n.h"

void i18n_init(void)
{
	const char *dir = getenv("VIREO_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, dir && *dir ? dir : LOCALEDIR);
}
