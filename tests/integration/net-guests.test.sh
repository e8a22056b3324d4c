#!/bin/bash
# Two test guests on one vireo NAT network (192.0.2.0/24), in a namespace this test
# makes, under vireo-vmm: each guest's frames cross the network's bridge into the other
# guest's tap and are taken into the other guest's virtio-net receive ring.
#
# The guests run their "net" mode (tests/guest/README.md): every frame goes to
# 02:00:00:00:00:01, a MAC no port of the bridge has, so the bridge floods it to every
# other port: the other guest's tap. A packet socket in the namespace sees each frame
# leave the bridge towards a tap (PACKET_OUTGOING on that tap); the tap's transmit
# counter (domifstat's rx, the guest's view) grows only when the worker reads a frame
# into a receive buffer the guest posted. No echo responder answers, so the guests'
# own echo checks fail; that is not what this test looks at.
. "$VIREO_TEST_SRCDIR/tests/integration/net-common.sh"

CHECKS=(
	"two guests start on one NAT network, their taps on its bridge"
	"guest A's frames cross the bridge to guest B's tap, and B's to A's"
	"each guest's worker takes the other's frames into its receive ring (domifstat)"
	"both guests' drivers ran (virtio-net initialised, link up) and saw foreign frames"
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
# Count, per tap, the guests' UDP frames (port 7, payload "VNET") leaving towards it,
# by source MAC; print "TAP SRC COUNT" lines at the end.
cat >"$T_TMP/sniff.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.settimeout(0.2)
end = time.time() + float(sys.argv[1])
counts = {}
while time.time() < end:
    try:
        frame, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    ifname, pkttype = addr[0], addr[2]
    if pkttype != 4 or not ifname.startswith("vt-"):      # PACKET_OUTGOING on a tap
        continue
    if frame[12:14] != b"\x08\x00" or frame[23] != 17 or frame[42:46] != b"VNET":
        continue
    src = ":".join("%02x" % b for b in frame[6:12])
    counts[(ifname, src)] = counts.get((ifname, src), 0) + 1
    with open(sys.argv[2], "w") as f:
        for (i, m), n in sorted(counts.items()):
            f.write("%s %s %d\n" % (i, m, n))
EOF
ip netns exec "$H" "$PYTHON" "$T_TMP/sniff.py" 30 "$T_TMP/sniff.out" &
sniff_pid=$!
t_track_pid $sniff_pid
sleep 0.3

NET_GUEST_CMDLINE="net idle"
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

# the guests' plan takes about 10 s; wait for both to reach their idle loop
console() {	# domain text seconds -> what came
	"$PYTHON" "$RPC_PY" "$R/run/vireo/vireod.sock" --console "$1" "$2" "$3" 2>/dev/null
}
console ga "# idle:" 40 >"$T_TMP/ga.serial"
console gb "# idle:" 40 >"$T_TMP/gb.serial"
kill "$sniff_pid" 2>/dev/null
wait "$sniff_pid" 2>/dev/null
a_to_b=$(awk -v m="$MAC_A" '$1 == "vt-gb" && $2 == m {print $3}' "$T_TMP/sniff.out" 2>/dev/null)
b_to_a=$(awk -v m="$MAC_B" '$1 == "vt-ga" && $2 == m {print $3}' "$T_TMP/sniff.out" 2>/dev/null)
if [ "${a_to_b:-0}" -ge 8 ] && [ "${b_to_a:-0}" -ge 8 ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "A->B ${a_to_b:-0} frames, B->A ${b_to_a:-0}" \
		"$(cat "$T_TMP/sniff.out" 2>&1)"
fi

# what the tap transmitted is what the guest's worker read (the guest's rx)
rx_a=$(vv domifstat ga vt-ga | awk '$2 == "rx_packets" {print $3}')
rx_b=$(vv domifstat gb vt-gb | awk '$2 == "rx_packets" {print $3}')
if [ "${rx_b:-0}" -ge "${a_to_b:-1}" ] && [ "${rx_a:-0}" -ge "${b_to_a:-1}" ] &&
	[ "${a_to_b:-0}" -gt 0 ]; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "guest A rx $rx_a (B sent it $b_to_a), guest B rx $rx_b (A sent it $a_to_b)"
fi

stray() { grep -o "^# virtio-net: [0-9]* frames that are not our echoes" "$1" |
	awk '{s += $3} END {print s + 0}'; }
sa=$(stray "$T_TMP/ga.serial"); sb=$(stray "$T_TMP/gb.serial")
if grep -q "^ok 1 - virtio-net: modern device initialised" "$T_TMP/ga.serial" &&
	grep -q "^ok 1 - virtio-net: modern device initialised" "$T_TMP/gb.serial" &&
	grep -q "^ok 2 - virtio-net: link is up" "$T_TMP/ga.serial" &&
	grep -q "^ok 2 - virtio-net: link is up" "$T_TMP/gb.serial" && [ "$sa" -gt 0 ] &&
	[ "$sb" -gt 0 ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "foreign frames seen: A $sa, B $sb" "$(tail -5 "$T_TMP/ga.serial")" \
		"$(tail -5 "$T_TMP/gb.serial")"
fi
vv destroy ga >/dev/null 2>&1
vv destroy gb >/dev/null 2>&1
vv net-destroy g1 >/dev/null 2>&1
net_check_clean_stop "${CHECKS[4]}"
t_done
