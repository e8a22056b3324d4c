/* The vhost-net back-end (see vhost_net.h). The ioctl sequence follows the kernel's
 * drivers/vhost/{vhost,net}.c: owner, features, memory table, then per ring its size,
 * base, addresses, kick and call, and last the back-end socket (the tap fd), which
 * starts the kernel's worker on that ring. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drivers/net/vhost_net.h"
#include "lib/util/i18n.h"
#include "lib/util/mem.h"

struct vhost_net {
	const struct vhost_net_ops *ops;
	void *ctx;
	unsigned n;
	int fds[VHOST_NET_MAX_PAIRS];
	bool running[VHOST_NET_MAX_PAIRS];
	uint64_t features;
};

static int sys_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static const struct vhost_net_ops sys_ops = { .ioctl = sys_ioctl };

static int vh_ioctl(const struct vhost_net *v, unsigned pair, unsigned long req, void *arg)
{
	return v->ops->ioctl(v->ctx, v->fds[pair], req, arg);
}

static int vh_open(const struct vhost_net *v)
{
	if (v->ops->open)
		return v->ops->open(v->ctx);
	return open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
}

/* Close what this vhost opened itself; adopted fds go back to the caller on failure. */
static void drop_fds(struct vhost_net *v, unsigned upto, bool adopted)
{
	for (unsigned i = 0; !adopted && i < upto; i++)
		close(v->fds[i]);
}

struct vhost_net *vhost_net_new(const int *fds, unsigned npairs, const struct vhost_net_ops *ops,
				void *ctx, const char *what, struct err **errp)
{
	struct vhost_net *v;
	unsigned i;

	if (npairs < 1 || npairs > VHOST_NET_MAX_PAIRS) {
		err_set(errp, ERR_RANGE, _("%s: %u vhost fds (1 to %d)"), what, npairs,
			VHOST_NET_MAX_PAIRS);
		return NULL;
	}
	v = xzalloc(sizeof(*v));
	v->ops = ops ? ops : &sys_ops;
	v->ctx = ctx;
	v->features = ~UINT64_C(0);
	for (i = 0; i < npairs; i++) {
		uint64_t f = 0;

		v->fds[i] = fds ? fds[i] : vh_open(v);
		if (v->fds[i] < 0) {
			err_set_errno(errp, err_code_from_errno(errno), errno,
				      _("%s: cannot open /dev/vhost-net"), what);
			goto fail;
		}
		if (vh_ioctl(v, i, VHOST_SET_OWNER, NULL) < 0 ||
		    vh_ioctl(v, i, VHOST_GET_FEATURES, &f) < 0) {
			err_set_errno(errp, ERR_SYSTEM, errno,
				      _("%s: vhost fd %d (pair %u): VHOST_SET_OWNER/GET_FEATURES failed"),
				      what, v->fds[i], i);
			i++;
			goto fail;
		}
		v->features &= f;
	}
	v->n = npairs;
	return v;
fail:
	drop_fds(v, i, fds != NULL);
	free(v);
	return NULL;
}

void vhost_net_free(struct vhost_net *v)
{
	uint16_t base[2];

	if (!v)
		return;
	for (unsigned i = 0; i < v->n; i++) {
		vhost_net_stop(v, i, base);
		close(v->fds[i]);
	}
	free(v);
}

uint64_t vhost_net_features(const struct vhost_net *v)
{
	return v->features;
}

unsigned vhost_net_pairs(const struct vhost_net *v)
{
	return v->n;
}

bool vhost_net_running(const struct vhost_net *v, unsigned pair)
{
	return pair < v->n && v->running[pair];
}

/* VHOST_SET_MEM_TABLE: one region per RAM slot, guest-physical to our mapping. */
static int set_mem_table(struct vhost_net *v, unsigned pair, const struct gmem *mem)
{
	struct vhost_memory *t = xzalloc(sizeof(*t) + 2 * sizeof(t->regions[0]));
	int rc;

	for (unsigned s = 0; s < mem->nslots && s < 2; s++) {
		t->regions[s].guest_phys_addr = mem->slots[s].gpa;
		t->regions[s].memory_size = mem->slots[s].size;
		t->regions[s].userspace_addr = (uint64_t)(uintptr_t)mem->slots[s].host;
		t->nregions++;
	}
	rc = vh_ioctl(v, pair, VHOST_SET_MEM_TABLE, t);
	free(t);
	return rc;
}

