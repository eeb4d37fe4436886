#!/usr/bin/env bash
# The control socket of a busy tundra-httpd, read by tundra-ctl: while ab -k -c 20 and slow curl
# downloads keep connections alive, `connections --json` is asked 30 times and every answer is
# checked with python3 (valid JSON, each row consistent, enough ESTABLISHED rows); the text form,
# the listeners and the counters (which grow) too. Then hostile clients on the socket (garbage,
# a 100 KiB line, NULs, a silent client, 64 idle clients at once, clients leaving mid-answer):
# each gets its error, and the server, tundra-httpd and its HTTP service carry on. The socket is
# mode 0600 and gone after tundra-httpd exits.
source "$(dirname "$0")/lib.sh"
interop_init ctl "$@"

ROOT="$WORK/root"
mkdir -p "$ROOT"
head -c 4096 /dev/urandom >"$ROOT/page.bin"
head -c $((20 << 20)) /dev/urandom >"$ROOT/big.bin"
SOCK="$WORK/ctl.sock"
CTL=("$BIN/tundra-ctl" --timeout 10)
start_tundra tundra-httpd --tun tun0 --root "$ROOT" --access-log none --idle-timeout 60 \
  --control "$SOCK"
URL=http://10.0.0.2
t0=$SECONDS

[ -S "$SOCK" ] || fail "no socket at $SOCK"
mode=$(stat -c %a "$SOCK")
[ "$mode" = 600 ] || fail "socket mode $mode, want 600"
pass "control socket at $SOCK, mode 0600"

"${CTL[@]}" "$SOCK" stats --json >"$WORK/stats-before.json" || fail "stats --json"

# --- traffic: slow downloads that stay connected, and ab with 20 keep-alive clients. (The kernel's
#     receive buffer takes the first few MiB at once, so a download stays connected on tundra's
#     side only while more than that is left: 20 MiB at 1 MiB/s lasts about 14 s there.) ---
SLOW=()
for i in 1 2 3 4; do
  bg_ns curl -sS --max-time 120 --limit-rate 1M -o "$WORK/slow$i.bin" "$URL/big.bin" \
    >"$WORK/slow$i.log" 2>&1
  SLOW+=("$BG_PID")
done
bg_ns timeout 60 ab -q -k -c 20 -t 8 -n 10000000 -s 30 "$URL/page.bin" >"$WORK/ab.out" 2>&1
AB_PID=$BG_PID

# --- 30 snapshots while it runs ---
for i in $(seq 30); do
  "${CTL[@]}" "$SOCK" connections --json >"$WORK/conns.$i.json" || fail "connections --json ($i)"
  sleep 0.15
done
"${CTL[@]}" "$SOCK" listeners --json >"$WORK/listeners.json" || fail "listeners --json"

