#!/bin/bash
# The host side of a domain's interfaces: taps on a pre-made bridge, on a vireo
# network, ethernet taps (managed and managed='no'), multiqueue, what stopping the
# domain and a daemon crash leave behind, the interface commands, and the start errors.
# vireod and the test guests run in a namespace this test makes; the worker is
# vireo-vmm, and QEMU too for the multiqueue check.
. "$VIREO_TEST_SRCDIR/tests/integration/net-common.sh"

CHECKS=(
	"bridge mode: the tap is a port of the pre-made bridge, its MTU, host MAC fe:..."
	"<mtu size> wins over the bridge's MTU; a guest MAC fe:... gets host MAC fa:..."
	"domiflist, domifstat: virsh's shapes, the guest's view of the tap's counters"
	"domif-setlink down/up: the worker's link (QMP set_link), domif-getlink, the live XML"
	"network mode: the tap on the network's bridge (back after a net restart; forward mode bridge)"
	"ethernet managed='no': the existing tap is used as it is and left after the stop"
	"queues=4 (vireo-vmm): a multi_queue tap with 4 queues, 4 fds to the worker"
	"queues=4 (QEMU as the worker): the same tap, the same fds"
	"stopping the domain removes its taps and the record of them"
	"a tap kept alive by another process is deleted by the next daemon (crash reconcile)"
	"a missing bridge is a start error naming it; no tap left behind"
	"<driver name='vhost'> without /dev/vhost-net: start fails with libvirt's message"
	"a tap name longer than 15 characters is refused at define"
	"an inactive network, an existing tap name: start errors; nothing left behind"
	"no sanitizer report in the daemon's log (memory errors, leaks at exit)"
)
net_require guests "${CHECKS[@]}"

R=$T_TMP/root
H=$(net_ns host) || vmm_skip_all "cannot create a namespace" "${CHECKS[@]}"
ip -n "$H" link add br-pre type bridge
ip -n "$H" link set br-pre mtu 1400 up
net_start_or_fail "$R" "$H" "${CHECKS[@]}"

# define + start a guest; status of start, its output in $T_TMP/NAME.start
guest() {	# name emulator interfaces-xml
	net_guest_xml "$1" "$2" "$3" >"$T_TMP/$1.xml"
	vv define "$T_TMP/$1.xml" >/dev/null 2>&1
	vv start "$1" >"$T_TMP/$1.start" 2>&1
}
link_of() { ip -n "$H" -d link show "$1" 2>&1; }
iface() {	# type source-xml mac [extra]
	echo "<interface type='$1'>$2<mac address='$3'/><model type='virtio'/>${4:-}</interface>"
}

# ---- bridge mode ----
# b1's driver runs (the guest's "net" checks, no echo responder: they fail, the guest
# goes idle), so its tap's counters move
NET_GUEST_CMDLINE="net idle" guest b1 "$VMM" "$(iface bridge "<source bridge='br-pre'/>" 52:54:00:00:00:11)
	$(iface bridge "<source bridge='br-pre'/>" fe:54:00:00:00:12 "<target dev='vt-mtu'/><mtu size='1300'/>")"
l1=$(link_of vnet0); l2=$(link_of vt-mtu)
if grep -q "master br-pre" <<<"$l1" && grep -q "mtu 1400 " <<<"$l1" &&
	grep -q "link/ether fe:54:00:00:00:11" <<<"$l1" && grep -q "state UP\|LOWER_UP" <<<"$l1"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "$(cat "$T_TMP/b1.start")" "$l1"
fi
if grep -q "master br-pre" <<<"$l2" && grep -q "mtu 1300 " <<<"$l2" &&
	grep -q "link/ether fa:54:00:00:00:12" <<<"$l2"; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$l2"
fi

list=$(vv domiflist b1 2>&1)
expl=" Interface   Type     Source   Model    MAC
-----------------------------------------------------------
 vnet0       bridge   br-pre   virtio   52:54:00:00:00:11
 vt-mtu      bridge   br-pre   virtio   fe:54:00:00:00:12"
