#!/bin/bash
# The per-domain job lock (daemon/job.c) through the vireo CLI and a real vireod: a
# long job holds a domain -- `shutdown --timeout N` of a paused guest, which cannot
# react to the power button, so the job lasts the N seconds and then destroys the
# domain (libvirt's case of a guest ignoring the button) -- while
#   * read-only commands on that domain answer at once,
#   * state-changing commands on it wait, in order, and run once the job is over,
#   * one that waits longer than the lock's 30 s (JOB_WAIT_MS) fails with an
#     'error: ...' line naming the job that holds the lock, exit status 1,
#   * another domain is not held up,
# and afterwards the lock is free and every state is what the jobs left.
#
# (A guest without <acpi/> would do too under QEMU, but vireo-vmm gets no -no-acpi:
# lib/conf/domain_argv.c passes it only to QEMU.)
#
# VM lifetimes: every guest runs `idle shutdown-after=CLI_GUEST_LIFETIME`; a paused
# one cannot count that down, so the holding shutdown's timeout destroys it, the end
# of the test destroys the rest and the EXIT trap SIGKILLs any worker left
# (cli_daemon_stop).
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
t_tmpdir
. "$VIREO_TEST_SRCDIR/tests/integration/cli-common.sh"
trap 'cli_daemon_stop; t_cleanup' EXIT

# the daemon's lock wait (daemon/job.h JOB_WAIT_MS); no option changes it
LOCK_WAIT=30
# the long job: outlasts the lock wait by a margin
BUSY_TIMEOUT=$((LOCK_WAIT + 6))
# the short job: its waiters get the lock well within the lock wait
HOLD_TIMEOUT=6

CHECKS=("read-only commands (dominfo, domstate, list, dumpxml) answer at once while a job holds the domain"
	"another domain is not held up: its suspend, resume and setmem answer at once"
	"a start queued behind a shutdown job waits for it and then runs: shutdown (destroyed), then start"
	"a second queued job (suspend) runs after the first (start), in order"
	"a job waiting past the lock wait fails: exit 1, 'error:' lines naming the job that holds the lock"
	"the holding shutdown ends by itself after its timeout: destroyed, the timed-out waiter never ran"
	"afterwards the locks are free: start, resume and destroy answer at once, states as expected"
	"no sanitizer report in the daemon's log")

cli_begin "${CHECKS[@]}"

