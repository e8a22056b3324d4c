/* The CLI's command table: what a command is, its options, and the commands.
 *
 * A command declares its options as virsh does (client/args.h parses them with
 * virsh's rules and error messages); main.c finds the command, parses, and runs it.
 * Commands that talk to vireod get their connection through client_conn(), opened
 * on first use, so offline commands never touch a socket. */
#ifndef VIREO_CLIENT_COMMANDS_H
#define VIREO_CLIENT_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "client/args.h"
#include "lib/util/err.h"
#include "lib/util/log.h"

struct vconn;
struct rpc_client;

struct client {
	const char *root;	/* --root DIR: the vireod started with the same root */
	const char *uri;	/* -c URI */
	int verbose;
	bool quiet;		/* -q: no headers, no "Domain 'x' started" chatter */
	struct logger log;
	struct vconn *conn;	/* opened by client_rpc() */
	bool no_blank;		/* the command printed JSON: no virsh blank line after it */
};

/* Command flags. */
#define CMD_CONNECT	0x1u	/* talks to vireod: connect before running it */
#define CMD_READONLY	0x2u	/* only read-only methods: the ro socket will do */
#define CMD_BLANK	0x4u	/* virsh's blank line after its output */

struct command {
	const char *name;
	const char *summary;	/* N_() text, one line */
	const char *description;	/* N_() text for `help NAME`, may be NULL */
	const struct opt_def *opts;	/* terminated by a { NULL } entry */
	unsigned flags;
	int (*run)(struct client *c, const struct cmd_args *a, struct err **errp);
};

/* ---- talking to vireod (call.c) ---- */

/* The connection for this invocation, opened on first use (readonly: a refused rw
 * socket falls back to the ro one). NULL with errp filled when vireod is not there. */
struct rpc_client *client_rpc(struct client *c, bool readonly, struct err **errp);
void client_disconnect(struct client *c);

/* One call (params taken over, NULL: {}); *result may be NULL to ignore it. */
int client_call(struct client *c, bool readonly, const char *method, struct json_object *params,
		struct json_object **result, struct err **errp);

/* A call about one domain: adds "domain": ref; a no-domain error becomes virsh's
 * single line "failed to get domain 'REF'". */
int dom_call(struct client *c, bool readonly, const char *method, const char *ref,
	     struct json_object *params, struct json_object **result, struct err **errp);

/* domain.lookup: the name, uuid and id (-1: not running) of what ref names. */
struct dom_ref {
	char *name;
	char *uuid;
	int64_t id;
};
int dom_lookup(struct client *c, bool readonly, const char *ref, struct dom_ref *d,
	       struct err **errp);
void dom_ref_free(struct dom_ref *d);

/* A translated message template with one "%s" for a domain name, filled in without
 * printf (the template is not a literal the compiler could check). */
char *subst_name(const char *tmpl, const char *name);

/* Print a virsh "extra" line (suppressed by -q) to stdout. */
void client_say(const struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write text to stdout (an error when stdout is gone). */
int client_print(const char *text, struct err **errp);

/* The table, sorted by name (main.c). */
const struct command *command_find(const char *name);
const struct command *command_table(size_t *n);

/* Offline commands on XML files (cmd_domxml.c): no daemon needed. */
extern const struct opt_def opts_validate[], opts_domxml_format[], opts_domxml_to_native[];
int cmd_validate(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domxml_format(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domxml_to_native(struct client *c, const struct cmd_args *a, struct err **errp);

/* Lifecycle (cmd_lifecycle.c). */
extern const struct opt_def opts_file_console[], opts_define[], opts_domain[],
	opts_start[], opts_shutdown[], opts_destroy[], opts_autostart[];
int cmd_define(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_undefine(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_create(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_start(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_shutdown(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_destroy(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_reboot(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_reset(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_suspend(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_resume(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_autostart(struct client *c, const struct cmd_args *a, struct err **errp);

/* Queries (cmd_query.c). */
extern const struct opt_def opts_list[], opts_dominfo[], opts_domstate[], opts_dumpxml[],
	opts_version[], opts_none[];
int cmd_list(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_dominfo(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domstate(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_dumpxml(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domid(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domuuid(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domname(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_version(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_uri(struct client *c, const struct cmd_args *a, struct err **errp);

/* Memory (cmd_mem.c). */
extern const struct opt_def opts_setmem[], opts_setmaxmem[], opts_dommemstat[];
int cmd_setmem(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_setmaxmem(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_dommemstat(struct client *c, const struct cmd_args *a, struct err **errp);

/* Networks and interfaces (cmd_net.c). */
extern const struct opt_def opts_network[], opts_net_define[], opts_net_list[],
	opts_net_dumpxml[], opts_net_autostart[], opts_domiflist[], opts_domifstat[],
	opts_domif_getlink[], opts_domif_setlink[];
int cmd_net_define(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_undefine(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_start(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_destroy(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_list(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_info(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_dumpxml(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_net_autostart(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domiflist(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domifstat(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domif_getlink(struct client *c, const struct cmd_args *a, struct err **errp);
int cmd_domif_setlink(struct client *c, const struct cmd_args *a, struct err **errp);

/* The console (console.c). */
extern const struct opt_def opts_console[];
int cmd_console(struct client *c, const struct cmd_args *a, struct err **errp);
/* Attach the console of an already known domain (start --console, create --console). */
int console_attach(struct client *c, const char *domain, bool force, struct err **errp);

/* Where the RelaxNG schemas are: $VIREO_SCHEMA_DIR, else the installed ones. */
const char *client_schema_dir(void);

#endif
