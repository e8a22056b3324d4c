#!/bin/bash
# vireod killed in the middle of a start (worker spawned, `cont` not sent yet): the
# restarted daemon destroys that worker and shows the domain shut off (failed), as
# libvirt does for a start job interrupted by a restart; a `start --paused` that
# finished stays paused; a status file without "starting" (older vireod) is a start
# that finished. The window is made with an <emulator> wrapper that waits before it
# execs vireo-vmm, so the daemon waits for the QMP greeting.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT

CHECKS=(
	"status.json says starting while the worker waits, and the worker outlives kill -9 of vireod"
	"restart: that domain is destroyed: shut off (failed), worker gone, runtime dir cleaned"
	"vireo domstate --reason prints 'shut off (failed)' and the daemon log names the domain"
	"a normal start of that domain then works (running, booted)"
	"start --paused finished: status says not starting; a restart keeps it paused (starting up)"
	"resume runs the re-attached paused domain (running, unpaused)"
	"a status file without 'starting' (older vireod) is a finished start: re-attached running"
	"no sanitizer report in the daemon's log"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

state_of() { dom_state "$R" "$1"; }
starting_of() {
	"$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("starting"))' \
		"$R/run/vireo/domains/$1/status.json" 2>/dev/null
}
is_state() { [ "$(state_of "$1")" = "$2" ]; }

# The wrapper: while $T_TMP/slow exists it waits 8 s (a bash builtin read on a fifo
# nobody writes: no child left behind when it is killed), then it becomes vireo-vmm
# with the same pid (the QMP listening socket, fd 3, goes along).
W=$T_TMP/vireo-vmm-slow
mkfifo "$T_TMP/never"
cat >"$W" <<EOF
#!/bin/bash
[ -e "$T_TMP/slow" ] && read -r -t 8 _ <>"$T_TMP/never"
exec "$VMM" "\$@"
EOF
chmod +x "$W"

dmn_start "$R"
dom_xml m | sed "s|<emulator>.*</emulator>|<emulator>$W</emulator>|" | xml_params >"$T_TMP/m.json"
rpc "$R" domain.define "$(cat "$T_TMP/m.json")" >/dev/null

# ---- killed mid-start -----------------------------------------------------------------
touch "$T_TMP/slow"
rpc "$R" domain.start '{"domain": "m"}' >"$T_TMP/start.out" 2>&1 &
SPID=$!; t_track_pid $SPID
t_wait_for 10 grep -q '"starting":true' "$R/run/vireo/domains/m/status.json"
pm=$(dom_pid "$R" m)
st0=$(state_of m)
was=$(starting_of m)
dmn_kill9
wait $SPID 2>/dev/null
sleep 0.2
if [ "$was" = True ] && [ "$st0" = "paused/starting up" ] && [ -n "$pm" ] && proc_alive "$pm"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "starting=$was state=$st0 pid=$pm" "$(tail -5 "$R.log")"
fi

dmn_start "$R"
t_wait_for 5 is_state m "shut off/failed"
for _ in $(seq 1 40); do proc_alive "$pm" || break; sleep 0.05; done
if is_state m "shut off/failed" && ! proc_alive "$pm" && [ ! -e "$R/run/vireo/domains/m" ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$(state_of m) pid $pm alive: $(proc_alive "$pm" && echo yes || echo no)" \
		"$(ls "$R/run/vireo/domains" 2>&1; tail -5 "$R.log")"
fi

cli=$("$VIREO_TEST_BUILDDIR/client/vireo" --root "$R" domstate m --reason 2>&1)
if [ "$cli" = "shut off (failed)" ] &&
	grep -q "domain m: its start was interrupted by a daemon restart" "$R.log"; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "domstate: $cli" "$(tail -5 "$R.log")"
fi

rm -f "$T_TMP/slow"
out=$(rpc "$R" domain.start '{"domain": "m"}')
if [ -n "$(jget "$out" '["id"]')" ] && is_state m running/booted && [ "$(starting_of m)" = False ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$out" "$(state_of m) starting=$(starting_of m)"
fi
rpc "$R" domain.destroy '{"domain": "m"}' >/dev/null

# ---- start --paused finished, then a restart ------------------------------------------
rpc "$R" domain.start '{"domain": "m", "paused": true}' >/dev/null
pm=$(dom_pid "$R" m)
was=$(starting_of m)
dmn_kill9
dmn_start "$R"
sleep 0.3
if [ "$was" = False ] && is_state m "paused/starting up" && proc_alive "$pm" &&
	[ "$(dom_pid "$R" m)" = "$pm" ]; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "starting=$was $(state_of m) pid $pm" "$(tail -5 "$R.log")"
fi
out=$(rpc "$R" domain.resume '{"domain": "m"}') &&
if is_state m running/unpaused; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "$out" "$(state_of m)"
fi

# ---- compatibility: no "starting" in the status file -----------------------------------
dmn_kill9
"$PYTHON" - "$R/run/vireo/domains/m/status.json" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
del st["starting"]
json.dump(st, open(sys.argv[1], "w"))
EOF
dmn_start "$R"
sleep 0.3
if is_state m running/unpaused && proc_alive "$pm" && [ "$(starting_of m)" != True ]; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "$(state_of m) starting=$(starting_of m)" "$(tail -5 "$R.log")"
fi
rpc "$R" domain.destroy '{"domain": "m"}' >/dev/null
dmn_stop
rep=$(dmn_sanitizer_report "$R")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
