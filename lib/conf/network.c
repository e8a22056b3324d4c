/* libvirt network XML: parse into struct vnetwork, check, format back.
 *
 * The parser walks the tree with a table of the children each element may have, so
 * anything outside the model is rejected by name (xml_util's "unsupported: <path>
 * (line N)") rather than dropped. Values are checked where they are read, so an error
 * names the element, its attribute and its line. The formatter follows libvirt 9.0's
 * virNetworkDefFormatBuf() for an inactive network: element order, defaults and
 * quoting as in libvirt's tests/networkxml2xmlout (network_format.c). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <libxml/parser.h>

#include "lib/conf/domain_parse.h"
#include "lib/conf/network.h"
#include "lib/conf/xml_util.h"
#include "lib/util/buf.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* One parse: the shared reader context, and what was seen. */
struct nparse {
	struct xml_ctx x;
	bool uuid_given;
};

/* "SOURCE:LINE: message" at n; returns -1. */
static int __attribute__((format(printf, 4, 5)))
fail_at(struct nparse *p, const xmlNode *n, const char *code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(p->x.errp, code, "%s:%ld: %s", p->x.source, xmlGetLineNo(n), msg);
	free(msg);
	return -1;
}

static int fail_missing_attr(struct nparse *p, const xmlNode *n, const char *attr)
{
	return fail_at(p, n, ERR_INVALID, _("<%s %s> is missing"), (const char *)n->name, attr);
}

/* ---- structure -------------------------------------------------------------- */

typedef int (*child_fn)(struct nparse *p, xmlNode *n, void *obj);

struct child_rule {
	const char *name;
	child_fn parse;
	bool many;		/* may appear more than once */
};

static bool is_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (!isspace(*s))
			return false;
	return true;
}

/* Dispatch each child element of `parent` to its rule. An element without a rule is
 * unsupported; so is text between elements; a rule's element given twice is invalid
 * (libvirt would silently take the first). */
static int parse_children(struct nparse *p, xmlNode *parent, const struct child_rule *rules,
			  size_t n_rules, void *obj)
{
	uint32_t seen = 0;
	size_t i;

	for (xmlNode *c = parent->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    !is_blank(c->content))
			return fail_at(p, c, ERR_UNSUPPORTED,
				       _("unsupported: text in <%s> (line %ld)"),
				       (const char *)parent->name, xmlGetLineNo(c));
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < n_rules; i++)
			if (!c->ns && strcmp((const char *)c->name, rules[i].name) == 0)
				break;
		if (i == n_rules)
			return xml_unsupported(&p->x, c, NULL);
		if (!rules[i].many && (seen & (1u << i)))
			return fail_at(p, c, ERR_INVALID, _("<%s> is given twice in <%s>"),
				       rules[i].name, (const char *)parent->name);
		seen |= 1u << i;
		if (rules[i].parse(p, c, obj) < 0)
			return -1;
	}
	return 0;
}

/* An element with no children and only the `allowed` attributes. */
static int check_empty(struct nparse *p, xmlNode *n, const char *const *allowed)
{
	if (xml_check_attrs(&p->x, n, allowed) < 0)
		return -1;
	return parse_children(p, n, NULL, 0, NULL);
}

/* An element holding text: no attributes, no child elements. */
static int check_leaf(struct nparse *p, xmlNode *n)
{
	if (xml_check_attrs(&p->x, n, NULL) < 0)
		return -1;
	return xml_walk_children(&p->x, n, NULL, NULL);
}

/* An element whose one required attribute is its whole content (<mtu size>, <domain
 * name>, <tftp root>): the value (owned), or NULL. */
static char *single_attr(struct nparse *p, xmlNode *n, const char *attr)
{
	const char *const attrs[] = { attr, NULL };
	char *v;

	if (check_empty(p, n, attrs) < 0)
		return NULL;
	v = xml_attr(n, attr);
	if (!v)
		fail_missing_attr(p, n, attr);
	return v;
}

/* ---- values ------------------------------------------------------------------ */

/* A random (version 4) uuid, as libvirt's virUUIDGenerate. */
static int uuid_generate(uint8_t uuid[16], struct err **errp)
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(uuid + got, 16 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot generate a uuid"));
		got += (size_t)n;
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	return 0;
}

static int addr_parse(const char *s, struct vnet_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = AF_INET6;
	return a->family ? 0 : -1;
}

