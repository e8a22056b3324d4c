/* setmem, setmaxmem, dommemstat: the balloon from the command line, virsh's way
 * (sizes as scaled integers, default KiB; --config / --live / --current). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/format.h"
#include "lib/rpc/client.h"
#include "lib/rpc/message.h"
#include "lib/util/i18n.h"

#define MEMSTAT_PERIOD_MAX 2147483647u

const struct opt_def opts_setmem[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "size", OPT_INT, OPT_REQ | OPT_POS,
	  N_("new memory size, as scaled integer (default KiB)") },
	{ "config", OPT_BOOL, 0, N_("affect next boot") },
	{ "live", OPT_BOOL, 0, N_("affect running domain") },
	{ "current", OPT_BOOL, 0, N_("affect current domain") },
	{ NULL },
};

const struct opt_def opts_setmaxmem[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "size", OPT_INT, OPT_REQ | OPT_POS,
	  N_("new maximum memory size, as scaled integer (default KiB)") },
	{ "config", OPT_BOOL, 0, N_("affect next boot") },
	{ "live", OPT_BOOL, 0, N_("affect running domain") },
	{ "current", OPT_BOOL, 0, N_("affect current domain") },
	{ NULL },
};

const struct opt_def opts_dommemstat[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "period", OPT_INT, 0, N_("period in seconds to set collection") },
	{ "config", OPT_BOOL, 0, N_("affect next boot") },
	{ "live", OPT_BOOL, 0, N_("affect running domain") },
	{ "current", OPT_BOOL, 0, N_("affect current domain") },
	{ "json", OPT_BOOL, 0, N_("print the statistics as JSON") },
	{ NULL },
};

/* The "live" and "config" params the daemon reads (neither: the current state decides;
 * args_parse already refused --current with either). */
static void scope_params(const struct cmd_args *a, struct json_object *params)
{
	json_object_object_add(params, "live", json_object_new_boolean(args_bool(a, "live")));
	json_object_object_add(params, "config", json_object_new_boolean(args_bool(a, "config")));
}

/* The size option in KiB, within what the protocol carries. */
static int size_param(const struct cmd_args *a, struct json_object *params, struct err **errp)
{
	uint64_t kib;

	if (args_size_kib(a, "size", &kib, errp) < 0)
		return -1;
	if (kib > (uint64_t)RPC_INT_MAX)
		return err_set(errp, ERR_INVALID,
			       _("Scaled numeric value '%s' for <%s> option is malformed or out of range"),
			       args_str(a, "size"), "size");
	json_object_object_add(params, "kib", json_object_new_int64((int64_t)kib));
	return 0;
}

int cmd_setmem(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object();

	scope_params(a, params);
	if (size_param(a, params, errp) < 0) {
		json_object_put(params);
		return -1;
	}
	/* virsh prints nothing on success, and only the driver's message on failure. */
	return dom_call(c, false, "domain.setmem", args_str(a, "domain"), params, NULL, errp);
}

int cmd_setmaxmem(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object();

	if (args_bool(a, "live")) {
		json_object_put(params);
		err_set(errp, ERR_UNSUPPORTED,
			_("the maximum memory of a running domain cannot change; use --config"));
		return err_wrap(errp, ERR_UNSUPPORTED, _("Unable to change MaxMemorySize"));
	}
	json_object_object_add(params, "config", json_object_new_boolean(true));
	if (size_param(a, params, errp) < 0) {
		json_object_put(params);
		return -1;
	}
	if (dom_call(c, false, "domain.setmaxmem", args_str(a, "domain"), params, NULL, errp) < 0) {
		if (!err_has_code(*errp, RPC_ERR_NO_DOMAIN))
			err_wrap(errp, err_code(*errp), _("Unable to change MaxMemorySize"));
		return -1;
	}
	return 0;
}

static int set_period(struct client *c, const struct cmd_args *a, uint64_t period,
		      struct err **errp)
{
	struct json_object *params = json_object_new_object();

	json_object_object_add(params, "seconds", json_object_new_int64((int64_t)period));
	scope_params(a, params);
	if (dom_call(c, false, "domain.memstats_period", args_str(a, "domain"), params, NULL,
		     errp) < 0) {
		if (!err_has_code(*errp, RPC_ERR_NO_DOMAIN))
			err_wrap(errp, err_code(*errp),
				 _("Unable to change balloon collection period."));
		return -1;
	}
	return 0;
}

int cmd_dommemstat(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *ref = args_str(a, "domain"), *period_text = args_str(a, "period");
	struct json_object *res = NULL, *stats;
	struct buf out = BUF_INIT;
	uint64_t period;
	int rc;

	if (period_text && period_text[0] == '-')
		return err_set(errp, ERR_INVALID, _("Invalid collection period value '%s'"),
			       period_text);
	rc = args_uint(a, "period", MEMSTAT_PERIOD_MAX, &period, errp);
	if (rc < 0)
		return -1;
	/* virsh: with --period the command sets the period and prints nothing. */
	if (rc == 1)
		return set_period(c, a, period, errp);
	if (dom_call(c, true, "domain.memstats", ref, NULL, &res, errp) < 0) {
		if (!err_has_code(*errp, RPC_ERR_NO_DOMAIN)) {
			char *msg = subst_name(_("Failed to get memory statistics for domain %s"), ref);

			err_wrap(errp, err_code(*errp), "%s", msg);
			free(msg);
		}
		return -1;
	}
	if (!json_object_object_get_ex(res, "stats", &stats)) {
		json_object_put(res);
		return err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"),
			       "domain.memstats", "stats");
	}
	if (args_bool(a, "json")) {
		buf_free(&out);
		json_format(stats, &out);
		c->no_blank = true;
		rc = 0;
	} else {
		rc = memstat_format(stats, &out, errp);
	}
	if (rc == 0)
		rc = client_print(out.data ? out.data : "", errp);
	buf_free(&out);
	json_object_put(res);
	return rc;
}
