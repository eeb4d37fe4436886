#!/usr/bin/env bash
# Benchmark: figures for tundra and, in the same run on the same machine, for a reference the
# kernel gives without tundra, printed with their ratios (absolute figures drift on shared machines;
# ratios hold). Namespaces of its own, removed on exit; bounded in time.
#   scripts/bench.sh [--quick]
# Measured now: ICMP echo round trips with `ping -f` (flood: the next request as soon as the reply
# is back) at 56, 1400 and 3000 bytes (3000 is fragmented both ways), tundra over TUN against the
# kernel answering over a veth pair. TCP and HTTP figures join as those issues land.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench.sh: error: run as root (it makes namespaces and devices)" >&2; exit 2; }

count=20000
runs=3
[ "${1:-}" = "--quick" ] && { count=3000; runs=1; }
[ $# -le 1 ] && { [ $# -eq 0 ] || [ "$1" = "--quick" ]; } || { echo "bench.sh: error: usage: scripts/bench.sh [--quick]" >&2; exit 2; }

scripts/build.sh >/dev/null

ID="$$"
NS_T="tundra-bench-t-$ID"; NS_A="tundra-bench-a-$ID"; NS_B="tundra-bench-b-$ID"
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  for ns in "$NS_T" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

# tundra: tundra-echo on a TUN device in its namespace.
ip netns add "$NS_T"; ip -n "$NS_T" link set lo up
log=$(mktemp)
ip netns exec "$NS_T" build/bin/tundra-echo --tun tun0 >"$log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q "Ctrl-C stops" "$log" && break; sleep 0.05; done
grep -q "Ctrl-C stops" "$log" || { cat "$log"; exit 1; }

# Reference: two kernel namespaces on a veth pair.
ip netns add "$NS_A"; ip netns add "$NS_B"
ip link add "vb$ID" netns "$NS_A" type veth peer name "vb$ID" netns "$NS_B"
ip -n "$NS_A" addr add 10.9.0.1/24 dev "vb$ID"; ip -n "$NS_B" addr add 10.9.0.2/24 dev "vb$ID"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; ip -n "$ns" link set "vb$ID" up; done

# One flood ping; prints "RATE_PER_S AVG_RTT_US LOST".
flood() {
  local ns=$1 addr=$2 size=$3
  local out start end
  start=$(date +%s.%N)
  out=$(timeout 120 ip netns exec "$ns" ping -q -f -c "$count" -s "$size" -W 1 "$addr" 2>&1 || true)
  end=$(date +%s.%N)
  local rx avg
  rx=$(echo "$out" | sed -nE 's/.* ([0-9]+) received.*/\1/p')
  avg=$(echo "$out" | sed -nE 's|.*= [0-9.]+/([0-9.]+)/.*|\1|p')
  awk -v n="$rx" -v s="$start" -v e="$end" -v a="$avg" -v c="$count" \
    'BEGIN { printf "%.0f %.1f %d\n", n / (e - s), a * 1000, c - n }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-34s %14s %14s %8s\n' "ICMP echo, ping -f, median of $runs" "tundra" "veth (kernel)" "ratio"
for size in 56 1400 3000; do
  t_rate=(); t_rtt=(); v_rate=(); v_rtt=()
  for _ in $(seq "$runs"); do
    read -r r a _ < <(flood "$NS_T" 10.0.0.2 "$size"); t_rate+=("$r"); t_rtt+=("$a")
    read -r r a _ < <(flood "$NS_A" 10.9.0.2 "$size"); v_rate+=("$r"); v_rtt+=("$a")
  done
  tr=$(printf '%s\n' "${t_rate[@]}" | median); vr=$(printf '%s\n' "${v_rate[@]}" | median)
  ta=$(printf '%s\n' "${t_rtt[@]}" | median); va=$(printf '%s\n' "${v_rtt[@]}" | median)
  printf '%-34s %11s /s %11s /s %8s\n' "  ${size} B: echoes per second" "$tr" "$vr" "$(awk -v a="$tr" -v b="$vr" 'BEGIN { printf "%.2f", a / b }')"
  printf '%-34s %11s us %11s us %8s\n' "  ${size} B: mean round trip" "$ta" "$va" "$(awk -v a="$ta" -v b="$va" 'BEGIN { printf "%.2f", a / b }')"
done
