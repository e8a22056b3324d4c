/* virtio-net for the machine: -netdev tap and -device virtio-net-pci, with QEMU's
 * properties, and the QMP commands query-rx-filter and set_link with the
 * NIC_RX_FILTER_CHANGED event.
 *
 *   -netdev tap,id=ID,fd=N | fds=N:M:...  (libvirt: the daemon opened the tap)
 *          | ifname=NAME [,queues=N]      (the worker opens /dev/net/tun itself)
 *          [,vhost=on|off][,vhostfd=N | vhostfds=N:M:...][,vnet_hdr=on|off]
 *          [,script=no][,downscript=no][,sndbuf=..][,poll-us=..]
 *   -netdev user,id=ID[,net=ADDR[/MASK]][,host=..][,dns=..][,dhcpstart=..][,restrict=on|off]
 *          [,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...  (libslirp)
 *   -device virtio-net-pci,netdev=ID[,mac=..][,mq=on][,vectors=N][,rx_queue_size=N]
 *          [,tx_queue_size=N][,host_mtu=N][,event_idx=on|off][,csum=..,...][,addr=..]
 *
 * vhost=on without vhostfd opens /dev/vhost-net once per queue pair. As in QEMU, the
 * tx ring of a tap back-end holds at most 256 entries (tx_queue_size is capped).
 * Each NIC's pairs run in their own threads (drivers/virtio/net_pair.c), so the
 * machine only wires kicks (the device's eventfds become KVM ioeventfds in
 * machine_virtio.c) and interrupts (the transport's MSI-X irqfds). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/net/slirp.h"
#include "drivers/net/tap.h"
#include "drivers/net/vhost_net.h"
#include "drivers/virtio/net.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"
#include "lib/util/parse.h"
#include "lib/util/str.h"
#include "qemu-wrap/machine.h"
#include "qemu-wrap/qmp.h"

#define NIC_TYPE	"virtio-net-pci"
#define TAP_TX_MAX	256	/* QEMU's virtio_net_max_tx_queue_size() for a tap */

struct machine_nic {
	struct machine *m;
	struct vdev *vdev;
	char *name;		/* QEMU's net client name: the id, or virtio-net-pci.N */
	char *id;		/* -device id, or NULL */
	char *netdev_id;	/* or NULL */
	char *path;		/* QOM path of the virtio device (.../virtio-backend) */
	bool notify;		/* NIC_RX_FILTER_CHANGED armed (atomic) */
	struct tap *tap;
	struct vhost_net *vhost;
	struct slirp_net *slirp;	/* -netdev user (one queue pair, in the main loop) */
};

struct machine_net {
	struct machine_nic **nics;
	unsigned n;
	unsigned default_macs;	/* NICs given QEMU's default MAC so far */
};

static const char *prop(const struct vmm_props *p, const char *key)
{
	return vmm_props_get(p, key);
}

/* ---- -netdev tap ---- */

/* "3:4:5" (or one number) into fds; returns the count or -1. */
static int parse_fd_list(const char *what, const char *key, const char *s, int *fds,
			 unsigned max, struct err **errp)
{
	char *copy = xstrdup(s), *save = NULL;
	unsigned n = 0;
	int rc = 0;

	for (char *tok = strtok_r(copy, ":", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ":", &save)) {
		int fd;

		if (n == max)
			rc = err_set(errp, ERR_USAGE, _("%s: %s=%s: more than %u fds"), what, key, s,
				     max);
		else if (parse_int(tok, 0, 1 << 30, &fd, NULL) < 0)
			rc = err_set(errp, ERR_USAGE, _("%s: %s=%s: '%s' is not an fd number"), what,
				     key, s, tok);
		else if (fcntl(fd, F_GETFD) < 0)
			rc = err_set_errno(errp, ERR_INVALID, errno, _("%s: %s=%s: fd %d"), what, key,
					   s, fd);
		else
			fds[n++] = fd;
	}
	free(copy);
	if (rc == 0 && n == 0)
		rc = err_set(errp, ERR_USAGE, _("%s: %s= is empty"), what, key);
	return rc < 0 ? -1 : (int)n;
}

