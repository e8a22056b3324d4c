/* Benchmark helper: the host side of the test guest's "netbench" rx phases.
 *
 * tap-blast [-t MSS] IFNAME DSTMAC SIZE SECONDS [FLOWS]
 * Sends SIZE-byte Ethernet frames (60-9014, without the FCS) to DSTMAC out of IFNAME (the
 * tap, from the kernel's side: the worker reads them) as fast as it can for SECONDS, or
 * until SIGTERM/SIGINT: UDP/IPv4 192.0.2.1 -> 192.0.2.2 port 9 (discard), source ports
 * 40000 up to 40000 + FLOWS - 1 (default 64) in turn, so a multi-queue tap spreads them
 * over its queues by flow hash. An AF_PACKET socket with PACKET_QDISC_BYPASS, sendmmsg()
 * in batches of 64. A full tap queue drops the frame and says ENOBUFS: then the sender
 * sleeps BACKOFF_US, so that on a small host it leaves the CPU to the worker that drains
 * the queue instead of spinning on drops. Prints "tap-blast: N frames in T s (R frames/s),
 * D dropped (full queue)" and exits 0 (1 when nothing could be sent, 2 for a usage
 * error).
 *
 * -t MSS (the rxtso phase): TCP/IPv4 frames of SIZE bytes (up to 65549: IPv4 total length
 * 65535) instead, 192.0.2.1:40000+flow -> 192.0.2.2:5001, each behind a virtio_net_hdr
 * (PACKET_VNET_HDR): GSO TCPV4 with gso_size MSS, NEEDS_CSUM (the TCP checksum field holds
 * the pseudo-header sum). The kernel checks the header and, as the tap has TSO4 (the VMM's
 * TUNSETOFFLOAD once the guest took GUEST_TSO4), hands the frame on whole; without TSO4 on
 * the tap the stack cuts it into MSS segments before the tap. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf/domain_parse.h"
#include "lib/util/parse.h"

#define BATCH		64
#define MAX_FLOWS	256
#define MAX_SIZE	9014
#define MAX_GSO_SIZE	(14 + 65535)
#define BACKOFF_US	20

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The Internet checksum of an IPv4 header. */
static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~fold(sum16(0, p, len));
}

/* One frame of `size` bytes for flow `flow` into f: UDP (checksum 0: none, valid in IPv4),
 * or with tcp TCP (ACK|PSH, the checksum field the pseudo-header sum for NEEDS_CSUM). */
static void build_frame(uint8_t *f, unsigned size, const uint8_t dst[6], unsigned flow, bool tcp)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t sip[4] = { 192, 0, 2, 1 }, dip[4] = { 192, 0, 2, 2 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t v;

	memset(f, 0x5a, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, tcp ? 40 : 28);
	ip[0] = 0x45;
	v = htons((uint16_t)(size - 14));
	memcpy(ip + 2, &v, 2);
	ip[6] = tcp ? 0x40 : 0;	/* DF on TCP */
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	memcpy(ip + 12, sip, 4);
	memcpy(ip + 16, dip, 4);
	v = htons(ip_csum(ip, 20));
	memcpy(ip + 10, &v, 2);
	v = htons((uint16_t)(40000 + flow));
	memcpy(udp, &v, 2);
	if (tcp) {
		uint8_t *th = udp;

		v = htons(5001);
		memcpy(th + 2, &v, 2);
		th[7] = 1;		/* seq 1 */
		th[11] = 1;		/* ack 1 */
		th[12] = 5 << 4;	/* 20-byte header */
		th[13] = 0x18;		/* ACK | PSH */
		th[14] = th[15] = 0xff;
		v = htons(fold(sum16(sum16(0, sip, 4), dip, 4) + 6 + size - 34));
		memcpy(th + 16, &v, 2);
		return;
	}
	v = htons(9);
	memcpy(udp + 2, &v, 2);
	v = htons((uint16_t)(size - 34));
	memcpy(udp + 4, &v, 2);
}