char *vnet_addr_format(const struct vnet_addr *a, char *buf)
{
	if (!a->family || !inet_ntop(a->family, a->bytes, buf, VNET_ADDR_STRLEN))
		buf[0] = '\0';
	return buf;
}

static unsigned addr_bits(const struct vnet_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* Whether a and b agree on their first `prefix` bits. */
static bool same_subnet(const struct vnet_addr *a, const struct vnet_addr *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (a->family != b->family || memcmp(a->bytes, b->bytes, full) != 0)
		return false;
	return !rest || ((a->bytes[full] ^ b->bytes[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* The bit count of a contiguous netmask, -1 if it has holes. */
static int netmask_bits(const struct vnet_addr *m)
{
	unsigned bits = 0;

	for (unsigned i = 0; i < addr_bits(m); i++) {
		bool set = m->bytes[i / 8] & (0x80 >> (i % 8));

		if (set && bits < i)
			return -1;
		bits += set;
	}
	return (int)bits;
}

unsigned vnet_ip_prefix(const struct vnet_ip *ip)
{
	uint8_t octet = ip->address.bytes[0];

	if (ip->prefix_given)
		return ip->prefix;
	if (ip->netmask.family)
		return (unsigned)netmask_bits(&ip->netmask);
	if (ip->address.family == AF_INET6)
		return 64;
	/* libvirt's natural prefix: the address class. */
	if ((octet & 0x80) == 0)
		return 8;
	if ((octet & 0xc0) == 0x80)
		return 16;
	return (octet & 0xe0) == 0xc0 ? 24 : 32;
}

/* Why s is not a Linux interface name (dev_valid_name()), or NULL. */
static const char *ifname_problem(const char *s)
{
	if (!*s)
		return _("empty");
	if (strlen(s) > VNET_IFNAME_MAX)
		return _("longer than 15 characters");
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strpbrk(s, "/: \t\n\r"))
		return _("not a valid interface name");
	return NULL;
}

/* An interface name attribute (owned in *out; NULL if absent and optional). */
static int ifname_attr(struct nparse *p, xmlNode *n, const char *attr, bool required,
		       char **out)
{
	*out = xml_attr(n, attr);
	if (!*out)
		return required ? fail_missing_attr(p, n, attr) : 0;
	if (ifname_problem(*out))
		return xml_bad_value(&p->x, n, attr, "%s", ifname_problem(*out));
	return 0;
}

/* ---- <network> children -------------------------------------------------------- */

static int parse_name(struct nparse *p, xmlNode *n, void *obj)
{
	struct vnetwork *net = obj;

	if (check_leaf(p, n) < 0)
		return -1;
	net->name = xml_text_raw(n);
	if (!*net->name)
		return xml_bad_value(&p->x, n, NULL, _("a network name must not be empty"));
	if (strpbrk(net->name, "/\n"))
		return xml_bad_value(&p->x, n, NULL, _("a name cannot contain '/' or a newline"));
	return 0;
}

static int parse_uuid(struct nparse *p, xmlNode *n, void *obj)
{
	struct vnetwork *net = obj;
	char *s;
	int rc;

	p->uuid_given = true;
	if (check_leaf(p, n) < 0)
		return -1;
	s = xml_text(n);
	rc = vdom_parse_uuid(s, net->uuid);
	free(s);
	return rc < 0 ? xml_bad_value(&p->x, n, NULL, _("not a valid UUID")) : 0;
}

/* Take ownership of dev as the next forward device. */
static int forward_add_dev(struct nparse *p, xmlNode *n, struct vnet_forward *fwd, char *dev)
{
	if (fwd->n_devs == VNET_MAX_FORWARD_IFS) {
		free(dev);
		return fail_at(p, n, ERR_LIMIT, _("more than %d forward interfaces"),
			       VNET_MAX_FORWARD_IFS);
	}
	fwd->devs = xreallocarray(fwd->devs, fwd->n_devs + 1, sizeof(*fwd->devs));
	fwd->devs[fwd->n_devs++] = dev;
	return 0;
}

static int parse_forward_interface(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "dev", NULL };
	char *dev;

	if (check_empty(p, n, attrs) < 0)
		return -1;
	if (ifname_attr(p, n, "dev", true, &dev) < 0) {
		free(dev);
		return -1;
	}
	return forward_add_dev(p, n, obj, dev);
}

static int parse_nat_port(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "start", "end", NULL };
	struct vnet_forward *fwd = obj;
	int rc;

	if (check_empty(p, n, attrs) < 0)
		return -1;
	rc = xml_attr_uint(&p->x, n, "start", 1, 65535, &fwd->port_start);
	if (rc == 0)
		return fail_missing_attr(p, n, "start");
	if (rc < 0 || xml_attr_uint(&p->x, n, "end", fwd->port_start, 65535, &fwd->port_end) < 0)
		return -1;
	return 0;
}

static int parse_forward_nat(struct nparse *p, xmlNode *n, void *obj)
{
	static const struct child_rule rules[] = { { "port", parse_nat_port, false } };
	struct vnet_forward *fwd = obj;

	if (fwd->mode != VNET_FWD_NAT)
		return fail_at(p, n, ERR_INVALID,
			       _("<nat> is only allowed in <forward mode='nat'>"));
	if (xml_check_attrs(&p->x, n, NULL) < 0)
		return -1;
	return parse_children(p, n, rules, ARRAY_SIZE(rules), fwd);
}

/* Spellings of enum vnet_forward_mode. */
static const char *const forward_modes[] = { "none", "nat", "route", "open", "bridge", NULL };

const char *vnet_forward_mode_name(enum vnet_forward_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(forward_modes) - 1 ? forward_modes[mode] : "none";
}

/* <forward mode>: absent is nat; libvirt's other modes (macvtap, SR-IOV) are outside
 * the model. */
static int parse_forward_mode(struct nparse *p, xmlNode *n, enum vnet_forward_mode *out)
{
	static const char *const elsewhere[] = { "private", "vepa", "passthrough", "hostdev",
						 NULL };
	char *mode = xml_attr(n, "mode");
	int idx = VNET_FWD_NAT, rc = 0;

	if (mode && xml_name_in(elsewhere, mode))
		rc = xml_unsupported(&p->x, n, "mode");
	else if (mode && xml_attr_enum(&p->x, n, "mode", forward_modes, &idx) < 0)
		rc = -1;
	*out = (enum vnet_forward_mode)idx;
	free(mode);
	return rc;
}

/* The forward devices fit the mode, and <forward dev> names the first <interface>. */
static int check_forward_devs(struct nparse *p, xmlNode *n, struct vnet_forward *fwd,
			      char **dev)
{
	if (*dev && fwd->n_devs && strcmp(*dev, fwd->devs[0]) != 0)
		return xml_bad_value(&p->x, n, "dev", _("differs from the first <interface dev>"));
	if (*dev && !fwd->n_devs) {
		int rc = forward_add_dev(p, n, fwd, *dev);

		*dev = NULL;
		if (rc < 0)
			return -1;
	}
	if (fwd->mode == VNET_FWD_OPEN && fwd->n_devs)
		return fail_at(p, n, ERR_INVALID,
			       _("<forward mode='open'> cannot have a forward dev"));
	if ((fwd->mode == VNET_FWD_NAT || fwd->mode == VNET_FWD_ROUTE) && fwd->n_devs > 1)
		return fail_at(p, n, ERR_INVALID, _("<forward mode='%s'> takes one forward dev"),
			       forward_modes[fwd->mode]);
	return 0;
}

static int parse_forward(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "mode", "dev", NULL };
	static const struct child_rule rules[] = {
		{ "interface", parse_forward_interface, true },
		{ "nat", parse_forward_nat, false },
	};
	struct vnetwork *net = obj;
	char *dev = NULL;
	int rc = -1;

	net->forward.line = (int)xmlGetLineNo(n);
	if (xml_check_attrs(&p->x, n, attrs) < 0 ||
	    parse_forward_mode(p, n, &net->forward.mode) < 0 ||
	    ifname_attr(p, n, "dev", false, &dev) < 0 ||
	    parse_children(p, n, rules, ARRAY_SIZE(rules), &net->forward) < 0 ||
	    check_forward_devs(p, n, &net->forward, &dev) < 0)
		goto out;
	rc = 0;
out:
	free(dev);
	return rc;
}

static int parse_bridge(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "name", "zone", "stp", "delay", "macTableManager",
					     NULL };
	static const char *const on_off[] = { "off", "on", NULL };
	static const char *const mac_tables[] = { "kernel", "libvirt", NULL };
	struct vnetwork *net = obj;
	struct vnet_bridge *br = &net->bridge;
	int stp = 1, mtm = -1, rc;
	unsigned delay = 0;

	net->bridge_given = true;
	br->line = (int)xmlGetLineNo(n);
	if (check_empty(p, n, attrs) < 0 || ifname_attr(p, n, "name", false, &br->name) < 0)
		return -1;
	br->zone = xml_attr(n, "zone");
	if (br->zone && !*br->zone)
		return xml_bad_value(&p->x, n, "zone", _("empty"));
	if ((rc = xml_attr_enum(&p->x, n, "stp", on_off, &stp)) < 0)
		return -1;
	br->stp = stp == 1;
	br->stp_given = rc == 1;
	if ((rc = xml_attr_uint(&p->x, n, "delay", 0, UINT_MAX, &delay)) < 0)
		return -1;
	br->delay = delay;
	br->delay_given = rc == 1;
	if (xml_attr_enum(&p->x, n, "macTableManager", mac_tables, &mtm) < 0)
		return -1;
	br->mac_table = (enum vnet_mac_table)(mtm + 1);	/* not given: the default */
	return 0;
}

