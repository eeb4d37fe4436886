#!/usr/bin/env bash
# TCP with tundra as the client and the kernel as the server: 64 MiB each way at once between
# tundra-bulk and a python server, checked by SHA-256 on both ends; and the three ways a client's
# connection fails — refused (RST to our SYN), reset (RST mid-transfer), timed out (SYNs unanswered)
# — each seen by tundra-bulk with its errno and exit code. Last, tundra-bulk listen takes two kernel
# clients one after the other.
source "$(dirname "$0")/lib.sh"
interop_init tcp_client "$@"

# Starts a python TCP server (the script on stdin) in the namespace on 10.0.0.1:$1, logging to
# $WORK/$2.log; records its PID and waits (bounded) until the port is listening. The device comes
# from tundra, so the address exists only once a tundra program has made tun0: the servers bind
# with IP_FREEBIND.
start_server() {
  local port=$1 name=$2
  local script="$WORK/$name.py"
  cat >"$script"
  bg_ns timeout 120 python3 "$script" "$port" >"$WORK/$name.log" 2>&1
  SERVER_PID=$BG_PID
  local deadline=$((SECONDS + 10))
  until in_ns ss -Hltn "sport = :$port" | grep -q LISTEN; do
    [ $SECONDS -lt $deadline ] || fail "$name server did not listen: $(cat "$WORK/$name.log")"
    kill -0 "$SERVER_PID" 2>/dev/null || fail "$name server died: $(cat "$WORK/$name.log")"
    sleep 0.05
  done
}

# Runs tundra-bulk in the namespace (it makes tun0 for the time it runs); output in $WORK/bulk.log,
# exit code in BULK_RC. Bounded by timeout.
run_bulk() {
  BULK_RC=0
  in_ns timeout 120 "$BIN/tundra-bulk" --tun tun0 "$@" >"$WORK/bulk.out" 2>"$WORK/bulk.log" ||
    BULK_RC=$?
}

SIZE=$((64 << 20))

# 1. A kernel server receives 64 MiB from tundra and sends 64 MiB back, at the same time.
start_server 5001 duplex <<'PY'
import hashlib, os, socket, sys, threading
port, size = int(sys.argv[1]), 64 << 20
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: 10.0.0.1 appears when tundra makes tun0
srv.bind(("10.0.0.1", port))
srv.listen(1)
srv.settimeout(60)
conn, _ = srv.accept()
conn.settimeout(60)
sent = hashlib.sha256()
def send():
    left = size
    while left:
        block = os.urandom(min(left, 1 << 20))
        sent.update(block)
        conn.sendall(block)
        left -= len(block)
    conn.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got, n = hashlib.sha256(), 0
while True:
    b = conn.recv(1 << 20)
    if not b:
        break
    got.update(b)
    n += len(b)
t.join(60)
print(f"received {n} sha256 {got.hexdigest()}")
print(f"sent {size} sha256 {sent.hexdigest()}")
conn.close()
PY
run_bulk connect 10.0.0.1 5001 --send 64MiB --receive --seed 7
[ "$BULK_RC" = 0 ] || fail "tundra-bulk exited $BULK_RC: $(head -n 5 "$WORK/bulk.log")"
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "python server did not finish"
wait "$SERVER_PID" || fail "python server failed: $(cat "$WORK/duplex.log")"
cat "$WORK/bulk.out"
py_recv=$(sed -nE 's/^received ([0-9]+) sha256 ([0-9a-f]+)$/\1 \2/p' "$WORK/duplex.log")
py_sent=$(sed -nE 's/^sent ([0-9]+) sha256 ([0-9a-f]+)$/\1 \2/p' "$WORK/duplex.log")
tb_sent=$(sed -nE 's/^sent ([0-9]+) bytes in .* sha256 ([0-9a-f]+)$/\1 \2/p' "$WORK/bulk.out")
tb_recv=$(sed -nE 's/^received ([0-9]+) bytes in .* sha256 ([0-9a-f]+)$/\1 \2/p' "$WORK/bulk.out")
[ -n "$tb_sent" ] && [ "$tb_sent" = "$py_recv" ] ||
  fail "tundra sent '$tb_sent', the kernel side received '$py_recv'"
[ -n "$tb_recv" ] && [ "$tb_recv" = "$py_sent" ] ||
  fail "the kernel side sent '$py_sent', tundra received '$tb_recv'"
[ "${tb_sent%% *}" = "$SIZE" ] || fail "tundra sent ${tb_sent%% *} bytes, not $SIZE"
pass "64 MiB each way at once, SHA-256 equal on both ends"

# 2. Nobody listens: the kernel answers our SYN with RST.
run_bulk connect 10.0.0.1 5999 --send 1M
[ "$BULK_RC" = 3 ] || fail "refused: exit $BULK_RC, expected 3: $(head -n 3 "$WORK/bulk.log")"
grep -q "connect 10.0.0.1:5999: ECONNREFUSED (Connection refused)" "$WORK/bulk.log" ||
  fail "refused: no ECONNREFUSED line: $(head -n 3 "$WORK/bulk.log")"
