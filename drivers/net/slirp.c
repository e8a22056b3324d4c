/* The user-mode back-end (see slirp.h).
 *
 * libslirp wants a poll() loop: before each sleep slirp_pollfds_fill() lists the fds
 * it wants watched and a timeout, after it slirp_pollfds_poll() takes what happened.
 * The worker's loop is epoll, with no "before sleeping" hook; but slirp's wishes can
 * only change when we call into it, and every call into it comes from here (a frame
 * from the guest, one of its fds, its timeout, one of its timers). So after every such
 * call sync() asks slirp_pollfds_fill() again and brings the loop's fd sources and
 * the timeout timer in line with the answer. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "drivers/net/slirp.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"

#define FRAME_MAX	(65536 + 14 + 4)
#define INPUT_BUDGET	64		/* frames from the guest per loop round */
#define CHAN_BUF	(1 << 20)	/* socket buffers of the frame channel */

/* ---- options ---- */

void slirp_net_opts_init(struct slirp_net_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->net.s_addr = htonl(0x0a000200);	/* 10.0.2.0/24, QEMU's default */
	o->mask.s_addr = htonl(0xffffff00);
	o->ipv4 = o->ipv6 = true;
}

void slirp_net_opts_free(struct slirp_net_opts *o)
{
	free(o->hostname);
	free(o->domainname);
	o->hostname = o->domainname = NULL;
}

/* QEMU's mask for net= without one (net/slirp.c: classful, with its quirks). */
static uint32_t classful_mask(uint32_t addr)
{
	if (!(addr & 0x80000000))
		return 0xff000000;		/* class A */
	if ((addr & 0xfff00000) == 0xac100000)
		return 0xfff00000;		/* 172.16.0.0/12 */
	if ((addr & 0xc0000000) == 0x80000000)
		return 0xffff0000;		/* class B */
	if ((addr & 0xffff0000) == 0xc0a80000)
		return 0xffff0000;		/* 192.168.0.0/16 */
	if ((addr & 0xffff0000) == 0xc6120000)
		return 0xfffe0000;		/* 198.18.0.0/15 */
	if ((addr & 0xe0000000) == 0xe0000000)
		return 0xffffff00;		/* class C */
	return 0xfffffff0;
}

static int parse_net(struct slirp_net_opts *o, const char *what, const char *value,
		     struct err **errp)
{
	char *addr = xstrdup(value), *slash = strchr(addr, '/');
	struct in_addr net, mask;
	unsigned shift;
	int rc = -1;

	if (slash)
		*slash++ = '\0';
	if (!inet_aton(addr, &net)) {
		err_set(errp, ERR_USAGE, _("%s: net=%s: '%s' is not an IPv4 address"), what, value,
			addr);
		goto out;
	}
	if (!slash) {
		mask.s_addr = htonl(classful_mask(ntohl(net.s_addr)));
	} else if (strchr(slash, '.')) {
		uint32_t m;

		if (!inet_aton(slash, &mask) || (m = ntohl(mask.s_addr), (~m & (~m + 1)) != 0)) {
			err_set(errp, ERR_USAGE, _("%s: net=%s: '%s' is not a netmask"), what, value,
				slash);
			goto out;
		}
	} else if (parse_uint(slash, 4, 32, &shift, NULL) < 0) {
		err_set(errp, ERR_USAGE, _("%s: net=%s: the prefix length must be 4 to 32"), what,
			value);
		goto out;
	} else {
		mask.s_addr = htonl((uint32_t)(0xffffffffull << (32 - shift)));
	}
	o->net.s_addr = net.s_addr & mask.s_addr;
	o->mask = mask;
	rc = 0;
out:
	free(addr);
	return rc;
}

static int parse_addr(const char *what, const char *key, const char *value, struct in_addr *out,
		      struct err **errp)
{
	if (!inet_aton(value, out))
		return err_set(errp, ERR_USAGE, _("%s: %s=%s is not an IPv4 address"), what, key,
			       value);
	return 0;
}

static int parse_onoff(const char *what, const char *key, const char *value, bool *out,
		       struct err **errp)
{
	static const char *const yes[] = { "on", "yes", "y", "true", NULL };
	static const char *const no[] = { "off", "no", "n", "false", NULL };

	for (unsigned i = 0; yes[i]; i++) {
		if (streq(value, yes[i]))
			return *out = true, 0;
		if (streq(value, no[i]))
			return *out = false, 0;
	}
	return err_set(errp, ERR_USAGE, _("%s: %s=%s: expected on or off"), what, key, value);
}

