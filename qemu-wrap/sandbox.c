/* The worker's seccomp sandbox (-sandbox on): see sandbox.h for the policy.
 *
 * Syscalls are named, not numbered, and resolved for the running architecture; a name
 * the architecture lacks (e.g. _sysctl on new x86_64 kernels) is skipped, so one list
 * serves every build. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>

#include <seccomp.h>

#include "lib/util/i18n.h"
#include "qemu-wrap/options.h"
#include "qemu-wrap/sandbox.h"

/* Never needed by a VMM, whatever the options say: host administration. */
static const char *const deny_always[] = {
	"reboot", "swapon", "swapoff", "syslog", "mount", "umount2", "pivot_root", "chroot",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"acct", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm", "bpf", "lookup_dcookie",
	"open_by_handle_at", "add_key", "request_key", "keyctl", "setns", "unshare",
	"fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr",
	NULL,
};

/* obsolete=deny: calls no modern program (or libc) makes. */
static const char *const deny_obsolete[] = {
	"uselib", "ustat", "sysfs", "_sysctl", "create_module", "get_kernel_syms",
	"query_module", "nfsservctl", "afs_syscall", "tuxcall", "security", "vserver",
	"getpmsg", "putpmsg", "remap_file_pages", "epoll_ctl_old", "epoll_wait_old",
	"vhangup", "modify_ldt", NULL,
};

/* elevateprivileges=deny: the worker keeps the credentials it was started with. */
static const char *const deny_elevate[] = {
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
	"setfsgid", "setgroups", "capset", "setsid", "setpgid", NULL,
};

/* spawn=deny: no new processes (clone without CLONE_THREAD is handled apart). */
static const char *const deny_spawn[] = { "fork", "vfork", "execve", "execveat", NULL };

/* resourcecontrol=deny: scheduling and memory placement stay as the manager set them. */
static const char *const deny_resourcecontrol[] = {
	"setpriority", "sched_setparam", "sched_setscheduler", "sched_setattr",
	"sched_setaffinity", "ioprio_set", "migrate_pages", "move_pages", "mbind",
	"set_mempolicy", NULL,
};

static bool prop_is(const struct vmm_props *props, const char *key, const char *value,
		    bool dflt)
{
	const char *v = props ? vmm_props_get(props, key) : NULL;

	return v ? strcmp(v, value) == 0 : dflt;
}

int sandbox_policy_from_props(struct sandbox_policy *p, const struct vmm_props *props)
{
	memset(p, 0, sizeof(*p));
	p->deny_obsolete = !prop_is(props, "obsolete", "allow", false);
	p->deny_elevate = prop_is(props, "elevateprivileges", "deny", false);
	p->no_new_privs = p->deny_elevate ||
			  prop_is(props, "elevateprivileges", "children", false);
	p->deny_spawn = prop_is(props, "spawn", "deny", false);
	p->deny_resourcecontrol = prop_is(props, "resourcecontrol", "deny", false);
	return 0;
}

/* Adds a kill rule for every name the architecture knows. Returns 0 or -errno. */
static int deny_names(scmp_filter_ctx ctx, const char *const *names)
{
	for (; *names; names++) {
		int nr = seccomp_syscall_resolve_name(*names);
		int rc;

		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;	/* not a syscall here */
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * clone() that makes a thread stays allowed; any other clone is a new process. clone3
 * answers ENOSYS (its flags sit in memory a filter cannot read), which makes glibc fall
 * back to clone() for pthread_create. Under AddressSanitizer the leak checker clones a
 * tracer process at exit, so a sanitizer build leaves clone() alone.
 */
static int deny_process_clone(scmp_filter_ctx ctx)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);

#if defined(__SANITIZE_ADDRESS__)
	return rc;
#else
	if (rc < 0)
		return rc;
	return seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
#endif
}

static int build_rules(scmp_filter_ctx ctx, const struct sandbox_policy *p)
{
	int rc = deny_names(ctx, deny_always);

	if (rc == 0 && p->deny_obsolete)
		rc = deny_names(ctx, deny_obsolete);
	if (rc == 0 && p->deny_elevate)
		rc = deny_names(ctx, deny_elevate);
	if (rc == 0 && p->deny_spawn)
		rc = deny_names(ctx, deny_spawn);
	if (rc == 0 && p->deny_spawn)
		rc = deny_process_clone(ctx);
	if (rc == 0 && p->deny_resourcecontrol)
		rc = deny_names(ctx, deny_resourcecontrol);
	return rc;
}

int sandbox_apply(const struct sandbox_policy *p, struct err **errp)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!ctx)
		return err_set(errp, ERR_SYSTEM, _("-sandbox: cannot create a seccomp filter"));
	/* Every thread, including the ones already running; without CAP_SYS_ADMIN the
	 * kernel requires no_new_privs for a filter anyway. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, p->no_new_privs ? 1 : 0);
	if (rc == 0)
		rc = build_rules(ctx, p);
	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc == -EACCES && !p->no_new_privs) {
			/* not privileged enough to load a filter without no_new_privs */
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
			rc = seccomp_load(ctx);
		}
	}
	seccomp_release(ctx);
	if (rc < 0)
		return err_set_errno(errp, NULL, -rc,
				     _("-sandbox: cannot install the seccomp filter"));
	return 0;
}
