#!/usr/bin/env python3
# HTTP server for tests/interop/fetch_test.sh, run in the test's namespace on 10.0.0.1:
#   GET  /files/NAME        NAME from the served directory, Content-Length framing
#   GET  /chunked/NAME      the same bytes in chunks of random sizes, then a trailer (RFC 9112 7.1)
#   GET  /interim/NAME      "100 Continue" and a "102 Processing" first, then the file (1xx)
#   GET  /a/b/chain/N       N > 0: 301 to the relative "../../b/chain/N-1"; 0: 302 to "/files/one"
#   GET  /to-static/NAME    302 to the absolute http://10.0.0.1:STATIC/NAME (python -m http.server)
#   GET  /status/CODE       that status with a short body
#   GET  /short/NAME        Content-Length of the file, half of it, then a normal close (FIN)
#   GET  /reset/NAME        Content-Length of the file, half of it, then an abort (RST)
#   POST /echo              the request body back, with its Content-Type in X-Request-Type
# and on PORT+1 a server that accepts connections and never answers (for --max-time).
# Usage: fetch_server.py PORT DIRECTORY STATIC_PORT. Prints "listening" when both are up.
import os
import random
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, ROOT, STATIC = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = random.Random(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def send_bytes(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def file_bytes(self, name):
        path = os.path.join(ROOT, os.path.basename(name))
        with open(path, "rb") as f:
            return f.read()

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[0] == "files":
            self.send_bytes(200, self.file_bytes(parts[1]))
        elif parts[0] == "chunked":
            data = self.file_bytes(parts[1])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Length")
            self.end_headers()
            pos = 0
            while pos < len(data):
                n = rng.randint(1, 70000)
                piece = data[pos:pos + n]
                ext = ";piece=%d" % pos if rng.random() < 0.2 else ""
                self.wfile.write(b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece))
                pos += len(piece)
            self.wfile.write(b"0\r\nX-Length: %d\r\n\r\n" % len(data))
        elif parts[0] == "interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n")
            self.send_bytes(200, self.file_bytes(parts[1]))
        elif parts[:3] == ["a", "b", "chain"]:
            n = int(parts[3])
            if n > 0:
                self.send_bytes(301, b"moved\n", [("Location", "../../b/chain/%d" % (n - 1))])
            else:
                self.send_bytes(302, b"found\n", [("Location", "/files/one")])
        elif parts[0] == "to-static":
            self.send_bytes(302, b"", [("Location", "http://10.0.0.1:%d/%s" % (STATIC, parts[1]))])
        elif parts[0] in ("short", "reset"):
            data = self.file_bytes(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            time.sleep(0.2)  # let the half arrive first
            if parts[0] == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR) if parts[0] == "short" else None
            self.connection.close()
            self.close_connection = True
        elif parts[0] == "status":
            code = int(parts[1])
            self.send_bytes(code, b"status %d\n" % code)
        else:
            self.send_bytes(404, b"no such path\n")

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/echo":
            self.send_bytes(200, body, [("X-Request-Type", self.headers.get("Content-Type", ""))])
        else:
            self.send_bytes(404, b"no such path\n")


def silent(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: 10.0.0.1 exists only while tun0 does
    srv.bind(("10.0.0.1", port))
    srv.listen(8)
    held = []
    while True:
        conn, _ = srv.accept()
        held.append(conn)  # never read, never answered, never closed


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
        super().server_bind()


threading.Thread(target=silent, args=(PORT + 1,), daemon=True).start()
httpd = Server(("10.0.0.1", PORT), Handler)
print("listening", flush=True)
httpd.serve_forever()