/* get_str_sep: the text up to sep (moved past it), or NULL without sep. */
static char *take_until(char **p, char sep)
{
	char *s = *p, *end = strchr(s, sep);

	if (!end)
		return NULL;
	*end = '\0';
	*p = end + 1;
	return s;
}

int slirp_net_parse_hostfwd(const char *s, const char *what, struct slirp_net_fwd *f,
			    struct err **errp)
{
	char *copy = xstrdup(s), *p = copy, *tok;
	const char *why = NULL;
	unsigned port;

	memset(f, 0, sizeof(*f));
	if (!(tok = take_until(&p, ':')) || (!streq(tok, "tcp") && !streq(tok, "udp") && *tok))
		why = _("bad protocol name");
	else if ((f->udp = streq(tok, "udp")), !(tok = take_until(&p, ':')) ||
		 (*tok && !inet_aton(tok, &f->host_addr)))
		why = _("bad host address");
	else if (!(tok = take_until(&p, '-')) || parse_uint(tok, 0, 65535, &port, NULL) < 0)
		why = _("bad host port");
	else if ((f->host_port = (uint16_t)port), !(tok = take_until(&p, ':')) ||
		 (*tok && !inet_aton(tok, &f->guest_addr)))
		why = _("bad guest address");
	else if (parse_uint(p, 1, 65535, &port, NULL) < 0)
		why = _("bad guest port");
	else
		f->guest_port = (uint16_t)port;
	free(copy);
	if (why)
		return err_set(errp, ERR_USAGE, _("%s: hostfwd=%s: invalid forwarding rule (%s)"),
			       what, s, why);
	return 0;
}

int slirp_net_opts_set(struct slirp_net_opts *o, const char *what, const char *key,
		       const char *value, struct err **errp)
{
	/* QEMU's other -netdev user options: named, so the error is not "unknown". */
	static const char *const unsupported[] = {
		"guestfwd", "smb", "smbserver", "tftp", "bootfile", "tftp-server-name",
		"dnssearch", "ipv6-net", "ipv6-prefix", "ipv6-prefixlen", "ipv6-host",
		"ipv6-dns", "domainname6", NULL,
	};

	if (streq(key, "net"))
		return parse_net(o, what, value, errp);
	if (streq(key, "host"))
		return parse_addr(what, key, value, &o->host, errp);
	if (streq(key, "dns"))
		return parse_addr(what, key, value, &o->dns, errp);
	if (streq(key, "dhcpstart"))
		return parse_addr(what, key, value, &o->dhcp_start, errp);
	if (streq(key, "restrict"))
		return parse_onoff(what, key, value, &o->restricted, errp);
	if (streq(key, "ipv4"))
		return parse_onoff(what, key, value, &o->ipv4, errp);
	if (streq(key, "ipv6"))
		return parse_onoff(what, key, value, &o->ipv6, errp);
	if (streq(key, "hostname") || streq(key, "domainname")) {
		char **slot = streq(key, "hostname") ? &o->hostname : &o->domainname;

		free(*slot);
		*slot = xstrdup(value);
		return 0;
	}
	if (streq(key, "hostfwd")) {
		if (o->n_fwd == SLIRP_NET_MAX_FWD)
			return err_set(errp, ERR_USAGE, _("%s: more than %u hostfwd rules"), what,
				       SLIRP_NET_MAX_FWD);
		if (slirp_net_parse_hostfwd(value, what, &o->fwd[o->n_fwd], errp) < 0)
			return -1;
		o->n_fwd++;
		return 0;
	}
	for (unsigned i = 0; unsupported[i]; i++)
		if (streq(key, unsupported[i]))
			return err_set(errp, ERR_UNSUPPORTED, _("%s: %s= is not supported by vireo-vmm"),
				       what, key);
	return err_set(errp, ERR_USAGE, _("%s: unknown property '%s'"), what, key);
}

/* addr inside the guest network, and neither its network nor its broadcast address. */
static bool in_net(const struct slirp_net_opts *o, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr), m = ntohl(o->mask.s_addr);

	return (a & m) == ntohl(o->net.s_addr) && (a & ~m) != 0 && (a & ~m) != ~m;
}

