#!/bin/bash
# The console replay (the last 16 KiB of output, sent first to a client that attaches)
# survives a daemon restart: vireod keeps it in the runtime dir (console.history) and
# reads it back when it re-attaches to the worker.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
CLI_GUEST_LIFETIME=60
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
trap 'cli_daemon_stop; t_cleanup' EXIT

CHECKS=("console.history holds the guest's banner, mode 0600, within 32 KiB"
	"after a daemon restart the console replays the banner printed before it"
	"a longer history file is read back by its last 16 KiB only"
	"past 32 KiB the file is cut to the last 16 KiB, then appended to (reset: new banner)"
	"destroy removes the history with the runtime dir")

cli_begin "${CHECKS[@]}"
cli_domain_xml guest >"$T_TMP/guest.xml"
v define "$T_TMP/guest.xml" >/dev/null 2>&1
v start guest >/dev/null 2>&1
hist=$CLI_ROOT/run/vireo/domains/guest/console.history

# replay OUT: attach for a moment (stdin at EOF ends the relay) and keep what came
replay() {
	timeout 10 "$VIREO" --root "$CLI_ROOT" console guest </dev/null >"$1" 2>&1
}
banner_in_hist() { grep -q "vireo-testguest ready" "$hist"; }
restart() {
	dmn_stop
	cli_daemon_start "$CLI_ROOT" >"$T_TMP/restart.out" &&
		t_wait_for 10 cli_state_is guest running
}

if t_wait_for 15 banner_in_hist && [ "$(stat -c %a "$hist")" = 600 ] &&
	[ "$(stat -c %s "$hist")" -le 32768 ]; then
	t_ok "${CHECKS[0]} ($(stat -c %s "$hist") bytes)"
else
	t_fail "${CHECKS[0]}" "$(ls -l "$hist" 2>&1)" "$(tail -n 20 "$CLI_ROOT.log")"
fi

if restart; then
	replay "$T_TMP/r1.out"
	if grep -q "vireo-testguest ready" "$T_TMP/r1.out"; then
		t_ok "${CHECKS[1]}"
	else
		t_fail "${CHECKS[1]}" "$(cat "$T_TMP/r1.out")" "$(tail -n 20 "$CLI_ROOT.log")"
	fi
else
	t_fail "${CHECKS[1]}" "$(cat "$T_TMP/restart.out")"
fi

# 40 KiB with a marker at each end, put there while no daemon runs
dmn_stop
{ echo HEAD-MARK; head -c 40000 /dev/zero | tr '\0' x; echo; echo TAIL-MARK; } >"$hist"
if restart; then
	replay "$T_TMP/r2.out"
	if grep -q TAIL-MARK "$T_TMP/r2.out" && ! grep -q HEAD-MARK "$T_TMP/r2.out"; then
		t_ok "${CHECKS[2]}"
	else
		t_fail "${CHECKS[2]}" "$(head -c 300 "$T_TMP/r2.out")" "$(tail -n 20 "$CLI_ROOT.log")"
	fi
else
	t_fail "${CHECKS[2]}" "$(cat "$T_TMP/restart.out")"
fi

# the file is over its cap now: the guest's next output cuts it to the ring (16 KiB, the
# head marker gone), the rest of the banner is appended after that
v reset guest >/dev/null 2>&1
if t_wait_for 15 banner_in_hist && [ "$(stat -c %s "$hist")" -lt 20000 ] &&
	! grep -q HEAD-MARK "$hist" && grep -q TAIL-MARK "$hist"; then
	t_ok "${CHECKS[3]} (40 KiB -> $(stat -c %s "$hist") bytes)"
else
	t_fail "${CHECKS[3]}" "$(ls -l "$hist" 2>&1)" "$(tail -c 300 "$hist")"
fi

v destroy guest >/dev/null 2>&1
if cli_wait_state guest "shut off" 10 && [ ! -e "$hist" ]; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$(v domstate guest --reason 2>&1)" "$(ls -l "$hist" 2>&1)"
fi

t_done
