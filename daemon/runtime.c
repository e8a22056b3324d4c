/* Runtime files of running domains, /proc facts about workers, domain logs: see
 * runtime.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/domain.h"
#include "daemon/runtime.h"
#include "lib/rpc/errors.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

#define STATUS_MAX 4096

void dom_paths_init(struct daemon *d, const char *name, struct dom_paths *p)
{
	char *log = xasprintf("%s.log", name);

	p->dir = path_join(d->paths.run_domains_dir, name);
	p->status = path_join(p->dir, "status.json");
	p->live_xml = path_join(p->dir, "live.xml");
	p->qmp = path_join(p->dir, "qmp.sock");
	p->console = path_join(p->dir, "console.sock");
	p->console_history = path_join(p->dir, "console.history");
	p->log = path_join(d->paths.log_dir, log);
	free(log);
}

void dom_paths_free(struct dom_paths *p)
{
	XFREE(&p->dir);
	XFREE(&p->status);
	XFREE(&p->live_xml);
	XFREE(&p->qmp);
	XFREE(&p->console);
	XFREE(&p->console_history);
	XFREE(&p->log);
}

int runtime_save(struct daemon *d, const struct domain *dom, struct err **errp)
{
	struct dom_paths p;
	struct json_object *o = json_object_new_object();
	char *xml = dom_format_xml(dom, false);
	const char *text;
	int rc;

	dom_paths_init(d, dom->name, &p);
	json_object_object_add(o, "pid", json_object_new_int(dom->w->pid));
	json_object_object_add(o, "start_time", json_object_new_int64((int64_t)dom->w->start_time));
	json_object_object_add(o, "id", json_object_new_int(dom->id));
	json_object_object_add(o, "state", json_object_new_string(dom_state_name(dom->state)));
	json_object_object_add(o, "reason", json_object_new_string(dom->reason));
	json_object_object_add(o, "persistent", json_object_new_boolean(dom->def != NULL));
	json_object_object_add(o, "starting", json_object_new_boolean(dom->w->starting));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	/* live.xml first: a status.json always has its XML next to it */
	rc = file_write_atomic(p.live_xml, xml, strlen(xml), 0600, errp);
	if (rc == 0)
		rc = file_write_atomic(p.status, text, strlen(text), 0600, errp);
	json_object_put(o);
	free(xml);
	dom_paths_free(&p);
	return rc;
}

static void copy_field(struct json_object *o, const char *key, char *out, size_t cap)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(out, cap, "%s", json_object_get_string(v));
}

int runtime_load_status(const char *path, struct runtime_status *st, struct err **errp)
{
	struct json_object *o, *v;
	char *text;

	memset(st, 0, sizeof(*st));
	if (file_read_all(path, STATUS_MAX, &text, NULL, errp) < 0)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_object_get_ex(o, "pid", &v) || json_object_get_int(v) <= 0) {
		json_object_put(o);
		return err_set(errp, ERR_PARSE, _("%s is not a valid status file"), path);
	}
	st->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "start_time", &v))
		st->start_time = (uint64_t)json_object_get_int64(v);
	st->id = json_object_object_get_ex(o, "id", &v) ? json_object_get_int(v) : -1;
	st->persistent = json_object_object_get_ex(o, "persistent", &v) &&
			 json_object_get_boolean(v);
	st->starting = json_object_object_get_ex(o, "starting", &v) &&
		       json_object_get_boolean(v);
	copy_field(o, "state", st->state, sizeof(st->state));
	copy_field(o, "reason", st->reason, sizeof(st->reason));
	json_object_put(o);
	return 0;
}

