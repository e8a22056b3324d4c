#!/bin/bash
# Two test guests on one vireo NAT network (192.0.2.0/24), in a namespace this test
# makes, under vireo-vmm: each guest's frames cross the network's bridge into the other
# guest, and the guest itself sees them arrive.
#
# The guests run their "net-peer" mode (tests/guest/README.md): each broadcasts 20
# frames (ethertype 0x88b5, payload "VPEER" and its MAC) over 5 s while it receives for
# 6 s, then prints which other MACs it got frames from ("ok 3 - net-peer: received N
# frames from MAC"), and goes idle. Guest A's serial must name B's MAC and B's A's.
. "$VIREO_TEST_SRCDIR/tests/integration/net-common.sh"

CHECKS=(
	"two guests start on one NAT network, their taps on its bridge"
	"guest A: virtio-net up, sent its frames, received guest B's frames"
	"guest B: virtio-net up, sent its frames, received guest A's frames"
	"each guest's worker counted the frames its guest received (domifstat rx)"
	"no sanitizer report in the daemon's log (memory errors, leaks at exit)"
)
net_require guests "${CHECKS[@]}"

R=$T_TMP/root
H=$(net_ns host) || vmm_skip_all "cannot create a namespace" "${CHECKS[@]}"
net_start_or_fail "$R" "$H" "${CHECKS[@]}"
net_xml g1 vbr-g1 192.0.2.1 24 192.0.2.10 192.0.2.100 >"$T_TMP/g1.xml"
vv net-define "$T_TMP/g1.xml" >/dev/null && vv net-start g1 >/dev/null

MAC_A=52:54:00:00:0a:01
MAC_B=52:54:00:00:0b:01
NET_GUEST_CMDLINE="net-peer idle"
NET_GUEST_LIFETIME=30
for g in a b; do
	mac=MAC_${g^^}
	net_guest_xml "g$g" "$VMM" "<interface type='network'><source network='g1'/>
		<mac address='${!mac}'/><target dev='vt-g$g'/><model type='virtio'/></interface>" \
		>"$T_TMP/g$g.xml"
	vv define "$T_TMP/g$g.xml" >/dev/null
	vv start "g$g" >"$T_TMP/g$g.start" 2>&1
done
ports=$(ip -n "$H" -o link show master vbr-g1 | awk -F': ' '{print $2}' | sed 's/@.*//' | sort |
	tr '\n' ' ')
if [ "$ports" = "vt-ga vt-gb " ] && [ "$(vv domstate ga)" = running ] &&
	[ "$(vv domstate gb)" = running ]; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "ports: $ports" "$(cat "$T_TMP/ga.start" "$T_TMP/gb.start")"
fi

# the guests' plan takes about 6 s; wait for both to reach their idle loop
console() {	# domain text seconds -> what came
	"$PYTHON" "$RPC_PY" "$R/run/vireo/vireod.sock" --console "$1" "$2" "$3" 2>/dev/null
}
console ga "# idle:" 20 >"$T_TMP/ga.serial"
console gb "# idle:" 20 >"$T_TMP/gb.serial"

# peer_check CHECK SERIAL OTHER-MAC: the guest's plan passed and check 3 names OTHER-MAC
peer_check() {
	local check=$1 serial=$2 other=$3
	if grep -q "^ok 1 - net-peer: virtio-net device up" "$serial" &&
		grep -q "^ok 2 - net-peer: sent 20 frames$" "$serial" &&
		grep -q "^ok 3 - net-peer: received [1-9][0-9]* frames from $other$" "$serial" &&
		! grep -q "^not ok" "$serial"; then
		t_ok "$check"
	else
		t_fail "$check" "expected frames from $other" "$(grep -E "^(not )?ok|^# net-peer" "$serial")"
	fi
}
peer_check "${CHECKS[1]}" "$T_TMP/ga.serial" "$MAC_B"
peer_check "${CHECKS[2]}" "$T_TMP/gb.serial" "$MAC_A"

# what a guest took from its receive ring the worker read from its tap (the guest's rx)
got() { sed -n "s/^# net-peer: \([0-9]*\) frames from $2$/\1/p" "$1"; }
got_a=$(got "$T_TMP/ga.serial" "$MAC_B"); got_b=$(got "$T_TMP/gb.serial" "$MAC_A")
rx_a=$(vv domifstat ga vt-ga | awk '$2 == "rx_packets" {print $3}')
rx_b=$(vv domifstat gb vt-gb | awk '$2 == "rx_packets" {print $3}')
if [ "${got_a:-0}" -gt 0 ] && [ "${got_b:-0}" -gt 0 ] && [ "${rx_a:-0}" -ge "$got_a" ] &&
	[ "${rx_b:-0}" -ge "$got_b" ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "guest A got ${got_a:-0} from B, its tap rx ${rx_a:-?};" \
		"guest B got ${got_b:-0} from A, its tap rx ${rx_b:-?}"
fi
vv destroy ga >/dev/null 2>&1
vv destroy gb >/dev/null 2>&1
vv net-destroy g1 >/dev/null 2>&1
net_check_clean_stop "${CHECKS[4]}"
t_done
