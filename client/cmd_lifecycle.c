/* define, undefine, create, start, shutdown, destroy, reboot, reset, suspend, resume,
 * autostart: virsh's names, options and messages ("Domain 'web' started"). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "lib/conf/domain.h"
#include "lib/rpc/client.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* Larger than any sane domain XML, well below the 16 MiB frame limit. */
#define DOMAIN_XML_MAX (4 << 20)
#define SHUTDOWN_TIMEOUT_MAX 86400

const struct opt_def opts_domain[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ NULL },
};

const struct opt_def opts_define[] = {
	{ "file", OPT_DATA, OPT_REQ, N_("file containing an XML domain description") },
	{ "validate", OPT_BOOL, 0, N_("validate the XML against the schema") },
	{ NULL },
};

const struct opt_def opts_file_console[] = {
	{ "file", OPT_DATA, OPT_REQ, N_("file containing an XML domain description") },
	{ "console", OPT_BOOL, 0, N_("attach to console after creation") },
	{ "paused", OPT_BOOL, 0, N_("leave the guest paused after creation") },
	{ "validate", OPT_BOOL, 0, N_("validate the XML against the schema") },
	{ NULL },
};

const struct opt_def opts_start[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("name of the inactive domain") },
	{ "console", OPT_BOOL, 0, N_("attach to console after creation") },
	{ "paused", OPT_BOOL, 0, N_("leave the guest paused after start") },
	{ "force-boot", OPT_BOOL, 0, N_("force fresh boot (the only kind vireo does)") },
	{ NULL },
};

const struct opt_def opts_shutdown[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "mode", OPT_STRING, 0, N_("shutdown mode: acpi (the only one vireo has)") },
	{ "timeout", OPT_INT, 0,
	  N_("wait up to this many seconds for the guest to power off, then destroy it") },
	{ NULL },
};

const struct opt_def opts_destroy[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "graceful", OPT_BOOL, 0, N_("terminate gracefully") },
	{ NULL },
};

const struct opt_def opts_autostart[] = {
	{ "domain", OPT_DATA, OPT_REQ, N_("domain name, id or uuid") },
	{ "disable", OPT_BOOL, 0, N_("disable autostarting") },
	{ NULL },
};

/* Read the XML file; with --validate, check it here first so the error names the
 * file's line before anything is sent. */
static char *read_domain_xml(const struct cmd_args *a, const char *file, struct err **errp)
{
	char *xml;
	size_t len;

	if (file_read_all(file, DOMAIN_XML_MAX, &xml, &len, errp) < 0)
		return NULL;
	if (args_bool(a, "validate")) {
		struct vdomain *d = vdomain_parse(xml, len, file, client_schema_dir(), errp);

		if (!d) {
			free(xml);
			return NULL;
		}
		vdomain_free(d);
	}
	return xml;
}

/* domain.define / domain.create (paused: create --paused) with the file's XML: the
 * new domain's name. */
static char *send_xml(struct client *c, const struct cmd_args *a, const char *method,
		      bool paused, struct err **errp)
{
	const char *file = args_str(a, "file");
	struct json_object *params, *res = NULL, *v;
	char *xml = read_domain_xml(a, file, errp), *name = NULL;

	if (!xml)
		return NULL;
	params = json_object_new_object();
	json_object_object_add(params, "xml", json_object_new_string(xml));
	free(xml);
	if (paused)
		json_object_object_add(params, "paused", json_object_new_boolean(1));
	if (client_call(c, false, method, params, &res, errp) < 0)
		return NULL;
	if (json_object_object_get_ex(res, "name", &v) && json_object_is_type(v, json_type_string))
		name = xstrdup(json_object_get_string(v));
	else
		err_set(errp, ERR_INVALID, _("the daemon's %s reply lacks '%s'"), method, "name");
	json_object_put(res);
	return name;
}

int cmd_define(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *file = args_str(a, "file");
	char *name = send_xml(c, a, "domain.define", false, errp);

	if (!name)
		return err_wrap(errp, err_code(*errp), _("Failed to define domain from %s"), file);
	client_say(c, _("Domain '%s' defined from %s\n"), name, file);
	free(name);
	return 0;
}

int cmd_create(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *file = args_str(a, "file");
	char *name = send_xml(c, a, "domain.create", args_bool(a, "paused"), errp);
	int rc = 0;

	if (!name)
		return err_wrap(errp, err_code(*errp), _("Failed to create domain from %s"), file);
	client_say(c, _("Domain '%s' created from %s\n"), name, file);
	if (args_bool(a, "console"))
		rc = console_attach(c, name, false, errp);
	free(name);
	return rc;
}

/* Look the domain up (virsh's "failed to get domain"), call method on it by uuid, and
 * on failure put fail_fmt (with the name) above the daemon's message. *d is filled for
 * the caller's success message, which must free it. */
