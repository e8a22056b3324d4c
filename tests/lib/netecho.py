#!/usr/bin/env python3
"""The host side of the test guest's virtio-net checks ("net" mode).

    netecho.py echo IFNAME [--timeout S]
    netecho.py exec-taps IFNAME N CMD...

exec-taps opens N queues of the tap IFNAME (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, and
IFF_MULTI_QUEUE when N > 1), as libvirt does before it starts QEMU, replaces "@FDS@" in
CMD by their numbers joined with ':' and executes CMD, which inherits them.

echo runs inside the test's network namespace, on the tap the worker is attached to (an
AF_PACKET socket with PACKET_VNET_HDR, so a frame the guest sent with NEEDS_CSUM still
carries its csum_start/csum_offset here). For every UDP frame to port 7 whose payload
starts with "VNET" it sends the frame back with MACs, IPv4 addresses and UDP ports
swapped (the source MAC becomes 02:00:00:00:00:01, the address the guest sent to) and
two payload bytes filled in (tests/guest/README.md, "virtio-net"):

    byte 8 (verdict)  'G' the guest's frame had correct IPv4 and UDP checksums,
                      'I' a bad IPv4 header checksum, 'B' a bad (or no) UDP checksum
    byte 9 (mode)     'P' it arrived partial (NEEDS_CSUM: completed here first, as a NIC
                      would), 'F' with a full checksum, 'Z' with none

Payload byte 4 is the guest's request: 'E' echo with a full UDP checksum, 'P' echo
partial (sent with NEEDS_CSUM and the pseudo-header sum in the field, so the guest sees
NEEDS_CSUM when it negotiated GUEST_CSUM and the worker passed it through). Anything
else on the tap is ignored. Prints "netecho: ready" once bound, a summary at exit
(SIGTERM, SIGINT or --timeout).
"""
import argparse
import fcntl
import os
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4
VNET_HDR = struct.Struct("<BBHHHH")     # struct virtio_net_hdr (10 bytes), little-endian
NEEDS_CSUM = 1
HOST_MAC = bytes.fromhex("020000000001")
ECHO_PORT = 7
PAYLOAD = 42                            # 14 Ethernet + 20 IPv4 + 8 UDP


def ones_sum(data, start=0):
    """The 16-bit ones' complement sum of data (big-endian words), plus start."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo_sum(ip, udp_len):
    return ones_sum(ip[12:20], 17 + udp_len)


def check_udp(f):
    ip, udp = f[14:34], f[34:]
    ulen = struct.unpack("!H", udp[4:6])[0]
    if ulen != len(udp) or udp[6:8] == b"\0\0":
        return False
    return ones_sum(udp, pseudo_sum(ip, ulen)) == 0xFFFF


def complete_partial(f, cstart, coff):
    """Completes a NEEDS_CSUM frame as a NIC does: the field holds the pseudo-header sum;
    the inverted sum from csum_start to the end goes into it."""
    f[cstart + coff:cstart + coff + 2] = struct.pack("!H", ~ones_sum(f[cstart:]) & 0xFFFF)


def judge(f, vnet):
    """(verdict, mode) of the guest's frame; f is completed in place when partial."""
    if ones_sum(f[14:34]) != 0xFFFF:
        return "I", "F"
    if vnet[0] & NEEDS_CSUM:
        cstart, coff = vnet[4], vnet[5]
        if cstart < 14 or cstart + coff + 2 > len(f):
            return "B", "P"
        complete_partial(f, cstart, coff)
        return ("G" if check_udp(f) else "B"), "P"
    if f[40:42] == b"\0\0":
        return "B", "Z"
    return ("G" if check_udp(f) else "B"), "F"


def reply(f, verdict, mode):
    """The echo of f: (vnet header, frame)."""
    op = f[PAYLOAD + 4:PAYLOAD + 5]
    r = bytearray(f)
    r[0:6], r[6:12] = f[6:12], HOST_MAC
    r[26:30], r[30:34] = f[30:34], f[26:30]
    r[34:36], r[36:38] = f[36:38], f[34:36]
    r[PAYLOAD + 8] = ord(verdict)
    r[PAYLOAD + 9] = ord(mode)
    r[24:26] = b"\0\0"
    r[24:26] = struct.pack("!H", ~ones_sum(r[14:34]) & 0xFFFF)
    ulen = len(r) - 34
    r[40:42] = b"\0\0"
    if op == b"P":
        r[40:42] = struct.pack("!H", pseudo_sum(r[14:34], ulen))
        return VNET_HDR.pack(NEEDS_CSUM, 0, 0, 0, 34, 6), r
    c = ~ones_sum(r[34:], pseudo_sum(r[14:34], ulen)) & 0xFFFF
    r[40:42] = struct.pack("!H", c or 0xFFFF)
    return VNET_HDR.pack(0, 0, 0, 0, 0, 0), r


def ours(f):
    return (len(f) >= PAYLOAD + 12 and f[12:14] == b"\x08\x00" and f[14] == 0x45 and
            f[23] == 17 and struct.unpack("!H", f[36:38])[0] == ECHO_PORT and
            f[PAYLOAD:PAYLOAD + 4] == b"VNET")


TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x4000, 0x0100


def exec_taps(a):
    """Opens a.queues queues of tap a.ifname and executes a.cmd with them."""
    flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (IFF_MULTI_QUEUE if a.queues > 1 else 0)
    fds = []
    for _ in range(a.queues):
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", a.ifname.encode(), flags))
        os.set_inheritable(fd, True)
        fds.append(fd)
    joined = ":".join(str(fd) for fd in fds)
    cmd = [arg.replace("@FDS@", joined) for arg in a.cmd]
    os.execvp(cmd[0], cmd)


def echo(a):
    """Answers the guest's frames until a.timeout, SIGTERM or SIGINT."""
    stats = {"echoed": 0, "bad": 0, "partial": 0, "ignored": 0}

    def done(*_):
        print("netecho: %(echoed)d echoed (%(partial)d arrived partial, %(bad)d with a bad "
              "checksum), %(ignored)d other frames ignored" % stats, file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, done)
    signal.signal(signal.SIGINT, done)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((a.ifname, ETH_P_ALL))
    s.settimeout(0.2)
    print("netecho: ready", flush=True)
    end = time.monotonic() + a.timeout
    while time.monotonic() < end:
        try:
            data, addr = s.recvfrom(65536 + VNET_HDR.size)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING or len(data) < VNET_HDR.size:
            continue
        vnet = VNET_HDR.unpack_from(data)
        f = bytearray(data[VNET_HDR.size:])
        if not ours(f):
            stats["ignored"] += 1
            continue
        verdict, mode = judge(f, vnet)
        stats["echoed"] += 1
        stats["bad"] += verdict != "G"
        stats["partial"] += mode == "P"
        h, r = reply(f, verdict, mode)
        s.send(h + bytes(r))
    done()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("echo", help="answer the guest's frames on IFNAME")
    e.add_argument("ifname")
    e.add_argument("--timeout", type=float, default=120)
    x = sub.add_parser("exec-taps", help="open N queues of tap IFNAME, execute CMD")
    x.add_argument("ifname")
    x.add_argument("queues", type=int)
    x.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.what == "echo":
        echo(a)
    else:
        exec_taps(a)


if __name__ == "__main__":
    main()
