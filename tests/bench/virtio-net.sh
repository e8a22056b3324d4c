#!/bin/bash
# virtio-net throughput of vireo-vmm against QEMU's userspace virtio-net (vhost=off), as
# the test guest measures it ("netbench": polled, TSC-timed, 1 s per phase; see
# tests/guest/net_bench.c): guest -> host and host -> guest frames/s with 64-byte frames
# (60 + FCS) and Gbit/s with 1500-byte IP packets (1514-byte frames), queues=1 and
# queues=2, on a tap in a network namespace the script creates (and deletes).
#   tx: the guest sends on every tx queue; what counts is what reached the tap (its
#       rx_packets counter) over the guest's time.
#   rx: tests/helpers/tap-blast sends into the tap (64 flows, so a multi-queue tap spreads
#       them, backing off on a full tap queue); the guest counts what it received.
#   TSO rows (Gbit/s; when both sides offer it: the guest negotiates HOST_TSO4 and
#   GUEST_TSO4): guest -> host, the guest sends 63766-byte TCP/IPv4 frames with a GSO
#       TCPV4 header (gso_size 1448), counted in bytes that reached the tap (rx_bytes);
#   host -> guest, tap-blast -t 1448 sends such frames behind a virtio_net_hdr
#       (PACKET_VNET_HDR), whole as far as the guest if the VMM set TSO4 on the tap; the
#       guest counts bytes and how many frames came as GSO ("gso frames" below).
# Both VMMs run -smp SMP (default 2) for every queue count, so "queues=2 / queues=1"
# compares like with like: with at least as many vCPUs as pairs, the guest drives pair p
# from vCPU p (queues=1: the second vCPU idles halted); with fewer, its BSP drives every
# pair (the guest's header line says how many vCPUs drove pairs; listed per VMM and
# queue count below the table). Median of RUNS runs each (default 3), the VMMs alternating.
# A second table: the worker's CPU time per frame (schedstat of the VMM's threads other
# than its vCPUs over the phase; rx: per frame the guest received), the cost of the
# device model and back-end, which varies less than throughput on a shared 2-CPU host.
#
#   tests/bench/virtio-net.sh [RUNS]
#
# Environment: VIREO_TEST_BUILDDIR (default: build/ next to tests/; needs `make` and
# `make test-helpers`), GUEST (default $VIREO_TEST_BUILDDIR/tests/guest/guest.elf), QEMU
# (default qemu-system-x86_64), QUEUES (default "1 2"), SMP (default 2: -smp for both
# VMMs), BASELINE=PATH (one more column: another vireo-vmm binary), NICE (default -10:
# the workers and tap-blast run at that niceness, so that other work on a shared build
# machine disturbs them less; empty: as they come). Needs root (ip netns, a tap),
# /dev/kvm, /dev/net/tun.
# Targets: vireo/qemu >= 1 on every row; queues=2 >= 1.6 x queues=1 for 64-byte frames
# with 2 vCPUs (SMP=2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
guest=${GUEST:-$build/tests/guest/guest.elf}
runs=${1:-3}
[ "$(id -u)" = 0 ] || { echo "virtio-net.sh: needs root (ip netns, tap)" >&2; exit 1; }
for f in "$build/qemu-wrap/vireo-vmm" "$guest" "$build/tests/helpers/tap-blast" /dev/net/tun; do
	[ -e "$f" ] || { echo "virtio-net.sh: $f is missing" >&2; exit 1; }
done
ns=vireo-nb-$$
ip netns add "$ns" || exit 1
trap 'ip netns del "$ns"' EXIT
trap 'exit 1' TERM INT HUP
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$ns" python3 - "$build/qemu-wrap/vireo-vmm" "$guest" "${QEMU:-qemu-system-x86_64}" \
	"$runs" "$build/tests/helpers/tap-blast" "${QUEUES:-1 2}" "${BASELINE:-}" "${NICE--10}" \
	"${SMP:-2}" \
	<<'PYEOF'
import os, re, signal, statistics, subprocess, sys, time

vmm, guest, qemu, runs, blast, queues, baseline, nice, smp = sys.argv[1:10]
runs = int(runs)
prio = ["nice", "-n", nice] if nice else []
queues = [int(q) for q in queues.split()]
MAC = "52:54:00:12:34:56"
TSO_MSS = 1448
SIZES = {"64": 60, "1500": 1514, "tso": 14 + 20 + 20 + 44 * TSO_MSS}
bios = ["-bios", "/usr/share/qemu/qboot.rom"] if os.path.exists("/usr/share/qemu/qboot.rom") else []
common = ["-m", "128", "-smp", smp, "-nodefaults", "-display", "none", "-serial", "stdio",
          "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", guest,
          "-append", "netbench"]

def argv(name, q):
    netdev = "tap,id=n0,ifname=vt0,script=no,downscript=no,vhost=off,queues=%d" % q
    dev = "virtio-net-pci,netdev=n0,mac=%s" % MAC
    if q > 1:
        dev += ",mq=on,vectors=%d" % (2 * q + 2)
    if name.startswith("vireo"):
        binary = baseline if name == "vireo-baseline" else vmm
        return [binary] + common + ["-netdev", netdev, "-device", dev]
    return ([qemu, "-accel", "kvm", "-cpu", "qemu64", "-no-user-config"] + bios + common +
            ["-netdev", netdev, "-device", dev + ",disable-legacy=on"])