explain() {
	echo "--- vireod log (tail)"
	tail -n 30 "$CLI_ROOT.log"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# timed NAME CMD...: run the CLI command, its output in $T_TMP/NAME.out, its status in
# $T_TMP/NAME.rc, its start and end (ms) in $T_TMP/NAME.t0 / .t1
timed() {
	local name=$1; shift
	now_ms >"$T_TMP/$name.t0"
	v "$@" >"$T_TMP/$name.out" 2>&1
	echo $? >"$T_TMP/$name.rc"
	now_ms >"$T_TMP/$name.t1"
}
t0_of() { cat "$T_TMP/$1.t0"; }
t1_of() { cat "$T_TMP/$1.t1"; }
rc_of() { cat "$T_TMP/$1.rc"; }
out_of() { cat "$T_TMP/$1.out"; }
ms_of() { echo $(($(t1_of "$1") - $(t0_of "$1"))); }

# fast LIMIT_MS CMD...: run each command (a string of CLI words); each must exit 0
# within LIMIT_MS. Sets FAST_MS (the times), FAST_WHY (what went wrong, empty when
# nothing did); command i's output stays in $T_TMP/fast$i.out.
fast() {
	local limit=$1 cmd ms i=0; shift
	FAST_MS='' FAST_WHY=''
	for cmd in "$@"; do
		# shellcheck disable=SC2086
		timed fast$i $cmd
		ms=$(ms_of fast$i)
		FAST_MS+="$ms "
		if [ "$(rc_of fast$i)" != 0 ] || [ "$ms" -ge "$limit" ]; then
			FAST_WHY+="$cmd: rc $(rc_of fast$i), $ms ms: $(out_of fast$i)"$'\n'
		fi
		i=$((i + 1))
	done
}

for d in other hold busy; do
	cli_domain_xml "$d" >"$T_TMP/$d.xml"
	v define "$T_TMP/$d.xml" >/dev/null && v start "$d" >/dev/null ||
		{ for c in "${CHECKS[@]}"; do t_fail "$c" "$d did not start" "$(explain)"; done
		  t_done; exit; }
done
# the guests are up once they say so; 'hold' and 'busy' then stop running (paused),
# so the power button goes unseen
for d in other hold busy; do
	rpc "$CLI_ROOT" --console "$d" "vireo-testguest ready" 10 >/dev/null
done
v suspend hold >/dev/null && v suspend busy >/dev/null ||
	{ for c in "${CHECKS[@]}"; do t_fail "$c" "suspend failed" "$(explain)"; done
	  t_done; exit; }
hold_pid1=$(dom_pid "$CLI_ROOT" hold)
busy_pid=$(dom_pid "$CLI_ROOT" busy)

# ---- the long job on 'busy' and its waiter ---------------------------------------
timed busy_shutdown shutdown busy --timeout "$BUSY_TIMEOUT" &
BUSY_JOB=$!
sleep 1	# the shutdown has reached the daemon and holds the lock
timed busy_suspend suspend busy &
BUSY_WAITER=$!

# ---- the short job on 'hold' and two waiters behind it -----------------------------
timed hold_shutdown shutdown hold --timeout "$HOLD_TIMEOUT" &
HOLD_JOB=$!
sleep 1
timed hold_start start hold &
HOLD_W1=$!
sleep 0.5
timed hold_suspend suspend hold &
HOLD_W2=$!
sleep 0.5

# ---- (1) read-only commands on the held domains -----------------------------------
ro_why='' ro_ms=''
for d in busy hold; do
	fast 2000 "dominfo $d" "domstate $d" "list --all" "dumpxml $d"
	ro_why+=$FAST_WHY ro_ms+=$FAST_MS
	grep -qE '^State: +paused$' "$T_TMP/fast0.out" &&
		[ "$(head -n 1 "$T_TMP/fast1.out")" = paused ] &&
		grep -qE "^ [0-9]+ +$d +paused$" "$T_TMP/fast2.out" &&
		grep -q "<name>$d</name>" "$T_TMP/fast3.out" ||
		ro_why+="$d: $(cat "$T_TMP"/fast[0-3].out)"$'\n'
done
# the jobs are still running (nothing answered the waiters yet)
still=$([ ! -e "$T_TMP/hold_shutdown.rc" ] && [ ! -e "$T_TMP/hold_start.rc" ] &&
	[ ! -e "$T_TMP/busy_suspend.rc" ] && echo yes)
if [ -z "$ro_why" ] && [ "$still" = yes ]; then
	t_ok "${CHECKS[0]} (ms: $ro_ms)"
else
	t_fail "${CHECKS[0]}" "$ro_why" "jobs still running: ${still:-no}" "$(explain)"
fi

# ---- (3) another domain -------------------------------------------------------------
fast 3000 "suspend other" "resume other" "setmem other 32M"
st=$(v domstate other --reason 2>&1)
if [ -z "$FAST_WHY" ] && [ "$st" = "running (unpaused)" ] && [ ! -e "$T_TMP/busy_suspend.rc" ]; then
	t_ok "${CHECKS[1]} (ms: $FAST_MS)"
else
	t_fail "${CHECKS[1]}" "$FAST_WHY" "domstate: $st" "$(explain)"
fi

# ---- (2) the waiters on 'hold' run in order once its job is over ---------------------
wait $HOLD_JOB $HOLD_W1 $HOLD_W2
hold_pid2=$(dom_pid "$CLI_ROOT" hold)
sd=$(out_of hold_shutdown) sdt=$(t1_of hold_shutdown)
stt1=$(t1_of hold_start) stt0=$(t0_of hold_start)
if [ "$(rc_of hold_shutdown)" = 0 ] &&
	grep -q "^Domain 'hold' did not shut down within $HOLD_TIMEOUT seconds and was destroyed$" <<<"$sd" &&
	[ "$(rc_of hold_start)" = 0 ] && [ "$(out_of hold_start)" = "Domain 'hold' started" ] &&
	[ $((stt1 - stt0)) -ge $(((HOLD_TIMEOUT - 2) * 1000)) ] && [ "$stt1" -ge "$sdt" ] &&
	[ -n "$hold_pid2" ] && [ "$hold_pid2" != "$hold_pid1" ]; then
	t_ok "${CHECKS[2]} (start waited $((stt1 - stt0)) ms)"
else
	t_fail "${CHECKS[2]}" "shutdown rc $(rc_of hold_shutdown) end $sdt: $sd" \
		"start rc $(rc_of hold_start) $stt0..$stt1: $(out_of hold_start)" \
		"pids $hold_pid1 $hold_pid2" "$(explain)"
fi
st=$(v domstate hold --reason 2>&1)
if [ "$(rc_of hold_suspend)" = 0 ] && [ "$(out_of hold_suspend)" = "Domain 'hold' suspended" ] &&
	[ "$(t1_of hold_suspend)" -ge "$stt1" ] && [ "$st" = "paused (user)" ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "suspend rc $(rc_of hold_suspend) end $(t1_of hold_suspend): $(out_of hold_suspend)" \
		"start end $stt1" "domstate: $st" "$(explain)"
fi

# ---- (2) the waiter on 'busy' gives up after the lock wait ------------------------------
wait $BUSY_WAITER
w=$(out_of busy_suspend) wms=$(ms_of busy_suspend)
holder_done_then=$([ -e "$T_TMP/busy_shutdown.rc" ] && echo yes)
st_then=$(v domstate busy 2>&1 | head -n 1)
want2="error: Timed out during operation: cannot acquire state change lock (held by domain.shutdown)"
if [ "$(rc_of busy_suspend)" = 1 ] && [ "$(head -n 1 <<<"$w")" = "error: Failed to suspend domain 'busy'" ] &&
	grep -qxF "$want2" <<<"$w" && [ "$(grep -vc '^error: ' <<<"$w")" = 0 ] &&
	[ "$wms" -ge $(((LOCK_WAIT - 1) * 1000)) ] && [ "$wms" -lt $(((LOCK_WAIT + 4) * 1000)) ] &&
	[ -z "$holder_done_then" ] && [ "$st_then" = paused ]; then
	t_ok "${CHECKS[4]} (after $wms ms)"
else
	t_fail "${CHECKS[4]}" "rc $(rc_of busy_suspend) after $wms ms:" "$w" \
		"holder done by then: ${holder_done_then:-no}, state $st_then" "$(explain)"
fi

wait $BUSY_JOB
sd=$(out_of busy_shutdown) sdms=$(ms_of busy_shutdown)
st=$(v domstate busy --reason 2>&1)
if [ "$(rc_of busy_shutdown)" = 0 ] &&
	grep -q "^Domain 'busy' did not shut down within $BUSY_TIMEOUT seconds and was destroyed$" <<<"$sd" &&
	[ "$sdms" -ge $(((BUSY_TIMEOUT - 1) * 1000)) ] && [ "$st" = "shut off (destroyed)" ] &&
	! proc_alive "$busy_pid" && ! grep -q "suspended" "$T_TMP/busy_suspend.out"; then
	t_ok "${CHECKS[5]} (${sdms} ms)"
else
	t_fail "${CHECKS[5]}" "rc $(rc_of busy_shutdown) after $sdms ms: $sd" "domstate: $st" "$(explain)"
fi

# ---- (4) consistent afterwards: nothing holds a lock, nothing is left queued ----------------
sleep 1	# a stray queued job would have run by now
fin_why=
s_hold=$(v domstate hold --reason 2>&1) s_busy=$(v domstate busy --reason 2>&1)
[ "$s_hold" = "paused (user)" ] && [ "$s_busy" = "shut off (destroyed)" ] ||
	fin_why+="before: hold $s_hold, busy $s_busy"$'\n'
fast 5000 "start busy" "resume hold" "destroy hold" "destroy busy" "destroy other"
fin_why+=$FAST_WHY
list=$(v list --all 2>&1)
for d in busy hold other; do
	grep -qE "^ - +$d +shut off$" <<<"$list" || { fin_why+="list: $list"$'\n'; break; }
done
if [ -z "$fin_why" ] && [ -z "$(ls "$CLI_ROOT/run/vireo/domains" 2>/dev/null)" ] &&
	kill -0 "$DMN_PID" 2>/dev/null; then
	t_ok "${CHECKS[6]} (ms: $FAST_MS)"
else
	t_fail "${CHECKS[6]}" "$fin_why" "runtime dirs: $(ls "$CLI_ROOT/run/vireo/domains" 2>/dev/null)" "$(explain)"
fi

cli_daemon_stop
rep=$(dmn_sanitizer_report "$CLI_ROOT")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