# what the guest sends is the tap's rx, domifstat's tx; frames the host sends into
# the tap are the guest's rx once its worker read them
stat_of() { vv domifstat b1 vnet0 | awk -v k="$1" '$2 == k {print $3}'; }
t_wait_for 10 eval '[ "$(stat_of tx_packets)" -gt 0 ]'
rx0=$(stat_of rx_packets)
in_ns "$H" "$PYTHON" - vnet0 <<'EOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(3):
    s.send(b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x09" + b"\x88\xb5" + b"x" * 50)
EOF
t_wait_for 5 eval '[ "$(stat_of rx_packets)" -ge $((rx0 + 3)) ]'
stat=$(vv domifstat b1 vnet0 2>&1)
rxp=$(awk '$2 == "rx_packets" {print $3}' <<<"$stat")
txp=$(awk '$2 == "tx_packets" {print $3}' <<<"$stat")
keys=$(awk '{print $1 " " $2}' <<<"$stat" | tr '\n' ' ')
if [ "$list" = "$expl" ] &&
	[ "$keys" = "vnet0 rx_bytes vnet0 rx_packets vnet0 rx_errs vnet0 rx_drop vnet0 tx_bytes vnet0 tx_packets vnet0 tx_errs vnet0 tx_drop " ] &&
	[ "${rxp:-0}" -ge $((rx0 + 3)) ] && [ "${txp:-0}" -gt 0 ]; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "$list" "$stat"
fi

s1=$(vv domif-setlink b1 vnet0 down 2>&1)
g1=$(vv domif-getlink b1 vnet0 2>&1)
x1=$(vv dumpxml b1 | grep -c "<link state='down'/>")
s2=$(vv domif-setlink b1 52:54:00:00:00:11 up 2>&1)
g2=$(vv domif-getlink b1 52:54:00:00:00:11 2>&1)
e1=$(vv domif-getlink b1 nosuch 2>&1)
if [ "$s1" = "Device updated successfully" ] && [ "$g1" = "vnet0 down" ] && [ "$x1" = 1 ] &&
	[ "$s2" = "Device updated successfully" ] && [ "$g2" = "52:54:00:00:00:11 up" ] &&
	[ "$e1" = "error: Interface (dev: nosuch) not found." ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$s1 / $g1 / $x1" "$s2 / $g2" "$e1" "$(tail -3 "$R.log")"
fi

# ---- network mode ----
net_xml tn vbr-tn 203.0.113.1 24 >"$T_TMP/tn.xml"
vv net-define "$T_TMP/tn.xml" >/dev/null && vv net-start tn >/dev/null
guest n1 "$VMM" "$(iface network "<source network='tn'/>" 52:54:00:00:00:21)"
ln=$(link_of vnet1)
# the network stopped and started again under the running domain: the tap goes back
vv net-destroy tn >/dev/null
ln2=$(link_of vnet1)
vv net-start tn >/dev/null
ln3=$(link_of vnet1)
# a <forward mode='bridge'> network only names the host's bridge
printf "<network><name>tb</name><forward mode='bridge'/><bridge name='br-pre'/></network>\n" \
	>"$T_TMP/tb.xml"
vv net-define "$T_TMP/tb.xml" >/dev/null && vv net-start tb >/dev/null
guest n2 "$VMM" "$(iface network "<source network='tb'/>" 52:54:00:00:00:22 "<target dev='vt-n2'/>")"
ln4=$(link_of vt-n2)
vv destroy n2 >/dev/null 2>&1
vv net-destroy tb >/dev/null
if grep -q "master vbr-tn" <<<"$ln" && [ "$(vv domiflist n1 | awk 'NR==3 {print $1 $2 $3}')" = \
	vnet1networktn ] && ! grep -q "master" <<<"$ln2" && grep -q "master vbr-tn" <<<"$ln3" &&
	grep -q "master br-pre" <<<"$ln4" && ip -n "$H" link show br-pre >/dev/null; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$(cat "$T_TMP/n1.start")" "$ln" "$(vv domiflist n1 2>&1)" \
		"after net-destroy: $ln2" "after net-start: $ln3" "forward mode bridge: $ln4" \
		"$(cat "$T_TMP/n2.start")"
fi

# ---- ethernet managed='no' ----
ip -n "$H" tuntap add dev tp-keep mode tap vnet_hdr
ip -n "$H" link set tp-keep address 02:11:22:33:44:55 mtu 1234
k0=$(ip -n "$H" -br link show tp-keep | awk '{print $3}')
guest e1 "$VMM" "$(iface ethernet "<target dev='tp-keep' managed='no'/>" 52:54:00:00:00:31)"
k1=$(link_of tp-keep)
st1=$(vv domstate e1 2>&1)
vv destroy e1 >/dev/null 2>&1
k2=$(link_of tp-keep)
if [ "$st1" = running ] && grep -q "link/ether 02:11:22:33:44:55" <<<"$k1" &&
	grep -q "mtu 1234 " <<<"$k1" && grep -q "link/ether 02:11:22:33:44:55" <<<"$k2" &&
	grep -q "mtu 1234 " <<<"$k2" && grep -q "persist on" <<<"$k2"; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "$(cat "$T_TMP/e1.start")" "$st1" "$k0" "$k1" "$k2"
fi

# ---- multiqueue ----
mq_check() {	# check-index name emulator
	local l q log
	guest "$2" "$3" "$(iface ethernet "<target dev='vt-$2'/>" 52:54:00:00:00:4${2#q} \
		"<driver queues='4'/>")"
	l=$(link_of "vt-$2")
	# queues the guest does not use are detached (numdisabled): attached + detached = 4
	q=$(sed -n 's/.*numqueues \([0-9]*\) numdisabled \([0-9]*\).*/\1+\2/p' <<<"$l")
	log=$(grep -a "starting domain $2:" "$R/var/log/vireo/$2.log" | tail -1)
	if grep -q "multi_queue" <<<"$l" && [ -n "$q" ] && [ $((q)) = 4 ] &&
		grep -q '"fds":"[0-9]*:[0-9]*:[0-9]*:[0-9]*"' <<<"$log" &&
		in_ns "$H" ip tuntap show | grep -q "^vt-$2: tap multi_queue vnet_hdr"; then
		t_ok "${CHECKS[$1]}"
	else
		t_fail "${CHECKS[$1]}" "$(cat "$T_TMP/$2.start")" "$l" "$log"
	fi
}
mq_check 6 q1 "$VMM"
if [ -x "$QEMU" ]; then
	mq_check 7 q2 "$QEMU"
else
	t_skip "${CHECKS[7]}" "$QEMU is not installed"
fi

# ---- stop ----
for d in b1 n1 q1 q2; do vv destroy "$d" >/dev/null 2>&1; done
taps=$(in_ns "$H" ip tuntap show | grep -v "^tp-keep:")
if [ -z "$taps" ] && [ -z "$(ls "$R"/run/vireo/domains/ 2>/dev/null)" ] &&
	[ -z "$(ip -n "$H" link show master br-pre)" ]; then
	t_ok "${CHECKS[8]}"
else
	t_fail "${CHECKS[8]}" "$taps" "$(ls -R "$R/run/vireo/domains")"
fi

# ---- crash reconcile: a tap with a second holder survives its worker ----
guest c1 "$VMM" "$(iface bridge "<source bridge='br-pre'/>" 52:54:00:00:00:51 \
	"<target dev='vt-crash'/><driver queues='2'/>")"
wpid=$(dom_pid "$R" c1)
net_daemon_kill9
# another process attaches a queue and makes the tap persistent
in_ns "$H" "$PYTHON" - vt-crash <<'EOF'
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
flags = 0x0002 | 0x1000 | 0x4000 | 0x0100   # TAP, NO_PI, VNET_HDR, MULTI_QUEUE
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), flags))
fcntl.ioctl(fd, 0x400454cb, 1)              # TUNSETPERSIST
EOF
kill -9 "$wpid" 2>/dev/null
t_wait_for 5 eval '! proc_alive '"$wpid"
before=$(link_of vt-crash | head -1)
net_daemon_start "$R" "$H"
after=$(link_of vt-crash)
st=$(vv domstate c1 --reason 2>&1)
if grep -q "vt-crash" <<<"$before" && grep -q "does not exist" <<<"$after" &&
	[ "$st" = "shut off (crashed)" ] && [ ! -e "$R/run/vireo/domains/c1" ]; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "before: $before" "after: $after" "$st" "$(tail -5 "$R.log")"