static int parse_mtu(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "size", NULL };
	struct vnetwork *net = obj;
	int rc;

	if (check_empty(p, n, attrs) < 0)
		return -1;
	rc = xml_attr_uint(&p->x, n, "size", 68, 65535, &net->mtu);
	return rc == 0 ? fail_missing_attr(p, n, "size") : rc < 0 ? -1 : 0;
}

/* A unicast MAC address attribute into mac (as libvirt, which refuses multicast). */
static int mac_attr(struct nparse *p, xmlNode *n, const char *attr, const char *value,
		    uint8_t mac[6])
{
	if (vdom_parse_mac(value, mac) < 0)
		return xml_bad_value(&p->x, n, attr,
				     _("not a MAC address (expected xx:xx:xx:xx:xx:xx)"));
	if (mac[0] & 1)
		return xml_bad_value(&p->x, n, attr, _("a multicast MAC address"));
	return 0;
}

static int parse_mac(struct nparse *p, xmlNode *n, void *obj)
{
	struct vnetwork *net = obj;
	char *mac = single_attr(p, n, "address");
	int rc = mac ? mac_attr(p, n, "address", mac, net->mac) : -1;

	net->mac_given = rc == 0;
	free(mac);
	return rc;
}

static int parse_domain(struct nparse *p, xmlNode *n, void *obj)
{
	struct vnetwork *net = obj;

	net->domain = single_attr(p, n, "name");
	if (net->domain && !*net->domain)
		return xml_bad_value(&p->x, n, "name", _("empty"));
	return net->domain ? 0 : -1;
}

