#!/bin/bash
# virtio-balloon: the test guest (512 MiB, all of it touched first) follows a target of
# 128 MiB and the worker really gives the memory back (the guest-RAM memfd's allocated
# blocks and the RSS drop by at least 90% of 384 MiB), query-balloon and BALLOON_CHANGE
# (at most one a second) say so, the stats arrive at the polling period in QEMU's
# guest-stats shape, the memory comes back at 512 MiB; free page reporting gives the
# reported pages back; deflate-on-oom reaches the guest; the QMP answers (errors too)
# are QEMU's. The same runs under QEMU (memfd RAM) must pass the same checks.
. "$VIREO_TEST_SRCDIR/tests/lib/tap.sh"
. "$VIREO_TEST_SRCDIR/tests/lib/vmm.sh"
t_tmpdir
QEMU=${QEMU:-qemu-system-x86_64}
QBOOT=/usr/share/qemu/qboot.rom
BALLOON_PY=$VIREO_TEST_SRCDIR/tests/lib/balloon.py
MIB=1048576
# libvirt's -device for <memballoon model='virtio' autodeflate='on' freePageReporting='on'>
# (lib/conf/domain_argv_dev.c, as tests/unit/test-argv.c pins it), for the vireo-vmm run.
LIBVIRT_BALLOON='{"driver":"virtio-balloon-pci","id":"balloon0","deflate-on-oom":true,"free-page-reporting":true,"bus":"pci.0","addr":"0x12"}'

names() {	# the checks of one VMM, in order
	local v=$1
	echo "$v: target 128 MiB of 512: query-balloon reaches it"
	echo "$v: the guest-RAM memfd gives back >= 90% of 384 MiB"
	echo "$v: the worker's RSS drops by >= 90% of 384 MiB"
	echo "$v: BALLOON_CHANGE reports 128 MiB, at most one a second"
	echo "$v: guest-stats every second (polling interval 1), in QEMU's shape"
	echo "$v: target 512 MiB: the balloon deflates, actual returns"
	echo "$v: a target above the RAM size is clamped to it"
	echo "$v: free page reporting gives the reported pages back"
	echo "$v: deflate-on-oom and free-page-reporting reach the guest (libvirt's -device)"
	echo "$v: no balloon device: QEMU's DeviceNotActive / DeviceNotFound"
}
name_of() { names "$1" | sed -n "${2}p"; }

if why=$(vmm_host_problem); then
	while IFS= read -r n; do t_skip "$n" "$why"; done < <(names vireo-vmm; names QEMU)
	t_skip "QMP answers (errors included) equal QEMU's" "$why"
	t_done
	exit
fi
qemu_why=
command -v "$QEMU" >/dev/null || qemu_why="$QEMU is not installed"
[ -z "$qemu_why" ] && [ ! -f "$QBOOT" ] && qemu_why="$QBOOT is not installed"

# start KIND NAME DEVICE APPEND: the worker with 512 MiB, the test guest and QMP; sets PID.
start() {
	local kind=$1 name=$2 dev=$3 append=$4
	rm -f "$T_TMP/$name.sock" "$T_TMP/$name.out"
	if [ "$kind" = vireo ]; then
		timeout -k 5 120 "$VMM" -m 512 -nodefaults -display none \
			-serial "file:$T_TMP/$name.out" -kernel "$GUEST" -append "$append" \
			-qmp "unix:$T_TMP/$name.sock,server=on,wait=off" ${dev:+-device "$dev"} \
			</dev/null >/dev/null 2>"$T_TMP/$name.err" &
	else
		timeout -k 5 120 "$QEMU" -accel kvm -cpu qemu64 -bios "$QBOOT" -m 512 \
			-object memory-backend-memfd,id=mem,size=512M -machine memory-backend=mem \
			-nodefaults -display none -serial "file:$T_TMP/$name.out" -kernel "$GUEST" \
			-append "$append" -qmp "unix:$T_TMP/$name.sock,server=on,wait=off" \
			${dev:+-device "$dev"} </dev/null >/dev/null 2>"$T_TMP/$name.err" &
	fi
	TPID=$!
	t_track_pid "$TPID"
	PID=$(vmm_child_of "$TPID")
	[ -n "$PID" ] && t_track_pid "$PID"
}
stop() {	# quit the worker and wait for it
	python3 "$QMP_PY" --timeout 5 "$T_TMP/$1.sock" quit >/dev/null 2>&1
	t_wait_for 10 eval '! kill -0 "$TPID" 2>/dev/null' || kill -9 "$PID" "$TPID" 2>/dev/null
	wait "$TPID" 2>/dev/null
}

