#!/usr/bin/env bash
# lwip-tun (bench/lwip: lwIP over TUN, the benchmarks' reference), when it was built: bad arguments
# get one line "lwip-tun: error: ..." on stderr and exit 2 before any device is opened; --help lists
# the options. As root, in a namespace of its own: 8 MiB to the discard port and 8 MiB from the
# source port, the byte counts checked on both sides, then the server stopped by its PID (exit 0).
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
LWIP=$BIN/lwip-tun
if [ ! -x "$LWIP" ]; then
  echo "skipped: $LWIP not built (needs liblwip-dev and pkg-config)"
  exit 0
fi
DEV="lwipcli$$"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

check_bad() {
  local expect=$1; shift
  local err rc lines
  err=$(timeout 10 "$LWIP" --tun "$DEV" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "^lwip-tun: error: .*$expect" <<<"$err"; then
    fail "lwip-tun $* -> exit $rc, $lines lines: $err"
  else
    echo "ok: lwip-tun $* -> $err"
  fi
}
check_bad "--mtu: '100' is not in" --mtu 100
check_bad "--mtu: '70000' is not in" --mtu 70000
check_bad "--mtu: 'big' is not in" --mtu big
check_bad "--mtu needs a value" --mtu
check_bad "--addr: '10.0.0' is not an IPv4 address" --addr 10.0.0
check_bad "--host-addr: '10.0.0.1' is not ADDRESS/PREFIX" --host-addr 10.0.0.1
check_bad "--host-addr: prefix '33' is not in" --host-addr 10.0.0.1/33
check_bad "--host-addr: 'host' is not an IPv4 address" --host-addr host/24
check_bad "not in the --host-addr subnet" --addr 10.1.0.2
check_bad "are the same address" --addr 10.0.0.1
check_bad "--input: 'fast' is not lock or mbox" --input fast
check_bad "unknown option --no-such-option" --no-such-option
check_bad "unexpected argument 'extra'" extra
err=$(timeout 10 "$LWIP" --tun "a/b" 2>&1 >/dev/null); rc=$?
{ [ $rc -eq 2 ] && grep -q "^lwip-tun: error: --tun: 'a/b'" <<<"$err"; } || fail "--tun a/b -> exit $rc: $err"

help=$(timeout 10 "$LWIP" --help 2>&1); rc=$?
if [ $rc -ne 0 ]; then
  fail "--help exit $rc"
else
  for want in --tun --addr --host-addr --mtu --input "Exit codes"; do
    grep -q -- "$want" <<<"$help" || fail "--help lacks '$want'"
  done
  echo "ok: --help lists the options"
fi
if command -v ip >/dev/null && ip link show "$DEV" >/dev/null 2>&1; then
  fail "device $DEV exists: a bad command line opened it"
fi

# Functional: root only, in a namespace of our own, everything bounded.
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
  echo "skipped: the transfer check (needs root, /dev/net/tun, ip and python3)"
else
  NS="lwip-cli-$$"
  PID=""
  LOG=$(mktemp)
  cleanup() {
    if [ -n "$PID" ]; then kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    ip netns del "$NS" 2>/dev/null
    rm -f "$LOG"
  }
  trap cleanup EXIT
  ip netns add "$NS" && ip -n "$NS" link set lo up
  ip netns exec "$NS" "$LWIP" --tun tun0 --addr 10.0.0.2 --host-addr 10.0.0.1/24 >"$LOG" 2>&1 &
  PID=$!  # ip netns exec execs lwip-tun: this is its PID
  for _ in $(seq 100); do grep -q "Ctrl-C stops" "$LOG" && break; sleep 0.05; done
  if ! grep -q "Ctrl-C stops" "$LOG"; then
    fail "lwip-tun did not come up: $(cat "$LOG")"
  else
    echo "ok: $(head -1 "$LOG")"
    N=$((8 << 20))
    out=$(timeout 30 ip netns exec "$NS" python3 - "$N" <<'PY' 2>&1
import socket, sys
n = int(sys.argv[1])
block = bytes(range(256)) * 256  # 64 KiB
# Discard: send n bytes, half-close, the server closes after our FIN: nothing comes back.
with socket.create_connection(("10.0.0.2", 9), timeout=10) as s:
    left = n
    while left:
        k = min(left, len(block)); s.sendall(block[:k]); left -= k
    s.shutdown(socket.SHUT_WR)
    back = 0
    while True:
        b = s.recv(65536)
        if not b: break
        back += len(b)
print("discard", n, back)
# Source: read n bytes, then half-close: the server closes, after what it had queued.
with socket.create_connection(("10.0.0.2", 19), timeout=10) as s:
    got = 0
    while got < n:
        b = s.recv(min(n - got, 1 << 20))
        if not b: break
        got += len(b)
    print("source", got)
    s.shutdown(socket.SHUT_WR)
    tail = 0
    while True:
        b = s.recv(1 << 20)
        if not b: break
        tail += len(b)
    print("source-tail", tail)
PY
)
    echo "$out" | sed 's/^/  client: /'
    grep -qx "discard $N 0" <<<"$out" || fail "discard: expected 'discard $N 0' from the client"
    grep -qx "source $N" <<<"$out" || fail "source: expected 'source $N' from the client"
    # The server's own count for the discard connection, printed when it closed.
    for _ in $(seq 50); do grep -q "discard .*bytes received" "$LOG" && break; sleep 0.1; done
    grep -q "^lwip-tun: discard 10\.0\.0\.1:[0-9]*: $N bytes received, closed" "$LOG" \
      || fail "the server did not report $N bytes received: $(grep discard "$LOG")"
    # The source's count (bytes the client acknowledged) is at least what the client read.
    for _ in $(seq 50); do grep -q "source .*bytes sent" "$LOG" && break; sleep 0.1; done
    sent=$(sed -nE 's/^lwip-tun: source 10\.0\.0\.1:[0-9]+: ([0-9]+) bytes sent, closed$/\1/p' "$LOG")
    tail=$(sed -n 's/^source-tail //p' <<<"$out")
    { [ -n "$sent" ] && [ -n "$tail" ] && [ "$sent" -ge "$N" ] && [ "$sent" -le $((N + tail)) ]; } \
      || fail "source: the server reports '$sent' bytes sent (client read $N + $tail): $(grep source "$LOG")"
    if command -v ping >/dev/null; then
      timeout 10 ip netns exec "$NS" ping -q -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null \
        && echo "ok: ping 10.0.0.2" || fail "lwIP does not answer ping"
    fi
  fi
  # Stop by PID, bounded; exit 0 expected.
  kill -TERM "$PID" 2>/dev/null
  rc=""
  for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then
    fail "lwip-tun did not stop within 5 s of SIGTERM"
  else
    wait "$PID"; rc=$?; PID=""
    [ "$rc" = 0 ] && echo "ok: stopped by SIGTERM, exit 0" || fail "lwip-tun exit $rc after SIGTERM"
    grep -q "stopped by SIGTERM" "$LOG" || fail "no 'stopped' line: $(tail -2 "$LOG")"
  fi
  ip -n "$NS" link show tun0 >/dev/null 2>&1 && fail "tun0 remains after the server stopped"
fi

[ $failures -eq 0 ] && echo "PASS lwip_bench_cli" || { echo "FAIL lwip_bench_cli: $failures"; exit 1; }