static int act(struct client *c, const struct cmd_args *a, const char *method,
	       struct json_object *params, struct json_object **result, const char *fail_fmt,
	       struct dom_ref *d, struct err **errp)
{
	if (dom_lookup(c, false, args_str(a, "domain"), d, errp) < 0) {
		json_object_put(params);
		return -1;
	}
	if (dom_call(c, false, method, d->uuid, params, result, errp) < 0) {
		char *msg = subst_name(fail_fmt, d->name);

		err_wrap(errp, err_code(*errp), "%s", msg);
		free(msg);
		dom_ref_free(d);
		return -1;
	}
	return 0;
}

/* The commands that are one call and one message. */
static int simple(struct client *c, const struct cmd_args *a, const char *method,
		  const char *fail_fmt, const char *ok_fmt, struct err **errp)
{
	struct dom_ref d;

	char *msg;

	if (act(c, a, method, NULL, NULL, fail_fmt, &d, errp) < 0)
		return -1;
	msg = subst_name(ok_fmt, d.name);
	client_say(c, "%s", msg);
	free(msg);
	dom_ref_free(&d);
	return 0;
}

int cmd_undefine(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return simple(c, a, "domain.undefine", _("Failed to undefine domain '%s'"),
		      _("Domain '%s' has been undefined\n"), errp);
}

int cmd_start(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object();
	struct dom_ref d;
	int rc = 0;

	if (args_bool(a, "paused"))
		json_object_object_add(params, "paused", json_object_new_boolean(1));
	if (act(c, a, "domain.start", params, NULL, _("Failed to start domain '%s'"), &d,
		errp) < 0)
		return -1;
	client_say(c, _("Domain '%s' started\n"), d.name);
	if (args_bool(a, "console"))
		rc = console_attach(c, d.uuid, false, errp);
	dom_ref_free(&d);
	return rc;
}

int cmd_shutdown(struct client *c, const struct cmd_args *a, struct err **errp)
{
	const char *mode = args_str(a, "mode");
	struct json_object *params, *res = NULL, *v;
	uint64_t timeout = 0;
	struct dom_ref d;
	bool destroyed;

	if (mode && strcmp(mode, "acpi") != 0)
		return err_set(errp, ERR_UNSUPPORTED,
			       _("shutdown mode '%s' is not supported (only 'acpi')"), mode);
	if (args_uint(a, "timeout", SHUTDOWN_TIMEOUT_MAX, &timeout, errp) < 0)
		return -1;
	params = json_object_new_object();
	json_object_object_add(params, "timeout", json_object_new_int64((int64_t)timeout));
	if (act(c, a, "domain.shutdown", params, &res, _("Failed to shutdown domain '%s'"), &d,
		errp) < 0)
		return -1;
	destroyed = json_object_object_get_ex(res, "destroyed", &v) && json_object_get_boolean(v);
	json_object_put(res);
	client_say(c, _("Domain '%s' is being shutdown\n"), d.name);
	if (destroyed)
		client_say(c, _("Domain '%s' did not shut down within %llu seconds and was destroyed\n"),
			   d.name, (unsigned long long)timeout);
	dom_ref_free(&d);
	return 0;
}

int cmd_destroy(struct client *c, const struct cmd_args *a, struct err **errp)
{
	struct json_object *params = json_object_new_object();
	struct dom_ref d;

	json_object_object_add(params, "graceful",
			       json_object_new_boolean(args_bool(a, "graceful")));
	if (act(c, a, "domain.destroy", params, NULL, _("Failed to destroy domain '%s'"), &d,
		errp) < 0)
		return -1;
	client_say(c, _("Domain '%s' destroyed\n"), d.name);
	dom_ref_free(&d);
	return 0;
}

int cmd_reboot(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return simple(c, a, "domain.reboot", _("Failed to reboot domain '%s'"),
		      _("Domain '%s' is being rebooted\n"), errp);
}

int cmd_reset(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return simple(c, a, "domain.reset", _("Failed to reset domain '%s'"),
		      _("Domain '%s' was reset\n"), errp);
}

int cmd_suspend(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return simple(c, a, "domain.suspend", _("Failed to suspend domain '%s'"),
		      _("Domain '%s' suspended\n"), errp);
}

int cmd_resume(struct client *c, const struct cmd_args *a, struct err **errp)
{
	return simple(c, a, "domain.resume", _("Failed to resume domain '%s'"),
		      _("Domain '%s' resumed\n"), errp);
}

int cmd_autostart(struct client *c, const struct cmd_args *a, struct err **errp)
{
	bool enable = !args_bool(a, "disable");
	struct json_object *params = json_object_new_object();
	struct dom_ref d;
	char *msg;

	json_object_object_add(params, "enable", json_object_new_boolean(enable));
	if (act(c, a, "domain.autostart", params, NULL,
		enable ? _("Failed to mark domain '%s' as autostarted")
		       : _("Failed to unmark domain '%s' as autostarted"),
		&d, errp) < 0)
		return -1;
	msg = subst_name(enable ? _("Domain '%s' marked as autostarted\n")
				: _("Domain '%s' unmarked as autostarted\n"),
			 d.name);
	client_say(c, "%s", msg);
	free(msg);
	dom_ref_free(&d);
	return 0;
}
