#!/usr/bin/env python3
"""A tiny client of vireod's RPC (docs/rpc.md) for the daemon's own tests.

As a module:
    c = Client(sock_path)            # connects and says hello
    c.call("domain.list", {"all": True})      -> result dict, or raises RpcError
    c.read_stream(stream, until=b"text", timeout=10) -> bytes received
    c.send_stream(stream, b"bytes"); c.end_stream(stream)
    c.next_event(timeout)            -> (name, data) or None

As a command (for shell tests):
    rpc.py SOCK METHOD [PARAMS-JSON]     prints the result as JSON; on an error reply
                                         prints "error: CODE: MESSAGE", exits 1
    rpc.py SOCK --console DOMAIN TEXT [TIMEOUT]
                                         attaches to the console, exits 0 once TEXT was
                                         seen (prints what came), 1 if not in time
    rpc.py SOCK --raw HEX-OR-@FILE [TIMEOUT]
                                         sends raw bytes (no hello), prints the frames
                                         that come back until the daemon closes (or
                                         TIMEOUT seconds, default 10)
    rpc.py SOCK --events SECONDS         subscribes, prints each event's data as a JSON
                                         line as it comes, for SECONDS
"""
import base64
import json
import os
import select
import socket
import struct
import sys
import time


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


def encode(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    return struct.pack(">I", len(data)) + data


class Client:
    def __init__(self, path, hello=True, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.buf = b""
        self.next_id = 1
        self.events = []
        self.streams = {}
        self.ended = set()
        self.hello = None
        if hello:
            self.hello = self.call("hello", {"version": 1, "client": "rpc.py"})

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        self.sock.sendall(encode(obj))

    def _read_frame(self, deadline):
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    frame = json.loads(self.buf[4:4 + n])
                    self.buf = self.buf[4 + n:]
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from vireod in time")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("vireod closed the connection")
            self.buf += chunk

    def _dispatch(self, frame):
        """Queue events and stream frames; return replies."""
        if "event" in frame:
            self.events.append((frame["event"], frame.get("data")))
            return None
        if "stream" in frame:
            sid = frame["stream"]
            if frame.get("end"):
                self.ended.add(sid)
            else:
                self.streams[sid] = self.streams.get(sid, b"") + base64.b64decode(frame["data"])
            return None
        return frame

    def call(self, method, params=None, timeout=None):
        rid = self.next_id
        self.next_id += 1
        req = {"id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send(req)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            frame = self._dispatch(self._read_frame(deadline))
            if frame is None or frame.get("id") != rid:
                continue
            if "error" in frame:
                raise RpcError(frame["error"]["code"], frame["error"].get("message", ""))
            return frame["result"]

    def read_stream(self, sid, until=None, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            got = self.streams.get(sid, b"")
            if (until is not None and until in got) or sid in self.ended:
                return got
            try:
                self._dispatch(self._read_frame(deadline))
            except TimeoutError:
                return self.streams.get(sid, b"")

    def send_stream(self, sid, data):
        self.send({"stream": sid, "data": base64.b64encode(data).decode()})

    def end_stream(self, sid):
        self.send({"stream": sid, "end": True})

    def next_event(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.events:
            try:
                self._dispatch(self._read_frame(deadline))
            except TimeoutError:
                return None
        return self.events.pop(0)


def raw_exchange(path, data, timeout=10):
    """Send raw bytes without hello; return the frames received until close."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(data)
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], deadline - time.monotonic())
        if not r:
            break
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        got += chunk
    s.close()
    frames = []
    while len(got) >= 4:
        (n,) = struct.unpack(">I", got[:4])
        frames.append(json.loads(got[4:4 + n]))
        got = got[4 + n:]
    return frames


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    if argv[2] == "--raw":
        spec = argv[3]
        data = open(spec[1:], "rb").read() if spec.startswith("@") else bytes.fromhex(spec)
        for f in raw_exchange(path, data, float(argv[4]) if len(argv) > 4 else 10):
            print(json.dumps(f))
        return 0
    c = Client(path)
    try:
        if argv[2] == "--events":
            c.call("events.subscribe")
            end = time.monotonic() + float(argv[3])
            while time.monotonic() < end:
                try:
                    ev = c.next_event(end - time.monotonic())
                except ConnectionError:
                    return 0
                if ev:
                    print(json.dumps(ev[1]), flush=True)
            return 0
        if argv[2] == "--console":
            res = c.call("domain.console", {"domain": argv[3], "force": True})
            got = c.read_stream(res["stream"], argv[4].encode(),
                                float(argv[5]) if len(argv) > 5 else 10)
            sys.stdout.write(got.decode(errors="replace"))
            return 0 if argv[4].encode() in got else 1
        params = json.loads(argv[3]) if len(argv) > 3 else None
        print(json.dumps(c.call(argv[2], params), indent=None))
        return 0
    except RpcError as e:
        print("error: %s: %s" % (e.code, e.message))
        return 1
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
