#!/bin/bash
# Workers outlive vireod: kill -9 the daemon with domains running, start it again, and
# it carries on with them (QMP, balloon, shutdown); a worker that died while no daemon
# was watching shows as shut off (crashed); a clean daemon stop leaves workers alone.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT

CHECKS=(
	"kill -9 of vireod leaves the running workers alive"
	"the restarted daemon lists both domains running, with their ids"
	"re-attached: suspend and resume work through QMP"
	"re-attached: setmem works and memstats shows it"
	"re-attached: shutdown works (ACPI, within 10 s)"
	"re-attached: destroy works"
	"a worker killed while the daemon was down: shut off (crashed), runtime dir cleaned"
	"a pid reused by another process is not taken for the worker"
	"SIGTERM stops the daemon but not the workers; the next daemon takes them over"
	"new domains get ids after the re-attached ones"
	"no sanitizer report in the daemon's log"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

state_of() { dom_state "$R" "$1"; }

dmn_start "$R"
for n in a b c; do dom_define "$R" $n; done
id_a=$(jget "$(rpc "$R" domain.start '{"domain": "a"}')" '["id"]')
id_b=$(jget "$(rpc "$R" domain.start '{"domain": "b"}')" '["id"]')
rpc "$R" domain.start '{"domain": "c"}' >/dev/null
pa=$(dom_pid "$R" a); pb=$(dom_pid "$R" b); pc=$(dom_pid "$R" c)

dmn_kill9
sleep 0.2
if kill -0 "$pa" && kill -0 "$pb" && kill -0 "$pc"; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "pids $pa $pb $pc" "$(ps -ef | grep vireo-vmm)"
fi
# c dies while nobody watches
kill -9 "$pc"
for _ in $(seq 1 50); do proc_alive "$pc" || break; sleep 0.05; done

dmn_start "$R"
out=$(rpc "$R" domain.list)
if [ "$(jget "$out" '["domains"][0]["name"]')/$(jget "$out" '["domains"][0]["id"]')" = "a/$id_a" ] &&
	[ "$(jget "$out" '["domains"][1]["name"]')/$(jget "$out" '["domains"][1]["id"]')" = "b/$id_b" ] &&
	[ "$(state_of a)" = running/booted ] && [ "$(state_of b)" = running/booted ]; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$out" "$(tail -5 "$R.log")"
fi

rpc "$R" domain.suspend '{"domain": "a"}' >/dev/null
s1=$(state_of a)
rpc "$R" domain.resume '{"domain": "a"}' >/dev/null
s2=$(state_of a)
if [ "$s1" = paused/user ] && [ "$s2" = running/unpaused ]; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "$s1 $s2"
fi

rpc "$R" domain.setmem '{"domain": "b", "kib": 40960}' >"$T_TMP/setmem"
for _ in $(seq 1 50); do
	out=$(rpc "$R" domain.memstats '{"domain": "b"}')
	[ "$(jget "$out" '["stats"]["actual"]')" = 40960 ] && break
	sleep 0.1
done
if [ "$(jget "$out" '["stats"]["actual"]')" = 40960 ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$(cat "$T_TMP/setmem")" "$out"
fi

t0=$(date +%s%N)
out=$(rpc "$R" domain.shutdown '{"domain": "b", "timeout": 10}')
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$out" = "{}" ] && [ "$(state_of b)" = "shut off/shutdown" ] && ! proc_alive "$pb"; then
	t_ok "${CHECKS[4]} ($ms ms)"
else
	t_fail "${CHECKS[4]}" "$out" "$(state_of b)"
fi

rpc "$R" domain.destroy '{"domain": "a"}' >/dev/null
for _ in $(seq 1 20); do proc_alive "$pa" || break; sleep 0.05; done
if [ "$(state_of a)" = "shut off/destroyed" ] && ! proc_alive "$pa"; then
	t_ok "${CHECKS[5]}"
else
	t_fail "${CHECKS[5]}" "$(state_of a)"
fi

if [ "$(state_of c)" = "shut off/crashed" ] && [ ! -e "$R/run/vireo/domains/c" ]; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "$(state_of c)" "$(ls "$R/run/vireo/domains")"
fi

# A status file whose pid now belongs to someone else (right pid, wrong start time).
rpc "$R" domain.start '{"domain": "c"}' >/dev/null
dmn_kill9
pc=$(dom_pid "$R" c)
kill -9 "$pc"; sleep 0.2
sleep 300 & decoy=$!; t_track_pid $decoy
"$PYTHON" - "$R/run/vireo/domains/c/status.json" "$decoy" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
st["pid"] = int(sys.argv[2])
json.dump(st, open(sys.argv[1], "w"))
EOF
dmn_start "$R"
if [ "$(state_of c)" = "shut off/crashed" ] && kill -0 $decoy 2>/dev/null; then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "$(state_of c)"
fi
kill $decoy

rpc "$R" domain.start '{"domain": "a"}' >/dev/null
pa=$(dom_pid "$R" a)
dmn_stop
sleep 0.2
alive=no; kill -0 "$pa" 2>/dev/null && alive=yes
dmn_start "$R"
if [ $alive = yes ] && [ "$(state_of a)" = running/booted ] &&
	rpc "$R" domain.destroy '{"domain": "a"}' >/dev/null && [ "$(state_of a)" = "shut off/destroyed" ]; then
	t_ok "${CHECKS[8]}"
else
	t_fail "${CHECKS[8]}" "alive after SIGTERM: $alive" "$(state_of a)"
fi

# ids so far: a, b, c, c again, a again; a fresh start must not reuse any
rpc "$R" domain.start '{"domain": "b"}' >/dev/null
pb=$(dom_pid "$R" b)
dmn_kill9
dmn_start "$R"
id=$(jget "$(rpc "$R" domain.start '{"domain": "a"}')" '["id"]')
idb=$(jget "$(rpc "$R" domain.info '{"domain": "b"}')" '["id"]')
if [ -n "$id" ] && [ -n "$idb" ] && [ "$id" -gt "$idb" ]; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "a: $id b: $idb"
fi
rpc "$R" domain.destroy '{"domain": "a"}' >/dev/null
rpc "$R" domain.destroy '{"domain": "b"}' >/dev/null
dmn_stop
rep=$(dmn_sanitizer_report "$R")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
