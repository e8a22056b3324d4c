#!/bin/bash
# vireo-vmm's QMP monitor as libvirt and QEMU tools use it: -S and cont, the query
# commands' shapes (as QEMU 7.2 answers them), and a monitor that no input can kill.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir

CHECKS=(
	"-S: no guest output for 1 s, query-status says prelaunch"
	"cont: a RESUME event, then query-status says running"
	"after -S and cont the guest runs to the end (ready, powerdown, exit 0)"
	"query-version has QEMU's shape and matches the greeting"
	"query-name gives the name of -name guest=NAME"
	"query-uuid gives the -uuid in lower case"
	"query-chardev lists every chardev as QEMU does"
	"without -name and -uuid: query-name is {} and query-uuid all zeros"
	"200 malformed QMP inputs are refused and never kill the worker"
	"a client that disconnects mid-message leaves a fresh session to the next one"
	"after all that the guest is still running and powers off on request"
)
why=$(vmm_host_problem) && vmm_skip_all "$why" "${CHECKS[@]}"

qmp_arg() { echo "unix:$T_TMP/$1.sock,server=on,wait=off"; }

# ---- -S, cont ----
vmm_start s -S -append idle -serial stdio -qmp "$(qmp_arg s)"
t_wait_for 10 test -S "$T_TMP/s.sock"
sleep 1
out=$(vmm_qmp s query-status)
if [ ! -s "$T_TMP/s.out" ] && grep -qxF \
	'return query-status {"running": false, "singlestep": false, "status": "prelaunch"}' <<<"$out"
then
	t_ok "${CHECKS[0]}"
else
	t_fail "${CHECKS[0]}" "$(vmm_log s)"
fi

out=$(vmm_qmp s cont event:RESUME query-status)
if grep -q '^event RESUME ' <<<"$out" && grep -qxF \
	'return query-status {"running": true, "singlestep": false, "status": "running"}' <<<"$out"
then
	t_ok "${CHECKS[1]}"
else
	t_fail "${CHECKS[1]}" "$(vmm_log s)"
fi

vmm_wait_line s "vireo-testguest ready" 1 10
vmm_qmp s system_powerdown event:SHUTDOWN closed >/dev/null
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ] && vmm_has_lines s "vireo-testguest ready" 1 &&
	vmm_has_lines s "vireo-testguest powering off" 1; then
	t_ok "${CHECKS[2]}"
else
	t_fail "${CHECKS[2]}" "status $VMM_RC" "$(vmm_log s)"
fi

# ---- query shapes, checked against what QEMU 7.2 answers ----
uuid_in=0A1B2C3D-4E5F-6789-ABCD-EF0123456789
vmm_start shapes -S -append idle -name guest=vm-shapes,debug-threads=on -uuid "$uuid_in" \
	-chardev null,id=n0 -chardev file,id=f0,path="$T_TMP/f0.log" \
	-chardev socket,id=s0,path="$T_TMP/s0.sock",server=on,wait=off \
	-chardev pty,id=p0 -device isa-serial,chardev=p0 -serial stdio -qmp "$(qmp_arg shapes)"
vmm_qmp shapes query-version query-name query-uuid query-chardev quit closed \
	>"$T_TMP/shapes.out.qmp"
vmm_wait_exit 10