/* ---- <ip> ----------------------------------------------------------------------- */

/* An address attribute of n (required or not) into a: of the family of `ip` when
 * given and, if `in_subnet`, inside its subnet. */
static int addr_attr(struct nparse *p, xmlNode *n, const char *attr, bool required,
		     const struct vnet_ip *ip, bool in_subnet, struct vnet_addr *a)
{
	char *v = xml_attr(n, attr);
	char net[VNET_ADDR_STRLEN];
	int rc = -1;

	if (!v)
		return required ? fail_missing_attr(p, n, attr) : 0;
	if (addr_parse(v, a) < 0)
		xml_bad_value(&p->x, n, attr, _("not an IPv4 or IPv6 address"));
	else if (ip && a->family != ip->address.family)
		xml_bad_value(&p->x, n, attr, a->family == AF_INET
			      ? _("an IPv4 address in an IPv6 <ip>")
			      : _("an IPv6 address in an IPv4 <ip>"));
	else if (ip && in_subnet && !same_subnet(a, &ip->address, vnet_ip_prefix(ip)))
		xml_bad_value(&p->x, n, attr, _("not inside the network %s/%u"),
			      vnet_addr_format(&ip->address, net), vnet_ip_prefix(ip));
	else
		rc = 0;
	free(v);
	return rc;
}