int slirp_net_opts_finish(struct slirp_net_opts *o, const char *what, struct err **errp)
{
	uint32_t net = ntohl(o->net.s_addr);
	struct {
		const char *key;
		struct in_addr *a;
		uint32_t dflt;
	} addrs[] = {
		{ "host", &o->host, 2 }, { "dns", &o->dns, 3 }, { "dhcpstart", &o->dhcp_start, 15 },
	};
	char buf[INET_ADDRSTRLEN];

	if (!o->ipv4 && !o->ipv6)
		return err_set(errp, ERR_USAGE, _("%s: ipv4=off and ipv6=off leave no network"),
			       what);
	for (unsigned i = 0; i < 3; i++) {
		if (!addrs[i].a->s_addr)
			addrs[i].a->s_addr = htonl(net | addrs[i].dflt);
		if (!in_net(o, *addrs[i].a))
			return err_set(errp, ERR_USAGE,
				       _("%s: %s=%s is not a host address of the guest network"), what,
				       addrs[i].key, inet_ntop(AF_INET, addrs[i].a, buf, sizeof(buf)));
	}
	if (o->host.s_addr == o->dns.s_addr || o->dhcp_start.s_addr == o->host.s_addr ||
	    o->dhcp_start.s_addr == o->dns.s_addr)
		return err_set(errp, ERR_USAGE,
			       _("%s: host=, dns= and dhcpstart= must be different addresses"), what);
	for (unsigned i = 0; i < o->n_fwd; i++)
		if (!o->fwd[i].guest_addr.s_addr)
			o->fwd[i].guest_addr = o->dhcp_start;
	return 0;
}

/* ---- the running back-end ---- */

struct slirp_pfd {
	int fd;
	int events;			/* SLIRP_POLL_* */
	int revents;
};

struct slirp_watch {
	int fd;
	uint32_t events;		/* EPOLL* */
	struct ev_source *src;
};

struct slirp_timer {
	struct slirp_net *s;
	struct ev_source *src;
	SlirpTimerCb cb;		/* the old API's callback, or NULL */
	int id;				/* SlirpTimerId for slirp_handle_timer */
	void *cb_opaque;
};

struct slirp_net {
	Slirp *slirp;
	struct evloop *loop;
	const struct logger *log;
	char *what;
	int fds[2];			/* [0] the device's, [1] ours */
	struct ev_source *chan_src, *timeout_src;
	struct slirp_pfd *pfd;
	unsigned npfd, cap_pfd;
	struct slirp_watch *w;
	unsigned nw, cap_w;
	uint8_t *frame;
	struct slirp_net_stats stats;
};

static void sync_fds(struct slirp_net *s);

static uint32_t to_epoll(int ev)
{
	return (ev & SLIRP_POLL_IN ? EPOLLIN : 0) | (ev & SLIRP_POLL_OUT ? EPOLLOUT : 0) |
	       (ev & SLIRP_POLL_PRI ? EPOLLPRI : 0);
}

static int from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? SLIRP_POLL_IN : 0) | (ev & EPOLLOUT ? SLIRP_POLL_OUT : 0) |
	       (ev & EPOLLPRI ? SLIRP_POLL_PRI : 0) | (ev & EPOLLERR ? SLIRP_POLL_ERR : 0) |
	       (ev & EPOLLHUP ? SLIRP_POLL_HUP : 0);
}

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_net *s = opaque;

	if (s->npfd == s->cap_pfd) {
		s->cap_pfd = s->cap_pfd ? 2 * s->cap_pfd : 16;
		s->pfd = xrealloc(s->pfd, s->cap_pfd * sizeof(*s->pfd));
	}
	s->pfd[s->npfd] = (struct slirp_pfd){ .fd = fd, .events = events };
	return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_net *s = opaque;

	return idx >= 0 && (unsigned)idx < s->npfd ? s->pfd[idx].revents : 0;
}

/* slirp_pollfds_poll with these revents (none: only its timers), then sync. */
static void run_slirp(struct slirp_net *s)
{
	slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	sync_fds(s);
}

static void fd_ready(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		     void *data)
{
	struct slirp_net *s = data;

	(void)loop;
	(void)src;
	for (unsigned i = 0; i < s->npfd; i++)
		if (s->pfd[i].fd == fd)
			s->pfd[i].revents = from_epoll(events) & (s->pfd[i].events | SLIRP_POLL_ERR |
								  SLIRP_POLL_HUP);
	run_slirp(s);
}

static void timeout_fired(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	(void)loop;
	(void)src;
	(void)n;
	run_slirp(data);
}

static void watch_remove(struct slirp_net *s, unsigned i)
{
	evloop_remove(s->w[i].src);
	s->w[i] = s->w[--s->nw];
}

static void watch_add(struct slirp_net *s, int fd, uint32_t events)
{
	struct err *e = NULL;
	struct ev_source *src = evloop_add_fd(s->loop, fd, events, fd_ready, s, &e);

	if (!src) {
		log_err(s->log, VLOG_WARNING, e);
		err_free(e);
		return;
	}
	if (s->nw == s->cap_w) {
		s->cap_w = s->cap_w ? 2 * s->cap_w : 16;
		s->w = xrealloc(s->w, s->cap_w * sizeof(*s->w));
	}
	s->w[s->nw++] = (struct slirp_watch){ .fd = fd, .events = events, .src = src };
}

