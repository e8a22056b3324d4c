#!/bin/bash
# Start latency of vireo-vmm against QEMU/KVM for the test guest (-m 128, 1 vCPU):
# exec -> first byte on the guest serial, and exec -> the guest's isa-debug-exit (the
# worker's exit) in the guest's "boot" mode (it exits as soon as it runs at CPL3). The
# "test" mode (self-tests, ~200 ms of fixed PIT waits inside the guest) is measured too,
# for information. Median of RUNS runs each (default 11), the two VMMs alternating.
#
#   tests/bench/vmm-start.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/), QEMU (default
# qemu-system-x86_64). Needs a usable /dev/kvm. Target: vireo/qemu <= 1/3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
runs=${1:-11}
exec python3 - "$build/qemu-wrap/vireo-vmm" "$build/tests/guest/guest.elf" \
	"${QEMU:-qemu-system-x86_64}" "$runs" <<'PYEOF'
import os, re, select, statistics, subprocess, sys, time

vmm, guest, qemu, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
common = ["-m", "128", "-nodefaults", "-display", "none", "-serial", "stdio",
          "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", guest, "-append"]
bios = ["-bios", "/usr/share/qemu/qboot.rom"] if os.path.exists("/usr/share/qemu/qboot.rom") else []
vmms = [
    ("vireo-vmm", [vmm] + common),
    ("qemu-kvm", [qemu, "-accel", "kvm", "-cpu", "qemu64", "-no-user-config"] + bios + common),
]
MODES = ("boot", "test")

def one(argv):
    """Returns (first serial byte, exit) in seconds after exec, the exit status and the
    guest's own time for its self-tests (its "tests took N ms" line, TSC-measured)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    first = None
    out = b""
    fd = p.stdout.fileno()
    deadline = t0 + 60
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        data = os.read(fd, 65536)
        if not data:
            break
        if first is None:
            first = time.monotonic() - t0
        out += data
    status = p.wait()
    end = time.monotonic() - t0
    p.stdout.close()
    m = re.search(rb"tests took (\d+) ms", out)
    return first, end, status, (int(m.group(1)) / 1e3 if m else None)

results = {name: {"first": [], "exit": [], "texit": [], "guest": [], "rest": [], "bad": 0}
           for name, _ in vmms}
for name, argv in vmms:          # one warm-up run each (page cache, KVM modules)
    one(argv + ["boot"])
for i in range(runs):
    for name, argv in vmms:
        first, end, status, _ = one(argv + ["boot"])
        if status != 1 or first is None:
            results[name]["bad"] += 1
            continue
        results[name]["first"].append(first)
        results[name]["exit"].append(end)
        _, end, status, guest_time = one(argv + ["test"])
        if status != 1 or guest_time is None:
            results[name]["bad"] += 1
            continue
        results[name]["texit"].append(end)
        results[name]["guest"].append(guest_time)
        results[name]["rest"].append(end - guest_time)

def cell(xs):
    if not xs:
        return "-"
    return "%.1f ms (%.1f-%.1f)" % (statistics.median(xs) * 1e3, min(xs) * 1e3, max(xs) * 1e3)

print("Start latency, test guest (-m 128, 1 vCPU), %d runs each, median (min-max)" % runs)
print("qemu-kvm: %s -accel kvm -cpu qemu64 %s" % (qemu, " ".join(bios)))
print()
fmt = "%-30s %-26s %-26s %s"
print(fmt % ("", "vireo-vmm", "qemu-kvm", "vireo/qemu"))
ratios = []
for key, label in [("first", "exec -> first serial byte"), ("exit", "exec -> debug-exit ('boot')"),
                   ("texit", "exec -> debug-exit ('test')"),
                   ("guest", "  of which guest self-tests"), ("rest", "  'test' minus self-tests")]:
    v, q = results["vireo-vmm"][key], results["qemu-kvm"][key]
    ratio = statistics.median(v) / statistics.median(q) if v and q else None
    if key in ("first", "exit"):
        ratios.append(ratio)
    print(fmt % (label, cell(v), cell(q), "-" if ratio is None else "%.3f (1/%.1f)" % (ratio, 1 / ratio)))
for name in results:
    if results[name]["bad"]:
        print("%s: %d runs did not end with status 1 and serial output (left out)"
              % (name, results[name]["bad"]))
ok = all(r is not None and r <= 1 / 3 for r in ratios)
print()
print("'boot': the guest exits through isa-debug-exit as soon as it runs at CPL3. 'test': it runs")
print("its self-tests first; their time is the guest's own (TSC, its 'tests took N ms' line),")
print("mostly fixed waits on the PIT, the same work under both VMMs (information only).")
print("target vireo/qemu <= 1/3 (first byte and debug-exit): %s" % ("met" if ok else "NOT met"))
PYEOF