static int parse_dhcp_range(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "start", "end", NULL };
	struct vnet_ip *ip = obj;
	struct vnet_dhcp_range r;

	if (check_empty(p, n, attrs) < 0 ||
	    addr_attr(p, n, "start", true, ip, true, &r.start) < 0 ||
	    addr_attr(p, n, "end", true, ip, true, &r.end) < 0)
		return -1;
	if (memcmp(r.start.bytes, r.end.bytes, sizeof(r.start.bytes)) > 0)
		return xml_bad_value(&p->x, n, "end", _("before the start of the range"));
	if (ip->n_ranges == VNET_MAX_DHCP_RANGES)
		return fail_at(p, n, ERR_LIMIT, _("more than %d DHCP ranges"),
			       VNET_MAX_DHCP_RANGES);
	ip->ranges = xreallocarray(ip->ranges, ip->n_ranges + 1, sizeof(*ip->ranges));
	ip->ranges[ip->n_ranges++] = r;
	return 0;
}

static int check_dhcp_host(struct nparse *p, xmlNode *n, const struct vnet_ip *ip,
			   const struct vnet_dhcp_host *h)
{
	uint8_t mac[6];

	if (h->mac && ip->address.family == AF_INET6)
		return xml_bad_value(&p->x, n, "mac", _("not allowed in an IPv6 <ip>"));
	if (h->mac && mac_attr(p, n, "mac", h->mac, mac) < 0)
		return -1;
	if (h->name && !isalpha((unsigned char)h->name[0]))
		return xml_bad_value(&p->x, n, "name", _("does not start with a letter"));
	if (!h->mac && !h->name)
		return fail_at(p, n, ERR_INVALID, _("<host> needs a mac or a name"));
	return 0;
}

static int parse_dhcp_host(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "mac", "name", "ip", NULL };
	struct vnet_ip *ip = obj;
	struct vnet_dhcp_host h = { 0 };

	if (check_empty(p, n, attrs) < 0)
		return -1;
	if (ip->n_hosts == VNET_MAX_DHCP_HOSTS)
		return fail_at(p, n, ERR_LIMIT, _("more than %d DHCP hosts"), VNET_MAX_DHCP_HOSTS);
	h.mac = xml_attr(n, "mac");
	h.name = xml_attr(n, "name");
	if (check_dhcp_host(p, n, ip, &h) < 0 || addr_attr(p, n, "ip", true, ip, true, &h.ip) < 0) {
		free(h.mac);
		free(h.name);
		return -1;
	}
	ip->hosts = xreallocarray(ip->hosts, ip->n_hosts + 1, sizeof(*ip->hosts));
	ip->hosts[ip->n_hosts++] = h;
	return 0;
}

static int parse_dhcp_bootp(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "file", "server", NULL };
	struct vnet_ip *ip = obj;

	if (check_empty(p, n, attrs) < 0)
		return -1;
	if (ip->address.family != AF_INET)
		return fail_at(p, n, ERR_INVALID, _("<%s> is only allowed in an IPv4 <ip>"),
			       "bootp");
	ip->bootp_file = xml_attr(n, "file");
	if (!ip->bootp_file)
		return fail_missing_attr(p, n, "file");
	return addr_attr(p, n, "server", false, ip, false, &ip->bootp_server);
}

static int parse_ip_dhcp(struct nparse *p, xmlNode *n, void *obj)
{
	static const struct child_rule rules[] = {
		{ "range", parse_dhcp_range, true },
		{ "host", parse_dhcp_host, true },
		{ "bootp", parse_dhcp_bootp, false },
	};

	if (xml_check_attrs(&p->x, n, NULL) < 0)
		return -1;
	return parse_children(p, n, rules, ARRAY_SIZE(rules), obj);
}

static int parse_ip_tftp(struct nparse *p, xmlNode *n, void *obj)
{
	struct vnet_ip *ip = obj;

	if (ip->address.family != AF_INET)
		return fail_at(p, n, ERR_INVALID, _("<%s> is only allowed in an IPv4 <ip>"),
			       "tftp");
	ip->tftp_root = single_attr(p, n, "root");
	return ip->tftp_root ? 0 : -1;
}

/* family, if given, names the address's family. */
static int check_ip_family(struct nparse *p, xmlNode *n, const struct vnet_ip *ip)
{
	static const char *const families[] = { "ipv4", "ipv6", NULL };
	int idx, rc = xml_attr_enum(&p->x, n, "family", families, &idx);

	if (rc <= 0)
		return rc;
	if ((ip->address.family == AF_INET) != (idx == 0))
		return xml_bad_value(&p->x, n, "family", idx == 0 ? _("the address is not IPv4")
				     : _("the address is not IPv6"));
	return 0;
}

