#!/usr/bin/env bash
# Benchmark: tundra's figures and, in the same run on the same machine, references measured beside
# them, printed with their ratios (absolute figures drift on shared machines; ratios hold), then the
# targets of issue 6, each 'met' or 'NOT met'. Namespaces of its own (unique names, removed on
# exit); every server it starts is stopped by PID; every client runs under `timeout`; nothing is
# sent outside the namespaces.
#   scripts/bench.sh [--quick]          (root; TUNDRA_BUILD=DIR uses DIR/bin instead of building)
# Measured, each the median of several runs:
# - ICMP echo with `ping -f` at 56, 1400 and 3000 bytes, tundra-echo over TUN (as it starts, and
#   with --busy-poll 50) against the kernel answering over a veth pair.
# - One bulk TCP flow with the kernel's TCP at the other end, timed over a fixed duration:
#   kernel -> server (discard, port 9) and server -> kernel (chargen, port 19), at MTU 1500 and
#   9000, for tundra-echo; tundra-ceiling (our minimal responder on one TUN device: the TUN
#   ceiling); lwip-tun (lwIP, where liblwip-dev is installed); and two kernel namespaces on a veth
#   pair (what a user has without tundra). Again with TUN offloads (--offload) where the programs
#   have them, with 1% loss (tundra-echo --loss 0.01, both directions), with 1% reordering
#   (--reorder 0.01, both directions) and with --tcp-trace on;
#   under loss and reordering also with the kernel sending with CUBIC (TCP_CONGESTION on its
#   socket), the loss-based reference for tundra's own sending, and with tundra sending with
#   --cc bbr, and with the RTO floored at 20 ms instead of 200 (--tcp min-rto=20ms).
#   The systems of one table run side by side, each in its namespace, and are measured in turn,
#   run after run (veth again beside the offload figures, plain tundra again beside the lossy and
#   traced ones), so that drift in the machine's speed moves them alike.
#   Beside each figure the server's CPU time per byte (utime+stime from /proc/PID/stat).
# - HTTP requests per second (wrk, or ab where wrk is missing; 1 KiB file, keep-alive and a
#   connection per request), tundra-httpd over TUN against nginx (one process) over the veth pair.
# - Memory: RSS of tundra-httpd (and nginx) idle and holding 10,000 idle connections, each of
#   which made one request.
# The kernel side's client and the veth servers are python (recv_into, 4 MiB buffers).
# Exit status: 0 when every piece ran (targets met or not), 1 when something failed to run.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench.sh: error: run as root (it makes namespaces and devices)" >&2; exit 2; }

quick=0
case "$#:${1:-}" in
  0:) ;;
  1:--quick) quick=1 ;;
  *) echo "bench.sh: error: usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
  runs=1; secs=1; ping_count=3000; http_secs=1; idle_conns=10000
else
  runs=3; secs=3; ping_count=10000; http_secs=3; idle_conns=10000
fi

if [ -n "${TUNDRA_BUILD:-}" ]; then
  BUILD=$TUNDRA_BUILD
else
  scripts/build.sh >/dev/null || { echo "bench.sh: error: the build failed" >&2; exit 1; }
  BUILD=build
fi
BUILD=$(cd "$BUILD" && pwd) || { echo "bench.sh: error: no build directory $BUILD" >&2; exit 2; }
BIN=$BUILD/bin
# A program of the build: bin/NAME, else anywhere under the build directory; empty when missing.
find_prog() {
  if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; return; fi
  find "$BUILD" -maxdepth 4 -type f -name "$1" -perm -u+x 2>/dev/null | head -n 1
}
ECHO=$(find_prog tundra-echo); HTTPD=$(find_prog tundra-httpd)
CEILING=$(find_prog tundra-ceiling); LWIP=$(find_prog lwip-tun)
PY=$(python3 -c 'import sys; print(sys.executable)')  # not a shim: started many times
TCK=$(getconf CLK_TCK)

ID="$$"
NS_E="tb-echo-$ID"; NS_C="tb-ceil-$ID"; NS_L="tb-lwip-$ID"; NS_H="tb-httpd-$ID"
NS_A="tb-a-$ID"; NS_B="tb-b-$ID"; VETH="vb$ID"; NS_X="tb-x-$ID"
ALL_NS=("$NS_E" "$NS_C" "$NS_L" "$NS_H" "$NS_A" "$NS_B" "$NS_X")
CUR_PID=""; NGINX_PID=""; HOLD_PID=""
declare -A PIDS=()  # the bulk transfers' servers by system (measure_set)
TMP=$(mktemp -d)
T_START=$(date +%s)

