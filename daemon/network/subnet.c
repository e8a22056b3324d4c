/* Subnet arithmetic: see subnet.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/network/subnet.h"

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

struct vnet_addr subnet_base(const struct vnet_addr *a, unsigned prefix)
{
	struct vnet_addr out = *a;
	unsigned bits = family_bits(a->family);

	for (unsigned i = prefix < bits ? prefix : bits; i < bits; i++)
		out.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return out;
}

bool subnet_overlap(const struct vnet_addr *a, unsigned pa, const struct vnet_addr *b,
		    unsigned pb)
{
	unsigned common = pa < pb ? pa : pb;
	struct vnet_addr x, y;

	if (a->family != b->family || !a->family)
		return false;
	/* two prefixes overlap iff they agree on the shorter one's bits */
	x = subnet_base(a, common);
	y = subnet_base(b, common);
	return memcmp(x.bytes, y.bytes, family_bits(a->family) / 8) == 0;
}

char *subnet_format(const struct vnet_addr *a, unsigned prefix, char *buf)
{
	struct vnet_addr base = subnet_base(a, prefix);
	char text[VNET_ADDR_STRLEN];

	snprintf(buf, SUBNET_STRLEN, "%s/%u", vnet_addr_format(&base, text), prefix);
	return buf;
}

static unsigned long v4(const struct vnet_addr *a)
{
	return ((unsigned long)a->bytes[0] << 24) | ((unsigned long)a->bytes[1] << 16) |
	       ((unsigned long)a->bytes[2] << 8) | a->bytes[3];
}

unsigned long subnet_range_size(const struct vnet_addr *start, const struct vnet_addr *end)
{
	if (start->family != AF_INET || end->family != AF_INET || v4(end) < v4(start))
		return 0;
	return v4(end) - v4(start) + 1;
}
