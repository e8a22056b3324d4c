#!/usr/bin/env python3
"""A tiny QMP client for the shell tests (Python 3 standard library only).

As a program:

    qmp.py [--timeout S] [--no-negotiate] SOCKET STEP...

connects to the unix socket SOCKET (retrying until it can, within the timeout), reads
the greeting, sends qmp_capabilities (unless --no-negotiate) and runs the steps in
order. Every message received is printed on stdout, one line each, as it arrives:

    greeting {...}
    return NAME {...}        the reply to the command NAME (the "return" value)
    error NAME {...}         an error reply to NAME (the "error" object)
    event NAME {...}         an event (the whole message)
    reply - {...}            a reply to raw input (no command of ours)
    closed                   the worker closed the connection

Steps:

    NAME                     execute NAME without arguments and wait for its reply
    NAME=JSON                execute NAME with the arguments JSON (an object)
    event:NAME               wait for the event NAME; events are consumed in order, so
                             "event:A event:B" needs a B after the A
    raw:TEXT                 send TEXT as it is (\\n and \\xNN escapes are decoded)
    sleep:S                  wait S seconds, printing what arrives meanwhile
    closed                   wait until the worker closes the connection

Every wait is bounded by --timeout (default 10 s) from the start of the step; a step
that times out or finds the connection closed prints "qmp.py: ..." on stderr and the
program exits 1. Error replies are printed, not fatal: the test greps the output.

As a module: Qmp(path, timeout) with command(), send_raw(), read_message(),
wait_event(), wait_closed() and close(); see the class.
"""
import json
import os
import socket
import sys
import time


class QmpError(Exception):
    pass


class Qmp:
    """One QMP session on a unix socket."""

    def __init__(self, path, timeout=10.0, negotiate=True, out=None):
        self.out = out                  # where to print each message (a file), or None
        self.buf = b""
        self.events = []                # every event received, in order
        self.event_cursor = 0           # wait_event() looks at events from here on
        self.closed = False
        self.next_id = 0
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise QmpError("cannot connect to %s: %s" % (path, e))
                time.sleep(0.02)
        self.greeting = self.read_message(deadline)
        if "QMP" not in self.greeting:
            raise QmpError("no QMP greeting: %r" % (self.greeting,))
        self._print("greeting", None, self.greeting)
        if negotiate:
            reply = self.command("qmp_capabilities", timeout=max(0.1, deadline - time.monotonic()))
            if "return" not in reply:
                raise QmpError("qmp_capabilities failed: %r" % (reply,))

    def _print(self, kind, name, obj):
        if self.out is None:
            return
        parts = [kind] + ([name] if name is not None else []) + \
            ([json.dumps(obj, sort_keys=True)] if obj is not None else [])
        self.out.write(" ".join(parts) + "\n")
        self.out.flush()

    def read_message(self, deadline):
        """Returns the next message as parsed JSON; raises QmpError on timeout or EOF."""
        while b"\n" not in self.buf:
            if self.closed:
                raise QmpError("the connection was closed")
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError("timed out waiting for a message")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                raise QmpError("timed out waiting for a message")
            except OSError as e:
                data = b""
                if self.out is not None:
                    self.out.write("# recv: %s\n" % e)
            if not data:
                self.closed = True
                self._print("closed", None, None)
                raise QmpError("the connection was closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            raise QmpError("the worker sent something that is not JSON: %r" % line[:200])

    def _dispatch(self, msg):
        """Records an event; returns True if msg is an event."""
        if isinstance(msg, dict) and "event" in msg:
            self.events.append(msg)
            self._print("event", str(msg["event"]), msg)
            return True
        return False

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def command(self, name, arguments=None, timeout=10.0):
        """Sends one command and returns its reply (the whole message); events that
        arrive meanwhile are recorded."""
        self.next_id += 1
        ident = "qmp-py-%d" % self.next_id
        req = {"execute": name, "id": ident}
        if arguments is not None:
            req["arguments"] = arguments
        self.send_raw(json.dumps(req).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(deadline)
            if self._dispatch(msg):
                continue
            if isinstance(msg, dict) and msg.get("id") == ident:
                if "return" in msg:
                    self._print("return", name, msg["return"])
                else:
                    self._print("error", name, msg.get("error", msg))
                return msg
            self._print("reply", "-", msg)

    def wait_event(self, name, timeout=10.0):
        """Returns the first event NAME after the one the last wait_event() returned."""
        deadline = time.monotonic() + timeout
        while True:
            for i in range(self.event_cursor, len(self.events)):
                if self.events[i].get("event") == name:
                    self.event_cursor = i + 1
                    return self.events[i]
            try:
                msg = self.read_message(deadline)
            except QmpError as e:
                raise QmpError("waiting for event %s: %s" % (name, e))
            if not self._dispatch(msg):
                self._print("reply", "-", msg)

    def pump(self, seconds):
        """Reads and records what arrives during SECONDS."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self.read_message(deadline)
                if not self._dispatch(msg):
                    self._print("reply", "-", msg)
        except QmpError:
            if not self.closed and time.monotonic() < deadline:
                raise

    def wait_closed(self, timeout=10.0):
        """Waits until the worker closes the connection (messages are recorded)."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            try:
                msg = self.read_message(deadline)
            except QmpError:
                if self.closed:
                    return
                raise QmpError("the worker did not close the connection within %g s" % timeout)
            if not self._dispatch(msg):
                self._print("reply", "-", msg)

    def close(self):
        self.sock.close()


def decode_raw(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def main(argv):
    timeout = 10.0
    negotiate = True
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--timeout" and args:
            timeout = float(args.pop(0))
        elif opt == "--no-negotiate":
            negotiate = False
        else:
            sys.stderr.write("usage: qmp.py [--timeout S] [--no-negotiate] SOCKET STEP...\n")
            return 2
    if not args:
        sys.stderr.write("usage: qmp.py [--timeout S] [--no-negotiate] SOCKET STEP...\n")
        return 2
    path, steps = args[0], args[1:]
    try:
        q = Qmp(path, timeout, negotiate, out=sys.stdout)
        for step in steps:
            if step.startswith("event:"):
                q.wait_event(step[6:], timeout)
            elif step.startswith("raw:"):
                q.send_raw(decode_raw(step[4:]))
            elif step.startswith("sleep:"):
                q.pump(float(step[6:]))
            elif step == "closed":
                q.wait_closed(timeout)
            else:
                name, _, arguments = step.partition("=")
                q.command(name, json.loads(arguments) if arguments else None, timeout)
    except (QmpError, OSError) as e:
        sys.stdout.flush()
        sys.stderr.write("qmp.py: %s\n" % e)
        return 1
    q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
