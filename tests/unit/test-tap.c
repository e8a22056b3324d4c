/* Unit tests: drivers/net/tap (the tap back-end of virtio-net) on real taps, in a
 * network namespace of its own (unshare(CLONE_NEWNET): nothing outside it is seen or
 * touched). Without root or network namespaces only the pure parts run; the rest are
 * skipped with the reason. */
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drivers/net/tap.h"

static const char *no_netns;	/* why the real-tap tests cannot run, or NULL */

#define NEED_NETNS()                                                   \
	do {                                                           \
		if (no_netns) {                                        \
			print_message("skipped: %s\n", no_netns);      \
			skip();                                        \
		}                                                      \
	} while (0)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int if_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	rc = rc < 0 ? rc : ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return rc;
}

/* An fd of a new tap `name` with these TUNSETIFF flags, or -1. */
static int raw_tap(const char *name, short flags)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A packet socket on interface name (sees what goes in and out of it). */
static int packet_socket(const char *name, int *ifindex)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	assert_true(s >= 0);
	*ifindex = (int)if_nametoindex(name);
	a.sll_ifindex = *ifindex;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* An IPv4/UDP frame (no checksums needed for delivery to a tap) of flow `flow`,
 * carrying the marker "VTAP". Returns its length. */
static size_t udp_frame(uint8_t *f, unsigned flow)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t len = 14 + 20 + 8 + 4;

	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 20 + 8 + 4;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, (uint8_t[4]){ 192, 0, 2, 1 }, 4);
	memcpy(f + 30, (uint8_t[4]){ 192, 0, 2, 2 }, 4);
	f[34] = (uint8_t)(flow >> 8);
	f[35] = (uint8_t)flow;
	f[36] = 0x4e;
	f[37] = 0x20;
	f[39] = 8 + 4;
	memcpy(f + 42, "VTAP", 4);
	return len;
}

/* Frames with our marker readable on fd now (the header skipped). */
static unsigned count_marked(int fd)
{
	uint8_t buf[2048];
	unsigned n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (r >= TAP_VNET_HDR_LEN + 46 && memcmp(buf + TAP_VNET_HDR_LEN + 42, "VTAP", 4) == 0)
			n++;
	return n;
}

static void settle(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
}

/* ---- tests ---- */