# check-shapes WHAT: prints the problems with one answer (nothing when it is right).
check_shapes() {
	python3 - "$1" "$T_TMP/shapes.out.qmp" "$T_TMP" <<'EOF'
import json, os, stat, sys
what, path, tmp = sys.argv[1:]
got = {}
for line in open(path):
    kind, _, rest = line.rstrip("\n").partition(" ")
    if kind in ("return", "error"):
        cmd, _, text = rest.partition(" ")
        got[cmd] = (kind, json.loads(text))
    elif kind == "greeting":
        got["greeting"] = ("return", json.loads(rest))
def ret(cmd):
    kind, val = got.get(cmd, (None, None))
    if kind != "return":
        print("%s: no return value (%s %s)" % (cmd, kind, val))
        sys.exit(0)
    return val
if what == "version":
    v = ret("query-version")
    if set(v) != {"qemu", "package"} or not isinstance(v["package"], str):
        print("query-version keys: %s (QEMU: qemu, package)" % sorted(v))
    q = v.get("qemu", {})
    if set(q) != {"major", "minor", "micro"} or not all(type(q[k]) is int for k in q):
        print("query-version qemu: %s (QEMU: integers major, minor, micro)" % q)
    g = ret("greeting")
    if g.get("QMP", {}).get("version") != v:
        print("greeting version %s differs from query-version %s" % (g.get("QMP"), v))
    if not isinstance(g.get("QMP", {}).get("capabilities"), list):
        print("greeting capabilities is not a list: %s" % g)
elif what == "name":
    v = ret("query-name")
    if v != {"name": "vm-shapes"}:
        print('query-name: %s (QEMU: {"name": "vm-shapes"})' % v)
elif what == "uuid":
    v = ret("query-uuid")
    if v != {"UUID": "0a1b2c3d-4e5f-6789-abcd-ef0123456789"}:
        print('query-uuid: %s (QEMU: {"UUID": "0a1b2c3d-4e5f-6789-abcd-ef0123456789"})' % v)
elif what == "chardev":
    v = ret("query-chardev")
    if not isinstance(v, list):
        print("query-chardev is not a list: %s" % v)
        sys.exit(0)
    # What QEMU 7.2 answers for the same command line (order does not matter).
    want = {
        "serial0": {"frontend-open": True, "filename": "stdio"},
        "compat_monitor0": {"frontend-open": True,
                            "filename": "unix:%s/shapes.sock,server=on" % tmp},
        "n0": {"frontend-open": False, "filename": "null"},
        "f0": {"frontend-open": False, "filename": "file"},
        "s0": {"frontend-open": False, "filename": "disconnected:unix:%s/s0.sock,server=on" % tmp},
        "p0": {"frontend-open": True, "filename": "pty:"},
    }
    seen = set()
    for c in v:
        if not isinstance(c, dict) or set(c) != {"label", "filename", "frontend-open"}:
            print("entry %s: keys are not label, filename, frontend-open" % c)
            continue
        label = c["label"]
        seen.add(label)
        w = want.get(label)
        if w is None:
            print("unexpected chardev %s" % c)
            continue
        if c["frontend-open"] is not w["frontend-open"]:
            print("%s: frontend-open %s, QEMU: %s" % (label, c["frontend-open"], w["frontend-open"]))
        if label == "p0":
            dev = c["filename"][4:]
            if not c["filename"].startswith("pty:") or not dev.startswith("/dev/pts/"):
                print("p0: filename %r, QEMU: 'pty:/dev/pts/N'" % c["filename"])
        elif c["filename"] != w["filename"]:
            print("%s: filename %r, QEMU: %r" % (label, c["filename"], w["filename"]))
    for label in sorted(set(want) - seen):
        print("missing chardev %s" % label)
EOF
}
for what in version name uuid chardev; do
	case $what in
	version) name=${CHECKS[3]} ;; name) name=${CHECKS[4]} ;;
	uuid) name=${CHECKS[5]} ;; chardev) name=${CHECKS[6]} ;;
	esac
	problems=$(check_shapes $what 2>&1)
	if [ -z "$problems" ]; then
		t_ok "$name"
	else
		t_fail "$name" "$problems" "--- transcript" "$(cat "$T_TMP/shapes.out.qmp")"
	fi
done

