/* What options.c, opts_kv.c and opts_dev.c share; not for the machine code. */
#ifndef VIREO_VMM_OPTIONS_PRIV_H
#define VIREO_VMM_OPTIONS_PRIV_H

#include "qemu-wrap/options.h"

/* Put "WHAT: " before the message of the error in *errp (and make it ERR_USAGE).
 * Returns -1. */
int opt_error_prefix(struct err **errp, const char *what);

/* An option's value as properties: JSON when json_ok and it starts with '{', else
 * QemuOpts text with implied_key; then every key must be in `allowed` (NULL-terminated;
 * NULL: any key). Errors name `what`. Returns 0 or -1 (out may hold some items). */
int opt_props_parse(const char *what, const char *arg, const char *implied_key, bool json_ok,
		    const char *const *allowed, struct vmm_props *out, struct err **errp);

/* The value of a required key, or NULL with "WHAT: property 'KEY' is required". */
const char *opt_require(const struct vmm_props *p, const char *what, const char *key,
			struct err **errp);

/* -1 with "WHAT: property 'KEY': 'VALUE' is not valid (ALLOWED)" naming the prop. */
int opt_bad_value(const struct vmm_props *p, const char *what, const char *key,
		  const char *allowed, struct err **errp);

/* QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. Returns 0, or -1
 * with "WHAT: 'ID' is not a valid id". */
int opt_check_id(const char *what, const char *id, struct err **errp);

/* Grow an array of n elements of size sz by one zeroed element; returns it. */
void *opt_array_add(void *arrayp, size_t *n, size_t sz);

/* opts_dev.c: the options that add chardevs, monitors, serials, devices, backends. */
int opt_chardev(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_qmp(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_mon(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_serial(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_device(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_netdev(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_drive(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_blockdev(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_object(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_add_fd(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_global(struct vmm_config *cfg, const char *arg, struct err **errp);
int opt_audiodev(struct vmm_config *cfg, const char *arg, struct err **errp);

/* A new chardev: "stdio", "pty", "null", "file:PATH", "unix:PATH[,server=on,...]"
 * (QEMU's legacy -serial/-qmp syntax) named label; or "chardev:ID", an existing one.
 * *id_out gets the chardev's id (the caller frees). Returns 0 or -1. */
int opt_chardev_from_spec(struct vmm_config *cfg, const char *what, const char *spec,
			  const char *label, char **id_out, struct err **errp);

/* After the last option: references between options resolve, each chardev has at
 * most one user. Returns 0 or -1. */
int opt_check_references(const struct vmm_config *cfg, struct err **errp);

void opt_free_devices(struct vmm_config *cfg);

#endif
