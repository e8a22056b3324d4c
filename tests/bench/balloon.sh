#!/bin/bash
# virtio-balloon reclaim, vireo-vmm against QEMU/KVM in the same run: the test guest
# (512 MiB, "idle touch-ram": all its free RAM touched first) is ballooned to 128 MiB;
# the time from QMP `balloon` until query-balloon reports 128 MiB (polled every 10 ms),
# the host memory actually returned (the guest-RAM memfd's allocated blocks and the
# worker's RSS, before and after), and the time to deflate back to 512 MiB. QEMU runs
# with a memfd memory backend, so both give memory back by punching a memfd. Median of
# RUNS runs each (default 3), the two VMMs alternating. tests/lib/balloon.py does the
# measuring.
#
#   tests/bench/balloon.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/), QEMU (default
# qemu-system-x86_64). Needs a usable /dev/kvm.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
runs=${1:-3}
qemu=${QEMU:-qemu-system-x86_64}
vmm=$build/qemu-wrap/vireo-vmm
guest=$build/tests/guest/guest.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bios=(); [ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)

# one KIND N: a run; its result in $tmp/KIND-N.json
one() {
	local kind=$1 n=$2 pid
	local common=(-m 512 -nodefaults -display none -serial "file:$tmp/$kind-$n.out"
		      -kernel "$guest" -append "idle touch-ram"
		      -qmp "unix:$tmp/$kind-$n.sock,server=on,wait=off")
	if [ "$kind" = vireo-vmm ]; then
		timeout -k 5 120 "$vmm" "${common[@]}" -device virtio-balloon-pci,id=balloon0 \
			</dev/null >/dev/null 2>"$tmp/$kind-$n.err" &
	else
		timeout -k 5 120 "$qemu" -accel kvm -cpu qemu64 -no-user-config "${bios[@]}" \
			-object memory-backend-memfd,id=mem,size=512M -machine memory-backend=mem \
			"${common[@]}" -device virtio-balloon-pci,id=balloon0,disable-legacy=on \
			</dev/null >/dev/null 2>"$tmp/$kind-$n.err" &
	fi
	local tpid=$!
	for _ in $(seq 100); do
		pid=$(cut -d' ' -f1 "/proc/$tpid/task/$tpid/children" 2>/dev/null)
		[ -n "$pid" ] && break
		sleep 0.01
	done
	python3 "$src/tests/lib/balloon.py" reclaim --pid "${pid:-0}" --sock "$tmp/$kind-$n.sock" \
		--serial "$tmp/$kind-$n.out" --stats-secs 0 --out "$tmp/$kind-$n.json" ||
		echo "$kind run $n failed: $(cat "$tmp/$kind-$n.json" "$tmp/$kind-$n.err" 2>/dev/null)" >&2
	python3 "$src/tests/lib/qmp.py" --timeout 5 "$tmp/$kind-$n.sock" quit >/dev/null 2>&1
	wait "$tpid" 2>/dev/null
}

for n in $(seq "$runs"); do
	one vireo-vmm "$n"
	one qemu-kvm "$n"
done
python3 - "$tmp" "$runs" <<'PY'
import json, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
MIB = 1 << 20
rows = {}
for kind in ("vireo-vmm", "qemu-kvm"):
    rs = []
    for n in range(1, runs + 1):
        try:
            r = json.load(open("%s/%s-%d.json" % (tmp, kind, n)))
        except (OSError, ValueError):
            continue
        if r.get("ok") and r.get("reclaim_s") is not None:
            rs.append(r)
    if not rs:
        print("%s: no successful run" % kind)
        sys.exit(1)
    med = lambda f: statistics.median(f(r) for r in rs)
    rows[kind] = {
        "reclaim_ms": med(lambda r: r["reclaim_s"] * 1000),
        "memfd_mib": med(lambda r: (r["before"]["memfd"] - r["after"]["memfd"]) / MIB),
        "rss_mib": med(lambda r: (r["before"]["rss"] - r["after"]["rss"]) / MIB),
        "deflate_ms": med(lambda r: (r["deflate_s"] or 0) * 1000),
        "runs": len(rs),
    }
v, q = rows["vireo-vmm"], rows["qemu-kvm"]
print("virtio-balloon: 512 MiB guest, all touched, target 128 MiB (384 MiB to reclaim); "
      "median of %d runs" % runs)
print("%-34s %12s %12s %10s" % ("", "vireo-vmm", "qemu-kvm", "vireo/qemu"))
for key, label in (("reclaim_ms", "reclaim 384 MiB (ms)"),
                   ("memfd_mib", "memfd returned (MiB)"),
                   ("rss_mib", "RSS returned (MiB)"),
                   ("deflate_ms", "deflate back to 512 MiB (ms)")):
    ratio = v[key] / q[key] if q[key] else float("nan")
    print("%-34s %12.1f %12.1f %10.2f" % (label, v[key], q[key], ratio))
PY