static int check_netdev_keys(const struct vmm_netdev *nd, const char *what, struct err **errp)
{
	static const char *const keys[] = {
		"fd", "fds", "ifname", "queues", "vhost", "vhostfd", "vhostfds", "vhostforce",
		"vnet_hdr", "script", "downscript", "sndbuf", "poll-us", NULL,
	};
	const char *script = prop(&nd->props, "script"), *down = prop(&nd->props, "downscript");

	if (vmm_props_check_keys(&nd->props, what, keys, errp) < 0)
		return -1;
	if ((script && !streq(script, "no") && *script) || (down && !streq(down, "no") && *down))
		return err_set(errp, ERR_UNSUPPORTED,
			       _("%s: vireo-vmm runs no network scripts (script=no, downscript=no)"),
			       what);
	if (prop(&nd->props, "ifname") && (prop(&nd->props, "fd") || prop(&nd->props, "fds")))
		return err_set(errp, ERR_USAGE, _("%s: ifname= is invalid with fd= or fds="), what);
	if (prop(&nd->props, "fd") && prop(&nd->props, "fds"))
		return err_set(errp, ERR_USAGE, _("%s: fd= and fds= exclude each other"), what);
	if (prop(&nd->props, "vhostfd") && prop(&nd->props, "vhostfds"))
		return err_set(errp, ERR_USAGE, _("%s: vhostfd= and vhostfds= exclude each other"),
			       what);
	return 0;
}

/* The tap of nd: adopted fds, or opened by name. *pairs gets the queue count. */
static struct tap *netdev_tap(const struct vmm_netdev *nd, const char *what, unsigned *pairs,
			      struct err **errp)
{
	const char *fds_s = prop(&nd->props, "fds") ? prop(&nd->props, "fds") : prop(&nd->props, "fd");
	const char *ifname = prop(&nd->props, "ifname");
	int fds[TAP_MAX_QUEUES];
	uint64_t queues;
	bool vnet_hdr;
	struct tap *t;
	int n;

	if (vmm_props_uint(&nd->props, what, "queues", 1, VIRTIO_NET_MAX_PAIRS, 0, &queues,
			   errp) < 0 ||
	    vmm_props_bool(&nd->props, what, "vnet_hdr", true, &vnet_hdr, errp) < 0)
		return NULL;
	if (!fds_s) {
		if (!ifname) {
			err_set(errp, ERR_USAGE, _("%s: needs fd=, fds= or ifname="), what);
			return NULL;
		}
		*pairs = queues ? (unsigned)queues : 1;
		t = tap_open(ifname, *pairs, vnet_hdr, errp);
	} else {
		n = parse_fd_list(what, prop(&nd->props, "fds") ? "fds" : "fd", fds_s, fds,
				  VIRTIO_NET_MAX_PAIRS, errp);
		if (n < 0)
			return NULL;
		if (queues && queues != (uint64_t)n) {
			err_set(errp, ERR_USAGE, _("%s: queues=%u needs %u fds, got %d"), what,
				(unsigned)queues, (unsigned)queues, n);
			return NULL;
		}
		*pairs = (unsigned)n;
		t = tap_from_fds(fds, (unsigned)n, what, errp);
	}
	if (t && tap_has_vnet_hdr(t) && tap_set_vnet_hdr_len(t, TAP_VNET_HDR_LEN, errp) < 0) {
		tap_free(t);
		return NULL;
	}
	return t;
}

/* vhost=on: the vhost fds given, or /dev/vhost-net opened per pair; NULL without
 * vhost (or on error, *errp set). */
static struct vhost_net *netdev_vhost(const struct vmm_netdev *nd, const char *what,
				      unsigned pairs, struct err **errp)
{
	const char *s = prop(&nd->props, "vhostfds") ? prop(&nd->props, "vhostfds") :
						       prop(&nd->props, "vhostfd");
	int fds[VIRTIO_NET_MAX_PAIRS];
	bool on, force;
	int n;

	if (vmm_props_bool(&nd->props, what, "vhost", false, &on, errp) < 0 ||
	    vmm_props_bool(&nd->props, what, "vhostforce", false, &force, errp) < 0)
		return NULL;
	if (!on && !force && !s)
		return NULL;
	if (!s)
		return vhost_net_new(NULL, pairs, NULL, NULL, what, errp);
	n = parse_fd_list(what, prop(&nd->props, "vhostfds") ? "vhostfds" : "vhostfd", s, fds,
			  VIRTIO_NET_MAX_PAIRS, errp);
	if (n < 0)
		return NULL;
	if ((unsigned)n != pairs) {
		err_set(errp, ERR_USAGE, _("%s: %u queues need %u vhost fds, got %d"), what, pairs,
			pairs, n);
		return NULL;
	}
	return vhost_net_new(fds, pairs, NULL, NULL, what, errp);
}