# Stops one process of ours by PID: TERM, up to 5 s, then KILL.
stop_pid() {
  local p=$1
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}
cleanup() {
  exec 9>&- 2>/dev/null
  for p in "$HOLD_PID" "$CUR_PID" "$NGINX_PID" "${PIDS[@]}"; do stop_pid "$p"; done
  rm -rf "$TMP"
  for ns in "${ALL_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failures=()
fail() { failures+=("$*"); }
notes=()
note() { notes+=("$*"); }
progress() { [ -t 2 ] && printf '\r\033[K# %s' "$*" >&2; return 0; }

for ns in "${ALL_NS[@]}"; do
  ip netns add "$ns" || { echo "bench.sh: error: cannot make namespace $ns" >&2; exit 1; }
  ip -n "$ns" link set lo up
done
ip link add "$VETH" netns "$NS_A" type veth peer name "$VETH" netns "$NS_B" || exit 1
ip -n "$NS_A" addr add 10.9.0.1/24 dev "$VETH"; ip -n "$NS_B" addr add 10.9.0.2/24 dev "$VETH"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set "$VETH" up; done
set_veth_mtu() { ip -n "$NS_A" link set "$VETH" mtu "$1" && ip -n "$NS_B" link set "$VETH" mtu "$1"; }

# --- helpers -------------------------------------------------------------------------------------
median() {
  grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'
}
isnum() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# a/b with 2 decimals; n/a when either is missing or b is 0.
ratio() {
  if isnum "$1" && isnum "$2"; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
  else
    echo "n/a"
  fi
}
ticks() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }' || echo ""; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# Starts a TUN program in namespace $1 (log $2): the rest is its command line. Waits (bounded) for
# "Ctrl-C stops", then makes sure the kernel side is 10.0.0.1/24, up, at MTU $MTU_WANT.
# Sets CUR_PID; returns 1 (and stops it) when it did not start.
start_tun() {
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  CUR_PID=$!
  for _ in $(seq 200); do
    grep -qs "Ctrl-C stops" "$log" && break
    kill -0 "$CUR_PID" 2>/dev/null || break
    sleep 0.05
  done
  if ! grep -qs "Ctrl-C stops" "$log"; then
    fail "$(basename "$1") $* did not start: $(tail -n 2 "$log" | tr '\n' ' ')"
    stop_pid "$CUR_PID"; CUR_PID=""
    return 1
  fi
  ip -n "$ns" -4 addr show dev tun0 2>/dev/null | grep -q 'inet 10\.0\.0\.1/' ||
    ip -n "$ns" addr add 10.0.0.1/24 dev tun0 2>/dev/null
  ip -n "$ns" link set tun0 up 2>/dev/null
  local m
  m=$(ip -n "$ns" -o link show tun0 2>/dev/null | sed -nE 's/.* mtu ([0-9]+) .*/\1/p')
  if [ -n "${MTU_WANT:-}" ] && [ "$m" != "$MTU_WANT" ]; then
    note "$(basename "$1"): device MTU was ${m:-?}, set to $MTU_WANT by the bench"
    ip -n "$ns" link set tun0 mtu "$MTU_WANT" 2>/dev/null
  fi
  for _ in $(seq 40); do   # the route to 10.0.0.2 (bounded)
    ip -n "$ns" route get 10.0.0.2 2>/dev/null | grep -q 'dev tun0' && break
    sleep 0.05
  done
  return 0
}
stop_cur() { stop_pid "$CUR_PID"; CUR_PID=""; }

# --- ICMP echo -----------------------------------------------------------------------------------
# One flood ping; prints "RATE_PER_S AVG_RTT_US".
flood() {
  local ns=$1 addr=$2 size=$3 out start end rx avg
  start=$(date +%s.%N)
  out=$(timeout 60 ip netns exec "$ns" ping -q -f -c "$ping_count" -s "$size" -W 1 "$addr" 2>&1)
  end=$(date +%s.%N)
  rx=$(echo "$out" | sed -nE 's/.* ([0-9]+) received.*/\1/p')
  avg=$(echo "$out" | sed -nE 's|.*= [0-9.]+/([0-9.]+)/.*|\1|p')
  if [ -z "$rx" ] || [ -z "$avg" ] || [ "$rx" = 0 ]; then echo "0 n/a"; return; fi
  awk -v n="$rx" -v s="$start" -v e="$end" -v a="$avg" 'BEGIN { printf "%.0f %.1f\n", n / (e - s), a * 1000 }'
}

echo "tundra bench$([ "$quick" = 1 ] && echo ' --quick'): $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), binaries from $BIN"
# The kernel's TCP is the other end of every transfer and the veth reference: its congestion
# control (a machine's default; BBR ignores random loss where CUBIC backs off) shapes the figures.
echo "kernel TCP in the namespaces: congestion control $(ip netns exec "$NS_E" sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo '?')"
echo
printf '%-40s %11s %14s %14s %8s %8s\n' "ICMP echo, ping -f, median of $runs" "tundra" \
  "busy-poll 50" "veth (kernel)" "ratio" "ratio bp"
MTU_WANT=1500
set_veth_mtu 1500
# tundra as it starts, and with --busy-poll 50 (it looks for the next datagram for up to 50 us
# before it sleeps), in the ceiling's namespace, free until the bulk transfers.
icmp_ok=0
if [ -n "$ECHO" ] && start_tun "$NS_E" "$TMP/echo-icmp.log" "$ECHO" --tun tun0 --mtu 1500; then
  PIDS[icmp]=$CUR_PID; CUR_PID=""; icmp_ok=1
  if start_tun "$NS_C" "$TMP/echo-icmp-bp.log" "$ECHO" --tun tun0 --mtu 1500 --busy-poll 50; then
    PIDS[icmp-bp]=$CUR_PID; CUR_PID=""
  fi
