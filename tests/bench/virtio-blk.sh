#!/bin/bash
# virtio-blk throughput of vireo-vmm against QEMU/KVM, measured by the test guest itself
# ("blkbench" on its command line: polled virtio-blk, TSC-timed, ~1 s per test):
# 4 KiB random reads at queue depth 1 and 32 (IOPS), sequential 1 MiB reads and writes
# over the first 64 MiB (MB/s). Two 128 MiB raw images, one on tmpfs (/dev/shm) and one
# on disk (/var/tmp), each filled with random data. Both VMMs go through the
# host page cache: vireo-vmm's pread/pwrite on the file, QEMU's default cache=writeback.
# Median of RUNS runs each (default 3), the two VMMs alternating.
#
#   tests/bench/virtio-blk.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/), GUEST (default
# $VIREO_TEST_BUILDDIR/tests/guest/guest.elf), QEMU (default qemu-system-x86_64),
# DISKDIR (default /var/tmp: a disk file system, for the second image). Needs /dev/kvm.
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
	"$shm" "$disk" <<'PYEOF'
import os, re, statistics, subprocess, sys

vmm, guest, qemu, runs, shm, disk = sys.argv[1:7]
runs = int(runs)
bios = ["-bios", "/usr/share/qemu/qboot.rom"] if os.path.exists("/usr/share/qemu/qboot.rom") else []
common = ["-m", "256", "-nodefaults", "-display", "none", "-serial", "stdio",
          "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
          "-kernel", guest, "-append", "blkbench"]

def argv(name, img):
    drive = ["-drive", "file=%s,format=raw,if=none,id=d0" % img]
    if name == "vireo-vmm":
        return [vmm] + common + drive + ["-device", "virtio-blk-pci,drive=d0"]
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

names = ["vireo-vmm", "qemu-kvm"]
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
print("vireo-vmm: pread/pwrite through the page cache")
print()
fmt = "%-7s %-24s %-14s %-14s %s"
print(fmt % ("image", "test", "vireo-vmm", "qemu-kvm", "vireo/qemu"))
for iname, _ in images:
    for k in tests:
        v, q = res[("vireo-vmm", iname)].get(k), res[("qemu-kvm", iname)].get(k)
        mv = statistics.median(v) if v else None
        mq = statistics.median(q) if q else None
        cell = lambda m: "-" if m is None else "%d %s" % (m, unit(k))
        ratio = "%.2f" % (mv / mq) if mv and mq else "-"
        print(fmt % (iname, k, cell(mv), cell(mq), ratio))
for n in names:
    if bad[n]:
        print("%s: %d runs failed (left out)" % (n, bad[n]))
print()
print("Higher is better; vireo/qemu > 1 means vireo-vmm is faster. The guest polls its")
print("used ring (no interrupts), so this is the device emulation and exit path only.")
PYEOF
