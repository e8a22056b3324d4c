/* vireo-vmm: the per-VM worker. A QEMU-compatible command line in, a KVM guest out.
 *
 * main() parses the options, builds the machine, and runs the event loop (chardevs,
 * QMP, guest requests, signals) until the guest or QMP ends it. The exit status is
 * QEMU's: 0 after a shutdown or quit, (v << 1) | 1 after isa-debug-exit, 1 on a
 * start-up error (printed as "vireo-vmm: <message>"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/util/evloop.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/log.h"
#include "lib/util/str.h"
#include "qemu-wrap/machine.h"
#include "qemu-wrap/sandbox.h"
#include "qemu-wrap/options.h"

static void usage(void)
{
	printf(_("Usage: vireo-vmm [options]\n"
		 "The Vireo per-VM worker: a KVM virtual machine monitor that accepts a subset of\n"
		 "QEMU's command line (-name -uuid -m -smp -machine -accel kvm -cpu -kernel -initrd\n"
		 "-append -S -no-shutdown -no-reboot -nodefaults -display none -daemonize -pidfile\n"
		 "-qmp -mon -chardev -serial -device) and speaks QMP.\n"));
}

static void on_stop_signal(struct evloop *loop, struct ev_source *src,
			   const struct signalfd_siginfo *si, void *data)
{
	struct machine *m = data;
	json_object *d = json_object_new_object();

	/* As QEMU: a SHUTDOWN event with reason host-signal, then exit 0. */
	json_object_object_add(d, "guest", json_object_new_boolean(0));
	json_object_object_add(d, "reason", json_object_new_string("host-signal"));
	machine_emit(m, "SHUTDOWN", d);
	fprintf(stderr, "vireo-vmm: terminating on signal %u\n", si->ssi_signo);
	evloop_quit(loop, 0);
}

/* -daemonize: the parent returns only once the child has built the machine, with
 * the child's verdict, so a failed start is still an error for whoever ran us. */
static int daemonize_start(int *report_fd, struct err **errp)
{
	int p[2];
	pid_t pid;
	char verdict = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set_errno(errp, NULL, errno, _("-daemonize: cannot create a pipe"));
	pid = fork();
	if (pid < 0)
		return err_set_errno(errp, NULL, errno, _("-daemonize: cannot fork"));
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &verdict, 1) != 1)
			verdict = 1;
		_exit(verdict ? 1 : 0);
	}
	close(p[0]);
	setsid();
	*report_fd = p[1];
	return 0;
}

static void daemonize_done(int report_fd, bool ok)
{
	char verdict = ok ? 0 : 1;

	if (report_fd < 0)
		return;
	if (write(report_fd, &verdict, 1) != 1) {
		/* the parent is gone; nothing to tell */
	}
	close(report_fd);
	if (ok) {
		/* Detach as QEMU does once the VM is up: stdio to /dev/null (a caller
		 * reading our stderr through a pipe must see EOF), cwd to /. */
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
			close(null_fd);
		}
		if (chdir("/") < 0) {
			/* "/" always exists */
		}
	}
}

static int write_pidfile(const char *path, struct err **errp)
{
	char *text = xasprintf("%d\n", (int)getpid());
	int rc = file_write_atomic(path, text, strlen(text), 0644, errp);

	free(text);
	return rc;
}

/* -sandbox on: once the machine is built (files, KVM fds and -daemonize's setsid are
 * behind us), before any vCPU runs guest code. */
static int start_sandbox(const struct vmm_config *cfg, struct err **errp)
{
	struct sandbox_policy policy;

	sandbox_policy_from_props(&policy, &cfg->sandbox_props);
	return sandbox_apply(&policy, errp);
}

static int run(struct vmm_config *cfg, struct logger *log, int report_fd, struct err **errp)
{
	struct machine m;
	struct evloop *loop = evloop_new(errp);
	int status = -1;

	if (!loop)
		return -1;
	if (!evloop_add_signal(loop, SIGTERM, on_stop_signal, &m, errp) ||
	    !evloop_add_signal(loop, SIGINT, on_stop_signal, &m, errp) ||
	    !evloop_add_signal(loop, SIGHUP, on_stop_signal, &m, errp))
		goto out_loop;
	signal(SIGPIPE, SIG_IGN);
	if (machine_init(&m, cfg, log, loop, errp) < 0 ||
	    (cfg->pidfile && write_pidfile(cfg->pidfile, errp) < 0) ||
	    (cfg->sandbox && start_sandbox(cfg, errp) < 0) || machine_start(&m, errp) < 0) {
		daemonize_done(report_fd, false);
		goto out;
	}
	daemonize_done(report_fd, true);
	status = evloop_run(loop, errp);
	if (status >= 0)
		status = m.exit_status;
out:
	machine_destroy(&m);
	if (cfg->pidfile && status >= 0)
		unlink(cfg->pidfile);
out_loop:
	evloop_free(loop);
	return status;
}

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	struct logger log;
	struct err *e = NULL;
	int report_fd = -1, status;

	i18n_init();
	logger_init(&log, "vireo-vmm", 0, NULL);
	if (vmm_options_parse(&cfg, argc, argv, &e) < 0)
		goto fail;
	if (cfg.show_help) {
		usage();
		vmm_config_free(&cfg);
		return 0;
	}
	if (cfg.show_version) {
		/* The first line is QEMU's shape, for tools that parse it. */
		printf("QEMU emulator version 7.2.0 (vireo-vmm %s)\n", PACKAGE_VERSION);
		vmm_config_free(&cfg);
		return 0;
	}
	if (cfg.name)
		prctl(PR_SET_NAME, cfg.name, 0, 0, 0);
	if (cfg.daemonize && daemonize_start(&report_fd, &e) < 0)
		goto fail;
	status = run(&cfg, &log, report_fd, &e);
	if (status < 0)
		goto fail;
	vmm_config_free(&cfg);
	return status;
fail:
	{
		char *text = err_describe(e);

		fprintf(stderr, "vireo-vmm: %s\n", text);
		free(text);
	}
	err_free(e);
	vmm_config_free(&cfg);
	return 1;
}