static void remove_tree(int dirfd_parent, const char *name)
{
	int fd = openat(dirfd_parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		unlinkat(dirfd_parent, name, 0);
		return;
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			if (unlinkat(dirfd(dir), de->d_name, 0) < 0 && errno == EISDIR)
				remove_tree(dirfd(dir), de->d_name);
	closedir(dir);
	unlinkat(dirfd_parent, name, AT_REMOVEDIR);
}

void runtime_clean(struct daemon *d, const char *name)
{
	int fd = open(d->paths.run_domains_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	remove_tree(fd, name);
	close(fd);
}

int runtime_prepare(struct daemon *d, const char *name, struct err **errp)
{
	char *dir = path_join(d->paths.run_domains_dir, name);
	int rc = 0;

	runtime_clean(d, name);
	if (mkdir(dir, 0700) < 0)
		rc = err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno, _("cannot create %s"),
				   dir);
	free(dir);
	return rc;
}

/* ---- /proc ---- */

/* The fields of /proc/PID/stat after the command name (field 3 first). */
static int read_stat_fields(pid_t pid, struct strv *fields)
{
	char path[64], *text = NULL, *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (file_read_all(path, 4096, &text, NULL, NULL) < 0)
		return -1;
	/* the command name may hold spaces and parentheses: the last ')' ends it */
	close_paren = strrchr(text, ')');
	if (!close_paren || close_paren[1] != ' ') {
		free(text);
		return -1;
	}
	strv_split(fields, close_paren + 2, ' ');
	free(text);
	return fields->len >= 20 ? 0 : -1;
}

int proc_start_time(pid_t pid, uint64_t *out)
{
	struct strv f = STRV_INIT;
	int rc = read_stat_fields(pid, &f);

	/* field 22 is index 19 counting from field 3 */
	if (rc == 0)
		rc = parse_uint64(f.items[19], 0, UINT64_MAX, out, NULL);
	strv_free(&f);
	return rc;
}

int proc_cpu_time_ns(pid_t pid, uint64_t *out)
{
	struct strv f = STRV_INIT;
	uint64_t utime = 0, stime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	int rc = read_stat_fields(pid, &f);

	/* utime and stime are fields 14 and 15 */
	if (rc == 0 && (parse_uint64(f.items[11], 0, UINT64_MAX, &utime, NULL) < 0 ||
			parse_uint64(f.items[12], 0, UINT64_MAX, &stime, NULL) < 0))
		rc = -1;
	if (rc == 0)
		*out = (utime + stime) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
	strv_free(&f);
	return rc;
}

uint64_t proc_rss_kib(pid_t pid)
{
	char path[64], *text = NULL, *p;
	uint64_t kib = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (file_read_all(path, 65536, &text, NULL, NULL) < 0)
		return 0;
	p = strstr(text, "\nVmRSS:");
	if (p)
		sscanf(p + 7, "%" SCNu64, &kib);
	free(text);
	return kib;
}

bool proc_matches(pid_t pid, uint64_t start_time)
{
	struct strv f = STRV_INIT;
	uint64_t t = 0;
	bool ok;

	/* a zombie has exited: its parent (not us, after a daemon restart) has not
	 * reaped it yet */
	ok = pid > 0 && read_stat_fields(pid, &f) == 0 && strcmp(f.items[0], "Z") != 0 &&
	     parse_uint64(f.items[19], 0, UINT64_MAX, &t, NULL) == 0 && t == start_time;
	strv_free(&f);
	return ok;
}

/* ---- logs ---- */

static void write_note(int fd, const char *text)
{
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	char *line;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	line = xasprintf("%s: %s\n", stamp, text);
	(void)fd_write_all(fd, line, strlen(line));
	free(line);
}

void domain_log_cap(struct daemon *d, const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || st.st_size <= DOMAIN_LOG_MAX)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) == 0)
		write_note(fd, _("vireod: log cut: it passed its size limit"));
	close(fd);
	log_debug(&d->log, "cut %s at %lld bytes", path, (long long)st.st_size);
}

int domain_log_open(struct daemon *d, const char *path, const char *header, off_t *offset,
		    struct err **errp)
{
	int fd;

	domain_log_cap(d, path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set_errno(errp, RPC_ERR_OPERATION_FAILED, errno, _("cannot open %s"),
				     path);
	write_note(fd, header);
	*offset = lseek(fd, 0, SEEK_END);
	return fd;
}

char *domain_log_tail(const char *path, off_t offset, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf, *start;
	off_t end;
	ssize_t n;

	if (fd < 0)
		return xstrdup("");
	end = lseek(fd, 0, SEEK_END);
	if (end < offset)
		offset = 0;	/* cut meanwhile */
	if (end - offset > (off_t)max)
		offset = end - (off_t)max;
	buf = xmalloc(max + 1);
	n = pread(fd, buf, max, offset);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* trailing newlines out; a cut-off first line too */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	start = buf;
	if (end - offset >= (off_t)max && strchr(buf, '\n'))
		start = strchr(buf, '\n') + 1;
	start = xstrdup(start);
	free(buf);
	return start;
}
