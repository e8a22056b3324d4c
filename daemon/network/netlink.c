/* rtnetlink through libmnl: see netlink.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "daemon/network/netlink.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

/* Room for a dump's datagrams (libmnl's advice: 8 KiB is not always enough). */
#define NL_BUF_SIZE 32768
/* A request: a header and a few attributes. */
#define NL_MSG_SIZE 1024

int nl_open(struct nl *nl, struct err **errp)
{
	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot open a netlink socket"));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err_set_errno(errp, ERR_SYSTEM, e, _("cannot bind a netlink socket"));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Send the request and run cb over the answer until the kernel says it is done.
 * Returns 0, or -1 with errno (the kernel's error for the request). */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf;
	int rc;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	buf = xmalloc(NL_BUF_SIZE);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, NL_BUF_SIZE);

		if (n < 0) {
			rc = -1;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (rc <= MNL_CB_STOP)
			break;
	}
	free(buf);
	return rc < 0 ? -1 : 0;
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

/* ---- links ---- */

static void parse_linkinfo(const struct nlattr *info, struct nl_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, info)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
}

static void parse_stats(const struct nlattr *a, struct nl_link *l)
{
	struct rtnl_link_stats64 s;

	if (mnl_attr_get_payload_len(a) < sizeof(s))
		return;
	memcpy(&s, mnl_attr_get_payload(a), sizeof(s));
	l->stats.rx_bytes = s.rx_bytes;
	l->stats.rx_packets = s.rx_packets;
	l->stats.rx_errors = s.rx_errors;
	l->stats.rx_dropped = s.rx_dropped;
	l->stats.tx_bytes = s.tx_bytes;
	l->stats.tx_packets = s.tx_packets;
	l->stats.tx_errors = s.tx_errors;
	l->stats.tx_dropped = s.tx_dropped;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == 6)
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_LINKINFO:
		parse_linkinfo(a, l);
		break;
	case IFLA_STATS64:
		parse_stats(a, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *l = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l->ifindex = ifm->ifi_index;
	l->up = ifm->ifi_flags & IFF_UP;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, l);
	return MNL_CB_OK;
}

static int link_query(struct nl *nl, const char *name, struct nl_link *out)
{
	char buf[NL_MSG_SIZE];
	/* with an ack, so the answer ends even when it is one message */
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_ACK, 0);

	memset(out, 0, sizeof(*out));
	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, link_cb, out);
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *out, struct err **errp)
{
	if (link_query(nl, name, out) == 0 && out->ifindex > 0)
		return 0;
	if (errno == ENODEV || out->ifindex <= 0)
		return err_set(errp, ERR_NOT_FOUND, _("interface '%s' does not exist"), name);
	return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot query interface '%s'"), name);
}

bool nl_link_exists(struct nl *nl, const char *name)
{
	struct nl_link l;

	return link_query(nl, name, &l) == 0 && l.ifindex > 0;
}

int nl_link_change(struct nl *nl, const char *name, const struct nl_link_change *c,
		   struct err **errp)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_ACK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (c->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, c->mac);
	if (c->master >= 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)c->master);
	if (c->up >= 0) {
		ifm->ifi_change = IFF_UP;
		ifm->ifi_flags = c->up ? IFF_UP : 0;
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot configure interface '%s'"),
				     name);
	return 0;
}

int nl_link_del(struct nl *nl, const char *name, struct err **errp)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, NLM_F_ACK, 0);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (nl_talk(nl, nlh, NULL, NULL) < 0 && errno != ENODEV)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot delete interface '%s'"),
				     name);
	return 0;
}

int nl_bridge_add(struct nl *nl, const char *name, bool stp, unsigned delay_s,
		  const uint8_t *mac, unsigned mtu, struct err **errp)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
					0);
	struct nlattr *info, *data;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* the kernel applies the delay before STP (br_changelink), and accepts a delay
	 * below its 2 s minimum only while STP is off: libvirt's order, in one message.
	 * The unit is USER_HZ (centiseconds). */
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, delay_s * 100);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, stp ? 1 : 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot create bridge '%s'"), name);
	return 0;
}

