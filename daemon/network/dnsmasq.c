/* A network's dnsmasq: see dnsmasq.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/network/cmd.h"
#include "daemon/network/dnsmasq.h"
#include "daemon/network/subnet.h"
#include "lib/util/buf.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

bool dnsmasq_wanted(const struct vnetwork *net)
{
	if (net->forward.mode == VNET_FWD_BRIDGE)
		return false;
	for (size_t i = 0; i < net->n_ips; i++)
		if (net->ips[i].address.family == AF_INET)
			return true;
	return false;
}

static bool has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int check_value(const char *what, const char *v, const char *also_bad,
		       struct err **errp)
{
	if (has_control(v) || (v && also_bad && strpbrk(v, also_bad)))
		return err_set(errp, ERR_INVALID,
			       _("%s '%s' cannot go into dnsmasq's configuration"), what, v);
	return 0;
}

int dnsmasq_check(const struct vnetwork *net, struct err **errp)
{
	if (check_value("<domain name>", net->domain, "/", errp) < 0)
		return -1;
	for (size_t i = 0; i < net->n_ips; i++) {
		const struct vnet_ip *ip = &net->ips[i];

		if (check_value("<bootp file>", ip->bootp_file, ",", errp) < 0 ||
		    check_value("<tftp root>", ip->tftp_root, NULL, errp) < 0)
			return -1;
		for (size_t h = 0; h < ip->n_hosts; h++)
			if (check_value("<host name>", ip->hosts[h].name, ",", errp) < 0)
				return -1;
	}
	return 0;
}

/* "255.255.255.0" for a prefix length. */
static void netmask_text(unsigned prefix, char *buf)
{
	struct vnet_addr m = { .family = AF_INET };

	for (unsigned i = 0; i < prefix && i < 32; i++)
		m.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	vnet_addr_format(&m, buf);
}

/* The DHCP part of one <ip>; adds its addresses to *lease_max. */
static void dhcp_lines(struct buf *b, const struct vnet_ip *ip, unsigned long *lease_max)
{
	char s[VNET_ADDR_STRLEN], e[VNET_ADDR_STRLEN], mask[VNET_ADDR_STRLEN];

	netmask_text(vnet_ip_prefix(ip), mask);
	for (size_t r = 0; r < ip->n_ranges; r++) {
		const struct vnet_dhcp_range *range = &ip->ranges[r];

		buf_appendf(b, NULL, "dhcp-range=%s,%s,%s\n", vnet_addr_format(&range->start, s),
			    vnet_addr_format(&range->end, e), mask);
		*lease_max += subnet_range_size(&range->start, &range->end);
	}
	/* static hosts without a range still need dnsmasq to serve the subnet */
	if (!ip->n_ranges && ip->n_hosts)
		buf_appendf(b, NULL, "dhcp-range=%s,static\n",
			    vnet_addr_format(&ip->address, s));
	for (size_t h = 0; h < ip->n_hosts; h++) {
		const struct vnet_dhcp_host *host = &ip->hosts[h];
		struct strv parts = STRV_INIT;
		char *line;

		if (host->mac)
			strv_push(&parts, host->mac);
		if (host->ip.family)
			strv_push(&parts, vnet_addr_format(&host->ip, s));
		if (host->name)
			strv_push(&parts, host->name);
		line = strv_join(&parts, ",");
		buf_appendf(b, NULL, "dhcp-host=%s\n", line);
		free(line);
		strv_free(&parts);
		*lease_max += host->ip.family ? 0 : 1;
	}
	if (ip->bootp_file) {
		if (ip->bootp_server.family)
			buf_appendf(b, NULL, "dhcp-boot=%s,,%s\n", ip->bootp_file,
				    vnet_addr_format(&ip->bootp_server, s));
		else
			buf_appendf(b, NULL, "dhcp-boot=%s\n", ip->bootp_file);
	}
	if (ip->tftp_root)
		buf_appendf(b, NULL, "enable-tftp\ntftp-root=%s\n", ip->tftp_root);
}

