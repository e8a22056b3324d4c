/* virsh's command-line rules for a command's options (see args.h). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/args.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

static int find_def(const struct opt_def *defs, const char *name, size_t len)
{
	for (int i = 0; defs[i].name; i++)
		if (strlen(defs[i].name) == len && strncmp(defs[i].name, name, len) == 0)
			return i;
	return -1;
}

/* The next positional option still without a value, or -1. */
static int next_positional(const struct opt_def *defs, const struct cmd_args *a)
{
	for (int i = 0; defs[i].name; i++)
		if ((defs[i].type == OPT_DATA || (defs[i].flags & OPT_POS)) && !a->values[i])
			return i;
	return -1;
}

static const char *type_word(enum opt_type t)
{
	return t == OPT_INT ? "number" : "string";
}

/* One "--name[=value]" word at argv[*i]; may consume the next word as its value. */
static int parse_option(const char *command, const struct opt_def *defs, int argc,
			char **argv, int *i, struct cmd_args *a, struct err **errp)
{
	const char *word = argv[*i] + 2;
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	int d = find_def(defs, word, len);

	if (d < 0 && len == 4 && strncmp(word, "help", 4) == 0 && !eq) {
		a->help = true;
		return 0;
	}
	if (d < 0)
		return err_set(errp, ERR_USAGE, _("command '%s' doesn't support option --%.*s"),
			       command, (int)len, word);
	if (a->values[d])
		return err_set(errp, ERR_USAGE, _("option --%s already seen"), defs[d].name);
	if (defs[d].type == OPT_BOOL) {
		if (eq)
			return err_set(errp, ERR_USAGE, _("invalid '=' after option --%s"),
				       defs[d].name);
		a->values[d] = "";
		return 0;
	}
	if (eq) {
		a->values[d] = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return err_set(errp, ERR_USAGE, _("expected syntax: --%s <%s>"), defs[d].name,
			       type_word(defs[d].type));
	a->values[d] = argv[++*i];
	return 0;
}

/* virsh's rule wherever --current exists: it names the one scope by itself, so it
 * excludes --live and --config. */
static int check_scope(const struct opt_def *defs, const struct cmd_args *a, struct err **errp)
{
	static const char *const scopes[] = { "live", "config" };
	int cur = find_def(defs, "current", strlen("current"));

	if (cur < 0 || !a->values[cur])
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(scopes); i++) {
		int d = find_def(defs, scopes[i], strlen(scopes[i]));

		if (d >= 0 && a->values[d])
			return err_set(errp, ERR_USAGE, _("Options --%s and --%s are mutually exclusive"),
				       "current", scopes[i]);
	}
	return 0;
}

int args_parse(const char *command, const struct opt_def *defs, int argc, char **argv,
	       struct cmd_args *a, struct err **errp)
{
	bool only_data = false;
	int i;

	memset(a, 0, sizeof(*a));
	a->command = command;
	a->defs = defs;
	for (i = 0; defs[i].name; i++)
		if (i >= ARGS_MAX)
			return err_set(errp, ERR_INTERNAL, "command '%s' has too many options",
				       command);
	for (i = 1; i < argc; i++) {
		if (!only_data && strcmp(argv[i], "--") == 0) {
			only_data = true;
		} else if (!only_data && str_starts_with(argv[i], "--") && argv[i][2]) {
			if (parse_option(command, defs, argc, argv, &i, a, errp) < 0)
				return -1;
		} else {
			int d = next_positional(defs, a);

			if (d < 0)
				return err_set(errp, ERR_USAGE, _("unexpected data '%s'"), argv[i]);
			a->values[d] = argv[i];
		}
	}
	if (a->help)
		return 0;
	if (check_scope(defs, a, errp) < 0)
		return -1;
	for (i = 0; defs[i].name; i++) {
		if (!(defs[i].flags & OPT_REQ) || a->values[i])
			continue;
		if (defs[i].type == OPT_DATA)
			return err_set(errp, ERR_USAGE, _("command '%s' requires <%s> option"),
				       command, defs[i].name);
		return err_set(errp, ERR_USAGE, _("command '%s' requires --%s option"), command,
			       defs[i].name);
	}
	return 0;
}

