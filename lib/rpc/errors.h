/* The RPC's stable error codes (docs/rpc.md, "Error codes") and their mapping to and
 * from struct err codes.
 *
 * An RPC error code is also a valid struct err code: the client turns an error reply
 * into a struct err carrying the RPC code unchanged, and the daemon may raise an RPC
 * code directly (err_set(errp, RPC_ERR_NO_DOMAIN, ...)). Codes shared with
 * lib/util/err.h (invalid-argument, permission-denied, timeout, unsupported,
 * internal-error) have the same spelling on both sides. Never rename a code. */
#ifndef VIREO_RPC_ERRORS_H
#define VIREO_RPC_ERRORS_H

#include <stdbool.h>

#include "lib/util/err.h"

#define RPC_ERR_INVALID_FRAME		"invalid-frame"
#define RPC_ERR_PROTOCOL		"protocol-error"
#define RPC_ERR_UNKNOWN_METHOD		"unknown-method"
#define RPC_ERR_INVALID_ARGUMENT	ERR_INVALID		/* "invalid-argument" */
#define RPC_ERR_PERMISSION		ERR_PERM		/* "permission-denied" */
#define RPC_ERR_NO_DOMAIN		"no-domain"
#define RPC_ERR_DOMAIN_EXISTS		"domain-exists"
#define RPC_ERR_INVALID_XML		"invalid-xml"
#define RPC_ERR_OPERATION_INVALID	"operation-invalid"
#define RPC_ERR_OPERATION_FAILED	"operation-failed"
#define RPC_ERR_TIMEOUT			ERR_TIMEOUT		/* "timeout" */
#define RPC_ERR_BUSY			"busy"
#define RPC_ERR_UNSUPPORTED		ERR_UNSUPPORTED		/* "unsupported" */
#define RPC_ERR_INTERNAL		ERR_INTERNAL		/* "internal-error" */
#define RPC_ERR_NO_NETWORK		"no-network"

/* True for the codes of the table above. */
bool rpc_code_is_known(const char *code);

/* The RPC code for an error raised in the daemon: its own code when that is an RPC
 * code, else the nearest (usage and out-of-range are invalid-argument, parse-error is
 * invalid-xml, already-exists is domain-exists, I/O and system failures are
 * operation-failed, ...); internal-error for NULL or anything unknown. */
const char *rpc_code_from_err(const struct err *e);

/* The struct err code a client gives an error reply carrying `code`: the code itself
 * when known, else internal-error (a newer daemon's code the client cannot know is
 * still an error, never success). */
const char *rpc_code_to_err(const char *code);

#endif
