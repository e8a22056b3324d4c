#!/bin/bash
# virtio-net as the test guest's driver sees it ("net" mode, its own TAP plan of 12
# checks): frames on every tx queue echoed by tests/lib/netecho.py on the tap, every rx
# queue receiving, checksum offload both ways, an MTU-sized frame, 1 of 2 queue pairs and
# back, malformed ctrl commands; under vireo-vmm and QEMU with queues=1 and queues=2 the
# same TAP results. A malformed tx chain resets the device only: the guest sees
# NEEDS_RESET, resets and sends again, the worker still answers QMP and powers off.
# Everything runs in a network namespace the test creates (and deletes), on a tap in it;
# the guest is 192.0.2.2, the responder 192.0.2.1.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir
QEMU=${QEMU:-qemu-system-x86_64}
QBOOT=/usr/share/qemu/qboot.rom
NETECHO=$VIREO_TEST_SRCDIR/tests/lib/netecho.py
NS=vireo-nt-$$
MAC=52:54:00:12:34:56
MTU=4000
DEV_MTU=",host_mtu=$MTU"	# the device's MTU property; the QEMU run without features drops it
RUN_TIMEOUT=30

CHECKS=(
	"vireo-vmm queues=1: the guest's net checks pass"
	"vireo-vmm queues=2: the guest's net checks pass (every queue, 1 of 2 pairs and back)"
	"vireo-vmm queues=2, tap fds passed as libvirt does (fds=a:b): the net checks pass"
	"vireo-vmm: a malformed tx chain resets only the device; QMP answers, it powers off"
	"QEMU queues=1: the guest's net checks pass"
	"QEMU queues=2: the guest's net checks pass"
	"QEMU: the guest copes without CSUM, GUEST_CSUM, MRG_RXBUF, STATUS, CTRL_VQ, MTU"
	"QEMU: a malformed tx chain resets the device only"
	"same net TAP results under vireo-vmm and QEMU, queues=1"
	"same net TAP results under vireo-vmm and QEMU, queues=2"
	"same net TAP results under vireo-vmm and QEMU, malformed tx chains"
	"vireo-vmm: partial checksums cross the tap both ways (vnet header, offloads), as in QEMU"
	"vireo-vmm: the bad tx chains are logged, each once, as needing a reset by the guest"
)
skip_all() { vmm_skip_all "$1" "${CHECKS[@]}"; }

why=$(vmm_host_problem) && skip_all "$why"
[ "$(id -u)" = 0 ] || skip_all "needs root for ip netns and a tap (running as $(id -un))"
[ -c /dev/net/tun ] || skip_all "/dev/net/tun does not exist"
command -v ip >/dev/null || skip_all "iproute2 (ip) is not installed"
ip netns add "$NS" 2>"$T_TMP/netns.err" || skip_all "ip netns add failed: $(cat "$T_TMP/netns.err")"
trap 't_cleanup; ip netns del "$NS" 2>/dev/null' EXIT
trap 'exit 1' TERM INT HUP	# so that the EXIT trap runs on a timeout too
# (Background processes are started with ip netns exec itself, not through this function,
# so that $! is the process: ip execs it.)
in_ns() { ip netns exec "$NS" "$@"; }
# No IPv6 chatter (router solicitations, DAD) on the tap: only the guest's frames.
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
qemu_why=
command -v "$QEMU" >/dev/null || qemu_why="$QEMU is not installed"
[ -z "$qemu_why" ] && [ ! -f "$QBOOT" ] && qemu_why="$QBOOT is not installed"

# tap_fresh QUEUES: a new tap vt0 (multi-queue when QUEUES > 1), MTU $MTU, up, and an echo
# responder on it (pid ECHO_PID, output in $T_TMP/echo.NAME).
tap_fresh() {
	local q=$1 name=$2 mq=
	in_ns ip link del vt0 2>/dev/null
	[ "$q" -gt 1 ] && mq=multi_queue
	in_ns ip tuntap add dev vt0 mode tap $mq &&
		in_ns ip link set vt0 mtu "$MTU" up || return 1
	ip netns exec "$NS" python3 "$NETECHO" echo vt0 --timeout $((RUN_TIMEOUT + 10)) \
		>"$T_TMP/echo.$name" 2>&1 &
	ECHO_PID=$!
	t_track_pid "$ECHO_PID"
	t_wait_for 10 grep -q 'netecho: ready' "$T_TMP/echo.$name"
}
echo_stop() { kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null; }

