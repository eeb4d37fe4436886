#!/usr/bin/env bash
# tundra-fetch against kernel-side HTTP servers in the test's namespace: python's http.server for
# plain files (0 B, 1 B, 1 MiB, 20 MiB), fetch_server.py for chunked bodies with a trailer, 1xx
# interim responses, redirect chains, POST and error statuses, and a server that never answers.
# Each fetch makes its own tun0 (10.0.0.2, kernel side 10.0.0.1) for as long as it runs; bodies
# are checked by SHA-256, failures by exit code, and -v by its seven step headings.
source "$(dirname "$0")/lib.sh"
interop_init fetch "$@"
HERE=$(cd "$(dirname "$0")" && pwd)

STATIC=8000  # python3 -m http.server
APP=8080     # fetch_server.py; 8081 accepts and never answers

# 10.0.0.1 appears only while a tundra-fetch holds tun0: let the servers bind it anyway.
in_ns sysctl -qw net.ipv4.ip_nonlocal_bind=1

WWW="$WORK/www"
mkdir -p "$WWW"
: >"$WWW/empty"
head -c 1 /dev/urandom >"$WWW/one"
head -c $((1 << 20)) /dev/urandom >"$WWW/f1m"
head -c $((20 << 20)) /dev/urandom >"$WWW/f20m"
sha() { sha256sum "$1" | cut -d' ' -f1; }

# Waits (bounded) until something in the namespace listens on TCP port $1; $2 is the server's PID.
wait_listen() {
  local port=$1 pid=$2 log=$3
  local deadline=$((SECONDS + 10))
  until in_ns ss -Hltn "sport = :$port" | grep -q LISTEN; do
    [ $SECONDS -lt $deadline ] || fail "nothing listens on $port: $(tail -n 5 "$log")"
    kill -0 "$pid" 2>/dev/null || fail "server for $port died: $(tail -n 5 "$log")"
    sleep 0.05
  done
}

bg_ns timeout 600 python3 -m http.server --bind 10.0.0.1 --directory "$WWW" $STATIC \
  >"$WORK/static.log" 2>&1
STATIC_PID=$BG_PID
bg_ns timeout 600 python3 "$HERE/fetch_server.py" $APP "$WWW" $STATIC >"$WORK/app.log" 2>&1
APP_PID=$BG_PID
wait_listen $STATIC $STATIC_PID "$WORK/static.log"
wait_listen $APP $APP_PID "$WORK/app.log"
wait_listen $((APP + 1)) $APP_PID "$WORK/app.log"

# Runs tundra-fetch in the namespace; stdout in $WORK/fetch.out, stderr in $WORK/fetch.log, exit
# code in RC, seconds taken in TOOK.
run_fetch() {
  RC=0
  local start=$SECONDS
  in_ns timeout 120 "$BIN/tundra-fetch" --tun tun0 "$@" >"$WORK/fetch.out" 2>"$WORK/fetch.log" ||
    RC=$?
  TOOK=$((SECONDS - start))
}
expect_rc() {
  [ "$RC" = "$1" ] || fail "$2: exit $RC, expected $1: $(head -n 5 "$WORK/fetch.log")"
}

# 1. Files by Content-Length, to -o, SHA-256 equal.
for f in empty one f1m f20m; do
  rm -f "$WORK/got"
  run_fetch -s -o "$WORK/got" "http://10.0.0.1:$STATIC/$f"
  expect_rc 0 "GET /$f"
  [ -f "$WORK/got" ] || fail "GET /$f: no output file"
  [ "$(sha "$WORK/got")" = "$(sha "$WWW/$f")" ] || fail "GET /$f: SHA-256 differs"
  pass "GET /$f from http.server: $(stat -c %s "$WORK/got") bytes, SHA-256 equal (${TOOK} s)"
done

# 2. Chunked bodies of random chunk sizes with extensions and a trailer; to stdout this time.
for f in empty one f1m f20m; do
  run_fetch -s "http://10.0.0.1:$APP/chunked/$f"
  expect_rc 0 "chunked /$f"
  [ "$(sha "$WORK/fetch.out")" = "$(sha "$WWW/$f")" ] || fail "chunked /$f: SHA-256 differs"
