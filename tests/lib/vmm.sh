# Helpers for the tests that run vireo-vmm and the test guest (sourced after tap.sh).
#
#   vmm_host_problem         prints why this host cannot run the worker tests (no usable
#                            /dev/kvm, no python3, worker or guest not built); status 1
#                            when there is none
#   vmm_skip_all WHY NAME... t_skip every NAME with WHY, then t_done and exit
#   vmm_start NAME ARG...    start the worker in the background under timeout, with the
#                            debug-exit device and the test guest; stdin /dev/null,
#                            stdout (the serial with -serial stdio) in $T_TMP/NAME.out,
#                            stderr in $T_TMP/NAME.err; QMP on $T_TMP/NAME.sock. Sets
#                            VMM_TPID (timeout's pid, `wait` on it gives the exit status)
#                            and VMM_PID (the worker's pid); both are tracked.
#   vmm_wait_line NAME TEXT [COUNT] [LIMIT]
#                            wait until $T_TMP/NAME.out has COUNT (1) lines equal to TEXT,
#                            at most LIMIT (10) seconds
#   vmm_count_lines NAME TEXT   how many lines of $T_TMP/NAME.out equal TEXT
#   vmm_wait_exit LIMIT      wait at most LIMIT seconds for VMM_TPID to end; sets VMM_RC
#                            (its status, or "running" if it did not end: then it is killed)
#   vmm_qmp NAME STEP...     run tests/lib/qmp.py on NAME's socket (see there); output in
#                            $T_TMP/NAME.qmp (appended) and on stdout
#   vmm_log NAME             the worker's serial, stderr and QMP transcript, for t_fail
#   vmm_tap_lines            filter: the TAP result lines (plan, ok, not ok) of a serial log

VMM=$VIREO_TEST_BUILDDIR/qemu-wrap/vireo-vmm
GUEST=$VIREO_TEST_BUILDDIR/tests/guest/guest.elf
QMP_PY=$VIREO_TEST_SRCDIR/tests/lib/qmp.py
VMM_TIMEOUT=${VMM_TIMEOUT:-30}
QMP_TIMEOUT=${QMP_TIMEOUT:-10}

vmm_host_problem() {
	if [ ! -c /dev/kvm ]; then
		echo "/dev/kvm does not exist"; return 0
	fi
	if ! python3 -c 'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' 2>/dev/null; then
		echo "/dev/kvm cannot be opened read-write by $(id -un)"; return 0
	fi
	return 1
}

vmm_skip_all() {
	local why=$1 name; shift
	for name in "$@"; do t_skip "$name" "$why"; done
	t_done
	exit
}

# The child of a `timeout` we started, once it exists (timeout forks right away).
vmm_child_of() {
	local tpid=$1 c
	for _ in $(seq 1 100); do
		c=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null)
		c=${c%% *}
		[ -n "$c" ] && { echo "$c"; return 0; }
		kill -0 "$tpid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

vmm_start() {
	local name=$1; shift
	rm -f "$T_TMP/$name.sock"
	timeout -k 5 "$VMM_TIMEOUT" "$VMM" -m 128 -nodefaults -display none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" "$@" \
		</dev/null >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" &
	VMM_TPID=$!
	t_track_pid "$VMM_TPID"
	VMM_PID=$(vmm_child_of "$VMM_TPID")
	[ -n "$VMM_PID" ] && t_track_pid "$VMM_PID"
	return 0
}

vmm_count_lines() {
	local n
	n=$(grep -cFx -- "$2" "$T_TMP/$1.out" 2>/dev/null)
	echo "${n:-0}"
}

vmm_has_lines() {
	[ "$(vmm_count_lines "$1" "$2")" -ge "$3" ]
}

vmm_wait_line() {
	t_wait_for "${4:-10}" vmm_has_lines "$1" "$2" "${3:-1}"
}

vmm_wait_exit() {
	if t_wait_for "$1" eval '! kill -0 "$VMM_TPID"'; then
		wait "$VMM_TPID"; VMM_RC=$?
	else
		VMM_RC=running
		kill -9 "$VMM_PID" "$VMM_TPID" 2>/dev/null
		wait "$VMM_TPID" 2>/dev/null
	fi
}

vmm_qmp() {
	local name=$1; shift
	echo "## qmp.py $*" >>"$T_TMP/$name.qmp"
	python3 "$QMP_PY" --timeout "$QMP_TIMEOUT" "$T_TMP/$name.sock" "$@" 2>&1 |
		tee -a "$T_TMP/$name.qmp"
	return "${PIPESTATUS[0]}"
}

vmm_log() {
	local f
	for f in out err qmp; do
		[ -s "$T_TMP/$1.$f" ] || continue
		echo "--- $1.$f"
		tail -n 40 "$T_TMP/$1.$f"
	done
}

vmm_tap_lines() {
	grep -E '^(1\.\.|ok |not ok )'
}