# worker_argv KIND QUEUES APPEND [fds] [EXTRA-DEVICE-PROPS]: the worker's command line
# (in WARGV) with the test guest and one virtio-net on the tap vt0.
worker_argv() {
	local kind=$1 q=$2 append=$3 how=${4:-ifname} extra=${5:-} netdev dev
	if [ "$how" = fds ]; then
		netdev="tap,id=n0,fds=@FDS@,vhost=off"
		[ "$q" -gt 1 ] || netdev="tap,id=n0,fd=@FDS@,vhost=off"
	else
		netdev="tap,id=n0,ifname=vt0,script=no,downscript=no,vhost=off,queues=$q"
	fi
	dev="virtio-net-pci,netdev=n0,mac=$MAC$DEV_MTU"
	[ "$q" -gt 1 ] && dev="$dev,mq=on,vectors=$((2 * q + 2))"
	if [ "$kind" = vireo ]; then
		WARGV=("$VMM")
	else
		WARGV=("$QEMU" -accel kvm -cpu qemu64 -bios "$QBOOT")
		dev="$dev,disable-legacy=on"
	fi
	WARGV+=(-m 128 -nodefaults -display none -serial stdio
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "$append"
		-netdev "$netdev" -device "$dev$extra")
	[ "$how" = fds ] && WARGV=(python3 "$NETECHO" exec-taps vt0 "$q" "${WARGV[@]}")
}

# run NAME KIND QUEUES APPEND [fds|ifname] [EXTRA]: one guest run to its end; serial in
# $T_TMP/NAME.out, stderr in NAME.err, status in RC.
run() {
	local name=$1 kind=$2 q=$3 append=$4 how=${5:-ifname} extra=${6:-}
	if ! tap_fresh "$q" "$name"; then
		echo "tap or responder did not come up" >"$T_TMP/$name.err"; RC=setup; return
	fi
	worker_argv "$kind" "$q" "$append" "$how" "$extra"
	start_worker "$name"
	wait "$TPID"; RC=$?
	echo_stop
}

# start_worker NAME: WARGV in the namespace under timeout, in the background; TPID is
# timeout's pid, WPID the worker's, both tracked.
start_worker() {
	ip netns exec "$NS" timeout -k 5 "$RUN_TIMEOUT" "${WARGV[@]}" </dev/null \
		>"$T_TMP/$1.out" 2>"$T_TMP/$1.err" &
	TPID=$!
	t_track_pid "$TPID"
	WPID=$(vmm_child_of "$TPID") && t_track_pid "$WPID"
}

# run_hostile NAME KIND: "net hostile-net idle" with QMP; once the guest idles after its
# plan, query-status must say running, then the power button ends it (status 0).
run_hostile() {
	local name=$1 kind=$2
	if ! tap_fresh 2 "$name"; then
		echo "tap or responder did not come up" >"$T_TMP/$name.err"; RC=setup; return
	fi
	worker_argv "$kind" 2 "net hostile-net idle"
	WARGV+=(-qmp "unix:$T_TMP/$name.sock,server=on,wait=off")
	start_worker "$name"
	QMP_OUT=
	ready_or_gone() { grep -q 'vireo-testguest ready' "$T_TMP/$name.out" || ! kill -0 "$TPID"; }
	if t_wait_for 20 ready_or_gone && kill -0 "$TPID" 2>/dev/null; then
		QMP_OUT=$(python3 "$QMP_PY" --timeout 10 "$T_TMP/$name.sock" query-status \
			system_powerdown event:SHUTDOWN 2>&1)
	fi
	t_wait_for 15 eval '! kill -0 "$TPID" 2>/dev/null' || kill -9 $WPID "$TPID" 2>/dev/null
	wait "$TPID"; RC=$?
	echo_stop
}

log() {	# the run's serial (TAP and comments), stderr, the responder's summary
	local f
	for f in "$T_TMP/$1.out" "$T_TMP/$1.err" "$T_TMP/echo.$1"; do
		[ -s "$f" ] || continue
		echo "--- ${f##*/}"
		grep -v '^# \(memmap\|pci\|start_info\)' "$f" | tail -n 40
	done
}
tap_of() { vmm_tap_lines <"$T_TMP/$1.out"; }

