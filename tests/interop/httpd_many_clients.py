#!/usr/bin/env python3
"""1,000 concurrent keep-alive clients for tundra-httpd (run by httpd_load_test.sh in the test's
network namespace): opens N connections, sends a GET on each, reads every response, keeps them all
open, runs a curl from another client meanwhile, then sends a second round on all N and checks
every response. Usage: httpd_many_clients.py HOST PORT N PATH EXPECTED_SHA256 [PIDFILE]"""
import hashlib
import resource
import selectors
import socket
import subprocess
import sys
import time

host, port, n, path, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
pid = sys.argv[6] if len(sys.argv) > 6 else None
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = n + 64
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, soft), hard), hard))
deadline = time.monotonic() + 300
request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def rss():
    if not pid:
        return ""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return line.split(":")[1].strip()
    return ""


class Client:
    def __init__(self, i):
        self.i = i
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setblocking(False)
        self.buf = b""

    def response(self):
        """A complete response from buf, or None: (status, body)."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.buf) < end + 4 + length:
            return None
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        return int(head[0].split()[1]), body


def round_trip(clients, label):
    sel = selectors.DefaultSelector()
    for c in clients:
        c.sock.setblocking(True)
        c.sock.sendall(request)
        c.sock.setblocking(False)
        sel.register(c.sock, selectors.EVENT_READ, c)
    waiting = len(clients)
    while waiting:
        if time.monotonic() > deadline:
            raise SystemExit(f"{label}: {waiting} responses missing at the deadline")
        events = sel.select(timeout=5)
        for key, _ in events:
            c = key.data
            data = c.sock.recv(65536)
            if not data:
                raise SystemExit(f"{label}: connection {c.i} closed by the server")
            c.buf += data
            r = c.response()
            if r:
                status, body = r
                if status != 200 or hashlib.sha256(body).hexdigest() != want:
                    raise SystemExit(f"{label}: connection {c.i}: status {status}, {len(body)} bytes differ")
                sel.unregister(c.sock)
                waiting -= 1
    sel.close()
    print(f"{label}: {len(clients)} responses, all 200 and byte-exact", flush=True)


print(f"server RSS before: {rss()}", flush=True)
clients = []
for i in range(n):
    clients.append(Client(i))
print(f"{n} connections open", flush=True)
round_trip(clients, "round 1")
print(f"server RSS with {n} idle keep-alive connections: {rss()}", flush=True)
out = subprocess.run(["curl", "-sS", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}",
                      f"http://{host}:{port}{path}"], capture_output=True, text=True)
if out.stdout != "200":
    raise SystemExit(f"curl while {n} clients held: {out.stdout} {out.stderr}")
print(f"curl while {n} connections are held: 200", flush=True)
round_trip(clients, "round 2")
for c in clients:
    c.sock.close()
