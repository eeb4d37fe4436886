#!/usr/bin/env bash
# lab.sh: runs one of the TCP labs of docs/labs end to end, as root, in a network namespace it
# makes (and removes on exit): tundra on a TUN device, the kernel as the peer, a TCP event trace
# of tundra's side, the plots drawn from it, and a check of what the lab says you will see.
#   scripts/lab.sh NAME [--out DIR] [--cc newreno|cubic] [--tcp NAME=VALUE]... [--no-build]
#   scripts/lab.sh all | --list
# --tcp passes a TCP setting to tundra (`tundra-echo --tcp help` lists them): the lab then shows
# what, say, `sack=off` or `min-rto=20ms` changes. Its claims are written for the defaults, so
# some may not hold, and the check says which.
# Output: DIR (default labs-out/NAME/) holds the traces (*.csv), the plots (*.png), the programs'
# logs and findings.txt, the checked claims with the figures behind them.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

LABS=(handshake slowstart loss nagle zerowindow timewait keepalive)
describe() {
  case $1 in
    handshake) echo "the three-way handshake, the 4-tuple, and the close on both sides" ;;
    slowstart) echo "slow start and congestion avoidance behind a drop-tail bottleneck" ;;
    loss) echo "loss: duplicate ACKs, fast retransmit, and the retransmission timeout" ;;
    nagle) echo "Nagle's algorithm meets the delayed ACK; TCP_NODELAY" ;;
    zerowindow) echo "a receiver that stops reading: the zero window and the persist timer" ;;
    timewait) echo "TIME-WAIT build-up and port exhaustion, a connection per request" ;;
    keepalive) echo "HTTP keep-alive against a connection per request" ;;
  esac
}

usage() {
  echo "usage: scripts/lab.sh NAME|all [--out DIR] [--cc newreno|cubic] [--tcp NAME=VALUE]... [--no-build]" >&2
  echo "       scripts/lab.sh --list" >&2
  exit 2
}

name="" out="" cc="newreno" build=1
tcp_settings=()  # --tcp NAME=VALUE, passed on to tundra
while [ $# -gt 0 ]; do
  case $1 in
    --list)
      for l in "${LABS[@]}"; do printf '%-11s %s\n' "$l" "$(describe "$l")"; done
      exit 0 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --cc) [ $# -ge 2 ] || usage; cc=$2; shift 2 ;;
    --tcp) [ $# -ge 2 ] || usage; tcp_settings+=(--tcp "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    -*) echo "lab.sh: error: unknown option '$1'" >&2; exit 2 ;;
    *) [ -z "$name" ] || usage; name=$1; shift ;;
  esac
done
[ -n "$name" ] || usage
case $cc in newreno|cubic) ;; *) echo "lab.sh: error: --cc must be newreno or cubic" >&2; exit 2 ;; esac
if [ "$name" = all ]; then
  rc=0
  for l in "${LABS[@]}"; do
    args=("$l" --cc "$cc" "${tcp_settings[@]}")
    [ $build = 1 ] || args+=(--no-build)
    [ -z "$out" ] || args+=(--out "$out/$l")
    "$0" "${args[@]}" || rc=1
    build=0  # built once is enough
  done
  exit $rc