fi
if [ "$icmp_ok" = 1 ]; then
  for size in 56 1400 3000; do
    progress "ICMP $size B"
    t_rate=(); t_rtt=(); b_rate=(); b_rtt=(); v_rate=(); v_rtt=()
    for _ in $(seq "$runs"); do
      read -r r a < <(flood "$NS_E" 10.0.0.2 "$size"); t_rate+=("$r"); t_rtt+=("$a")
      if [ -n "${PIDS[icmp-bp]:-}" ]; then
        read -r r a < <(flood "$NS_C" 10.0.0.2 "$size"); b_rate+=("$r"); b_rtt+=("$a")
      fi
      read -r r a < <(flood "$NS_A" 10.9.0.2 "$size"); v_rate+=("$r"); v_rtt+=("$a")
    done
    tr=$(printf '%s\n' "${t_rate[@]}" | median); vr=$(printf '%s\n' "${v_rate[@]}" | median)
    ta=$(printf '%s\n' "${t_rtt[@]}" | median); va=$(printf '%s\n' "${v_rtt[@]}" | median)
    br=n/a; ba=n/a
    if [ ${#b_rate[@]} -gt 0 ]; then
      br=$(printf '%s\n' "${b_rate[@]}" | median); ba=$(printf '%s\n' "${b_rtt[@]}" | median)
    fi
    [ "$tr" = 0 ] && fail "ICMP $size B: no echo reply from tundra"
    printf '%-40s %8s /s %11s /s %11s /s %8s %8s\n' "  ${size} B: echoes per second" "$tr" "$br" \
      "$vr" "$(ratio "$tr" "$vr")" "$(ratio "$br" "$vr")"
    printf '%-40s %8s us %11s us %11s us %8s %8s\n' "  ${size} B: mean round trip" "$ta" "$ba" \
      "$va" "$(ratio "$ta" "$va")" "$(ratio "$ba" "$va")"
  done
  for k in icmp icmp-bp; do
    [ -n "${PIDS[$k]:-}" ] && stop_pid "${PIDS[$k]}"
    unset "PIDS[$k]"
  done
else
  [ -z "$ECHO" ] && fail "tundra-echo is missing from $BIN"
  printf '%-40s %14s\n' "  (tundra-echo did not run)" "n/a"
fi
progress ""

# --- bulk TCP ------------------------------------------------------------------------------------
# The kernel side's client. "send": writes for SECS seconds, shuts down and waits for the server's
# FIN (so the time covers every byte arriving); "recv": reads for SECS seconds. Prints
# "GBIT_PER_S BYTES".
cat >"$TMP/client.py" <<'PY'
import os, socket, sys, time
mode, addr, port, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
buf = bytearray(b"x" * (4 << 20))
mv = memoryview(buf)
s = socket.socket()
cc = os.environ.get("KCC")  # the kernel's congestion control for this socket, when not its default
if cc:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
s.settimeout(10)
s.connect((addr, port))
n = 0
start = time.perf_counter()
deadline = start + secs
if mode == "send":
    while time.perf_counter() < deadline:
        n += s.send(mv)
    s.shutdown(socket.SHUT_WR)
    while s.recv_into(mv):
        pass
else:
    while time.perf_counter() < deadline:
        k = s.recv_into(mv)
        if not k:
            sys.exit("stream ended early")
        n += k
end = time.perf_counter()
s.close()
print(f"{n * 8 / (end - start) / 1e9:.3f} {n}")
PY
# The veth reference's servers, as tundra-echo's: discard (read to the end, then close) and a
# source that sends until the client goes away.
cat >"$TMP/server.py" <<'PY'
import socket, sys, threading
def serve(port, handle):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[1], port))
    srv.listen(8)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()
def discard(c):
    mv = memoryview(bytearray(4 << 20))
    with c:
        while c.recv_into(mv):
            pass
def source(c):
    mv = memoryview(bytearray(b"x" * (4 << 20)))
    with c:
        try:
            while True:
                c.sendall(mv)
        except OSError:
            pass
threading.Thread(target=serve, args=(9, discard), daemon=True).start()
serve(19, source)
PY

declare -A GBPS NSB BYTES  # key "system,mtu,dir": median Gbit/s, median ns per byte, bytes moved
DIRS=(rx tx)               # rx: kernel -> server (discard, 9); tx: server -> kernel (chargen, 19)
declare -A DIR_MODE=([rx]=send [tx]=recv) DIR_PORT=([rx]=9 [tx]=19)
declare -A DIR_LABEL=([rx]="kernel -> server (discard)" [tx]="server -> kernel (chargen)")
declare -A DIR_SHORT=([rx]="kernel->tundra" [tx]="tundra->kernel")

