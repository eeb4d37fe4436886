#!/usr/bin/env python3
"""lab_peer.py: the kernel's end of the TCP labs (scripts/lab.sh), run inside the lab's namespace.

  lab_peer.py sink --port P [--rcvbuf BYTES] [--pause S] [--read-size N] [--ready FILE]
      accepts one connection, optionally waits S seconds before reading (its receive buffer fills
      and the window closes), reads to end of stream, prints the byte count and SHA-256, closes.
  lab_peer.py send --connect ADDR:PORT --bytes N
      connects, sends N bytes of a fixed pattern, shuts down writing, reads until the peer closes.

Every wait is bounded (--timeout, default 60 s); the exit status is non-zero on any failure.
"""
import argparse
import hashlib
import socket
import sys
import time


def pattern(n):
    block = bytes(range(256)) * 256  # 64 KiB
    while n > 0:
        chunk = block[: min(n, len(block))]
        n -= len(chunk)
        yield chunk


def sink(a):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        # Before listen(): an accepted socket inherits it, and the window scale is chosen from it.
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    srv.bind((a.bind, a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    if a.ready:
        open(a.ready, "w").close()
    conn, peer = srv.accept()
    conn.settimeout(a.timeout)
    if a.pause:
        time.sleep(a.pause)
    digest, total = hashlib.sha256(), 0
    while True:
        b = conn.recv(a.read_size)
        if not b:
            break
        digest.update(b)
        total += len(b)
    conn.close()
    print(f"received {total} bytes from {peer[0]}:{peer[1]} sha256 {digest.hexdigest()}", flush=True)


def send(a):
    host, port = a.connect.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=a.timeout)
    digest = hashlib.sha256()
    for chunk in pattern(a.bytes):
        s.sendall(chunk)
        digest.update(chunk)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
    print(f"sent {a.bytes} bytes sha256 {digest.hexdigest()}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    k = sub.add_parser("sink")
    k.add_argument("--bind", default="0.0.0.0")
    k.add_argument("--port", type=int, required=True)
    k.add_argument("--rcvbuf", type=int, default=0)
    k.add_argument("--pause", type=float, default=0)
    k.add_argument("--read-size", type=int, default=1 << 20)
    k.add_argument("--ready")
    k.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("send")
    s.add_argument("--connect", required=True)
    s.add_argument("--bytes", type=int, required=True)
    s.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    try:
        sink(a) if a.mode == "sink" else send(a)
    except OSError as e:
        sys.exit(f"lab_peer.py {a.mode}: {e}")


if __name__ == "__main__":
    main()
