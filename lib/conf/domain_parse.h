/* Internal to lib/conf: the per-element readers shared by the domain parser files. */
#ifndef VIREO_CONF_DOMAIN_PARSE_H
#define VIREO_CONF_DOMAIN_PARSE_H

#include "lib/conf/domain.h"
#include "lib/conf/xml_util.h"

/* Grow a device array by one zeroed element and return it (xreallocarray aborts on
 * out-of-memory, see lib/util/mem.h). */
#define PUSH(arr, n) (arr = xreallocarray(arr, (n) + 1, sizeof(*(arr))), \
		      memset(&(arr)[n], 0, sizeof(*(arr))), &(arr)[(n)++])

/* <boot order='N'> (1-65535, required) of a disk or an interface. */
int parse_boot_order(struct xml_ctx *x, xmlNode *n, unsigned *order);

/* Each takes the <devices> child and the struct vdomain * as obj. */
int parse_disk(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_controller(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_interface(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_serial(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_console(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_input(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_audio(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_memballoon(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_rng(struct xml_ctx *x, xmlNode *n, void *obj);
int parse_panic(struct xml_ctx *x, xmlNode *n, void *obj);
/* obj is a struct vdom_address *. */
int parse_address(struct xml_ctx *x, xmlNode *n, void *obj);

/* "52:54:00:aa:bb:cc" -> bytes; -1 if malformed. */
int vdom_parse_mac(const char *s, uint8_t mac[6]);
/* 32 hex digits, dashes anywhere between bytes; -1 if malformed. */
int vdom_parse_uuid(const char *s, uint8_t uuid[16]);

/* libvirt's disk name index: "vda" -> 0, "hdc" -> 2, "sdaa" -> 26; -1 if none. */
int vdom_disk_index(const char *dev);

/* Validate doc against <schema_dir>/domain.rng (compiled once per process per
 * directory). Errors name the file and line. */
int domain_schema_validate(void *doc, const char *schema_dir, const char *rng_name,
			   const char *source, struct err **errp);

#endif
