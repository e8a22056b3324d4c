#!/bin/bash
# Vireo NAT networks, end to end, inside namespaces this test makes: "host" runs vireod
# and has an uplink (198.51.100.1/24) to "out" (198.51.100.2/24, no route back to the
# guests' subnet); "cli" stands for a guest: a veth on the network's bridge. The network
# is 192.0.2.0/24. Then the bad inputs: each a clear error and nothing half-created.
. "$VIREO_TEST_SRCDIR/tests/integration/net-common.sh"

CHECKS=(
	"net-define: the network is listed inactive, in virsh's table"
	"net-start: the bridge has 192.0.2.1/24, dnsmasq serves it, nft table vireo-t1 is loaded"
	"net-info and net-dumpxml show the active network as virsh does"
	"DHCP: udhcpc on the bridge gets a lease in the range; dnsmasq's lease file has it"
	"masquerade: the client pings the outside namespace and the replies come back"
	"masquerade: a UDP datagram from the client reaches the outside from the uplink's address"
	"a network overlapping an active vireo network does not start; nothing left behind"
	"a network overlapping a host route/address does not start; nothing left behind"
	"a bridge name already in use does not start; nothing left behind"
	"daemon killed and restarted: the network is taken over, a dead dnsmasq restarted"
	"net-destroy removes exactly what net-start created (bridge, table, dnsmasq, run dir)"
	"net-autostart, net-undefine: virsh's messages; the definition files go"
	"errors for a missing network are virsh's two lines"
	"the shipped default network (192.168.122.0/24) is a valid definition"
	"no sanitizer report in the daemon's log (memory errors, leaks at exit)"
)
net_require "${CHECKS[@]}"

R=$T_TMP/root
H=$(net_ns host) && O=$(net_ns out) && C=$(net_ns cli) ||
	vmm_skip_all "cannot create the namespaces" "${CHECKS[@]}"
ip link add up0 netns "$H" type veth peer name out0 netns "$O"
ip -n "$H" addr add 198.51.100.1/24 dev up0 && ip -n "$H" link set up0 up
ip -n "$O" addr add 198.51.100.2/24 dev out0 && ip -n "$O" link set out0 up
net_start_or_fail "$R" "$H" "${CHECKS[@]}"
before=$(net_leftovers "$H")

# ---- define, start ----
net_xml t1 vbr-t1 192.0.2.1 24 192.0.2.10 192.0.2.100 >"$T_TMP/t1.xml"
out1=$(vv net-define "$T_TMP/t1.xml" 2>&1)
out2=$(vv net-list --all 2>&1)
exp2=" Name   State      Autostart   Persistent
-------------------------------------------
 t1     inactive   no          yes"
if [ "$out1" = "Network t1 defined from $T_TMP/t1.xml" ] && [ "$out2" = "$exp2" ] &&
	[ -f "$R/etc/vireo/networks/t1.xml" ]; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "$out1" "$out2"
fi

out=$(vv net-start t1 2>&1)
addr=$(ip -n "$H" -br addr show vbr-t1 2>&1)
table=$(in_ns "$H" nft list table ip vireo-t1 2>&1)
dpid=$(cat "$R/run/vireo/networks/t1/dnsmasq.pid" 2>/dev/null)
if [ "$out" = "Network t1 started" ] && grep -q "192.0.2.1/24" <<<"$addr" &&
	grep -q "masquerade to :1024-65535" <<<"$table" &&
	[ -n "$dpid" ] && grep -q "dnsmasq.*$R/run/vireo/networks/t1/dnsmasq.conf" \
		<(tr '\0' ' ' <"/proc/$dpid/cmdline" 2>/dev/null); then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$out" "$addr" "$table" "dnsmasq pid '$dpid'" "$(tail -5 "$R.log")"
fi

info=$(vv net-info t1 2>&1)
uuid=$(sed -n 's/^UUID: *//p' <<<"$info")
expi="Name:           t1
UUID:           $uuid
Active:         yes
Persistent:     yes
Autostart:      no
Bridge:         vbr-t1"
xml=$(vv net-dumpxml t1 2>&1)
if [ "$info" = "$expi" ] && [ ${#uuid} = 36 ] && grep -q "<uuid>$uuid</uuid>" <<<"$xml" &&
	grep -q "<bridge name='vbr-t1' stp='off' delay='0'/>" <<<"$xml" &&
	grep -q "<range start='192.0.2.10' end='192.0.2.100'/>" <<<"$xml"; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "$info" "$xml"
fi

# ---- a client on the bridge: DHCP, then traffic to the outside ----
cat >"$T_TMP/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}"
	echo "$ip" >"$LEASE_OUT" ;;
esac
exit 0
EOF
chmod +x "$T_TMP/udhcpc.sh"
ip link add c0p netns "$H" type veth peer name c0 netns "$C"
ip -n "$H" link set c0p master vbr-t1 up
ip -n "$C" link set c0 up
cmac=$(ip -n "$C" -br link show c0 | awk '{print $3}')
LEASE_OUT=$T_TMP/lease timeout 20 ip netns exec "$C" busybox udhcpc -i c0 -n -q -t 8 -T 1 \
	-s "$T_TMP/udhcpc.sh" >"$T_TMP/udhcpc.out" 2>&1
lease=$(cat "$T_TMP/lease" 2>/dev/null)
last=${lease##*.}
if [ -n "$lease" ] && [ "${lease%.*}" = 192.0.2 ] && [ "$last" -ge 10 ] && [ "$last" -le 100 ] &&
	grep -q "$cmac $lease" "$R/run/vireo/networks/t1/dnsmasq.leases"; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "lease '$lease'" "$(cat "$T_TMP/udhcpc.out")" \
		"$(cat "$R/run/vireo/networks/t1/dnsmasq.leases" 2>&1)"
fi

ping=$(in_ns "$C" busybox ping -c 3 -W 2 198.51.100.2 2>&1)
if grep -q "3 packets received" <<<"$ping" && ! ip -n "$O" route | grep -q 192.0.2; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$ping" "$(ip -n "$C" addr; ip -n "$C" route)"
fi

# a UDP datagram from the client arrives from the uplink's address
ip netns exec "$O" "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", 7777)); s.settimeout(10)
data, addr = s.recvfrom(100)
print(addr[0], data.decode().strip())' >"$T_TMP/udp.out" 2>&1 &
udp_pid=$!
t_track_pid $udp_pid
sleep 0.3
in_ns "$C" "$PYTHON" -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"vireo-nat", ("198.51.100.2", 7777))'

