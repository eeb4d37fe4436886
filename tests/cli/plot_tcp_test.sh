#!/usr/bin/env bash
# scripts/plot-tcp and scripts/tundra_trace.py on a synthetic trace: the module parses it into the
# expected events, every plot comes out as PNG and SVG, --list lists the connections, and each bad
# input gives one line on stderr and exit 2. Needs python3-matplotlib; no root, network or
# binaries (the build directory argument is accepted and ignored).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PLOT=$ROOT/scripts/plot-tcp
export MPLBACKEND=Agg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# A realistic trace: tundra-httpd sends 40 kB (handshake, slow start over a few RTTs, a loss
# repaired by fast retransmit after 3 duplicate ACKs, a tail loss repaired by the RTO, FIN,
# TIME-WAIT), and tundra-fetch's short connection to another server alongside.
python3 - "$tmp/trace.csv" <<'PY'
# Writes a synthetic tundra TCP trace: an HTTP response sent by tundra (handshake, slow start,
# a loss repaired by fast retransmit after 3 dupacks, a tail loss repaired by RTO, FIN and
# TIME-WAIT) and a short second connection where tundra is the client.
import heapq
import sys

MSS, ORIGIN = 1000, 5012.25
rows = ["time,conn,event,seq,ack,len,flags,win,state,cwnd,ssthresh,inflight,"
        "srtt_ms,rttvar_ms,rto_ms,sample_ms,detail"]


def opt(v, f="{}"):
    return "" if v is None else f.format(v)


class Tcb:
    def __init__(self, conn, state):
        self.conn, self.state = conn, state
        self.cwnd, self.ssthresh, self.una, self.nxt = 4 * MSS, None, 0, 0
        self.srtt, self.rttvar, self.rto = None, 0.0, 1000.0

    def row(self, t, ev, seq=None, ack=None, ln=None, flags="", win=None, sample=None, detail=""):
        rows.append(",".join([
            f"{ORIGIN + t:.6f}", self.conn, ev, opt(seq), opt(ack), opt(ln), flags, opt(win),
            self.state, str(self.cwnd), opt(self.ssthresh), str(self.nxt - self.una),
            opt(self.srtt, "{:.3f}"), f"{self.rttvar:.3f}", f"{self.rto:.3f}",
            opt(sample, "{:.3f}"), detail]))

    def to(self, t, state):
        old, self.state = self.state, state
        self.row(t, "state", detail=f"from={old}")

    def sample(self, t, ms):  # RFC 6298 2.2/2.3, RTO at least 200 ms
        if self.srtt is None:
            self.srtt, self.rttvar = ms, ms / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - ms)
            self.srtt = 0.875 * self.srtt + 0.125 * ms
        self.rto = max(200.0, self.srtt + 4 * self.rttvar)
        self.row(t, "rtt", sample=ms)