static int def_index(const struct cmd_args *a, const char *name)
{
	int d = find_def(a->defs, name, strlen(name));

	/* Asking for an option the command does not declare is a bug in the command. */
	if (d < 0)
		abort();
	return d;
}

const char *args_str(const struct cmd_args *a, const char *name)
{
	return a->values[def_index(a, name)];
}

bool args_bool(const struct cmd_args *a, const char *name)
{
	return args_str(a, name) != NULL;
}

int args_uint(const struct cmd_args *a, const char *name, uint64_t max, uint64_t *out,
	      struct err **errp)
{
	const char *s = args_str(a, name);

	if (!s)
		return 0;
	if (parse_uint64(s, 0, max, out, NULL) < 0)
		return err_set(errp, ERR_INVALID,
			       _("Numeric value '%s' for <%s> option is malformed or out of range"),
			       s, name);
	return 1;
}

int args_size_kib(const struct cmd_args *a, const char *name, uint64_t *kib,
		  struct err **errp)
{
	const char *s = args_str(a, name);
	uint64_t value, bytes;
	char *digits;
	size_t n;
	int rc;

	if (!s)
		return 0;
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	digits = xstrndup(s, n);
	rc = n && parse_uint64(digits, 0, UINT64_MAX, &value, NULL) == 0 &&
	     parse_scaled(value, s + n, 1024, UINT64_MAX, &bytes, NULL) == 0;
	free(digits);
	if (!rc)
		return err_set(errp, ERR_INVALID,
			       _("Scaled numeric value '%s' for <%s> option is malformed or out of range"),
			       s, name);
	/* Sizes below a KiB round up, as virsh's VIR_DIV_UP does. */
	*kib = bytes / 1024 + (bytes % 1024 != 0);
	return 1;
}

/* "[--domain] <string>", "--period <number>", "--config": the option's left column. */
static char *option_label(const struct opt_def *d)
{
	if (d->type == OPT_BOOL)
		return xasprintf("--%s", d->name);
	if (d->type == OPT_DATA || (d->flags & OPT_POS))
		return xasprintf("[--%s] <%s>", d->name, type_word(d->type));
	return xasprintf("--%s <%s>", d->name, type_word(d->type));
}

static void format_synopsis(const char *command, const struct opt_def *defs, struct buf *out)
{
	buf_appendf(out, NULL, "    %s", command);
	for (int i = 0; defs[i].name; i++) {
		const struct opt_def *d = &defs[i];
		bool req = d->flags & OPT_REQ;

		if (d->type == OPT_BOOL)
			buf_appendf(out, NULL, " [--%s]", d->name);
		else if (d->type == OPT_DATA || (d->flags & OPT_POS))
			buf_appendf(out, NULL, req ? " <%s>" : " [<%s>]", d->name);
		else
			buf_appendf(out, NULL, req ? " --%s <%s>" : " [--%s <%s>]", d->name,
				    type_word(d->type));
	}
	buf_append_str(out, "\n", NULL);
}

void args_format_help(const char *command, const char *summary, const char *description,
		      const struct opt_def *defs, struct buf *out)
{
	buf_appendf(out, NULL, "  %s\n    %s - %s\n\n", _("NAME"), command, _(summary));
	buf_appendf(out, NULL, "  %s\n", _("SYNOPSIS"));
	format_synopsis(command, defs, out);
	buf_append_str(out, "\n", NULL);
	if (description)
		buf_appendf(out, NULL, "  %s\n    %s\n\n", _("DESCRIPTION"), _(description));
	if (defs[0].name) {
		buf_appendf(out, NULL, "  %s\n", _("OPTIONS"));
		for (int i = 0; defs[i].name; i++) {
			char *label = option_label(&defs[i]);

			buf_appendf(out, NULL, "    %-15s  %s\n", label, _(defs[i].help));
			free(label);
		}
		buf_append_str(out, "\n", NULL);
	}
}