wait $udp_pid
udp=$(cat "$T_TMP/udp.out")
if [ "$udp" = "198.51.100.1 vireo-nat" ]; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "the outside got: $udp"
fi

# ---- bad input: each start fails, naming the problem; nothing new exists after ----
mid=$(net_leftovers "$H")
bad_start() {	# check-index name bridge addr prefix expected-text
	local out rc
	net_xml "$2" "$3" "$4" "$5" >"$T_TMP/$2.xml"
	vv net-define "$T_TMP/$2.xml" >/dev/null 2>&1
	out=$(vv net-start "$2" 2>&1); rc=$?
	local now
	now=$(net_leftovers "$H")
	if [ $rc = 1 ] && grep -qF "error: Failed to start network $2" <<<"$out" &&
		grep -qF -- "$6" <<<"$out" && [ "$now" = "$mid" ] &&
		[ ! -e "$R/run/vireo/networks/$2" ] && [ "$(vv net-info "$2" | grep Active)" = \
			"Active:         no" ]; then
		t_ok "${CHECKS[$1]}"
	else
		t_fail "${CHECKS[$1]}" "status $rc" "$out" "before: $mid" "after: $now"
	fi
	vv net-undefine "$2" >/dev/null 2>&1
}
bad_start 6 t2 vbr-t2 192.0.2.129 25 \
	"network 't2': its subnet 192.0.2.128/25 overlaps 192.0.2.0/24 of network 't1'"
bad_start 7 t3 vbr-t3 198.51.100.200 25 \
	"network 't3': its subnet 198.51.100.128/25 overlaps 198.51.100.0/24, already in use on interface 'up0'"
bad_start 8 t4 up0 203.0.113.1 24 "network 't4': bridge name 'up0' is already in use"

# ---- the daemon goes away and comes back ----
net_daemon_kill9
kill -9 "$dpid" 2>/dev/null
sleep 0.2
net_daemon_start "$R" "$H"
list=$(vv net-list 2>&1)
dpid2=$(cat "$R/run/vireo/networks/t1/dnsmasq.pid" 2>/dev/null)
if grep -q "^ t1 *active" <<<"$list" && [ -n "$dpid2" ] && [ "$dpid2" != "$dpid" ] &&
	grep -q dnsmasq "/proc/$dpid2/cmdline" && ip -n "$H" link show vbr-t1 >/dev/null; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "$list" "dnsmasq $dpid -> $dpid2" "$(tail -5 "$R.log")"
fi

# ---- destroy ----
ip -n "$H" link set c0p nomaster
out=$(vv net-destroy t1 2>&1)
after=$(net_leftovers "$H")
# what the test made itself stays: the uplink and the client's veth end
if [ "$out" = "Network t1 destroyed" ] && [ "$after" = "$(printf '%s\nlink c0p' "$before")" ] &&
	[ ! -e "$R/run/vireo/networks/t1" ] && ! proc_alive "$dpid2" &&
	ip -n "$H" -br addr show up0 | grep -q 198.51.100.1/24; then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "$out" "before: $before" "after: $after"
fi

o1=$(vv net-autostart t1 2>&1); l1=$(readlink "$R/etc/vireo/networks/autostart/t1.xml")
o2=$(vv net-autostart t1 --disable 2>&1)
o3=$(vv net-undefine t1 2>&1)
if [ "$o1" = "Network t1 marked as autostarted" ] && [ "$l1" = ../t1.xml ] &&
	[ "$o2" = "Network t1 unmarked as autostarted" ] &&
	[ "$o3" = "Network t1 has been undefined" ] && [ ! -e "$R/etc/vireo/networks/t1.xml" ] &&
	[ -z "$(vv -q net-list --all)" ]; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "$o1 / $l1" "$o2" "$o3" "$(ls "$R/etc/vireo/networks")"
fi

e1=$(vv net-start nope 2>&1); r1=$?
e2=$(vv net-destroy t1 2>&1)
if [ $r1 = 1 ] && [ "$e1" = "error: failed to get network 'nope'
error: Network not found: no network with matching name 'nope'" ] &&
	grep -q "no network with matching name 't1'" <<<"$e2"; then
	t_ok "${CHECKS[12]}"
else
	t_fail "${CHECKS[12]}" "$e1" "$e2"
fi

out=$("$VIREO_TEST_BUILDDIR/client/vireo" validate "$VIREO_TEST_SRCDIR/data/networks/default.xml" 2>&1)
if [ $? = 0 ] && grep -q "192.168.122.1" "$VIREO_TEST_SRCDIR/data/networks/default.xml"; then
	t_ok "${CHECKS[13]}"
else
	t_fail "${CHECKS[13]}" "$out"
fi
net_check_clean_stop "${CHECKS[14]}"
t_done
