#!/usr/bin/env bash
# tundra-httpd under load: ab with and without keep-alive (2000 requests, 50 at a time, none may
# fail), then 1,000 concurrent keep-alive clients (httpd_many_clients.py) served twice each while
# a curl from another client still gets its answer.
source "$(dirname "$0")/lib.sh"
interop_init httpd_load "$@"

ROOT="$WORK/root"
mkdir -p "$ROOT"
head -c 4096 /dev/urandom >"$ROOT/page.bin"
head -c 300 /dev/urandom >"$ROOT/small.bin"
start_tundra tundra-httpd --tun tun0 --root "$ROOT" --access-log none --idle-timeout 120 \
  --header-timeout 60 --time-wait 4
URL=http://10.0.0.2

check_ab() {
  local out=$1 what=$2
  grep -q "^Complete requests: *2000$" "$out" || fail "$what: $(grep -E 'Complete|Failed' "$out")"
  grep -q "^Failed requests: *0$" "$out" || fail "$what: $(grep -A4 'Failed requests' "$out")"
  grep -qE "^Non-2xx responses" "$out" && fail "$what: $(grep 'Non-2xx' "$out")"
  echo "$what: $(grep -E '^Requests per second' "$out")"
}

in_ns timeout 300 ab -q -n 2000 -c 50 -k -s 60 "$URL/page.bin" >"$WORK/ab-k.out" 2>&1 ||
  fail "ab -k: $(tail -n 3 "$WORK/ab-k.out")"
check_ab "$WORK/ab-k.out" "ab -n 2000 -c 50 -k"
grep -q "^Keep-Alive requests: *2000$" "$WORK/ab-k.out" ||
  fail "ab -k: $(grep 'Keep-Alive requests' "$WORK/ab-k.out")"
pass "ab -k: 2000 complete, 0 failed, all kept alive"

in_ns timeout 300 ab -q -n 2000 -c 50 -s 60 "$URL/page.bin" >"$WORK/ab.out" 2>&1 ||
  fail "ab: $(tail -n 3 "$WORK/ab.out")"
check_ab "$WORK/ab.out" "ab -n 2000 -c 50"
pass "ab without keep-alive: 2000 complete, 0 failed"

want=$(sha256sum "$ROOT/small.bin" | awk '{print $1}')
in_ns timeout 400 python3 "$(dirname "$0")/httpd_many_clients.py" 10.0.0.2 80 1000 /small.bin \
  "$want" "$TUNDRA_PID" || fail "1000 keep-alive clients"
pass "1000 concurrent keep-alive clients, two rounds each, curl served meanwhile"

stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-httpd exited with $STOP_RC"
reqs=$(counter "$TUNDRA_LOG" "requests")
[ "$reqs" -ge 6001 ] || fail "requests counter: $reqs"
ok=$(counter "$TUNDRA_LOG" "responses 2xx")
[ "$ok" = "$reqs" ] || fail "$reqs requests but $ok 2xx"
pass "$reqs requests counted, all 2xx"
