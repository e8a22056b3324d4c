/* libvirt network XML: formatting struct vnetwork back, and freeing it. The format
 * follows libvirt 9.0's virNetworkDefFormatBuf() for an inactive network: element
 * order, defaults and quoting as in libvirt's tests/networkxml2xmlout. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf/domain_parse.h"
#include "lib/conf/network.h"
#include "lib/conf/xml_util.h"
#include "lib/util/buf.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

/* ---- format ------------------------------------------------------------------ */

/* " name='value'" (nothing for a NULL value), escaped as libvirt does. */
static void put_attr(struct buf *b, const char *name, const char *value)
{
	char *escaped;

	if (!value)
		return;
	escaped = xml_escape(value, true);
	buf_appendf(b, NULL, " %s='%s'", name, escaped);
	free(escaped);
}

static void put_addr_attr(struct buf *b, const char *name, const struct vnet_addr *a)
{
	char text[VNET_ADDR_STRLEN];

	if (a->family)
		put_attr(b, name, vnet_addr_format(a, text));
}

/* "<tag attr='value'/>" on its own line, at the given indent. */
static void put_leaf(struct buf *b, int indent, const char *tag, const char *attr,
		     const char *value)
{
	buf_appendf(b, NULL, "%*s<%s", indent, "", tag);
	put_attr(b, attr, value);
	buf_append_str(b, "/>\n", NULL);
}

static void format_forward(struct buf *b, const struct vnet_forward *fwd)
{
	bool has_port = fwd->port_start || fwd->port_end;

	if (fwd->mode == VNET_FWD_NONE)
		return;
	buf_append_str(b, "  <forward", NULL);
	put_attr(b, "dev", fwd->n_devs ? fwd->devs[0] : NULL);
	put_attr(b, "mode", vnet_forward_mode_name(fwd->mode));
	if (!fwd->n_devs && !has_port) {
		buf_append_str(b, "/>\n", NULL);
		return;
	}
	buf_append_str(b, ">\n", NULL);
	if (has_port) {
		buf_appendf(b, NULL, "    <nat>\n      <port start='%u'", fwd->port_start);
		if (fwd->port_end)
			buf_appendf(b, NULL, " end='%u'", fwd->port_end);
		buf_append_str(b, "/>\n    </nat>\n", NULL);
	}
	for (size_t i = 0; i < fwd->n_devs; i++)
		put_leaf(b, 4, "interface", "dev", fwd->devs[i]);
	buf_append_str(b, "  </forward>\n", NULL);
}

/* libvirt writes <bridge> for every network it runs a bridge for, with stp and delay. */
static void format_bridge(struct buf *b, const struct vnetwork *net)
{
	static const char *const mac_tables[] = { NULL, "kernel", "libvirt" };
	const struct vnet_bridge *br = &net->bridge;
	bool managed = net->forward.mode != VNET_FWD_BRIDGE;

	if (!managed && !br->name && !br->mac_table)
		return;
	buf_append_str(b, "  <bridge", NULL);
	put_attr(b, "name", br->name);
	put_attr(b, "zone", br->zone);
	if (managed)
		buf_appendf(b, NULL, " stp='%s' delay='%lu'", br->stp ? "on" : "off", br->delay);
	put_attr(b, "macTableManager", mac_tables[br->mac_table]);
	buf_append_str(b, "/>\n", NULL);
}

/* Unlike libvirt, a <dhcp> with only <bootp> is kept rather than dropped. */
static void format_dhcp(struct buf *b, const struct vnet_ip *ip)
{
	if (!ip->n_ranges && !ip->n_hosts && !ip->bootp_file)
		return;
	buf_append_str(b, "    <dhcp>\n", NULL);
	for (size_t i = 0; i < ip->n_ranges; i++) {
		buf_append_str(b, "      <range", NULL);
		put_addr_attr(b, "start", &ip->ranges[i].start);
		put_addr_attr(b, "end", &ip->ranges[i].end);
		buf_append_str(b, "/>\n", NULL);
	}
	for (size_t i = 0; i < ip->n_hosts; i++) {
		buf_append_str(b, "      <host", NULL);
		put_attr(b, "mac", ip->hosts[i].mac);
		put_attr(b, "name", ip->hosts[i].name);
		put_addr_attr(b, "ip", &ip->hosts[i].ip);
		buf_append_str(b, "/>\n", NULL);
	}
	if (ip->bootp_file) {
		buf_append_str(b, "      <bootp", NULL);
		put_attr(b, "file", ip->bootp_file);
		put_addr_attr(b, "server", &ip->bootp_server);
		buf_append_str(b, "/>\n", NULL);
	}
	buf_append_str(b, "    </dhcp>\n", NULL);
}

static void format_ip(struct buf *b, const struct vnet_ip *ip)
{
	buf_append_str(b, "  <ip", NULL);
	put_attr(b, "family", ip->family);
	put_addr_attr(b, "address", &ip->address);
	put_addr_attr(b, "netmask", &ip->netmask);
	if (ip->prefix_given && ip->prefix > 0)
		buf_appendf(b, NULL, " prefix='%u'", ip->prefix);
	buf_append_str(b, ">\n", NULL);
	if (ip->tftp_root)
		put_leaf(b, 4, "tftp", "root", ip->tftp_root);
	format_dhcp(b, ip);
	buf_append_str(b, "  </ip>\n", NULL);
}

char *vnetwork_format(const struct vnetwork *net)
{
	struct buf b = BUF_INIT;
	char *name = xml_escape(net->name ? net->name : "", false);
	char text[40];

	vdom_format_uuid(net->uuid, text);
	buf_appendf(&b, NULL, "<network%s>\n  <name>%s</name>\n  <uuid>%s</uuid>\n",
		    net->ipv6 ? " ipv6='yes'" : "", name, text);
	free(name);
	format_forward(&b, &net->forward);
	format_bridge(&b, net);
	if (net->mtu)
		buf_appendf(&b, NULL, "  <mtu size='%u'/>\n", net->mtu);
	if (net->mac_given) {
		vdom_format_mac(net->mac, text);
		put_leaf(&b, 2, "mac", "address", text);
	}
	if (net->domain)
		put_leaf(&b, 2, "domain", "name", net->domain);
	for (size_t i = 0; i < net->n_ips; i++)
		format_ip(&b, &net->ips[i]);
	buf_append_str(&b, "</network>\n", NULL);
	return buf_steal(&b);
}

/* ---- free --------------------------------------------------------------------- */

static void ip_clear(struct vnet_ip *ip)
{
	for (size_t i = 0; i < ip->n_hosts; i++) {
		free(ip->hosts[i].mac);
		free(ip->hosts[i].name);
	}
	free(ip->hosts);
	free(ip->ranges);
	free(ip->family);
	free(ip->tftp_root);
	free(ip->bootp_file);
}

void vnetwork_free(struct vnetwork *net)
{
	if (!net)
		return;
	for (size_t i = 0; i < net->forward.n_devs; i++)
		free(net->forward.devs[i]);
	free(net->forward.devs);
	for (size_t i = 0; i < net->n_ips; i++)
		ip_clear(&net->ips[i]);
	free(net->ips);
	free(net->name);
	free(net->bridge.name);
	free(net->bridge.zone);
	free(net->domain);
	free(net);
}
