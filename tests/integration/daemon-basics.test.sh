#!/bin/bash
# vireod's skeleton as a user and systemd see it: options, --root, readiness,
# clean stop, single instance, logging target.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
VIREOD=$VIREO_TEST_BUILDDIR/daemon/vireod
NOTIFY=$VIREO_TEST_BUILDDIR/tests/helpers/notify-recv

out=$("$VIREOD" --version)
[ "$out" = "vireod (vireo) 0.1.0" ] && t_ok "--version prints the version" \
	|| t_fail "--version prints the version" "got: $out"

out=$("$VIREOD" --bogus 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "unknown option '--bogus'" <<<"$out"; then
	t_ok "an unknown option is a usage error naming it"
else
	t_fail "an unknown option is a usage error naming it" "rc=$rc" "$out"
fi

out=$("$VIREOD" --timeout soon 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "timeout: 'soon' is not a valid number" <<<"$out"; then
	t_ok "a bad --timeout value is named"
else
	t_fail "a bad --timeout value is named" "rc=$rc" "$out"
fi

# --timeout: exits by itself, having made its directories under --root.
root=$T_TMP/r1
timeout 10 "$VIREOD" --root "$root" --timeout 1 2>"$T_TMP/err1"; rc=$?
if [ $rc -eq 0 ] && [ -d "$root/etc/vireo/domains" ] && [ -d "$root/run/vireo/domains" ] &&
	[ -d "$root/var/log/vireo" ] && [ ! -e "$root/run/vireo/vireod.pid" ]; then
	t_ok "--root keeps everything under the root and --timeout exits cleanly"
else
	t_fail "--root keeps everything under the root and --timeout exits cleanly" "rc=$rc" \
		"$(find "$root" 2>&1)" "$(cat "$T_TMP/err1")"
fi

# Readiness on NOTIFY_SOCKET, then SIGTERM: STOPPING=1 and exit 0.
root=$T_TMP/r2
sock=$T_TMP/notify.sock
"$NOTIFY" "$sock" "STOPPING=1" 20 >"$T_TMP/notify.out" 2>&1 &
npid=$!; t_track_pid $npid
t_wait_for 5 test -S "$sock"
NOTIFY_SOCKET=$sock "$VIREOD" --root "$root" 2>"$T_TMP/err2" &
dpid=$!; t_track_pid $dpid
if t_wait_for 10 grep -q "READY=1" "$T_TMP/notify.out"; then
	t_ok "READY=1 reaches the notify socket"
else
	t_fail "READY=1 reaches the notify socket" "$(cat "$T_TMP/notify.out" "$T_TMP/err2")"
fi
pid_in_file=$(cat "$root/run/vireo/vireod.pid" 2>/dev/null)
[ "$pid_in_file" = "$dpid" ] && t_ok "the pid file holds the daemon's pid" \
	|| t_fail "the pid file holds the daemon's pid" "file: '$pid_in_file' daemon: $dpid"

# A second daemon on the same root refuses, naming the first.
out=$(timeout 10 "$VIREOD" --root "$root" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "another vireod (pid $dpid) is running" <<<"$out"; then
	t_ok "a second daemon on the same root refuses to start"
else
	t_fail "a second daemon on the same root refuses to start" "rc=$rc" "$out"
fi

kill -TERM $dpid
wait $dpid; rc=$?
wait $npid; nrc=$?
if [ $rc -eq 0 ] && [ $nrc -eq 0 ] && [ ! -e "$root/run/vireo/vireod.pid" ]; then
	t_ok "SIGTERM stops the daemon cleanly with STOPPING=1"
else
	t_fail "SIGTERM stops the daemon cleanly with STOPPING=1" "daemon rc=$rc notify rc=$nrc" \
		"$(cat "$T_TMP/notify.out" "$T_TMP/err2")"
fi

# Logs go to stderr, or to the journal when JOURNAL_STREAM names stderr: never both.
root=$T_TMP/r3
"$VIREOD" -v --root "$root" --timeout 1 2>"$T_TMP/log-plain"
if grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ vireod: info: vireod 0.1.0 started, root $root\$" \
	"$T_TMP/log-plain"; then
	t_ok "-v logs to stderr with a timestamp and level"
else
	t_fail "-v logs to stderr with a timestamp and level" "$(cat "$T_TMP/log-plain")"
fi
: >"$T_TMP/log-journal"
js=$(stat -c '%d:%i' "$T_TMP/log-journal")
JOURNAL_STREAM=$js "$VIREOD" -v --root "$root" --timeout 1 2>>"$T_TMP/log-journal"
if [ ! -s "$T_TMP/log-journal" ]; then
	t_ok "with JOURNAL_STREAM on stderr nothing is written to stderr"
else
	t_fail "with JOURNAL_STREAM on stderr nothing is written to stderr" "$(cat "$T_TMP/log-journal")"
fi

VIREO_LOG=debug "$VIREOD" --root "$root" --timeout 1 2>"$T_TMP/log-env"
grep -q "info: no activity for 1 seconds" "$T_TMP/log-env" && t_ok "VIREO_LOG sets the level" \
	|| t_fail "VIREO_LOG sets the level" "$(cat "$T_TMP/log-env")"

# ---- systemd: socket activation, units ----
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
root=$T_TMP/r4
mkdir -p "$root/run/vireo"
if ! command -v systemd-socket-activate >/dev/null; then
	t_skip "socket activation: both sockets come from systemd, READY=1 follows" \
		"systemd-socket-activate is not installed"
	t_skip "socket activation: the socket named ro is the read-only one" \
		"systemd-socket-activate is not installed"
else
	sock=$T_TMP/notify4.sock
	"$NOTIFY" "$sock" "READY=1" 20 >"$T_TMP/notify4.out" 2>&1 &
	npid=$!; t_track_pid $npid
	t_wait_for 5 test -S "$sock"
	systemd-socket-activate -l "$root/run/vireo/vireod.sock" -l "$root/run/vireo/vireod-ro.sock" \
		--fdname=rw:ro -E NOTIFY_SOCKET="$sock" -E VIREO_SCHEMA_DIR \
		"$VIREOD" -v --root "$root" 2>"$T_TMP/err4" &
	apid=$!; t_track_pid $apid
	t_wait_for 5 test -S "$root/run/vireo/vireod.sock"
	# the first connection makes systemd-socket-activate start the daemon
	out=$(rpc "$root" domain.list '{"all": true}')
	if [ "$out" = '{"domains": []}' ] && t_wait_for 10 grep -q "READY=1" "$T_TMP/notify4.out" &&
		grep -q "serving 2 socket(s) passed by systemd" "$T_TMP/err4"; then
		t_ok "socket activation: both sockets come from systemd, READY=1 follows"
	else
		t_fail "socket activation: both sockets come from systemd, READY=1 follows" "$out" \
			"$(cat "$T_TMP/notify4.out" "$T_TMP/err4")"
	fi
	o1=$(rpc_ro "$root" domain.define "$(GUEST=/g VMM=/v dom_xml x | xml_params)")
	o2=$(rpc "$root" domain.define "$(GUEST=/g VMM=/v dom_xml x | xml_params)")
	if grep -q "^error: permission-denied: .*read-only socket" <<<"$o1" && grep -q '"new": true' <<<"$o2"; then
		t_ok "socket activation: the socket named ro is the read-only one"
	else
		t_fail "socket activation: the socket named ro is the read-only one" "$o1" "$o2"
	fi
	kill -TERM $apid; wait $apid
	kill $npid 2>/dev/null
fi

if ! command -v systemd-analyze >/dev/null; then
	t_skip "systemd-analyze verify passes on vireod.service and its sockets" \
		"systemd-analyze is not installed"
else
	mkdir -p "$T_TMP/units"
	# the service as installed, but naming the vireod of this build
	sed "s|@sbindir@/vireod|$VIREOD|" "$VIREO_TEST_SRCDIR/systemd/vireod.service.in" \
		>"$T_TMP/units/vireod.service"
	cp "$VIREO_TEST_SRCDIR/systemd/vireod.socket" "$VIREO_TEST_SRCDIR/systemd/vireod-ro.socket" \
		"$T_TMP/units/"
	out=$(cd "$T_TMP/units" && systemd-analyze verify --man=no vireod.service vireod.socket \
		vireod-ro.socket 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		t_ok "systemd-analyze verify passes on vireod.service and its sockets"
	else
		t_fail "systemd-analyze verify passes on vireod.service and its sockets" "rc=$rc" "$out"
	fi
fi

t_done
