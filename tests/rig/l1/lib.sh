# Helpers for the rig's scenarios (sourced in L1 by busybox sh before the scenario).
#
#   r_ok NAME                 a passing check
#   r_fail NAME [WHY...]      a failing check; each WHY (may be multi-line) becomes
#                             "#   ..." lines under it
#   r_skip NAME WHY           L1 lacks what the check needs
#   r_diag TEXT               a "# TEXT" comment line (timings: "# timing NAME=SECONDS")
#   r_done                    the plan line; call it last
#   r_uptime                  L1's uptime in seconds (10 ms resolution)
#   r_elapsed T0              seconds since r_uptime said T0
#   r_wait_for SECS CMD...    poll CMD every 0.1 s until it succeeds; 1 if it never did
#   r_tail FILE [N]           the last N (20) lines of FILE, for r_fail
#   r_complete FILE           FILE without a last line the writer has not finished
#                             (a guest's console line arrives in pieces)
#   r_has REGEX FILE          a complete line of FILE matches (for r_wait_for)
#   r_first REGEX FILE        the first complete line of FILE that matches, no CR
#   r_pty_console ERR OUT     wait (10 s) for the worker's "char device redirected to
#                             /dev/pts/N (label c0)" line in ERR, then copy what the
#                             guest writes on that pty into OUT in the background; sets
#                             R_PTY (empty when none came) and R_READER (the copier's pid)
# Every line these print starts with "RIG: " on the console and on /dev/ttyS1, so the
# runner outside can tell them from kernel and guest output.

R_NUM=0
R_FAILED=0
R_L2_KERNEL=/rig/l2/vmlinuz
R_L2_INITRD=/rig/l2/l2.cpio.gz

r_line() {
	printf 'RIG: %s\n' "$*"
	printf 'RIG: %s\n' "$*" >/dev/ttyS1 2>/dev/null
}
r_ok() { R_NUM=$((R_NUM + 1)); r_line "ok $R_NUM - $1"; }
r_fail() {
	R_NUM=$((R_NUM + 1)); R_FAILED=$((R_FAILED + 1))
	r_line "not ok $R_NUM - $1"
	shift
	for why in "$@"; do
		printf '%s\n' "$why" | while IFS= read -r l; do r_line "#   $l"; done
	done
}
r_skip() { R_NUM=$((R_NUM + 1)); r_line "ok $R_NUM - $1 # SKIP $2"; }
r_diag() { r_line "# $*"; }
r_done() { r_line "1..$R_NUM"; }
r_uptime() { cut -d' ' -f1 /proc/uptime; }
r_elapsed() { awk -v a="$1" -v b="$(r_uptime)" 'BEGIN { printf "%.2f", b - a }'; }
r_wait_for() {
	local n=$(($1 * 10)); shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -le 0 ] && return 1
		sleep 0.1
	done
}
r_tail() { tail -n "${2:-20}" "$1" 2>/dev/null; }
# $(...) drops a trailing newline: empty means FILE ends with one (or is empty).
r_complete() {
	if [ -z "$(tail -c1 "$1" 2>/dev/null)" ]; then cat "$1" 2>/dev/null; else sed '$d' "$1"; fi
}
r_has() { r_complete "$2" | grep -q "$1"; }
r_first() { r_complete "$2" | grep -m1 "$1" | tr -d '\r'; }

r_pty_console() {
	R_PTY= R_READER=
	r_wait_for 10 grep -q 'char device redirected to /dev/pts/.* (label c0)' "$1" &&
		R_PTY=$(sed -n 's|^char device redirected to \(/dev/pts/[0-9]*\) (label c0)$|\1|p' "$1")
	if [ -n "$R_PTY" ]; then
		cat "$R_PTY" >"$2" 2>/dev/null &
		R_READER=$!
	fi
}
