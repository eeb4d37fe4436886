#!/usr/bin/env bash
# tundra-rr against a kernel-side scripts/rr_server.py: (a) 20 requests on one connection, (b) a
# connection per request, the client closing first (so TIME-WAIT is on tundra's side, not the
# kernel's), (c) port exhaustion: 10 ephemeral ports held by TIME-WAIT make the 11th connect()
# fail with EADDRNOTAVAIL, exit 6, and the summary still printed, (d) Nagle: the medians with and
# without --nodelay for two small writes per request, reported, not judged (the labs do that).
source "$(dirname "$0")/lib.sh"
interop_init rr "$@"
SERVER=$(cd "$(dirname "$0")/../.." && pwd)/scripts/rr_server.py

# Starts rr_server.py in the namespace on 10.0.0.1:$1 with 200-byte requests and 100-byte
# responses (tundra-rr's defaults: 2 writes of 100 bytes), more arguments after; logs to
# $WORK/server-$1.log, sets SERVER_PID, waits (bounded) for its ready file.
start_server() {
  local port=$1; shift
  local ready="$WORK/ready-$port"
  bg_ns timeout 300 python3 "$SERVER" --bind 10.0.0.1 --port "$port" --request-size 200 \
    --response-size 100 --ready-file "$ready" "$@" >"$WORK/server-$port.log" 2>&1
  SERVER_PID=$BG_PID
  for _ in $(seq 200); do
    [ -f "$ready" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server on $port died: $(cat "$WORK/server-$port.log")"
    sleep 0.05
  done
  fail "server on $port not ready: $(cat "$WORK/server-$port.log")"
}

# Waits (at most 10 s) for a server started with --max-connections to exit by itself, with 0.
server_exits() {
  local pid=$1 port=$2
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "server on $port still runs: not every connection was closed"
  wait "$pid" || fail "server on $port exited $?: $(cat "$WORK/server-$port.log")"
}

# Runs tundra-rr in the namespace (it makes tun0 for the time it runs): stdout in $WORK/rr.out,
# stderr in $WORK/rr.log, exit code in RR_RC. Bounded by timeout.
run_rr() {
  RR_RC=0
  in_ns timeout 120 "$BIN/tundra-rr" --tun tun0 "$@" >"$WORK/rr.out" 2>"$WORK/rr.log" || RR_RC=$?
}

# The value of KEY in the key=value summary line.
kv() { grep -E '^requests=' "$WORK/rr.out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

expect_kv() {
  local key=$1 want=$2 got
  got=$(kv "$key")
  [ "$got" = "$want" ] || fail "$3: $key=$got, expected $want: $(cat "$WORK/rr.out" "$WORK/rr.log")"
}

# (a) Keep-alive: 20 requests on one connection; the server sees them all and the close.
start_server 7001 --max-connections 1
run_rr 10.0.0.1 7001 -v
[ "$RR_RC" = 0 ] || fail "keep-alive: exit $RR_RC: $(cat "$WORK/rr.log")"
expect_kv requests 20 keep-alive
expect_kv connections 1 keep-alive
expect_kv failed 0 keep-alive
[ "$(grep -cE '^request [0-9]+ conn 1 local 10\.0\.0\.2:[0-9]+ latency [0-9.]+ ms$' "$WORK/rr.out")" = 20 ] ||
  fail "keep-alive: not 20 -v lines: $(cat "$WORK/rr.out")"
grep -qE '^20 requests on 1 connection in [0-9.]+ s: latency min [0-9.]+ ms, median [0-9.]+ ms, p90 [0-9.]+ ms, max [0-9.]+ ms$' \
  "$WORK/rr.out" || fail "keep-alive: summary line: $(cat "$WORK/rr.out")"
server_exits "$SERVER_PID" 7001
grep -q "connection 1 from 10.0.0.2:[0-9]*: 20 requests, closed by the client" "$WORK/server-7001.log" ||
  fail "keep-alive: the server saw: $(cat "$WORK/server-7001.log")"
pass "keep-alive: 20 requests on 1 connection, median $(kv median_ms) ms; the server saw the close"

# (b) A connection per request: 20 connections, each closed by tundra first. The kernel closes
# second, so it keeps no TIME-WAIT entry for them.
start_server 7002 --max-connections 20
run_rr 10.0.0.1 7002 --per-connection 1 -v
[ "$RR_RC" = 0 ] || fail "per-connection: exit $RR_RC: $(cat "$WORK/rr.log")"
expect_kv requests 20 per-connection
expect_kv connections 20 per-connection
[ "$(grep -oE 'local 10\.0\.0\.2:[0-9]+' "$WORK/rr.out" | sort -u | wc -l)" = 20 ] ||
  fail "per-connection: not 20 distinct local ports: $(cat "$WORK/rr.out")"
server_exits "$SERVER_PID" 7002
[ "$(grep -c ': 1 requests, closed by the client' "$WORK/server-7002.log")" = 20 ] ||
  fail "per-connection: the server saw: $(cat "$WORK/server-7002.log")"
tw=$(in_ns ss -Htan state time-wait "( sport = :7002 )" | wc -l)
[ "$tw" = 0 ] || fail "per-connection: the kernel holds $tw TIME-WAIT entries: it closed first"
pass "connection per request: 20 connections, 20 local ports, the client closed first (kernel TIME-WAIT: 0), median $(kv median_ms) ms"

# (c) Port exhaustion: 10 local ports, each held 60 s in TIME-WAIT after its one request.
if "$BIN/tundra-rr" --help | grep -q -- --ephemeral-ports; then
  start_server 7003 --max-connections 10
  run_rr 10.0.0.1 7003 --ephemeral-ports 49152-49161 --time-wait 60 --per-connection 1 \
    --requests 30 -v
  [ "$RR_RC" = 6 ] || fail "exhaustion: exit $RR_RC, expected 6: $(cat "$WORK/rr.log")"
  grep -qxF "tundra-rr: connect 10.0.0.1:7003: EADDRNOTAVAIL (Cannot assign requested address) after 10 connections" \
    "$WORK/rr.log" || fail "exhaustion: no EADDRNOTAVAIL line: $(cat "$WORK/rr.log")"
  expect_kv requests 10 exhaustion
  expect_kv connections 10 exhaustion
  expect_kv failed 1 exhaustion
  expect_kv planned 30 exhaustion
  expect_kv exit 6 exhaustion
  grep -qE '^10 of 30 requests on 10 connections in ' "$WORK/rr.out" ||
    fail "exhaustion: summary line: $(cat "$WORK/rr.out")"
  ports=$(grep -oE 'local 10\.0\.0\.2:[0-9]+' "$WORK/rr.out" | cut -d: -f2 | sort -un)
  [ "$(wc -l <<<"$ports")" = 10 ] && [ "$(head -n 1 <<<"$ports")" = 49152 ] &&
    [ "$(tail -n 1 <<<"$ports")" = 49161 ] || fail "exhaustion: local ports used: $ports"
  server_exits "$SERVER_PID" 7003
  pass "port exhaustion: 49152-49161 held in TIME-WAIT, the 11th connect() EADDRNOTAVAIL, exit 6: $(grep -E '^10 of' "$WORK/rr.out")"
else
  echo "SKIP rr: port exhaustion case: this build has no --ephemeral-ports"
fi

# (d) Nagle's algorithm and the kernel's delayed ACK: two 100-byte writes per request, with and
# without TCP_NODELAY. Reported only: whether the second write stalls depends on timing.
start_server 7004
run_rr 10.0.0.1 7004 --requests 20
[ "$RR_RC" = 0 ] || fail "Nagle on: exit $RR_RC: $(cat "$WORK/rr.log")"
nagle=$(kv median_ms)
run_rr 10.0.0.1 7004 --requests 20 --nodelay
[ "$RR_RC" = 0 ] || fail "--nodelay: exit $RR_RC: $(cat "$WORK/rr.log")"
nodelay=$(kv median_ms)
stop_pid "$SERVER_PID"
pass "two 100-byte writes per request: median ${nagle} ms with Nagle, ${nodelay} ms with --nodelay"

# (e) How other runs end: refused (exit 3), a server that never answers cut off by --max-time
# (exit 4), a server that closes after part of a response (exit 7); each still prints a summary.
run_rr 10.0.0.1 7999 --requests 3
[ "$RR_RC" = 3 ] || fail "refused: exit $RR_RC, expected 3: $(cat "$WORK/rr.log")"
grep -qxF "tundra-rr: connect 10.0.0.1:7999: ECONNREFUSED (Connection refused)" "$WORK/rr.log" ||
  fail "refused: message: $(cat "$WORK/rr.log")"
expect_kv requests 0 refused
expect_kv exit 3 refused

start_server 7005 --request-size 1000  # waits for more than we send
run_rr 10.0.0.1 7005 --max-time 1
[ "$RR_RC" = 4 ] || fail "--max-time: exit $RR_RC, expected 4: $(cat "$WORK/rr.log")"
grep -q -- "--max-time 1 s ran out: ETIMEDOUT" "$WORK/rr.log" || fail "--max-time: message"
expect_kv failed 1 max-time
stop_pid "$SERVER_PID"

bg_ns timeout 60 python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_IP, 15, 1)
s.bind(("10.0.0.1", 7006)); s.listen(1)
open("'"$WORK"'/ready-7006", "w").close()
c, _ = s.accept()
got = 0
while got < 200:
    got += len(c.recv(200 - got))
c.sendall(b"r" * 40)
c.close()
' >"$WORK/server-7006.log" 2>&1
for _ in $(seq 200); do [ -f "$WORK/ready-7006" ] && break; sleep 0.05; done
run_rr 10.0.0.1 7006
[ "$RR_RC" = 7 ] || fail "short response: exit $RR_RC, expected 7: $(cat "$WORK/rr.log")"
grep -qxF "tundra-rr: recv 10.0.0.1:7006: the peer closed the connection after 40 of 100 response bytes in request 1 on connection 1" \
  "$WORK/rr.log" || fail "short response: message: $(cat "$WORK/rr.log")"
expect_kv exit 7 short-response
pass "refused: exit 3; no answer: --max-time exit 4; 40 of 100 response bytes then FIN: exit 7"
