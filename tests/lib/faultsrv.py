#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""faultsrv.py: a loopback HTTP server that misbehaves on purpose, for
s3put's fault tests (no real S3 server can be told to do these things).

    faultsrv.py MODE PORTFILE LOG [--go FILE]

Binds 127.0.0.1 on a free port, writes the port to PORTFILE, and answers
every request in MODE:

  stall    read the request, then never answer (the connection stays open)
  trickle  answer 200 with a Content-Length of 1 MB, then one byte every
           half second
  endless  answer 200 with a chunked body that never ends, sent fast
  hold     read the request, wait until FILE (--go) exists, then answer
           200 with the body's MD5 as the ETag, as S3's PutObject does

LOG gets one line per request once its body is read:
"METHOD PATH bytes=N" (so a test knows when the server holds a request).
It serves until killed; stop it by PID.
"""
import hashlib
import os
import socket
import sys
import threading
import time


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None, b""
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for h in lines[1:]:
        name, _, value = h.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        if name.strip().lower() == "expect" and "100" in value:
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    method, path = lines[0].split(" ")[:2]
    return method, path, body


def serve(conn, mode, log, go):
    try:
        method, path, body = read_request(conn)
        if method is None:
            return
        with open(log, "a") as f:
            f.write("%s %s bytes=%d\n" % (method, path, len(body)))
        if mode == "stall":
            while True:
                time.sleep(60)
        elif mode == "trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while True:
                conn.sendall(b" ")
                time.sleep(0.5)
        elif mode == "endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
            while True:
                conn.sendall(chunk)
        elif mode == "hold":
            while not os.path.exists(go):
                time.sleep(0.05)
            etag = hashlib.md5(body).hexdigest()
            conn.sendall(("HTTP/1.1 200 OK\r\nETag: \"%s\"\r\n"
                          "Content-Length: 0\r\n\r\n" % etag).encode())
    except OSError:
        pass
    finally:
        conn.close()


def main():
    args = sys.argv[1:]
    go = None
    if "--go" in args:
        i = args.index("--go")
        go = args[i + 1]
        del args[i:i + 2]
    mode, portfile, log = args
    if mode not in ("stall", "trickle", "endless", "hold"):
        sys.exit("faultsrv.py: unknown mode " + mode)
    if mode == "hold" and go is None:
        sys.exit("faultsrv.py: hold needs --go FILE")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode, log, go),
                         daemon=True).start()


if __name__ == "__main__":
    main()
