/* The user-mode back-end of virtio-net (QEMU's -netdev user): libslirp in the worker.
 *
 * libslirp is a TCP/IP stack that stands for a router, a DHCP server and a DNS
 * forwarder on a private network (QEMU's defaults: 10.0.2.0/24, gateway .2, DNS .3,
 * DHCP from .15); guest connections leave as ordinary sockets of this process, so no
 * privilege is needed. hostfwd= rules listen on the host and forward into the guest.
 *
 * Frames cross between the device and slirp through a SOCK_DGRAM socketpair, one frame
 * per datagram, without a virtio_net_hdr: the device's pair thread reads and writes its
 * end as it would a tap fd, and slirp runs only in the thread of the event loop given
 * to slirp_net_new (the worker's main loop), which owns the other end. So slirp needs no
 * lock, and the device needs no change. Knows nothing of virtio. */
#ifndef VIREO_DRIVERS_NET_SLIRP_H
#define VIREO_DRIVERS_NET_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"
#include "lib/util/evloop.h"
#include "lib/util/log.h"

#define SLIRP_NET_MAX_FWD	64

struct slirp_net_fwd {
	bool udp;
	struct in_addr host_addr;	/* INADDR_ANY when not given */
	uint16_t host_port;
	struct in_addr guest_addr;	/* 0: the first DHCP address */
	uint16_t guest_port;
};

/* QEMU's NetdevUserOptions, the subset kept. */
struct slirp_net_opts {
	struct in_addr net, mask;	/* net=ADDR[/MASK] */
	struct in_addr host;		/* host= (the gateway), 0: net + 2 */
	struct in_addr dns;		/* dns=, 0: net + 3 */
	struct in_addr dhcp_start;	/* dhcpstart=, 0: net + 15 */
	bool restricted;		/* restrict=on: no connections out of the guest net */
	bool ipv4, ipv6;		/* ipv4=, ipv6= (both on by default) */
	char *hostname;			/* hostname= (DHCP option 12), or NULL */
	char *domainname;		/* domainname= (DHCP option 15), or NULL */
	struct slirp_net_fwd fwd[SLIRP_NET_MAX_FWD];
	unsigned n_fwd;
};

/* QEMU's defaults: 10.0.2.0/24, IPv4 and IPv6 on, not restricted, no forwards. */
void slirp_net_opts_init(struct slirp_net_opts *o);
/* One option, as -netdev user spells it (net, host, dns, dhcpstart, restrict, ipv4,
 * ipv6, hostname, domainname, hostfwd; hostfwd again adds a rule). what names the
 * netdev in errors ("-netdev user,id=n0"). Returns 0, or -1 with ERR_USAGE naming key,
 * or ERR_UNSUPPORTED for QEMU options vireo-vmm does not have. */
int slirp_net_opts_set(struct slirp_net_opts *o, const char *what, const char *key,
		       const char *value, struct err **errp);
/* After the last option: fill the defaults from net= and check that the addresses
 * fit together (host, dns and dhcpstart inside net and not its network or broadcast
 * address, ...). Returns 0 or -1 with an error naming the option. */
int slirp_net_opts_finish(struct slirp_net_opts *o, const char *what, struct err **errp);
void slirp_net_opts_free(struct slirp_net_opts *o);
/* "tcp:127.0.0.1:2222-:22" into f. Returns 0 or -1 (error names what and the rule). */
int slirp_net_parse_hostfwd(const char *s, const char *what, struct slirp_net_fwd *f,
			    struct err **errp);

struct slirp_net;

/* Start slirp with o (finished) on loop, with its hostfwd listeners open. *guest_fd
 * gets the device's end of the frame channel (non-blocking; still the slirp_net's:
 * closed by slirp_net_free). Returns NULL with an error naming what (a hostfwd port
 * in use, ...). */
struct slirp_net *slirp_net_new(const struct slirp_net_opts *o, struct evloop *loop,
				const struct logger *log, const char *what, int *guest_fd,
				struct err **errp);
/* From the loop's thread. NULL is fine. */
void slirp_net_free(struct slirp_net *s);

/* Frames each way (the main loop's view), for the tests and query commands. */
struct slirp_net_stats {
	uint64_t to_slirp, to_guest, to_guest_dropped;
};
void slirp_net_get_stats(const struct slirp_net *s, struct slirp_net_stats *out);

#endif
