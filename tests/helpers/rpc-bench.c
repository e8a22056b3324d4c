/* rpc-bench: RPC round trips against vireod, timed in C (tests/bench/daemon.sh).
 *
 *   rpc-bench SOCKET COUNT METHOD [PARAMS-JSON]
 *   rpc-bench --floor COUNT
 *
 * Connects (hello), makes one warm-up call, then COUNT calls of METHOD with PARAMS over
 * the one connection, in 5 batches; prints the median batch's microseconds per call:
 *   us_per_call=12.3
 * --floor: the same timing of a bare round trip between two processes over a unix
 * socket pair (64 bytes there, 64 back, a forked echo process): what any RPC on this
 * host pays before it does any work.
 * Exit status 0, or 1 with the error on stderr (a failed call ends the run). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/rpc/client.h"
#include "lib/util/err.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One call; params are copied each time (the client takes them over). */
static int call_once(struct rpc_client *c, const char *method, struct json_object *params,
		     struct err **errp)
{
	struct json_object *copy = NULL;

	if (params && json_object_deep_copy(params, &copy, NULL) < 0)
		return err_set(errp, ERR_INTERNAL, "cannot copy the params");
	return rpc_client_call(c, method, copy, NULL, errp);
}

#define BATCHES 5

/* Prints the median batch's microseconds per call, the line the bench script reads. */
static void print_median(double batch[BATCHES])
{
	qsort(batch, BATCHES, sizeof(batch[0]), cmp_double);
	printf("us_per_call=%.1f\n", batch[BATCHES / 2]);
}

/* Median of 5 batches of count round trips over a socket pair to a forked echo. */
static int floor_run(long count)
{
	char msg[64];
	double batch[BATCHES];
	int sv[2];
	pid_t pid;

	memset(msg, 'x', sizeof(msg));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], msg, sizeof(msg)) == (ssize_t)sizeof(msg))
			if (write(sv[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
				break;
		_exit(0);
	}
	close(sv[1]);
	for (int b = 0; b < BATCHES; b++) {
		double t0 = now_us();

		for (long i = 0; i < count; i++)
			if (write(sv[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg) ||
			    read(sv[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
				return 1;
		batch[b] = (now_us() - t0) / count;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	print_median(batch);
	return 0;
}

int main(int argc, char **argv)
{
	struct err *e = NULL;
	struct rpc_client *c;
	struct json_object *params = NULL;
	double batch[BATCHES];
	long count;

	if (argc == 3 && strcmp(argv[1], "--floor") == 0 && (count = strtol(argv[2], NULL, 10)) > 0)
		return floor_run(count);
	if (argc < 4 || argc > 5 || (count = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: rpc-bench SOCKET COUNT METHOD [PARAMS-JSON] | --floor COUNT\n");
		return 1;
	}
	if (argc == 5 && !(params = json_tokener_parse(argv[4]))) {
		fprintf(stderr, "rpc-bench: PARAMS is not JSON\n");
		return 1;
	}
	c = rpc_client_connect(argv[1], "rpc-bench", &e);
	if (!c || call_once(c, argv[3], params, &e) < 0)
		goto fail;
	for (int b = 0; b < BATCHES; b++) {
		double t0 = now_us();

		for (long i = 0; i < count; i++)
			if (call_once(c, argv[3], params, &e) < 0)
				goto fail;
		batch[b] = (now_us() - t0) / count;
	}
	print_median(batch);
	rpc_client_close(c);
	json_object_put(params);
	return 0;
fail:
	fprintf(stderr, "rpc-bench: %s\n", e ? e->message : "failed");
	err_free(e);
	rpc_client_close(c);
	json_object_put(params);
	return 1;
}
