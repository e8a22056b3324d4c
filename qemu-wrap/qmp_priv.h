/* Internals shared by qmp.c (protocol, session, output) and qmp_commands.c (the
 * command table). Not for other modules: they use qmp.h. */
#ifndef VIREO_QEMU_WRAP_QMP_PRIV_H
#define VIREO_QEMU_WRAP_QMP_PRIV_H

#include <pthread.h>

#include "qemu-wrap/qmp.h"

struct qmp {
	const struct qmp_machine_ops *ops;
	void *vm;
	struct chardev *chr;		/* when attached to one */
	/* Input: main thread only. */
	struct json_tokener *tok;
	size_t pending;			/* bytes fed into the unfinished request */
	bool resync;			/* after bad input: skip to the next newline */

	pthread_mutex_t lock;		/* guards what follows, and every write */
	bool negotiated;
	qmp_write_fn out;
	void *out_opaque;
};

enum qmp_arg_type {
	QMP_ARG_INT,
	QMP_ARG_NUMBER,
	QMP_ARG_STR,
	QMP_ARG_BOOL,
	QMP_ARG_OBJECT,
	QMP_ARG_ARRAY,
	QMP_ARG_ANY,
};

struct qmp_arg {
	const char *name;		/* NULL ends a list */
	enum qmp_arg_type type;
	bool optional;
};

/* Returns the "return" value (owned by the caller), or NULL with *errp set. args is
 * never NULL (an empty object when the request had no "arguments"). */
typedef json_object *(*qmp_handler_fn)(struct qmp *q, json_object *args, struct err **errp);

struct qmp_command {
	const char *name;
	qmp_handler_fn handler;
	const struct qmp_arg *args;	/* NULL: takes no arguments */
	size_t op;			/* offsetof the machine op it needs, or QMP_NO_OP */
};

#define QMP_NO_OP ((size_t)-1)

/* The command called name if q's machine provides it, else NULL. */
const struct qmp_command *qmp_command_find(const struct qmp *q, const char *name);
/* Check args against the command's argument list with QEMU's messages. */
int qmp_check_args(const struct qmp_command *cmd, json_object *args, struct err **errp);
/* {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "vireo-vmm X.Y.Z"} */
json_object *qmp_version_object(void);

void qmp_set_negotiated(struct qmp *q, bool negotiated);

#endif
