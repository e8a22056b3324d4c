/* Daemon start: take over the workers a previous daemon left running, clean up after
 * the ones that died meanwhile, and run the autostart domains once per boot. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/console.h"
#include "daemon/defstore.h"
#include "daemon/job.h"
#include "daemon/lifecycle.h"
#include "daemon/network/network.h"
#include "daemon/runtime.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define LIVE_XML_MAX ((size_t)16 << 20)

static enum dom_state state_from_name(const char *s)
{
	static const enum dom_state all[] = { DOM_RUNNING, DOM_PAUSED, DOM_SHUTDOWN, DOM_CRASHED,
					      DOM_PMSUSPENDED };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(dom_state_name(all[i]), s) == 0)
			return all[i];
	return DOM_RUNNING;
}

/* A reason word from the status file, as one of the static strings we use. */
static const char *known_reason(const char *s)
{
	static const char *const words[] = { "booted", "unpaused", "user", "shutdown",
					     "panicked", "starting up", "unknown" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(words[i], s) == 0)
			return words[i];
	return "unknown";
}

/* The domain a live worker belongs to: the persistent one of that name, or a
 * transient one made from its live XML. */
static struct domain *domain_for(struct daemon *d, const char *name, struct vdomain *live)
{
	struct domain *dom = registry_find_name(d, name);

	if (dom) {
		if (memcmp(dom->uuid, live->uuid, 16) != 0)
			return NULL;
		vdomain_free(dom->live);
		dom->live = live;
		return dom;
	}
	if (registry_find_uuid(d, live->uuid))
		return NULL;
	return registry_add(d, live, false);
}

static int attach_one(struct daemon *d, const char *name, const struct runtime_status *st,
		      const struct dom_paths *p, struct err **errp)
{
	struct vdomain *live = NULL;
	struct domain *dom;
	char *xml;

	if (file_read_all(p->live_xml, LIVE_XML_MAX, &xml, NULL, errp) < 0)
		return -1;
	live = vdomain_parse(xml, strlen(xml), p->live_xml, NULL, errp);
	free(xml);
	if (!live)
		return -1;
	dom = domain_for(d, name, live);
	if (!dom) {
		vdomain_free(live);
		return err_set(errp, ERR_EXISTS, _("another domain has that name or uuid"));
	}
	if (worker_attach(dom, st->pid, st->start_time, errp) < 0) {
		if (dom->def) {
			vdomain_free(dom->live);
			dom->live = NULL;
		} else {
			registry_remove(d, dom);
		}
		return -1;
	}
	dom->id = st->id;
	dom->state = state_from_name(st->state);
	dom->reason = known_reason(st->reason);
	if (st->id >= d->reg.next_id)
		d->reg.next_id = st->id + 1;
	if (st->starting) {
		/* as libvirt does: a start the daemon died in failed; its exit (the pidfd
		 * watch) shows the domain shut off (failed) and cleans up */
		log_info(&d->log, _("domain %s: its start was interrupted by a daemon restart; "
				    "destroying it"), name);
		dom->w->cause = STOP_FAILED;
		worker_kill(dom, true);
		return 0;
	}
	if (worker_connect_qmp(dom, errp) < 0)
		log_warning(&d->log, _("domain %s: no QMP connection; it runs unmanaged"), name);
	if (access(p->console, F_OK) == 0)
		dom->w->console = console_open(dom, p);
	return 0;
}

/* One runtime dir: re-attach, or clean up and mark the domain crashed. */
static void reattach_dir(struct daemon *d, const char *name)
{
	struct runtime_status st;
	struct dom_paths p;
	struct err *e = NULL;
	struct domain *dom;

	dom_paths_init(d, name, &p);
	if (runtime_load_status(p.status, &st, &e) == 0 && proc_matches(st.pid, st.start_time)) {
		if (attach_one(d, name, &st, &p, &e) == 0) {
			dom_paths_free(&p);
			return;
		}
		log_err(&d->log, VLOG_WARNING, e);
		err_clear(&e);
		dom_paths_free(&p);
		return;		/* alive but unusable: leave it and its files alone */
	}
	err_clear(&e);
	dom = registry_find_name(d, name);
	log_info(&d->log, _("domain %s: its worker died while vireod was not running"), name);
	if (dom && !dom->w) {
		dom->state = DOM_SHUTOFF;
		dom->reason = "crashed";
	}
	hostnet_release(d, name);	/* its taps, if a holder kept them */
	runtime_clean(d, name);
	dom_paths_free(&p);
}

void reattach_all(struct daemon *d)
{
	struct strv names = STRV_INIT;

	dir_list_names(d->paths.run_domains_dir, &names);
	for (size_t i = 0; i < names.len; i++)
		reattach_dir(d, names.items[i]);
	strv_free(&names);
	daemon_update_status(d);
}

void autostart_all(struct daemon *d)
{
	struct err *e = NULL;

	if (access(d->paths.autostarted, F_OK) == 0)
		return;		/* done this boot already: a restart is not a boot */
	netreg_autostart(d);	/* networks first: domains may need them */
	for (size_t i = 0; i < d->reg.n; i++) {
		struct domain *dom = d->reg.doms[i];

		if (dom->autostart && dom->def && !dom->w) {
			log_info(&d->log, _("autostarting domain %s"), dom->name);
			job_submit(dom, "autostart", NULL, lifecycle_start);
		}
	}
	if (file_write_atomic(d->paths.autostarted, "", 0, 0600, &e) < 0) {
		log_err(&d->log, VLOG_WARNING, e);
		err_free(e);
	}
}
