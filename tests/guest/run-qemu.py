#!/usr/bin/env python3
"""Run the Vireo test guest under QEMU and check how it ends.

    run-qemu.py [--accel tcg|kvm] [--bios qboot|seabios|PATH] [--append ARGS]
                [--powerdown [--powerdown-after S]] [--expect-status N]
                [--expect-boots N] [--timeout S] [--qemu BIN] [--log FILE]
                [--extra ARG]... [GUEST_ELF]

Serial output goes to stdout as it arrives; a summary (timings, exit status, verdict) goes
to stderr. Without --powerdown the guest runs its TAP self-tests ("test") and must leave
through isa-debug-exit with status 1 (all passed). With --powerdown it boots "idle": once it
prints "vireo-testguest ready" the script sends system_powerdown over QMP and expects
"vireo-testguest powering off", a SHUTDOWN event with "guest": true and QEMU exiting 0.
Exit status: 0 when the run ended as expected, 1 otherwise, 2 on a usage error.
"""
import argparse
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIOS = {"qboot": "/usr/share/qemu/qboot.rom", "seabios": None}


def qemu_cpu_seconds(pid):
    """Returns the user + system CPU time QEMU has used so far, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def qemu_argv(args, qmp_path):
    argv = [args.qemu, "-accel", args.accel, "-cpu", "qemu64", "-m", "128", "-smp", "1",
            "-nographic", "-nodefaults", "-no-user-config", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", args.guest, "-append", args.append]
    bios = BIOS.get(args.bios, args.bios)
    if bios:
        argv += ["-bios", bios]
    if qmp_path:
        argv += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    return argv + args.extra


class Qmp:
    """A minimal QMP client: greeting, qmp_capabilities, commands, events."""

    def __init__(self, path, deadline):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.buf = b""
        self.events = []
        self.closed = False
        self.read(deadline)                     # greeting
        self.command("qmp_capabilities", deadline)

    def read(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("QMP read timed out")
            self.sock.settimeout(left)
            data = self.sock.recv(4096)
            if not data:
                raise EOFError("QMP socket closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, name, deadline):
        self.sock.sendall(json.dumps({"execute": name}).encode() + b"\n")
        while True:
            msg = self.read(deadline)
            if "event" in msg:
                self.events.append(msg)
            elif "return" in msg or "error" in msg:
                return msg

    def drain(self):
        """Returns the messages readable now without blocking; notes EOF in self.closed."""
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    self.closed = True
                    break
                self.buf += data
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.closed = True
        finally:
            self.sock.setblocking(True)
        msgs = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                msgs.append(json.loads(line))
        return msgs


def run(args):
    tmp = tempfile.mkdtemp(prefix="vireo-guest.")
    qmp_path = os.path.join(tmp, "qmp.sock") if args.powerdown else None
    log = open(args.log, "wb") if args.log else None
    start = time.monotonic()
    deadline = start + args.timeout
    proc = subprocess.Popen(qemu_argv(args, qmp_path), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    first_byte = boot_line = ready_at = powerdown_at = None
    cpu_at_ready = idle_cpu = None
    qmp = None
    shutdown_event = None
    status = None
    problems = []
    try:
        while True:
            now = time.monotonic()
            if now > deadline:
                problems.append("timed out after %d s" % args.timeout)
                break
            fds = [proc.stdout] + ([qmp.sock] if qmp and not qmp.closed else [])
            r, _, _ = select.select(fds, [], [], min(0.05, deadline - now))
            if qmp and qmp.sock in r:
                for msg in qmp.drain():
                    if msg.get("event") == "SHUTDOWN":
                        shutdown_event = msg
            if proc.stdout in r:
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                if first_byte is None:
                    first_byte = time.monotonic() - start
                out += data
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                if log:
                    log.write(data)
                if boot_line is None and b"# boot\n" in out:
                    boot_line = time.monotonic() - start
            if args.powerdown and ready_at is None and b"vireo-testguest ready\n" in out:
                ready_at = time.monotonic() - start
                cpu_at_ready = qemu_cpu_seconds(proc.pid)
            if ready_at is not None and qmp is None and \
                    time.monotonic() - start >= ready_at + args.powerdown_after:
                idle_cpu = qemu_cpu_seconds(proc.pid) - cpu_at_ready
                try:
                    qmp = Qmp(qmp_path, deadline)
                    qmp.command("system_powerdown", deadline)
                except (OSError, TimeoutError, EOFError, ValueError) as e:
                    problems.append("QMP: %s" % e)
                    break
                powerdown_at = time.monotonic() - start
                for msg in qmp.events:
                    if msg.get("event") == "SHUTDOWN":
                        shutdown_event = msg
        if qmp:
            # QEMU may close the socket right after SHUTDOWN: read what is left.
            end = min(deadline, time.monotonic() + 2)
            while shutdown_event is None and not qmp.closed and time.monotonic() < end:
                select.select([qmp.sock], [], [], 0.05)
                for msg in qmp.drain():
                    if msg.get("event") == "SHUTDOWN":
                        shutdown_event = msg
        try:
            status = proc.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            status = None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read().decode(errors="replace")
        if qmp:
            qmp.sock.close()
        if log:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.monotonic() - start
    text = out.decode(errors="replace")

    if status is None:
        problems.append("QEMU did not exit")
    elif args.powerdown:
        if ready_at is None:
            problems.append("no 'vireo-testguest ready' line")
        if "vireo-testguest powering off\n" not in text:
            problems.append("no 'vireo-testguest powering off' line")
        if shutdown_event is None:
            problems.append("no SHUTDOWN event on QMP")
        elif not shutdown_event.get("data", {}).get("guest"):
            problems.append("SHUTDOWN event not from the guest: %s" % shutdown_event)
        if status != 0:
            problems.append("QEMU exit status %s, expected 0" % status)
    boots = text.count("# boot\n")
    if args.expect_boots is not None and boots != args.expect_boots:
        problems.append("%d '# boot' lines, expected %d" % (boots, args.expect_boots))
    if not args.powerdown:
        if status != args.expect_status:
            problems.append("exit status %s, expected %d" % (status, args.expect_status))
        if args.expect_status == 1 and ("not ok" in text or "\n1.." not in text):
            problems.append("TAP output has failures or no plan")
    ms = lambda t: "-" if t is None else "%.0f ms" % (t * 1000)
    summary = ("# run-qemu: accel %s bios %s append '%s': first serial byte %s, '# boot' %s, "
               % (args.accel, args.bios, args.append, ms(first_byte), ms(boot_line)))
    if args.powerdown:
        summary += "ready %s, powerdown sent %s, " % (ms(ready_at), ms(powerdown_at))
        if args.powerdown_after and idle_cpu is not None:
            summary += "idle CPU %.0f%% over %g s, " % (
                100 * idle_cpu / args.powerdown_after, args.powerdown_after)
        if shutdown_event:
            summary += "SHUTDOWN %s, " % json.dumps(shutdown_event.get("data"))
    summary += "total %s, exit status %s" % (ms(total), status)
    print(summary, file=sys.stderr)
    if stderr.strip():
        print("# qemu stderr: " + stderr.strip().replace("\n", "\n# qemu stderr: "),
              file=sys.stderr)
    for p in problems:
        print("# run-qemu: FAIL: " + p, file=sys.stderr)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("guest", nargs="?", default=os.path.join(HERE, "guest.elf"))
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--bios", default="qboot", help="qboot, seabios (QEMU's default) or a path")
    ap.add_argument("--append", default=None)
    ap.add_argument("--powerdown", action="store_true")
    ap.add_argument("--powerdown-after", type=float, default=0,
                    help="seconds to wait after 'ready' before system_powerdown")
    ap.add_argument("--expect-boots", type=int, help="number of '# boot' lines expected")
    ap.add_argument("--expect-status", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--log")
    ap.add_argument("--extra", action="append", default=[], metavar="ARG",
                    help="one more QEMU argument (repeat for several)")
    args = ap.parse_args()
    if args.append is None:
        args.append = "idle" if args.powerdown else "test"
    if not os.path.exists(args.guest):
        print("run-qemu: %s does not exist" % args.guest, file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
