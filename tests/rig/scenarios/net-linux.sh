# net-linux: a stock Linux guest (L2, 2 vCPUs) on vireo-vmm's virtio-net with 2 queue
# pairs on a multi-queue tap in a bridge of L1's: eth0 comes up with 2 queues,
# `ethtool -L eth0 combined 1` then `2` works (the worker sees VQ_PAIRS_SET), ping to
# L1 across the bridge, 4 MiB each way through busybox nc arrive with the right md5,
# pings go on across a QMP stop/cont, and the guest powers off. The userspace back-end
# (vhost=off); net-vhost-linux.sh runs this with vhost=on (NET_VHOST=on).
VHOST=${NET_VHOST:-off}
T=net-linux
[ "$VHOST" = on ] && T=net-vhost-linux
# rig.netsmp=N (RIG_L1_APPEND): the guest's vCPUs, 2 by default.
SMP=$(sed -n 's/.*rig\.netsmp=\([0-9]*\).*/\1/p' /proc/cmdline)
VMM=$(command -v vireo-vmm)
if [ -z "$VMM" ]; then
	r_fail "vireo-vmm is in L1" "build it first (make -C build); tests/rig/build copies it in"
	r_done
	exit 0
fi
if ! modprobe bridge 2>/tmp/mp.err || ! modprobe tun 2>>/tmp/mp.err ||
	{ [ "$VHOST" = on ] && ! modprobe vhost_net 2>>/tmp/mp.err; }; then
	r_fail "L1 has bridge, tun$([ "$VHOST" = on ] && echo ', vhost_net')" "$(cat /tmp/mp.err)"
	r_done
	exit 0
fi
brctl addbr br0 && ip addr add 192.0.2.1/24 dev br0 && ip link set br0 up
dd if=/dev/urandom of=/tmp/data2 bs=64k count=64 2>/dev/null
md5_in=$(md5sum </tmp/data2 | cut -d' ' -f1)
# The host end of the guest's transfer (busybox nc: its stdin must stay open).
sleep 600 | nc -l -p 5001 >/tmp/recv &
rm -f /tmp/vl.rc /tmp/vl.err /tmp/qmp.out
t0=$(r_uptime)
( VIREO_LOG=debug timeout -s KILL 170 "$VMM" -kernel "$R_L2_KERNEL" -initrd "$R_L2_INITRD" \
	-append "console=ttyS0 quiet panic=-1 rig.l2net=1" \
	-serial stdio -nodefaults -display none -m 256 -smp "${SMP:-2}" \
	-qmp unix:/tmp/qmp.sock,server=on,wait=off \
	-netdev tap,id=hn0,ifname=vtap0,script=no,downscript=no,queues=2,vhost=$VHOST \
	-device virtio-net-pci,netdev=hn0,id=net0,mq=on,vectors=6 </dev/null 2>/tmp/vl.err
  echo $? >/tmp/vl.rc ) | tee /tmp/vl.out &
# The worker made the tap (ifname=, 2 queues): into the bridge with it.
if r_wait_for 15 test -d /sys/class/net/vtap0; then
	brctl addif br0 vtap0 && ip link set vtap0 up
	r_diag "vtap0 in br0 after $(r_elapsed "$t0") s"
fi
line() { r_first "^$1" /tmp/vl.out; }
r_wait_for 100 r_has '^L2-NET-PING ' /tmp/vl.out
r_diag "L2 reached the ping after $(r_elapsed "$t0") s"

q=$(line L2-NET-QUEUES)
if [ "$q" = "L2-NET-QUEUES rx-0 rx-1 tx-0 tx-1" ]; then
	r_ok "eth0 comes up with 2 queue pairs (rx-0 rx-1 tx-0 tx-1)"
else
	r_fail "eth0 comes up with 2 queue pairs (rx-0 rx-1 tx-0 tx-1)" "got: ${q:-no L2-NET-QUEUES line}" \
		"$(r_tail /tmp/vl.out 30)" "$(grep -v 'irqfd\|GSI' /tmp/vl.err | tail -n 20)"
fi
c1=$(line 'L2-NET-COMBINED 1') c2=$(line 'L2-NET-COMBINED 2')
# The worker logs each VQ_PAIRS_SET: 2 at the driver's probe, then 1, then 2.
set2=$(grep -c 'driver set 2 queue pair(s) in use' /tmp/vl.err)
if [ "$c1" = "L2-NET-COMBINED 1 rc=0 now=1 queues=rx-0 tx-0 " ] &&
	[ "$c2" = "L2-NET-COMBINED 2 rc=0 now=2 queues=rx-0 rx-1 tx-0 tx-1 " ] &&
	grep -q 'driver set 1 queue pair(s) in use' /tmp/vl.err && [ "$set2" -ge 2 ]; then
	r_ok "ethtool -L eth0 combined 1, then 2: the guest's queues and the device's pairs follow"
else
	r_fail "ethtool -L eth0 combined 1, then 2: the guest's queues and the device's pairs follow" \
		"got: ${c1:-no line}" "got: ${c2:-no line}" "worker: $(grep 'queue pair' /tmp/vl.err)"
fi
p=$(line L2-NET-PING)
case "$p" in
"L2-NET-PING rc=0 3 packets transmitted, 3 packets received"*)
	r_ok "ping from the guest to L1 across the bridge" ;;
*)	r_fail "ping from the guest to L1 across the bridge" "got: ${p:-no L2-NET-PING line}" \
		"bridge ports: $(ls /sys/class/net/br0/brif 2>&1)" "$(r_tail /tmp/vl.out 20)" ;;