# One transfer from namespace $1 to $2, direction $3, server PID $4 (for its CPU time), the
# kernel's socket with congestion control $5 (empty: the namespace's default); prints
# "GBIT_PER_S NS_PER_BYTE BYTES", "0 n/a 0" when it failed.
transfer() {
  local ns=$1 addr=$2 dir=$3 pid=$4 cc=${5:-} c0 c1 out g b
  c0=$(ticks "$pid")
  out=$(KCC=$cc timeout $((secs + 25)) ip netns exec "$ns" "$PY" "$TMP/client.py" \
    "${DIR_MODE[$dir]}" "$addr" "${DIR_PORT[$dir]}" "$secs" 2>"$TMP/client.err")
  c1=$(ticks "$pid")
  read -r g b <<<"$out"
  if ! isnum "${g:-}" || ! isnum "${b:-}" || [ "$b" = 0 ]; then echo "0 n/a 0"; return; fi
  if isnum "$c0" && isnum "$c1"; then
    awk -v g="$g" -v b="$b" -v c=$((c1 - c0)) -v t="$TCK" 'BEGIN { printf "%s %.3f %s\n", g, c / t * 1e9 / b, b }'
  else
    echo "$g n/a $b"
  fi
}
# The systems compared in one table are measured interleaved: each run moves every one of them
# once, in turn, so a machine that speeds up or slows down over a bench's minutes (a shared one
# does, by a fifth and more) moves them alike, and their ratios hold. SET lists the running
# ones ("SYSTEM NAMESPACE ADDRESS [ONLY [KERNEL_CC]]": ONLY rx or tx measures that direction
# alone; KERNEL_CC is the kernel client's congestion control, when not the default), PIDS their
# servers.
SET=()
# Starts TUN program (system $1, namespace $2; the rest its command line) at MTU_WANT and adds
# it to SET.
start_sys() {
  local sys=$1 ns=$2
  shift 2
  if start_tun "$ns" "$TMP/$sys-$MTU_WANT.log" "$@" --tun tun0 --mtu "$MTU_WANT"; then
    PIDS[$sys]=$CUR_PID; CUR_PID=""
    SET+=("$sys $ns 10.0.0.2")
  fi
}
# Starts the veth reference's servers (key $1) at MTU_WANT and adds them to SET.
start_veth() {
  set_veth_mtu "$MTU_WANT"
  ip netns exec "$NS_B" "$PY" "$TMP/server.py" 10.9.0.2 >"$TMP/server.log" 2>&1 &
  PIDS[$1]=$!
  for _ in $(seq 100); do
    [ "$(ip netns exec "$NS_B" ss -Hltn | grep -cE ':(9|19) ')" = 2 ] && break; sleep 0.05
  done
  if [ "$(ip netns exec "$NS_B" ss -Hltn | grep -cE ':(9|19) ')" = 2 ]; then
    SET+=("$1 $NS_A 10.9.0.2")
  else
    fail "the veth servers did not start: $(tail -n 2 "$TMP/server.log" | tr '\n' ' ')"
    stop_pid "${PIDS[$1]}"; unset "PIDS[$1]"
  fi
}
# Measures every system in SET, $runs times each way, interleaved; stores the medians under
# "system, MTU $MTU_WANT"; then stops them all and empties SET.
measure_set() {
  local dir r entry sys ns addr g c b
  for dir in "${DIRS[@]}"; do
    local -A gs=() cs=() bs=()
    for r in $(seq "$runs"); do
      for entry in "${SET[@]}"; do
        read -r sys ns addr only cc <<<"$entry"
        [ -n "${only:-}" ] && [ "$only" != "$dir" ] && continue
        progress "MTU $MTU_WANT $dir run $r/$runs: $sys"
        read -r g c b < <(transfer "$ns" "$addr" "$dir" "${PIDS[$sys]}" "${cc:-}")
        if [ "$g" = 0 ]; then
          fail "$sys MTU $MTU_WANT $dir: transfer failed ($(tail -n 1 "$TMP/client.err" 2>/dev/null))"
        fi
        gs[$sys]+="$g "; cs[$sys]+="$c "; bs[$sys]=$(( ${bs[$sys]:-0} + b ))
      done
    done
    for entry in "${SET[@]}"; do
      read -r sys _ <<<"$entry"
      GBPS["$sys,$MTU_WANT,$dir"]=$(printf '%s\n' ${gs[$sys]:-} | median)
      NSB["$sys,$MTU_WANT,$dir"]=$(printf '%s\n' ${cs[$sys]:-} | median)
      BYTES["$sys,$MTU_WANT,$dir"]=${bs[$sys]:-0}
    done
  done
  for sys in "${!PIDS[@]}"; do stop_pid "${PIDS[$sys]}"; done
  PIDS=(); SET=()
}
# Whether program $1 has --offload. Its help read whole first: grep -q stops at the match, and
# under pipefail the writer's SIGPIPE then failed the test now and then.
has_offload() {
  local help
  [ -n "$1" ] && help=$("$1" --help 2>&1) && grep -q -- --offload <<<"$help"
}

for MTU_WANT in 1500 9000; do
  # tundra against the TUN ceiling, lwIP and veth.
  [ -n "$ECHO" ] && start_sys tundra "$NS_E" "$ECHO"
  [ -n "$CEILING" ] && start_sys ceiling "$NS_C" "$CEILING"
  [ -n "$LWIP" ] && start_sys lwip "$NS_L" "$LWIP"
  start_veth veth
  measure_set
  # With TUN offloads, against the ceiling with offloads and veth, measured again beside them.
  has_offload "$ECHO" && start_sys tundra-off "$NS_E" "$ECHO" --offload
  has_offload "$CEILING" && start_sys ceiling-off "$NS_C" "$CEILING" --offload
  start_veth veth-off
  measure_set
done
set_veth_mtu 1500
MTU_WANT=1500
# Under 1% loss and with --tcp-trace, each beside a plain tundra measured again with them (in
# the ceiling's namespace, free by now).
if [ -n "$ECHO" ]; then
  start_sys tundra-loss "$NS_E" "$ECHO" --loss 0.01 --fault-direction both
  start_sys tundra-traced "$NS_L" "$ECHO" --tcp-trace "$TMP/trace.csv"
  start_sys tundra-ref "$NS_C" "$ECHO"
  # 1% of datagrams each way held back until the next overtakes them: no loss, only reordering
  # (RACK's reordering window, D-SACK and the undo of spurious recoveries), in the veth
  # reference's second namespace (its servers are stopped by now).
  start_sys tundra-reorder "$NS_B" "$ECHO" --reorder 0.01 --fault-direction both
  # The kernel's own loss-based TCP as the sender over the same two links: what SACK-based
  # recovery with CUBIC makes of 1% random loss here (the row above uses the namespace's
  # default, BBR on some machines, which does not take random loss for congestion).
  for e in "${SET[@]}"; do
    read -r sys ns addr <<<"$e"
    case $sys in tundra-loss | tundra-ref | tundra-reorder)
      SET+=("$sys-cubic $ns $addr rx cubic"); PIDS[$sys-cubic]=${PIDS[$sys]} ;;
    esac
  done
  # tundra sending with BBR (--cc bbr), lossy and not (its congestion control shapes only what
  # it sends), in namespaces free until the HTTP section.
  start_sys tundra-loss-bbr "$NS_H" "$ECHO" --loss 0.01 --fault-direction both --cc bbr
  start_sys tundra-ref-bbr "$NS_A" "$ECHO" --cc bbr
  # The same loss with the RTO's floor at 20 ms instead of 200 (--tcp min-rto): how much of
  # the lossy figure the timeouts cost, when a lost ACK and a lost probe leave only the RTO.
  start_sys tundra-loss-rto20 "$NS_X" "$ECHO" --loss 0.01 --fault-direction both \
    --tcp min-rto=20ms
  for i in "${!SET[@]}"; do
    case ${SET[$i]} in tundra-loss-bbr* | tundra-ref-bbr* | tundra-loss-rto20*) SET[$i]+=" tx" ;; esac
  done
  measure_set