/* ---- -device virtio-net-pci ---- */

/* "52:54:00:12:34:56" (or with '-'), QEMU's net_parse_macaddr. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		char byte[3] = { s[0], s[0] ? s[1] : 0, 0 };
		unsigned v;
		char *hex = xasprintf("0x%s", byte);
		int rc = parse_uint(hex, 0, 255, &v, NULL);

		free(hex);
		if (rc < 0 || strlen(byte) != 2)
			return -1;
		mac[i] = (uint8_t)v;
		s += 2;
		if (i < 5 && *s != ':' && *s != '-')
			return -1;
		s += i < 5;
	}
	return *s ? -1 : 0;
}

/* QEMU's virtio-net feature properties and the bits they switch off. */
static const struct {
	const char *key;
	unsigned bit;
} feature_props[] = {
	{ "csum", VIRTIO_NET_F_CSUM },		{ "guest_csum", VIRTIO_NET_F_GUEST_CSUM },
	{ "host_tso4", VIRTIO_NET_F_HOST_TSO4 },	{ "host_tso6", VIRTIO_NET_F_HOST_TSO6 },
	{ "host_ecn", VIRTIO_NET_F_HOST_ECN },	{ "guest_tso4", VIRTIO_NET_F_GUEST_TSO4 },
	{ "guest_tso6", VIRTIO_NET_F_GUEST_TSO6 },	{ "guest_ecn", VIRTIO_NET_F_GUEST_ECN },
	{ "mrg_rxbuf", VIRTIO_NET_F_MRG_RXBUF },	{ "status", VIRTIO_NET_F_STATUS },
	{ "ctrl_vq", VIRTIO_NET_F_CTRL_VQ },	{ "ctrl_rx", VIRTIO_NET_F_CTRL_RX },
	{ "ctrl_mac_addr", VIRTIO_NET_F_CTRL_MAC_ADDR },
	{ "ctrl_guest_offloads", VIRTIO_NET_F_CTRL_GUEST_OFFLOADS },
};

static int check_nic_keys(const struct vmm_device *d, const char *what, struct err **errp)
{
	static const char *const keys[] = {
		"netdev", "mac", "mq", "vectors", "rx_queue_size", "tx_queue_size", "host_mtu",
		"event_idx", "addr", "bus", "romfile", "bootindex", "ioeventfd", "gso",
		"indirect_desc", "disable-legacy", "disable-modern", "csum", "guest_csum",
		"host_tso4", "host_tso6", "host_ecn", "guest_tso4", "guest_tso6", "guest_ecn",
		"mrg_rxbuf", "status", "ctrl_vq", "ctrl_rx", "ctrl_mac_addr",
		"ctrl_guest_offloads", NULL,
	};
	const char *bus = prop(&d->props, "bus");
	bool modern_off;

	if (vmm_props_check_keys(&d->props, what, keys, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "disable-modern", false, &modern_off, errp) < 0)
		return -1;
	if (modern_off)
		return err_set(errp, ERR_UNSUPPORTED,
			       _("%s: vireo-vmm's virtio devices are modern only"), what);
	if (bus && !streq(bus, "pci.0"))
		return err_set(errp, ERR_INVALID, _("%s: bus=%s: the machine has one PCI bus, pci.0"),
			       what, bus);
	return 0;
}

/* The device's own properties into o (not the back-end's). */
static int nic_props(struct machine_net *mn, const struct vmm_device *d, const char *what,
		     struct virtio_net_opts *o, struct err **errp)
{
	const char *mac = prop(&d->props, "mac");
	uint64_t rx, tx, mtu;
	bool on;

