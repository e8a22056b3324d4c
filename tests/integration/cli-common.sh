# Helpers for the vireo CLI tests (sourced after tests/lib/tap.sh and t_tmpdir); they
# build on tests/lib/vmm.sh and tests/lib/daemon.sh (sourced here).
#
#   cli_daemon_start ROOT    start vireod on ROOT (dmn_start); status 1 with the log on
#                            stdout when it does not answer within 10 s
#   cli_daemon_stop          stop it, and SIGKILL any worker it leaves (dmn_cleanup)
#   v ARG...                 the CLI on that root: vireo --root ROOT ARG...
#   cli_domain_xml NAME      the test guest as a domain (dom_xml: 64 MiB, balloon with
#                            stats every second) in idle mode, powering itself off after
#                            CLI_GUEST_LIFETIME seconds: no VM a test starts outlives that
#   cli_wait_state NAME STATE LIMIT   wait until `domstate NAME` prints STATE
#   cli_guest_problem        why this host cannot run the test guest (status 1: it can)
#   cli_begin CHECK...       skip every CHECK (and exit) when the host cannot run the
#                            test guest; else start vireod on $T_TMP/root, failing every
#                            CHECK (and exiting) when it does not answer
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"

VIREO=$VIREO_TEST_BUILDDIR/client/vireo
CLI_GUEST_LIFETIME=${CLI_GUEST_LIFETIME:-180}

cli_daemon_start() {
	CLI_ROOT=$1
	mkdir -p "$CLI_ROOT"
	if ! dmn_start "$CLI_ROOT"; then
		echo "vireod did not answer within 10 s:"
		tail -n 20 "$CLI_ROOT.log"
		return 1
	fi
}

cli_daemon_stop() {
	[ -n "${CLI_ROOT:-}" ] || return 0
	[ -n "${DMN_PID:-}" ] && dmn_stop
	dmn_cleanup "$CLI_ROOT"
}

v() {
	"$VIREO" --root "$CLI_ROOT" "$@"
}

cli_domain_xml() {
	dom_xml "$1" "idle shutdown-after=$CLI_GUEST_LIFETIME"
}

cli_state_is() {
	[ "$(v domstate "$1" 2>/dev/null | head -n 1)" = "$2" ]
}

cli_wait_state() {
	t_wait_for "$3" cli_state_is "$1" "$2"
}

cli_begin() {
	local why out c
	why=$(cli_guest_problem) && vmm_skip_all "$why" "$@"
	if ! cli_daemon_start "$T_TMP/root" >"$T_TMP/start.out"; then
		out=$(cat "$T_TMP/start.out")
		for c in "$@"; do t_fail "$c" "$out"; done
		t_done; exit
	fi
}

cli_guest_problem() {
	vmm_host_problem && return 0
	if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
		echo "vireo-vmm or the test guest is not built"; return 0
	fi
	return 1
}
