/* Tap devices and vhost-net fds as vireod opens them for a worker.
 *
 * A tap the daemon creates is not persistent (no TUNSETPERSIST): it lives while an
 * fd on it is open, so when the worker exits (or the daemon dies before handing the
 * fds over) the kernel removes it. The worker only ever gets the fds. */
#ifndef VIREO_DAEMON_NETWORK_TAP_H
#define VIREO_DAEMON_NETWORK_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/util/err.h"

/* The most queues one interface may ask for (struct vdom_net_fds holds 16). */
#define TAP_MAX_QUEUES 16

#define VHOST_NET_PATH "/dev/vhost-net"

/* The host side's MAC for a guest MAC, as libvirt sets it: the first byte 0xFE, so
 * the bridge never takes the tap's MAC for its own (a bridge uses its ports' lowest
 * MAC) and it never equals the guest's; 0xFA when the guest's first byte is 0xFE. */
void tap_host_mac(const uint8_t guest[6], uint8_t host[6]);

/* Open nqueues fds on tap `name` (IFF_TAP | IFF_NO_PI, IFF_VNET_HDR when vnet_hdr,
 * IFF_MULTI_QUEUE when nqueues > 1). name may hold "%d" (the kernel picks the
 * number, as "vnet%d"); the real name goes to out_name. must_exist: attach to a tap
 * that is already there (managed='no') and fail if there is none; otherwise fail if
 * one of that name exists. fds[] gets close-on-exec fds. Returns 0 or -1 (nothing
 * left open). */
int tap_open_queues(const char *name, unsigned nqueues, bool vnet_hdr, bool must_exist,
		    char out_name[IFNAMSIZ], int *fds, struct err **errp);

/* Open n fds on /dev/vhost-net (close-on-exec); -1 with errno set when it cannot be
 * opened (nothing left open). */
int vhost_open(unsigned n, int *fds);

/* Close n fds and set them to -1. */
void fds_close(int *fds, unsigned n);

#endif