# ---- a monitor no input can kill ----
vmm_start fuzz -append idle -serial stdio -qmp "$(qmp_arg fuzz)"
vmm_wait_line fuzz "vireo-testguest ready" 1 10
out=$(vmm_qmp fuzz query-name query-uuid)
if grep -qxF 'return query-name {}' <<<"$out" &&
	grep -qxF 'return query-uuid {"UUID": "00000000-0000-0000-0000-000000000000"}' <<<"$out"; then
	t_ok "${CHECKS[7]}"
else
	t_fail "${CHECKS[7]}" "$out"
fi

# Each input on its own connection. "strict" inputs are complete lines: each must get
# an error reply (and nothing else) and the connection must go on answering (a sync
# command after a newline); "cut" inputs end mid-message and the client disconnects;
# "precaps" inputs come before qmp_capabilities and must be refused. Every expectation
# here is what QEMU 7.2 does with the same input.
out=$(QMP_LIB="$VIREO_TEST_SRCDIR/tests/lib" timeout 100 python3 - "$T_TMP/fuzz.sock" "$VMM_PID" <<'PYEOF' 2>&1
import json, os, random, sys, time
sys.path.insert(0, os.environ["QMP_LIB"])
from qmp import Qmp, QmpError

sock, pid = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261127)
SYNC = b'\n{"execute":"query-status","id":"sync"}\n'
SYNC_CAPS = b'\n{"execute":"qmp_capabilities","id":"sync"}\n'
cases = []
def add(cat, payload, mode="strict"):
    cases.append((cat, payload if isinstance(payload, bytes) else payload.encode(), mode))

# garbage bytes (40): 30 lines of bytes that cannot open a JSON string, object, array or
# comment (so each ends at its newline), 10 of any bytes, cut off.
safe = bytes(b for b in range(256) if b not in b'"\'{}[]/\n')
for i in range(30):
    add("garbage", bytes(rng.choice(safe) for _ in range(rng.randint(1, 3000))))
for i in range(8):
    add("garbage", bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))), "cut")
add("garbage", b"\x00" * 4096, "cut")
add("garbage", b"\xff" * 4096, "cut")

# truncated JSON (40), then a disconnect mid-message
full = '{"execute": "query-status", "arguments": {}, "id": "truncated"}'
for n in sorted(rng.sample(range(1, len(full)), 30)):
    add("truncated", full[:n], "cut")
for t in ['{', '{"', '{"execute', '{"execute":', '{"execute":"q', '[', '["a",', '"abc',
          '{"execute":"query-status","arguments":{"a":[1,2,{', '{"execute":"\\u00']:
    add("truncated", t, "cut")

# wrong types (30)
for v in ['42', '-1', '1.5', 'true', 'false', 'null', '[]', '["query-status"]', '{}',
          '{"x":"query-status"}']:
    add("wrong-type", '{"execute": %s}' % v)
for v in ['[]', '"x"', '42', 'true', 'null', '[1,2]', '"{}"']:
    add("wrong-type", '{"execute": "query-status", "arguments": %s}' % v)
for c, a in [("query-status", '{"bogus": 1}'), ("query-version", '{"a": null}'),
             ("query-name", '{"name": "x"}'), ("query-uuid", '{"": 0}'),
             ("query-chardev", '{"x": [1]}'), ("stop", '{"bogus": true}'),
             ("quit", '{"now": 1}'), ("system_reset", '{"hard": "yes"}'),
             ("system_powerdown", '{"x": {}}'), ("qmp_capabilities", '{"enable": "oob"}'),
             ("qmp_capabilities", '{"enable": 5}'), ("cont", '{"x": 1}'),
             ("query-status", '{"bogus": "\\u0000"}')]:
    add("wrong-type", '{"execute": "%s", "arguments": %s}' % (c, a))

# unknown commands (30)
for n in ["query-statu", "query-status ", " query-status", "Query-Status", "QUERY-STATUS",
          "Quit", "QUIT", "stop!", "system-powerdown", "system_reset2", "", " ", "\\u0000",
          "query-status\\u0000", "\\ud83d\\ude00", "human-monitor-command", "device_add",
          "../../quit", "quit\\nquit", "x" * 200]:
    add("unknown", '{"execute": "%s"}' % n)
