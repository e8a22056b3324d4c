/* The nftables table of one vireo network.
 *
 * Each network that routes (forward mode nat or route) or is isolated (none) gets a
 * table of its own, `ip vireo-NAME`, and nothing else is touched: starting the
 * network loads the table in one `nft -f` transaction, destroying it deletes the
 * table. Its chains:
 *
 *   forward     (filter hook forward, priority filter): traffic of the subnet out of
 *               the bridge and (nat: established/related only) back in, guests among
 *               themselves on the bridge; anything else into or out of the bridge is
 *               rejected (libvirt's rules, in nftables form)
 *   postrouting (nat hook postrouting, priority srcnat; nat only): masquerade what
 *               leaves the subnet, TCP/UDP with source ports from the NAT range
 *               (1024-65535 unless <nat><port> says otherwise), except multicast and
 *               broadcast
 *
 * A table of an accept-policy chain cannot let through what another table drops: a
 * host firewall that drops forwarded traffic still does. */
#ifndef VIREO_DAEMON_NETWORK_NFT_H
#define VIREO_DAEMON_NETWORK_NFT_H

#include "lib/conf/network.h"
#include "lib/util/err.h"

/* The table's name for network `name` ("vireo-NAME"; names with characters nft does
 * not take bare get "vireo-" and the uuid's first 8 hex digits). New string. */
char *nft_table_name(const char *name, const uint8_t uuid[16]);

/* Whether a network of this forward mode gets a table at all (open and bridge: no). */
bool nft_wanted(const struct vnetwork *net);

/* Whether an interface name can go into a rule as a quoted string (letters, digits,
 * '.', '_', '-'); -1 naming it when not. */
int nft_check_ifname(const char *what, const char *name, struct err **errp);

/* The ruleset file that (re)creates the table for net on bridge: an `nft -f` input
 * that first deletes any table of that name (a leftover), all in one transaction.
 * New string. */
char *nft_ruleset(const struct vnetwork *net, const char *table, const char *bridge);

/* Load / delete the table through the nft command. ruleset_path: where to write the
 * file (the network's run dir). */
int nft_apply(const char *table, const char *ruleset, const char *ruleset_path,
	      struct err **errp);
int nft_delete(const char *table, struct err **errp);
/* True when the table exists. */
bool nft_table_exists(const char *table);

#endif
