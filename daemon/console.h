/* A running domain's console: the worker's first serial port, a unix socket chardev
 * in the runtime dir (console.sock), which the daemon keeps connected while the
 * domain runs.
 *
 * The daemon connects before the guest starts (`cont`), so no output is lost; the
 * last CONSOLE_HISTORY bytes are kept and sent first to a client that attaches
 * (domain.console), so a client attaching after boot still sees the boot messages.
 * They are also appended to console.history in the runtime dir (cut back to the last
 * CONSOLE_HISTORY bytes when it reaches CONSOLE_HISTORY_FILE_MAX), which a restarted
 * daemon reads back when it re-attaches, so the replay survives the restart.
 * One client at a time; `force` takes the console from the current one (its stream
 * is ended). A client that does not keep up loses bytes, never stalls the guest or
 * the daemon. */
#ifndef VIREO_DAEMON_CONSOLE_H
#define VIREO_DAEMON_CONSOLE_H

#include <stdbool.h>

#include "daemon/domain.h"
#include "daemon/runtime.h"

#define CONSOLE_HISTORY 16384
#define CONSOLE_HISTORY_FILE_MAX (2 * CONSOLE_HISTORY)

struct console;

/* Make the domain's first pty serial (or serial console) a unix socket at path, which
 * the worker listens on. Returns false when the domain has no such console. */
bool console_prepare_def(struct vdomain *live, const char *path);

/* Connect to the worker's console socket (p->console), its history first loaded from
 * p->console_history when a previous daemon left one; NULL (logged) when it cannot. */
struct console *console_open(struct domain *dom, const struct dom_paths *p);
/* Disconnect; an attached client's stream is ended. NULL is ignored. */
void console_free(struct console *con);

/* The domain.console method (no job lock). */
void console_method(struct domain *dom, struct call *call);

#endif
