#!/usr/bin/env bash
# The README's main command: sets up, builds, and shows tundra at work on a real TUN device. In a
# network namespace of its own it starts tundra-echo on tun0 (10.0.0.2, the kernel side 10.0.0.1),
# pings it at 56 and 3000 bytes (fragmented both ways), sends UDP and TCP echoes from kernel sockets,
# shows the packet capture and tundra's counters, then removes everything it made.
#   scripts/demo.sh [--loss P] [--corrupt P] [--delay MS] …   (fault options go to tundra-echo)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: error: run as root (it makes a network namespace and a TUN device)" >&2
  exit 2
fi
scripts/setup.sh >/dev/null
scripts/build.sh

NS="tundra-demo-$$"
WORK=$(mktemp -d /tmp/tundra-demo.XXXXXX)
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ip netns add "$NS"
ip -n "$NS" link set lo up

say "Starting tundra-echo on tun0 in namespace $NS (tundra 10.0.0.2, kernel 10.0.0.1)"
ip netns exec "$NS" build/bin/tundra-echo --tun tun0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24 \
  --pcap "$WORK/demo.pcap" "$@" >"$WORK/echo.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q "Ctrl-C stops" "$WORK/echo.log" && break; sleep 0.05; done
grep -q "Ctrl-C stops" "$WORK/echo.log" || { cat "$WORK/echo.log"; exit 1; }
cat "$WORK/echo.log"
ip -n "$NS" -brief addr show tun0

say "ping -c 4 10.0.0.2 (the kernel's ping, answered by tundra)"
ip netns exec "$NS" ping -c 4 -i 0.2 -W 2 10.0.0.2 || true

say "ping -c 2 -s 3000 10.0.0.2 (fragmented both ways, reassembled by tundra)"
ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 -s 3000 10.0.0.2 || true

say "UDP echo (RFC 862) on port 7, from a kernel socket"
ip netns exec "$NS" python3 - <<'PY' || true
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for msg in [b"hello, tundra", b"x" * 4000]:
    s.sendto(msg, ("10.0.0.2", 7))
    try:
        data, peer = s.recvfrom(65535)
        print(f"sent {len(msg)} bytes, got {len(data)} back from {peer[0]}:{peer[1]}, identical: {data == msg}")
    except socket.timeout:
        print(f"sent {len(msg)} bytes, no answer within 2 s")
PY

say "TCP echo on port 7 and chargen (RFC 864) on port 19, from kernel sockets"
ip netns exec "$NS" python3 - <<'PY' || true
import hashlib, os, socket, time
data = os.urandom(1000)

with socket.create_connection(("10.0.0.2", 7), timeout=5) as s:
    local = s.getsockname()
    s.sendall(data[:1000])
    s.shutdown(socket.SHUT_WR)
    back = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        back += b
print(f"connection {local[0]}:{local[1]} -> 10.0.0.2:7: sent 1000 bytes, got {len(back)} back, identical: {back == data[:1000]}")
with socket.create_connection(("10.0.0.2", 19), timeout=5) as s:
    print("chargen says:", s.recv(74).decode().rstrip())
PY

say "The capture (what a Wireshark user would see: tcpdump -r on the --pcap file)"
kill -TERM "$PID"; wait "$PID" || true; PID=""
tcpdump -nn -r "$WORK/demo.pcap" 2>/dev/null | head -n 40
cp "$WORK/demo.pcap" /tmp/tundra-demo.pcap
echo "(kept as /tmp/tundra-demo.pcap: open it in Wireshark)"

say "tundra's counters at exit (also printed on SIGUSR1)"
sed -n '/^ipv4:/,$p' "$WORK/echo.log"

say "Done. Try: scripts/demo.sh --loss 0.3   or   --corrupt 0.2   or   --delay 50 --jitter 20"