done
run_fetch -v -o "$WORK/got" "http://10.0.0.1:$APP/chunked/f1m"
grep -q "< Transfer-Encoding: chunked" "$WORK/fetch.log" || fail "chunked: no TE in -v"
grep -q "trailer X-Length: 1048576" "$WORK/fetch.log" || fail "chunked: trailer not shown"
pass "chunked bodies (0 B to 20 MiB, random chunks, trailer): SHA-256 equal"

# 3. 1xx interim responses are skipped.
run_fetch -v -o "$WORK/got" "http://10.0.0.1:$APP/interim/f1m"
expect_rc 0 "interim"
[ "$(sha "$WORK/got")" = "$(sha "$WWW/f1m")" ] || fail "interim: SHA-256 differs"
grep -q "interim response 100 skipped" "$WORK/fetch.log" || fail "interim: 100 not reported"
grep -q "interim response 102 skipped" "$WORK/fetch.log" || fail "interim: 102 not reported"
pass "100 and 102 before the 200 are skipped"

# 4. -L: a relative 301 chain ending in a 302, and a 302 to another server.
run_fetch -L -v -o "$WORK/got" "http://10.0.0.1:$APP/a/b/chain/3"
expect_rc 0 "-L chain"
[ "$(sha "$WORK/got")" = "$(sha "$WWW/one")" ] || fail "-L chain: not the file"
[ "$(grep -c '^\* redirect ' "$WORK/fetch.log")" = 4 ] || fail "-L chain: not 4 redirects"
grep -q "redirect 1: 301 GET -> GET http://10.0.0.1:$APP/a/b/chain/2" "$WORK/fetch.log" ||
  fail "-L chain: relative Location not resolved: $(grep redirect "$WORK/fetch.log")"
run_fetch -L -o "$WORK/got" "http://10.0.0.1:$APP/to-static/f1m"
expect_rc 0 "-L 302"
[ "$(sha "$WORK/got")" = "$(sha "$WWW/f1m")" ] || fail "-L 302: SHA-256 differs"
run_fetch -L --max-redirs 1 -o "$WORK/got" "http://10.0.0.1:$APP/a/b/chain/3"
expect_rc 9 "--max-redirs 1"
grep -q "too many redirects" "$WORK/fetch.log" || fail "--max-redirs: no message"
run_fetch -o "$WORK/got" "http://10.0.0.1:$APP/a/b/chain/0"
expect_rc 0 "302 without -L"
[ "$(cat "$WORK/got")" = found ] || fail "302 without -L: the redirect's body was not written"
pass "-L: 3 relative 301s + 302, and a 302 across servers; --max-redirs 1 exits 9"

# 5. -I: the head only.
run_fetch -I "http://10.0.0.1:$STATIC/f20m"
expect_rc 0 "-I"
grep -q "^HTTP/1.0 200 OK" "$WORK/fetch.out" || fail "-I: no status line"
grep -qi "^Content-Length: $((20 << 20))" "$WORK/fetch.out" || fail "-I: no Content-Length"
[ "$(stat -c %s "$WORK/fetch.out")" -lt 1000 ] || fail "-I: a body was written"
pass "-I: head printed, no body"

# 6. -d POST, echoed back; Content-Type defaults to a form, -H replaces it; @FILE.
run_fetch -v -d 'a=1&b=two' "http://10.0.0.1:$APP/echo"
expect_rc 0 "-d"
[ "$(cat "$WORK/fetch.out")" = 'a=1&b=two' ] || fail "-d: echoed '$(cat "$WORK/fetch.out")'"
grep -q "< X-Request-Type: application/x-www-form-urlencoded" "$WORK/fetch.log" ||
  fail "-d: default Content-Type not sent"
grep -q "^> POST /echo HTTP/1.1" "$WORK/fetch.log" || fail "-d: not a POST"
run_fetch -v -H 'Content-Type: application/octet-stream' -d "@$WWW/f1m" -o "$WORK/got" \
  "http://10.0.0.1:$APP/echo"
expect_rc 0 "-d @FILE"
[ "$(sha "$WORK/got")" = "$(sha "$WWW/f1m")" ] || fail "-d @FILE: echo differs"
grep -q "< X-Request-Type: application/octet-stream" "$WORK/fetch.log" || fail "-H not used"
pass "-d POST echoed (text, and 1 MiB from @FILE with -H Content-Type)"

