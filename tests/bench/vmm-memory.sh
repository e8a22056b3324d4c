#!/bin/bash
# Worker memory overhead, vireo-vmm against QEMU/KVM: the worker's RSS minus the guest
# RAM it has touched, 1 vCPU / 128 MiB, the test guest idle after "vireo-testguest ready".
# From /proc/PID/smaps: guest RAM is vireo-vmm's memfd mapping "/memfd:vireo-guest-ram"
# and, for QEMU (run with a memfd backend so it is identifiable), "/memfd:memory-backend-memfd".
# Median of RUNS runs each (default 3).
#
#   tests/bench/vmm-memory.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/), QEMU (default
# qemu-system-x86_64). Needs a usable /dev/kvm. Targets: vireo <= 1/4 of QEMU, < 4 MiB.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
runs=${1:-3}
exec python3 - "$build/qemu-wrap/vireo-vmm" "$build/tests/guest/guest.elf" \
	"${QEMU:-qemu-system-x86_64}" "$runs" <<'PYEOF'
import os, select, signal, statistics, subprocess, sys, time

vmm, guest, qemu, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
common = ["-m", "128", "-smp", "1", "-nodefaults", "-display", "none", "-serial", "stdio",
          "-kernel", guest, "-append", "idle"]
bios = ["-bios", "/usr/share/qemu/qboot.rom"] if os.path.exists("/usr/share/qemu/qboot.rom") else []
vmms = [
    ("vireo-vmm", [vmm] + common, "/memfd:vireo-guest-ram"),
    ("qemu-kvm", [qemu, "-accel", "kvm", "-cpu", "qemu64", "-no-user-config"] + bios + common +
     ["-object", "memory-backend-memfd,id=ram,size=128M", "-machine", "memory-backend=ram"],
     "/memfd:memory-backend-memfd"),
]
SETTLE = 1.0

def smaps(pid, ram_name):
    """Returns KiB: total Rss, guest RAM Rss, overhead Private_Dirty (outside guest RAM)."""
    total = ram = priv = 0
    in_ram = False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                fields = line.split()
                name = " ".join(fields[5:])
                in_ram = name.startswith(ram_name)
            elif first == "Rss:":
                kb = int(line.split()[1])
                total += kb
                if in_ram:
                    ram += kb
            elif first == "Private_Dirty:" and not in_ram:
                priv += int(line.split()[1])
    return total, ram, priv

def one(argv, ram_name):
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    out = b""
    deadline = time.monotonic() + 30
    try:
        while b"vireo-testguest ready\n" not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no 'vireo-testguest ready' within 30 s")
            r, _, _ = select.select([p.stdout], [], [], left)
            if r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    raise RuntimeError("the worker ended: %s" % out[-300:])
                out += data
        time.sleep(SETTLE)
        return smaps(p.pid, ram_name)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()

res = {name: [] for name, _, _ in vmms}
for i in range(runs):
    for name, argv, ram_name in vmms:
        total, ram, priv = one(argv, ram_name)
        res[name].append((total - ram, total, ram, priv))

med = {}
for name in res:
    med[name] = sorted(res[name])[len(res[name]) // 2]      # the run with the median overhead

print("Worker memory, 1 vCPU / 128 MiB, test guest idle ('vireo-testguest ready' + %.0f s), "
      "median of %d runs (KiB)" % (SETTLE, runs))
print("qemu-kvm: %s -accel kvm -cpu qemu64 %s -object memory-backend-memfd,... -machine "
      "memory-backend=ram" % (qemu, " ".join(bios)))
print()
fmt = "%-34s %12s %12s %12s"
print(fmt % ("", "vireo-vmm", "qemu-kvm", "vireo/qemu"))
rows = [("RSS total", 1), ("guest RAM touched (memfd Rss)", 2), ("overhead RSS (total - guest RAM)", 0),
        ("overhead Private_Dirty", 3)]
for label, k in rows:
    v, q = med["vireo-vmm"][k], med["qemu-kvm"][k]
    print(fmt % (label, v, q, "%.3f" % (v / q) if q else "-"))
ov, oq = med["vireo-vmm"][0], med["qemu-kvm"][0]
print()
print("all runs, overhead RSS: vireo-vmm %s, qemu-kvm %s"
      % ([r[0] for r in res["vireo-vmm"]], [r[0] for r in res["qemu-kvm"]]))
print("target vireo <= 1/4 of QEMU: %s (1/%.1f); vireo < 4 MiB: %s (%.2f MiB)"
      % ("met" if ov * 4 <= oq else "NOT met", oq / ov if ov else float("inf"),
         "met" if ov < 4096 else "NOT met", ov / 1024))
PYEOF
