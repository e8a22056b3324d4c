#!/bin/bash
# A domain's life through vireod's RPC, with the test guest under vireo-vmm: define,
# start, console, suspend/resume, balloon, ACPI shutdown, reboot, destroy, undefine,
# transient domains, autostart, the lifecycle events, and the errors of each step.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT

CHECKS=(
	"define: the domain is listed as shut off, its definition is on disk"
	"start: running (booted) with an id, status file and live XML in the runtime dir"
	"console: the guest's banner arrives as stream frames"
	"suspend makes it paused (user), resume running (unpaused)"
	"setmem halves the memory and memstats shows the balloon's actual"
	"shutdown presses the power button: shut off (shutdown) within 10 s, not destroyed"
	"reboot: the guest powers off and boots again in the same worker (banner twice)"
	"destroy: shut off (destroyed), runtime dir removed"
	"errors: start of a running domain, bad XML, a name clash, an unknown domain"
	"undefine: gone from the list and from disk"
	"create: a transient domain runs, and is gone once destroyed"
	"autostart: the mark is a link; a daemon starting at boot starts the domain"
	"events: the subscriber saw the lifecycle in order"
	"the domain log holds the worker's command line"
	"no sanitizer report in the daemon's log"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

dmn_start "$R"
"$PYTHON" "$RPC_PY" "$R/run/vireo/vireod.sock" --events 120 >"$T_TMP/events" &
EVPID=$!; t_track_pid $EVPID
sleep 0.3

# ---- define ----
dom_define "$R" web
out=$(rpc "$R" domain.list '{"all": true}')
if [ "$(jget "$out" '["domains"][0]["state"]')" = "shut off" ] &&
	[ "$(jget "$out" '["domains"][0]["name"]')" = web ] &&
	xmllint --noout "$R/etc/vireo/domains/web.xml" 2>/dev/null; then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "$out"
fi

# ---- start ----
out=$(rpc "$R" domain.start '{"domain": "web"}')
st=$(rpc "$R" domain.state '{"domain": "web"}')
xml=$(rpc "$R" domain.xml '{"domain": "web"}')
if [ "$(jget "$out" '["id"]')" -ge 1 ] 2>/dev/null &&
	[ "$(jget "$st" '["state"]')/$(jget "$st" '["reason"]')" = running/booted ] &&
	[ -f "$R/run/vireo/domains/web/status.json" ] && [ -f "$R/run/vireo/domains/web/live.xml" ] &&
	grep -q "id='$(jget "$out" '["id"]')'" <<<"$xml"; then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$out" "$st" "$(tail -5 "$R.log")"
fi

# ---- console ----
out=$(rpc "$R" --console web "vireo-testguest ready" 10)
if [ $? -eq 0 ]; then t_ok "${CHECKS[2]}"; else t_fail "${CHECKS[2]}" "$out"; fi

# ---- suspend / resume ----
rpc "$R" domain.suspend '{"domain": "web"}' >/dev/null
s1=$(rpc "$R" domain.state '{"domain": "web"}')
rpc "$R" domain.resume '{"domain": "web"}' >/dev/null
s2=$(rpc "$R" domain.state '{"domain": "web"}')
if [ "$(jget "$s1" '["state"]')/$(jget "$s1" '["reason"]')" = paused/user ] &&
	[ "$(jget "$s2" '["state"]')/$(jget "$s2" '["reason"]')" = running/unpaused ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$s1" "$s2"
fi

# ---- balloon ----
rpc "$R" domain.setmem '{"domain": "web", "kib": 32768}' >"$T_TMP/setmem"
actual=
# the worker's BALLOON_CHANGE events are rate-limited (1 s, as QEMU's): dominfo's
# memory follows them, so it may lag behind memstats for a moment
for _ in $(seq 1 50); do
	out=$(rpc "$R" domain.memstats '{"domain": "web"}')
	actual=$(jget "$out" '["stats"]["actual"]')
	info=$(rpc "$R" domain.info '{"domain": "web"}')
	[ "$actual" = 32768 ] && [ "$(jget "$info" '["memory_kib"]')" = 32768 ] && break
	sleep 0.1
done
if [ "$actual" = 32768 ] && [ "$(jget "$info" '["memory_kib"]')" = 32768 ] &&
	[ "$(jget "$info" '["max_memory_kib"]')" = 65536 ]; then
	t_ok "${CHECKS[4]}"
else
	t_fail "${CHECKS[4]}" "$(cat "$T_TMP/setmem")" "$out" "$info"
fi

# ---- ACPI shutdown ----
t0=$(date +%s%N)
out=$(rpc "$R" domain.shutdown '{"domain": "web", "timeout": 10}')
t1=$(date +%s%N)
st=$(rpc "$R" domain.state '{"domain": "web"}')
ms=$(((t1 - t0) / 1000000))
if [ "$out" = "{}" ] && [ $ms -lt 10000 ] &&
	[ "$(jget "$st" '["state"]')/$(jget "$st" '["reason"]')" = "shut off/shutdown" ]; then
	t_ok "${CHECKS[5]} (${ms} ms)"
else
	t_fail "${CHECKS[5]}" "$out ($ms ms)" "$st"
fi

# ---- reboot ----
rpc "$R" domain.start '{"domain": "web"}' >/dev/null
rpc "$R" --console web "vireo-testguest ready" 10 >/dev/null
pid1=$(dom_pid "$R" web)
rpc "$R" domain.reboot '{"domain": "web"}' >/dev/null
ok=
for _ in $(seq 1 100); do
	n=$(rpc "$R" --console web "zzz-never" 0.3 | grep -c "vireo-testguest ready")
	[ "$n" -ge 2 ] && { ok=1; break; }
done
pid2=$(dom_pid "$R" web)
st=$(rpc "$R" domain.state '{"domain": "web"}')
if [ -n "$ok" ] && [ "$pid1" = "$pid2" ] && [ "$(jget "$st" '["state"]')" = running ]; then
	t_ok "${CHECKS[6]}"
else
	t_fail "${CHECKS[6]}" "banners: $n pids: $pid1 $pid2" "$st"
fi

# ---- destroy ----
rpc "$R" domain.destroy '{"domain": "web"}' >/dev/null
st=$(rpc "$R" domain.state '{"domain": "web"}')
if [ "$(jget "$st" '["state"]')/$(jget "$st" '["reason"]')" = "shut off/destroyed" ] &&
	[ ! -e "$R/run/vireo/domains/web" ] && ! kill -0 "$pid2" 2>/dev/null; then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "$st" "$(ls "$R/run/vireo/domains")"
fi

# ---- errors ----
rpc "$R" domain.start '{"domain": "web"}' >/dev/null
e1=$(rpc "$R" domain.start '{"domain": "web"}')
e2=$(rpc "$R" domain.define '{"xml": "<domain type=\"kvm\"><name>x</name></domain>"}')
e3=$(dom_xml web | sed "s|<name>web</name>|<name>web</name><uuid>00000000-0000-4000-8000-000000000001</uuid>|" |
	xml_params | { read -r p; rpc "$R" domain.define "$p"; })
e4=$(rpc "$R" domain.info '{"domain": "nosuch"}')
rpc "$R" domain.destroy '{"domain": "web"}' >/dev/null
if grep -q "^error: operation-invalid: domain 'web' is already active" <<<"$e1" &&
	grep -q "^error: invalid-xml: " <<<"$e2" &&
	grep -q "^error: domain-exists: domain 'web' already exists with uuid" <<<"$e3" &&
	grep -q "^error: no-domain: failed to get domain 'nosuch'" <<<"$e4"; then
	t_ok "${CHECKS[8]}"
else
	t_fail "${CHECKS[8]}" "$e1" "$e2" "$e3" "$e4"
fi

# ---- undefine ----
rpc "$R" domain.undefine '{"domain": "web"}' >/dev/null
out=$(rpc "$R" domain.list '{"all": true}')
if [ "$out" = '{"domains": []}' ] && [ ! -e "$R/etc/vireo/domains/web.xml" ]; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "$out" "$(ls "$R/etc/vireo/domains")"
fi

# ---- transient ----
out=$(dom_xml tmp | xml_params | { read -r p; rpc "$R" domain.create "$p"; })
info=$(rpc "$R" domain.info '{"domain": "tmp"}')
rpc "$R" domain.destroy '{"domain": "tmp"}' >/dev/null
after=$(rpc "$R" domain.list '{"all": true}')
if [ "$(jget "$out" '["name"]')" = tmp ] && [ "$(jget "$info" '["persistent"]')" = false ] &&
	[ "$(jget "$info" '["state"]')" = running ] && [ "$after" = '{"domains": []}' ] &&
	[ ! -e "$R/etc/vireo/domains/tmp.xml" ]; then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "$out" "$info" "$after"
fi

# ---- autostart ----
dom_define "$R" auto
rpc "$R" domain.autostart '{"domain": "auto", "enable": true}' >/dev/null
link=$(readlink "$R/etc/vireo/domains/autostart/auto.xml")
dmn_stop
kill $EVPID 2>/dev/null; wait $EVPID 2>/dev/null
rm -f "$R/run/vireo/autostarted"	# as after a reboot: /run is empty
dmn_start "$R"
st=
for _ in $(seq 1 100); do
	st=$(rpc "$R" domain.state '{"domain": "auto"}')
	[ "$(jget "$st" '["state"]')" = running ] && break
	sleep 0.1
done
info=$(rpc "$R" domain.info '{"domain": "auto"}')
# a daemon restart is not a boot: a domain shut down stays down
rpc "$R" domain.destroy '{"domain": "auto"}' >/dev/null
dmn_stop
dmn_start "$R"
sleep 0.5
st2=$(rpc "$R" domain.state '{"domain": "auto"}')
if [ "$link" = ../auto.xml ] && [ "$(jget "$st" '["state"]')" = running ] &&
	[ "$(jget "$info" '["autostart"]')" = true ] &&
	[ "$(jget "$st2" '["state"]')" = "shut off" ]; then
	t_ok "${CHECKS[11]}"
else
	t_fail "${CHECKS[11]}" "link: $link" "$st" "$info" "$st2"
fi

# ---- events ----
seq=$("$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["name"] == "web":
        print(e["event"] + "/" + e["detail"], end=" ")' "$T_TMP/events")
want="defined/added started/booted suspended/paused resumed/unpaused shutdown/finished stopped/shutdown started/booted rebooted/booted stopped/destroyed started/booted stopped/destroyed undefined/removed "
if [ "$seq" = "$want" ]; then
	t_ok "${CHECKS[12]}"
else
	t_fail "${CHECKS[12]}" "got:  $seq" "want: $want"
fi

if grep -q "starting domain web: .*vireo-vmm -name guest=web" "$R/var/log/vireo/web.log"; then
	t_ok "${CHECKS[13]}"
else
	t_fail "${CHECKS[13]}" "$(head -3 "$R/var/log/vireo/web.log")"
fi

dmn_stop
rep=$(dmn_sanitizer_report "$R")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
