/* A command's options, parsed with virsh's rules.
 *
 * `vireo start web`, `vireo start --domain web` and `vireo start --domain=web` are the
 * same: options marked positional take bare words in declaration order. The errors
 * are virsh's words ("command 'start' requires <domain> option", "command 'list'
 * doesn't support option --bogus"), so scripts written against virsh read ours. */
#ifndef VIREO_CLIENT_ARGS_H
#define VIREO_CLIENT_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/util/buf.h"
#include "lib/util/err.h"

enum opt_type {
	OPT_BOOL,	/* --flag */
	OPT_DATA,	/* a string that is normally given bare: <domain>, <file> */
	OPT_STRING,	/* --name <string> */
	OPT_INT,	/* --name <number> (checked when the command reads it) */
};

#define OPT_REQ	0x1u	/* must be given */
#define OPT_POS	0x2u	/* may be given without --name, in declaration order */

struct opt_def {
	const char *name;
	enum opt_type type;
	unsigned flags;
	const char *help;	/* N_() text */
};

#define ARGS_MAX 24

struct cmd_args {
	const char *command;			/* the command's name, for messages */
	const struct opt_def *defs;
	const char *values[ARGS_MAX];		/* per def: NULL when absent ("" for a bool) */
	bool help;				/* --help was given: print help, run nothing */
};

/* Parse argv (argv[0] is the command name) against defs. -1 with ERR_USAGE and
 * virsh's message on a bad command line. */
int args_parse(const char *command, const struct opt_def *defs, int argc, char **argv,
	       struct cmd_args *a, struct err **errp);

/* The option's value, or NULL when it was not given. */
const char *args_str(const struct cmd_args *a, const char *name);
bool args_bool(const struct cmd_args *a, const char *name);

/* An OPT_INT value: 1 when given and valid, 0 when absent (*out untouched), -1 with
 * virsh's "Numeric value 'x' for <name> option is malformed or out of range". */
int args_uint(const struct cmd_args *a, const char *name, uint64_t max, uint64_t *out,
	      struct err **errp);

/* A size as virsh's scaled integers ("512", "512M", "1.5G" is not accepted, "2GiB",
 * "1000KB"): the value in KiB (bare numbers are KiB). 1 / 0 / -1 as args_uint, with
 * "Scaled numeric value 'x' for <name> option is malformed or out of range". */
int args_size_kib(const struct cmd_args *a, const char *name, uint64_t *kib,
		  struct err **errp);

/* `help NAME`'s text in virsh's layout (NAME, SYNOPSIS, DESCRIPTION, OPTIONS). */
void args_format_help(const char *command, const char *summary, const char *description,
		      const struct opt_def *defs, struct buf *out);

#endif
