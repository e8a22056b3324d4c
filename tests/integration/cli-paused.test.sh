#!/bin/bash
# start --paused and create --paused: the domain comes up with everything done but
# `cont`, shows paused (starting up) in domstate/list/dominfo, the guest prints nothing
# until resume; a daemon restart keeps it paused; virsh's messages and error shapes.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
CLI_GUEST_LIFETIME=60	# a VM left paused is destroyed below, or SIGKILLed on exit
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
trap 'cli_daemon_stop; t_cleanup' EXIT

CHECKS=("start --paused prints 'started'; domstate --reason, list and dominfo say paused (starting up)"
	"the guest prints nothing on its console while paused"
	"resume runs it: running (unpaused) and the guest's banner appears"
	"a daemon restart keeps it paused (starting up) and resume still runs it"
	"create --paused: a transient domain left paused, resume runs it"
	"--paused errors: an unknown option, start of an active domain, in virsh's shape"
	"RPC: a non-boolean 'paused' is invalid-argument and create leaves no domain behind")

cli_begin "${CHECKS[@]}"
xml=$T_TMP/guest.xml
cli_domain_xml guest >"$xml"
v define "$xml" >/dev/null 2>&1

explain() {
	echo "--- vireod log (tail)"
	tail -n 30 "$CLI_ROOT.log"
	echo "--- domain log (tail)"
	tail -n 20 "$CLI_ROOT/var/log/vireo/$1.log" 2>/dev/null
}

# console_open NAME OUT: relay NAME's console into OUT until console_close (no terminal:
# vireo relays while its stdin stays open).
console_open() {
	rm -f "$T_TMP/console.in"; mkfifo "$T_TMP/console.in"
	timeout 60 "$VIREO" --root "$CLI_ROOT" console "$1" <"$T_TMP/console.in" >"$2" 2>&1 &
	CPID=$!; t_track_pid $CPID
	exec 7>"$T_TMP/console.in"
}
console_close() {
	exec 7>&-
	kill $CPID 2>/dev/null; wait $CPID 2>/dev/null
}
banner_in() { grep -q "vireo-testguest ready" "$1"; }
# quiet_until_resumed NAME OUT: attach (console into OUT), then resume; succeeds if the
# banner was absent before and came after, resume said so and the state is running
# (unpaused). Leaves the console attached; RESUMED and STATE say what happened.
quiet_until_resumed() {
	local quiet=1
	console_open "$1" "$2"
	t_wait_for 10 grep -q "^Escape character" "$2"
	sleep 1
	banner_in "$2" && quiet=0
	RESUMED=$(v resume "$1" 2>&1)
	STATE=$(v domstate "$1" --reason 2>&1)
	[ $quiet = 1 ] && [ "$RESUMED" = "Domain '$1' resumed" ] &&
		[ "$STATE" = "running (unpaused)" ] && t_wait_for 15 banner_in "$2"
}

# ---- start --paused ------------------------------------------------------------------
out=$(v start guest --paused 2>&1); rc=$?
st=$(v domstate guest --reason 2>&1)
list=$(v list 2>&1)
info_state=$(v dominfo guest 2>&1 | sed -n 's/^State: *//p')
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' started" ] && [ "$st" = "paused (starting up)" ] &&
	grep -qE '^ [0-9]+ +guest   paused$' <<<"$list" && [ "$info_state" = paused ] &&
	[ "$(v list --state-paused --name)" = guest ]; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "rc=$rc" "$out" "$st" "$list" "dominfo State: $info_state" \
		"$(explain guest)"
fi

