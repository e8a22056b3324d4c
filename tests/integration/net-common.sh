# Helpers for the host-networking tests (net-*.test.sh), which source only this file:
# it brings tap.sh, vmm.sh and daemon.sh, makes $T_TMP and sets the EXIT trap. Every
# network operation happens inside network namespaces the test creates, vireod included
# (`ip netns exec NS vireod`); only the documentation ranges 192.0.2.0/24,
# 198.51.100.0/24 and 203.0.113.0/24 are used.
#
#   net_host_problem        why this host cannot run the tests (status 1: it can)
#   net_require [guests] CHECK...  skip every check (and exit) when the host cannot
#                           run them; "guests": the test also runs test guests
#   net_start_or_fail ROOT NS CHECK...  net_daemon_start, or fail every check and exit
#   net_check_clean_stop CHECK  stop the daemon; CHECK passes when its log has no
#                           sanitizer report
#   net_ns NAME             create namespace $NET_PFX-NAME (lo up; every $NET_PFX-*
#                           is removed at exit); prints its full name
#   in_ns NS CMD...         run CMD in namespace NS
#   net_daemon_start ROOT NS  vireod -v --root ROOT inside NS (log in ROOT.log);
#                           sets NET_DMN_PID; status 1 when it does not answer in 10 s
#   net_daemon_kill9        SIGKILL it (workers and networks live on)
#   net_daemon_stop_clean   SIGTERM it and wait; status 1 (printing them) when its log
#                           has sanitizer reports (ASan builds check leaks at exit)
#   vv ARG...               the CLI on $NET_ROOT
#   net_xml NAME BRIDGE ADDR PREFIX [RANGE-START RANGE-END] [FORWARD]
#                           a network definition (STP off: ports forward at once)
#   net_guest_xml NAME EMULATOR INTERFACES-XML
#                           the test guest, idle, powering itself off after
#                           NET_GUEST_LIFETIME s, with those interfaces
#   net_cleanup             the EXIT trap: dnsmasq of our root, workers, daemon,
#                           namespaces (their links and nft tables go with them)
#   net_leftovers NS        the links, nft tables and dnsmasq processes a namespace
#                           holds besides lo (for "nothing half-created")

. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
trap 'net_cleanup' EXIT

NET_PFX=vt$$
NET_GUEST_LIFETIME=${NET_GUEST_LIFETIME:-60}
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}

net_host_problem() {
	local t
	if [ "$(id -u)" != 0 ]; then echo "needs root (network namespaces)"; return 0; fi
	for t in ip nft dnsmasq busybox; do
		if ! command -v $t >/dev/null && [ ! -x /usr/sbin/$t ] && [ ! -x /sbin/$t ]; then
			echo "$t is not installed"; return 0
		fi
	done
	if [ ! -c /dev/net/tun ]; then echo "/dev/net/tun is missing"; return 0; fi
	if ! ip netns add "$NET_PFX-probe" 2>/dev/null; then
		echo "cannot create network namespaces"; return 0
	fi
	ip netns del "$NET_PFX-probe"
	return 1
}

net_require() {
	local why guests=
	[ "$1" = guests ] && { guests=1; shift; }
	why=$(net_host_problem) && vmm_skip_all "$why" "$@"
	[ -n "$guests" ] || return 0
	why=$(vmm_host_problem) && vmm_skip_all "$why" "$@"
	if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
		vmm_skip_all "vireo-vmm or the test guest is not built" "$@"
	fi
}

net_start_or_fail() {
	local root=$1 ns=$2 c; shift 2
	net_daemon_start "$root" "$ns" && return 0
	for c in "$@"; do t_fail "$c" "vireod did not answer" "$(tail -20 "$root.log")"; done
	t_done
	exit
}

net_check_clean_stop() {
	local out
	if out=$(net_daemon_stop_clean); then t_ok "$1"; else t_fail "$1" "$out"; fi
}

net_ns() {
	local ns=$NET_PFX-$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	echo "$ns"
}

in_ns() {
	local ns=$1; shift
	ip netns exec "$ns" "$@"
}

net_daemon_start() {
	NET_ROOT=$1
	mkdir -p "$NET_ROOT"
	ip netns exec "$2" "$VIREOD" -v --root "$NET_ROOT" 2>>"$NET_ROOT.log" &
	NET_DMN_PID=$!
	t_track_pid $NET_DMN_PID
	t_wait_for 10 rpc "$NET_ROOT" ping >/dev/null
}

net_daemon_kill9() {
	{ kill -9 "$NET_DMN_PID"; wait "$NET_DMN_PID"; } 2>/dev/null
}

net_daemon_stop_clean() {
	{ kill -TERM "$NET_DMN_PID"; wait "$NET_DMN_PID"; } 2>/dev/null
	NET_DMN_PID=
	! dmn_sanitizer_report "$NET_ROOT"
}

vv() {
	"$VIREO_TEST_BUILDDIR/client/vireo" --root "$NET_ROOT" "$@"
}

net_xml() {
	local name=$1 br=$2 addr=$3 prefix=$4 rs=${5:-} re=${6:-} fwd=${7:-nat}
	echo "<network>"
	echo "  <name>$name</name>"
	[ "$fwd" != none ] && echo "  <forward mode='$fwd'/>"
	echo "  <bridge name='$br' stp='off'/>"
	echo "  <ip address='$addr' prefix='$prefix'>"
	[ -n "$rs" ] && echo "    <dhcp><range start='$rs' end='$re'/></dhcp>"
	echo "  </ip>"
	echo "</network>"
}

net_guest_xml() {
	cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$GUEST</kernel>
    <cmdline>${NET_GUEST_CMDLINE:-idle} shutdown-after=$NET_GUEST_LIFETIME</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>$2</emulator>
    $3
    <serial type='pty'/>
  </devices>
</domain>
EOF
}

# The pids of the dnsmasq processes started for $NET_ROOT (by their config path).
net_dnsmasq_pids() {
	local p
	[ -n "${NET_ROOT:-}" ] || return 0
	for p in $(pgrep -x dnsmasq 2>/dev/null); do
		grep -qF -- "$NET_ROOT/run/vireo/networks/" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
	done
}

net_leftovers() {
	local ns=$1
	ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo |
		sed 's/^/link /'
	in_ns "$ns" nft list tables 2>/dev/null | sed 's/^/nft /'
	net_dnsmasq_pids | sed 's/^/dnsmasq pid /'
}

# The workers of $NET_ROOT's domains, vireo-vmm or QEMU (by their status files).
net_worker_pids() {
	local f pid
	for f in "$NET_ROOT"/run/vireo/domains/*/status.json; do
		[ -f "$f" ] || continue
		pid=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$f")
		grep -qE "vireo-vmm|qemu-system" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
	done
}

net_cleanup() {
	local p ns
	for p in $(net_dnsmasq_pids); do kill -9 "$p" 2>/dev/null; done
	if [ -n "${NET_ROOT:-}" ]; then
		for p in $(net_worker_pids); do kill -9 "$p" 2>/dev/null; done
	fi
	if [ -n "${NET_DMN_PID:-}" ]; then
		{ kill -9 "$NET_DMN_PID"; wait "$NET_DMN_PID"; } 2>/dev/null
	fi
	# by name: net_ns runs in $(...), so no list of them survives to here
	for ns in $(ip netns list | awk '{print $1}' | grep "^$NET_PFX-"); do
		ip netns del "$ns" 2>/dev/null
	done
	t_cleanup
}
