# TAP helpers for the shell test suites (sourced, bash).
#
#   t_ok NAME            a passing check
#   t_fail NAME WHY      a failing check; WHY (and any log) goes to the output
#   t_skip NAME WHY      the host lacks what the check needs; WHY says what
#   t_check NAME CMD...  run CMD; pass if it exits 0
#   t_done               print the plan; exit 1 if anything failed
#
# Each test file is its own TAP stream; tests/integration/run.sh adds them up.

T_NUM=0
T_FAILED=0

t_ok()   { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
t_fail() {
	T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_NUM - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/#   /'
}
t_skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1 # SKIP $2"; }
t_check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then t_ok "$name"; else t_fail "$name" "command failed: $*" "$out"; fi
}
t_done() { echo "1..$T_NUM"; [ "$T_FAILED" -eq 0 ]; }

# Wait up to $1 seconds for a command to succeed (polling every 50 ms).
t_wait_for() {
	local limit=$1; shift
	local i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $((limit * 20)) ] && return 1
		sleep 0.05
	done
}

# A scratch directory removed when the test file exits.
t_tmpdir() {
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vireo-it.XXXXXX")
	trap 't_cleanup' EXIT
}
# Processes the test started (pids), killed on exit if still running.
T_PIDS=""
t_track_pid() { T_PIDS="$T_PIDS $1"; }
t_cleanup() {
	local p
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "$T_TMP" ] && rm -rf "$T_TMP"
}
