#!/usr/bin/env bash
# tundra-fetch's command line without root or network: a bad URL (https included) is exit 3 and a
# bad argument exit 2, each with one line "tundra-fetch: error: ..." and before any device is
# opened; --help lists the exit codes.
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
failures=0
# As root, run in a network namespace of its own, so that even a bug that reached the device
# would leave nothing behind on this host.
RUN=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then RUN=(unshare -n); fi
# check EXIT EXPECTED-TEXT ARGS…: one line on stderr containing the text, that exit code.
check() {
  local want=$1 expect=$2; shift 2
  local err rc lines
  # --tun names a device that cannot exist: reaching the device would fail differently (exit 1).
  err=$("${RUN[@]}" "$BIN/tundra-fetch" --tun tundra-no-dev "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$expect" <<<"$err" ||
    ! grep -q "^tundra-fetch: error: " <<<"$err"; then
    echo "FAIL: tundra-fetch $* -> exit $rc (want $want), $lines lines: $err"
    failures=$((failures + 1))
  else
    echo "ok: tundra-fetch $* -> $rc: $err"
  fi
}
check 3 "https is not supported" https://example.com/
check 3 "https is not supported" HTTPS://10.0.0.1:8443/x
check 3 "unsupported scheme" ftp://example.com/
check 3 "missing scheme" example.com
check 3 "empty host" http:///path
check 3 "bad port" http://10.0.0.1:99999/
check 3 "invalid character" "http://10.0.0.1/a b"
check 2 "no-such-option" --no-such-option http://10.0.0.1/
check 2 "URL is required"
check 2 "-H" -H "no colon" http://10.0.0.1/
check 2 "-H" -H "Bad Name: x" http://10.0.0.1/
check 2 "--resolve" --resolve nocolon http://10.0.0.1/
check 2 "--resolve" --resolve host:1.2.3 http://10.0.0.1/
check 2 "--dns" --dns 10.0.0 http://10.0.0.1/
check 2 "--max-time" --max-time -1 http://10.0.0.1/
check 2 "--max-redirs" --max-redirs x http://10.0.0.1/
check 2 "exclude" -I -d x http://10.0.0.1/
check 2 "cannot read" -d @/nonexistent/file http://10.0.0.1/
check 2 "--addr" --addr 10.0.0.300/24 http://10.0.0.1/

help=$("$BIN/tundra-fetch" --help 2>&1) || { echo "FAIL: --help exit $?"; failures=$((failures + 1)); }
for line in "0  ok" "1  could not start" "2  bad arguments" "3  bad URL" "4  host name" \
  "5  connection refused" "6  timed out" "7  connection reset" "8  HTTP status >= 400" \
  "9  too many redirects" "10  could not write"; do
  grep -q -- "$line" <<<"$help" || { echo "FAIL: --help lacks '$line'"; failures=$((failures + 1)); }
done
for opt in --verbose --head --data --header --location --max-redirs --output --fail --max-time \
  --connect-timeout --dns --resolve --silent --tun --pcap; do
  grep -q -- "$opt" <<<"$help" || { echo "FAIL: --help lacks $opt"; failures=$((failures + 1)); }
done
"$BIN/tundra-fetch" --version | grep -qE '^[0-9]+\.[0-9]+' || { echo "FAIL: --version"; failures=$((failures + 1)); }
[ $failures -eq 0 ] && echo "PASS fetch_cli" || { echo "FAIL fetch_cli: $failures"; exit 1; }
