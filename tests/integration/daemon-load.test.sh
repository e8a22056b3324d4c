#!/bin/bash
# Load: 20 clients call list/info/xml in loops while 5 domains start and stop over
# and over (DAEMON_LOAD_SECONDS, default 60). No call may fail, queries stay fast, and
# the daemon ends with the fds it started with.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/daemon.sh"
t_tmpdir
R=$T_TMP/root
trap 'dmn_cleanup "$R"; t_cleanup' EXIT
SECONDS_LOAD=${DAEMON_LOAD_SECONDS:-60}

CHECKS=(
	"20 clients x list/info/xml for ${SECONDS_LOAD} s while 5 domains cycle: zero failed calls"
	"every start/stop cycle of the 5 domains succeeded"
	"no fd leaked: the daemon has as many fds after as before"
	"no domain left running, no runtime dir left behind"
	"no sanitizer report in the daemon's log"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

dmn_start "$R"
for i in 1 2 3 4 5; do dom_define "$R" load$i; done
fds_before=$(ls /proc/$DMN_PID/fd | wc -l)

cat >"$T_TMP/load.py" <<'EOF'
import sys, threading, time
sys.path.insert(0, sys.argv[1])
import rpc
sock, seconds = sys.argv[2], float(sys.argv[3])
end = time.monotonic() + seconds
lock = threading.Lock()
stats = {"calls": 0, "failed": 0, "cycles": 0, "cycle_failed": 0, "worst_ms": 0.0}
errors = []

def note_error(what):
    with lock:
        if len(errors) < 10:
            errors.append(what)

def client(n):
    c = rpc.Client(sock)
    i = 0
    while time.monotonic() < end:
        dom = "load%d" % (i % 5 + 1)
        for method, params in (("domain.list", {"all": True}), ("domain.info", {"domain": dom}),
                               ("domain.xml", {"domain": dom})):
            t0 = time.monotonic()
            try:
                c.call(method, params, timeout=30)
                ok = True
            except Exception as e:
                ok = False
                note_error("client %d %s: %s" % (n, method, e))
            ms = (time.monotonic() - t0) * 1000
            with lock:
                stats["calls"] += 1
                stats["failed"] += not ok
                stats["worst_ms"] = max(stats["worst_ms"], ms)
        i += 1
    c.close()

def cycler(n):
    c = rpc.Client(sock)
    dom = "load%d" % n
    k = 0
    while time.monotonic() < end:
        try:
            c.call("domain.start", {"domain": dom}, timeout=60)
            time.sleep(0.2)
            if k % 2:
                c.call("domain.shutdown", {"domain": dom, "timeout": 20}, timeout=60)
            else:
                c.call("domain.destroy", {"domain": dom}, timeout=60)
            with lock:
                stats["cycles"] += 1
        except Exception as e:
            note_error("cycler %s: %s" % (dom, e))
            with lock:
                stats["cycle_failed"] += 1
            try:
                c.call("domain.destroy", {"domain": dom}, timeout=60)
            except Exception:
                pass
        k += 1
    c.close()

threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
threads += [threading.Thread(target=cycler, args=(n,)) for n in range(1, 6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("calls=%(calls)d failed=%(failed)d cycles=%(cycles)d cycle_failed=%(cycle_failed)d "
      "worst_ms=%(worst_ms).0f" % stats)
for e in errors:
    print("  " + e)
EOF
out=$("$PYTHON" "$T_TMP/load.py" "$VIREO_TEST_SRCDIR/tests/lib" "$R/run/vireo/vireod.sock" \
	"$SECONDS_LOAD" 2>&1)
summary=$(head -1 <<<"$out")
failed=$(sed -n 's/.*calls=[0-9]* failed=\([0-9]*\).*/\1/p' <<<"$summary")
calls=$(sed -n 's/.*calls=\([0-9]*\).*/\1/p' <<<"$summary")
cycles=$(sed -n 's/.*cycles=\([0-9]*\).*/\1/p' <<<"$summary")
cfailed=$(sed -n 's/.*cycle_failed=\([0-9]*\).*/\1/p' <<<"$summary")
if [ "$failed" = 0 ] && [ "${calls:-0}" -gt 1000 ]; then
	t_ok "${CHECKS[0]} ($summary)"
else
	t_fail "${CHECKS[0]}" "$out" "$(grep -v '^20..-' "$R.log" | tail -20)"
fi
if [ "$cfailed" = 0 ] && [ "${cycles:-0}" -ge 10 ]; then
	t_ok "${CHECKS[1]} ($cycles cycles)"
else
	t_fail "${CHECKS[1]}" "$out"
fi

# the clients are gone: give the daemon a moment to see the hang-ups
for _ in $(seq 1 40); do
	fds_after=$(ls /proc/$DMN_PID/fd | wc -l)
	[ "$fds_after" = "$fds_before" ] && break
	sleep 0.05
done
if [ "$fds_after" = "$fds_before" ]; then
	t_ok "${CHECKS[2]} ($fds_before fds)"
else
	t_fail "${CHECKS[2]}" "before: $fds_before after: $fds_after" "$(ls -l /proc/$DMN_PID/fd)"
fi

out=$(rpc "$R" domain.list)
left=$(ls "$R/run/vireo/domains" | wc -l)
if [ "$out" = '{"domains": []}' ] && [ "$left" = 0 ]; then
	t_ok "${CHECKS[3]}"
else
	t_fail "${CHECKS[3]}" "$out" "$(ls "$R/run/vireo/domains")"
fi
dmn_stop
rep=$(dmn_sanitizer_report "$R")
if [ -z "$rep" ]; then t_ok "${CHECKS[-1]}"; else t_fail "${CHECKS[-1]}" "$rep"; fi
t_done
