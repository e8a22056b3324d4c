/* Character-device back-ends of vireo-vmm: null, file, stdio, pty, unix socket.
 *
 * A chardev is what QEMU's -chardev creates: a byte pipe between a front-end inside
 * the worker (a UART, the QMP server, a virtio console) and something outside (a
 * file, the terminal, a pty a console client opens, a socket the daemon connects
 * to). The back-end's fds are watched by the worker's main-thread event loop; the
 * front-end's callbacks run on that thread.
 *
 * Output (front-end to outside) may come from any thread: a UART is driven by a vCPU
 * thread. chardev_write() never blocks for long: socket and pty fds are non-blocking,
 * what the peer does not take at once is queued (bounded) and flushed when the fd is
 * writable, and bytes beyond the queue's limit, or written while no peer is there,
 * are dropped, as QEMU does, rather than stalling the guest. File and stdio
 * back-ends are written fully, as QEMU writes them.
 *
 * Lifetime: chardev_open() and chardev_free() run on the loop's thread; the caller
 * makes sure no other thread writes once chardev_free() has started. */
#ifndef VIREO_QEMU_WRAP_CHARDEV_H
#define VIREO_QEMU_WRAP_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/util/err.h"
#include "lib/util/evloop.h"

enum chardev_backend {
	CHARDEV_NULL,
	CHARDEV_FILE,
	CHARDEV_STDIO,
	CHARDEV_PTY,
	CHARDEV_SOCKET,		/* AF_UNIX only */
};

/* What a -chardev option says (qemu-wrap/options.h parses it into struct vmm_chardev,
 * field for field the same). Strings are owned: chardev_opts_clear frees them. */
struct chardev_opts {
	enum chardev_backend backend;
	char *id;		/* the label */
	char *path;		/* file: the file; socket: the socket path */
	bool append;		/* file: append instead of truncating */
	bool server;		/* socket: listen (server=on) instead of connecting */
	bool wait;		/* socket server: wait for a client at start (QEMU's default) */
	int fd;			/* socket: an open socket (fd=N, as libvirt passes), else -1;
				 * chardev_open takes it over when it succeeds */
	bool signal;		/* stdio: ^C and friends stay signals (default on) */
	char *logfile;		/* a copy of all output goes here */
	bool logappend;
};

/* QEMU's defaults: fd -1, wait and signal on, everything else off/NULL. */
void chardev_opts_init(struct chardev_opts *o);
void chardev_opts_clear(struct chardev_opts *o);

/* "null", "file", "stdio", "pty", "socket". */
const char *chardev_backend_name(enum chardev_backend b);

/* The front-end's side. Callbacks run on the loop's thread, without any chardev lock
 * held, so they may call chardev_write(). */
struct chardev_frontend {
	/* Bytes from outside. */
	void (*receive)(void *opaque, const uint8_t *buf, size_t len);
	/* A peer is there: a client connected, a pty's slave was opened, or (called at
	 * attach) the back-end is open already. */
	void (*opened)(void *opaque);
	/* The peer went away (client closed, pty slave closed, stdin at EOF). */
	void (*closed)(void *opaque);
	/* Optional: how many bytes receive() may be given now. 0 stops reading until
	 * the front-end calls chardev_accept_input(); NULL means no limit. */
	size_t (*can_receive)(void *opaque);
};

struct chardev;

/* Open the back-end and register its fds with loop. For a pty, prints "char device
 * redirected to /dev/pts/N (label ID)" on stderr, as QEMU does. A socket server with
 * wait=on blocks here until the first client connects. */
struct chardev *chardev_open(const struct chardev_opts *o, struct evloop *loop,
			     struct err **errp);
/* Close every fd, restore the terminal (stdio), remove the socket file this chardev
 * created. NULL is ignored. */
void chardev_free(struct chardev *chr);

/* Attach the one front-end (fails if one is attached: the chardev is in use). If the
 * back-end is open already, fe->opened runs before this returns. */
int chardev_attach(struct chardev *chr, const struct chardev_frontend *fe, void *opaque,
		   struct err **errp);
void chardev_detach(struct chardev *chr);

/* Send bytes out; callable from any thread. Returns len when the bytes were written
 * or queued, 0 when they were dropped (no peer, or the queue is full: then the whole
 * buffer is dropped unless it is larger than the limit), -1 with errno on a write
 * error of a file back-end. The logfile gets every byte either way. */
int chardev_write(struct chardev *chr, const void *buf, size_t len);

/* The most output queued for a slow peer (default 64 KiB; QMP raises it). */
void chardev_set_out_limit(struct chardev *chr, size_t bytes);
/* After can_receive() returned 0: input may flow again. Any thread. */
void chardev_accept_input(struct chardev *chr);

const char *chardev_label(const struct chardev *chr);
enum chardev_backend chardev_backend_type(const struct chardev *chr);
/* Whether a peer is there (see opened/closed). Any thread. */
bool chardev_is_connected(struct chardev *chr);
/* The pty's slave path ("/dev/pts/N"), or NULL for other back-ends. */
const char *chardev_pty_path(const struct chardev *chr);
/* Bytes dropped so far (no peer, full queue). Any thread. */
uint64_t chardev_dropped_bytes(struct chardev *chr);

/* One entry of query-chardev: {"frontend-open": B, "filename": "pty:/dev/pts/3",
 * "label": "charserial0"}, filenames spelled as QEMU spells them. */
json_object *chardev_query_info(struct chardev *chr);

#endif