for i in range(10):
    add("unknown", json.dumps({"execute": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_-")
                                                   for _ in range(rng.randint(1, 60)))}))

# huge strings (15)
add("huge", '{"execute": "%s"}' % ("q" * 100000))
add("huge", '{"execute": "%s"}' % ("q" * 900000))
add("huge", '{"execute": "%s"}' % ("q" * 900000), "cut")          # gone before the reply
add("huge", '{"execute": "%s"}' % ("q" * 2000000))
add("huge", '{"execute": "query-status", "arguments": {"x": "%s"}}' % ("a" * 600000))
add("huge", '{"execute": "query-status", "id": "%s", "x": 1}' % ("i" * 500000))
add("huge", '{"execute": "query-status", "arguments": {"x": "%s"}}' % ("a" * 3000000))
add("huge", " " * 2000000 + "42")
add("huge", "[" * 100000)
add("huge", "[" * 100000, "cut")
add("huge", '{"a":' * 50000)
add("huge", "9" * 1500000)
add("huge", '"%s"' % ("\\u00e9" * 300000))
add("huge", '{"execute": "query-status", "arguments": {%s}}' %
    ",".join('"k%d": %d' % (i, i) for i in range(60000)))
add("huge", bytes(rng.choice(safe) for _ in range(3000000)))

# non-object JSON (20)
for v in ['0', '1e999', '-0', '"query-status"', '""', 'true', 'false', 'null', '[]', '[{}]',
          '[{"execute": "query-status"}]', '[[[[[]]]]]', '"\\u0000"', '3.14159',
          '"{\\"execute\\": \\"query-status\\"}"', '[null, true]',
          '123456789012345678901234567890', '"\\ud800"', '[1,2,3]',
          '["execute", "query-status"]']:
    add("non-object", v)

# missing execute (15)
for v in ['{}', '{"arguments": {}}', '{"id": 1}', '{"exec": "query-status"}',
          '{"execute ": "query-status"}', '{"Execute": "query-status"}',
          '{"execute": "query-status", "bogus": 1}', '{"command": "quit"}',
          '{"arguments": {"execute": "query-status"}}', '{"id": "x", "arguments": null}',
          '{"exec-oob": "query-status"}', '{"": ""}', '{"\\u0000execute": "quit"}',
          '{"execute": "query-status", "control": {}}', '{"id": {"execute": "quit"}}']:
    add("no-execute", v)

# commands before qmp_capabilities (10)
for v in ['{"execute": "query-status"}', '{"execute": "stop"}', '{"execute": "quit"}',
          '{"execute": "system_powerdown"}', '{"execute": "system_reset"}', '{"execute": "cont"}',
          '{"execute": "query-version", "id": 1}', '{"execute": "nonsense"}', '[]',
          '{"execute": "qmp_capabilities", "arguments": {"enable": ["nonsense"]}}']:
    add("pre-caps", v, "precaps")
assert len(cases) == 200, len(cases)

def alive():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def read_until_sync(q, deadline):
    replies = []
    while True:
        msg = q.read_message(deadline)
        if isinstance(msg, dict) and msg.get("id") == "sync" and "event" not in msg:
            return replies, msg
        replies.append(msg)

