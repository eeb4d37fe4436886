#!/usr/bin/env bash
# tundra-httpd against the kernel's curl and wget: files of 0 B, 1 B, 1 MiB and 100 MiB fetched
# byte-exact (sha256), byte ranges compared with dd/tail, HEAD, If-Modified-Since → 304, 404,
# the directory redirect and listing, path traversal (raw, percent-encoded, through a symlink)
# never reaching the outside file, and one access-log line per request.
source "$(dirname "$0")/lib.sh"
interop_init httpd "$@"

ROOT="$WORK/root"
mkdir -p "$ROOT/dir/sub" "$ROOT/a"
: >"$ROOT/empty.bin"
head -c 1 /dev/urandom >"$ROOT/one.bin"
head -c $((1 << 20)) /dev/urandom >"$ROOT/mib.bin"
head -c $((100 << 20)) /dev/urandom >"$ROOT/big.bin"
echo "<p>hello</p>" >"$ROOT/index.html"
echo "listed" >"$ROOT/dir/<b>&x.txt"
echo "SECRET-OUTSIDE-THE-ROOT" >"$WORK/secret.txt"
ln -s "$WORK/secret.txt" "$ROOT/leak.txt"
ln -s "$WORK" "$ROOT/leakdir"
ACCESS="$WORK/access.log"

start_tundra tundra-httpd --tun tun0 --root "$ROOT" --access-log "$ACCESS" --log-level info
URL=http://10.0.0.2
CURL=(in_ns curl -sS --max-time 120)

sha() { sha256sum "$1" | awk '{print $1}'; }

# --- whole files, by curl and by wget ---
for f in empty.bin one.bin mib.bin big.bin; do
  "${CURL[@]}" -o "$WORK/curl.$f" "$URL/$f" || fail "curl $f"
  [ "$(sha "$WORK/curl.$f")" = "$(sha "$ROOT/$f")" ] || fail "curl $f: sha256 differs"
  in_ns wget -q -T 120 -t 1 -O "$WORK/wget.$f" "$URL/$f" || fail "wget $f"
  [ "$(sha "$WORK/wget.$f")" = "$(sha "$ROOT/$f")" ] || fail "wget $f: sha256 differs"
  rm -f "$WORK/curl.$f" "$WORK/wget.$f"
done
pass "0 B, 1 B, 1 MiB, 100 MiB by curl and wget: sha256 match"

# --- byte ranges ---
F="$ROOT/mib.bin"
"${CURL[@]}" -r 0-99 -o "$WORK/r1" -w '%{http_code}' "$URL/mib.bin" >"$WORK/code" || fail "range 0-99"
[ "$(cat "$WORK/code")" = 206 ] || fail "range 0-99: status $(cat "$WORK/code")"
cmp -s "$WORK/r1" <(dd if="$F" bs=1 count=100 status=none) || fail "range 0-99: bytes differ"
"${CURL[@]}" -r 1000- -o "$WORK/r2" "$URL/mib.bin" || fail "range 1000-"
cmp -s "$WORK/r2" <(tail -c +1001 "$F") || fail "range 1000-: bytes differ"
"${CURL[@]}" -r -10 -o "$WORK/r3" "$URL/mib.bin" || fail "range -10"
cmp -s "$WORK/r3" <(tail -c 10 "$F") || fail "range -10: bytes differ"
"${CURL[@]}" -r 5000-5999 -o "$WORK/r4" "$URL/big.bin" || fail "range in big"
cmp -s "$WORK/r4" <(dd if="$ROOT/big.bin" bs=1000 skip=5 count=1 status=none) ||
  fail "range 5000-5999 of big.bin: bytes differ"
"${CURL[@]}" -D "$WORK/h416" -o /dev/null -r $((1 << 20))- "$URL/mib.bin" || fail "range 416"
grep -q "^HTTP/1.1 416" "$WORK/h416" || fail "range beyond the end: $(head -n1 "$WORK/h416")"
grep -qi "^Content-Range: bytes \*/1048576" "$WORK/h416" || fail "416 without Content-Range */len"
pass "ranges 0-99, 1000-, -10 byte-exact against dd/tail; beyond the end → 416 bytes */len"

# --- HEAD, conditional GET, 404 ---
"${CURL[@]}" -I "$URL/mib.bin" >"$WORK/head" || fail "HEAD"
grep -q "^HTTP/1.1 200" "$WORK/head" || fail "HEAD status"
grep -qi "^Content-Length: 1048576" "$WORK/head" || fail "HEAD Content-Length"
lm=$(grep -i "^Last-Modified:" "$WORK/head" | cut -d' ' -f2- | tr -d '\r')
[ -n "$lm" ] || fail "no Last-Modified"
code=$("${CURL[@]}" -o "$WORK/ims" -w '%{http_code}' -H "If-Modified-Since: $lm" "$URL/mib.bin")
[ "$code" = 304 ] && [ ! -s "$WORK/ims" ] || fail "If-Modified-Since: $code, $(stat -c %s "$WORK/ims") bytes"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/nope.html")
[ "$code" = 404 ] || fail "missing file: $code"
pass "HEAD has Content-Length, If-Modified-Since → 304 without a body, missing → 404"

