#!/usr/bin/env python3
"""Drive a worker's virtio-balloon over QMP and measure what the host gets back.

Used by tests/integration/balloon.test.sh and tests/bench/balloon.sh, under vireo-vmm
and QEMU alike. The worker (already started) runs the test guest with
"-append 'idle touch-ram'", a virtio-balloon-pci with id=balloon0, its serial in a file
and QMP on a unix socket.

    balloon.py reclaim --pid PID --sock SOCK --serial FILE --ram-mib 512 \
        --target-mib 128 [--stats-secs 5] [--probes] --out RESULT.json

waits for "vireo-testguest ready", measures the guest-RAM memfd's allocated bytes and
the worker's RSS, sets guest-stats-polling-interval to 1, sets the balloon target and
polls query-balloon every 10 ms until it reports the target (the reclaim time), measures
again, watches BALLOON_CHANGE (arrival times), samples guest-stats --stats-secs apart,
sets the target back to the RAM size (the deflate time) and, with --probes, sends the
QMP requests whose answers must equal QEMU's. The result is one JSON object.

    balloon.py memory --pid PID       prints {"memfd": bytes, "rss": bytes}
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import Qmp  # noqa: E402

MIB = 1 << 20
PATH = "/machine/peripheral/balloon0"


def memfd_bytes(pid):
    """Allocated bytes of the largest memfd the process has open (its guest RAM)."""
    size, blocks = -1, 0
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            if not os.readlink(os.path.join(fd_dir, fd)).startswith("/memfd:"):
                continue
            st = os.stat(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if st.st_size > size:
            size, blocks = st.st_size, st.st_blocks
    return blocks * 512


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory(pid):
    return {"memfd": memfd_bytes(pid), "rss": rss_bytes(pid)}


class TimedQmp(Qmp):
    """Qmp that also records when each event was read (time.monotonic())."""

    def __init__(self, *a, **kw):
        self.arrivals = []
        super().__init__(*a, **kw)

    def _dispatch(self, msg):
        if isinstance(msg, dict) and "event" in msg:
            self.arrivals.append((time.monotonic(), msg))
        return super()._dispatch(msg)


def wait_ready(serial, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(serial, errors="replace") as f:
                if "vireo-testguest ready" in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def answer(reply):
    """A reply as ["return", value] or ["error", class, desc]."""
    if "return" in reply:
        return ["return", reply["return"]]
    e = reply.get("error", {})
    return ["error", e.get("class"), e.get("desc")]


def actual(q):
    r = q.command("query-balloon")
    return r.get("return", {}).get("actual")


def wait_actual(q, want, limit):
    """Poll query-balloon every 10 ms; returns seconds until it said want, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if actual(q) == want:
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def idle(q, secs):
    """Keep reading (so events get their arrival times) for secs seconds."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        q.command("query-status")
        time.sleep(0.05)


# The requests whose answers must be the same under vireo-vmm and QEMU.
PROBES = [
    ("qom-get", {"path": PATH, "property": "guest-stats-polling-interval"}),
    ("qom-set", {"path": PATH, "property": "guest-stats-polling-interval", "value": -1}),
    ("qom-set", {"path": PATH, "property": "guest-stats-polling-interval", "value": 5000000000}),
    ("qom-set", {"path": PATH, "property": "guest-stats-polling-interval", "value": "1"}),
    ("qom-set", {"path": PATH, "property": "guest-stats", "value": 1}),
    ("qom-get", {"path": PATH, "property": "no-such-property"}),
    ("qom-get", {"path": "/machine/peripheral/no-such-device", "property": "guest-stats"}),
    ("qom-get", {"path": PATH + "/virtio-backend", "property": "type"}),
    ("qom-get", {"path": "balloon0", "property": "type"}),
    ("balloon", {"value": 0}),
    ("balloon", {"value": -4096}),
]
# After the run, a target above the RAM size: accepted and clamped (QEMU).
ABOVE = ("balloon", {"value": 1 << 40})


def reclaim(a):
    res = {"ok": False}
    if not wait_ready(a.serial, a.ready_secs):
        res["error"] = "no 'vireo-testguest ready' within %d s" % a.ready_secs
        return res
    q = TimedQmp(a.sock, timeout=10)
    ram, target = a.ram_mib * MIB, a.target_mib * MIB
    if a.probes:
        res["probes"] = [answer(q.command(c, args)) for c, args in PROBES]
    res["before"] = memory(a.pid)
    res["actual_before"] = actual(q)
    q.command("qom-set", {"path": PATH, "property": "guest-stats-polling-interval",
                          "value": 1})
    t0 = time.monotonic()
    res["balloon_reply"] = answer(q.command("balloon", {"value": target}))
    res["reclaim_s"] = wait_actual(q, target, a.limit)
    res["after"] = memory(a.pid)
    idle(q, 1.5)		# the rate-limited last BALLOON_CHANGE
    res["events"] = [[t - t0, m.get("data")] for t, m in q.arrivals
                     if m.get("event") == "BALLOON_CHANGE"]
    s1 = q.command("qom-get", {"path": PATH, "property": "guest-stats"}).get("return")
    t1 = time.monotonic()
    idle(q, a.stats_secs)
    s2 = q.command("qom-get", {"path": PATH, "property": "guest-stats"}).get("return")
    res["stats"] = [s1, s2, time.monotonic() - t1]
    res["interval"] = answer(q.command("qom-get", {"path": PATH,
                                                   "property": "guest-stats-polling-interval"}))
    q.arrivals.clear()
    t0 = time.monotonic()
    q.command("balloon", {"value": ram})
    res["deflate_s"] = wait_actual(q, ram, a.limit)
    res["deflated"] = memory(a.pid)
    res["above"] = answer(q.command(*ABOVE))
    time.sleep(0.2)
    res["actual_after_above"] = actual(q)
    res["ok"] = True
    return res


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reclaim")
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--sock", required=True)
    r.add_argument("--serial", required=True)
    r.add_argument("--ram-mib", type=int, default=512)
    r.add_argument("--target-mib", type=int, default=128)
    r.add_argument("--stats-secs", type=float, default=5)
    r.add_argument("--ready-secs", type=int, default=60)
    r.add_argument("--limit", type=float, default=30)
    r.add_argument("--probes", action="store_true")
    r.add_argument("--out", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--pid", type=int, required=True)
    a = p.parse_args()
    if a.cmd == "memory":
        print(json.dumps(memory(a.pid)))
        return 0
    try:
        res = reclaim(a)
    except Exception as e:  # a QMP failure is a result too: the test reports it
        res = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    with open(a.out, "w") as f:
        json.dump(res, f)
    return 0 if res.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
