#!/usr/bin/env python3
"""dnsd.py ADDR NAME=IPV4...: a minimal DNS responder for tests (RFC 1035
over UDP), so that a test can resolve a name through a real DNS exchange,
as glibc's dns module does on Lambda with /etc/resolv.conf.

Listens on ADDR port 53 (a loopback address), answers an A query for each
NAME with its IPV4, NODATA for other types of a known name, NXDOMAIN for
any other name. Prints "ready" once bound. The test stops it by PID."""
import socket
import struct
import sys


def answer(q, table):
    """The reply to query q, or None if q is not a query we can parse."""
    if len(q) < 12:
        return None
    tid, flags, qdcount = struct.unpack(">HHH", q[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    i, labels = 12, []
    while i < len(q) and q[i]:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    i += 1
    if i + 4 > len(q):
        return None
    qtype = struct.unpack(">H", q[i:i + 2])[0]
    ip = table.get(".".join(labels).lower())
    rflags = 0x8480 | (flags & 0x0100)  # QR AA RA, RD copied
    ans = b""
    if ip is None:
        rflags |= 3  # NXDOMAIN
    elif qtype == 1:  # A
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
            socket.inet_aton(ip)
    hdr = struct.pack(">HHHHHH", tid, rflags, 1, 1 if ans else 0, 0, 0)
    return hdr + q[12:i + 4] + ans


def main():
    table = dict(a.lower().split("=", 1) for a in sys.argv[2:])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], 53))
    print("ready", flush=True)
    while True:
        q, peer = s.recvfrom(512)
        r = answer(q, table)
        if r is not None:
            s.sendto(r, peer)


if __name__ == "__main__":
    main()
