/* The method table of the protocol (docs/rpc.md, "Methods"): every method's name and
 * whether the read-only socket may call it. The daemon's dispatcher and its access
 * check use it; a method missing here is unknown-method. */
#ifndef VIREO_RPC_PROTOCOL_H
#define VIREO_RPC_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_method_info {
	const char *name;
	bool readonly;		/* the read-only socket may call it */
};

/* The entry for name, or NULL. */
const struct rpc_method_info *rpc_method_find(const char *name);

/* Every method, for tests and documentation checks (*n gets the count). */
const struct rpc_method_info *rpc_methods(size_t *n);

#endif