	if (check_nic_keys(d, what, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "mq", false, &o->mq, errp) < 0 ||
	    vmm_props_uint(&d->props, what, "rx_queue_size", 256, 1024, 256, &rx, errp) < 0 ||
	    vmm_props_uint(&d->props, what, "tx_queue_size", 256, 1024, 256, &tx, errp) < 0 ||
	    vmm_props_uint(&d->props, what, "host_mtu", 68, 65535, 0, &mtu, errp) < 0 ||
	    vmm_props_bool(&d->props, what, "event_idx", true, &on, errp) < 0)
		return -1;
	if ((rx & (rx - 1)) || (tx & (tx - 1)))
		return err_set(errp, ERR_USAGE, _("%s: rx_queue_size and tx_queue_size must be powers of 2"),
			       what);
	o->event_idx_off = !on;
	o->rx_queue_size = (unsigned)rx;
	o->tx_queue_size = (unsigned)(tx < TAP_TX_MAX ? tx : TAP_TX_MAX);
	o->mtu = (unsigned)mtu;
	for (size_t i = 0; i < sizeof(feature_props) / sizeof(feature_props[0]); i++) {
		if (vmm_props_bool(&d->props, what, feature_props[i].key, true, &on, errp) < 0)
			return -1;
		if (!on)
			o->features_off |= UINT64_C(1) << feature_props[i].bit;
	}
	/* What needs the control queue goes with it. */
	if (o->features_off & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) {
		o->features_off |= UINT64_C(1) << VIRTIO_NET_F_CTRL_RX |
				   UINT64_C(1) << VIRTIO_NET_F_CTRL_MAC_ADDR |
				   UINT64_C(1) << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS;
		o->mq = false;
	}
	if (mac && (parse_mac(mac, o->mac) < 0 || (o->mac[0] & 1)))
		return err_set(errp, ERR_USAGE, _("%s: mac=%s is not a unicast MAC address"), what,
			       mac);
	if (!mac) {
		/* QEMU's qemu_macaddr_default_if_unset: 52:54:00:12:34:56, then :57, ... */
		static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

		memcpy(o->mac, base, 6);
		o->mac[5] = (uint8_t)(0x56 + mn->default_macs++);
	}
	return 0;
}

/* ---- the back-end hooks and the event ---- */

static int be_set_offload(void *ctx, unsigned tun_flags, struct err **errp)
{
	return tap_set_offload(((struct machine_nic *)ctx)->tap, tun_flags, errp);
}

static int be_queue_enable(void *ctx, unsigned q, bool on, struct err **errp)
{
	return tap_queue_enable(((struct machine_nic *)ctx)->tap, q, on, errp);
}

static const struct virtio_net_backend_ops tap_backend = {
	.set_offload = be_set_offload,
	.queue_enable = be_queue_enable,
};

/* From pair 0's thread: QEMU sends it once, until query-rx-filter re-arms it. */
static void rx_filter_changed(void *opaque)
{
	struct machine_nic *nic = opaque;
	json_object *d;

	if (!__atomic_exchange_n(&nic->notify, false, __ATOMIC_ACQ_REL))
		return;
	d = json_object_new_object();
	if (nic->id)
		json_object_object_add(d, "name", json_object_new_string(nic->id));
	json_object_object_add(d, "path", json_object_new_string(nic->path));
	machine_emit(nic->m, "NIC_RX_FILTER_CHANGED", d);
}

/* ---- setup ---- */

static const struct vmm_netdev *find_netdev(const struct vmm_config *cfg, const char *id)
{
	for (size_t i = 0; id && i < cfg->n_netdevs; i++)
		if (streq(cfg->netdevs[i].id, id))
			return &cfg->netdevs[i];
	return NULL;
}

/* QEMU's names: the QOM path of the proxy's virtio child, and the net client name. */
static void nic_names(struct machine *m, const struct vmm_device *d, struct machine_nic *nic)
{
	unsigned anon = 0, same = 0;

	for (size_t i = 0; i < m->cfg->n_devices && &m->cfg->devices[i] != d; i++) {
		anon += !m->cfg->devices[i].id;
		same += streq(m->cfg->devices[i].driver, NIC_TYPE) && !m->cfg->devices[i].id;
	}
	nic->id = d->id ? xstrdup(d->id) : NULL;
	nic->name = d->id ? xstrdup(d->id) : xasprintf("%s.%u", NIC_TYPE, same);
	nic->path = d->id ? xasprintf("/machine/peripheral/%s/virtio-backend", d->id) :
			    xasprintf("/machine/peripheral-anon/device[%u]/virtio-backend", anon);
}

/* -netdev user: libslirp on the main loop, one queue pair over its frame channel.
 * hostfwd may come as hostfwd.N.str (JSON, or repeated hostfwd= numbered by the
 * option parser) or plain. */
static int nic_backend_user(struct machine_nic *nic, const struct vmm_netdev *nd,
			    const char *what, struct virtio_net_opts *o, int *fds,
			    struct err **errp)
{
	struct slirp_net_opts so;
	int rc = -1;

