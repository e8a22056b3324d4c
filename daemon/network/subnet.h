/* Subnets of vireo networks: the prefix of an <ip>, overlaps between prefixes (pure
 * functions, unit-tested in tests/unit/test-net-logic.c). */
#ifndef VIREO_DAEMON_NETWORK_SUBNET_H
#define VIREO_DAEMON_NETWORK_SUBNET_H

#include <stdbool.h>

#include "lib/conf/network.h"

/* The network address of a/prefix (host bits cleared). */
struct vnet_addr subnet_base(const struct vnet_addr *a, unsigned prefix);

/* True when a/pa and b/pb share an address: one contains the other. Different
 * families never overlap. */
bool subnet_overlap(const struct vnet_addr *a, unsigned pa, const struct vnet_addr *b,
		    unsigned pb);

/* "192.0.2.0/24" into buf (VNET_ADDR_STRLEN + 4 bytes); returns buf. */
#define SUBNET_STRLEN (VNET_ADDR_STRLEN + 4)
char *subnet_format(const struct vnet_addr *a, unsigned prefix, char *buf);

/* The number of addresses from start to end inclusive (IPv4; 0 if end < start). */
unsigned long subnet_range_size(const struct vnet_addr *start, const struct vnet_addr *end);

#endif