fi

# ---- start errors: nothing left behind ----
base=$(net_leftovers "$H")
start_fails() {	# check-index name expected-text interfaces-xml
	local now
	guest "$2" "$VMM" "$4"
	now=$(net_leftovers "$H")
	if grep -qF "error: Failed to start domain '$2'" "$T_TMP/$2.start" &&
		grep -qF -- "$3" "$T_TMP/$2.start" && [ "$now" = "$base" ] &&
		[ "$(vv domstate "$2" 2>&1)" = "shut off" ]; then
		return 0
	fi
	echo "$(cat "$T_TMP/$2.start")"; echo "before: $base"; echo "after: $now"
	return 1
}
if out=$(start_fails 10 x1 "interface 0 (bridge): bridge 'br-missing' does not exist" \
	"$(iface bridge "<source bridge='br-missing'/>" 52:54:00:00:00:61)"); then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "$out"
fi
if [ -e /dev/vhost-net ]; then
	t_skip "${CHECKS[11]}" "this host has /dev/vhost-net"
elif out=$(start_fails 11 x2 "vhost-net requested but /dev/vhost-net is not available" \
	"$(iface bridge "<source bridge='br-pre'/>" 52:54:00:00:00:62 \
		"<driver name='vhost' queues='2'/>")"); then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "$out"
fi
net_guest_xml x3 "$VMM" "$(iface ethernet "<target dev='abcdefghijklmnop'/>" 52:54:00:00:00:63)" \
	>"$T_TMP/x3.xml"
out=$(vv define "$T_TMP/x3.xml" 2>&1)
if [ $? = 1 ] && grep -qF "<target dev='abcdefghijklmnop'> is longer than 15 characters" <<<"$out" &&
	[ "$(net_leftovers "$H")" = "$base" ]; then
	t_ok "${CHECKS[12]}"
else
	t_fail "${CHECKS[12]}" "$out"
fi
vv net-destroy tn >/dev/null
base=$(net_leftovers "$H")
if out=$(start_fails 13 x4 "network 'tn' is not active" \
	"$(iface network "<source network='tn'/>" 52:54:00:00:00:64)") &&
	out=$(start_fails 13 x5 "the interface 'br-pre' already exists" \
		"$(iface bridge "<source bridge='br-pre'/>" 52:54:00:00:00:65 "<target dev='vt-ok'/>")
		$(iface ethernet "<target dev='br-pre'/>" 52:54:00:00:00:66)"); then
	t_ok "${CHECKS[13]}"
else
	t_fail "${CHECKS[13]}" "$out"
fi
net_check_clean_stop "${CHECKS[14]}"
t_done