# --- directories ---
"${CURL[@]}" -D "$WORK/h301" -o /dev/null "$URL/dir" || fail "dir redirect"
grep -q "^HTTP/1.1 301" "$WORK/h301" || fail "/dir: $(head -n1 "$WORK/h301")"
grep -qi "^Location: /dir/" "$WORK/h301" || fail "/dir: Location"
"${CURL[@]}" -L -o "$WORK/listing" "$URL/dir" || fail "listing"
grep -q 'href="%3Cb%3E%26x.txt">&lt;b&gt;&amp;x.txt</a>' "$WORK/listing" ||
  fail "listing does not escape names: $(cat "$WORK/listing")"
grep -q 'href="sub/"' "$WORK/listing" || fail "listing misses sub/"
[ "$("${CURL[@]}" "$URL/dir/%3Cb%3E%26x.txt")" = listed ] || fail "the listed link does not work"
[ "$("${CURL[@]}" "$URL/")" = "<p>hello</p>" ] || fail "index.html not served for /"
pass "/dir → 301 /dir/, listing escaped and linked, / serves index.html"

# --- traversal ---
for t in /../secret.txt /../../../../etc/passwd /%2e%2e/secret.txt /%2E%2e/secret.txt \
  /a/%2e%2e/%2e%2e/etc/passwd /a/%2e%2e/%2e%2e/secret.txt /..%2fsecret.txt /leak.txt \
  /leakdir/secret.txt '/a/..\..\secret.txt' /%5c..%5csecret.txt; do
  out=$("${CURL[@]}" --path-as-is -o "$WORK/trav" -w '%{http_code}' "$URL$t") || fail "curl $t"
  case $out in 400 | 403 | 404) ;; *) fail "traversal $t answered $out" ;; esac
  if grep -q -e SECRET-OUTSIDE -e 'root:' "$WORK/trav"; then fail "traversal $t leaked a file"; fi
done
# Raw bytes, in case curl tidies anything: a bare request with /../ straight over TCP.
in_ns timeout 20 python3 - <<'PY' || fail "raw traversal"
import socket
for target in [b"/../secret.txt", b"/%2e%2e/%2e%2e/etc/passwd", b"/leakdir/secret.txt"]:
    s = socket.create_connection(("10.0.0.2", 80), timeout=10)
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    status = data.split(b" ", 2)[1]
    if status not in (b"400", b"403", b"404") or b"SECRET" in data or b"root:" in data:
        raise SystemExit(f"{target}: {data[:200]!r}")
PY
pass "traversal (raw, %2e%2e any case, %2f, backslashes, symlinks out) never leaves the root"

# --- access log ---
wait_for_line "$ACCESS" 10 '"GET /mib.bin HTTP/1.1" 206 100 ' || fail "access log lacks the range"
grep -qE '^10\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET /big.bin HTTP/1.1" 200 104857600 [0-9]+\.[0-9]{6}$' "$ACCESS" ||
  fail "access log line for big.bin not in common log format: $(grep big.bin "$ACCESS" | head -n1)"
grep -q '"HEAD /mib.bin HTTP/1.1" 200 - ' "$ACCESS" || fail "access log lacks HEAD"
grep -q '"GET /mib.bin HTTP/1.1" 304 - ' "$ACCESS" || fail "access log lacks 304"
grep -q '"GET /nope.html HTTP/1.1" 404 ' "$ACCESS" || fail "access log lacks 404"
lines=$(wc -l <"$ACCESS")
[ "$lines" -ge 30 ] || fail "access log has $lines lines"
pass "access log: $lines lines, common log format plus duration"

# SIGUSR1 prints the server's counters with the stack's, and it keeps serving.
kill -USR1 "$TUNDRA_PID"
wait_for_line "$TUNDRA_LOG" 10 "^ +[0-9]+ idle keep-alive timeouts" || fail "no counters on SIGUSR1"
[ "$("${CURL[@]}" "$URL/")" = "<p>hello</p>" ] || fail "not serving after SIGUSR1"
pass "SIGUSR1 prints the counters"

stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-httpd exited with $STOP_RC"
grep -q "^httpd:" "$TUNDRA_LOG" || fail "no httpd counters at exit"
reqs=$(counter "$TUNDRA_LOG" "requests")
[ "$reqs" -ge 30 ] || fail "requests counter: $reqs"
pass "tundra-httpd stopped cleanly after $reqs requests"