fi
progress ""

v() { echo "${GBPS[$1]:-n/a}"; }
c() { echo "${NSB[$1]:-n/a}"; }
echo
printf '%-40s %9s %9s %9s %9s %8s %8s %8s\n' "TCP bulk, Gbit/s, ${secs} s, median of $runs" \
  "tundra" "ceiling" "lwIP" "veth" "t/ceil" "t/lwIP" "t/veth"
for mtu in 1500 9000; do
  for dir in "${DIRS[@]}"; do
    t=$(v "tundra,$mtu,$dir"); ce=$(v "ceiling,$mtu,$dir"); lw=$(v "lwip,$mtu,$dir"); ve=$(v "veth,$mtu,$dir")
    printf '%-40s %9s %9s %9s %9s %8s %8s %8s\n' "  MTU $mtu, ${DIR_LABEL[$dir]}" \
      "$t" "$ce" "$lw" "$ve" "$(ratio "$t" "$ce")" "$(ratio "$t" "$lw")" "$(ratio "$t" "$ve")"
  done
done
echo
printf '%-40s %9s %9s %9s %9s\n' "  CPU of the server, ns/B (CPU-s/GB)" "tundra" "ceiling" "lwIP" "veth*"
for mtu in 1500 9000; do
  for dir in "${DIRS[@]}"; do
    printf '%-40s %9s %9s %9s %9s\n' "  MTU $mtu, ${DIR_LABEL[$dir]}" \
      "$(c "tundra,$mtu,$dir")" "$(c "ceiling,$mtu,$dir")" "$(c "lwip,$mtu,$dir")" "$(c "veth,$mtu,$dir")"
  done
done
echo "  * veth: the python server's process, the kernel's TCP work on its end included"
[ -z "$CEILING" ] && echo "  ceiling: n/a (no tundra-ceiling in $BIN)"
[ -z "$LWIP" ] && echo "  lwIP: n/a (no lwip-tun in the build: it is built where liblwip-dev is installed)"

echo
printf '%-40s %9s %9s %9s %8s %8s\n' "TCP bulk with TUN offloads (Gbit/s)" "tundra" "ceiling" "veth" "t/ceil" "t/veth"
for mtu in 1500 9000; do
  for dir in "${DIRS[@]}"; do
    t=$(v "tundra-off,$mtu,$dir"); ce=$(v "ceiling-off,$mtu,$dir"); ve=$(v "veth-off,$mtu,$dir")
    printf '%-40s %9s %9s %9s %8s %8s\n' "  MTU $mtu, ${DIR_LABEL[$dir]}" "$t" "$ce" "$ve" \
      "$(ratio "$t" "$ce")" "$(ratio "$t" "$ve")"
  done
done
printf '%-40s\n' "  CPU of the server, ns/B, MTU 1500"
for dir in "${DIRS[@]}"; do
  printf '%-40s %9s %9s %9s\n' "  ${DIR_LABEL[$dir]}" "$(c "tundra-off,1500,$dir")" \
    "$(c "ceiling-off,1500,$dir")" "$(c "veth-off,1500,$dir")"
done
has_offload "$ECHO" || echo "  tundra: n/a (tundra-echo has no --offload)"
[ -n "$CEILING" ] && ! has_offload "$CEILING" && echo "  ceiling: n/a (tundra-ceiling has no --offload)"

echo
printf '%-40s %9s %9s %8s\n' "TCP bulk, tundra, MTU 1500 (Gbit/s)" "variant" "plain" "ratio"
# One row: label $1, the variant's key $2 against the plain key $3.
vs_plain() {
  local t p
  t=$(v "$2"); p=$(v "$3")
  printf '%-40s %9s %9s %8s\n' "$1" "$t" "$p" "$(ratio "$t" "$p")"
}
for dir in "${DIRS[@]}"; do
  vs_plain "  1% loss, ${DIR_LABEL[$dir]}" "tundra-loss,1500,$dir" "tundra-ref,1500,$dir"
done
vs_plain "  1% loss, kernel with CUBIC -> server" "tundra-loss-cubic,1500,rx" "tundra-ref-cubic,1500,rx"
for dir in "${DIRS[@]}"; do
  vs_plain "  1% reorder, ${DIR_LABEL[$dir]}" "tundra-reorder,1500,$dir" "tundra-ref,1500,$dir"
done
vs_plain "  1% reorder, kernel CUBIC -> server" "tundra-reorder-cubic,1500,rx" "tundra-ref-cubic,1500,rx"
vs_plain "  1% loss, server --cc bbr -> kernel" "tundra-loss-bbr,1500,tx" "tundra-ref-bbr,1500,tx"
vs_plain "    the same against plain (NewReno)" "tundra-loss-bbr,1500,tx" "tundra-ref,1500,tx"
vs_plain "  1% loss, server min-rto 20ms -> kernel" "tundra-loss-rto20,1500,tx" "tundra-ref,1500,tx"

for dir in "${DIRS[@]}"; do
  vs_plain "  --tcp-trace, ${DIR_LABEL[$dir]}" "tundra-traced,1500,$dir" "tundra-ref,1500,$dir"
done
if [ -f "$TMP/trace.csv" ]; then
  lines=$(wc -l <"$TMP/trace.csv")
  mib=$(( (${BYTES[tundra-traced,1500,rx]:-0} + ${BYTES[tundra-traced,1500,tx]:-0}) >> 20 ))
  [ "$mib" -gt 0 ] && printf '%-40s %9s lines/MiB\n' "  trace written" "$((lines / mib))"
  rm -f "$TMP/trace.csv"