/* netmask (IPv4 only, contiguous) or prefix (0-32, 0-128), not both; an IPv4
 * address without either must have a class (A, B, C) to take its prefix from. */
static int parse_ip_mask(struct nparse *p, xmlNode *n, struct vnet_ip *ip)
{
	int rc;

	if (addr_attr(p, n, "netmask", false, ip, false, &ip->netmask) < 0)
		return -1;
	if (ip->netmask.family == AF_INET6)
		return xml_bad_value(&p->x, n, "netmask",
				     _("a netmask is for IPv4 only, use a prefix"));
	if (ip->netmask.family && netmask_bits(&ip->netmask) < 0)
		return xml_bad_value(&p->x, n, "netmask", _("not a contiguous netmask"));
	rc = xml_attr_uint(&p->x, n, "prefix", 0, addr_bits(&ip->address), &ip->prefix);
	if (rc < 0)
		return -1;
	ip->prefix_given = rc == 1;
	if (ip->prefix_given && ip->netmask.family)
		return xml_bad_value(&p->x, n, "prefix", _("a netmask is given too"));
	if (!ip->prefix_given && !ip->netmask.family && ip->address.family == AF_INET &&
	    (ip->address.bytes[0] & 0xe0) == 0xe0)
		return xml_bad_value(&p->x, n, "address",
				     _("a class D or E address needs a netmask or a prefix"));
	return 0;
}

static int parse_ip(struct nparse *p, xmlNode *n, void *obj)
{
	static const char *const attrs[] = { "family", "address", "netmask", "prefix", NULL };
	static const struct child_rule rules[] = {
		{ "tftp", parse_ip_tftp, false },
		{ "dhcp", parse_ip_dhcp, false },
	};
	struct vnetwork *net = obj;
	struct vnet_ip *ip;

	if (net->n_ips == VNET_MAX_IPS)
		return fail_at(p, n, ERR_LIMIT, _("more than %d <ip> elements"), VNET_MAX_IPS);
	net->ips = xreallocarray(net->ips, net->n_ips + 1, sizeof(*net->ips));
	ip = &net->ips[net->n_ips++];
	memset(ip, 0, sizeof(*ip));
	ip->line = (int)xmlGetLineNo(n);
	if (xml_check_attrs(&p->x, n, attrs) < 0 ||
	    addr_attr(p, n, "address", true, NULL, false, &ip->address) < 0 ||
	    check_ip_family(p, n, ip) < 0 || parse_ip_mask(p, n, ip) < 0)
		return -1;
	ip->family = xml_attr(n, "family");
	return parse_children(p, n, rules, ARRAY_SIZE(rules), ip);
}

/* ---- whole-network checks -------------------------------------------------------- */

/* Only one IPv4 and one IPv6 <ip> may serve DHCP (libvirt runs one dnsmasq). */
static int check_dhcp_once(struct nparse *p, xmlNode *root, const struct vnetwork *net)
{
	int with_dhcp[2] = { 0, 0 };

	for (size_t i = 0; i < net->n_ips; i++) {
		const struct vnet_ip *ip = &net->ips[i];
		int v6 = ip->address.family == AF_INET6;

		if ((ip->n_ranges || ip->n_hosts) && with_dhcp[v6]++)
			return fail_at(p, root, ERR_INVALID,
				       _("DHCP is given for more than one %s <ip> (line %d)"),
				       v6 ? "IPv6" : "IPv4", ip->line);
	}
	return 0;
}

/* forward mode='bridge' uses a bridge Vireo does not manage: no addresses, no STP. */
static int check_bridge_mode(struct nparse *p, xmlNode *root, const struct vnetwork *net)
{
	const char *what = net->n_ips ? "<ip>" : net->domain ? "<domain>"
		: net->mac_given ? "<mac>" : NULL;

	if (net->forward.mode != VNET_FWD_BRIDGE)
		return 0;
	if (what)
		return fail_at(p, root, ERR_INVALID,
			       _("%s is not allowed with <forward mode='bridge'> (line %d)"), what,
			       net->forward.line);
	if (net->bridge.stp_given || net->bridge.delay_given)
		return fail_at(p, root, ERR_INVALID,
			       _("<bridge> stp and delay are not allowed with "
				 "<forward mode='bridge'> (line %d)"), net->bridge.line);
	if (!net->bridge.name == !net->forward.n_devs)
		return fail_at(p, root, ERR_INVALID,
			       _("<forward mode='bridge'> needs either a <bridge name> or a "
				 "forward dev (line %d)"), net->forward.line);
	return 0;
}

