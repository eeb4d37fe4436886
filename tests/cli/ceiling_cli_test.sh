#!/usr/bin/env bash
# tundra-ceiling's command line: bad arguments get one line "tundra-ceiling: error: ..." on stderr
# and exit 2 before any device is made; --help and --version exit 0. As root, also a small working
# check in a namespace of its own: 8 MiB to the discard port and 8 MiB from the source port, plain
# and with --offload, byte counts asserted, no checksum errors in the kernel, the ceiling stopped by
# PID with exit 0 and its device gone. Not root: that part is skipped (and says so).
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
CEILING=$BIN/tundra-ceiling
# A device name nobody uses: were an argument wrongly accepted, the ceiling would create it, which
# the end of the test checks for.
DEV="ceilcli$$"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
check_bad() {
  local expect=$1; shift
  local err rc lines
  err=$(timeout 10 "$CEILING" --tun "$DEV" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "^tundra-ceiling: error: .*$expect" <<<"$err"; then
    fail "tundra-ceiling $* -> exit $rc, $lines lines: $err"
  else
    echo "ok: tundra-ceiling $* -> $err"
  fi
}
check_bad "--addr: '10.0.0.300' is not a host address" --addr 10.0.0.300
check_bad "--addr: 'nonsense'" --addr nonsense
check_bad "--addr: '224.0.0.1'" --addr 224.0.0.1
check_bad "--addr: 10.0.1.2 is not a host on --host-addr's network 10.0.0.0/24" --addr 10.0.1.2
check_bad "--addr: 10.0.0.255 is not a host" --addr 10.0.0.255
check_bad "must differ" --addr 10.0.0.1
check_bad "--host-addr: '10.0.0.1'" --host-addr 10.0.0.1
check_bad "--host-addr: '10.0.0.1/31'" --host-addr 10.0.0.1/31
check_bad "--host-addr: 'x/24'" --host-addr x/24
check_bad "--mtu" --mtu 100
check_bad "--mtu" --mtu 70000
check_bad "--mtu" --mtu lots
check_bad "--ack-every" --ack-every 0
check_bad "--ack-every" --ack-every 1001
check_bad "--spin" --spin -1
check_bad "--spin" --spin 20000
check_bad "--log-level" --log-level chatty
check_bad "--no-such-option" --no-such-option
check_bad "" extra-argument
check_bad "--offload" --offload=maybe

help=$("$CEILING" --help 2>&1); rc=$?
if [ $rc -ne 0 ]; then
  fail "--help exit $rc"
else
  for want in --tun --addr --host-addr --mtu --offload --ack-every --spin --log-level "port 9" \
      "port 19" "Ctrl-C stops" "Exit codes"; do
    grep -q -- "$want" <<<"$help" || fail "--help lacks '$want'"
  done
  echo "ok: --help lists the options and what the program answers"
fi
"$CEILING" --version | grep -qE '^[0-9]+\.[0-9]+' || fail "--version"
if command -v ip >/dev/null && ip link show "$DEV" >/dev/null 2>&1; then
  fail "device $DEV exists: a bad command line made it"
fi

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v python3 >/dev/null; then
  echo "skip: the transfers need root, /dev/net/tun and python3"
else
  NS="ceiling-cli-$$-$RANDOM"
  WORK=$(mktemp -d /tmp/ceiling-cli.XXXXXX)
  PID=""
  cleanup() {
    if [ -n "$PID" ]; then
      kill -TERM "$PID" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$PID" 2>/dev/null
    fi
    ip netns del "$NS" 2>/dev/null
    rm -rf "$WORK"
  }
  trap cleanup EXIT
  ip netns add "$NS"
  ip -n "$NS" link set lo up

  # send: N bytes to the discard port, then SHUT_WR and wait for the FIN; recv: N bytes from the
  # source port. Prints the bytes moved. refused: whether a connection to the port is refused; full:
# the same after opening n connections and holding them.
  cat >"$WORK/client.py" <<'PY'
import socket, sys
mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == "refused":
    try:
        socket.create_connection(("10.0.0.2", port), timeout=5)
        print("connected")
    except ConnectionRefusedError:
        print("refused")
    sys.exit(0)
if mode == "full":  # n connections held open, then one more
    held = [socket.create_connection(("10.0.0.2", port), timeout=5) for _ in range(n)]
    try:
        socket.create_connection(("10.0.0.2", port), timeout=5)
        print("connected")
    except ConnectionRefusedError:
        print("refused")
    for s in held:
        s.close()
    sys.exit(0)
with socket.create_connection(("10.0.0.2", port), timeout=10) as s:
    moved = 0
    if mode == "send":
        block = bytes(1 << 20)
        while moved < n:
            s.sendall(block[: min(len(block), n - moved)])
            moved += min(len(block), n - moved)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    else:
        while moved < n:
            b = s.recv(min(n - moved, 1 << 20))
            if not b:
                break
            moved += len(b)
print(moved)
PY

  N=$((8 << 20))
  for mode in plain offload; do
    flags=()
    [ $mode = offload ] && flags=(--offload)
    log=$WORK/ceiling-$mode.log
    ip netns exec "$NS" timeout 60 "$CEILING" --tun tun0 "${flags[@]}" >"$log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do grep -q "Ctrl-C stops" "$log" && break; sleep 0.05; done
    if ! grep -q "Ctrl-C stops" "$log"; then
      fail "$mode: the ceiling did not start: $(cat "$log")"
      kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""
      continue
    fi
    sent=$(timeout 20 ip netns exec "$NS" python3 "$WORK/client.py" send 9 $N 2>&1)
    [ "$sent" = $N ] && echo "ok: $mode: $N bytes to port 9" || fail "$mode: send to port 9: $sent"
    got=$(timeout 20 ip netns exec "$NS" python3 "$WORK/client.py" recv 19 $N 2>&1)
    [ "$got" = $N ] && echo "ok: $mode: $N bytes from port 19" || fail "$mode: recv from port 19: $got"
    refused=$(timeout 10 ip netns exec "$NS" python3 "$WORK/client.py" refused 7 0 2>&1)
    [ "$refused" = refused ] && echo "ok: $mode: port 7 refused" || fail "$mode: port 7: $refused"
    conns=2 refusals=1
    if [ $mode = plain ]; then
      conns=66 refusals=2
      # 64 connections fill the table; the 65th SYN is answered with a reset.
      full=$(timeout 20 ip netns exec "$NS" python3 "$WORK/client.py" full 9 64 2>&1)
      [ "$full" = refused ] && echo "ok: $mode: the 65th connection refused" || fail "$mode: 65th connection: $full"
    fi
    csum=$(ip netns exec "$NS" nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/ { print $2 }')
    [ "${csum:-0}" = 0 ] || fail "$mode: the kernel counted $csum TCP checksum errors"
    kill -TERM "$PID"
    rc=0
    wait "$PID" || rc=$?
    PID=""
    [ $rc = 0 ] || fail "$mode: exit $rc after SIGTERM: $(tail -n 3 "$log")"
    summary=$(tail -n 1 "$log")
    # Every byte sent to port 9 was taken in order; the source sent at least what was read; GSO
    # super-segments both ways with --offload, none without.
    supers=$(sed -nE 's/.*; super-segments ([0-9]+) in, ([0-9]+) out;.*/\1 \2/p' <<<"$summary")
    if [ $mode = offload ]; then supers_ok=$(awk '{ print ($1 > 0 && $2 > 0) }' <<<"$supers"); else
      supers_ok=$([ "$supers" = "0 0" ] && echo 1 || echo 0); fi
    if grep -qE "^tundra-ceiling: in [0-9]+ segments [0-9]+ bytes \($N payload\), out [0-9]+ segments [0-9]+ bytes \([0-9]+ payload\); super-segments [0-9]+ in, [0-9]+ out; $conns connections, $refusals refused" <<<"$summary" &&
      [ "$(sed -nE 's/.*, out [0-9]+ segments [0-9]+ bytes \(([0-9]+) payload.*/\1/p' <<<"$summary")" -ge $N ] &&
      [ "$supers_ok" = 1 ] && grep -q " 0 malformed" <<<"$summary"; then
      echo "ok: $mode: summary $summary"
    else
      fail "$mode: summary: $summary"
    fi
    ip -n "$NS" link show tun0 >/dev/null 2>&1 && fail "$mode: tun0 is still there after exit"
  done

  # A device that exists already is not taken over: one line, exit 1.
  ip netns exec "$NS" ip tuntap add dev tun0 mode tun
  err=$(ip netns exec "$NS" timeout 10 "$CEILING" --tun tun0 2>&1); rc=$?
  if [ $rc = 1 ] && [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] && grep -q "exists already" <<<"$err"; then
    echo "ok: an existing device -> $err"
  else
    fail "existing device: exit $rc: $err"
  fi
fi

[ $failures -eq 0 ] && echo "PASS ceiling_cli" || { echo "FAIL ceiling_cli: $failures"; exit 1; }
