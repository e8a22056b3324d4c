/* Parsing <interface>, <serial> and <console>. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"


/* ---- <interface> ---- */

int vdom_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
			 &v[5], &tail) != 6 || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int net_mac(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "address", NULL };
	struct vdom_interface *ni = obj;
	char *a = xml_attr(n, "address");
	int rc = 0;

	if (xml_check_attrs(x, n, attrs) < 0) {
		free(a);
		return -1;
	}
	if (vdom_parse_mac(a, ni->mac) < 0)
		rc = xml_bad_value(x, n, "address", _("not a MAC address (expected xx:xx:xx:xx:xx:xx)"));
	else if (ni->mac[0] & 1)
		rc = xml_bad_value(x, n, "address", _("expected a unicast MAC address"));
	else
		ni->mac_set = true;
	free(a);
	return rc;
}

static int net_source(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const bridge_attrs[] = { "bridge", NULL };
	static const char *const network_attrs[] = { "network", "portgroup", NULL };
	struct vdom_interface *ni = obj;

	if (xml_walk_children(x, n, NULL, NULL) < 0)
		return -1;
	switch (ni->type) {
	case VDOM_NET_BRIDGE:
		if (xml_check_attrs(x, n, bridge_attrs) < 0)
			return -1;
		free(ni->source_bridge);
		ni->source_bridge = xml_attr(n, "bridge");
		return 0;
	case VDOM_NET_NETWORK:
		if (xml_check_attrs(x, n, network_attrs) < 0)
			return -1;
		if (xmlHasProp(n, (const xmlChar *)"portgroup"))
			return xml_unsupported(x, n, "portgroup");
		free(ni->source_network);
		ni->source_network = xml_attr(n, "network");
		return 0;
	default:
		/* ethernet and user take no <source> in our model. */
		return xml_unsupported(x, n, NULL);
	}
}

static int net_target(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "dev", "managed", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_tristate(x, n, "managed", true, &ni->target_managed) < 0)
		return -1;
	free(ni->target_dev);
	ni->target_dev = xml_attr(n, "dev");
	return xml_walk_children(x, n, NULL, NULL);
}

static int net_model(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0)
		return -1;
	free(ni->model);
	ni->model = xml_attr(n, "type");
	if (!ni->model || !*ni->model)
		return xml_bad_value(x, n, "type", _("is required"));
	return 0;
}

static int net_driver_host(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "csum", "gso", "tso4", "tso6", "ecn", "ufo",
					     "mrg_rxbuf", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_tristate(x, n, "csum", false, &ni->host_csum) < 0 ||
	    xml_attr_tristate(x, n, "gso", false, &ni->host_gso) < 0 ||
	    xml_attr_tristate(x, n, "tso4", false, &ni->host_tso4) < 0 ||
	    xml_attr_tristate(x, n, "tso6", false, &ni->host_tso6) < 0 ||
	    xml_attr_tristate(x, n, "ecn", false, &ni->host_ecn) < 0 ||
	    xml_attr_tristate(x, n, "ufo", false, &ni->host_ufo) < 0 ||
	    xml_attr_tristate(x, n, "mrg_rxbuf", false, &ni->host_mrg_rxbuf) < 0)
		return -1;
	return 0;
}

static int net_driver_guest(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "csum", "tso4", "tso6", "ecn", "ufo", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_tristate(x, n, "csum", false, &ni->guest_csum) < 0 ||
	    xml_attr_tristate(x, n, "tso4", false, &ni->guest_tso4) < 0 ||
	    xml_attr_tristate(x, n, "tso6", false, &ni->guest_tso6) < 0 ||
	    xml_attr_tristate(x, n, "ecn", false, &ni->guest_ecn) < 0 ||
	    xml_attr_tristate(x, n, "ufo", false, &ni->guest_ufo) < 0)
		return -1;
	return 0;
}

/* queues='-5' must say what libvirt says it expects: a non-negative integer. */
static int net_driver(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "name", "queues", "rx_queue_size", "tx_queue_size",
					     "event_idx", "ioeventfd", "txmode", NULL };
	static const char *const names[] = { "qemu", "vhost", NULL };
	static const char *const txmodes[] = { "iothread", "timer", NULL };
	static const struct xml_child children[] = {
		{ "host", net_driver_host }, { "guest", net_driver_guest }, { NULL, NULL },
	};
	struct vdom_interface *ni = obj;
	int backend = -1;

	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "name", names, &backend) < 0 ||
	    xml_attr_uint(x, n, "queues", 0, 256, &ni->queues) < 0 ||
	    xml_attr_uint(x, n, "rx_queue_size", 0, 65535, &ni->rx_queue_size) < 0 ||
	    xml_attr_uint(x, n, "tx_queue_size", 0, 65535, &ni->tx_queue_size) < 0 ||
	    xml_attr_tristate(x, n, "event_idx", false, &ni->event_idx) < 0 ||
	    xml_attr_tristate(x, n, "ioeventfd", false, &ni->ioeventfd) < 0 ||
	    xml_attr_choice(x, n, "txmode", txmodes, &ni->txmode) < 0)
		return -1;
	if (backend >= 0)
		ni->backend = backend == 0 ? VDOM_NET_BACKEND_QEMU : VDOM_NET_BACKEND_VHOST;
	return xml_walk_children(x, n, children, ni);
}

