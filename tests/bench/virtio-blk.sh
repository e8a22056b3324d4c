#!/bin/bash
# virtio-blk throughput of vireo-vmm against QEMU/KVM, measured by the test guest itself
# ("blkbench" on its command line: polled virtio-blk, TSC-timed, ~1 s per test):
# 4 KiB random reads at queue depth 1 and 32 (IOPS), sequential 1 MiB reads and writes
# over the first 64 MiB (MB/s). Two 128 MiB raw images, one on tmpfs (/dev/shm) and one
# on disk (/var/tmp), each filled with random data. Both VMMs go through the
# host page cache: vireo-vmm's pread/pwrite on the file, QEMU's default cache=writeback.
# Median of RUNS runs each (default 3), the VMMs alternating.
#
#   tests/bench/virtio-blk.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/), GUEST (default
# $VIREO_TEST_BUILDDIR/tests/guest/guest.elf), QEMU (default qemu-system-x86_64),
# DISKDIR (default /var/tmp: a disk file system, for the second image),
# AIO="io_uring threads" (one vireo-vmm column per back-end of its queue workers,
# -drive aio=; default: one column, the build's default), BASELINE=PATH (one more
# column: another vireo-vmm binary, e.g. an older build). Needs /dev/kvm.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
guest=${GUEST:-$build/tests/guest/guest.elf}
runs=${1:-3}
diskdir=${DISKDIR:-/var/tmp}
shm=$(mktemp /dev/shm/vireo-blkbench.XXXXXX) || exit 1
disk=$(mktemp "$diskdir/vireo-blkbench.XXXXXX") || { rm -f "$shm"; exit 1; }
trap 'rm -f "$shm" "$disk"' EXIT
for img in "$shm" "$disk"; do
	head -c 128M /dev/urandom >"$img" || exit 1
done
python3 - "$build/qemu-wrap/vireo-vmm" "$guest" "${QEMU:-qemu-system-x86_64}" "$runs" \
	"$shm" "$disk" "${AIO:-}" "${BASELINE:-}" <<'PYEOF'
import os, re, statistics, subprocess, sys

vmm, guest, qemu, runs, shm, disk, aio, baseline = sys.argv[1:9]
runs = int(runs)
bios = ["-bios", "/usr/share/qemu/qboot.rom"] if os.path.exists("/usr/share/qemu/qboot.rom") else []
common = ["-m", "256", "-nodefaults", "-display", "none", "-serial", "stdio",
          "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
          "-kernel", guest, "-append", "blkbench"]

def argv(name, img):
    drive = ["-drive", "file=%s,format=raw,if=none,id=d0" % img]
    if name.startswith("vireo"):
        binary = baseline if name == "vireo-baseline" else vmm
        if name.startswith("vireo aio="):
            drive[1] += ",aio=" + name[len("vireo aio="):]
        return [binary] + common + drive + ["-device", "virtio-blk-pci,drive=d0"]
    return ([qemu, "-accel", "kvm", "-cpu", "qemu64", "-no-user-config"] + bios + common +
            drive + ["-device", "virtio-blk-pci,drive=d0,disable-legacy=on"])

def one(a):
    """Returns {test: value} from the guest's '# blkbench NAME iops=N|mbps=N' lines."""
    p = subprocess.run(a, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode(errors="replace")
    res = {m.group(1): int(m.group(3))
           for m in re.finditer(r"^# blkbench (\S+) (iops|mbps)=(\d+)$", out, re.M)}
    if p.returncode != 1 or "# blkbench: done" not in out:
        sys.stderr.write("run failed (exit %d): %s\n%s\n" % (p.returncode, " ".join(a),
                         "\n".join(l for l in out.splitlines() if "blkbench" in l)))
        return None
    return res

vireos = ["vireo aio=" + a for a in aio.split()] or ["vireo-vmm"]
if baseline:
    vireos.append("vireo-baseline")
names = vireos + ["qemu-kvm"]
images = [("tmpfs", shm), ("disk", disk)]
res = {(n, i): {} for n in names for i, _ in images}
bad = {n: 0 for n in names}
for iname, img in images:
    for n in names:                 # one warm-up run each (page cache)
        one(argv(n, img))
    for r in range(runs):
        for n in names:
            got = one(argv(n, img))
            if got is None:
                bad[n] += 1
                continue
            for k, v in got.items():
                res[(n, iname)].setdefault(k, []).append(v)

order = ["qd1-randread-4k", "qd32-randread-4k", "seq-read-1m", "seq-write-1m"]
tests = sorted({k for d in res.values() for k in d},
               key=lambda k: (order.index(k) if k in order else 99, k))
unit = lambda k: "MB/s" if k.startswith("seq") else "IOPS"
print("virtio-blk, test guest 'blkbench' (polled, 1 vCPU, -m 256), 128 MiB raw image, "
      "median of %d runs" % runs)
print("qemu-kvm: %s -accel kvm -cpu qemu64 %s, virtio-blk-pci disable-legacy=on, cache=writeback"
      % (qemu, " ".join(bios)))
print("vireo-vmm: one worker thread per queue, through the page cache%s"
      % (" (baseline: %s)" % baseline if baseline else ""))
print()
med = lambda n, i, k: (statistics.median(res[(n, i)][k]) if res[(n, i)].get(k) else None)
cell = lambda m, k: "-" if m is None else "%d %s" % (m, unit(k))
short = lambda n: n.replace("vireo aio=", "").replace("vireo-", "")
print("%-6s %-17s" % ("image", "test") + "".join("%-20s" % n for n in names) +
      "".join("%-14s" % (short(n) + "/qemu") for n in vireos))
for iname, _ in images:
    for k in tests:
        mq = med("qemu-kvm", iname, k)
        row = "%-6s %-17s" % (iname, k) + "".join("%-20s" % cell(med(n, iname, k), k)
                                                  for n in names)
        for n in vireos:
            mv = med(n, iname, k)
            row += "%-14s" % ("%.2f" % (mv / mq) if mv and mq else "-")
        print(row)
for n in names:
    if bad[n]:
        print("%s: %d runs failed (left out)" % (n, bad[n]))
print()
print("Higher is better; X/qemu > 1 means that vireo-vmm is faster. The guest polls its")
print("used ring (no interrupts), so this is the device emulation and exit path only.")
PYEOF
