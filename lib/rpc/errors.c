/* RPC error codes: see errors.h. */
#include "config.h"

#include <string.h>

#include "lib/rpc/errors.h"
#include "lib/util/mem.h"

static const char *const rpc_codes[] = {
	RPC_ERR_INVALID_FRAME,	   RPC_ERR_PROTOCOL,	      RPC_ERR_UNKNOWN_METHOD,
	RPC_ERR_INVALID_ARGUMENT,  RPC_ERR_PERMISSION,	      RPC_ERR_NO_DOMAIN,
	RPC_ERR_DOMAIN_EXISTS,	   RPC_ERR_INVALID_XML,	      RPC_ERR_OPERATION_INVALID,
	RPC_ERR_OPERATION_FAILED,  RPC_ERR_TIMEOUT,	      RPC_ERR_BUSY,
	RPC_ERR_UNSUPPORTED,	   RPC_ERR_INTERNAL,
	RPC_ERR_NO_NETWORK,
};

/* struct err codes that are not RPC codes, and what they become on the wire. */
static const struct {
	const char *err_code;
	const char *rpc_code;
} err_to_rpc[] = {
	{ ERR_USAGE, RPC_ERR_INVALID_ARGUMENT },
	{ ERR_RANGE, RPC_ERR_INVALID_ARGUMENT },
	{ ERR_LIMIT, RPC_ERR_INVALID_ARGUMENT },
	{ ERR_PARSE, RPC_ERR_INVALID_XML },
	{ ERR_EXISTS, RPC_ERR_DOMAIN_EXISTS },
	{ ERR_NOT_FOUND, RPC_ERR_OPERATION_FAILED },
	{ ERR_IO, RPC_ERR_OPERATION_FAILED },
	{ ERR_SYSTEM, RPC_ERR_OPERATION_FAILED },
};

bool rpc_code_is_known(const char *code)
{
	size_t i;

	for (i = 0; code && i < ARRAY_SIZE(rpc_codes); i++)
		if (strcmp(rpc_codes[i], code) == 0)
			return true;
	return false;
}

const char *rpc_code_from_err(const struct err *e)
{
	size_t i;

	if (!e || !e->code)
		return RPC_ERR_INTERNAL;
	if (rpc_code_is_known(e->code))
		return e->code;
	for (i = 0; i < ARRAY_SIZE(err_to_rpc); i++)
		if (strcmp(err_to_rpc[i].err_code, e->code) == 0)
			return err_to_rpc[i].rpc_code;
	return RPC_ERR_INTERNAL;
}

const char *rpc_code_to_err(const char *code)
{
	return rpc_code_is_known(code) ? code : RPC_ERR_INTERNAL;
}
