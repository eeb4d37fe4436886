#!/usr/bin/env python3
# A kernel-side request/response server for tundra-rr (tests/interop/rr_test.sh and the TCP labs):
# on each connection reads exactly --request-size bytes, answers --response-size bytes, and again,
# until the client closes. Leaves the kernel's defaults alone (no TCP_NODELAY, no TCP_QUICKACK), so
# a lab sees Linux's delayed ACKs as they are. Standard library only.
#
# One thread and a selector: a thread per connection would add milliseconds of thread start-up to
# the first answer on every connection, which a keep-alive vs connection-per-request lab would
# wrongly blame on TCP.
import argparse
import os
import selectors
import signal
import socket
import sys

IP_FREEBIND = 15  # bind before the address exists: tundra makes tun0 (and 10.0.0.1) later
CHUNK = 1 << 16


class Conn:
    def __init__(self, sock, peer, number, request_size):
        self.sock, self.peer, self.number = sock, peer, number
        self.need = request_size  # bytes still to read of the current request
        self.owed = 0             # response bytes still to send
        self.requests = 0         # requests answered (read in full)


def main():
    p = argparse.ArgumentParser(
        description="Request/response server for tundra-rr: reads --request-size bytes, answers "
        "--response-size bytes, until the client closes.")
    p.add_argument("--bind", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--request-size", type=int, required=True,
                   help="bytes of one request (tundra-rr's --writes x --write-size)")
    p.add_argument("--response-size", type=int, required=True, help="bytes sent back per request")
    p.add_argument("--max-connections", type=int,
                   help="exit after this many connections have closed")
    p.add_argument("--ready-file", help="written once the socket listens")
    args = p.parse_args()
    if args.request_size < 1 or args.response_size < 0:
        p.error("--request-size must be at least 1 and --response-size at least 0")
    if args.max_connections is not None and args.max_connections < 1:
        p.error("--max-connections must be at least 1")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    srv.bind((args.bind, args.port))
    srv.listen(128)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:  # whole or absent: a reader never sees it half written
            f.write(f"{args.bind}:{args.port}\n")
        os.replace(tmp, args.ready_file)
    print(f"listening on {args.bind}:{args.port}: {args.request_size}-byte requests, "
          f"{args.response_size}-byte responses", flush=True)

    chunk = memoryview(b"r" * min(max(args.response_size, 1), CHUNK))
    accepted = closed = 0

    def close(c, reason):
        nonlocal closed
        sel.unregister(c.sock)
        c.sock.close()
        closed += 1
        print(f"connection {c.number} from {c.peer[0]}:{c.peer[1]}: {c.requests} requests, "
              f"{reason}", flush=True)

    def flush(c):
        """Sends what is owed until the socket's buffer is full; watches for room if need be."""
        while c.owed:
            try:
                n = c.sock.send(chunk[:min(c.owed, len(chunk))])
            except BlockingIOError:
                break
            c.owed -= n
        sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.owed else 0), c)

    def readable(c):
        data = c.sock.recv(CHUNK)
        if not data:
            if c.need == args.request_size:
                close(c, "closed by the client")
            else:
                got = args.request_size - c.need
                close(c, f"closed by the client after {got} of {args.request_size} request bytes")
            return
        n = len(data)
        while n >= c.need:  # every request read in full is answered, in order
            n -= c.need
            c.need = args.request_size
            c.requests += 1
            c.owed += args.response_size
        c.need -= n
        flush(c)

    while not stopping:
        if args.max_connections is not None and closed >= args.max_connections:
            break
        for key, events in sel.select(timeout=0.2):  # the timeout lets SIGTERM be seen
            if key.data is None:
                try:
                    sock, peer = srv.accept()
                except BlockingIOError:
                    continue
                sock.setblocking(False)
                accepted += 1
                sel.register(sock, selectors.EVENT_READ, Conn(sock, peer, accepted,
                                                              args.request_size))
                continue
            c = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    flush(c)
                if events & selectors.EVENT_READ:
                    readable(c)
            except OSError as e:
                close(c, f"error: {e.strerror or e}")
    srv.close()
    print(f"{closed} connections closed, exiting", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