fi

# --- HTTP ----------------------------------------------------------------------------------------
# tundra-httpd on tun0 in its namespace (10.0.0.2); nginx, one process, on the veth pair's far end;
# the clients in the kernel namespace next to tun0 and at the veth pair's near end.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k.bin"
# A site's file, not one written a moment ago: tundra-httpd does not cache a file changed in the
# last 2 s (its timestamps could hide a write), so a fresh file would be measured uncached for
# the first seconds only, and quick and full runs would measure different servers.
touch -d '1 hour ago' "$TMP/www/1k.bin"
for ns in "$NS_H" "$NS_A"; do
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
done
start_httpd() {
  MTU_WANT=1500 start_tun "$NS_H" "$TMP/httpd-$1.log" "$HTTPD" --tun tun0 --root "$TMP/www" \
    --access-log none --idle-timeout 600 --max-connections 30000
}
start_nginx() {
  cat >"$TMP/nginx.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $TMP/nginx.pid; error_log stderr error;
worker_rlimit_nofile 30000;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 600s;
  server { listen 10.9.0.2:80 backlog=4096; root $TMP/www; } }
NGINX
  ip netns exec "$NS_B" nginx -c "$TMP/nginx.conf" -e stderr >"$TMP/nginx-$1.log" 2>&1 &
  NGINX_PID=$!
  for _ in $(seq 100); do
    ip netns exec "$NS_B" ss -Hltn "sport = :80" | grep -q . && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.05
  done
  fail "nginx did not start: $(tail -n 2 "$TMP/nginx-$1.log" | tr '\n' ' ')"
  stop_pid "$NGINX_PID"; NGINX_PID=""
  return 1
}