/* ---- addresses and routes ---- */

int nl_addr_add(struct nl *nl, const char *dev, const struct vnet_addr *a, unsigned prefix,
		struct err **errp)
{
	char buf[NL_MSG_SIZE], text[VNET_ADDR_STRLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	unsigned len = a->family == AF_INET ? 4 : 16;
	int ifindex = (int)if_nametoindex(dev);

	if (ifindex <= 0)
		return err_set(errp, ERR_NOT_FOUND, _("interface '%s' does not exist"), dev);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->bytes);
	if (a->family == AF_INET) {
		uint8_t bcast[4];
		uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
		uint32_t v;

		memcpy(&v, a->bytes, 4);
		v = htonl(ntohl(v) | host);
		memcpy(bcast, &v, 4);
		mnl_attr_put(nlh, IFA_BROADCAST, 4, bcast);
	}
	if (nl_talk(nl, nlh, NULL, NULL) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("cannot add address %s/%u to '%s'"),
				     vnet_addr_format(a, text), prefix, dev);
	return 0;
}

struct prefix_list {
	int family;
	struct nl_prefix *items;
	size_t n;
};

static struct nl_prefix *prefix_push(struct prefix_list *pl)
{
	pl->items = xreallocarray(pl->items, pl->n + 1, sizeof(*pl->items));
	memset(&pl->items[pl->n], 0, sizeof(*pl->items));
	return &pl->items[pl->n++];
}

static void set_dev(struct nl_prefix *p, int ifindex)
{
	char name[IFNAMSIZ];

	if (ifindex > 0 && if_indextoname((unsigned)ifindex, name))
		snprintf(p->dev, sizeof(p->dev), "%s", name);
}

static bool addr_from_attr(const struct nlattr *a, int family, struct vnet_addr *out)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (mnl_attr_get_payload_len(a) != len)
		return false;
	out->family = family;
	memcpy(out->bytes, mnl_attr_get_payload(a), len);
	return true;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list *pl = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vnet_addr dst = { .family = pl->family };
	int oif = 0;
	uint32_t table = rtm->rtm_table;
	struct nl_prefix *p;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != pl->family)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_DST)
			addr_from_attr(a, pl->family, &dst);
		else if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			oif = (int)mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_TABLE &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(a);
	}
	/* the default route overlaps everything: libvirt leaves it out too */
	if (table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len == 0)
		return MNL_CB_OK;
	p = prefix_push(pl);
	p->addr = dst;
	p->prefix = rtm->rtm_dst_len;
	set_dev(p, oif);
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list *pl = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vnet_addr addr = { 0 };
	struct nl_prefix *p;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != pl->family ||
	    ifa->ifa_scope == RT_SCOPE_HOST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
		if (mnl_attr_get_type(a) == IFA_LOCAL ||
		    (mnl_attr_get_type(a) == IFA_ADDRESS && !addr.family))
			addr_from_attr(a, pl->family, &addr);
	if (!addr.family)
		return MNL_CB_OK;
	p = prefix_push(pl);
	p->addr = addr;
	p->prefix = ifa->ifa_prefixlen;
	set_dev(p, (int)ifa->ifa_index);
	return MNL_CB_OK;
}

static int dump(struct nl *nl, uint16_t type, size_t hdr_len, int family, mnl_cb_t cb,
		struct prefix_list *pl)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint8_t *hdr;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	hdr = mnl_nlmsg_put_extra_header(nlh, hdr_len);
	hdr[0] = (uint8_t)family;	/* rtm_family / ifa_family come first */
	return nl_talk(nl, nlh, cb, pl);
}

int nl_host_prefixes(struct nl *nl, int family, struct nl_prefix **out, size_t *n,
		     struct err **errp)
{
	struct prefix_list pl = { .family = family };

	if (dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), family, route_cb, &pl) < 0 ||
	    dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), family, addr_cb, &pl) < 0) {
		free(pl.items);
		return err_set_errno(errp, ERR_SYSTEM, errno,
				     _("cannot list the host's routes and addresses"));
	}
	*out = pl.items;
	*n = pl.n;
	return 0;
}
