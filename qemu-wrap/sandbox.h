/* The worker's seccomp sandbox: QEMU's `-sandbox on,...` semantics.
 *
 * A deny list on top of "allow": the syscalls a VMM never needs (always), obsolete ones
 * (obsolete=deny, the default), privilege changes (elevateprivileges=deny; =children only
 * sets no_new_privs), process creation (spawn=deny: fork, vfork, exec, clone without
 * CLONE_THREAD) and scheduler/priority control (resourcecontrol=deny). A denied call
 * kills the whole worker, as QEMU does: a guest that took over the worker must not be
 * able to retry. Threads (clone with CLONE_THREAD) stay allowed, so device threads
 * started later work. */
#ifndef VIREO_QEMU_WRAP_SANDBOX_H
#define VIREO_QEMU_WRAP_SANDBOX_H

#include <stdbool.h>

#include "lib/util/err.h"

struct vmm_props;

struct sandbox_policy {
	bool deny_obsolete;
	bool deny_elevate;	/* setuid & co. (implies no_new_privs) */
	bool no_new_privs;	/* elevateprivileges=deny or =children */
	bool deny_spawn;
	bool deny_resourcecontrol;
};

/* Fills p from -sandbox's properties (already checked by the option parser); QEMU's
 * defaults: obsolete=deny, the others allow. Returns 0. */
int sandbox_policy_from_props(struct sandbox_policy *p, const struct vmm_props *props);

/* Installs the filter on every thread of the process (TSYNC). Returns 0, or -1 with
 * errp set (libseccomp or the kernel refused). */
int sandbox_apply(const struct sandbox_policy *p, struct err **errp);

#endif
