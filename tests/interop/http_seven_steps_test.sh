#!/usr/bin/env bash
# The browser's seven steps for http://www.github.com:80/devgaram, by name, with tundra-fetch -v:
# the name is resolved over tundra's UDP by a DNS server in the namespace (dnsmasq, where
# www.github.com is a CNAME of github.com as on the internet), the page comes from python's
# http.server on the kernel side. Also: the nameserver taken from resolv.conf when --dns is not
# given, /etc/hosts before DNS, and NXDOMAIN as its own exit code.
source "$(dirname "$0")/lib.sh"
interop_init http-seven-steps "$@"

# tun1 is made persistent here so the kernel-side servers can bind to 10.0.1.1 before tundra-fetch
# attaches to it; each fetch is a new tundra on the same device.
in_ns ip tuntap add dev tun1 mode tun
in_ns ip addr add 10.0.1.1/24 dev tun1
in_ns ip link set tun1 up

mkdir -p "$WORK/site"
head -c 100000 /dev/urandom >"$WORK/site/devgaram"
bg_ns python3 -m http.server 80 --bind 10.0.1.1 --directory "$WORK/site" >"$WORK/python.log" 2>&1
bg_ns dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
  --pid-file= --listen-address=10.0.1.1 --bind-interfaces --log-queries --log-facility=- \
  --host-record=github.com,10.0.1.1 --cname=www.github.com,github.com --local=/test/ \
  >"$WORK/dnsmasq.log" 2>&1
for proto in t:80 u:53; do
  ok=0
  for _ in $(seq 200); do
    in_ns ss -Hln"${proto%%:*}" "sport = :${proto#*:}" | grep -q . && { ok=1; break; }
    sleep 0.05
  done
  [ $ok = 1 ] || fail "nothing listens on $proto: $(cat "$WORK"/*.log)"
done

fetch() {
  timeout 60 ip netns exec "$NS" "$BIN/tundra-fetch" --tun tun1 --addr 10.0.1.2/24 --max-time 30 "$@"
}

rc=0
fetch --dns 10.0.1.1 -v -o "$WORK/page" http://www.github.com:80/devgaram 2>"$WORK/fetch.log" || rc=$?
[ $rc = 0 ] || fail "tundra-fetch exited with $rc"
cat "$WORK/fetch.log"
[ "$(sha256sum <"$WORK/page")" = "$(sha256sum <"$WORK/site/devgaram")" ] || fail "the page differs"
# The seven steps, in order, each named.
STEPS=("step 1/7 host name" "step 2/7 resolve" "step 3/7 port" "step 4/7 TCP connect"
  "step 5/7 send request" "step 6/7 read response" "step 7/7 close connection")
line=0
for step in "${STEPS[@]}"; do
  n=$(grep -n -F -- "$step" "$WORK/fetch.log" | head -n 1 | cut -d: -f1)
  [ -n "$n" ] || fail "-v does not show step '$step'"
  [ "$n" -gt "$line" ] || fail "step '$step' is out of order"
  line=$n
done
grep -q "github.com" "$WORK/fetch.log" || fail "-v does not show the CNAME github.com"
grep -qE "10\.0\.1\.2:[0-9]+ -> 10\.0\.1\.1:80" "$WORK/fetch.log" || fail "-v does not show the 4-tuple"
grep -q "query\[A\] www.github.com from 10.0.1.2" "$WORK/dnsmasq.log" ||
  fail "dnsmasq did not see tundra's query: $(cat "$WORK/dnsmasq.log")"
pass "the seven steps, in order, through DNS in the namespace, page sha256 matches"

# No --dns: the nameserver comes from resolv.conf (ip netns exec mounts /etc/netns/NS/ over /etc/),
# and /etc/hosts answers before DNS does.
mkdir -p "/etc/netns/$NS"
echo "nameserver 10.0.1.1" >"/etc/netns/$NS/resolv.conf"
printf '127.0.0.1 localhost\n10.0.1.1 hosts-only.test\n' >"/etc/netns/$NS/hosts"
fetch -s -o "$WORK/page2" http://www.github.com/devgaram 2>"$WORK/fetch2.log" ||
  fail "fetch through resolv.conf's nameserver failed: $(cat "$WORK/fetch2.log")"
[ "$(sha256sum <"$WORK/page2")" = "$(sha256sum <"$WORK/site/devgaram")" ] || fail "page2 differs"
fetch -s -o "$WORK/page3" http://hosts-only.test/devgaram 2>"$WORK/fetch3.log" ||
  fail "fetch through /etc/hosts failed: $(cat "$WORK/fetch3.log")"
! grep -q "hosts-only.test" "$WORK/dnsmasq.log" || fail "hosts-only.test was asked of DNS"
pass "resolv.conf's nameserver and /etc/hosts"

rc=0
fetch -s -o "$WORK/none" http://no-such-name.test/ 2>"$WORK/fetch4.log" || rc=$?
[ $rc = 4 ] || fail "NXDOMAIN: exit $rc, want 4 ($(cat "$WORK/fetch4.log"))"
pass "an unknown name ends with exit 4: $(head -n 1 "$WORK/fetch4.log")"

# A name with several addresses: when the first refuses (10.0.1.3 has no server) or does not
# answer (10.0.1.77 is nobody), the next is tried.
in_ns ip addr add 10.0.1.3/24 dev tun1
fetch -v --resolve multi.test:10.0.1.3 --resolve multi.test:10.0.1.77 --resolve multi.test:10.0.1.1 \
  --connect-timeout 1 -o "$WORK/page5" http://multi.test/devgaram 2>"$WORK/fetch5.log" ||
  fail "fetch with fallback failed: $(cat "$WORK/fetch5.log")"
[ "$(sha256sum <"$WORK/page5")" = "$(sha256sum <"$WORK/site/devgaram")" ] || fail "page5 differs"
grep -q "trying the next address: 10.0.1.77:80" "$WORK/fetch5.log" &&
  grep -q "trying the next address: 10.0.1.1:80" "$WORK/fetch5.log" ||
  fail "-v does not show the fallback: $(cat "$WORK/fetch5.log")"
pass "refused, then unanswered, then the third address serves the page"

# A nameserver that never answers counts against --max-time (exit 6, not 3 attempts × 2 s).
start=$SECONDS
rc=0
timeout 30 ip netns exec "$NS" "$BIN/tundra-fetch" --tun tun1 --addr 10.0.1.2/24 --max-time 2 -s \
  --dns 10.0.1.99 -o "$WORK/none" http://www.github.com/ 2>"$WORK/fetch6.log" || rc=$?
[ $rc = 6 ] || fail "silent nameserver with --max-time 2: exit $rc, want 6 ($(cat "$WORK/fetch6.log"))"
[ $((SECONDS - start)) -le 4 ] || fail "silent nameserver: took $((SECONDS - start)) s with --max-time 2"
pass "a silent nameserver and --max-time 2: exit 6 in $((SECONDS - start)) s"
