/* Connection URIs and --root (see target.h). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/target.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* %XX-decoded copy of s[0..n); NULL when an escape is broken. */
static char *uri_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *p = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*p++ = s[i];
			continue;
		}
		if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2])) {
			free(out);
			return NULL;
		}
		char hex[3] = { s[i + 1], s[i + 2], 0 };

		*p++ = (char)strtol(hex, NULL, 16);
		i += 2;
	}
	*p = '\0';
	return out;
}

static void set_unix_dir(struct target *t, const char *rundir)
{
	t->kind = TARGET_UNIX;
	t->socket = path_join(rundir, "vireod.sock");
	t->ro_socket = path_join(rundir, "vireod-ro.sock");
}

static void set_root(struct target *t, const char *root)
{
	char *rundir = path_join(root, TARGET_SYSTEM_RUNDIR);

	set_unix_dir(t, rundir);
	free(rundir);
}

static int bad_uri(const char *uri, struct err **errp)
{
	return err_set(errp, ERR_INVALID, _("no connection driver available for %s"), uri);
}

/* One "key=value" of a query: store it where it belongs. */
static int apply_param(struct target *t, const char *uri, const char *key, char *value,
		       struct err **errp)
{
	char **slot = NULL;

	if (strcmp(key, "socket") == 0)
		slot = t->kind == TARGET_SSH ? &t->remote_socket : &t->socket;
	else if (strcmp(key, "root") == 0)
		slot = &t->root;
	else if (t->kind == TARGET_SSH && strcmp(key, "command") == 0)
		slot = &t->command;
	else if (t->kind == TARGET_SSH && strcmp(key, "keyfile") == 0)
		slot = &t->keyfile;
	if (!slot) {
		free(value);
		return err_set(errp, ERR_INVALID, _("%s: unknown URI parameter '%s'"), uri, key);
	}
	free(*slot);
	*slot = value;
	return 0;
}

