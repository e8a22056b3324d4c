/* Persistent definitions as files, the way libvirt keeps them: <dir>/NAME.xml
 * (replaced atomically) and autostart marks as symlinks <autostart_dir>/NAME.xml ->
 * ../NAME.xml. Domains (registry.c) and networks (network/netdef.c) are both kept so. */
#ifndef VIREO_DAEMON_DEFSTORE_H
#define VIREO_DAEMON_DEFSTORE_H

#include <stdbool.h>

#include "lib/util/err.h"
#include "lib/util/str.h"

/* <dir>/NAME.xml (new string). */
char *defstore_path(const char *dir, const char *name);

/* Write xml as NAME's definition; an error says "cannot save the definition of
 * 'NAME'" (operation-failed) above the cause. */
int defstore_save(const char *dir, const char *name, const char *xml, struct err **errp);

/* Remove NAME's autostart mark, then its definition (a missing file is fine). */
int defstore_delete(const char *dir, const char *autostart_dir, const char *name,
		    struct err **errp);

/* Make or remove the autostart mark of NAME. */
int defstore_set_autostart(const char *autostart_dir, const char *name, bool on,
			   struct err **errp);
bool defstore_is_autostart(const char *autostart_dir, const char *name);

/* The "*.xml" files of dir (names, not paths), after removing the temporaries of a
 * write that died half-way (the old file is still there). -1 with errno when dir
 * cannot be read. */
int defstore_list(const char *dir, struct strv *files);

/* Whether file (a name from defstore_list) is the file of definition `name`. */
bool defstore_file_is(const char *file, const char *name);

/* Log that the definition file at path is skipped, and why (e is freed). */
struct logger;
void defstore_warn_ignored(const struct logger *lg, const char *path, struct err *e);

/* The entries of dir, dot files left out (none when it cannot be read). */
void dir_list_names(const char *dir, struct strv *names);

#endif
