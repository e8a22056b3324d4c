/* vmm_config_describe(): a stable, line-per-item dump of a parsed command line for
 * the tests and for debugging. Not user-facing text: not translated. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/mem.h"
#include "lib/util/str.h"
#include "qemu-wrap/options.h"

static const char *onoff(bool b)
{
	return b ? "on" : "off";
}

/* " k=v k=v" (empty for an empty list); the caller frees. */
static char *props_text(const struct vmm_props *p)
{
	struct strv parts = STRV_INIT;
	char *out;
	size_t i;

	strv_push(&parts, "");
	for (i = 0; i < p->len; i++)
		strv_pushf(&parts, "%s=%s", p->items[i].key, p->items[i].value);
	out = strv_join(&parts, " ");
	strv_free(&parts);
	return out;
}

static void push_str(struct strv *out, const char *key, const char *value)
{
	if (value)
		strv_pushf(out, "%s: %s", key, value);
}

static void describe_machine(struct strv *out, const struct vmm_config *c)
{
	const struct vmm_smp *s = &c->smp;
	char *features = props_text(&c->cpu_features);
	const uint8_t *u = c->uuid;

	push_str(out, "name", c->name);
	push_str(out, "process", c->process_name);
	if (c->uuid_set)
		strv_pushf(out, "uuid: %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			   "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
			   u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	strv_pushf(out, "memory: %" PRIu64, c->mem_bytes);
	if (c->mem_max_bytes)
		strv_pushf(out, "maxmem: %" PRIu64 " slots=%u", c->mem_max_bytes, c->mem_slots);
	strv_pushf(out, "smp: cpus=%u maxcpus=%u sockets=%u dies=%u cores=%u threads=%u",
		   s->cpus, s->maxcpus, s->sockets, s->dies, s->cores, s->threads);
	push_str(out, "machine", c->machine_type);
	push_str(out, "memory-backend", c->memory_backend);
	strv_pushf(out, "cpu: %s%s", c->cpu_model ? c->cpu_model : "", features);
	free(features);
	push_str(out, "kernel", c->kernel);
	push_str(out, "initrd", c->initrd);
	push_str(out, "append", c->append);
	push_str(out, "bios", c->bios);
	push_str(out, "pidfile", c->pidfile);
}

static void describe_flags(struct strv *out, const struct vmm_config *c)
{
	const struct {
		const char *name;
		bool on;
	} flags[] = {
		{ "start-paused", c->start_paused }, { "no-shutdown", c->no_shutdown },
		{ "no-reboot", c->no_reboot }, { "daemonize", c->daemonize },
		{ "nodefaults", c->nodefaults }, { "no-user-config", c->no_user_config },
		{ "display-none", c->display_none }, { "nographic", c->nographic },
		{ "no-acpi", c->no_acpi }, { "debug-threads", c->debug_threads },
		{ "msg-timestamp", c->msg_timestamp }, { "version", c->show_version },
		{ "help", c->show_help },
	};
	struct strv names = STRV_INIT;
	char *props, *text;
	size_t i;

	strv_push(&names, "flags:");
	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i].on)
			strv_push(&names, flags[i].name);
	text = strv_join(&names, " ");
	strv_push_take(out, text);
	strv_free(&names);
	strv_pushf(out, "rtc: %s", c->rtc_localtime ? "localtime" : "utc");
	strv_pushf(out, "boot: order=%s once=%s menu=%s strict=%s splash-time=%u "
		   "reboot-timeout=%d", c->boot.order ? c->boot.order : "",
		   c->boot.once ? c->boot.once : "", onoff(c->boot.menu), onoff(c->boot.strict),
		   c->boot.splash_time, c->boot.reboot_timeout);
	props = props_text(&c->sandbox_props);
	strv_pushf(out, "sandbox: %s%s", onoff(c->sandbox), props);
	free(props);
}

static const char *backend_name(enum vmm_chr_backend b)
{
	static const char *const names[] = { "null", "file", "pty", "stdio", "socket" };

	return (size_t)b < ARRAY_SIZE(names) ? names[b] : "?";
}