static int net_mtu(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "size", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_uint(x, n, "size", 68, 65535, &ni->mtu) < 0)
		return -1;
	if (!ni->mtu)
		return xml_bad_value(x, n, "size", _("is required"));
	return 0;
}

static int net_link(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "state", NULL };
	static const char *const states[] = { "up", "down", NULL };
	struct vdom_interface *ni = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "state", states, &ni->link_state) < 0)
		return -1;
	return 0;
}

static int net_boot(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_boot_order(x, n, &((struct vdom_interface *)obj)->boot_order);
}

static int net_address(struct xml_ctx *x, xmlNode *n, void *obj)
{
	return parse_address(x, n, &((struct vdom_interface *)obj)->addr);
}

/* <ip family='ipv4' address='192.0.2.0' prefix='24'/>: the user-mode network's
 * addresses (libvirt passes it as -netdev user's net=). */
static int net_ip(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "family", "address", "prefix", NULL };
	struct vdom_interface *ni = obj;
	char *family = xml_attr(n, "family"), *addr;
	struct in_addr a;
	bool v4 = !family || streq(family, "ipv4");

	free(family);
	if (ni->type != VDOM_NET_USER || !v4)
		return xml_unsupported(x, n, ni->type != VDOM_NET_USER ? NULL : "family");
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_uint(x, n, "prefix", 0, 32, &ni->ip_prefix) < 0)
		return -1;
	addr = xml_attr(n, "address");
	if (!addr || inet_pton(AF_INET, addr, &a) != 1) {
		free(addr);
		return xml_bad_value(x, n, "address", _("must be an IPv4 address"));
	}
	free(ni->ip_address);
	ni->ip_address = addr;
	return 0;
}

int parse_interface(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const types[] = { "ethernet", "bridge", "network", "user", NULL };
	static const struct xml_child children[] = {
		{ "mac", net_mac }, { "source", net_source }, { "target", net_target },
		{ "model", net_model }, { "driver", net_driver }, { "mtu", net_mtu },
		{ "link", net_link }, { "boot", net_boot }, { "address", net_address },
		{ "ip", net_ip }, { NULL, NULL },
	};
	struct vdomain *d = obj;
	struct vdom_interface *ni;
	char *t = xml_attr(n, "type");
	int type = -1;

	if (!t)
		return xml_bad_value(x, n, "type", _("is required"));
	if (!xml_name_in(types, t)) {
		free(t);
		return xml_unsupported(x, n, "type");
	}
	free(t);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "type", types, &type) < 0)
		return -1;
	ni = PUSH(d->interfaces, d->n_interfaces);
	ni->type = (enum vdom_net_type)type;
	ni->line = (int)xmlGetLineNo(n);
	return xml_walk_children(x, n, children, ni);
}

/* ---- <serial>, <console> ---- */

struct chr_parse {
	struct vdom_chr_source *src;
	char **target_type;	/* serial: target type; console: NULL */
	char **target_model;
	int *port;
	enum vdom_console_target *con_target;
};

static int chr_source(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "path", "append", "mode", "host", "service", NULL };
	static const char *const modes[] = { "bind", "connect", NULL };
	struct chr_parse *cp = obj;
	struct vdom_chr_source *s = cp->src;
	int mode = -1;

	if (xml_check_attrs(x, n, attrs) < 0 || xml_walk_children(x, n, NULL, NULL) < 0 ||
	    xml_attr_tristate(x, n, "append", false, &s->append) < 0 ||
	    xml_attr_enum(x, n, "mode", modes, &mode) < 0)
		return -1;
	if (mode >= 0)
		s->listen = mode == 0;
	if (xml_attr_choice(x, n, "path", NULL, &s->path) < 0 ||
	    xml_attr_choice(x, n, "host", NULL, &s->host) < 0 ||
	    xml_attr_choice(x, n, "service", NULL, &s->service) < 0)
		return -1;
	return 0;
}