# ---- nothing on the console while paused -----------------------------------------------
console_open guest "$T_TMP/c1.out"
t_wait_for 10 grep -q "^Escape character" "$T_TMP/c1.out"
sleep 2
if grep -q "^Connected to domain 'guest'" "$T_TMP/c1.out" && ! banner_in "$T_TMP/c1.out" &&
	[ "$(v domstate guest)" = paused ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$(cat "$T_TMP/c1.out")" "$(v domstate guest --reason 2>&1)"
fi

# ---- resume ------------------------------------------------------------------------------
t0=$(date +%s%N)
out=$(v resume guest 2>&1); rc=$?
st=$(v domstate guest --reason 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "Domain 'guest' resumed" ] && [ "$st" = "running (unpaused)" ] &&
	t_wait_for 15 banner_in "$T_TMP/c1.out"; then
	t_ok "${CHECKS[2]} ($((($(date +%s%N) - t0) / 1000000)) ms resume to banner)"
else
	t_fail "${CHECKS[2]}" "rc=$rc" "$out" "$st" "$(cat "$T_TMP/c1.out")" "$(explain guest)"
fi
console_close
v destroy guest >/dev/null 2>&1

# ---- across a daemon restart -----------------------------------------------------------------
o1=$(v start guest --paused 2>&1)
dmn_stop
if cli_daemon_start "$CLI_ROOT" >"$T_TMP/restart.out"; then
	t_wait_for 10 cli_state_is guest paused
	st=$(v domstate guest --reason 2>&1)
	if [ "$o1" = "Domain 'guest' started" ] && [ "$st" = "paused (starting up)" ] &&
		quiet_until_resumed guest "$T_TMP/c2.out"; then
		t_ok "${CHECKS[3]}"
	else
		t_fail "${CHECKS[3]}" "$o1" "after restart: $st" "$RESUMED" "$STATE" \
			"$(cat "$T_TMP/c2.out")" "$(explain guest)"
	fi
	console_close
else
	t_fail "${CHECKS[3]}" "$(cat "$T_TMP/restart.out")"
fi

# ---- create --paused ---------------------------------------------------------------------------
cli_domain_xml temp >"$T_TMP/temp.xml"
out=$(v create "$T_TMP/temp.xml" --paused 2>&1); rc=$?
st=$(v domstate temp --reason 2>&1)
if [ $rc -eq 0 ] && [ "$out" = "Domain 'temp' created from $T_TMP/temp.xml" ] &&
	[ "$st" = "paused (starting up)" ] && quiet_until_resumed temp "$T_TMP/c3.out"; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "rc=$rc" "$out" "$st" "$RESUMED" "$STATE" \
		"$(cat "$T_TMP/c3.out")" "$(explain temp)"
fi
console_close

# ---- errors ------------------------------------------------------------------------------------
e1=$(v start guest --pause 2>&1); r1=$?
e2=$(v start guest --paused 2>&1); r2=$?
e3=$(v define "$xml" --paused 2>&1); r3=$?
v destroy temp >/dev/null 2>&1
v destroy guest >/dev/null 2>&1
p1=$(rpc "$CLI_ROOT" domain.start '{"domain": "guest", "paused": "yes"}' 2>&1)
p2=$(cli_domain_xml temp2 | "$PYTHON" -c 'import json,sys; print(json.dumps({"xml": sys.stdin.read(), "paused": 1}))')
p2=$(rpc "$CLI_ROOT" domain.create "$p2" 2>&1)
st=$(v domstate guest 2>&1); names=$(v list --all --name 2>&1)
if [ $r1 -eq 1 ] && [ "$e1" = "error: command 'start' doesn't support option --pause" ] &&
	[ $r2 -eq 1 ] && [ "$(head -n 1 <<<"$e2")" = "error: Failed to start domain 'guest'" ] &&
	grep -q "already active" <<<"$e2" &&
	[ $r3 -eq 1 ] && [ "$e3" = "error: command 'define' doesn't support option --paused" ]; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "$r1: $e1" "$r2: $e2" "$r3: $e3"
fi
if [ "$p1" = "error: invalid-argument: 'paused' must be true or false" ] &&
	[ "$p2" = "$p1" ] && [ "$st" = "shut off" ] && [ "$names" = guest ]; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "start: $p1" "create: $p2" "state: $st" "list: $names"
fi

t_done