	slirp_net_opts_init(&so);
	for (size_t i = 0; i < nd->props.len; i++) {
		const char *key = nd->props.items[i].key;

		if (strncmp(key, "hostfwd.", 8) == 0)
			key = "hostfwd";
		if (slirp_net_opts_set(&so, what, key, nd->props.items[i].value, errp) < 0)
			goto out;
	}
	if (slirp_net_opts_finish(&so, what, errp) < 0)
		goto out;
	nic->slirp = slirp_net_new(&so, nic->m->loop, nic->m->log, what, &fds[0], errp);
	if (!nic->slirp)
		goto out;
	o->fds = fds;
	o->nfds = o->pairs = 1;
	o->vnet_hdr = false;
	o->mq = false;
	rc = 0;
out:
	slirp_net_opts_free(&so);
	return rc;
}

/* The back-end of nic from -netdev netdev_id into o. Returns 0 or -1. */
static int nic_backend(struct machine_nic *nic, const struct vmm_netdev *nd,
		       struct virtio_net_opts *o, int *fds, struct err **errp)
{
	char *what = xasprintf("-netdev %s,id=%s", nd->type == VMM_NETDEV_TAP ? "tap" : "user",
			       nd->id);
	unsigned pairs = 1;
	int rc = -1;

	if (nd->type != VMM_NETDEV_TAP) {
		rc = nic_backend_user(nic, nd, what, o, fds, errp);
		goto out;
	}
	if (check_netdev_keys(nd, what, errp) < 0 || !(nic->tap = netdev_tap(nd, what, &pairs, errp)))
		goto out;
	nic->vhost = netdev_vhost(nd, what, pairs, errp);
	if (!nic->vhost && errp && *errp)
		goto out;
	for (unsigned q = 0; q < pairs; q++)
		fds[q] = tap_fd(nic->tap, q);
	o->fds = fds;
	o->nfds = o->pairs = pairs;
	o->vnet_hdr = tap_has_vnet_hdr(nic->tap);
	o->be = &tap_backend;
	o->be_ctx = nic;
	o->vhost = nic->vhost;
	rc = 0;
out:
	free(what);
	return rc;
}

int machine_net_add(struct machine *m, const struct vmm_device *d, struct err **errp)
{
	struct machine_net *mn = m->net;
	struct virtio_net_opts o = { 0 };
	const char *what = "-device " NIC_TYPE, *nd_id = prop(&d->props, "netdev");
	const struct vmm_netdev *nd = find_netdev(m->cfg, nd_id);
	int fds[VIRTIO_NET_MAX_PAIRS];
	struct machine_nic *nic;

	if (!mn)
		mn = m->net = xzalloc(sizeof(*mn));
	if (nd_id && !nd)
		return err_set(errp, ERR_USAGE, _("%s: no -netdev with id '%s'"), what, nd_id);
	/* The device keeps a pointer to its nic (event, back-end hooks): never moved. */
	nic = xzalloc(sizeof(*nic));
	mn->nics = xrealloc(mn->nics, (mn->n + 1) * sizeof(*mn->nics));
	mn->nics[mn->n++] = nic;
	nic->m = m;
	nic->notify = true;
	nic->netdev_id = nd_id ? xstrdup(nd_id) : NULL;
	nic_names(m, d, nic);
	if (nic_props(mn, d, what, &o, errp) < 0 || (nd && nic_backend(nic, nd, &o, fds, errp) < 0))
		return -1;
	o.rx_filter_changed = rx_filter_changed;
	o.opaque = nic;
	nic->vdev = virtio_net_new(&o, &m->vm.mem, m->log, errp);
	if (!nic->vdev)
		return err_wrap(errp, ERR_INVALID, "%s", what);
	if (nic->vhost)
		log_info(m->log, _("%s: %u queue pair(s) on tap %s with vhost-net"), nic->name,
			 o.pairs, tap_ifname(nic->tap));
	/* The machine's virtio list owns the device from here (it frees it on failure). */
	if (machine_add_virtio_device(m, d, nic->vdev, virtio_net_free, errp) < 0) {
		nic->vdev = NULL;
		return -1;
	}
	return 0;
}