# 7. --fail on a 404: exit 8 and no output file; without --fail the body is written, exit 0.
rm -f "$WORK/got"
run_fetch --fail -o "$WORK/got" "http://10.0.0.1:$APP/status/404"
expect_rc 8 "--fail 404"
[ ! -e "$WORK/got" ] || fail "--fail: an output file was made"
run_fetch "http://10.0.0.1:$APP/status/404"
expect_rc 0 "404 without --fail"
grep -q "status 404" "$WORK/fetch.out" || fail "404 without --fail: body not written"
pass "--fail on 404: exit 8, nothing written"

# 8. Nobody on the port: RST to our SYN.
run_fetch "http://10.0.0.1:8099/"
expect_rc 5 "refused"
grep -q "ECONNREFUSED" "$WORK/fetch.log" || fail "refused: no ECONNREFUSED"
pass "closed port: exit 5"

# 9. A server that accepts and never answers, --max-time 2.
run_fetch --max-time 2 "http://10.0.0.1:$((APP + 1))/"
expect_rc 6 "--max-time"
[ $TOOK -le 5 ] || fail "--max-time 2 took ${TOOK} s"
grep -q -- "--max-time 2 s ran out" "$WORK/fetch.log" || fail "--max-time: no message"
pass "silent server, --max-time 2: exit 6 after ${TOOK} s"

# 10. The response ends early: a FIN, or an RST, half-way through the body.
run_fetch -o "$WORK/got" "http://10.0.0.1:$APP/short/f1m"
expect_rc 7 "truncated body"
grep -q "connection closed in the middle of a message" "$WORK/fetch.log" ||
  fail "truncated: $(cat "$WORK/fetch.log")"
run_fetch -o "$WORK/got" "http://10.0.0.1:$APP/reset/f1m"
expect_rc 7 "reset"
grep -q "ECONNRESET" "$WORK/fetch.log" || fail "reset: $(cat "$WORK/fetch.log")"
pass "body cut short by FIN or RST: exit 7 ($(cut -c1-60 "$WORK/fetch.log"))"

# 11. Nobody has 10.0.0.77: our SYNs go unanswered until --connect-timeout.
run_fetch --connect-timeout 1 "http://10.0.0.77:$STATIC/"
expect_rc 6 "--connect-timeout"
[ $TOOK -le 4 ] || fail "--connect-timeout 1 took ${TOOK} s"
pass "unanswered SYNs, --connect-timeout 1: exit 6"

# 12. A name nobody can resolve (no DNS server on 10.0.0.1): exit 4.
run_fetch --dns 10.0.0.1 "http://no-such-host.invalid:$STATIC/"
expect_rc 4 "resolve"
grep -q "could not resolve host no-such-host.invalid" "$WORK/fetch.log" || fail "resolve: message"
pass "unresolvable name: exit 4"

# 13. The output cannot be written: exit 10.
run_fetch -o /dev/full "http://10.0.0.1:$STATIC/f1m"
expect_rc 10 "-o /dev/full"
run_fetch -o "$WORK/no/such/dir/file" "http://10.0.0.1:$STATIC/one"
expect_rc 10 "-o in a missing directory"
pass "write errors (/dev/full, missing directory): exit 10"

# 14. -v with a host name from --resolve: the seven steps and the 4-tuple.
run_fetch -v --resolve www.github.com:10.0.0.1 -o "$WORK/got" "http://www.github.com:$STATIC/f1m"
expect_rc 0 "-v"
n=1
for step in "host name" "resolve" "port" "TCP connect" "send request" "read response" \
  "close connection"; do
  grep -q "^\* step $n/7 $step: " "$WORK/fetch.log" || fail "-v: no heading '$n/7 $step'"
  n=$((n + 1))
done
grep -qE "^\*   connected: 10\.0\.0\.2:[0-9]+ -> 10\.0\.0\.1:$STATIC " "$WORK/fetch.log" ||
  fail "-v: no 4-tuple"
grep -q "^> Host: www.github.com:$STATIC" "$WORK/fetch.log" || fail "-v: Host field"
grep -q "^\* summary: 200 OK, 1048576 bytes; dns" "$WORK/fetch.log" || fail "-v: no summary"
grep -q "has address 10.0.0.1 (from --resolve)" "$WORK/fetch.log" || fail "-v: resolve detail"
grep "^\* summary" "$WORK/fetch.log"
pass "-v: seven steps, 4-tuple $(grep -oE '10\.0\.0\.2:[0-9]+ -> 10\.0\.0\.1:[0-9]+' \
  "$WORK/fetch.log" | head -n 1)"

stop_pid "$APP_PID"
stop_pid "$STATIC_PID"