static void offload_flags_leave_out_what_the_kernel_refuses(void **state)
{
	assert_int_equal(tap_offload_flags(&(struct tap_offload){ .csum = true, .tso4 = true,
								  .tso6 = true, .ecn = true }),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	assert_int_equal(tap_offload_flags(&(struct tap_offload){ .tso4 = true, .ufo = true }), 0);
	assert_int_equal(tap_offload_flags(&(struct tap_offload){ .csum = true, .ecn = true }),
			 TUN_F_CSUM);
	assert_int_equal(tap_offload_flags(&(struct tap_offload){ .csum = true, .ufo = true }),
			 TUN_F_CSUM | TUN_F_UFO);
}

static void open_makes_a_nonblocking_multiqueue_tap_with_the_header(void **state)
{
	struct err *e = NULL;
	struct tap *t;
	struct ifreq ifr = { 0 };
	int sz = 0;

	NEED_NETNS();
	t = tap_open("vtest0", 2, true, &e);
	assert_null(e);
	assert_non_null(t);
	assert_int_equal(tap_queues(t), 2);
	assert_string_equal(tap_ifname(t), "vtest0");
	assert_true(tap_has_vnet_hdr(t));
	assert_int_equal(tap_fd(t, 2), -1);
	for (unsigned q = 0; q < 2; q++) {
		assert_true(fcntl(tap_fd(t, q), F_GETFL) & O_NONBLOCK);
		assert_true(tap_queue_enabled(t, q));
	}
	assert_int_equal(ioctl(tap_fd(t, 1), TUNGETIFF, &ifr), 0);
	assert_int_equal(ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE),
			 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
	assert_int_equal(tap_set_vnet_hdr_len(t, TAP_VNET_HDR_LEN, &e), 0);
	assert_int_equal(ioctl(tap_fd(t, 0), TUNGETVNETHDRSZ, &sz), 0);
	assert_int_equal(sz, TAP_VNET_HDR_LEN);
	/* Offloads the guest can take; TSO without CSUM is what the kernel refuses. */
	assert_int_equal(tap_set_offload(t, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN, &e), 0);
	assert_int_equal(ioctl(tap_fd(t, 0), TUNSETOFFLOAD, (unsigned long)TUN_F_TSO4), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tap_set_offload(t, 0, &e), 0);
	tap_free(t);
	assert_null(tap_open("a-name-that-is-too-long", 1, true, &e));
	assert_err(e, ERR_INVALID, "longer than");
}

static void frames_cross_with_the_12_byte_header_in_front(void **state)
{
	struct err *e = NULL;
	struct tap *t;
	uint8_t frame[128], buf[256];
	int ps, ifindex;
	size_t len;
	ssize_t r;

	NEED_NETNS();
	t = tap_open("vtest1", 1, true, &e);
	assert_non_null(t);
	assert_int_equal(tap_set_vnet_hdr_len(t, TAP_VNET_HDR_LEN, &e), 0);
	assert_int_equal(if_up("vtest1"), 0);
	ps = packet_socket("vtest1", &ifindex);
	/* Guest to host: header + frame into the fd, the frame alone on the wire. */
	memset(buf, 0, TAP_VNET_HDR_LEN);
	len = udp_frame(buf + TAP_VNET_HDR_LEN, 1);
	assert_int_equal(write(tap_fd(t, 0), buf, TAP_VNET_HDR_LEN + len),
			 (ssize_t)(TAP_VNET_HDR_LEN + len));
	settle();
	r = recv(ps, frame, sizeof(frame), 0);
	assert_int_equal(r, (ssize_t)len);
	assert_memory_equal(frame, buf + TAP_VNET_HDR_LEN, len);
	/* Host to guest: the frame sent on the interface comes out after a header. */
	len = udp_frame(frame, 2);
	assert_int_equal(sendto(ps, frame, len, 0,
				(struct sockaddr *)&(struct sockaddr_ll){
					.sll_family = AF_PACKET, .sll_ifindex = ifindex,
					.sll_halen = 6 }, sizeof(struct sockaddr_ll)), (ssize_t)len);
	settle();
	r = read(tap_fd(t, 0), buf, sizeof(buf));
	assert_int_equal(r, (ssize_t)(TAP_VNET_HDR_LEN + len));
	assert_memory_equal(buf + TAP_VNET_HDR_LEN, frame, len);
	assert_int_equal(buf[0], 0);	/* no offload flags were allowed */
	close(ps);
	tap_free(t);
}

static void a_detached_queue_gets_no_packets_and_comes_back_when_attached(void **state)
{
	struct err *e = NULL;
	struct tap *t;
	uint8_t frame[128];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	int ps;
	unsigned on0, on1;

	NEED_NETNS();
	t = tap_open("vtest2", 2, true, &e);
	assert_non_null(t);
	assert_int_equal(tap_set_vnet_hdr_len(t, TAP_VNET_HDR_LEN, &e), 0);
	assert_int_equal(if_up("vtest2"), 0);
	ps = packet_socket("vtest2", &to.sll_ifindex);
	assert_int_equal(tap_queue_enable(t, 1, false, &e), 0);
	assert_false(tap_queue_enabled(t, 1));
	assert_int_equal(tap_queue_enable(t, 1, false, &e), 0);	/* twice: a no-op */
	for (unsigned flow = 0; flow < 64; flow++) {
		size_t len = udp_frame(frame, flow);

		assert_int_equal(sendto(ps, frame, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
	settle();
	on0 = count_marked(tap_fd(t, 0));
	assert_int_equal(on0, 64);
	assert_int_equal(read(tap_fd(t, 1), frame, sizeof(frame)), -1);	/* nothing */
	/* Attached again, the 64 flows spread over both queues. */
	assert_int_equal(tap_queue_enable(t, 1, true, &e), 0);
	for (unsigned flow = 0; flow < 64; flow++) {
		size_t len = udp_frame(frame, flow);

		sendto(ps, frame, len, 0, (struct sockaddr *)&to, sizeof(to));
	}
	settle();
	on0 = count_marked(tap_fd(t, 0));
	on1 = count_marked(tap_fd(t, 1));
	assert_int_equal(on0 + on1, 64);
	assert_true(on1 > 0);
	close(ps);
	tap_free(t);
}

static void adopted_fds_must_be_queues_of_one_tap(void **state)
{
	struct err *e = NULL;
	struct tap *t;
	int mq[2], other, tun, plain, null_fd;

	NEED_NETNS();
	mq[0] = raw_tap("vtest3", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
	mq[1] = raw_tap("vtest3", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
	other = raw_tap("vtest4", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
	tun = raw_tap("vtun5", IFF_TUN | IFF_NO_PI);
	plain = raw_tap("vtest7", IFF_TAP | IFF_NO_PI);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(mq[0] >= 0 && mq[1] >= 0 && other >= 0 && tun >= 0 && plain >= 0);

	assert_null(tap_from_fds(&null_fd, 1, "-netdev tap,id=n0", &e));
	assert_err(e, ERR_INVALID, "is not a tap");
	assert_null(tap_from_fds(&tun, 1, "-netdev tap,id=n0", &e));
	assert_err(e, ERR_INVALID, "tun, not a tap");
	assert_null(tap_from_fds((int[]){ mq[0], other }, 2, "-netdev tap,id=n0", &e));
	assert_err(e, ERR_INVALID, "not a queue of the tap vtest3");
	assert_null(tap_from_fds((int[]){ plain, plain }, 2, "-netdev tap,id=n0", &e));
	assert_err(e, ERR_INVALID, "not multi-queue");

	t = tap_from_fds(mq, 2, "-netdev tap,id=n0", &e);
	assert_null(e);
	assert_string_equal(tap_ifname(t), "vtest3");
	assert_true(tap_has_vnet_hdr(t));
	assert_true(fcntl(mq[1], F_GETFL) & O_NONBLOCK);
	tap_free(t);		/* closes mq[0], mq[1] */
	t = tap_from_fds(&plain, 1, "-netdev tap,id=n0", &e);
	assert_non_null(t);
	assert_false(tap_has_vnet_hdr(t));
	assert_int_equal(tap_set_offload(t, TUN_F_CSUM, &e), -1);
	assert_err(e, ERR_UNSUPPORTED, "IFF_VNET_HDR");
	assert_int_equal(tap_set_offload(t, 0, &e), 0);
	tap_free(t);
	close(other);
	close(tun);
	close(null_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offload_flags_leave_out_what_the_kernel_refuses),
		cmocka_unit_test(open_makes_a_nonblocking_multiqueue_tap_with_the_header),
		cmocka_unit_test(frames_cross_with_the_12_byte_header_in_front),
		cmocka_unit_test(a_detached_queue_gets_no_packets_and_comes_back_when_attached),
		cmocka_unit_test(adopted_fds_must_be_queues_of_one_tap),
	};

	/* Every tap lives in a namespace of this process only (gone when it exits). */
	if (geteuid() != 0)
		no_netns = "needs root for a network namespace and taps";
	else if (unshare(CLONE_NEWNET) < 0)
		no_netns = "unshare(CLONE_NEWNET) failed";
	else if (access("/dev/net/tun", R_OK | W_OK) < 0)
		no_netns = "no /dev/net/tun";
	if (!no_netns) {
		/* No IPv6 chatter (router solicitations) on the test's taps. */
		write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
		write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	}
	return cmocka_run_group_tests_name("tap", tests, NULL, NULL);
}