static int parse_query(struct target *t, const char *uri, const char *q, struct err **errp)
{
	while (q && *q) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		char *key, *value;

		if (!eq)
			return err_set(errp, ERR_INVALID, _("%s: URI parameter '%.*s' has no value"),
				       uri, (int)(end - q), q);
		key = xstrndup(q, (size_t)(eq - q));
		value = uri_decode(eq + 1, (size_t)(end - eq - 1));
		if (!value || apply_param(t, uri, key, value, errp) < 0) {
			if (!value)
				err_set(errp, ERR_INVALID, _("%s: bad %%-escape in '%s'"), uri, key);
			free(key);
			return -1;
		}
		free(key);
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* "[user@]host[:port]" of an ssh URI. */
static int parse_authority(struct target *t, const char *uri, const char *s, size_t n,
			   struct err **errp)
{
	const char *at = memchr(s, '@', n), *host = at ? at + 1 : s, *end = s + n, *colon;

	if (at)
		t->user = uri_decode(s, (size_t)(at - s));
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close)
			return bad_uri(uri, errp);
		t->host = uri_decode(host + 1, (size_t)(close - host - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		t->host = uri_decode(host, (size_t)((colon ? colon : end) - host));
	}
	if (colon)
		t->port = xstrndup(colon + 1, (size_t)(end - colon - 1));
	if (!t->host || !*t->host || (at && (!t->user || !*t->user)) || (t->port && !*t->port))
		return bad_uri(uri, errp);
	for (const char *p = t->port; p && *p; p++)
		if (!isdigit((unsigned char)*p))
			return bad_uri(uri, errp);
	return 0;
}

static int parse_ssh(struct target *t, const char *uri, const char *rest, struct err **errp)
{
	const char *q = strchr(rest, '?');
	const char *end = q ? q : rest + strlen(rest);
	const char *slash = memchr(rest, '/', (size_t)(end - rest));
	const char *auth_end = slash ? slash : end;

	t->kind = TARGET_SSH;
	if (parse_authority(t, uri, rest, (size_t)(auth_end - rest), errp) < 0)
		return -1;
	if (slash && end - slash > 1) {
		char *path = uri_decode(slash, (size_t)(end - slash));

		if (!path)
			return bad_uri(uri, errp);
		/* "/system" is libvirt's name for the system instance, not a directory. */
		if (strcmp(path, "/system") == 0)
			free(path);
		else
			t->root = path;
	}
	if (parse_query(t, uri, q ? q + 1 : NULL, errp) < 0)
		return -1;
	if (!t->command)
		t->command = xstrdup("vireo");
	return 0;
}

static int parse_local(struct target *t, const char *uri, const char *rest, struct err **errp)
{
	const char *q = strchr(rest, '?');
	size_t plen = q ? (size_t)(q - rest) : strlen(rest);

	/* "vireo:///system": an empty authority and the path /system. */
	if (plen != strlen("///system") || strncmp(rest, "///system", plen) != 0)
		return bad_uri(uri, errp);
	if (parse_query(t, uri, q ? q + 1 : NULL, errp) < 0)
		return -1;
	/* An explicit socket wins, and has no read-only sibling to fall back to. */
	if (t->socket)
		t->kind = TARGET_UNIX;
	else if (t->root)
		set_root(t, t->root);
	else
		set_unix_dir(t, TARGET_SYSTEM_RUNDIR);
	return 0;
}

int target_parse(const char *uri, const char *root, struct target *t, struct err **errp)
{
	memset(t, 0, sizeof(*t));
	if (uri && root)
		return err_set(errp, ERR_USAGE, _("--root and --connect cannot be used together"));
	if (root) {
		if (!*root)
			return err_set(errp, ERR_USAGE, _("--root needs a directory"));
		set_root(t, root);
		return 0;
	}
	if (!uri) {
		set_unix_dir(t, TARGET_SYSTEM_RUNDIR);
		return 0;
	}
	if (str_starts_with(uri, "unix:")) {
		if (!uri[5])
			return bad_uri(uri, errp);
		t->kind = TARGET_UNIX;
		t->socket = xstrdup(uri + 5);
		return 0;
	}
	if (str_starts_with(uri, "ssh://"))
		return parse_ssh(t, uri, uri + 6, errp);
	if (str_starts_with(uri, "vireo+ssh://"))
		return parse_ssh(t, uri, uri + 12, errp);
	if (str_starts_with(uri, "vireo:"))
		return parse_local(t, uri, uri + 6, errp);
	if (str_starts_with(uri, "vireo+unix:"))
		return parse_local(t, uri, uri + 11, errp);
	return bad_uri(uri, errp);
}

void target_free(struct target *t)
{
	free(t->socket);
	free(t->ro_socket);
	free(t->user);
	free(t->host);
	free(t->port);
	free(t->root);
	free(t->command);
	free(t->keyfile);
	free(t->remote_socket);
	memset(t, 0, sizeof(*t));
}

char *shell_quote(const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "@%+=:,./_-";
	struct strv parts = STRV_INIT;
	char *out;

	if (*s && strspn(s, safe) == strlen(s))
		return xstrdup(s);
	strv_push(&parts, "'");
	for (const char *p = s; *p; p++)
		strv_push(&parts, *p == '\'' ? "'\\''" : (char[]){ *p, 0 });
	strv_push(&parts, "'");
	out = strv_join(&parts, "");
	strv_free(&parts);
	return out;
}

void target_ssh_argv(const struct target *t, const char *ssh_cmd, struct strv *argv)
{
	struct strv remote = STRV_INIT;

	char *words = xstrdup(ssh_cmd && *ssh_cmd ? ssh_cmd : "ssh"), *save = NULL;

	for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		strv_push(argv, w);
	free(words);
	/* No terminal on the far side: the frames must pass byte for byte. */
	strv_push(argv, "-T");
	if (t->port) {
		strv_push(argv, "-p");
		strv_push(argv, t->port);
	}
	if (t->user) {
		strv_push(argv, "-l");
		strv_push(argv, t->user);
	}
	if (t->keyfile) {
		strv_push(argv, "-i");
		strv_push(argv, t->keyfile);
	}
	strv_push(argv, "--");
	strv_push(argv, t->host);
	strv_push_take(&remote, shell_quote(t->command));
	if (t->root) {
		strv_push(&remote, "--root");
		strv_push_take(&remote, shell_quote(t->root));
	}
	if (t->remote_socket) {
		char *arg = xasprintf("unix:%s", t->remote_socket);

		strv_push(&remote, "--connect");
		strv_push_take(&remote, shell_quote(arg));
		free(arg);
	}
	strv_push(&remote, "--proxy-stdio");
	strv_push_take(argv, strv_join(&remote, " "));
	strv_free(&remote);
}