static int parse_network(struct nparse *p, xmlNode *root, struct vnetwork *net)
{
	static const char *const attrs[] = { "ipv6", NULL };
	static const char *const no_yes[] = { "no", "yes", NULL };
	static const struct child_rule rules[] = {
		{ "name", parse_name, false },
		{ "uuid", parse_uuid, false },
		{ "forward", parse_forward, false },
		{ "bridge", parse_bridge, false },
		{ "mtu", parse_mtu, false },
		{ "mac", parse_mac, false },
		{ "domain", parse_domain, false },
		{ "ip", parse_ip, true },
	};
	int ipv6 = 0;

	if (root->ns || strcmp((const char *)root->name, "network") != 0)
		return xml_unsupported(&p->x, root, NULL);
	if (xml_check_attrs(&p->x, root, attrs) < 0 ||
	    xml_attr_enum(&p->x, root, "ipv6", no_yes, &ipv6) < 0)
		return -1;
	net->ipv6 = ipv6 == 1;
	net->bridge.stp = true;
	if (parse_children(p, root, rules, ARRAY_SIZE(rules), net) < 0)
		return -1;
	if (!net->name)
		return err_set(p->x.errp, ERR_INVALID, _("%s: <network>: <name> is missing"),
			       p->x.source);
	if (check_bridge_mode(p, root, net) < 0 || check_dhcp_once(p, root, net) < 0)
		return -1;
	return p->uuid_given ? 0 : uuid_generate(net->uuid, p->x.errp);
}

/* ---- reading the document ----------------------------------------------------- */

/* The first error libxml2 reports: later ones are mostly its consequences. */
struct xml_first_error {
	int line;
	char *message;
};

#if LIBXML_VERSION >= 21200
static void keep_first_error(void *data, const xmlError *error)
#else
static void keep_first_error(void *data, xmlError *error)
#endif
{
	struct xml_first_error *first = ((xmlParserCtxt *)data)->_private;

	if (first->message || error->level < XML_ERR_ERROR)
		return;
	first->line = error->line;
	first->message = xstrndup(error->message ? error->message : "",
				  strcspn(error->message ? error->message : "", "\n"));
}

/* Read the document: no network, no entity expansion, no DTD (a DOCTYPE is refused:
 * its entities are the one way to make a small document expand without bound). */
static xmlDoc *read_xml(const char *xml, size_t len, const char *source, struct err **errp)
{
	struct xml_first_error first = { 0, NULL };
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > VNET_MAX_XML_SIZE) {
		err_set(errp, ERR_LIMIT, _("%s: larger than %d bytes"), source, VNET_MAX_XML_SIZE);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		abort();
	ctxt->_private = &first;
	ctxt->sax->serror = keep_first_error;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, source, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				XML_PARSE_BIG_LINES);
	if (!doc || !xmlDocGetRootElement(doc) || first.message) {
		err_set(errp, ERR_PARSE, _("%s:%d: malformed XML: %s"), source, first.line,
			first.message ? first.message : _("no root element"));
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc->intSubset || doc->extSubset) {
		/* libxml2 keeps no line for a DTD node. */
		err_set(errp, ERR_UNSUPPORTED, _("%s: unsupported: <!DOCTYPE> (document type "
						 "declarations are refused)"), source);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	free(first.message);
	xmlFreeParserCtxt(ctxt);
	return doc;
}

struct vnetwork *vnetwork_parse(const char *xml, size_t len, const char *source_name,
				struct err **errp)
{
	struct nparse p = { .x = { .source = source_name ? source_name : "<string>",
				   .errp = errp } };
	struct vnetwork *net;
	xmlDoc *doc = read_xml(xml, len, p.x.source, errp);

	if (!doc)
		return NULL;
	net = xzalloc(sizeof(*net));
	if (parse_network(&p, xmlDocGetRootElement(doc), net) < 0) {
		vnetwork_free(net);
		net = NULL;
	}
	xmlFreeDoc(doc);
	return net;
}

