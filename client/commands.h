/* The CLI's command table entries that live outside main.c. */
#ifndef VIREO_CLIENT_COMMANDS_H
#define VIREO_CLIENT_COMMANDS_H

#include "lib/util/err.h"

struct client;

/* Offline commands on XML files (cmd_domxml.c): no daemon needed. */
int cmd_validate(struct client *c, int argc, char **argv, struct err **errp);
int cmd_domxml_format(struct client *c, int argc, char **argv, struct err **errp);
int cmd_domxml_to_native(struct client *c, int argc, char **argv, struct err **errp);

/* Where the RelaxNG schemas are: $VIREO_SCHEMA_DIR, else the installed ones. */
const char *client_schema_dir(void);

#endif
