/* The QMP command table: argument checking as QEMU's input visitor does it, the
 * protocol's own commands, and the machine commands passed on to
 * struct qmp_machine_ops. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "qemu-wrap/qmp_priv.h"

/* The QEMU release whose QMP we speak (libvirt decides what to use from it). */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 0

json_object *qmp_version_object(void)
{
	json_object *v = json_object_new_object(), *qemu = json_object_new_object();

	json_object_object_add(qemu, "micro", json_object_new_int(QMP_QEMU_MICRO));
	json_object_object_add(qemu, "minor", json_object_new_int(QMP_QEMU_MINOR));
	json_object_object_add(qemu, "major", json_object_new_int(QMP_QEMU_MAJOR));
	json_object_object_add(v, "qemu", qemu);
	json_object_object_add(v, "package", json_object_new_string("vireo-vmm " PACKAGE_VERSION));
	return v;
}

/* ---- argument checking ---- */

static const char *type_name(enum qmp_arg_type t)
{
	switch (t) {
	case QMP_ARG_INT: return "integer";
	case QMP_ARG_NUMBER: return "number";
	case QMP_ARG_STR: return "string";
	case QMP_ARG_BOOL: return "boolean";
	case QMP_ARG_OBJECT: return "object";
	case QMP_ARG_ARRAY: return "array";
	case QMP_ARG_ANY: break;
	}
	return "any";
}

static bool type_ok(enum qmp_arg_type t, json_object *v)
{
	switch (t) {
	case QMP_ARG_INT: return json_object_is_type(v, json_type_int);
	case QMP_ARG_NUMBER:
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_double);
	case QMP_ARG_STR: return json_object_is_type(v, json_type_string);
	case QMP_ARG_BOOL: return json_object_is_type(v, json_type_boolean);
	case QMP_ARG_OBJECT: return json_object_is_type(v, json_type_object);
	case QMP_ARG_ARRAY: return json_object_is_type(v, json_type_array);
	case QMP_ARG_ANY: break;
	}
	return true;
}

