# Helpers for the vireod tests (sourced after tap.sh and vmm.sh): a daemon in a temp
# --root, RPC calls through tests/lib/rpc.py, test-guest domains.
#
#   dmn_start ROOT [ARG...]  start vireod -v on ROOT in the background (log in
#                            ROOT.log), wait until it answers; sets DMN_PID (tracked)
#   dmn_stop                 SIGTERM the daemon and wait for it
#   dmn_sanitizer_report ROOT  the sanitizer reports in the daemon's log (ASan builds)
#   dmn_kill9                SIGKILL the daemon (by pid) and reap it
#   rpc ROOT METHOD [JSON]   call METHOD on ROOT's rw socket; prints the result JSON,
#                            or "error: CODE: MESSAGE" with status 1
#   rpc_ro ROOT METHOD [JSON]  the same on the read-only socket
#   jget JSON EXPR           a field of a JSON text, e.g. jget "$out" '["state"]'
#   dom_xml NAME [CMDLINE]   the test guest as a domain under vireo-vmm (64 MiB, a pty
#                            serial, a balloon with stats every second)
#   dom_define ROOT NAME [CMDLINE]  define it; status of the call
#   dom_pid ROOT NAME        the worker's pid from its status file
#   dom_state ROOT NAME      its state/reason from domain.state, e.g. "shut off/failed"
#   proc_alive PID           the process exists and is no zombie (a worker whose
#                            daemon died is re-parented; not every init reaps it)
#   dmn_cleanup ROOT...      SIGKILL every worker a status file under the roots names
#                            (by pid, only if it still is a vireo-vmm); put it in the
#                            EXIT trap: workers outlive the daemon by design

VIREOD=$VIREO_TEST_BUILDDIR/daemon/vireod
RPC_PY=$VIREO_TEST_SRCDIR/tests/lib/rpc.py
export VIREO_SCHEMA_DIR=$VIREO_TEST_SRCDIR/schemas
export VIREO_VMM=$VIREO_TEST_BUILDDIR/qemu-wrap/vireo-vmm
# A python3 every uid can run (a pyenv shim under /root is not).
PYTHON=$(command -v python3)
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3

dmn_start() {
	local root=$1; shift
	"$VIREOD" -v --root "$root" "$@" 2>>"$root.log" &
	DMN_PID=$!
	t_track_pid $DMN_PID
	# the socket file may be a stale one of a killed daemon: wait for an answer
	t_wait_for 10 rpc "$root" ping >/dev/null
}

dmn_stop() {
	kill -TERM "$DMN_PID" 2>/dev/null
	wait "$DMN_PID" 2>/dev/null
}

dmn_sanitizer_report() {
	grep -A12 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1.log"
}

dmn_kill9() {
	kill -9 "$DMN_PID" 2>/dev/null
	wait "$DMN_PID" 2>/dev/null
}

rpc() {
	local root=$1; shift
	"$PYTHON" "$RPC_PY" "$root/run/vireo/vireod.sock" "$@"
}

rpc_ro() {
	local root=$1; shift
	"$PYTHON" "$RPC_PY" "$root/run/vireo/vireod-ro.sock" "$@"
}

jget() {
	"$PYTHON" -c 'import json,sys; v=eval("json.loads(sys.argv[1])" + sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" 2>/dev/null
}

dom_xml() {
	local name=$1 cmdline=${2:-idle}
	cat <<EOF
<domain type='kvm'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$GUEST</kernel>
    <cmdline>$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>$VMM</emulator>
    <serial type='pty'/>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
EOF
}

# {"xml": "..."} for a domain XML on stdin.
xml_params() {
	"$PYTHON" -c 'import json,sys; print(json.dumps({"xml": sys.stdin.read()}))'
}

dom_define() {
	local root=$1 name=$2 cmdline=${3:-idle}
	rpc "$root" domain.define "$(dom_xml "$name" "$cmdline" | xml_params)" >/dev/null
}

dom_pid() {
	"$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
		"$1/run/vireo/domains/$2/status.json" 2>/dev/null
}

dom_state() {
	local st
	st=$(rpc "$1" domain.state "{\"domain\": \"$2\"}")
	echo "$(jget "$st" '["state"]')/$(jget "$st" '["reason"]')"
}

proc_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

dmn_cleanup() {
	local root f pid
	for root in "$@"; do
		for f in "$root"/run/vireo/domains/*/status.json; do
			[ -f "$f" ] || continue
			pid=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$f" 2>/dev/null)
			[ -n "$pid" ] && grep -q vireo-vmm "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid"
		done
	done
}
