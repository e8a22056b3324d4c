/* rig-qmp: the smallest QMP client, for the rig's L1 (which has no python).
 *
 *   rig-qmp [-t SECS] [-e EVENT] SOCKET [COMMAND...]
 *
 * Connects to the QMP server on the unix socket SOCKET (retrying while it does not
 * exist yet), reads the greeting, sends qmp_capabilities, then each COMMAND (one JSON
 * object, e.g. '{"execute":"query-status"}'), waiting for its reply; then, with -e,
 * waits for the event EVENT. Every line received is printed on stdout as it comes.
 *
 * Exit status: 0 all replies were "return" (and EVENT came); 1 an "error" reply, or the
 * server closed the connection first; 2 the time limit (default 30 s) ran out; 3 usage
 * or system error. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double deadline;
static const char *event;	/* -e EVENT */
static int event_seen;
static char buf[1 << 16];
static size_t have;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Does the JSON line have the top-level key KEY (good enough: "KEY" then ':')? If
 * VALUE is given, the key's string value must equal it. */
static int has_key(const char *line, const char *key, const char *value)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strchr(p, '"')) != NULL) {
		const char *q = p + 1;

		if (strncmp(q, key, kl) == 0 && q[kl] == '"') {
			q += kl + 1;
			while (*q == ' ')
				q++;
			if (*q == ':') {
				if (!value)
					return 1;
				q++;
				while (*q == ' ')
					q++;
				if (*q == '"' && strncmp(q + 1, value, strlen(value)) == 0 &&
				    q[1 + strlen(value)] == '"')
					return 1;
			}
		}
		p++;
	}
	return 0;
}

/* The next line from the server into out (without its end); 0 ok, 1 closed, 2 timeout. */
static int read_line(int fd, char *out, size_t max)
{
	for (;;) {
		char *nl = memchr(buf, '\n', have);

		if (nl) {
			size_t n = (size_t)(nl - buf);

			if (n >= max)
				n = max - 1;
			memcpy(out, buf, n);
			out[n] = 0;
			if (n && out[n - 1] == '\r')
				out[n - 1] = 0;
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf));
			have -= (size_t)(nl + 1 - buf);
			printf("%s\n", out);
			fflush(stdout);
			if (event && has_key(out, "event", event))
				event_seen = 1;
			return 0;
		}
		if (have == sizeof(buf))
			have = 0;	/* an absurdly long line: drop it */
		double left = deadline - now();
		if (left <= 0)
			return 2;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 2;
		ssize_t got = read(fd, buf + have, sizeof(buf) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 1;
		have += (size_t)got;
	}
}

/* Send one command and wait for its reply: 0 "return", 1 "error" or closed, 2 timeout. */
static int command(int fd, const char *json)
{
	static char line[1 << 16];
	size_t len = strlen(json);

	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return 1;
	for (;;) {
		int r = read_line(fd, line, sizeof(line));

		if (r)
			return r;
		if (has_key(line, "return", NULL))
			return 0;
		if (has_key(line, "error", NULL))
			return 1;
	}
}

int main(int argc, char **argv)
{
	static char line[1 << 16];
	double limit = 30;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int opt, fd, rc = 0;

	while ((opt = getopt(argc, argv, "t:e:")) != -1) {
		if (opt == 't')
			limit = atof(optarg);
		else if (opt == 'e')
			event = optarg;
		else
			goto usage;
	}
	if (optind >= argc || strlen(argv[optind]) >= sizeof(sa.sun_path))
		goto usage;
	deadline = now() + limit;
	strcpy(sa.sun_path, argv[optind]);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("rig-qmp: socket");
			return 3;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED) {
			fprintf(stderr, "rig-qmp: connect %s: %s\n", sa.sun_path, strerror(errno));
			return 3;
		}
		if (now() > deadline) {
			fprintf(stderr, "rig-qmp: %s: no QMP server within %.0f s\n", sa.sun_path,
				limit);
			return 2;
		}
		usleep(10000);
	}
	/* The greeting, then capabilities negotiation. */
	do {
		rc = read_line(fd, line, sizeof(line));
	} while (!rc && !has_key(line, "QMP", NULL));
	if (!rc)
		rc = command(fd, "{\"execute\":\"qmp_capabilities\"}");
	for (int i = optind + 1; !rc && i < argc; i++)
		rc = command(fd, argv[i]);
	while (!rc && event && !event_seen)
		rc = read_line(fd, line, sizeof(line));
	if (rc == 1)
		fprintf(stderr, "rig-qmp: the server closed the connection or refused a command\n");
	else if (rc == 2)
		fprintf(stderr, "rig-qmp: timed out after %.0f s\n", limit);
	close(fd);
	return rc;
usage:
	fprintf(stderr, "usage: rig-qmp [-t SECS] [-e EVENT] SOCKET [COMMAND...]\n");
	return 3;
}
