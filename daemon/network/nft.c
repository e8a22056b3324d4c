/* A network's nftables table: see nft.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/network/cmd.h"
#include "daemon/network/nft.h"
#include "daemon/network/subnet.h"
#include "lib/util/buf.h"
#include "lib/util/file.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

#define NAT_PORT_MIN 1024
#define NAT_PORT_MAX 65535

/* Letters, digits, '_', '-', '.': a bare nft word after a letter, and nothing that
 * could end a quoted string. */
static bool nft_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

int nft_check_ifname(const char *what, const char *name, struct err **errp)
{
	if (name && !nft_safe(name))
		return err_set(errp, ERR_INVALID,
			       _("%s '%s': only letters, digits, '.', '_' and '-' can go into "
				 "nftables rules"), what, name);
	return 0;
}

char *nft_table_name(const char *name, const uint8_t uuid[16])
{
	bool bare = nft_safe(name);

	/* NFT_NAME_MAXLEN is 256 with the NUL: room for "vireo-" and any name we keep */
	if (bare && strlen(name) <= 200)
		return xasprintf("vireo-%s", name);
	return xasprintf("vireo-%02x%02x%02x%02x", uuid[0], uuid[1], uuid[2], uuid[3]);
}

bool nft_wanted(const struct vnetwork *net)
{
	switch (net->forward.mode) {
	case VNET_FWD_NAT:
	case VNET_FWD_ROUTE:
	case VNET_FWD_NONE:
		return true;
	case VNET_FWD_OPEN:
	case VNET_FWD_BRIDGE:
		break;
	}
	return false;
}

/* The forward chain's rules for one IPv4 subnet. */
static void forward_rules(struct buf *b, const struct vnetwork *net, const char *br,
			  const char *sub, const char *out_dev)
{
	char oif[64] = "";

	if (out_dev)
		snprintf(oif, sizeof(oif), "oifname \"%s\" ", out_dev);
	if (net->forward.mode == VNET_FWD_NAT)
		buf_appendf(b, NULL,
			    "\t\toifname \"%s\" ip daddr %s ct state related,established accept\n",
			    br, sub);
	else
		buf_appendf(b, NULL, "\t\toifname \"%s\" ip daddr %s accept\n", br, sub);
	buf_appendf(b, NULL, "\t\tiifname \"%s\" %sip saddr %s accept\n", br, oif, sub);
}

static void masquerade_rules(struct buf *b, const struct vnetwork *net, const char *sub,
			     const char *out_dev)
{
	unsigned lo = net->forward.port_start ? net->forward.port_start : NAT_PORT_MIN;
	unsigned hi = net->forward.port_end ? net->forward.port_end : NAT_PORT_MAX;
	char oif[64] = "";

	if (out_dev)
		snprintf(oif, sizeof(oif), "oifname \"%s\" ", out_dev);
	buf_appendf(b, NULL, "\t\tip saddr %s ip daddr 224.0.0.0/24 return\n", sub);
	buf_appendf(b, NULL, "\t\tip saddr %s ip daddr 255.255.255.255 return\n", sub);
	buf_appendf(b, NULL,
		    "\t\t%sip saddr %s ip daddr != %s meta l4proto { tcp, udp } masquerade to :%u-%u\n",
		    oif, sub, sub, lo, hi);
	buf_appendf(b, NULL, "\t\t%sip saddr %s ip daddr != %s masquerade\n", oif, sub, sub);
}

char *nft_ruleset(const struct vnetwork *net, const char *table, const char *bridge)
{
	struct buf b = BUF_INIT;
	const char *out_dev = net->forward.n_devs ? net->forward.devs[0] : NULL;
	bool nat = net->forward.mode == VNET_FWD_NAT;
	char sub[SUBNET_STRLEN];

	buf_appendf(&b, NULL, "# vireod: the table of network '%s' (bridge %s)\n", net->name,
		    bridge);
	/* create-then-delete makes the delete safe when no old table is there */
	buf_appendf(&b, NULL, "table ip %s\ndelete table ip %s\n", table, table);
	buf_appendf(&b, NULL, "table ip %s {\n", table);
	buf_appendf(&b, NULL, "\tchain forward {\n"
			      "\t\ttype filter hook forward priority filter; policy accept;\n");
	for (size_t i = 0; net->forward.mode != VNET_FWD_NONE && i < net->n_ips; i++) {
		const struct vnet_ip *ip = &net->ips[i];

		if (ip->address.family != AF_INET)
			continue;
		subnet_format(&ip->address, vnet_ip_prefix(ip), sub);
		forward_rules(&b, net, bridge, sub, out_dev);
	}
	buf_appendf(&b, NULL, "\t\tiifname \"%s\" oifname \"%s\" accept\n", bridge, bridge);
	buf_appendf(&b, NULL, "\t\tiifname \"%s\" reject\n", bridge);
	buf_appendf(&b, NULL, "\t\toifname \"%s\" reject\n", bridge);
	buf_appendf(&b, NULL, "\t}\n");
	if (nat) {
		buf_appendf(&b, NULL,
			    "\tchain postrouting {\n"
			    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
		for (size_t i = 0; i < net->n_ips; i++) {
			const struct vnet_ip *ip = &net->ips[i];

			if (ip->address.family != AF_INET)
				continue;
			subnet_format(&ip->address, vnet_ip_prefix(ip), sub);
			masquerade_rules(&b, net, sub, out_dev);
		}
		buf_appendf(&b, NULL, "\t}\n");
	}
	buf_appendf(&b, NULL, "}\n");
	return buf_steal(&b);
}

/* Run nft with args; an error carries what nft said. */
static int run_nft(char **args, size_t nargs, struct err **errp)
{
	char *nft = netcmd_find("nft"), *out = NULL;
	struct strv argv = STRV_INIT;
	int rc;

	if (!nft)
		return err_set(errp, ERR_NOT_FOUND,
			       _("the nft command is not installed (Debian package nftables)"));
	strv_push_take(&argv, nft);
	for (size_t i = 0; i < nargs; i++)
		strv_push(&argv, args[i]);
	rc = netcmd_run((char *const *)strv_array(&argv), &out, errp);
	if (rc > 0)
		err_set(errp, ERR_SYSTEM, _("nft failed: %s"), out && *out ? out : "?");
	free(out);
	strv_free(&argv);
	return rc == 0 ? 0 : -1;
}

int nft_apply(const char *table, const char *ruleset, const char *ruleset_path,
	      struct err **errp)
{
	char *args[] = { "-f", (char *)ruleset_path };

	if (file_write_atomic(ruleset_path, ruleset, strlen(ruleset), 0600, errp) < 0 ||
	    run_nft(args, 2, errp) < 0)
		return err_wrap(errp, err_code(*errp), _("cannot load nftables table '%s'"), table);
	return 0;
}

int nft_delete(const char *table, struct err **errp)
{
	char *args[] = { "delete", "table", "ip", (char *)table };

	if (!nft_table_exists(table))
		return 0;
	return run_nft(args, 4, errp);
}

bool nft_table_exists(const char *table)
{
	char *args[] = { "list", "table", "ip", (char *)table };

	return run_nft(args, 4, NULL) == 0;
}