pass "closed port: exit 3, ECONNREFUSED"

# 3. The server accepts, takes a little, then aborts with SO_LINGER {1, 0}: RST mid-transfer.
start_server 5002 reset <<'PY'
import socket, struct, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
srv.bind(("10.0.0.1", int(sys.argv[1])))
srv.listen(1)
srv.settimeout(60)
conn, _ = srv.accept()
conn.settimeout(60)
got = 0
while got < 1 << 20:  # the transfer is under way
    b = conn.recv(65536)
    if not b:
        sys.exit("the client finished before the reset")
    got += len(b)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
print(f"reset after {got} bytes")
PY
run_bulk connect 10.0.0.1 5002 --send 64MiB --receive
[ "$BULK_RC" = 5 ] || fail "reset: exit $BULK_RC, expected 5: $(head -n 3 "$WORK/bulk.log")"
grep -q "ECONNRESET (Connection reset by peer)" "$WORK/bulk.log" ||
  fail "reset: no ECONNRESET line: $(head -n 3 "$WORK/bulk.log")"
wait "$SERVER_PID" || fail "reset server failed: $(cat "$WORK/reset.log")"
pass "reset mid-transfer: exit 5, $(grep -o 'ECONNRESET.*' "$WORK/bulk.log" | head -n 1)"

# 4. 10.0.0.77 is on the link but nobody has it: the kernel, not a router here, drops our SYNs.
# Two retries at 1 s and 2 s, then 4 s more for the last: ETIMEDOUT after about 7 s.
start=$SECONDS
run_bulk connect 10.0.0.77 5003 --syn-retries 2 --max-time 60
took=$((SECONDS - start))
[ "$BULK_RC" = 4 ] || fail "time-out: exit $BULK_RC, expected 4: $(head -n 3 "$WORK/bulk.log")"
grep -q "connect 10.0.0.77:5003: ETIMEDOUT (Connection timed out)" "$WORK/bulk.log" ||
  fail "time-out: no ETIMEDOUT from connect: $(head -n 3 "$WORK/bulk.log")"
[ $took -ge 6 ] && [ $took -le 12 ] || fail "time-out after ${took} s, expected about 7"
pass "unanswered SYNs, --syn-retries 2: exit 4, ETIMEDOUT after ${took} s"

# 5. --max-time cuts a connection attempt short with the same exit code.
run_bulk connect 10.0.0.77 5003 --max-time 1
[ "$BULK_RC" = 4 ] || fail "--max-time: exit $BULK_RC, expected 4"
grep -q -- "--max-time 1 s ran out: ETIMEDOUT" "$WORK/bulk.log" || fail "--max-time: no message"
pass "--max-time 1: exit 4"

# 6. tundra-bulk listen: two kernel clients in turn, each sending 1 MiB and reading 1 MiB back.
start_tundra tundra-bulk --tun tun0 listen 5004 --count 2 --send 1MiB --receive --seed 3
in_ns timeout 60 python3 - >"$WORK/clients.log" 2>&1 <<'PY' || fail "kernel clients: $(cat "$WORK/clients.log")"
import hashlib, os, socket, threading
for i in range(2):
    with socket.create_connection(("10.0.0.2", 5004), timeout=10) as s:
        data = os.urandom(1 << 20)
        t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
        t.start()
        got = hashlib.sha256(); n = 0
        while b := s.recv(65536):
            got.update(b); n += len(b)
        t.join(10)
        print(f"client {i} sent {len(data)} sha256 {hashlib.sha256(data).hexdigest()}")
        print(f"client {i} received {n} sha256 {got.hexdigest()}")
PY
for _ in $(seq 100); do kill -0 "$TUNDRA_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$TUNDRA_PID" 2>/dev/null && fail "tundra-bulk listen did not exit after two connections"
wait "$TUNDRA_PID" || fail "tundra-bulk listen exited $?: $(head -n 5 "$TUNDRA_LOG")"
for i in 0 1; do
  c_sent=$(sed -nE "s/^client $i sent ([0-9]+) sha256 ([0-9a-f]+)\$/\1 \2/p" "$WORK/clients.log")
  c_recv=$(sed -nE "s/^client $i received ([0-9]+) sha256 ([0-9a-f]+)\$/\1 \2/p" "$WORK/clients.log")
  t_recv=$(sed -nE 's/^received ([0-9]+) bytes in .* sha256 ([0-9a-f]+)$/\1 \2/p' "$TUNDRA_LOG" |
    sed -n "$((i + 1))p")
  t_sent=$(sed -nE 's/^sent ([0-9]+) bytes in .* sha256 ([0-9a-f]+)$/\1 \2/p' "$TUNDRA_LOG" |
    sed -n "$((i + 1))p")
  [ -n "$c_sent" ] && [ "$c_sent" = "$t_recv" ] || fail "client $i sent '$c_sent', tundra got '$t_recv'"
  [ -n "$t_sent" ] && [ "$t_sent" = "$c_recv" ] || fail "tundra sent '$t_sent', client $i got '$c_recv'"
done
pass "listen --count 2: both connections' bytes match both ways, then exit 0"