/* After the devices are gone (machine_free_virtio): the back-ends. */
void machine_net_free(struct machine *m)
{
	struct machine_net *mn = m->net;

	if (!mn)
		return;
	for (unsigned i = 0; i < mn->n; i++) {
		struct machine_nic *nic = mn->nics[i];

		vhost_net_free(nic->vhost);
		tap_free(nic->tap);
		slirp_net_free(nic->slirp);
		free(nic->name);
		free(nic->id);
		free(nic->netdev_id);
		free(nic->path);
		free(nic);
	}
	free(mn->nics);
	free(mn);
	m->net = NULL;
}

/* ---- QMP ---- */

static json_object *rx_filter_info(struct machine_nic *nic)
{
	struct virtio_net_rx_filter f;
	json_object *o = json_object_new_object(), *uni, *multi;
	char mac[18];

	virtio_net_rx_filter(nic->vdev, &f);
	/* QEMU's RxFilterInfo, members in its order. */
	json_object_object_add(o, "name", json_object_new_string(nic->name));
	json_object_object_add(o, "promiscuous", json_object_new_boolean(f.promisc));
	json_object_object_add(o, "multicast", json_object_new_string(f.allmulti ? "all" : "normal"));
	json_object_object_add(o, "unicast", json_object_new_string("normal"));
	json_object_object_add(o, "vlan", json_object_new_string("all"));
	json_object_object_add(o, "broadcast-allowed", json_object_new_boolean(1));
	json_object_object_add(o, "multicast-overflow", json_object_new_boolean(f.multi_overflow));
	json_object_object_add(o, "unicast-overflow", json_object_new_boolean(f.uni_overflow));
#define FMT_MAC(m) (snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", (m)[0], (m)[1], \
			     (m)[2], (m)[3], (m)[4], (m)[5]), mac)
	json_object_object_add(o, "main-mac", json_object_new_string(FMT_MAC(f.mac)));
	json_object_object_add(o, "vlan-table", json_object_new_array());
	uni = json_object_new_array();
	for (unsigned i = 0; i < f.n_uni; i++)
		json_object_array_add(uni, json_object_new_string(FMT_MAC(f.uni[i])));
	json_object_object_add(o, "unicast-table", uni);
	multi = json_object_new_array();
	for (unsigned i = 0; i < f.n_multi; i++)
		json_object_array_add(multi, json_object_new_string(FMT_MAC(f.multi[i])));
	json_object_object_add(o, "multicast-table", multi);
#undef FMT_MAC
	/* Querying arms the event again (QEMU's rxfilter_notify_enabled). */
	__atomic_store_n(&nic->notify, true, __ATOMIC_RELEASE);
	return o;
}

static bool nic_live(const struct machine_nic *nic)
{
	return nic->vdev != NULL;
}

json_object *machine_qmp_query_rx_filter(void *vm, const char *name, struct err **errp)
{
	struct machine *m = vm;
	struct machine_net *mn = m->net;
	json_object *list = json_object_new_array();

	for (unsigned i = 0; mn && i < mn->n; i++) {
		struct machine_nic *nic = mn->nics[i];

		if (!nic_live(nic) || (name && !streq(name, nic->name)))
			continue;
		json_object_array_add(list, rx_filter_info(nic));
		if (name)
			return list;
	}
	if (!name)
		return list;
	json_object_put(list);
	for (size_t i = 0; i < m->cfg->n_netdevs; i++)
		if (streq(m->cfg->netdevs[i].id, name)) {
			err_set(errp, ERR_INVALID, _("net client(%s) isn't a NIC"), name);
			return NULL;
		}
	err_set(errp, ERR_INVALID, _("invalid net client name: %s"), name);
	return NULL;
}

int machine_qmp_set_link(void *vm, const char *name, bool up, struct err **errp)
{
	struct machine *m = vm;
	struct machine_net *mn = m->net;
	bool found = false;

	/* QEMU matches the NIC's client and the netdev's: either takes the NIC down. */
	for (unsigned i = 0; mn && i < mn->n; i++) {
		struct machine_nic *nic = mn->nics[i];

		if (!nic_live(nic) || !(streq(name, nic->name) || streq(name, nic->netdev_id)))
			continue;
		virtio_net_set_link(nic->vdev, up);
		found = true;
	}
	for (size_t i = 0; !found && i < m->cfg->n_netdevs; i++)
		found = streq(m->cfg->netdevs[i].id, name);	/* a netdev without a NIC */
	if (!found)
		return err_set(errp, QMP_CLASS_DEVICE_NOT_FOUND, _("Device '%s' not found"), name);
	return 0;
}