static void describe_chardev(struct strv *out, const struct vmm_chardev *d)
{
	struct strv parts = STRV_INIT;
	char *text;

	strv_pushf(&parts, "chardev %s: %s", d->id, backend_name(d->backend));
	if (d->path)
		strv_pushf(&parts, "path=%s", d->path);
	if (d->fd >= 0)
		strv_pushf(&parts, "fd=%d", d->fd);
	if (d->backend == VMM_CHR_FILE)
		strv_pushf(&parts, "append=%s", onoff(d->append));
	if (d->backend == VMM_CHR_SOCKET)
		strv_pushf(&parts, "server=%s wait=%s", onoff(d->server), onoff(d->wait));
	if (d->backend == VMM_CHR_STDIO)
		strv_pushf(&parts, "signal=%s", onoff(d->signal));
	if (d->logfile)
		strv_pushf(&parts, "logfile=%s logappend=%s", d->logfile, onoff(d->logappend));
	text = strv_join(&parts, " ");
	strv_push_take(out, text);
	strv_free(&parts);
}

/* "KIND NAME: HEAD k=v ..." for the kept-as-properties things. */
static void push_item(struct strv *out, const char *kind, const char *name, const char *head,
		      const struct vmm_props *p)
{
	char *props = props_text(p);

	strv_pushf(out, "%s %s: %s%s", kind, name ? name : "-", head, props);
	free(props);
}

static void describe_frontends(struct strv *out, const struct vmm_config *c)
{
	size_t i;

	for (i = 0; i < c->n_chardevs; i++)
		describe_chardev(out, &c->chardevs[i]);
	for (i = 0; i < c->n_monitors; i++)
		strv_pushf(out, "monitor %s: chardev=%s pretty=%s",
			   c->monitors[i].id ? c->monitors[i].id : "-", c->monitors[i].chardev,
			   onoff(c->monitors[i].pretty));
	for (i = 0; i < c->n_serials; i++)
		strv_pushf(out, "serial %zu: chardev=%s", i, c->serials[i].chardev);
	for (i = 0; i < c->n_devices; i++)
		push_item(out, "device", c->devices[i].id, c->devices[i].driver,
			  &c->devices[i].props);
}

static void describe_backends(struct strv *out, const struct vmm_config *c)
{
	static const char *const objtypes[] = {
		"memory-backend-ram", "memory-backend-memfd", "secret",
	};
	size_t i;

	for (i = 0; i < c->n_netdevs; i++)
		push_item(out, "netdev", c->netdevs[i].id,
			  c->netdevs[i].type == VMM_NETDEV_TAP ? "tap" : "user",
			  &c->netdevs[i].props);
	for (i = 0; i < c->n_drives; i++)
		push_item(out, "drive", c->drives[i].id, "", &c->drives[i].props);
	for (i = 0; i < c->n_blockdevs; i++)
		push_item(out, "blockdev", c->blockdevs[i].node_name, c->blockdevs[i].driver,
			  &c->blockdevs[i].props);
	for (i = 0; i < c->n_objects; i++) {
		char *head = xasprintf("%s size=%" PRIu64, objtypes[c->objects[i].type],
				       c->objects[i].size);

		push_item(out, "object", c->objects[i].id, head, &c->objects[i].props);
		free(head);
	}
	for (i = 0; i < c->n_add_fds; i++)
		strv_pushf(out, "add-fd: fd=%d set=%u opaque=%s", c->add_fds[i].fd,
			   c->add_fds[i].set, c->add_fds[i].opaque ? c->add_fds[i].opaque : "");
	for (i = 0; i < c->n_globals; i++)
		strv_pushf(out, "global: %s.%s=%s", c->globals[i].driver,
			   c->globals[i].property, c->globals[i].value);
}

char *vmm_config_describe(const struct vmm_config *cfg)
{
	struct strv lines = STRV_INIT;
	char *out;

	describe_machine(&lines, cfg);
	describe_flags(&lines, cfg);
	describe_frontends(&lines, cfg);
	describe_backends(&lines, cfg);
	strv_push(&lines, "");
	out = strv_join(&lines, "\n");
	strv_free(&lines);
	return out;
}