fi
known=0
for l in "${LABS[@]}"; do [ "$l" = "$name" ] && known=1; done
[ $known = 1 ] || { echo "lab.sh: error: no lab '$name' (scripts/lab.sh --list)" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
  echo "lab.sh: error: labs need root (a network namespace and a TUN device)" >&2
  exit 1
fi

if [ $build = 1 ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh >/dev/null
fi
BIN=${TUNDRA_BIN:-$REPO/build/bin}  # the tests point it at their build
OUT=$(mkdir -p "${out:-labs-out/$name}" && cd "${out:-labs-out/$name}" && pwd)
rm -f "$OUT"/*.csv "$OUT"/*.png "$OUT"/*.log "$OUT"/*.txt "$OUT"/*.json "$OUT"/*.ready

NS="tundra-lab-${name}-$$-${RANDOM}"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  ip netns del "$NS" 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

in_ns() { ip netns exec "$NS" "$@"; }
say() { printf '\n== %s\n' "$*"; }
die() { echo "lab $name: $*" >&2; for f in "$OUT"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }

# Waits (at most $2 s) until file $1 exists and contains regex $3 (or just exists, without $3).
wait_for() {
  local file=$1 timeout=$2 pattern=${3:-}
  local deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt $deadline ]; do
    if [ -f "$file" ] && { [ -z "$pattern" ] || grep -qE "$pattern" "$file"; }; then return 0; fi
    sleep 0.05
  done
  return 1
}

# A kernel-side program in the background; its PID joins PIDS (ip netns exec execs it).
bg_ns() {
  local log=$1; shift
  ip netns exec "$NS" "$@" >"$log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# A tundra server in the background, up once it says so.
start_tundra() {
  local log=$1; shift
  bg_ns "$log" "$@"
  TUNDRA_PID=$LAST_PID
  wait_for "$log" 10 "Ctrl-C stops" || die "$(basename "$2") did not start"
}

# Stops a background program by PID (bounded) and reaps it.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  wait "$1" 2>/dev/null || true
}

# Waits (bounded) for a background program to end by itself; its status in WAIT_RC.
wait_pid() {
  local pid=$1 timeout=$2
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && die "pid $pid still running after ${timeout}s"
  WAIT_RC=0
  wait "$pid" || WAIT_RC=$?
}

plot() {  # plot TRACE KIND OUTNAME [extra plot-tcp args]
  local trace=$1 kind=$2 png=$3; shift 3
  "$REPO/scripts/plot-tcp" "$trace" --plot "$kind" -o "$OUT/$png" "$@" >/dev/null
  echo "plot: $OUT/$png"
}

peer() { echo "$REPO/scripts/lab_peer.py"; }
TUNDRA=(--tun tun0 --cc "$cc" "${tcp_settings[@]}")

lab_handshake() {
  say "active open: tundra-bulk connects to a kernel server and sends 64 KiB (5 ms each way)"
  bg_ns "$OUT/kernel-sink.log" python3 "$(peer)" sink --port 7001 --ready "$OUT/sink.ready"
  local sink=$LAST_PID
  wait_for "$OUT/sink.ready" 10 || die "kernel sink did not start"
  in_ns "$BIN/tundra-bulk" "${TUNDRA[@]}" --delay 5 --fault-direction both \
    --tcp-trace "$OUT/active.csv" connect 10.0.0.1 7001 --send 64KiB >"$OUT/active.log" 2>&1 &
  local bulk=$!
  PIDS+=("$bulk")
  wait_pid "$bulk" 30
  [ "$WAIT_RC" = 0 ] || die "tundra-bulk connect failed"
  wait_pid "$sink" 10
  cat "$OUT/kernel-sink.log"

  say "passive open: the kernel connects to tundra-bulk listening on 7002 and sends 64 KiB"
  start_tundra "$OUT/passive.log" "$BIN/tundra-bulk" "${TUNDRA[@]}" --delay 5 \
    --fault-direction both --tcp-trace "$OUT/passive.csv" listen 7002 --receive
  in_ns python3 "$(peer)" send --connect 10.0.0.2:7002 --bytes 65536 >"$OUT/kernel-send.log" 2>&1 ||
    die "the kernel's client failed"
  wait_pid "$TUNDRA_PID" 30
  cat "$OUT/kernel-send.log"
  grep -E "^received" "$OUT/passive.log" || true

  plot "$OUT/active.csv" timeseq active-timeseq.png --to 0.08
  plot "$OUT/passive.csv" timeseq passive-timeseq.png --direction in --to 0.08
}

lab_slowstart() {
  say "tundra-bulk sends 12 MiB through a 20 Mbit/s bottleneck with a 40-packet drop-tail queue, 10 ms each way"
  bg_ns "$OUT/kernel-sink.log" python3 "$(peer)" sink --port 7001 --ready "$OUT/sink.ready"
  local sink=$LAST_PID
  wait_for "$OUT/sink.ready" 10 || die "kernel sink did not start"
  in_ns "$BIN/tundra-bulk" "${TUNDRA[@]}" --rate 20 --rate-queue 40 --delay 10 --fault-direction both \
    --tcp-trace "$OUT/slowstart.csv" connect 10.0.0.1 7001 --send 12MiB >"$OUT/bulk.log" 2>&1 ||
    die "tundra-bulk failed"
  wait_pid "$sink" 10
  grep -E "^sent" "$OUT/bulk.log"
  plot "$OUT/slowstart.csv" cwnd cwnd.png
  plot "$OUT/slowstart.csv" cwnd slowstart-zoom.png --to 0.5
  plot "$OUT/slowstart.csv" timeseq timeseq.png
  plot "$OUT/slowstart.csv" rtt rtt.png
}

lab_loss() {
  say "part 1: tundra-bulk sends 8 MiB and loses 1% of what it sends (10 ms each way)"
  bg_ns "$OUT/kernel-sink.log" python3 "$(peer)" sink --port 7001 --ready "$OUT/sink.ready"
  local sink=$LAST_PID
  wait_for "$OUT/sink.ready" 10 || die "kernel sink did not start"
  in_ns "$BIN/tundra-bulk" "${TUNDRA[@]}" --delay 10 --fault-direction both --loss 0.01 --seed 4 \
    --tcp-trace "$OUT/loss.csv" connect 10.0.0.1 7001 --send 8MiB >"$OUT/bulk.log" 2>&1 ||
    die "tundra-bulk failed"
  wait_pid "$sink" 10
  grep -E "^sent" "$OUT/bulk.log"

  say "part 2: 256 KiB over a link that loses 20%: retransmissions get lost too, and the timer fires"
  rm -f "$OUT/sink.ready"
  bg_ns "$OUT/kernel-sink2.log" python3 "$(peer)" sink --port 7002 --ready "$OUT/sink.ready"
  sink=$LAST_PID
  wait_for "$OUT/sink.ready" 10 || die "kernel sink did not start"
  in_ns "$BIN/tundra-bulk" "${TUNDRA[@]}" --delay 10 --fault-direction both --loss 0.2 --seed 2 \
    --tcp-trace "$OUT/timeout.csv" connect 10.0.0.1 7002 --send 256KiB >"$OUT/bulk2.log" 2>&1 ||
    die "tundra-bulk failed"
  wait_pid "$sink" 10
  grep -E "^sent" "$OUT/bulk2.log"
  plot "$OUT/loss.csv" timeseq loss-timeseq.png
  plot "$OUT/loss.csv" cwnd loss-cwnd.png
  plot "$OUT/timeout.csv" timeseq timeout-timeseq.png
  plot "$OUT/timeout.csv" cwnd timeout-cwnd.png
  plot "$OUT/timeout.csv" rtt timeout-rtt.png
}

lab_nagle() {
  local run
  for run in nagle nodelay; do
    say "$run: 40 requests, each two 100-byte writes then a 100-byte answer"
    rm -f "$OUT/rr.ready"
    bg_ns "$OUT/kernel-rr-$run.log" python3 "$REPO/scripts/rr_server.py" --bind 0.0.0.0 \
      --port 7000 --request-size 200 --response-size 100 --max-connections 1 --ready-file "$OUT/rr.ready"
    local server=$LAST_PID
    wait_for "$OUT/rr.ready" 10 || die "rr_server.py did not start"
    local flags=()
    [ $run = nodelay ] && flags=(--nodelay)
    in_ns "$BIN/tundra-rr" "${TUNDRA[@]}" "${flags[@]}" --tcp-trace "$OUT/$run.csv" 10.0.0.1 7000 \
      --requests 40 --writes 2 --write-size 100 --response-size 100 >"$OUT/rr-$run.log" 2>&1 ||
      die "tundra-rr ($run) failed"
    wait_pid "$server" 10
    grep -E "^[0-9]+ (of [0-9]+ )?requests" "$OUT/rr-$run.log" || true
    if [ $run = nagle ]; then
      plot "$OUT/$run.csv" timeseq "$run-timeseq.png" --from 0.3 --to 0.6
    else
      plot "$OUT/$run.csv" timeseq "$run-timeseq.png" --to 0.01
    fi
  done
}

lab_zerowindow() {
  say "tundra-bulk sends 1 MiB to a kernel server with a 4 KiB receive buffer that sleeps 5 s before reading"
  bg_ns "$OUT/kernel-sink.log" python3 "$(peer)" sink --port 7001 --rcvbuf 4096 --pause 5 \
    --read-size 4096 --ready "$OUT/sink.ready"
  local sink=$LAST_PID
  wait_for "$OUT/sink.ready" 10 || die "kernel sink did not start"
  in_ns "$BIN/tundra-bulk" "${TUNDRA[@]}" --tcp-trace "$OUT/zerowindow.csv" \
    connect 10.0.0.1 7001 --send 1MiB >"$OUT/bulk.log" 2>&1 || die "tundra-bulk failed"
  wait_pid "$sink" 20
  grep -E "^sent" "$OUT/bulk.log"
  cat "$OUT/kernel-sink.log"
  plot "$OUT/zerowindow.csv" timeseq timeseq.png
  plot "$OUT/zerowindow.csv" timeseq timeseq-reopen.png --from 4.9 --to 5.3
  plot "$OUT/zerowindow.csv" rtt rtt.png
  plot "$OUT/zerowindow.csv" cwnd cwnd.png
}

lab_timewait() {
  say "part 1: 300 HTTP/1.0 requests from ab, each on its own connection, to tundra-httpd (TIME-WAIT 60 s)"
  local ctl="$OUT/httpd.ctl"
  start_tundra "$OUT/httpd.log" "$BIN/tundra-httpd" "${TUNDRA[@]}" --time-wait 60 --access-log none \
    --control "$ctl" --tcp-trace "$OUT/httpd.csv"
  in_ns ab -n 300 -c 5 http://10.0.0.2/ >"$OUT/ab.log" 2>&1 || die "ab failed"
  grep -E "Complete requests|Failed requests|Requests per second" "$OUT/ab.log"
  "$BIN/tundra-ctl" "$ctl" stats >"$OUT/ctl-stats.txt"
  "$BIN/tundra-ctl" "$ctl" connections --json >"$OUT/ctl-connections.json"
  "$BIN/tundra-ctl" "$ctl" connections >"$OUT/ctl-connections.txt"
  grep -E "TIME-WAIT" "$OUT/ctl-stats.txt" || true
  head -n 4 "$OUT/ctl-connections.txt"
  stop_pid "$TUNDRA_PID"

  say "part 2: tundra-rr opens a connection per request with only 50 local ports (TIME-WAIT 60 s)"
  rm -f "$OUT/rr.ready"
  bg_ns "$OUT/kernel-rr.log" python3 "$REPO/scripts/rr_server.py" --bind 0.0.0.0 --port 7000 \
    --request-size 100 --response-size 100 --ready-file "$OUT/rr.ready"
  local server=$LAST_PID
  wait_for "$OUT/rr.ready" 10 || die "rr_server.py did not start"
  local rc=0
  in_ns "$BIN/tundra-rr" "${TUNDRA[@]}" --time-wait 60 --ephemeral-ports 50000-50049 \
    --tcp-trace "$OUT/ports.csv" 10.0.0.1 7000 --requests 80 --writes 1 --write-size 100 \
    --response-size 100 --per-connection 1 >"$OUT/rr.log" 2>&1 || rc=$?
  echo "tundra-rr exit status $rc" >>"$OUT/rr.log"
  cat "$OUT/rr.log"
  stop_pid "$server"
  plot "$OUT/httpd.csv" states states.png
  plot "$OUT/ports.csv" states ports-states.png
}

lab_keepalive() {
  local run
  for run in close keepalive; do
    say "$run: ab sends 300 requests for the sample page, one at a time"
    start_tundra "$OUT/httpd-$run.log" "$BIN/tundra-httpd" "${TUNDRA[@]}" --time-wait 5 \
      --access-log none --tcp-trace "$OUT/$run.csv"
    local k=()
    [ $run = keepalive ] && k=(-k)
    in_ns ab "${k[@]}" -n 300 -c 1 http://10.0.0.2/ >"$OUT/ab-$run.log" 2>&1 || die "ab failed"
    grep -E "Complete requests|Failed requests|Requests per second|Keep-Alive requests" "$OUT/ab-$run.log"
    stop_pid "$TUNDRA_PID"
    plot "$OUT/$run.csv" states "$run-states.png"
  done
}

settings_text=""
for ((i = 1; i < ${#tcp_settings[@]}; i += 2)); do settings_text+=" ${tcp_settings[i]}"; done
echo "lab $name: $(describe "$name") (congestion control $cc${settings_text:+; TCP settings:$settings_text})"
echo "$cc" >"$OUT/cc"
echo "${settings_text# }" >"$OUT/tcp-settings"
"lab_$name"
say "checking what the lab claims"
"$REPO/scripts/lab_check.py" "$name" "$OUT" | tee "$OUT/findings.txt"
echo "lab $name: output in $OUT"