/* What slirp wants for fd now (the union of its entries), or -1 if it wants nothing. */
static int64_t wanted(const struct slirp_net *s, int fd)
{
	int64_t ev = -1;

	for (unsigned i = 0; i < s->npfd; i++)
		if (s->pfd[i].fd == fd)
			ev = (ev < 0 ? 0 : ev) | to_epoll(s->pfd[i].events);
	return ev;
}

static void sync_fds(struct slirp_net *s)
{
	uint32_t timeout = UINT32_MAX;
	struct err *e = NULL;

	s->npfd = 0;
	slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
	for (unsigned i = 0; i < s->nw;) {
		int64_t ev = wanted(s, s->w[i].fd);

		if (ev < 0) {
			watch_remove(s, i);
			continue;
		}
		if ((uint32_t)ev != s->w[i].events) {
			if (evloop_fd_set_events(s->w[i].src, (uint32_t)ev, &e) < 0) {
				/* the fd number was reused behind our back: watch it afresh */
				err_free(e);
				e = NULL;
				watch_remove(s, i);
				continue;
			}
			s->w[i].events = (uint32_t)ev;
		}
		i++;
	}
	for (unsigned i = 0; i < s->npfd; i++) {
		bool known = false;

		for (unsigned j = 0; j < s->nw && !known; j++)
			known = s->w[j].fd == s->pfd[i].fd;
		if (!known)
			watch_add(s, s->pfd[i].fd, (uint32_t)wanted(s, s->pfd[i].fd));
	}
	if (evloop_timer_set(s->timeout_src, timeout == UINT32_MAX ? 0 : timeout ? timeout : 1, 0,
			     &e) < 0) {
		log_err(s->log, VLOG_WARNING, e);
		err_free(e);
	}
}

/* ---- slirp's callbacks ---- */

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_net *s = opaque;

	/* A full channel drops the frame, as slirp allows (TCP retransmits). */
	if (send(s->fds[1], buf, len, MSG_DONTWAIT) < 0)
		s->stats.to_guest_dropped++;
	else
		s->stats.to_guest++;
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct slirp_net *s = opaque;

	log_warning(s->log, _("%s: guest error: %s"), s->what, msg);
}

static int64_t clock_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void timer_fired(struct evloop *loop, struct ev_source *src, uint64_t n, void *data)
{
	struct slirp_timer *t = data;

	(void)loop;
	(void)src;
	(void)n;
	if (t->cb)
		t->cb(t->cb_opaque);
	else
		slirp_handle_timer(t->s->slirp, (SlirpTimerId)t->id, t->cb_opaque);
	sync_fds(t->s);
}

static struct slirp_timer *timer_alloc(struct slirp_net *s, SlirpTimerCb cb, int id,
				       void *cb_opaque)
{
	struct slirp_timer *t = xzalloc(sizeof(*t));
	struct err *e = NULL;

	*t = (struct slirp_timer){ .s = s, .cb = cb, .id = id, .cb_opaque = cb_opaque };
	t->src = evloop_add_timer(s->loop, 0, 0, timer_fired, t, &e);
	if (!t->src) {
		log_err(s->log, VLOG_WARNING, e);
		err_free(e);
	}
	return t;
}

static void *timer_new_cb(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, cb, 0, cb_opaque);
}

#if SLIRP_CONFIG_VERSION_MAX >= 4
static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, NULL, (int)id, cb_opaque);
}
#endif

static void timer_free_cb(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;

	(void)opaque;
	evloop_remove(t->src);
	free(t);
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;
	int64_t now = clock_ns(opaque) / 1000000, delta = expire_ms - now;
	struct err *e = NULL;

	if (t->src && evloop_timer_set(t->src, delta > 0 ? (uint64_t)delta : 1, 0, &e) < 0) {
		log_err(t->s->log, VLOG_WARNING, e);
		err_free(e);
	}
}

/* slirp closes a socket: drop our watch first (its number may come back). */
static void unregister_poll_fd(int fd, void *opaque)
{
	struct slirp_net *s = opaque;

	for (unsigned i = 0; i < s->nw; i++)
		if (s->w[i].fd == fd) {
			watch_remove(s, i);
			return;
		}
}

