/* Internal to domain_argv.c, domain_argv_dev.c and domain_argv_disk.c: the state of one
 * command-line build and the helpers they share. Not for other modules (use domain.h). */
#ifndef VIREO_CONF_DOMAIN_ARGV_PRIV_H
#define VIREO_CONF_DOMAIN_ARGV_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/conf/domain.h"
#include "lib/util/buf.h"
#include "lib/util/str.h"

/* One build: the inputs, the growing argv, and what the preparation step worked out. */
struct vargv {
	const struct vdomain *d;
	const struct vdom_argv_ctx *ctx;
	bool vmm;			/* VDOM_FLAVOR_VIREO_VMM: the worker's QEMU subset */
	struct strv out;
	unsigned *disk_boot;		/* effective bootindex per disk (0: none) */
	unsigned *net_boot;		/* effective bootindex per interface */
	struct err **errp;
};

/* ---- helpers and checks (domain_argv.c) ---- */

/* vireo-vmm only: fail on the first device the worker cannot provide. */
int vargv_check_vmm_devices(struct vargv *a);

void vargv_push(struct vargv *a, const char *s);
void vargv_pushf(struct vargv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Push `opt` and the compact JSON text of o; o is released. */
void vargv_push_json(struct vargv *a, const char *opt, struct json_object *o);

/* A copy of s with every ',' doubled: QEMU's escape inside key=value options. */
char *vargv_escape_comma(const char *s);

/* Adds nothing for a NULL val. */
void vargv_json_str(struct json_object *o, const char *key, const char *val);
void vargv_json_int(struct json_object *o, const char *key, int64_t val);
void vargv_json_bool(struct json_object *o, const char *key, bool val);
/* Adds nothing for VTRI_ABSENT. */
void vargv_json_tri(struct json_object *o, const char *key, enum vtristate t);
/* "bus"/"multifunction"/"addr" of a PCI address; nothing for other address types. */
void vargv_json_pci_addr(const struct vargv *a, struct json_object *o,
			 const struct vdom_address *addr);
bool vargv_machine_is_q35(const struct vdomain *d);

/* key=value options: append text; append ",key=value" with the value escaped;
 * ",key=on|off" unless absent; push `opt` and the buffer's text (b is emptied). */
void vargv_opt_add(struct buf *b, const char *s);
void vargv_opt_kv(struct buf *b, const char *key, const char *val);
void vargv_opt_onoff(struct buf *b, const char *key, enum vtristate t);
void vargv_push_opt(struct vargv *a, const char *opt, struct buf *b);

/* The vireo-vmm refusal, naming the element, its line (none if <= 0) and the way
 * out; the _fmt form builds the element text. Both return -1. */
int vargv_refuse(struct vargv *a, int line, const char *what, const char *alternative);
int vargv_refuse_fmt(struct vargv *a, int line, const char *alternative, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- devices (domain_argv_dev.c) ---- */

int vargv_controllers(struct vargv *a);
int vargv_interfaces(struct vargv *a);
int vargv_serials(struct vargv *a);
int vargv_consoles(struct vargv *a);
void vargv_inputs(struct vargv *a);
void vargv_audio(struct vargv *a);
void vargv_balloon(struct vargv *a);
void vargv_rngs(struct vargv *a);
int vargv_panics(struct vargv *a);

enum vargv_usb_kind { VARGV_USB_DISK, VARGV_USB_INPUT, VARGV_USB_SERIAL };
/* "bus":"usb.0" and the "port" libvirt would give device idx of that kind. */
void vargv_json_usb_addr(const struct vargv *a, struct json_object *o, enum vargv_usb_kind kind,
			 size_t idx);
bool vargv_has_hyperv_panic(const struct vdomain *d);

/* ---- disks and boot order (domain_argv_disk.c) ---- */

int vargv_check_vmm_disk(struct vargv *a, const struct vdom_disk *disk);
/* Work out every device's bootindex (libvirt's rules for <os><boot dev>). */
void vargv_prepare_boot(struct vargv *a);
int vargv_disks(struct vargv *a);

#endif