static const struct qmp_arg *find_arg(const struct qmp_arg *list, const char *name)
{
	for (; list && list->name; list++)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* In QEMU's order: the declared members (missing, wrong type), then what is left
 * over. */
int qmp_check_args(const struct qmp_command *cmd, json_object *args, struct err **errp)
{
	const struct qmp_arg *a;
	json_object *v;

	for (a = cmd->args; a && a->name; a++) {
		if (!json_object_object_get_ex(args, a->name, &v)) {
			if (a->optional)
				continue;
			return err_set(errp, ERR_INVALID, _("Parameter '%s' is missing"), a->name);
		}
		if (!type_ok(a->type, v))
			return err_set(errp, ERR_INVALID,
				       _("Invalid parameter type for '%s', expected: %s"), a->name,
				       type_name(a->type));
	}
	json_object_object_foreach(args, key, val) {
		(void)val;
		if (!find_arg(cmd->args, key))
			return err_set(errp, ERR_INVALID, _("Parameter '%s' is unexpected"), key);
	}
	return 0;
}

/* ---- protocol commands ---- */

/* The first entry of "enable": we offer no capability (no out-of-band), so any is
 * refused with QEMU's message for its kind. */
static json_object *refuse_capability(json_object *c, struct err **errp)
{
	const char *s = json_object_get_string(c);

	if (!json_object_is_type(c, json_type_string))
		err_set(errp, ERR_INVALID, _("Invalid parameter type for '%s', expected: %s"),
			"enable[0]", "string");
	else if (strcmp(s, "oob") == 0)
		err_set(errp, ERR_INVALID, _("Capability '%s' not available"), s);
	else
		err_set(errp, ERR_INVALID, _("Parameter '%s' does not accept value '%s'"),
			"enable[0]", s);
	return NULL;
}

static json_object *cmd_qmp_capabilities(struct qmp *q, json_object *args, struct err **errp)
{
	json_object *enable;

	if (qmp_negotiated(q)) {
		err_set(errp, QMP_CLASS_COMMAND_NOT_FOUND,
			_("Capabilities negotiation is already complete, command ignored"));
		return NULL;
	}
	if (json_object_object_get_ex(args, "enable", &enable) &&
	    json_object_array_length(enable) > 0)
		return refuse_capability(json_object_array_get_idx(enable, 0), errp);
	qmp_set_negotiated(q, true);
	return json_object_new_object();
}

static json_object *cmd_query_version(struct qmp *q, json_object *args, struct err **errp)
{
	return qmp_version_object();
}

static json_object *cmd_query_commands(struct qmp *q, json_object *args, struct err **errp);

/* ---- machine commands ---- */

/* A query op's result; a NULL from the machine is an internal error. */
static json_object *query_result(json_object *r, const char *name, struct err **errp)
{
	if (!r)
		err_set(errp, ERR_INTERNAL, _("%s: the machine gave no answer"), name);
	return r;
}

/* The result of an action op: {} or NULL with the error. */
static json_object *action_result(int rc)
{
	return rc < 0 ? NULL : json_object_new_object();
}

static json_object *cmd_query_status(struct qmp *q, json_object *args, struct err **errp)
{
	return query_result(q->ops->query_status(q->vm), "query-status", errp);
}

static json_object *cmd_query_name(struct qmp *q, json_object *args, struct err **errp)
{
	return query_result(q->ops->query_name(q->vm), "query-name", errp);
}

static json_object *cmd_query_uuid(struct qmp *q, json_object *args, struct err **errp)
{
	return query_result(q->ops->query_uuid(q->vm), "query-uuid", errp);
}

static json_object *cmd_query_chardev(struct qmp *q, json_object *args, struct err **errp)
{
	return query_result(q->ops->query_chardev(q->vm), "query-chardev", errp);
}

static json_object *cmd_stop(struct qmp *q, json_object *args, struct err **errp)
{
	return action_result(q->ops->stop(q->vm, errp));
}

static json_object *cmd_cont(struct qmp *q, json_object *args, struct err **errp)
{
	return action_result(q->ops->cont(q->vm, errp));
}

static json_object *cmd_system_powerdown(struct qmp *q, json_object *args, struct err **errp)
{
	return action_result(q->ops->system_powerdown(q->vm, errp));
}

static json_object *cmd_system_reset(struct qmp *q, json_object *args, struct err **errp)
{
	return action_result(q->ops->system_reset(q->vm, errp));
}

static json_object *cmd_quit(struct qmp *q, json_object *args, struct err **errp)
{
	return action_result(q->ops->quit(q->vm, errp));
}

static json_object *cmd_balloon(struct qmp *q, json_object *args, struct err **errp)
{
	int64_t value = json_object_get_int64(json_object_object_get(args, "value"));

	/* QEMU's wording names the internal parameter "target". */
	if (value <= 0) {
		err_set(errp, ERR_INVALID, _("Parameter '%s' expects %s"), "target", "a size");
		return NULL;
	}
	return action_result(q->ops->balloon(q->vm, value, errp));
}

static json_object *cmd_query_balloon(struct qmp *q, json_object *args, struct err **errp)
{
	return q->ops->query_balloon(q->vm, errp);
}

static json_object *cmd_qom_get(struct qmp *q, json_object *args, struct err **errp)
{
	const char *path = json_object_get_string(json_object_object_get(args, "path"));
	const char *prop = json_object_get_string(json_object_object_get(args, "property"));

	return q->ops->qom_get(q->vm, path, prop, errp);
}

static json_object *cmd_qom_set(struct qmp *q, json_object *args, struct err **errp)
{
	const char *path = json_object_get_string(json_object_object_get(args, "path"));
	const char *prop = json_object_get_string(json_object_object_get(args, "property"));

	return action_result(q->ops->qom_set(q->vm, path, prop,
					     json_object_object_get(args, "value"), errp));
}

static json_object *cmd_query_rx_filter(struct qmp *q, json_object *args, struct err **errp)
{
	json_object *name = json_object_object_get(args, "name");

	return q->ops->query_rx_filter(q->vm, name ? json_object_get_string(name) : NULL, errp);
}

static json_object *cmd_set_link(struct qmp *q, json_object *args, struct err **errp)
{
	const char *name = json_object_get_string(json_object_object_get(args, "name"));
	bool up = json_object_get_boolean(json_object_object_get(args, "up"));

	return action_result(q->ops->set_link(q->vm, name, up, errp));
}

/* ---- the table ---- */

static const struct qmp_arg caps_args[] = {
	{ "enable", QMP_ARG_ARRAY, true },
	{ NULL, QMP_ARG_ANY, false },
};

static const struct qmp_arg balloon_args[] = {
	{ "value", QMP_ARG_INT, false },
	{ NULL, QMP_ARG_ANY, false },
};

static const struct qmp_arg qom_get_args[] = {
	{ "path", QMP_ARG_STR, false },
	{ "property", QMP_ARG_STR, false },
	{ NULL, QMP_ARG_ANY, false },
};

static const struct qmp_arg qom_set_args[] = {
	{ "path", QMP_ARG_STR, false },
	{ "property", QMP_ARG_STR, false },
	{ "value", QMP_ARG_ANY, false },
	{ NULL, QMP_ARG_ANY, false },
};

static const struct qmp_arg query_rx_filter_args[] = {
	{ "name", QMP_ARG_STR, true },
	{ NULL, QMP_ARG_ANY, false },
};

static const struct qmp_arg set_link_args[] = {
	{ "name", QMP_ARG_STR, false },
	{ "up", QMP_ARG_BOOL, false },
	{ NULL, QMP_ARG_ANY, false },
};

#define OP(member) offsetof(struct qmp_machine_ops, member)

static const struct qmp_command commands[] = {
	{ "qmp_capabilities", cmd_qmp_capabilities, caps_args, QMP_NO_OP },
	{ "query-version", cmd_query_version, NULL, QMP_NO_OP },
	{ "query-commands", cmd_query_commands, NULL, QMP_NO_OP },
	{ "query-status", cmd_query_status, NULL, OP(query_status) },
	{ "query-name", cmd_query_name, NULL, OP(query_name) },
	{ "query-uuid", cmd_query_uuid, NULL, OP(query_uuid) },
	{ "query-chardev", cmd_query_chardev, NULL, OP(query_chardev) },
	{ "stop", cmd_stop, NULL, OP(stop) },
	{ "cont", cmd_cont, NULL, OP(cont) },
	{ "system_powerdown", cmd_system_powerdown, NULL, OP(system_powerdown) },
	{ "system_reset", cmd_system_reset, NULL, OP(system_reset) },
	{ "quit", cmd_quit, NULL, OP(quit) },
	{ "balloon", cmd_balloon, balloon_args, OP(balloon) },
	{ "query-balloon", cmd_query_balloon, NULL, OP(query_balloon) },
	{ "qom-get", cmd_qom_get, qom_get_args, OP(qom_get) },
	{ "qom-set", cmd_qom_set, qom_set_args, OP(qom_set) },
	{ "query-rx-filter", cmd_query_rx_filter, query_rx_filter_args, OP(query_rx_filter) },
	{ "set_link", cmd_set_link, set_link_args, OP(set_link) },
};

/* Whether the machine filled in the op at offset `op` (a function pointer). */
static bool has_op(const struct qmp_machine_ops *ops, size_t op)
{
	void (*fn)(void);

	if (op == QMP_NO_OP)
		return true;
	if (!ops)
		return false;
	memcpy(&fn, (const char *)ops + op, sizeof(fn));
	return fn != NULL;
}

const struct qmp_command *qmp_command_find(const struct qmp *q, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return has_op(q->ops, commands[i].op) ? &commands[i] : NULL;
	return NULL;
}

static json_object *cmd_query_commands(struct qmp *q, json_object *args, struct err **errp)
{
	json_object *list = json_object_new_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		json_object *c;

		if (!has_op(q->ops, commands[i].op))
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(commands[i].name));
		json_object_array_add(list, c);
	}
	return list;
}
