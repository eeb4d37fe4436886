#!/usr/bin/env bash
# tundra-httpd against hostile and odd clients, over raw kernel sockets: malformed request line
# → 400, oversized field section → 431, long target → 414, HTTP/2.0 → 505, bad chunk size → 400,
# unknown method → 501; pipelining, bodies discarded in sync, Expect: 100-continue, HTTP/1.0
# keep-alive rules; a slow-loris client gets 408 around the header timeout while curl is served;
# a silent client is shed; a half-closed client still gets its answer; a client that stops
# reading is cut off by the send timeout; over --max-connections → 503; idle keep-alive is closed
# after --idle-timeout. The log names each case.
source "$(dirname "$0")/lib.sh"
interop_init httpd_hostile "$@"

ROOT="$WORK/root"
mkdir -p "$ROOT"
echo "hello" >"$ROOT/hello.txt"
head -c $((64 << 20)) /dev/zero >"$ROOT/big.bin"
start_tundra tundra-httpd --tun tun0 --root "$ROOT" --log-level info --access-log "$WORK/access.log" \
  --header-timeout 2 --idle-timeout 30 --send-timeout 2 --max-connections 40

in_ns timeout 240 python3 - "$(command -v curl)" <<'PY' || fail "hostile clients"
import socket, subprocess, sys, threading, time

CURL = sys.argv[1]
ADDR = ("10.0.0.2", 80)

def conn():
    s = socket.create_connection(ADDR, timeout=20)
    return s

def read_all(s, limit=20):
    """Reads until the server closes (bounded by the socket timeout)."""
    s.settimeout(limit)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b

def read_response(s, buf=b""):
    """One response: (status, head, body, rest)."""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            raise SystemExit(f"closed before a response head: {buf!r}")
        buf += b
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for l in lines[1:]:
        n, _, v = l.partition(":")
        if n.strip().lower() == "content-length":
            length = int(v)
    while len(rest) < length:
        b = s.recv(65536)
        if not b:
            raise SystemExit("closed inside a body")
        rest += b
    return status, lines, rest[:length], rest[length:]

def expect_status(name, raw, want, closes=True):
    s = conn()
    s.sendall(raw)
    data = read_all(s) if closes else s.recv(65536)
    s.close()
    got = data.split(b" ", 2)[1] if data.startswith(b"HTTP/1.1 ") else data[:60]
    if got != str(want).encode():
        raise SystemExit(f"{name}: expected {want}, got {data[:300]!r}")
    print(f"{name}: {want}", flush=True)

# --- over the connection limit (first, while nothing else is open) ---
held = []
for i in range(40):
    s = conn()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _, _, _ = read_response(s)
    if st != 200:
        raise SystemExit(f"connection {i}: {st}")
    held.append(s)
s = conn()
data = read_all(s)
if not data.startswith(b"HTTP/1.1 503 "):
    raise SystemExit(f"41st connection: {data[:100]!r}")
s.close()
print("41st connection over --max-connections 40: 503 and closed", flush=True)
for s in held:
    s.close()
# Wait (bounded) until the server has let the 40 go: a new connection gets served again.
deadline = time.monotonic() + 30
while True:
    s = conn()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_all(s)
    s.close()
    if data.startswith(b"HTTP/1.1 200 "):
        break
    if time.monotonic() > deadline:
        raise SystemExit("the server never freed the held connections")
    time.sleep(0.1)