int main(int argc, char **argv)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH][2];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct virtio_net_hdr vh = { 0 };
	unsigned size, seconds, flows = 64, next = 0, mss = 0;
	uint64_t sent = 0, dropped = 0;
	const struct timespec backoff = { 0, BACKOFF_US * 1000 };
	uint8_t dst[6], *frames;
	sigset_t stop, pending;
	double t0, end;
	int fd, one = 1, a = 1;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		if (parse_uint(argv[2], 536, 9000, &mss, NULL) < 0)
			argc = 0;	/* usage */
		a = 3;
	}
	if ((argc - a != 4 && argc - a != 5) || vdom_parse_mac(argv[a + 1], dst) < 0 ||
	    parse_uint(argv[a + 2], mss ? 54 + mss + 1 : 60, mss ? MAX_GSO_SIZE : MAX_SIZE, &size,
		       NULL) < 0 ||
	    parse_uint(argv[a + 3], 1, 3600, &seconds, NULL) < 0 ||
	    (argc - a == 5 && parse_uint(argv[a + 4], 1, MAX_FLOWS, &flows, NULL) < 0)) {
		fprintf(stderr, "usage: tap-blast [-t MSS(536-9000)] IFNAME DSTMAC SIZE(60-%u; with "
			"-t: 55+MSS-%u) SECONDS [FLOWS(1-%u)]\n", MAX_SIZE, MAX_GSO_SIZE, MAX_FLOWS);
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[a]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "tap-blast: %s: %s\n", argv[a], strerror(errno));
		return 1;
	}
	frames = malloc((size_t)flows * size);
	if (!frames) {
		fprintf(stderr, "tap-blast: out of memory\n");
		return 1;
	}
	memcpy(sll.sll_addr, dst, 6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: send only, receive nothing */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "tap-blast: AF_PACKET socket on %s: %s\n", argv[a],
			strerror(errno));
		return 1;
	}
	if (mss) {
		/* Each frame behind a struct virtio_net_hdr (little-endian on x86, as the
		 * kernel reads it: vio_le()). */
		if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
			fprintf(stderr, "tap-blast: PACKET_VNET_HDR: %s\n", strerror(errno));
			return 1;
		}
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.hdr_len = 54;
		vh.gso_size = (uint16_t)mss;
		vh.csum_start = 34;
		vh.csum_offset = 16;
	}
	/* Straight to the driver: no qdisc to queue (or drop) in front of the tap. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		fprintf(stderr, "tap-blast: PACKET_QDISC_BYPASS: %s (going on)\n", strerror(errno));
	for (unsigned i = 0; i < flows; i++)
		build_frame(frames + (size_t)i * size, size, dst, i, mss);
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < BATCH; i++) {
		iov[i][0] = (struct iovec){ &vh, sizeof(vh) };
		iov[i][1].iov_len = size;
		msgs[i].msg_hdr.msg_iov = mss ? iov[i] : &iov[i][1];
		msgs[i].msg_hdr.msg_iovlen = mss ? 2 : 1;
	}
	/* Blocked, and polled between batches: the summary still gets printed. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);	/* backoff sleeps of ~BACKOFF_US */
	t0 = now_s();
	end = t0 + seconds;
	for (unsigned round = 0;; round++) {
		int n;

		for (unsigned i = 0; i < BATCH; i++) {
			iov[i][1].iov_base = frames + (size_t)next * size;
			next = (next + 1) % flows;
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
		if (n < BATCH) {
			/* The frame after the last one sent was dropped (or failed). */
			if (n < 0 && errno != ENOBUFS) {
				fprintf(stderr, "tap-blast: sendmmsg: %s\n", strerror(errno));
				break;
			}
			dropped++;
			nanosleep(&backoff, NULL);
		}
		if (round % 16 == 0) {
			if (now_s() >= end)
				break;
			sigpending(&pending);
			if (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))
				break;
		}
	}
	t0 = now_s() - t0;
	printf("tap-blast: %llu frames in %.3f s (%.0f frames/s), %llu dropped (full queue)\n",
	       (unsigned long long)sent, t0, sent / t0, (unsigned long long)dropped);
	close(fd);
	free(frames);
	return sent ? 0 : 1;
}
