#!/bin/bash
# vireod against libvirtd (its QEMU driver), same host, same run:
#   * RPC round trip of `list` and `dominfo` (one call each, over one connection; the
#     libvirt side through its C library from Python (the binding is a thin wrapper),
#     the vireo side through lib/rpc's C client (tests/helpers/rpc-bench); both also
#     from Python for reference — our Python client encodes JSON in the interpreter),
#   * `define` throughput (distinct domains, one connection),
#   * a whole CLI call: `vireo list --all` against `virsh list --all` (exec to exit),
#   * start → guest banner: the test guest in `idle` mode prints "vireo-testguest ready"
#     on its serial (a file); vireo starts vireo-vmm, libvirt starts QEMU (-accel kvm,
#     qboot as firmware: the fastest QEMU boot here, so the comparison favours libvirt).
# Targets (issue 9): round trip at most 1/5 of libvirt's; start-to-banner at most 1/3.
#
#   tests/bench/daemon.sh [RUNS]        RUNS: start-to-banner runs each (default 5)
#
# libvirtd runs in a private mount namespace with tmpfs over its state directories and
# a passwd/group copy that has the libvirt-qemu user, so the host's libvirt (if any) is
# not touched. Needs root, /dev/kvm, libvirt-daemon + libvirt-daemon-driver-qemu,
# python3-libvirt (Debian's /usr/bin/python3), qemu-system-x86, a built tree
# (VIREO_TEST_BUILDDIR, default build/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VIREO_TEST_BUILDDIR:-$src/build}
runs=${1:-5}
missing=
[ "$(id -u)" = 0 ] || missing="root"
[ -x /usr/sbin/libvirtd ] || missing="$missing libvirtd (apt-get install libvirt-daemon libvirt-daemon-driver-qemu)"
/usr/bin/python3 -c 'import libvirt' 2>/dev/null || missing="$missing python3-libvirt"
for f in daemon/vireod client/vireo qemu-wrap/vireo-vmm tests/guest/guest.elf tests/helpers/rpc-bench; do
	[ -x "$build/$f" ] || [ -f "$build/$f" ] || missing="$missing $build/$f"
done
if [ -n "$missing" ]; then
	echo "daemon.sh: cannot run, missing:$missing" >&2
	exit 2
fi

# Everything (both daemons, their workers, the clients) on one CPU (BENCH_CPU, default
# 0; "all" for no pinning): on this PVM host a wake-up across CPUs costs 50-100 us
# when the other CPU idles (the bare round trip below goes from ~12 us to ~60 us), which
# would measure the hypervisor's IPIs rather than either daemon.
if [ "${VIREO_BENCH_INNER:-}" != 1 ]; then
	pin=(taskset -c "${BENCH_CPU:-0}")
	[ "${BENCH_CPU:-0}" = all ] && pin=()
	exec env VIREO_BENCH_INNER=1 "${pin[@]}" unshare -m --propagation private "$0" "$@"
fi

