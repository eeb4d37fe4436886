#!/usr/bin/env bash
# The README's main command: sets up, builds, and shows HTTP over tundra on real TUN devices, in a
# network namespace of its own that it removes on exit:
#   1. tundra-httpd serves its bundled sample site on tun0 (tundra 10.0.0.2, the kernel 10.0.0.1);
#      the kernel's curl fetches pages, a directory listing, a byte range, and a 304.
#   2. tundra-fetch -v, on a second device tun1 (tundra 10.0.1.2, the kernel 10.0.1.1), walks the
#      browser's seven steps for http://www.github.com:80/devgaram: the name is resolved by a DNS
#      server in the namespace (dnsmasq; www.github.com is a CNAME of github.com, as on the
#      internet) and the page comes from python's http.server on the kernel side.
#   3. tundra-fetch fetches from tundra-httpd: two tundra stacks, routed by the kernel between
#      tun1 and tun0.
# Then it shows the capture of tundra-httpd's device and the counters.
#   scripts/demo.sh [--loss P] [--delay MS] …   (fault options go to tundra-httpd)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: error: run as root (it makes a network namespace and TUN devices)" >&2
  exit 2
fi
scripts/setup.sh >/dev/null
scripts/build.sh

NS="tundra-demo-$$"
WORK=$(mktemp -d /tmp/tundra-demo.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { ip netns exec "$NS" "$@"; }
# In the background, keeping the command's own PID (ip netns exec execs it) for the cleanup.
bg_ns() {
  ip netns exec "$NS" "$@" &
  PIDS+=($!)
}
# Waits (bounded) until a TCP or UDP port listens in the namespace.
wait_listen() {
  local proto=$1 port=$2
  for _ in $(seq 100); do
    in_ns ss -Hln"$proto" "sport = :$port" | grep -q . && return 0
    sleep 0.05
  done
  echo "demo.sh: error: nothing listens on $proto port $port" >&2
  exit 1
}

ip netns add "$NS"
in_ns ip link set lo up
in_ns sysctl -qw net.ipv4.ip_forward=1  # the kernel routes between tun0 and tun1 (part 3)

say "1. tundra-httpd on tun0 (tundra 10.0.0.2, kernel 10.0.0.1), serving its sample site"
bg_ns build/bin/tundra-httpd --tun tun0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24 \
  --gateway 10.0.0.1 --pcap "$WORK/httpd.pcap" "$@" >"$WORK/httpd.log" 2>"$WORK/httpd.err"
HTTPD_PID=${PIDS[-1]}
for _ in $(seq 100); do grep -q "Ctrl-C stops" "$WORK/httpd.err" && break; sleep 0.05; done
grep -q "Ctrl-C stops" "$WORK/httpd.err" || { cat "$WORK/httpd.err"; exit 1; }
cat "$WORK/httpd.err"

say "curl -i http://10.0.0.2/ (the kernel's curl; tundra answers)"
in_ns curl -sS -i --max-time 10 http://10.0.0.2/ | head -n 20
echo "…"
say "curl -sI http://10.0.0.2/files/ -r 0-99 (a byte range) and a conditional GET (304)"
in_ns curl -sS -o /dev/null --max-time 10 -w 'directory listing: %{http_code}, %{size_download} bytes\n' \
  http://10.0.0.2/files/ || true
in_ns curl -sS -o /dev/null --max-time 10 -r 0-99 -w 'range 0-99: %{http_code}, %{size_download} bytes\n' \
  http://10.0.0.2/ || true
lm=$(in_ns curl -sSI --max-time 10 http://10.0.0.2/ | sed -nE 's/^Last-Modified: (.*)\r$/\1/p')
in_ns curl -sS -o /dev/null --max-time 10 -H "If-Modified-Since: $lm" \
  -w "If-Modified-Since $lm: %{http_code}\n" http://10.0.0.2/ || true

say "2. tundra-fetch -v http://www.github.com:80/devgaram (tun1: tundra 10.0.1.2, kernel 10.0.1.1)"
# tun1 is made here, persistent, so the kernel-side servers can bind to 10.0.1.1 before
# tundra-fetch attaches to it.
in_ns ip tuntap add dev tun1 mode tun
in_ns ip addr add 10.0.1.1/24 dev tun1
in_ns ip link set tun1 up
mkdir -p "$WORK/site"
printf 'Hello from python http.server on the kernel side, at 10.0.1.1:80.\n' >"$WORK/site/devgaram"
bg_ns python3 -m http.server 80 --bind 10.0.1.1 --directory "$WORK/site" >"$WORK/python.log" 2>&1
# The namespace's DNS server: www.github.com is a CNAME of github.com; tundra.test is tundra-httpd.
bg_ns dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
  --pid-file= --listen-address=10.0.1.1 --bind-interfaces --log-queries --log-facility=- \
  --host-record=github.com,10.0.1.1 --cname=www.github.com,github.com \
  --host-record=tundra.test,10.0.0.2 --local=/test/ >"$WORK/dnsmasq.log" 2>&1
wait_listen t 80
wait_listen u 53
in_ns build/bin/tundra-fetch --tun tun1 --addr 10.0.1.2/24 --gateway 10.0.1.1 --dns 10.0.1.1 \
  --max-time 20 -v http://www.github.com:80/devgaram || echo "(tundra-fetch exited with $?)"

say "3. tundra-fetch -> tundra-httpd: two tundra stacks, the kernel routing tun1 <-> tun0"
in_ns build/bin/tundra-fetch --tun tun1 --addr 10.0.1.2/24 --gateway 10.0.1.1 --dns 10.0.1.1 \
  --max-time 20 -o "$WORK/index.html" http://tundra.test/ || echo "(tundra-fetch exited with $?)"
[ -f "$WORK/index.html" ] && echo "fetched http://tundra.test/: $(wc -c <"$WORK/index.html") bytes," \
  "sha256 $(sha256sum <"$WORK/index.html" | cut -c1-16)…"

say "tundra-httpd's access log"
cat "$WORK/httpd.log"

say "The capture on tun0 (tcpdump -r on tundra-httpd's --pcap file)"
kill -TERM "$HTTPD_PID"; wait "$HTTPD_PID" || true
tcpdump -nn -r "$WORK/httpd.pcap" 2>/dev/null | head -n 30
cp "$WORK/httpd.pcap" /tmp/tundra-demo.pcap
echo "(kept as /tmp/tundra-demo.pcap: open it in Wireshark)"

say "tundra-httpd's counters at exit (also printed on SIGUSR1)"
sed -n '/^ipv4:/,$p' "$WORK/httpd.err"

say "Done. Try: scripts/demo.sh --loss 0.1 --delay 20   (faults on what tundra-httpd sends)"
