/* The protocol's method table: see protocol.h. */
#include "config.h"

#include <string.h>

#include "lib/rpc/protocol.h"
#include "lib/util/mem.h"

static const struct rpc_method_info methods[] = {
	{ "hello", true },
	{ "ping", true },
	{ "version", true },
	{ "events.subscribe", true },
	{ "domain.list", true },
	{ "domain.info", true },
	{ "domain.state", true },
	{ "domain.xml", true },
	{ "domain.lookup", true },
	{ "domain.memstats", true },
	{ "domain.define", false },
	{ "domain.undefine", false },
	{ "domain.create", false },
	{ "domain.start", false },
	{ "domain.shutdown", false },
	{ "domain.destroy", false },
	{ "domain.reboot", false },
	{ "domain.reset", false },
	{ "domain.suspend", false },
	{ "domain.resume", false },
	{ "domain.autostart", false },
	{ "domain.setmem", false },
	{ "domain.setmaxmem", false },
	{ "domain.memstats_period", false },
	{ "domain.console", false },
	{ "domain.iflist", true },
	{ "domain.ifstat", true },
	{ "domain.getlink", true },
	{ "domain.setlink", false },
	{ "net.list", true },
	{ "net.info", true },
	{ "net.xml", true },
	{ "net.define", false },
	{ "net.undefine", false },
	{ "net.start", false },
	{ "net.destroy", false },
	{ "net.autostart", false },
};

const struct rpc_method_info *rpc_method_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(methods); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

const struct rpc_method_info *rpc_methods(size_t *n)
{
	*n = ARRAY_SIZE(methods);
	return methods;
}