# ---- inside the private mount namespace ----
tmp=$(mktemp -d /tmp/vireo-bench-daemon.XXXXXX)
lv_pid= vd_pid=
cleanup() {
	[ -n "$vd_pid" ] && kill "$vd_pid" 2>/dev/null
	[ -n "$lv_pid" ] && kill "$lv_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cp /etc/passwd "$tmp/passwd"; cp /etc/group "$tmp/group"
grep -q '^libvirt-qemu:' "$tmp/passwd" ||
	echo 'libvirt-qemu:x:64055:64055:libvirt:/var/lib/libvirt:/usr/sbin/nologin' >>"$tmp/passwd"
grep -q '^libvirt-qemu:' "$tmp/group" || echo 'libvirt-qemu:x:64055:' >>"$tmp/group"
grep -q '^libvirt:' "$tmp/group" || echo 'libvirt:x:64056:' >>"$tmp/group"
mount --bind "$tmp/passwd" /etc/passwd && mount --bind "$tmp/group" /etc/group || exit 1
for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
	mkdir -p "$d" && mount -t tmpfs tmpfs "$d" || exit 1
done
mkdir -p /etc/libvirt/qemu /var/lib/libvirt/qemu
printf '%s\n' 'unix_sock_rw_perms = "0700"' 'auth_unix_rw = "none"' 'auth_unix_ro = "none"' \
	'log_outputs = "3:stderr"' >/etc/libvirt/libvirtd.conf
printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' \
	'security_driver = "none"' 'stdio_handler = "file"' >/etc/libvirt/qemu.conf
/usr/sbin/libvirtd --pid-file "$tmp/libvirtd.pid" >"$tmp/libvirtd.log" 2>&1 &
lv_pid=$!
mkdir -p "$tmp/root"
VIREO_SCHEMA_DIR=${VIREO_SCHEMA_DIR:-$src/schemas} "$build/daemon/vireod" --root "$tmp/root" >"$tmp/vireod.log" 2>&1 &
vd_pid=$!
for _ in $(seq 1 300); do
	[ -S /run/libvirt/libvirt-sock ] && [ -S "$tmp/root/run/vireo/vireod.sock" ] && break
	sleep 0.1
done
if ! [ -S /run/libvirt/libvirt-sock ] || ! [ -S "$tmp/root/run/vireo/vireod.sock" ]; then
	echo "daemon.sh: a daemon did not come up within 30 s" >&2
	tail -n 5 "$tmp/libvirtd.log" "$tmp/vireod.log" >&2; ls -la /run/libvirt "$tmp/root/run/vireo" >&2
	exit 1
fi
# libvirt probes QEMU's capabilities on first use (seconds): not part of any measure.
timeout 60 virsh -c qemu:///system version >/dev/null 2>&1

exec /usr/bin/python3 - "$build" "$tmp" "$runs" <<'PYEOF'
import json, os, socket, statistics, struct, subprocess, sys, time
import libvirt

build, tmp, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
root = os.path.join(tmp, "root")
guest = os.path.join(build, "tests/guest/guest.elf")
vmm = os.path.join(build, "qemu-wrap/vireo-vmm")
qemu = "/usr/bin/qemu-system-x86_64"
qboot = "/usr/share/qemu/qboot.rom"
BANNER = b"vireo-testguest ready"

class Vireo:
    """Raw frames (docs/rpc.md): 4-byte big-endian length + one JSON object."""
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.next_id = 0
        self.call("hello", {"version": 1, "client": "bench"})
    def _recv(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise EOFError("vireod closed the connection")
            b += c
        return b
    def call(self, method, params=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        data = json.dumps(msg).encode()
        self.s.sendall(struct.pack(">I", len(data)) + data)
        while True:
            (n,) = struct.unpack(">I", self._recv(4))
            reply = json.loads(self._recv(n))
            if reply.get("id") != self.next_id:
                continue            # an event or a stream frame
            if "error" in reply:
                raise RuntimeError("%s: %s" % (method, reply["error"]))
            return reply.get("result")

def domain_xml(name, serial, for_libvirt):
    emulator = qemu if for_libvirt else vmm
    loader = ("<loader type='rom'>%s</loader>" % qboot) if for_libvirt and os.path.exists(qboot) else ""
    return """<domain type='kvm'>
  <name>%s</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>%s<kernel>%s</kernel><cmdline>idle</cmdline></os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact' check='none'><model fallback='allow'>qemu64</model></cpu>
  <devices>
    <emulator>%s</emulator>
    <serial type='file'><source path='%s'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>""" % (name, loader, guest, emulator, serial)

lv = libvirt.open("qemu:///system")
vd = Vireo(os.path.join(root, "run/vireo/vireod.sock"))

def med(xs):
    return statistics.median(xs)

def per_call(fn, n):
    """Median of 5 batches of n calls, seconds per call."""
    fn()
    batches = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        batches.append((time.perf_counter() - t0) / n)
    return med(batches)

# Three defined domains, so list and dominfo have something to say.
for i in range(3):
    lv.defineXML(domain_xml("bench%d" % i, os.path.join(tmp, "lv%d.log" % i), True))
    vd.call("domain.define", {"xml": domain_xml("bench%d" % i, os.path.join(tmp, "vd%d.log" % i), False)})
lv_dom = lv.lookupByName("bench0")

rows = []
N = 500

def c_per_call(method, params):
    out = subprocess.run([os.path.join(build, "tests/helpers/rpc-bench"),
                          os.path.join(root, "run/vireo/vireod.sock"), str(N), method,
                          json.dumps(params)], capture_output=True, text=True, check=True).stdout
    return float(out.split("=")[1]) / 1e6

lv_list = per_call(lambda: lv.listAllDomains(0), N)
lv_info = per_call(lambda: lv_dom.info(), N)
rows.append(("RPC round trip: list (all)", c_per_call("domain.list", {"all": True}), lv_list,
             "us", 1e6, 1 / 5))
rows.append(("RPC round trip: dominfo", c_per_call("domain.info", {"domain": "bench0"}), lv_info,
             "us", 1e6, 1 / 5))
floor = float(subprocess.run([os.path.join(build, "tests/helpers/rpc-bench"), "--floor", str(N)],
                             capture_output=True, text=True, check=True).stdout.split("=")[1]) / 1e6
rows.append(("  floor: bare unix-socket round trip", floor, floor, "us", 1e6, None))
rows.append(("  list, both from Python", per_call(lambda: vd.call("domain.list", {"all": True}), N),
             lv_list, "us", 1e6, None))
rows.append(("  dominfo, both from Python",
             per_call(lambda: vd.call("domain.info", {"domain": "bench0"}), N), lv_info,
             "us", 1e6, None))

def define_rate(define, undefine, prefix, for_libvirt):
    n = 100
    names = ["%s%03d" % (prefix, i) for i in range(n)]
    xmls = [domain_xml(x, os.path.join(tmp, x + ".log"), for_libvirt) for x in names]
    t0 = time.perf_counter()
    for x in xmls:
        define(x)
    dt = time.perf_counter() - t0
    for x in names:
        undefine(x)
    return n / dt

vd_rate = define_rate(lambda x: vd.call("domain.define", {"xml": x}),
                      lambda n: vd.call("domain.undefine", {"domain": n}), "vdef", False)
lv_rate = define_rate(lv.defineXML, lambda n: lv.lookupByName(n).undefine(), "ldef", True)
rows.append(("define throughput", vd_rate, lv_rate, "/s", 1, None))

def cli_time(argv):
    ts = []
    for _ in range(11):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ts.append(time.perf_counter() - t0)
    return med(ts)

rows.append(("CLI: list --all (exec to exit)",
             cli_time([os.path.join(build, "client/vireo"), "--root", root, "list", "--all"]),
             cli_time(["virsh", "-c", "qemu:///system", "list", "--all"]), "ms", 1e3, None))

def start_to_banner(start, stop, log):
    ts = []
    for _ in range(runs):
        if os.path.exists(log):
            os.unlink(log)
        t0 = time.perf_counter()
        start()
        deadline = t0 + 30
        seen = False
        while time.perf_counter() < deadline:
            try:
                with open(log, "rb") as f:
                    if BANNER in f.read():
                        seen = True
                        break
            except FileNotFoundError:
                pass
            time.sleep(0.001)
        if seen:
            ts.append(time.perf_counter() - t0)
        stop()
        time.sleep(0.2)
    return med(ts) if ts else float("nan")

lv_b = start_to_banner(lambda: lv_dom.create(), lambda: lv_dom.destroy(), os.path.join(tmp, "lv0.log"))
vd_b = start_to_banner(lambda: vd.call("domain.start", {"domain": "bench0"}),
                       lambda: vd.call("domain.destroy", {"domain": "bench0"}),
                       os.path.join(tmp, "vd0.log"))
rows.append(("start -> guest banner", vd_b, lv_b, "ms", 1e3, 1 / 3))

print("vireod vs libvirtd 9.0 (QEMU driver), same host, same run")
print("%-32s %12s %12s %10s  %s" % ("", "vireo", "libvirt", "ratio", "target"))
for name, v, l, unit, scale, target in rows:
    if unit == "/s":
        ratio = l / v if v else float("nan")      # time per define, vireo/libvirt
        cells = ("%.0f/s" % v, "%.0f/s" % l)
    else:
        ratio = v / l if l else float("nan")
        cells = ("%.1f %s" % (v * scale, unit), "%.1f %s" % (l * scale, unit))
    verdict = "" if target is None else ("met" if ratio <= target else "NOT met") + " (<= 1/%d)" % round(1 / target)
    print("%-32s %12s %12s %10.3f  %s" % (name, cells[0], cells[1], ratio, verdict))
print("ratio = vireo time / libvirt time (for define: time per definition)")
print("floor = 64 bytes there and back between two processes over a socket pair, no work:")
print("what any RPC pays on this host; the same number in both columns")
for i in range(3):
    lv.lookupByName("bench%d" % i).undefine()
PYEOF