# passed NAME: the plan ran to its end with no failure; the guest's exit status was 1.
passed() {
	[ "$RC" = 1 ] && grep -qx '1\.\.12' "$T_TMP/$1.out" && grep -q '^ok 12 ' "$T_TMP/$1.out" &&
		! grep -q '^not ok' "$T_TMP/$1.out"
}
# hostile_passed NAME: checks 11-12 ran (not skipped) and passed, QMP said running, the
# guest powered off (status 0).
hostile_passed() {
	[ "$RC" = 0 ] && grep -q '^ok 11 - virtio-net: malformed tx chains set NEEDS_RESET$' \
		"$T_TMP/$1.out" && grep -q '^ok 12 - .*again$' "$T_TMP/$1.out" &&
		! grep -q '^not ok' "$T_TMP/$1.out" &&
		grep -q '^return query-status {.*"status": "running"' <<<"$QMP_OUT" &&
		grep -q 'vireo-testguest powering off' "$T_TMP/$1.out"
}
report() {	# NAME CHECK-INDEX PREDICATE
	if $3 "$1"; then
		t_ok "${CHECKS[$2]}"
	else
		t_fail "${CHECKS[$2]}" "exit $RC" "$(log "$1")" ${QMP_OUT:+"qmp: $QMP_OUT"}
	fi
}
same() {	# CHECK-INDEX VIREO-RUN QEMU-RUN
	if [ -n "$qemu_why" ]; then t_skip "${CHECKS[$1]}" "$qemu_why"; return; fi
	if diff -u <(tap_of "$2") <(tap_of "$3") >"$T_TMP/diff.$2" &&
		grep -qx '1\.\.12' "$T_TMP/$2.out"; then
		t_ok "${CHECKS[$1]}"
	else
		t_fail "${CHECKS[$1]}" "$(cat "$T_TMP/diff.$2")"
	fi
}

# ---- vireo-vmm ----
run v1 vireo 1 net;			report v1 0 passed
run v2 vireo 2 net;			report v2 1 passed
run vfd vireo 2 net fds;		report vfd 2 passed
run_hostile vh vireo;			report vh 3 hostile_passed

# ---- QEMU ----
if [ -n "$qemu_why" ]; then
	for i in 4 5 6 7; do t_skip "${CHECKS[$i]}" "$qemu_why"; done
else
	run q1 qemu 1 net;		report q1 4 passed
	run q2 qemu 2 net;		report q2 5 passed
	DEV_MTU= run qmin qemu 1 "net hostile-net" ifname \
		",csum=off,guest_csum=off,mrg_rxbuf=off,status=off,ctrl_vq=off,mq=off"
	min_ok() {	# skipped: link, pairs set, malformed ctrl, tx csum, 1 pair and back
		passed "$1" && [ "$(grep -c '^ok .* # SKIP' "$T_TMP/$1.out")" = 5 ] &&
			grep -q 'mtu 1500 (default), mrg_rxbuf off' "$T_TMP/$1.out"
	}
	report qmin 6 min_ok
	run_hostile qh qemu;		report qh 7 hostile_passed
fi
same 8 v1 q1
same 9 v2 q2
same 10 vh qh

# With CSUM and GUEST_CSUM the guest's NEEDS_CSUM frames must reach the tap still partial
# (the worker passed the vnet header on) and the responder's partial echoes must reach the
# guest with NEEDS_CSUM (the worker set TUN_F_CSUM): no software checksum on the way.
offload_through() {
	grep -Eq '^# virtio-net: tx csum: the peer saw ([1-9][0-9]*) of \1 frames still partial' \
		"$T_TMP/$1.out" &&
		grep -Eq '^# virtio-net: rx csum \(GUEST_CSUM on\): ([1-9][0-9]*) of \1 partial' \
			"$T_TMP/$1.out"
}
if offload_through v2 && { [ -n "$qemu_why" ] || offload_through q2; }; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "$(grep -h 'csum' "$T_TMP/v2.out" "$T_TMP/q2.out" 2>/dev/null)"
fi
logged_once() {
	local e=$T_TMP/vh.err
	[ "$(grep -c 'tx chain .*needs a reset by the guest driver' "$e")" = 1 ] &&
		[ "$(grep -c 'outside guest RAM.*needs a reset by the guest driver' "$e")" = 1 ]
}
if logged_once; then t_ok "${CHECKS[12]}"; else t_fail "${CHECKS[12]}" "$(cat "$T_TMP/vh.err")"; fi
t_done