char *dnsmasq_conf(const struct vnetwork *net, const char *bridge, const struct dnsmasq_paths *p)
{
	struct buf b = BUF_INIT;
	unsigned long lease_max = 0;
	bool dhcp = false;

	buf_appendf(&b, NULL, "## written by vireod for network '%s': changes are lost at the "
			      "next start (use vireo net-define)\n", net->name);
	/* libvirt's choices: only the bridge, never the loopback; bind-dynamic so a
	 * second network's dnsmasq can bind its own bridge */
	buf_appendf(&b, NULL, "strict-order\npid-file=%s\nexcept-interface=lo\nbind-dynamic\n"
			      "interface=%s\n", p->pid, bridge);
	if (net->domain)
		buf_appendf(&b, NULL, "domain=%s\nexpand-hosts\nlocal=/%s/\n", net->domain,
			    net->domain);
	for (size_t i = 0; i < net->n_ips; i++) {
		const struct vnet_ip *ip = &net->ips[i];

		if (ip->address.family != AF_INET)
			continue;
		if (ip->n_ranges || ip->n_hosts)
			dhcp = true;
		dhcp_lines(&b, ip, &lease_max);
	}
	if (dhcp) {
		buf_appendf(&b, NULL, "dhcp-no-override\ndhcp-authoritative\n");
		if (lease_max)
			buf_appendf(&b, NULL, "dhcp-lease-max=%lu\n", lease_max);
		buf_appendf(&b, NULL, "dhcp-leasefile=%s\n", p->leases);
	}
	return buf_steal(&b);
}

static int read_pid_file(const char *path, pid_t *pid, struct err **errp)
{
	char *text = NULL;
	int v = 0;

	if (file_read_all(path, 64, &text, NULL, errp) < 0)
		return -1;
	text[strcspn(text, "\n")] = '\0';
	if (parse_int(text, 1, INT32_MAX, &v, NULL) < 0) {
		free(text);
		return err_set(errp, ERR_PARSE, _("%s holds no pid"), path);
	}
	free(text);
	*pid = v;
	return 0;
}

int dnsmasq_start(const struct vnetwork *net, const char *bridge, const struct dnsmasq_paths *p,
		  pid_t *pid, struct err **errp)
{
	char *conf = dnsmasq_conf(net, bridge, p), *prog = netcmd_find("dnsmasq");
	char *arg = xasprintf("--conf-file=%s", p->conf), *out = NULL;
	char *argv[] = { prog, arg, NULL };
	int rc = -1, status;

	*pid = 0;
	if (!prog) {
		err_set(errp, ERR_NOT_FOUND,
			_("dnsmasq is not installed (Debian package dnsmasq-base)"));
		goto done;
	}
	unlink(p->pid);
	if (file_write_atomic(p->conf, conf, strlen(conf), 0600, errp) < 0)
		goto done;
	status = netcmd_run(argv, &out, errp);
	if (status > 0)
		err_set(errp, ERR_SYSTEM, "%s", out && *out ? out : _("dnsmasq failed"));
	if (status == 0 && read_pid_file(p->pid, pid, errp) == 0)
		rc = 0;
done:
	if (rc < 0)
		err_wrap(errp, err_code(*errp), _("cannot start dnsmasq for network '%s'"),
			 net->name);
	free(out);
	free(arg);
	free(prog);
	free(conf);
	return rc;
}

bool dnsmasq_is_running(pid_t pid, const char *conf_path)
{
	char *needle = xasprintf("--conf-file=%s", conf_path);
	bool yes = netcmd_pid_matches(pid, needle);

	free(needle);
	return yes;
}

void dnsmasq_stop(pid_t pid, const char *conf_path)
{
	if (dnsmasq_is_running(pid, conf_path))
		netcmd_stop_pid(pid);
}