static int chr_protocol(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const types[] = { "raw", "telnet", NULL };
	struct chr_parse *cp = obj;

	if (cp->src->type != VDOM_CHR_TCP)
		return xml_unsupported(x, n, NULL);
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "type", types, &cp->src->protocol) < 0)
		return -1;
	return 0;
}

static int chr_log(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "file", "append", NULL };
	struct chr_parse *cp = obj;

	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "file", NULL, &cp->src->log_file) < 0 ||
	    xml_attr_tristate(x, n, "append", false, &cp->src->log_append) < 0)
		return -1;
	if (!cp->src->log_file)
		return xml_bad_value(x, n, "file", _("is required"));
	return 0;
}

static int chr_target_model(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "name", NULL };
	struct chr_parse *cp = obj;

	if (!cp->target_model)
		return xml_unsupported(x, n, NULL);
	if (xml_check_attrs(x, n, attrs) < 0 ||
	    xml_attr_choice(x, n, "name", NULL, cp->target_model) < 0)
		return -1;
	return 0;
}

static int chr_target(struct xml_ctx *x, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "type", "port", NULL };
	static const char *const serial_types[] = { "isa-serial", NULL };
	static const char *const console_types[] = { "serial", "virtio", NULL };
	static const struct xml_child children[] = { { "model", chr_target_model },
						     { NULL, NULL } };
	struct chr_parse *cp = obj;
	unsigned port = 0;
	int rc;

	if (xml_check_attrs(x, n, attrs) < 0)
		return -1;
	if (cp->target_type) {
		char *t = xml_attr(n, "type");

		if (t && !xml_name_in(serial_types, t)) {
			free(t);
			return xml_unsupported(x, n, "type");
		}
		free(t);
		if (xml_attr_choice(x, n, "type", serial_types, cp->target_type) < 0)
			return -1;
	} else {
		int idx = -1;

		if (xml_attr_enum(x, n, "type", console_types, &idx) < 0)
			return -1;
		if (idx >= 0)
			*cp->con_target = (enum vdom_console_target)idx;
	}
	rc = xml_attr_uint(x, n, "port", 0, 31, &port);
	if (rc < 0)
		return -1;
	if (rc == 1)
		*cp->port = (int)port;
	return xml_walk_children(x, n, children, cp);
}

static int parse_chr_common(struct xml_ctx *x, xmlNode *n, struct chr_parse *cp)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const types[] = { "pty", "file", "unix", "null", "tcp", NULL };
	static const struct xml_child children[] = {
		{ "source", chr_source }, { "protocol", chr_protocol }, { "log", chr_log },
		{ "target", chr_target }, { NULL, NULL },
	};
	char *t = xml_attr(n, "type");
	int type = 0;

	if (t && !xml_name_in(types, t)) {
		free(t);
		return xml_unsupported(x, n, "type");
	}
	free(t);
	if (xml_check_attrs(x, n, attrs) < 0 || xml_attr_enum(x, n, "type", types, &type) < 0)
		return -1;
	cp->src->type = (enum vdom_chr_type)type;
	*cp->port = -1;
	if (xml_walk_children(x, n, children, cp) < 0)
		return -1;
	if ((type == VDOM_CHR_FILE || type == VDOM_CHR_UNIX) && !cp->src->path)
		return err_set(x->errp, ERR_INVALID, _("%s:%ld: <%s type='%s'>: <source path> is missing"),
			       x->source, xmlGetLineNo(n), (const char *)n->name,
			       vdom_chr_type_name(cp->src->type));
	if (type == VDOM_CHR_TCP && (!cp->src->host || !cp->src->service))
		return err_set(x->errp, ERR_INVALID,
			       _("%s:%ld: <%s type='tcp'>: <source host service> is missing"),
			       x->source, xmlGetLineNo(n), (const char *)n->name);
	return 0;
}

int parse_serial(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;
	struct vdom_serial *s = PUSH(d->serials, d->n_serials);
	struct chr_parse cp = { .src = &s->src, .target_type = &s->target_type,
				.target_model = &s->target_model, .port = &s->port };

	s->line = (int)xmlGetLineNo(n);
	return parse_chr_common(x, n, &cp);
}

int parse_console(struct xml_ctx *x, xmlNode *n, void *obj)
{
	struct vdomain *d = obj;
	struct vdom_console *c = PUSH(d->consoles, d->n_consoles);
	struct chr_parse cp = { .src = &c->src, .port = &c->port, .con_target = &c->target };

	c->line = (int)xmlGetLineNo(n);
	return parse_chr_common(x, n, &cp);
}