def bulk(a, t, total, lose, rcv_ack):
    """tundra sends `total` bytes from a.nxt; segments whose seq is in `lose` are lost once."""
    end_data = a.nxt + total
    events, sent_at, rexmitted = [], {}, set()
    received, rcv_nxt = set(), a.nxt
    timer, gen, dup, recovery, recover = None, 0, 0, False, 0
    clock = [t]

    def arm(now):
        nonlocal timer, gen
        gen += 1
        timer = now + a.rto / 1000
        heapq.heappush(events, (timer, 2, gen, 0))

    def send(seq, rexmit):  # 0.2 ms to put a segment on the wire
        now = clock[0] = clock[0] + 0.0002
        ln = min(MSS, end_data - seq)
        if rexmit:
            rexmitted.add(seq)
        else:
            a.nxt = seq + ln
            sent_at[seq + ln] = now
        a.row(now, "send", seq, rcv_ack, ln, "P.", 65535, detail="rexmit" if rexmit else "")
        if seq in lose:
            lose.discard(seq)
        else:
            heapq.heappush(events, (now + 0.010, 0, seq, ln))  # reaches the peer
        if timer is None:
            arm(now)

    def fill():
        while a.nxt < end_data and a.nxt - a.una + MSS <= a.cwnd:
            send(a.nxt, False)

    fill()
    while events and a.una < end_data:
        now, kind, x, y = heapq.heappop(events)
        now = clock[0] = max(clock[0], now)  # the sender handles one thing at a time
        if kind == 0:  # the peer gets a segment and acknowledges at once, with SACK blocks
            received.update(range(x, x + y))
            while rcv_nxt in received:
                rcv_nxt += 1
            blocks, s = [], None
            for b in sorted(b for b in received if b >= rcv_nxt):
                if s is None or b != e:
                    if s is not None:
                        blocks.append((s, e))
                    s = b
                e = b + 1
            if s is not None:
                blocks.append((s, e))
            heapq.heappush(events, (now + 0.010, 1, rcv_nxt, tuple(blocks)))
        elif kind == 1:  # an ACK arrives
            ack, blocks = x, y
            detail = ("sack=" + " ".join(f"{l}-{r}" for l, r in blocks)) if blocks else ""
            a.row(now, "recv", rcv_ack, ack, 0, ".", 64240, detail=detail)
            if ack > a.una:
                if ack in sent_at and (ack - MSS) not in rexmitted and ack - 1 not in rexmitted:
                    a.sample(now, round((now - sent_at[ack]) * 1000, 3))
                a.una, dup = ack, 0
                if recovery and ack >= recover:
                    recovery, a.cwnd = False, a.ssthresh
                elif recovery:
                    a.row(now, "fast_retransmit", a.una, detail="partial_ack")
                    send(a.una, True)
                elif a.ssthresh is None or a.cwnd < a.ssthresh:
                    a.cwnd += MSS
                else:
                    a.cwnd += MSS * MSS // a.cwnd
                a.row(now, "cwnd")
                timer = None
                if a.una < a.nxt:
                    arm(now)
            elif ack == a.una and a.nxt > a.una:
                a.row(now, "dupack", ack=ack)
                dup += 1
                if dup == 3 and not recovery:
                    a.row(now, "fast_retransmit", a.una, detail="dupacks")
                    a.ssthresh = max((a.nxt - a.una) // 2, 2 * MSS)
                    a.cwnd = a.ssthresh + 3 * MSS
                    recovery, recover = True, a.nxt
                    a.row(now, "cwnd")
                    send(a.una, True)
                elif recovery:
                    a.cwnd += MSS
                    a.row(now, "cwnd")
            fill()
        elif kind == 2 and x == gen and timer is not None:  # the retransmission timer fires
            a.rto = min(a.rto * 2, 60000.0)
            a.row(now, "rto", a.una, detail="retries=1")
            a.ssthresh = max((a.nxt - a.una) // 2, 2 * MSS)
            a.cwnd, recovery, timer = MSS, False, None
            a.row(now, "cwnd")
            send(a.una, True)
    return clock[0]


# Connection 1: tundra-httpd answers GET / with 30 kB; two segments are lost.
a = Tcb("10.0.0.2:80-10.0.0.1:41000", "LISTEN")
a.row(0.0, "recv", 0, None, 0, "S", 64240)
a.to(0.0, "SYN-RECEIVED")
a.nxt = 1
a.row(0.0001, "send", 0, 1, 0, "S.", 65535)
a.una = 1
a.row(0.0201, "recv", 1, 1, 0, ".", 64240)
a.sample(0.0201, 20.0)
a.to(0.0201, "ESTABLISHED")
a.row(0.0205, "recv", 1, 1, 120, "P.", 64240)
t = bulk(a, 0.0210, 40000, {14001, 39001}, 121)
a.nxt += 1
a.row(t + 0.001, "send", 40001, 121, 0, "F.", 65535)
a.to(t + 0.001, "FIN-WAIT-1")
a.una = a.nxt
a.row(t + 0.021, "recv", 121, 40002, 0, ".", 64240)
a.to(t + 0.021, "FIN-WAIT-2")
a.row(t + 0.022, "recv", 121, 40002, 0, "F.", 64240)
a.row(t + 0.022, "send", 40002, 122, 0, ".", 65535)
a.to(t + 0.022, "TIME-WAIT")

# Connection 2: tundra-fetch (the client) fetches 500 bytes and the server closes first.
b = Tcb("10.0.0.2:49152-10.0.0.1:8000", "CLOSED")
b.to(0.050, "SYN-SENT")
b.nxt = 1
b.row(0.050, "send", 0, None, 0, "S", 65535)
b.row(0.055, "recv", 0, 1, 0, "S.", 64240)
b.una = 1
b.sample(0.055, 5.0)
b.to(0.055, "ESTABLISHED")
b.row(0.0551, "send", 1, 1, 0, ".", 65535)
b.nxt = 81
b.row(0.0552, "send", 1, 1, 80, "P.", 65535)
b.una = 81
b.row(0.0602, "recv", 1, 81, 500, "P.", 64240)
b.sample(0.0602, 5.0)
b.row(0.0603, "send", 81, 501, 0, ".", 65535)
b.row(0.0610, "recv", 501, 81, 0, "F.", 64240)
b.row(0.0610, "send", 81, 502, 0, ".", 65535)
b.to(0.0610, "CLOSE-WAIT")
b.nxt = 82
b.row(0.0612, "send", 81, 502, 0, "F.", 65535)
b.to(0.0612, "LAST-ACK")
b.una = 82
b.row(0.0662, "recv", 502, 82, 0, ".", 64240)
b.to(0.0662, "CLOSED")

rows[1:] = sorted(rows[1:], key=lambda r: float(r.split(",", 1)[0]))  # stable: keeps order
with open(sys.argv[1], "w") as fh:
    fh.write("\n".join(rows) + "\n")
PY

# The module: typed records, normalised time, connections, helpers, errors naming file and line.
if python3 - "$ROOT/scripts" "$tmp/trace.csv" <<'PY'; then echo "ok: tundra_trace parses the trace"; else fail "tundra_trace checks"; fi
import sys
sys.path.insert(0, sys.argv[1])
import tundra_trace as tt

bad = []


def expect(what, got, want):
    if got != want:
        bad.append(f"{what}: got {got!r}, want {want!r}")


t = tt.load(sys.argv[2])
expect("events", len(t), 193)
expect("origin", t.origin, 5012.25)
expect("first time", t.events[0].time, 0.0)
expect("a time", t.events[5].time, 0.0201)
expect("connections", [c.key for c in t.connections],
       ["10.0.0.2:80-10.0.0.1:41000", "10.0.0.2:49152-10.0.0.1:8000"])
m = t.main
expect("main", m.key, "10.0.0.2:80-10.0.0.1:41000")
expect("main counts", dict(m.counts), {"send": 45, "recv": 45, "state": 5, "rtt": 23, "cwnd": 39,
                                       "dupack": 17, "fast_retransmit": 1, "rto": 1})
expect("bytes", (m.bytes_sent, m.bytes_received, m.bytes_retransmitted), (42000, 120, 2000))
expect("final state", m.final_state, "TIME-WAIT")
expect("duration", m.duration, 0.3646)
other = t.connection(1)
expect("other counts", dict(other.counts), {"state": 5, "send": 6, "recv": 4, "rtt": 2})
expect("other bytes", (other.bytes_sent, other.bytes_received), (80, 500))
expect("other local", (other.local, other.remote), (("10.0.0.2", 49152), ("10.0.0.1", 8000)))
expect("by part", t.connection(":8000").key, other.key)
expect("by tuple", t.connection(m.key) is m, True)
expect("by name", t.connection("main") is m, True)
try:
    t.connection("10.9.9.9:1-10.9.9.8:2")
    bad.append("no LookupError for an unknown connection")
except LookupError:
    pass

e = t.events[0]
expect("first row", (e.event, e.seq, e.ack, e.len, e.flags, e.win, e.state, e.cwnd, e.ssthresh,
                     e.srtt_ms, e.rto_ms, e.sample_ms, e.detail, e.syn, e.has_ack),
       ("recv", 0, None, 0, "S", 64240, "LISTEN", 4000, None, None, 1000.0, None, "", True, False))
expect("retransmitted seqs", [s.seq for s in tt.retransmissions(m)], [14001, 39001])
expect("data segments", len(tt.sent_segments(m, data_only=True)), 44)
expect("acks received", len(tt.acks_received(m)), 44)
rtt = tt.rtt_samples(m)
expect("rtt samples", (len(rtt), rtt[0].sample_ms, rtt[0].srtt_ms, rtt[0].rto_ms), (23, 20.0, 20.0, 200.0))
expect("states", [to for _, _, to in tt.state_changes(m)],
       ["SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"])
expect("from", tt.state_changes(other)[0][1:], ("CLOSED", "SYN-SENT"))
fr = m.of("fast_retransmit")[0]
expect("fast retransmit", (fr.seq, fr.detail), (14001, "dupacks"))
after = next(e for e in m.of("cwnd") if e.lineno > fr.lineno)
expect("ssthresh set by the loss", (tt.cwnd_series(m)[0][2], after.ssthresh, after.cwnd),
       (None, 9000, 12000))
rto = m.of("rto")[0]
expect("rto", (rto.seq, rto.rto_ms, rto.details.get("retries")), (39001, 400.0, "1"))
sacked = [e for e in m.of("recv") if e.sack]
expect("sack", (len(sacked), sacked[0].sack), (17, [(15001, 16001)]))
expect("sack parse", tt.parse_sack("sack=1000-2000 3000-4000"), [(1000, 2000), (3000, 4000)])
times, counts = tt.state_counts(t)
expect("state counts", (len(times), counts["TIME-WAIT"][-1], counts["CLOSED"][-1],
                        max(counts["ESTABLISHED"])), (10, 1, 1, 2))

header = ",".join(tt.HEADER)
for lines, where in (([], "<x>: empty file"), (["time,conn\n"], "<x>:1:"),
                     ([header, "1.0,10.0.0.2:80-10.0.0.1:1,send,x" + "," * 13], "<x>:2:"),
                     ([header, "1.0,nonsense,send" + "," * 14], "<x>:2: conn"),
                     ([header, "1.0,10.0.0.2:80-10.0.0.1:1,jump" + "," * 14], "<x>:2: event")):
    try:
        tt.parse(lines, name="<x>")
        bad.append(f"no TraceError for {lines!r}")
    except tt.TraceError as err:
        if not str(err).startswith(where):
            bad.append(f"TraceError '{err}' does not start with '{where}'")
with open(sys.argv[2]) as fh:
    text = fh.read()
cut = sys.argv[2] + ".cut"
with open(cut, "w") as fh:
    fh.write(text[:-30])  # the last line cut short, as by a program killed mid-write
expect("truncated", (len(tt.load(cut)), tt.load(cut).truncated, t.truncated), (192, True, False))
small = tt.parse([header, "7.5,10.0.0.2:80-10.0.0.1:1,rtt,,,,,,ESTABLISHED,4000,,0,1.500,0.750,200.000,1.500,"])
expect("parse()", (small.events[0].time, small.origin, small.events[0].sample_ms), (0.0, 7.5, 1.5))

for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY

# --list: one line per connection, the busiest marked.
if out=$("$PLOT" "$tmp/trace.csv" --list 2>&1); then
  n=$(grep -c . <<<"$out")
  if [ "$n" -ne 2 ] || ! grep -q '^0\* *10\.0\.0\.2:80-10\.0\.0\.1:41000 .*sent=42000' <<<"$out" ||
    ! grep -q '^1 *10\.0\.0\.2:49152-10\.0\.0\.1:8000 .*received=500' <<<"$out"; then
    fail "--list: $out"
  else
    echo "ok: --list"
  fi
else
  fail "--list exited $?: $out"
fi

check_png() {
  local f=$1 sig size w h
  if [ ! -s "$f" ]; then
    fail "$f: not written"
    return
  fi
  sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
  size=$(wc -c <"$f")
  w=$(od -An -tu1 -j16 -N4 "$f" | awk '{print $3 * 256 + $4}')
  h=$(od -An -tu1 -j20 -N4 "$f" | awk '{print $3 * 256 + $4}')
  if [ "$sig" != 89504e470d0a1a0a ] || [ "$size" -lt 10000 ] || [ "$size" -gt 5000000 ] ||
    [ "$w" -lt 600 ] || [ "$h" -lt 400 ]; then
    fail "$f: signature $sig, $size bytes, ${w}x$h"
  else
    echo "ok: $(basename "$f"): PNG ${w}x$h, $size bytes"
  fi
}

check_svg() {
  local f=$1 label missing=0
  shift
  if [ ! -s "$f" ] || ! grep -q '<svg' "$f"; then
    fail "$f: not an SVG"
    return
  fi
  for label in "$@"; do
    if ! grep -qF "$label" "$f"; then
      fail "$f: no text '$label'"
      missing=1
    fi
  done
  [ $missing -ne 0 ] || echo "ok: $(basename "$f"): SVG with $*"
}

run_plot() {
  local out
  if ! out=$("$PLOT" "$@" 2>&1); then
    fail "plot-tcp $*: $out"
  fi
}

# Every plot, PNG and SVG.
run_plot "$tmp/trace.csv" --plot all -o "$tmp/p.png"
run_plot "$tmp/trace.csv" --plot all -o "$tmp/p.svg"
for kind in timeseq cwnd rtt states; do
  check_png "$tmp/p-$kind.png"
done
tuple="10.0.0.2:80-10.0.0.1:41000"
check_svg "$tmp/p-timeseq.svg" "time (s)" "relative sequence number (kB)" "Time-sequence graph: $tuple" \
  "retransmission (2)" "ACK line" "receive window" "fast retransmit (1)" "RTO fired (1)"
check_svg "$tmp/p-cwnd.svg" "time (s)" "window and bytes in flight (bytes)" "Congestion window: $tuple" \
  "cwnd (congestion window)" "ssthresh (slow start threshold)"
check_svg "$tmp/p-rtt.svg" "time (s)" "milliseconds" "RTT, SRTT and RTO: $tuple" "RTT sample (23)" \
  "SRTT (smoothed RTT)"
check_svg "$tmp/p-states.svg" "time (s)" "connections" "TIME-WAIT (max 1)" "ESTABLISHED (max 2)"

# One plot at a time, with the options: another connection (data received), a zoom, a title.
run_plot "$tmp/trace.csv" --plot timeseq --conn 1 -o "$tmp/in.svg"
check_svg "$tmp/in.svg" "relative sequence number (bytes)" "10.0.0.2:49152-10.0.0.1:8000 (data received by tundra)"
run_plot "$tmp/trace.csv" --plot cwnd --conn :41000 --from 0.07 --to 0.12 -o "$tmp/zoom.png"
check_png "$tmp/zoom.png"
run_plot "$tmp/trace.csv" --plot rtt --title "lab 3: RTT" -o "$tmp/titled.svg"
check_svg "$tmp/titled.svg" "lab 3: RTT"

# Bad input: exactly one line on stderr, exit 2, never a traceback.
head -1 "$tmp/trace.csv" >"$tmp/header-only.csv"
: >"$tmp/zero.csv"
printf 'time,conn,event\n1,2,3\n' >"$tmp/bad-header.csv"
{ head -3 "$tmp/trace.csv"; echo "5012.3,10.0.0.2:80-10.0.0.1:41000,send,12x,1,0,.,100,ESTABLISHED,1,,0,,0.000,1000.000,,"; } >"$tmp/bad-line.csv"
check_bad() {
  local expect=$1 err rc=0 lines
  shift
  err=$("$PLOT" "$@" 2>&1 >/dev/null) || rc=$?
  lines=$(grep -c . <<<"$err" || true)
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q "^plot-tcp: error: .*$expect" <<<"$err"; then
    fail "plot-tcp $* -> exit $rc, $lines lines: $err"
  else
    echo "ok: plot-tcp $* -> $err"
  fi
}
check_bad "no such file" "$tmp/missing.csv" -o "$tmp/x.png"
check_bad "bad header" "$tmp/bad-header.csv" -o "$tmp/x.png"
check_bad "empty file" "$tmp/zero.csv" --list
check_bad "empty trace" "$tmp/header-only.csv" -o "$tmp/x.png"
check_bad "bad-line.csv:4: seq" "$tmp/bad-line.csv" -o "$tmp/x.png"
check_bad "no connection #5" "$tmp/trace.csv" --conn 5 -o "$tmp/x.png"
check_bad "no connection matches" "$tmp/trace.csv" --conn 10.1.1.1:1-10.1.1.2:2 -o "$tmp/x.png"
check_bad "unknown --plot 'pie'" "$tmp/trace.csv" --plot pie -o "$tmp/x.png"
check_bad "unsupported format" "$tmp/trace.csv" -o "$tmp/x.jpg"
check_bad "no output file" "$tmp/trace.csv"
check_bad "unrecognized arguments" "$tmp/trace.csv" --bogus -o "$tmp/x.png"
check_bad "must be after" "$tmp/trace.csv" --from 2 --to 1 -o "$tmp/x.png"
[ ! -e "$tmp/x.png" ] || fail "a failed run wrote $tmp/x.png"

"$PLOT" --help >/dev/null 2>&1 || fail "--help"

if [ $failures -ne 0 ]; then
  echo "FAIL plot_tcp: $failures"
  exit 1
fi
echo "PASS plot_tcp"