# One HTTP run; prints requests per second ("0" when it failed); errors go to $TMP/http.err.
if command -v wrk >/dev/null; then HTTP_TOOL=wrk; elif command -v ab >/dev/null; then HTTP_TOOL=ab; else HTTP_TOOL=""; fi
http_rate() {
  local ns=$1 url=$2 mode=$3 out rate errs
  if [ "$HTTP_TOOL" = wrk ]; then
    # wrk takes a header only as "Name: value", with the space: "Connection:close" it drops
    # without a word, and the run stays keep-alive.
    local close=()
    [ "$mode" = close ] && close=(-H "Connection: close")
    out=$(timeout $((http_secs + 20)) ip netns exec "$ns" wrk -t1 -c50 -d"${http_secs}s" \
      "${close[@]}" "$url" 2>&1)
    rate=$(echo "$out" | sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p')
    errs=$(echo "$out" | sed -nE 's/^ *Socket errors: (.*)/\1/p; s/^ *(Non-2xx or 3xx responses: .*)/\1/p' | tr '\n' ' ')
  else
    local n=$((http_secs * 4000))
    out=$(timeout $((http_secs * 10 + 20)) ip netns exec "$ns" ab -q -n "$n" -c 50 \
      $([ "$mode" = keepalive ] && echo -k) "$url" 2>&1)
    rate=$(echo "$out" | sed -nE 's/^Requests per second: +([0-9.]+).*/\1/p')
    echo "$out" | grep -qE '^Failed requests: +0$' || errs="failed requests"
  fi
  [ -n "${errs:-}" ] && echo "$url $mode: $errs" >>"$TMP/http.err"
  echo "${rate:-0}"
}
declare -A HTTP
echo
if [ -z "$HTTP_TOOL" ]; then
  fail "neither wrk nor ab is installed"
else
  [ -n "$HTTPD" ] && start_httpd rate && H_PID=$CUR_PID || H_PID=""
  [ -z "$HTTPD" ] && fail "tundra-httpd is missing from $BIN"
  start_nginx rate || true
  # tundra-httpd's counters (SIGUSR1 prints them): "ACCEPTED RESPONSES_2XX", to check that each
  # mode is what it says (a header wrk dropped once made both modes keep-alive).
  httpd_counts() {
    local log=$TMP/httpd-rate.log before
    before=$(grep -c "connections accepted" "$log")
    kill -USR1 "$H_PID" 2>/dev/null || { echo "0 0"; return; }
    for _ in $(seq 100); do
      [ "$(grep -c "connections accepted" "$log")" -gt "$before" ] && break; sleep 0.05
    done
    awk '/ connections accepted$/ { a = $1 } / responses 2xx$/ { r = $1 } END { print a + 0, r + 0 }' "$log"
  }
  for mode in keepalive close; do
    t=(); n=()
    [ -n "$H_PID" ] && read -r acc0 resp0 < <(httpd_counts)
    for r in $(seq "$runs"); do
      progress "HTTP $mode run $r/$runs"
      [ -n "$H_PID" ] && t+=("$(http_rate "$NS_H" http://10.0.0.2/1k.bin "$mode")")
      [ -n "$NGINX_PID" ] && n+=("$(http_rate "$NS_A" http://10.9.0.2/1k.bin "$mode")")
    done
    HTTP[tundra,$mode]=$( [ ${#t[@]} -gt 0 ] && printf '%s\n' "${t[@]}" | median || echo n/a)
    HTTP[nginx,$mode]=$( [ ${#n[@]} -gt 0 ] && printf '%s\n' "${n[@]}" | median || echo n/a)
    if [ -n "$H_PID" ]; then
      read -r acc1 resp1 < <(httpd_counts)
      acc=$((acc1 - acc0)); resp=$((resp1 - resp0))
      if [ "$mode" = close ] && [ $((2 * acc)) -lt "$resp" ]; then
        fail "HTTP close: tundra-httpd accepted $acc connections for $resp responses: not one per request"
      elif [ "$mode" = keepalive ] && [ $((10 * acc)) -gt "$resp" ]; then
        fail "HTTP keep-alive: tundra-httpd accepted $acc connections for $resp responses: not kept alive"
      fi
    fi
    [ "${HTTP[tundra,$mode]}" = 0 ] && fail "HTTP $mode against tundra-httpd: no requests"
    [ "${HTTP[nginx,$mode]}" = 0 ] && fail "HTTP $mode against nginx: no requests"
  done
  stop_cur; stop_pid "$NGINX_PID"; NGINX_PID=""
  progress ""
  printf '%-40s %14s %14s %8s\n' "HTTP, $HTTP_TOOL 50 conns, 1 KiB, median of $runs" "tundra-httpd" "nginx (veth)" "ratio"
  for mode in keepalive close; do
    label=$([ "$mode" = keepalive ] && echo "keep-alive" || echo "a connection per request")
    printf '%-40s %11s /s %11s /s %8s\n' "  $label" "${HTTP[tundra,$mode]}" "${HTTP[nginx,$mode]}" \
      "$(ratio "${HTTP[tundra,$mode]}" "${HTTP[nginx,$mode]}")"
  done
  if [ -s "$TMP/http.err" ]; then
    echo "  errors reported by $HTTP_TOOL:"
    sort "$TMP/http.err" | uniq -c | sed 's/^/   /'
  fi
fi

# --- memory per idle connection ------------------------------------------------------------------
# One process opens N connections (non-blocking, up to 500 connecting at once, 60 s at most), each
# makes one request and reads the 1 KiB response; then it reports, holds them until stdin closes.
cat >"$TMP/idle.py" <<'PY'
import errno, selectors, socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
sel = selectors.DefaultSelector()
REQ = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n"
held, errors, pending, started = [], {}, {}, 0
deadline = time.monotonic() + 60
def err(kind, s):
    errors[kind] = errors.get(kind, 0) + 1
    sel.unregister(s); s.close(); pending.pop(s, None)
while (started < n or pending) and time.monotonic() < deadline:
    while started < n and len(pending) < 500:
        s = socket.socket(); s.setblocking(False)
        try:
            s.connect((addr, 80))
        except BlockingIOError:
            pass
        except OSError as e:
            errors[errno.errorcode.get(e.errno, str(e.errno))] = errors.get(errno.errorcode.get(e.errno, str(e.errno)), 0) + 1
            s.close(); started += 1; continue
        pending[s] = b""; started += 1
        sel.register(s, selectors.EVENT_WRITE)
    for key, ev in sel.select(timeout=0.5):
        s = key.fileobj
        if s not in pending:
            continue
        if ev & selectors.EVENT_WRITE:
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e:
                err("connect " + errno.errorcode.get(e, str(e)), s); continue
            s.send(REQ)
            sel.modify(s, selectors.EVENT_READ)
            continue
        try:
            b = s.recv(65536)
        except OSError as e:
            err("recv " + errno.errorcode.get(e.errno, str(e.errno)), s); continue
        if not b:
            err("closed by the server", s); continue
        got = pending[s] + b
        pending[s] = got
        h = got.find(b"\r\n\r\n")
        if h >= 0 and len(got) >= h + 4 + 1024:
            status = got.split(b" ", 2)[1].decode(errors="replace")
            sel.unregister(s); pending.pop(s)
            if status == "200":
                held.append(s)
            else:
                errors["HTTP " + status] = errors.get("HTTP " + status, 0) + 1; s.close()
if pending:
    errors["no answer within 60 s"] = len(pending)
el = 60 - (deadline - time.monotonic())
print(f"held {len(held)} of {n} in {el:.1f} s; errors: " +
      (", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"), flush=True)
print("ready", flush=True)
sys.stdin.read()  # hold the connections until stdin closes
PY
# Server $1 (PID $2) reached from namespace $3 at $4: prints "IDLE_KIB LOADED_KIB HELD" and leaves
# the client's report in $TMP/idle-$1.out.
hold_idle() {
  local name=$1 pid=$2 ns=$3 addr=$4 before after held
  timeout 10 ip netns exec "$ns" curl -s -o /dev/null "http://$addr/1k.bin"  # warm: one request
  sleep 0.5
  before=$(rss_kib "$pid")
  rm -f "$TMP/hold"; mkfifo "$TMP/hold"
  ( ulimit -n 20000; exec timeout 200 ip netns exec "$ns" "$PY" "$TMP/idle.py" "$addr" "$idle_conns" ) \
    <"$TMP/hold" >"$TMP/idle-$name.out" 2>&1 &
  HOLD_PID=$!
  exec 9>"$TMP/hold"
  for _ in $(seq 900); do
    grep -qs ready "$TMP/idle-$name.out" && break
    kill -0 "$HOLD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if grep -qs ready "$TMP/idle-$name.out"; then
    sleep 2   # held for a moment: the count below is what is still established
    after=$(rss_kib "$pid")
    held=$(ip netns exec "$ns" ss -Htn state established "dst $addr" | wc -l)
    kill -0 "$pid" 2>/dev/null || { after=""; held=0; echo "server died" >>"$TMP/idle-$name.out"; }
  else
    after=""; held=0
  fi
  exec 9>&-
  stop_pid "$HOLD_PID"; HOLD_PID=""
  echo "${before:-n/a} ${after:-n/a} $held"
}
echo
declare -A MEM
progress "memory: $idle_conns idle connections to tundra-httpd"
if [ -n "$HTTPD" ] && start_httpd idle; then
  read -r "MEM[tundra,idle]" "MEM[tundra,loaded]" "MEM[tundra,held]" < <(hold_idle tundra "$CUR_PID" "$NS_H" 10.0.0.2)
  kill -0 "$CUR_PID" 2>/dev/null || fail "tundra-httpd died while holding idle connections"
  stop_cur
fi
progress "memory: $idle_conns idle connections to nginx"
if start_nginx idle; then
  read -r "MEM[nginx,idle]" "MEM[nginx,loaded]" "MEM[nginx,held]" < <(hold_idle nginx "$NGINX_PID" "$NS_A" 10.9.0.2)
  stop_pid "$NGINX_PID"; NGINX_PID=""
fi
progress ""
per_conn() {
  local s=$1
  if isnum "${MEM[$s,idle]:-}" && isnum "${MEM[$s,loaded]:-}" && [ "${MEM[$s,held]:-0}" -gt 0 ]; then
    awk -v a="${MEM[$s,loaded]}" -v b="${MEM[$s,idle]}" -v n="${MEM[$s,held]}" 'BEGIN { printf "%.2f", (a - b) / n }'
  else
    echo n/a
  fi
}
printf '%-40s %14s %14s %8s\n' "Memory, $idle_conns idle connections" "tundra-httpd" "nginx (veth)" "ratio"
printf '%-40s %10s KiB %10s KiB\n' "  RSS idle (after one request)" "${MEM[tundra,idle]:-n/a}" "${MEM[nginx,idle]:-n/a}"
printf '%-40s %10s KiB %10s KiB\n' "  RSS holding the connections" "${MEM[tundra,loaded]:-n/a}" "${MEM[nginx,loaded]:-n/a}"
printf '%-40s %14s %14s\n' "  connections held (established)" "${MEM[tundra,held]:-0}" "${MEM[nginx,held]:-0}"
MEM[tundra,per]=$(per_conn tundra); MEM[nginx,per]=$(per_conn nginx)
printf '%-40s %10s KiB %10s KiB %8s\n' "  RSS per connection" "${MEM[tundra,per]}" "${MEM[nginx,per]}" \
  "$(ratio "${MEM[tundra,per]}" "${MEM[nginx,per]}")"
for s in tundra nginx; do
  [ -f "$TMP/idle-$s.out" ] && grep -v '^ready$' "$TMP/idle-$s.out" | sed "s/^/  $s client: /"
done

# --- targets -------------------------------------------------------------------------------------
# target LABEL VALUE OP LIMIT [SUFFIX]: one line, 'met' / 'NOT met' / 'n/a'.
target() {
  local label=$1 val=$2 op=$3 lim=$4 verdict
  if isnum "$val"; then
    verdict=$(awk -v v="$val" -v l="$lim" -v op="$op" 'BEGIN {
      ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "met" : "NOT met" }')
  else
    verdict="n/a"
  fi
  printf '  %-50s %9s %2s %-6s %s\n' "$label" "$val" "$op" "$lim" "$verdict"
}
echo
printf '%-52s %9s %9s\n' "Targets (issue 6)" "measured" "target"
for dir in "${DIRS[@]}"; do
  target "MTU 1500, ${DIR_SHORT[$dir]}: tundra / lwIP" \
    "$(ratio "$(v "tundra,1500,$dir")" "$(v "lwip,1500,$dir")")" ">=" 2.00
done
target "MTU 1500, ${DIR_SHORT[rx]}: tundra / ceiling" \
  "$(ratio "$(v tundra,1500,rx)" "$(v ceiling,1500,rx)")" ">=" 0.60
target "MTU 1500, ${DIR_SHORT[tx]}: tundra / ceiling" \
  "$(ratio "$(v tundra,1500,tx)" "$(v ceiling,1500,tx)")" ">=" 0.80
for mtu in 1500 9000; do
  for dir in "${DIRS[@]}"; do
    target "offloads, MTU $mtu, ${DIR_SHORT[$dir]}: tundra / veth" \
      "$(ratio "$(v "tundra-off,$mtu,$dir")" "$(v "veth-off,$mtu,$dir")")" ">=" 1.00
  done
done
target "HTTP keep-alive: tundra-httpd / nginx" "$(ratio "${HTTP[tundra,keepalive]:-}" "${HTTP[nginx,keepalive]:-}")" ">=" 0.80
target "HTTP a connection per request: tundra-httpd / nginx" "$(ratio "${HTTP[tundra,close]:-}" "${HTTP[nginx,close]:-}")" ">=" 0.80
target "RSS per idle connection, KiB" "${MEM[tundra,per]}" "<=" 4
target "idle connections held" "${MEM[tundra,held]:-0}" ">=" "$idle_conns"
for dir in "${DIRS[@]}"; do
  target "1% loss, MTU 1500, ${DIR_SHORT[$dir]}: lossy / loss-free" \
    "$(ratio "$(v "tundra-loss,1500,$dir")" "$(v "tundra-ref,1500,$dir")")" ">=" 0.50
done
# With BBR, against the loss-free default (NewReno), the larger of the two loss-free figures.
target "1% loss, MTU 1500, tundra->kernel, --cc bbr: lossy / loss-free" \
  "$(ratio "$(v "tundra-loss-bbr,1500,tx")" "$(v "tundra-ref,1500,tx")")" ">=" 0.50
for dir in "${DIRS[@]}"; do
  printf '  %-50s %9s ns/B (ceiling %s, lwIP %s)\n' "CPU per byte, MTU 1500, ${DIR_SHORT[$dir]}: tundra" \
    "$(c "tundra,1500,$dir")" "$(c "ceiling,1500,$dir")" "$(c "lwip,1500,$dir")"
done

echo
if [ ${#notes[@]} -gt 0 ]; then
  printf 'note: %s\n' "${notes[@]}" | sort -u
fi
echo "bench: $(($(date +%s) - T_START)) s"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'bench.sh: failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
exit 0