esac

# Guest to host: 4 MiB into our nc on 5001.
t1=$(r_uptime)
r_wait_for 60 r_has '^L2-NET-TX rc=' /tmp/vl.out
tx_secs=$(r_elapsed "$t1")
md5_out=$(line L2-NET-TX-MD5 | cut -d' ' -f2)
got=$(md5sum </tmp/recv | cut -d' ' -f1)
if [ -n "$md5_out" ] && [ "$got" = "$md5_out" ] && [ "$(line 'L2-NET-TX rc=')" = "L2-NET-TX rc=0" ]; then
	r_ok "4 MiB from the guest arrive intact (nc, md5)"
	r_diag "timing $T-tx-4MiB=$tx_secs"
else
	r_fail "4 MiB from the guest arrive intact (nc, md5)" "guest md5 ${md5_out:-none}, L1 got $got ($(wc -c </tmp/recv) bytes)" \
		"$(line 'L2-NET-TX rc=')" "$(r_tail /tmp/vl.out 10)"
fi
killall sleep 2>/dev/null

# Host to guest: 4 MiB to the guest's nc on 5002.
if r_wait_for 30 r_has '^L2-NET-RX-LISTEN' /tmp/vl.out; then
	t1=$(r_uptime)
	n=0
	until timeout -s KILL 60 nc 192.0.2.2 5002 </tmp/data2 2>/tmp/nc.err; do
		n=$((n + 1)); [ $n -ge 10 ] && break; sleep 0.5	# the listener may not be up yet
	done
	r_wait_for 30 r_has '^L2-NET-RX-MD5' /tmp/vl.out
	rx_secs=$(r_elapsed "$t1")
fi
rx=$(line L2-NET-RX-MD5)
if [ "$rx" = "L2-NET-RX-MD5 $md5_in bytes=4194304" ]; then
	r_ok "4 MiB from L1 arrive intact in the guest (nc, md5)"
	r_diag "timing $T-rx-4MiB=$rx_secs"
else
	r_fail "4 MiB from L1 arrive intact in the guest (nc, md5)" "sent $md5_in, got: ${rx:-no L2-NET-RX-MD5 line}" \
		"$(cat /tmp/nc.err 2>/dev/null)" "$(r_tail /tmp/vl.out 10)"
fi

# Pings across a stop/cont of the VM (vhost: the rings go back to the worker and out).
if r_wait_for 30 r_has '^L2-NET-PING2 start' /tmp/vl.out; then
	sleep 1
	rig-qmp -t 10 /tmp/qmp.sock '{"execute":"stop"}' >>/tmp/qmp.out 2>&1
	sleep 2
	rig-qmp -t 10 /tmp/qmp.sock '{"execute":"cont"}' >>/tmp/qmp.out 2>&1
	r_wait_for 40 r_has '^L2-NET-PING2 [0-9]' /tmp/vl.out
fi
p2=$(line 'L2-NET-PING2 [0-9]')
recv2=$(echo "$p2" | sed -n 's/.*transmitted, \([0-9]*\) packets received.*/\1/p')
if [ -n "$recv2" ] && [ "$recv2" -ge 9 ] && grep -q '"event": "STOP"' /tmp/qmp.out &&
	grep -q '"event": "RESUME"' /tmp/qmp.out; then
	r_ok "pings go on across QMP stop and cont"
else
	r_fail "pings go on across QMP stop and cont" "got: ${p2:-no L2-NET-PING2 result}" \
		"$(cat /tmp/qmp.out)"
fi
st=$(line L2-NET-STATS)
[ -n "$st" ] && r_diag "guest per-queue packets:${st#L2-NET-STATS}"
if [ "$VHOST" = on ]; then
	if grep -q 'with vhost-net' /tmp/vl.err && grep -q 'pair 0 in vhost-net' /tmp/vl.err &&
		! grep -q 'did not start' /tmp/vl.err; then
		r_ok "the queues ran in vhost-net"
		grep 'in vhost-net (call' /tmp/vl.err | while IFS= read -r l; do r_diag "$l"; done
	else
		r_fail "the queues ran in vhost-net" "$(grep -i vhost /tmp/vl.err)"
	fi
fi
r_wait_for 30 test -s /tmp/vl.rc
rc=$(cat /tmp/vl.rc 2>/dev/null)
[ -z "$rc" ] && r_diag "guest still up? $(ping -c 2 -W 3 192.0.2.2 2>&1 | grep transmitted)"
# Still running (the guest hung): QMP quit, so the worker logs its counters.
[ -z "$rc" ] && rig-qmp -t 10 /tmp/qmp.sock '{"execute":"quit"}' >>/tmp/qmp.out 2>&1 &&
	r_wait_for 10 test -s /tmp/vl.rc
grep -E 'virtio-net-pci.*(rx [0-9]|pair [0-9]:)' /tmp/vl.err | while IFS= read -r l; do r_diag "$l"; done
grep '^L2-NET-\(ETHTOOL\|IRQ\)' /tmp/vl.out | tr -d '\r' | while IFS= read -r l; do r_diag "$l"; done
if [ "$rc" = 0 ]; then
	r_ok "the guest powers off and the worker exits 0"
	r_diag "timing $T-worker=$(r_elapsed "$t0")"
else
	r_fail "the guest powers off and the worker exits 0" "status ${rc:-none (still running)}" \
		"$(grep -v 'irqfd\|GSI' /tmp/vl.err | tail -n 20)"
fi
killall sleep 2>/dev/null
r_done
