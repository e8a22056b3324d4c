/* Test helper: stand in for systemd's notification socket.
 *
 * notify-recv PATH UNTIL TIMEOUT_S
 * Binds a datagram socket at PATH, prints every message it receives (one per line),
 * and exits 0 as soon as a message contains UNTIL, or 1 after TIMEOUT_S seconds. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/parse.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned timeout_s;
	struct timespec start, now;
	int fd;

	if (argc != 4 || parse_uint(argv[3], 1, 3600, &timeout_s, NULL) < 0 ||
	    strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-recv PATH UNTIL TIMEOUT_S\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-recv: bind");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char msg[4096];
		ssize_t n;
		long left_ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (long)timeout_s * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
						   (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left_ms <= 0 || poll(&pfd, 1, (int)left_ms) <= 0)
			break;
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			continue;
		msg[n] = '\0';
		printf("%s\n", msg);
		fflush(stdout);
		if (strstr(msg, argv[2])) {
			unlink(argv[1]);
			return 0;
		}
	}
	unlink(argv[1]);
	fprintf(stderr, "notify-recv: no message with '%s' within %u s\n", argv[2], timeout_s);
	return 1;
}