problems = []
counts = {}
t0 = time.monotonic()
for i, (cat, payload, mode) in enumerate(cases):
    counts[cat] = counts.get(cat, 0) + 1
    what = "input %d (%s, %d bytes, %r)" % (i + 1, cat, len(payload),
                                            payload[:60] + (b"..." if len(payload) > 60 else b""))
    try:
        q = Qmp(sock, timeout=5, negotiate=(mode != "precaps"))
        q.send_raw(payload)
        if mode != "cut":
            q.send_raw(SYNC_CAPS if mode == "precaps" else SYNC)
            replies, sync = read_until_sync(q, time.monotonic() + 5)
            errors = [r for r in replies if isinstance(r, dict) and "error" in r]
            others = [r for r in replies if not (isinstance(r, dict) and "error" in r)]
            if "return" not in sync:
                problems.append("%s: the command after it failed: %s" % (what, str(sync)[:300]))
            elif not errors:
                problems.append("%s: no error reply (QEMU refuses it)" % what)
            if others:
                problems.append("%s: accepted or acted on: %s" % (what, str(others)[:300]))
        q.close()
    except (QmpError, OSError) as e:
        problems.append("%s: %s" % (what, e))
    if not alive():
        problems.append("%s: the worker died" % what)
        break
    if (i + 1) % 20 == 0:
        try:
            q = Qmp(sock, timeout=5)
            r = q.command("query-status", timeout=5)
            q.close()
            if r.get("return", {}).get("status") != "running":
                problems.append("after input %d: query-status %s" % (i + 1, r))
        except (QmpError, OSError) as e:
            problems.append("after input %d: query-status: %s" % (i + 1, e))
for p in problems[:40]:
    print(p)
print("inputs: %s; %d problems; %.1f s" % (
    ", ".join("%d %s" % (n, c) for c, n in counts.items()), len(problems),
    time.monotonic() - t0))
sys.exit(1 if problems else 0)
PYEOF
)
rc=$?
if [ $rc -eq 0 ]; then
	t_ok "${CHECKS[8]}"
	sed 's/^/# /' <<<"$out"
else
	t_fail "${CHECKS[8]}" "$out" "$(vmm_log fuzz)"
fi

# A client sends half a command and goes; the next one gets a greeting and a session
# of its own: not negotiated yet, and nothing of the half command left over.
out=$(QMP_LIB="$VIREO_TEST_SRCDIR/tests/lib" timeout 30 python3 - "$T_TMP/fuzz.sock" <<'PYEOF' 2>&1
import os, sys
sys.path.insert(0, os.environ["QMP_LIB"])
from qmp import Qmp, QmpError
sock = sys.argv[1]
try:
    for half in [b'{"execute": "query-sta', b'{"execute": "quit", "argu', b'{"execute":"stop"']:
        a = Qmp(sock, timeout=5)
        a.send_raw(half)
        a.close()
        b = Qmp(sock, timeout=5, negotiate=False)
        r = b.command("query-status", timeout=5)
        if r.get("error", {}).get("class") != "CommandNotFound":
            print("after %r: a new client's command before qmp_capabilities gave %s" % (half, r))
        r = b.command("qmp_capabilities", timeout=5)
        if "return" not in r:
            print("after %r: qmp_capabilities gave %s" % (half, r))
        r = b.command("query-status", timeout=5)
        if r.get("return", {}).get("status") != "running":
            print("after %r: query-status gave %s" % (half, r))
        b.close()
except (QmpError, OSError) as e:
    print("QMP: %s" % e)
PYEOF
)
if [ -z "$out" ]; then
	t_ok "${CHECKS[9]}"
else
	t_fail "${CHECKS[9]}" "$out" "$(vmm_log fuzz)"
fi

out=$(vmm_qmp fuzz query-status system_powerdown event:POWERDOWN event:SHUTDOWN closed)
vmm_wait_exit 10
if [ "$VMM_RC" = 0 ] && grep -qxF \
	'return query-status {"running": true, "singlestep": false, "status": "running"}' <<<"$out" &&
	grep -q '^event SHUTDOWN .*"guest": true' <<<"$out" &&
	vmm_has_lines fuzz "vireo-testguest powering off" 1 &&
	[ "$(vmm_count_lines fuzz "# boot")" = 1 ]; then
	t_ok "${CHECKS[10]}"
else
	t_fail "${CHECKS[10]}" "status $VMM_RC" "$out" "$(vmm_log fuzz)"
fi

t_done
