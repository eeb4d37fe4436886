#!/usr/bin/env bash
# TCP against the kernel as the peer: 100 connections in a row to tundra's echo service from kernel
# clients, then 20 at once, each checking its bytes; chargen (RFC 864) lines and discard; a closed
# port answers with RST, which the kernel reports as ECONNREFUSED.
source "$(dirname "$0")/lib.sh"
interop_init tcp_echo "$@"

cap="$WORK/echo.pcap"
start_tundra tundra-echo --tun tun0 --pcap "$cap"

in_ns timeout 120 python3 - <<'PY' || fail "python client failed"
import os, socket, sys, threading

def echo_once(i, size):
    data = os.urandom(size)
    with socket.create_connection(("10.0.0.2", 7), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    if bytes(got) != data:
        raise SystemExit(f"connection {i}: echo of {size} bytes came back as {len(got)} different bytes")

for i in range(100):
    echo_once(i, 1 + (i * 7919) % 20000)
print("100 connections in a row: every echo exact")

errors = []
def worker(i):
    try:
        echo_once(i, 100000 + i)
    except BaseException as e:
        errors.append(f"{i}: {e}")
threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
for t in threads: t.start()
for t in threads: t.join(60)
if errors or any(t.is_alive() for t in threads):
    raise SystemExit(f"concurrent: {errors}")
print("20 connections at once: every echo exact")

with socket.create_connection(("10.0.0.2", 19), timeout=10) as s:
    buf = b""
    while len(buf) < 74 * 100:
        buf += s.recv(65536)
lines = buf.split(b"\r\n")[:100]
for n, line in enumerate(lines):
    want = bytes(32 + (n + k) % 95 for k in range(72))
    if line != want:
        raise SystemExit(f"chargen line {n} is {line!r}")
print("chargen: 100 lines as RFC 864 draws them")

with socket.create_connection(("10.0.0.2", 9), timeout=10) as s:
    s.sendall(os.urandom(1 << 20))
    s.shutdown(socket.SHUT_WR)
    if s.recv(10) != b"":
        raise SystemExit("discard answered")
print("discard: 1 MiB swallowed, nothing back")

try:
    socket.create_connection(("10.0.0.2", 4444), timeout=5)
    raise SystemExit("closed port accepted a connection")
except ConnectionRefusedError:
    print("closed port: ECONNREFUSED")
PY
pass "echo x100 in a row, x20 at once, chargen, discard, refused"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo exited with $STOP_RC"
opens=$(counter "$TUNDRA_LOG" "passive connection openings")
[ "$opens" -ge 122 ] || fail "passive openings: $opens, expected at least 122"
pass "tundra counted $opens passive openings"
if command -v tshark >/dev/null; then
  # A clean link: the capture must read without lost segments or bad checksums.
  bad=$(tshark -r "$cap" -o tcp.check_checksum:TRUE \
    -Y "tcp.analysis.lost_segment || $BAD_CHECKSUM_FILTER" 2>/dev/null | wc -l)
  if [ "$bad" != 0 ]; then
    tshark -r "$cap" -o tcp.check_checksum:TRUE \
      -Y "tcp.analysis.lost_segment || $BAD_CHECKSUM_FILTER" 2>/dev/null | head -n 10
    cp "$cap" /tmp/tundra-tcp_echo-failed.pcap
    fail "tshark flags $bad segments (lost or bad checksum) in a clean capture (kept in /tmp/tundra-tcp_echo-failed.pcap)"
  fi
  pass "tshark: the capture reads clean (no lost segments, no bad checksums)"
fi