# run KIND: the reclaim scenario, the reporting run, the run without a balloon.
run() {
	local kind=$1 dev=virtio-balloon-pci,id=balloon0 rdev
	[ "$kind" = qemu ] && dev=$dev,disable-legacy=on
	start "$kind" "$kind-main" "$dev" "idle touch-ram"
	python3 "$BALLOON_PY" reclaim --pid "${PID:-0}" --sock "$T_TMP/$kind-main.sock" \
		--serial "$T_TMP/$kind-main.out" --probes --out "$T_TMP/$kind-main.json"
	stop "$kind-main"
	rdev=$LIBVIRT_BALLOON
	[ "$kind" = qemu ] && rdev=virtio-balloon-pci,id=balloon0,disable-legacy=on,deflate-on-oom=on,free-page-reporting=on
	start "$kind" "$kind-report" "$rdev" "idle touch-ram report-free"
	t_wait_for 60 grep -q 'vireo-testguest ready' "$T_TMP/$kind-report.out"
	python3 "$BALLOON_PY" memory --pid "${PID:-0}" >"$T_TMP/$kind-report.mem" 2>&1
	python3 "$QMP_PY" --timeout 5 "$T_TMP/$kind-report.sock" query-balloon \
		>"$T_TMP/$kind-report.qmp" 2>&1
	stop "$kind-report"
	start "$kind" "$kind-none" "" idle
	python3 "$QMP_PY" --timeout 10 "$T_TMP/$kind-none.sock" query-balloon \
		'balloon={"value": 1048576}' \
		'qom-get={"path": "/machine/peripheral/balloon0", "property": "guest-stats"}' \
		>"$T_TMP/$kind-none.qmp" 2>&1
	stop "$kind-none"
}

# check KIND: one "ok"/"fail NAME-INDEX why" line per check of names().
check() {
	python3 - "$T_TMP" "$1" <<'PY'
import json, sys
tmp, kind = sys.argv[1], sys.argv[2]
MIB = 1 << 20
NAMES = ["stat-htlb-pgalloc", "stat-swap-out", "stat-available-memory", "stat-htlb-pgfail",
         "stat-free-memory", "stat-minor-faults", "stat-major-faults", "stat-total-memory",
         "stat-swap-in", "stat-disk-caches"]
def load(name):
    try:
        return json.load(open("%s/%s-%s.json" % (tmp, kind, name)))
    except (OSError, ValueError) as e:
        return {"ok": False, "error": str(e)}
def text(name, ext):
    try:
        return open("%s/%s-%s.%s" % (tmp, kind, name, ext), errors="replace").read()
    except OSError:
        return ""
r = load("main")
err = r.get("error", "")
MAIN = "%s-main" % kind
def reclaimed():
    return r["reclaim_s"] is not None and r["balloon_reply"] == ["return", {}], \
        "query-balloon never said 128 MiB (%s; reply %s)" % (r["reclaim_s"], r["balloon_reply"])
def dropped(key):
    b, a = r["before"][key], r["after"][key]
    return b - a >= 0.9 * 384 * MIB, "%s %d -> %d bytes" % (key, b, a)
def events():
    ev = r["events"]
    gaps = [ev[i + 1][0] - ev[i][0] for i in range(len(ev) - 1)]
    return bool(ev) and ev[-1][1] == {"actual": 128 * MIB} and all(g >= 0.9 for g in gaps), \
        "BALLOON_CHANGE arrivals (s, data): %s" % ev
def stats():
    s1, s2, dt = r["stats"]
    why = "guest-stats %s then %s, %.1f s apart; interval %s" % (s1, s2, dt, r["interval"])
    sent = s2["stats"]["stat-minor-faults"] - s1["stats"]["stat-minor-faults"]
    return (list(s1) == ["stats", "last-update"] and sorted(s1["stats"]) == sorted(NAMES) and
            abs(sent - dt) <= 1.5 and abs(s2["last-update"] - s1["last-update"] - dt) <= 1.5 and
            s2["stats"]["stat-htlb-pgalloc"] == 2 ** 64 - 1 and
            s2["stats"]["stat-free-memory"] == 96 * MIB and r["interval"] == ["return", 1]), why
def deflated():
    return r["deflate_s"] is not None, "actual never returned to 512 MiB"
def clamped():
    return r["above"] == ["return", {}] and r["actual_after_above"] == 512 * MIB, \
        "balloon 1 TiB: %s, then actual %s" % (r["above"], r["actual_after_above"])
rep = text("report", "out")
def reported():
    mem = json.loads(text("report", "mem"))
    return (0 < mem["memfd"] <= 512 * MIB - 0.9 * 480 * MIB and "reported 480 MiB" in rep and
            '"actual": 536870912' in text("report", "qmp")), \
        "memfd %s bytes after reporting; guest: %s" % (mem["memfd"],
                                                        [l for l in rep.splitlines() if "balloon" in l])
def features():
    feat = [l for l in rep.splitlines() if l.startswith("# balloon ") and "features" in l]
    return bool(feat) and "accepted 0x100000026" in feat[0], "guest: %s" % feat
def no_balloon():
    none = text("none", "qmp")
    e = '"class": "DeviceNotActive", "desc": "No balloon device has been activated"}'
    return ("error query-balloon {" + e in none and "error balloon {" + e in none and
            '"class": "DeviceNotFound", "desc": "Device \'/machine/peripheral/balloon0\' not found"'
            in none), none
out = []
for fn in (reclaimed, lambda: dropped("memfd"), lambda: dropped("rss"), events, stats,
           deflated, clamped, reported, features, no_balloon):
    try:
        ok, why = fn()
    except Exception as e:
        ok, why = False, "%s: %s (%s)" % (type(e).__name__, e, err or "run completed")
    out.append("ok" if ok else "fail " + str(why).replace("\n", " "))
print("\n".join(out))
PY
}