# --- parser limits and errors ---
expect_status("malformed request line", b"GARBAGE\r\n\r\n", 400)
expect_status("request line with two spaces", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400)
big_fields = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(40))
expect_status("oversized header section", b"GET / HTTP/1.1\r\nHost: x\r\n" + big_fields + b"\r\n", 431)
expect_status("request target over the limit", b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
expect_status("HTTP/2.0 request line", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)
expect_status("bad chunk size", b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400)
expect_status("missing Host in HTTP/1.1", b"GET /hello.txt HTTP/1.1\r\n\r\n", 400)
expect_status("unknown method", b"BREW /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 501)
expect_status("body over --max-body", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413)

# --- pipelining and bodies kept in sync ---
s = conn()
s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
          b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nHELLO"
          b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
          b"HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
rest = b""
got = []
for i in range(6):
    if i == 3:  # HEAD: no body whatever Content-Length says
        while b"\r\n\r\n" not in rest:
            rest += s.recv(65536)
        head, _, rest = rest.partition(b"\r\n\r\n")
        got.append((int(head.split(b" ")[1]), b""))
        continue
    st, _, body, rest = read_response(s, rest)
    got.append((st, body))
tail = rest + read_all(s)
s.close()
want = [(200, b"hello\n"), (405, None), (405, None), (200, b""), (404, None), (200, b"hello\n")]
for (st, body), (wst, wbody) in zip(got, want):
    if st != wst or (wbody is not None and body != wbody):
        raise SystemExit(f"pipelined answers out of order or wrong: {got}")
if tail:
    raise SystemExit(f"bytes after Connection: close: {tail!r}")
print("6 pipelined requests (with Content-Length and chunked bodies): answered in order, then closed", flush=True)

# --- Expect: 100-continue ---
s = conn()
s.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
first = s.recv(65536)
if not first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
    raise SystemExit(f"Expect: 100-continue: {first!r}")
s.sendall(b"data")
st, _, _, rest = read_response(s, first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
if st != 405:
    raise SystemExit(f"after 100 Continue: {st}")
s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
st, _, body, _ = read_response(s, rest)
if st != 200 or body != b"hello\n":
    raise SystemExit(f"request after the continued body: {st} {body!r}")
s.close()
print("Expect: 100-continue: 100, then the final answer, and the connection stays in sync", flush=True)

# --- HTTP/1.0 ---
s = conn()
s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
data = read_all(s)
s.close()
if not data.startswith(b"HTTP/1.1 200") or not data.endswith(b"hello\n"):
    raise SystemExit(f"HTTP/1.0: {data!r}")
s = conn()
s.sendall(b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
st, lines, body, rest = read_response(s)
if "Connection: keep-alive" not in lines:
    raise SystemExit(f"HTTP/1.0 keep-alive: {lines}")
s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
st, _, body, rest = read_response(s, rest)
if st != 200 or read_all(s) != b"":
    raise SystemExit("HTTP/1.0 second request")
s.close()
print("HTTP/1.0: closes by default, keeps the connection with Connection: keep-alive", flush=True)

# --- half-close after the request ---
s = conn()
s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = read_all(s)
s.close()
if not data.startswith(b"HTTP/1.1 200") or not data.endswith(b"hello\n"):
    raise SystemExit(f"half-close: {data!r}")
print("half-close after the request: the full response, then close", flush=True)

# --- slow loris, with curl served meanwhile ---
curl_result = {}
def loris():
    s = conn()
    start = time.monotonic()
    req = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    data = b""
    try:
        for i in range(len(req)):
            s.sendall(req[i:i + 1])
            s.settimeout(1.0)
            try:
                data = s.recv(65536)
                break  # an answer (or the close) came
            except socket.timeout:
                continue
    except (BrokenPipeError, ConnectionResetError):
        pass
    took = time.monotonic() - start
    s.close()
    curl_result["loris"] = (data, took)

t = threading.Thread(target=loris)
t.start()
time.sleep(0.5)  # let the loris start (not synchronisation: curl must succeed either way)
out = subprocess.run([CURL, "-sS", "--max-time", "20", "http://10.0.0.2/hello.txt"], capture_output=True)
t.join(60)
if out.stdout != b"hello\n":
    raise SystemExit(f"curl during the slow loris: {out.stdout!r} {out.stderr!r}")
data, took = curl_result.get("loris", (b"", 0))
if not data.startswith(b"HTTP/1.1 408 "):
    raise SystemExit(f"slow loris: {data[:100]!r} after {took:.1f} s")
if not 1.5 <= took <= 10:
    raise SystemExit(f"slow loris cut after {took:.1f} s, header timeout is 2 s")
print(f"slow loris (1 byte/s): 408 after {took:.1f} s; curl meanwhile: 200", flush=True)

# --- silent client ---
s = conn()
start = time.monotonic()
data = read_all(s, 20)
took = time.monotonic() - start
s.close()
if data != b"" or not 1.5 <= took <= 10:
    raise SystemExit(f"silent client: {data!r} after {took:.1f} s")
print(f"silent client: closed after {took:.1f} s", flush=True)

PY
pass "400, 431, 414, 505, 501, 413, chunk errors, pipelining, 100-continue, HTTP/1.0, half-close, loris, silent, 503"

# A client that asks for 64 MiB and stops reading: once the server logs its send timeout, the
# client reads what is left and must find the stream cut short.
in_ns timeout 120 python3 - "$WORK/go" <<'PY' &
import os, socket, sys, time
go = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(30)
s.connect(("10.0.0.2", 80))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
print("stalled reader: waiting", flush=True)
deadline = time.monotonic() + 90
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.1)  # polling for the shell's go-ahead, bounded
total = 0
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        total += len(b)
except (ConnectionResetError, socket.timeout):
    pass
if total >= 64 << 20:
    raise SystemExit(f"the stalled reader got all {total} bytes: no send timeout")
print(f"stalled reader: cut off after {total} bytes", flush=True)
PY
reader=$!
wait_for_line "$TUNDRA_LOG" 60 "send timeout \(2 s\)" || fail "no send timeout for a stalled reader"
touch "$WORK/go"
wait "$reader" || fail "stalled reader"
pass "a client that stops reading is cut off by the send timeout"

L="$TUNDRA_LOG"
for what in "bad request: 400" "bad request: 431" "bad request: 414" "bad request: 505" \
  "header timeout \(2 s\): request head incomplete" "header timeout \(2 s\): connected and sent nothing" \
  "send timeout \(2 s\)" "over --max-connections \(40\): 503" "501 for \"BREW /hello.txt HTTP/1.1\""; do
  wait_for_line "$L" 10 "$what" || fail "the log does not name: $what"
done
pass "the server log names each case"
wait_for_line "$WORK/access.log" 10 '"-" 408 ' || fail "access log lacks the 408"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-httpd exited with $STOP_RC"
[ "$(counter "$L" "send timeouts \(peer not reading\)")" -ge 1 ] || fail "send timeout not counted"
pass "tundra-httpd stopped cleanly; counters: $(grep -E '^ +[0-9]+ (header timeouts|send timeouts|malformed)' "$L" | tr -s ' ' | tr '\n' ';')"

# Idle keep-alive connections are closed by the server after --idle-timeout (a fresh instance
# with a short one), and the log says so.
start_tundra tundra-httpd --tun tun0 --root "$ROOT" --log-level info --access-log none \
  --idle-timeout 1
in_ns timeout 60 python3 - <<'PY' || fail "idle keep-alive"
import socket, time
s = socket.create_connection(("10.0.0.2", 80), timeout=20)
s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while not data.endswith(b"hello\n"):
    data += s.recv(65536)
start = time.monotonic()
rest = s.recv(65536)  # blocks until the server closes the idle connection
took = time.monotonic() - start
if rest != b"" or not 0.5 <= took <= 15:
    raise SystemExit(f"idle keep-alive: {rest!r} after {took:.1f} s")
print(f"idle keep-alive connection closed by the server after {took:.1f} s", flush=True)
PY
wait_for_line "$TUNDRA_LOG" 10 "idle timeout \(1 s\)" || fail "the log does not name the idle timeout"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "second tundra-httpd exited with $STOP_RC"
[ "$(counter "$TUNDRA_LOG" "idle keep-alive timeouts")" = 1 ] || fail "idle timeout not counted"
pass "idle keep-alive connection closed after --idle-timeout, logged and counted"
