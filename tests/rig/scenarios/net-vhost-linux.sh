# net-vhost-linux: net-linux with vhost=on: L1 has /dev/vhost-net (modprobe vhost_net),
# the worker opens it per queue pair and the rx/tx rings run in L1's kernel; the same
# checks, plus that vhost-net served the queues (the worker's log).
NET_VHOST=on
. /rig/scenarios/net-linux.sh