static void register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void notify(void *opaque)
{
	(void)opaque;	/* every call into slirp is followed by sync_fds() */
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_ns,
	.timer_new = timer_new_cb,
	.timer_free = timer_free_cb,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
#if SLIRP_CONFIG_VERSION_MAX >= 4
	.timer_new_opaque = timer_new_opaque,
#endif
};

/* Frames from the guest. */
static void chan_ready(struct evloop *loop, struct ev_source *src, int fd, uint32_t events,
		       void *data)
{
	struct slirp_net *s = data;

	(void)loop;
	(void)src;
	(void)events;
	for (unsigned i = 0; i < INPUT_BUDGET; i++) {
		ssize_t n = recv(fd, s->frame, FRAME_MAX, MSG_DONTWAIT);

		if (n < 0)
			break;
		s->stats.to_slirp++;
		slirp_input(s->slirp, s->frame, (int)n);
	}
	sync_fds(s);
}

static int open_channel(struct slirp_net *s, struct err **errp)
{
	int sz = CHAN_BUF;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s->fds) < 0)
		return err_set_errno(errp, ERR_SYSTEM, errno, _("%s: socketpair"), s->what);
	for (unsigned i = 0; i < 2; i++) {
		(void)setsockopt(s->fds[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(s->fds[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return 0;
}

static int add_forwards(struct slirp_net *s, const struct slirp_net_opts *o, struct err **errp)
{
	char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	for (unsigned i = 0; i < o->n_fwd; i++) {
		const struct slirp_net_fwd *f = &o->fwd[i];

		if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
				      f->guest_port) < 0)
			return err_set(errp, ERR_INVALID,
				       _("%s: hostfwd=%s:%s:%u-%s:%u: could not set up the host "
					 "forwarding rule (port in use?)"),
				       s->what, f->udp ? "udp" : "tcp",
				       inet_ntop(AF_INET, &f->host_addr, h, sizeof(h)), f->host_port,
				       inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g)), f->guest_port);
	}
	return 0;
}

struct slirp_net *slirp_net_new(const struct slirp_net_opts *o, struct evloop *loop,
				const struct logger *log, const char *what, int *guest_fd,
				struct err **errp)
{
	struct slirp_net *s = xzalloc(sizeof(*s));
	SlirpConfig cfg = { 0 };

	s->loop = loop;
	s->log = log;
	s->what = xstrdup(what);
	s->fds[0] = s->fds[1] = -1;
	s->frame = xmalloc(FRAME_MAX);
	if (open_channel(s, errp) < 0)
		goto fail;
	cfg.version = SLIRP_CONFIG_VERSION_MAX < 4 ? SLIRP_CONFIG_VERSION_MAX : 4;
	cfg.restricted = o->restricted;
	cfg.in_enabled = o->ipv4;
	cfg.vnetwork = o->net;
	cfg.vnetmask = o->mask;
	cfg.vhost = o->host;
	cfg.in6_enabled = o->ipv6;
	/* QEMU's IPv6 defaults: fec0::/64, host ::2, DNS ::3 */
	inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
	cfg.vprefix_len = 64;
	inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
	inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
	cfg.vhostname = o->hostname;
	cfg.vdhcp_start = o->dhcp_start;
	cfg.vnameserver = o->dns;
	cfg.vdomainname = o->domainname;
	cfg.if_mtu = cfg.if_mru = 1500;
	s->slirp = slirp_new(&cfg, &callbacks, s);
	if (!s->slirp) {
		err_set(errp, ERR_INVALID, _("%s: libslirp refused the configuration"), what);
		goto fail;
	}
	s->timeout_src = evloop_add_timer(loop, 0, 0, timeout_fired, s, errp);
	if (!s->timeout_src || add_forwards(s, o, errp) < 0)
		goto fail;
	s->chan_src = evloop_add_fd(loop, s->fds[1], EPOLLIN, chan_ready, s, errp);
	if (!s->chan_src)
		goto fail;
	sync_fds(s);
	*guest_fd = s->fds[0];
	return s;
fail:
	slirp_net_free(s);
	return NULL;
}

void slirp_net_free(struct slirp_net *s)
{
	if (!s)
		return;
	evloop_remove(s->chan_src);
	while (s->nw)
		watch_remove(s, s->nw - 1);
	if (s->slirp)
		slirp_cleanup(s->slirp);	/* frees its timers through timer_free */
	evloop_remove(s->timeout_src);
	for (unsigned i = 0; i < 2; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	free(s->pfd);
	free(s->w);
	free(s->frame);
	free(s->what);
	free(s);
}

void slirp_net_get_stats(const struct slirp_net *s, struct slirp_net_stats *out)
{
	*out = s->stats;
}