def sh(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def fresh_tap(q):
    subprocess.run(["ip", "link", "del", "vt0"], stderr=subprocess.DEVNULL)
    sh(*(["ip", "tuntap", "add", "dev", "vt0", "mode", "tap"] + (["multi_queue"] if q > 1 else [])))
    sh("ip", "link", "set", "vt0", "up")

def counter(name):
    with open("/sys/class/net/vt0/statistics/" + name) as f:
        return int(f.read())

def vmm_pid(p):
    """The VMM: the child of `timeout` (nice execs it, so it has p's pid)."""
    try:
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None

def io_ns(pid):
    """CPU time (ns, schedstat) of the VMM's threads but its vCPUs ("CPU N/KVM" in both
    VMMs): what the device model and back-end cost, apart from the guest that polls."""
    total = 0
    if pid is None:
        return None
    for t in os.listdir("/proc/%d/task" % pid) if os.path.isdir("/proc/%d" % pid) else []:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                if re.match(r"CPU \d+/KVM", f.read()):
                    continue
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total

def one(name, q):
    """Runs the guest once; returns {row: value} (frames/s or Gbit/s; ROW-cpu: the
    worker's CPU microseconds per frame) or None."""
    fresh_tap(q)
    a = argv(name, q)
    p = subprocess.Popen(prio + ["timeout", "-k", "5", "90"] + a, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace")
    res, lines, before, blaster = {}, [], {}, None
    pid, cpu0 = None, {}
    for line in p.stdout:
        lines.append(line.rstrip("\n"))
        m = re.match(r"# netbench: .* (\d+) vCPUs? \(of (\d+)\)", line)
        if m:
            res["vcpus"] = "%s/%s" % m.groups()
        m = re.match(r"# netbench (tx|rx)(64|1500|tso) (begin|ready|end|frames=(\d+).*us=(\d+))",
                     line)
        if not m:
            continue
        d, size, what = m.group(1), m.group(2), m.group(3)
        key = "%s%s" % (d, size)
        if pid is None:
            pid = vmm_pid(p)
        if what in ("begin", "ready"):
            cpu0[key] = io_ns(pid)
        if what == "begin":
            before[key] = counter("rx_bytes" if size == "tso" else "rx_packets")
            before[key + "-pkts"] = counter("rx_packets")
        elif what == "ready":
            opt = ["-t", str(TSO_MSS)] if size == "tso" else []
            blaster = subprocess.Popen(prio + [blast] + opt + ["vt0", MAC, str(SIZES[size]), "30"],
                                       stdout=subprocess.PIPE, text=True)
        elif what == "end" and d == "tx":
            time.sleep(0.1)     # within the guest's 300 ms pause: frames still on their way
            us = res.pop(key + "-us")
            ns, pkts = io_ns(pid), counter("rx_packets") - before[key + "-pkts"]
            if ns is not None and cpu0.get(key) is not None and pkts > 0:
                res[key + "-cpu"] = (ns - cpu0[key]) / 1e3 / pkts
            if size == "tso":
                res[key] = (counter("rx_bytes") - before[key]) * 8e-3 / us
                continue
            frames = counter("rx_packets") - before[key]
            res[key] = frames * 1e6 / us if size == "64" else frames * SIZES[size] * 8e-3 / us
        elif what == "end" and blaster:
            ns = io_ns(pid)
            if ns is not None and cpu0.get(key) is not None and res.get(key + "-frames"):
                res[key + "-cpu"] = (ns - cpu0[key]) / 1e3 / res[key + "-frames"]
            blaster.send_signal(signal.SIGTERM)
            out = blaster.communicate(timeout=10)[0]
            lines.append("host: " + out.strip())
            blaster = None
        elif d == "tx":
            res[key + "-us"] = int(m.group(5))
        else:
            frames, us = int(m.group(4)), int(m.group(5))
            res[key + "-frames"] = frames
            nbytes = int(re.search(r"bytes=(\d+)", line).group(1))
            res[key] = frames * 1e6 / us if size == "64" else nbytes * 8e-3 / us
            gso = re.search(r"gso=(\d+)", line)
            if gso:
                res[key + "-gso"] = "%s of %d" % (gso.group(1), frames)
            per = re.search(r"per-queue (.*)", line)
            res[key + "-per"] = per.group(1).strip() if per else ""
    p.wait()
    if blaster:
        blaster.kill()
        blaster.wait()
    if p.returncode != 1 or "# netbench: done" not in lines:
        sys.stderr.write("%s queues=%d: run failed (exit %d):\n%s\n" % (
            name, q, p.returncode, "\n".join(l for l in lines[-8:])))
        return None
    return res

names = ["vireo-vmm"] + (["vireo-baseline"] if baseline else []) + ["qemu"]
rows = ["tx64", "tx1500", "rx64", "rx1500", "txtso", "rxtso"]
res = {(n, q): {} for n in names for q in queues}
per = {}
bad = {n: 0 for n in names}
for r in range(runs):
    for q in queues:
        for n in names:
            got = one(n, q)
            if got is None:
                bad[n] += 1
                continue
            for k in rows + [r + "-cpu" for r in rows]:
                if k in got:
                    res[(n, q)].setdefault(k, []).append(got[k])
            for k in ("rx64-per", "rx1500-per", "rxtso-per", "rxtso-gso", "vcpus"):
                per.setdefault((n, q, k), []).append(got.get(k, ""))

med = lambda n, q, k: statistics.median(res[(n, q)][k]) if res[(n, q)].get(k) else None
def cell(v, k):
    if v is None:
        return "-"
    return "%.0f kfps" % (v / 1000) if k.endswith("64") else "%.2f Gbit/s" % v
label = {"tx64": "guest->host 64 B", "tx1500": "guest->host 1500 B",
         "rx64": "host->guest 64 B", "rx1500": "host->guest 1500 B",
         "txtso": "guest->host TSO", "rxtso": "host->guest TSO"}
print("virtio-net, test guest 'netbench' (polled; vCPU p drives pair p when -smp >= queues, "
      "else one vCPU every pair; -m 128, -smp %s), tap in a network namespace, median of %d "
      "runs" % (smp, runs))
print("qemu: %s -accel kvm -cpu qemu64 %s, -netdev tap,vhost=off, virtio-net-pci "
      "disable-legacy=on; %s; %d host CPUs" % (qemu, " ".join(bios),
                                              "niceness %s" % nice if nice else "default niceness",
                                              os.cpu_count()))
print()
vireos = [n for n in names if n != "qemu"]
short = {"vireo-vmm": "vireo", "vireo-baseline": "baseline"}
print("%-7s %-20s" % ("queues", "test") + "".join("%-16s" % n for n in names) +
      "".join("%-14s" % (short[n] + "/qemu") for n in vireos))
for q in queues:
    for k in rows:
        mq = med("qemu", q, k)
        line = "%-7d %-20s" % (q, label[k])
        line += "".join("%-16s" % cell(med(n, q, k), k) for n in names)
        for n in vireos:
            mv = med(n, q, k)
            line += "%-14s" % ("%.2f" % (mv / mq) if mv and mq else "-")
        print(line)
if len(queues) > 1 and 1 in queues:
    print()
    for q in queues:
        if q == 1:
            continue
        for n in names:
            r = []
            for k in rows:
                a, b = med(n, 1, k), med(n, q, k)
                r.append("%s %s" % (k, "%.2f" % (b / a) if a and b else "-"))
            print("queues=%d / queues=1, %-15s %s" % (q, n + ":", ", ".join(r)))
print()
print("worker CPU per frame (us; the VMM's threads but its vCPUs, from the phase's start "
      "to its end; rx: per frame the guest counted), median; lower is better")
print("%-7s %-20s" % ("queues", "test") + "".join("%-16s" % n for n in names) +
      "".join("%-14s" % (short[n] + "/qemu") for n in vireos))
for q in queues:
    for k in rows:
        mq = med("qemu", q, k + "-cpu")
        line = "%-7d %-20s" % (q, label[k])
        line += "".join("%-16s" % ("%.2f" % med(n, q, k + "-cpu") if med(n, q, k + "-cpu")
                                   else "-") for n in names)
        for n in vireos:
            mv = med(n, q, k + "-cpu")
            line += "%-14s" % ("%.2f" % (mv / mq) if mv and mq else "-")
        print(line)
print()
for (n, q, k), v in sorted(per.items()):
    if k == "vcpus":
        print("vCPUs driving pairs (of the VM's), %s queues=%d: %s" % (n, q, " | ".join(v)))
    elif k.endswith("-gso"):
        print("rxtso gso frames of all, %s queues=%d: %s" % (n, q, " | ".join(v)))
    elif q > 1:
        print("rx frames per queue, %s queues=%d %s: %s" % (n, q, k[:-4], " | ".join(v)))
print("every run (kfps or Gbit/s), to judge the noise:")
for q in queues:
    for k in rows:
        vals = ["%s %s" % (n, " ".join(("%.0f" % (v / 1000)) if k.endswith("64") else "%.2f" % v
                                       for v in res[(n, q)].get(k, []))) for n in names]
        print("  queues=%d %-7s %s" % (q, k, " | ".join(vals)))
for n in names:
    if bad[n]:
        print("%s: %d runs failed (left out)" % (n, bad[n]))
print()
print("Higher is better; X/qemu > 1 means vireo-vmm is faster. tx counts what reached the")
print("tap, rx what the guest received; the guest polls (no interrupts), so this is the")
print("device, its back-end and the tap. The host CPUs are shared by the polling vCPUs")
print("(always busy), the worker's I/O and, for rx, tap-blast: throughput swings with how")
print("they are scheduled; the worker's CPU per frame is the steadier measure of the cost.")
PYEOF
