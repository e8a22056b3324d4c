/* The network model: libvirt's network XML (net-define), the subset Vireo supports,
 * as plain structs.
 *
 * vnetwork_parse() reads a document with libxml2 (no network access, no external
 * entities, no DTD), rejects anything outside the model with "SOURCE:LINE:
 * unsupported: /network/dns (line N)" (xml_util.h), checks values the way libvirt
 * does (addresses, netmasks and prefixes, DHCP ranges inside their subnet, bridge
 * names, forward modes) and fills in what libvirt fills in (the uuid, the forward
 * mode nat for a bare <forward/>). vnetwork_format() writes it back exactly as
 * libvirt's net-dumpxml of an inactive network: libvirt's element order and its
 * defaults (stp='on' delay='0' on bridges libvirt manages, <interface dev> under a
 * <forward dev>). The NAT port range libvirt uses when none is given (1024-65535)
 * is applied when the network starts, not written here: libvirt does not write it
 * either (networkxml2xmlout/netboot-network.xml).
 *
 * Conventions: strings are owned (NULL = absent); `line` fields keep the source line
 * of the element for later error messages. */
#ifndef VIREO_CONF_NETWORK_H
#define VIREO_CONF_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/err.h"

/* Limits on repeated elements: far above any real network, low enough that a
 * hostile document cannot make us allocate much. */
#define VNET_MAX_IPS		16
#define VNET_MAX_FORWARD_IFS	16
#define VNET_MAX_DHCP_RANGES	64
#define VNET_MAX_DHCP_HOSTS	4096
/* The largest document vnetwork_parse() reads. */
#define VNET_MAX_XML_SIZE	(1u << 20)
/* Linux IFNAMSIZ - 1. */
#define VNET_IFNAME_MAX		15

/* <forward mode>: absent (and mode='none') is an isolated network. */
enum vnet_forward_mode {
	VNET_FWD_NONE = 0, VNET_FWD_NAT, VNET_FWD_ROUTE, VNET_FWD_OPEN, VNET_FWD_BRIDGE,
};

/* <bridge macTableManager>: not given, kernel, libvirt. */
enum vnet_mac_table { VNET_MACTABLE_DEFAULT = 0, VNET_MACTABLE_KERNEL, VNET_MACTABLE_LIBVIRT };

/* An IPv4 or IPv6 address in network byte order. */
struct vnet_addr {
	int family;			/* AF_INET, AF_INET6; 0: absent */
	uint8_t bytes[16];		/* the first 4 for AF_INET */
};

/* Longest text vnet_addr_format() writes, with its NUL (INET6_ADDRSTRLEN). */
#define VNET_ADDR_STRLEN 46

struct vnet_forward {
	enum vnet_forward_mode mode;
	/* <forward dev> and <interface dev> children: dev is devs[0]. */
	char **devs;
	size_t n_devs;
	/* <nat><port start end/></nat>; 0/0: not given (the driver's default is
	 * 1024-65535, applied when the network starts, as libvirt does). */
	unsigned port_start, port_end;
	int line;
};

struct vnet_bridge {
	char *name;			/* NULL: none given */
	char *zone;			/* firewalld zone */
	bool stp;			/* default on */
	bool stp_given;
	unsigned long delay;		/* seconds, default 0 */
	bool delay_given;
	enum vnet_mac_table mac_table;
	int line;
};

struct vnet_dhcp_range {
	struct vnet_addr start, end;
};

struct vnet_dhcp_host {
	char *mac;			/* as written (validated); NULL: none */
	char *name;
	struct vnet_addr ip;		/* family 0: none */
};

struct vnet_ip {
	char *family;			/* "ipv4", "ipv6" as written; NULL: not given */
	struct vnet_addr address;
	struct vnet_addr netmask;	/* family 0: not given */
	unsigned prefix;
	bool prefix_given;
	char *tftp_root;
	struct vnet_dhcp_range *ranges;
	size_t n_ranges;
	struct vnet_dhcp_host *hosts;
	size_t n_hosts;
	char *bootp_file;
	struct vnet_addr bootp_server;	/* family 0: not given */
	int line;
};

struct vnetwork {
	char *name;
	uint8_t uuid[16];
	bool ipv6;			/* <network ipv6='yes'>: IPv6 between guests without a gateway */
	struct vnet_forward forward;
	struct vnet_bridge bridge;
	bool bridge_given;		/* a <bridge> element was given */
	unsigned mtu;			/* 0: not given */
	uint8_t mac[6];
	bool mac_given;
	char *domain;			/* <domain name> */
	struct vnet_ip *ips;
	size_t n_ips;
};

/* Parse a network document of `len` bytes. `source_name` (the file name) prefixes
 * every error message: "net.xml:7: unsupported: /network/dns (line 7)",
 * "net.xml:4: <bridge name='virbr-far-too-long'>: longer than 15 characters".
 * Errors: ERR_PARSE (malformed XML: the file and the line of libxml2's first error),
 * ERR_UNSUPPORTED (an element or attribute outside the model, a DOCTYPE),
 * ERR_INVALID (a bad or missing value, naming the attribute), ERR_LIMIT (too big),
 * ERR_SYSTEM (no randomness for the uuid). Returns NULL on error. */
struct vnetwork *vnetwork_parse(const char *xml, size_t len, const char *source_name,
				struct err **errp);

/* Format as libvirt would (net-dumpxml --inactive): a new NUL-terminated string. */
char *vnetwork_format(const struct vnetwork *net);

void vnetwork_free(struct vnetwork *net);

/* The prefix length of an <ip>: prefix, else the netmask's, else libvirt's default
 * (the IPv4 address class, 64 for IPv6). */
unsigned vnet_ip_prefix(const struct vnet_ip *ip);

/* Canonical text of an address (inet_ntop) into buf (VNET_ADDR_STRLEN bytes);
 * returns buf. */
char *vnet_addr_format(const struct vnet_addr *a, char *buf);

/* The XML spelling of a forward mode ("nat", "route", ...). */
const char *vnet_forward_mode_name(enum vnet_forward_mode mode);

#endif