/* Ring idx of pair: size, base, addresses, kick, call. Returns 0, or -1 with errno
 * and *step naming the ioctl. */
static int set_ring(struct vhost_net *v, unsigned pair, unsigned idx,
		    const struct vhost_net_ring *r, const char **step)
{
	struct vhost_vring_state num = { .index = idx, .num = r->num };
	struct vhost_vring_state base = { .index = idx, .num = r->base };
	struct vhost_vring_addr addr = {
		.index = idx,
		.desc_user_addr = (uint64_t)(uintptr_t)r->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)r->avail,
		.used_user_addr = (uint64_t)(uintptr_t)r->used,
	};
	struct vhost_vring_file kick = { .index = idx, .fd = r->kick };
	struct vhost_vring_file call = { .index = idx, .fd = r->call };

	if ((*step = "VHOST_SET_VRING_NUM", vh_ioctl(v, pair, VHOST_SET_VRING_NUM, &num)) < 0 ||
	    (*step = "VHOST_SET_VRING_BASE", vh_ioctl(v, pair, VHOST_SET_VRING_BASE, &base)) < 0 ||
	    (*step = "VHOST_SET_VRING_ADDR", vh_ioctl(v, pair, VHOST_SET_VRING_ADDR, &addr)) < 0 ||
	    (*step = "VHOST_SET_VRING_KICK", vh_ioctl(v, pair, VHOST_SET_VRING_KICK, &kick)) < 0 ||
	    (*step = "VHOST_SET_VRING_CALL", vh_ioctl(v, pair, VHOST_SET_VRING_CALL, &call)) < 0)
		return -1;
	return 0;
}

int vhost_net_start(struct vhost_net *v, unsigned pair, uint64_t features,
		    const struct gmem *mem, const struct vhost_net_ring rings[2], int tap_fd,
		    struct err **errp)
{
	const char *step = "VHOST_SET_FEATURES";
	uint64_t f = features & v->features;
	uint16_t base[2];

	if (pair >= v->n)
		return err_set(errp, ERR_RANGE, _("vhost-net: no pair %u"), pair);
	if (vh_ioctl(v, pair, VHOST_SET_FEATURES, &f) < 0)
		goto fail;
	step = "VHOST_SET_MEM_TABLE";
	if (set_mem_table(v, pair, mem) < 0)
		goto fail;
	for (unsigned i = 0; i < 2; i++)
		if (set_ring(v, pair, i, &rings[i], &step) < 0)
			goto fail;
	/* The worker starts with the back-end; set it last. */
	v->running[pair] = true;
	for (unsigned i = 0; i < 2; i++) {
		struct vhost_vring_file be = { .index = i, .fd = tap_fd };

		step = "VHOST_NET_SET_BACKEND";
		if (vh_ioctl(v, pair, VHOST_NET_SET_BACKEND, &be) < 0)
			goto fail;
	}
	return 0;
fail:
	err_set_errno(errp, ERR_SYSTEM, errno, _("vhost-net: pair %u: %s failed"), pair, step);
	vhost_net_stop(v, pair, base);
	return -1;
}

void vhost_net_stop(struct vhost_net *v, unsigned pair, uint16_t base[2])
{
	base[0] = base[1] = 0;
	if (pair >= v->n || !v->running[pair])
		return;
	for (unsigned i = 0; i < 2; i++) {
		struct vhost_vring_file be = { .index = i, .fd = -1 };
		struct vhost_vring_state st = { .index = i };

		/* Without its back-end the ring's worker stops; GET_VRING_BASE then
		 * reports where it stopped (and stops the ring itself). */
		vh_ioctl(v, pair, VHOST_NET_SET_BACKEND, &be);
		if (vh_ioctl(v, pair, VHOST_GET_VRING_BASE, &st) == 0)
			base[i] = (uint16_t)st.num;
	}
	v->running[pair] = false;
}

int vhost_net_set_call(struct vhost_net *v, unsigned pair, unsigned idx, int call_fd)
{
	struct vhost_vring_file call = { .index = idx, .fd = call_fd };

	if (pair >= v->n || idx > 1 || !v->running[pair])
		return -1;
	return vh_ioctl(v, pair, VHOST_SET_VRING_CALL, &call);
}