python3 - "$WORK" <<'EOF' || fail "connections --json answers"
import json, sys
work = sys.argv[1]
states = {"CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
          "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}
ints = ["id", "iss", "snd_una_rel", "snd_nxt_rel", "snd_wnd", "rcv_wnd", "mss", "cwnd",
        "rttvar_us", "rto_us", "inflight", "retransmits", "send_queued", "recv_queued", "age_us"]
most = 0
rows_seen = 0
for i in range(1, 31):
    rows = json.load(open(f"{work}/conns.{i}.json"))
    assert isinstance(rows, list), f"answer {i} is not an array"
    est = 0
    for r in rows:
        rows_seen += 1
        assert r["state"] in states, r
        for k in ints:
            assert isinstance(r[k], int) and not isinstance(r[k], bool) and r[k] >= 0, (k, r)
        # snd.una <= snd.nxt, modulo 2^32 like the sequence space; in flight is the difference.
        diff = (r["snd_nxt_rel"] - r["snd_una_rel"]) % (1 << 32)
        assert diff < (1 << 31), ("snd.una after snd.nxt", r)
        assert r["inflight"] == diff, ("inflight", r)
        assert r["ssthresh"] is None or isinstance(r["ssthresh"], int), r
        assert r["srtt_us"] is None or isinstance(r["srtt_us"], int), r
        assert (r["irs"] is None) == (r["rcv_nxt_rel"] is None), r
        assert r["local_addr"] == "10.0.0.2" and r["local_port"] == 80, r
        assert r["remote_addr"] == "10.0.0.1", r
        assert isinstance(r["sack"], bool) and isinstance(r["timestamps"], bool), r
        assert r["timer"] in ("idle", "retransmit", "probe", "reorder", "persist", "time-wait"), r
        if r["state"] == "ESTABLISHED":
            est += 1
            assert r["srtt_us"] is not None and r["mss"] > 0 and r["cwnd"] > 0, r
            assert r["rcv_nxt_rel"] >= 1 and r["snd_una_rel"] >= 1, r  # the SYNs
    most = max(most, est)
assert most >= 20, f"at most {most} ESTABLISHED rows in one answer, want >= 20"
ls = json.load(open(f"{work}/listeners.json"))
assert any(l["local_port"] == 80 and l["backlog"] > 0 for l in ls), ls
print(f"30 answers, {rows_seen} rows, all consistent; up to {most} ESTABLISHED at once; "
      f"listener on port 80")
EOF
pass "connections --json x30 during traffic: valid and consistent; listener row for port 80"

wait "$AB_PID" || fail "ab: $(tail -n 3 "$WORK/ab.out")"
grep -q "^Failed requests: *0$" "$WORK/ab.out" || fail "ab: $(grep -A3 'Failed' "$WORK/ab.out")"
echo "ab: $(grep -E '^(Complete requests|Requests per second)' "$WORK/ab.out" | tr -s ' ' | paste -sd ';')"

# --- text form: a header, then a row per connection (compared with the JSON taken right after;
#     retried a few times in case a connection came or went between the two) ---
ok=
for _ in $(seq 10); do
  "${CTL[@]}" "$SOCK" connections >"$WORK/conns.txt" || fail "connections (text)"
  "${CTL[@]}" "$SOCK" connections --json >"$WORK/conns.json" || fail "connections --json"
  n_json=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/conns.json")
  n_text=$(($(wc -l <"$WORK/conns.txt") - 1))
  if [ "$n_text" = "$n_json" ]; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || fail "text has $n_text rows, JSON $n_json"
[ "$n_text" -ge 1 ] || fail "no connection in the text form while the slow downloads run"
head -n 1 "$WORK/conns.txt" | grep -qE '^State +Local +Remote +Una-ISS +Nxt-ISS +RcvNxt-IRS' ||
  fail "text header: $(head -n 1 "$WORK/conns.txt")"
tail -n +2 "$WORK/conns.txt" | grep -qvE '^[A-Z12-]+ +10\.0\.0\.2:80 +10\.0\.0\.1:[0-9]+ ' &&
  fail "a text row is not a connection: $(tail -n +2 "$WORK/conns.txt" | head -n 3)"
"${CTL[@]}" "$SOCK" listeners | grep -qE '^0\.0\.0\.0:80 ' || fail "listeners (text)"
pass "text: header and $n_text rows, as many as the JSON has"

# --- counters grow ---
"${CTL[@]}" "$SOCK" stats --json >"$WORK/stats-after.json" || fail "stats --json"
"${CTL[@]}" "$SOCK" stats >"$WORK/stats.txt" || fail "stats"
grep -q "^tcp:" "$WORK/stats.txt" || fail "stats text has no tcp group"
python3 - "$WORK/stats-before.json" "$WORK/stats-after.json" <<'EOF' || fail "stats"
import json, sys
def tcp(path):
    groups = json.load(open(path))
    g = [g for g in groups if g["group"] == "tcp"]
    assert g, [g["group"] for g in groups]
    return {c["name"]: c["value"] for c in g[0]["counters"]}
a, b = tcp(sys.argv[1]), tcp(sys.argv[2])
for name in ("segments received", "segments sent", "passive connection openings"):
    assert b[name] > a[name], (name, a[name], b[name])
print(f"segments received {a['segments received']} -> {b['segments received']}, "
      f"passive openings {a['passive connection openings']} -> {b['passive connection openings']}")
EOF
pass "stats: TCP counters grow"

# --- hostile clients ---
python3 - "$SOCK" <<'EOF' || fail "hostile clients"
import socket, sys, time
path = sys.argv[1]

def dial():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s

def read_all(s):
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode(errors="replace")

def ask(data):
    s = dial()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before we were done: the answer is still there to read
    return read_all(s)

def good(deadline_s=10):
    """A good request answered, while the server may still be full (bounded retries)."""
    end = time.monotonic() + deadline_s
    while True:
        a = ask(b"listeners --json\n")
        if a.startswith("[") or time.monotonic() > end:
            assert a.startswith("["), a
            return
        time.sleep(0.05)

def expect(data, want):
    a = ask(data)
    assert a.startswith(want), (data[:40], a)
    good()

expect(b"hello world\n", "error: unknown command 'hello' (try help)")
expect(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "error: request contains binary bytes")
expect(b"a" * (100 * 1024) + b"\n", "error: request line longer than 1024 bytes")
expect(b"stats\x00\x00\x00\n", "error: request contains binary bytes")
expect(b"connections --json --xml\n", "error: unknown option '--xml'")

# Clients that leave at once, or right after asking (the server's send meets EPIPE).
for i in range(50):
    s = dial()
    if i % 2:
        s.sendall(b"stats\n")
    s.close()
good()

# A silent client is closed after about 2 s; meanwhile another is served at once.
idle = dial()
t0 = time.monotonic()
s = dial(); s.sendall(b"help\n"); assert read_all(s).startswith("One request"), "help"
assert time.monotonic() - t0 < 1.5, "served late while a client idled"
a = read_all(idle)
waited = time.monotonic() - t0
assert a.startswith("error: no request within"), a
assert 1.5 <= waited <= 6, waited

# 64 idle clients at once: some are over the limit and told so; the server still answers.
clients = [dial() for _ in range(64)]
refused = 0
for c in clients:
    c.settimeout(0.5)
    try:
        data = c.recv(200)
        if data.startswith(b"error: too many clients"):
            refused += 1
    except socket.timeout:
        pass
assert refused > 0, "no client over the limit was refused"
for c in clients:
    c.close()
good()
print(f"garbage, TLS bytes, 100 KiB line, NULs, unknown option: errors; 50 early leavers; "
      f"a silent client closed after {waited:.1f} s; 64 idle clients: {refused} refused")
EOF
pass "hostile clients get errors; the control server still answers"

kill -0 "$TUNDRA_PID" 2>/dev/null || fail "tundra-httpd died"
in_ns curl -sS --max-time 30 -o "$WORK/page.out" "$URL/page.bin" || fail "curl after the hostile clients"
cmp -s "$WORK/page.out" "$ROOT/page.bin" || fail "page differs"
"${CTL[@]}" "$SOCK" connections >/dev/null || fail "tundra-ctl after the hostile clients"
for i in "${!SLOW[@]}"; do
  wait "${SLOW[$i]}" || fail "slow curl $((i + 1)): $(cat "$WORK/slow$((i + 1)).log")"
  cmp -s "$WORK/slow$((i + 1)).bin" "$ROOT/big.bin" || fail "slow download $((i + 1)) differs"
done
pass "tundra-httpd alive and serving; the slow downloads arrived byte-exact"

stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-httpd exited with $STOP_RC"
[ -e "$SOCK" ] && fail "the socket file is still there after exit"
pass "socket removed at exit (whole test: $((SECONDS - t0)) s)"