report() {	# one VMM's checks as TAP
	local kind=$1 label=$2 i=0 line
	while IFS= read -r line; do
		i=$((i + 1))
		if [ "$line" = ok ]; then
			t_ok "$(name_of "$label" $i)"
		else
			t_fail "$(name_of "$label" $i)" "${line#fail }" \
				"$(tail -n 5 "$T_TMP/$kind-main.out" 2>/dev/null)" "$(cat "$T_TMP/$kind-main.err" 2>/dev/null)"
		fi
	done < <(check "$kind")
}

run vireo
report vireo vireo-vmm
if [ -n "$qemu_why" ]; then
	while IFS= read -r n; do t_skip "$n" "$qemu_why"; done < <(names QEMU)
	t_skip "QMP answers (errors included) equal QEMU's" "$qemu_why"
else
	run qemu
	report qemu QEMU
	probes=$(python3 - "$T_TMP" <<'PY'
import json, sys
t = sys.argv[1]
try:
    v = json.load(open(t + "/vireo-main.json")).get("probes")
    q = json.load(open(t + "/qemu-main.json")).get("probes")
except (OSError, ValueError) as e:
    print("no probes: %s" % e); sys.exit(1)
bad = [(i, a, b) for i, (a, b) in enumerate(zip(v or [], q or [])) if a != b]
if not v or len(v) != len(q or []) or bad:
    print("differences (probe, vireo-vmm, QEMU): %s" % (bad or (v, q))); sys.exit(1)
PY
)
	if [ $? -eq 0 ]; then
		t_ok "QMP answers (errors included) equal QEMU's"
	else
		t_fail "QMP answers (errors included) equal QEMU's" "$probes"
	fi
fi
for k in vireo qemu; do
	[ -f "$T_TMP/$k-main.json" ] && echo "# $k: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("reclaim %.3f s, memfd %d -> %d MiB, RSS %d -> %d MiB, deflate %.3f s" % (r["reclaim_s"] or -1, r["before"]["memfd"] >> 20, r["after"]["memfd"] >> 20, r["before"]["rss"] >> 20, r["after"]["rss"] >> 20, r["deflate_s"] or -1))' "$T_TMP/$k-main.json" 2>/dev/null)"
done
t_done
