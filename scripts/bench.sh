#!/usr/bin/env bash
# Benchmark: figures for tundra and, in the same run on the same machine, for a reference the
# kernel gives without tundra, printed with their ratios (absolute figures drift on shared machines;
# ratios hold). Namespaces of its own, removed on exit; bounded in time.
#   scripts/bench.sh [--quick]
# Measured now: ICMP echo round trips with `ping -f` (flood: the next request as soon as the reply
# is back) at 56, 1400 and 3000 bytes (3000 is fragmented both ways), tundra over TUN against the
# kernel answering over a veth pair; one bulk TCP flow each way between tundra and the kernel
# (python sending to tundra-echo's discard port 9, python reading from its chargen port 19) against
# the same python transfers between two kernel namespaces over the veth pair; HTTP requests per
# second with ab (1 KiB file, keep-alive and a connection per request) and memory per idle
# keep-alive connection (RSS before and after 1,000 clients connect and make one request each),
# tundra-httpd on a second TUN device against nginx (one process) over the veth pair; and the bulk
# transfers again with the TCP event trace on (--tcp-trace), against the untraced figures.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench.sh: error: run as root (it makes namespaces and devices)" >&2; exit 2; }

count=20000
runs=3
tcp_mib=256
[ "${1:-}" = "--quick" ] && { count=3000; runs=1; tcp_mib=64; }
[ $# -le 1 ] && { [ $# -eq 0 ] || [ "$1" = "--quick" ]; } || { echo "bench.sh: error: usage: scripts/bench.sh [--quick]" >&2; exit 2; }

scripts/build.sh >/dev/null

ID="$$"
NS_T="tundra-bench-t-$ID"; NS_A="tundra-bench-a-$ID"; NS_B="tundra-bench-b-$ID"
PID=""; SRV_PID=""; HTTPD_PID=""; NGINX_PID=""; TMP=$(mktemp -d)
cleanup() {
  for p in "$PID" "$SRV_PID" "$HTTPD_PID" "$NGINX_PID"; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
  for ns in "$NS_T" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

# tundra: tundra-echo on a TUN device in its namespace.
ip netns add "$NS_T"; ip -n "$NS_T" link set lo up
log=$TMP/tundra-echo.log
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

# Bulk TCP. The client: "send" writes N bytes, shuts down and waits for the receiver's FIN (so the
# time covers every byte arriving); "recv" reads N bytes. Prints Gbit/s.
cat >"$TMP/client.py" <<'PY'
import socket, sys, time
mode, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
block = bytes(range(256)) * 4096  # 1 MiB
start = time.perf_counter()
with socket.create_connection((addr, port), timeout=30) as s:
    if mode == "send":
        left = n
        while left:
            k = min(left, len(block))
            s.sendall(block[:k])
            left -= k
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    else:
        left = n
        while left > 0:
            b = s.recv(min(left, 1 << 20))
            if not b:
                sys.exit("stream ended early")
            left -= len(b)
print(f"{n * 8 / (time.perf_counter() - start) / 1e9:.3f}")
PY
# The reference's servers, as tundra-echo's: discard (read to the end, then close) and a source
# that sends until the client goes away.
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
    with c:
        while c.recv(1 << 20):
            pass
def source(c):
    block = bytes(range(256)) * 4096
    with c:
        try:
            while True:
                c.sendall(block)
        except OSError:
            pass
threading.Thread(target=serve, args=(9, discard), daemon=True).start()
serve(19, source)
PY
ip netns exec "$NS_B" python3 "$TMP/server.py" 10.9.0.2 >"$TMP/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do
  [ "$(ip netns exec "$NS_B" ss -Hltn | grep -cE ':(9|19) ')" = 2 ] && break; sleep 0.05
done
[ "$(ip netns exec "$NS_B" ss -Hltn | grep -cE ':(9|19) ')" = 2 ] || { cat "$TMP/server.log"; exit 1; }

# One transfer, bounded; prints Gbit/s, or 0 when it failed or ran out of time.
transfer() {
  local ns=$1 mode=$2 addr=$3 port=$4
  timeout 120 ip netns exec "$ns" python3 "$TMP/client.py" "$mode" "$addr" "$port" \
    $((tcp_mib << 20)) 2>/dev/null || echo 0
}

echo
declare -A untraced
printf '%-34s %14s %14s %8s\n' "TCP bulk, ${tcp_mib} MiB, median of $runs" "tundra" "veth (kernel)" "ratio"
for dir in "kernel -> tundra:send:9" "tundra -> kernel:recv:19"; do
  IFS=: read -r label mode port <<<"$dir"
  t=(); v=()
  for _ in $(seq "$runs"); do
    t+=("$(transfer "$NS_T" "$mode" 10.0.0.2 "$port")")
    v+=("$(transfer "$NS_A" "$mode" 10.9.0.2 "$port")")
  done
  tm=$(printf '%s\n' "${t[@]}" | median); vm=$(printf '%s\n' "${v[@]}" | median)
  untraced[$mode]=$tm
  printf '%-34s %7s Gbit/s %7s Gbit/s %8s\n' "  $label" "$tm" "$vm" \
    "$(awk -v a="$tm" -v b="$vm" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done

# The cost of the TCP event trace: the same transfers with tundra-echo writing --tcp-trace (a CSV
# line per segment sent and received, per ACK's cwnd change and RTT sample), against the untraced
# figures above.
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
log=$TMP/tundra-echo-traced.log
ip netns exec "$NS_T" build/bin/tundra-echo --tun tun0 --tcp-trace "$TMP/trace.csv" >"$log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q "Ctrl-C stops" "$log" && break; sleep 0.05; done
grep -q "Ctrl-C stops" "$log" || { cat "$log"; exit 1; }
echo
printf '%-34s %14s %14s %8s\n' "TCP bulk with --tcp-trace" "traced" "untraced" "ratio"
for dir in "kernel -> tundra:send:9" "tundra -> kernel:recv:19"; do
  IFS=: read -r label mode port <<<"$dir"
  t=()
  for _ in $(seq "$runs"); do t+=("$(transfer "$NS_T" "$mode" 10.0.0.2 "$port")"); done
  tm=$(printf '%s\n' "${t[@]}" | median)
  printf '%-34s %7s Gbit/s %7s Gbit/s %8s\n' "  $label" "$tm" "${untraced[$mode]}" \
    "$(awk -v a="$tm" -v b="${untraced[$mode]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
lines=$(wc -l <"$TMP/trace.csv")
printf '%-34s %14s\n' "  trace written" "$((lines / (2 * runs * tcp_mib))) lines/MiB"
rm -f "$TMP/trace.csv"

# HTTP. tundra-httpd on tun1 in tundra's namespace (10.0.2.2, the kernel 10.0.2.1); nginx, one
# process, on the veth pair's far end; ab and the idle clients in the near namespace / next to tun1.
ulimit -n 8192
mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k.bin"
ip netns exec "$NS_T" build/bin/tundra-httpd --tun tun1 --addr 10.0.2.2/24 --host-addr 10.0.2.1/24 \
  --root "$TMP/www" --access-log none --idle-timeout 120 >"$TMP/httpd.log" 2>&1 &
HTTPD_PID=$!
for _ in $(seq 100); do grep -q "Ctrl-C stops" "$TMP/httpd.log" && break; sleep 0.05; done
grep -q "Ctrl-C stops" "$TMP/httpd.log" || { cat "$TMP/httpd.log"; exit 1; }
cat >"$TMP/nginx.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $TMP/nginx.pid; error_log stderr error;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 120s;
  server { listen 10.9.0.2:80; root $TMP/www; } }
NGINX
ip netns exec "$NS_B" nginx -c "$TMP/nginx.conf" >"$TMP/nginx.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 100); do ip netns exec "$NS_B" ss -Hltn "sport = :80" | grep -q . && break; sleep 0.05; done
ip netns exec "$NS_B" ss -Hltn "sport = :80" | grep -q . || { cat "$TMP/nginx.log"; exit 1; }

http_n=20000
conns=1000
[ "$runs" = 1 ] && http_n=4000
# One ab run; prints requests per second, or 0 when any request failed.
ab_rate() {
  local ns=$1 url=$2 n=$3
  shift 3
  local out
  out=$(timeout 120 ip netns exec "$ns" ab -q -n "$n" -c 50 "$@" "$url" 2>&1 || true)
  if echo "$out" | grep -qE '^Failed requests: +0$' &&
    echo "$out" | grep -qE "^Complete requests: +$n\$"; then
    echo "$out" | sed -nE 's/^Requests per second: +([0-9.]+).*/\1/p'
  else
    echo 0
  fi
}
echo
printf '%-34s %14s %14s %8s\n' "HTTP, ab -c 50, 1 KiB, median of $runs" "tundra-httpd" "nginx (veth)" "ratio"
for mode in "keep-alive (ab -k):-k:$http_n" "a connection per request::$((http_n / 4))"; do
  IFS=: read -r label flag n <<<"$mode"
  t=()
  v=()
  for _ in $(seq "$runs"); do
    t+=("$(ab_rate "$NS_T" http://10.0.2.2/1k.bin "$n" ${flag:+"$flag"})")
    v+=("$(ab_rate "$NS_A" http://10.9.0.2/1k.bin "$n" ${flag:+"$flag"})")
  done
  tm=$(printf '%s\n' "${t[@]}" | median)
  vm=$(printf '%s\n' "${v[@]}" | median)
  printf '%-34s %11.0f /s %11.0f /s %8s\n' "  $label" "$tm" "$vm" \
    "$(awk -v a="$tm" -v b="$vm" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done

# Memory per idle keep-alive connection: the server's RSS before and after $conns clients have each
# connected and made one request, with the connections left open.
cat >"$TMP/idle.py" <<'PY'
import socket, sys
addr, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.create_connection((addr, 80), timeout=20)
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n")
    socks.append(s)
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 1024:
        b = s.recv(65536)
        if not b:
            sys.exit("connection closed early")
        got += b
print("ready", flush=True)
sys.stdin.read()  # hold the connections until stdin closes
PY
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Prints KiB per connection for the server $2, reached from namespace $1 at $3.
per_conn() {
  local ns=$1 pid=$2 addr=$3 before after cpid
  before=$(rss_kib "$pid")
  rm -f "$TMP/hold" "$TMP/idle.out"
  mkfifo "$TMP/hold"
  ip netns exec "$ns" python3 "$TMP/idle.py" "$addr" "$conns" <"$TMP/hold" >"$TMP/idle.out" 2>&1 &
  cpid=$!
  exec 9>"$TMP/hold"
  for _ in $(seq 600); do
    grep -q ready "$TMP/idle.out" && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q ready "$TMP/idle.out"; then
    after=$(rss_kib "$pid")
    awk -v a="$after" -v b="$before" -v n="$conns" 'BEGIN { printf "%.1f", (a - b) / n }'
  else
    echo "?"
  fi
  exec 9>&-
  wait "$cpid" 2>/dev/null || true
}
tm=$(per_conn "$NS_T" "$HTTPD_PID" 10.0.2.2)
vm=$(per_conn "$NS_A" "$NGINX_PID" 10.9.0.2)
printf '%-34s %10s KiB %10s KiB %8s\n' "  memory per idle connection ($conns)" "$tm" "$vm" \
  "$(awk -v a="$tm" -v b="$vm" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
