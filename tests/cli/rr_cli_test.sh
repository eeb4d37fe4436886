#!/usr/bin/env bash
# tundra-rr's command line: bad arguments get one line "tundra-rr: error: ..." on stderr and exit 2
# before any device is opened; --help lists the options and the exit codes. No root, no network.
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
RR=$BIN/tundra-rr
# A device name nobody uses: were an argument wrongly accepted, tundra-rr would try to open it
# (and, as root, create it), which the end of the test checks for.
DEV="rrcli$$"
failures=0
check_bad() {
  local expect=$1; shift
  local err rc lines
  err=$(timeout 10 "$RR" --tun "$DEV" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "^tundra-rr: error: .*$expect" <<<"$err"; then
    echo "FAIL: tundra-rr $* -> exit $rc, $lines lines: $err"
    failures=$((failures + 1))
  else
    echo "ok: tundra-rr $* -> $err"
  fi
}
check_bad "ADDR"
check_bad "PORT" 10.0.0.1
check_bad "ADDR: '10.0.0' is not an IPv4 address" 10.0.0 7000
check_bad "ADDR: 'example.com'" example.com 7000
check_bad "PORT" 10.0.0.1 0
check_bad "PORT" 10.0.0.1 70000
check_bad "PORT" 10.0.0.1 http
check_bad "--requests: 0 is not in" 10.0.0.1 7000 --requests 0
check_bad "--requests" 10.0.0.1 7000 --requests -3
check_bad "--requests" 10.0.0.1 7000 --requests many
check_bad "--writes: 0 is not in" 10.0.0.1 7000 --writes 0
check_bad "--write-size: 'abc' is not a byte count" 10.0.0.1 7000 --write-size abc
check_bad "--write-size: 0 is not in" 10.0.0.1 7000 --write-size 0
check_bad "--writes x --write-size" 10.0.0.1 7000 --writes 1000 --write-size 64MiB
check_bad "--response-size: 'lots' is not a byte count" 10.0.0.1 7000 --response-size lots
check_bad "--per-connection" 10.0.0.1 7000 --per-connection -1
check_bad "--interval" 10.0.0.1 7000 --interval -5
check_bad "--interval" 10.0.0.1 7000 --interval soon
check_bad "--max-time" 10.0.0.1 7000 --max-time 0
check_bad "--no-such-option" 10.0.0.1 7000 --no-such-option
check_bad "--loss" 10.0.0.1 7000 --loss 2   # a shared option, checked the same way

help=$("$RR" --help 2>&1); rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: --help exit $rc"; failures=$((failures + 1))
else
  for want in --requests --writes --write-size --response-size --per-connection --interval \
      --max-time --verbose "Exit codes:" "6  EADDRNOTAVAIL" "7  the peer closed" "requests=20"; do
    grep -q -- "$want" <<<"$help" || { echo "FAIL: --help lacks '$want'"; failures=$((failures + 1)); }
  done
  echo "ok: --help lists the options, the exit codes and the key=value summary"
fi
"$RR" --version | grep -qE '^[0-9]+\.[0-9]+' || { echo "FAIL: --version"; failures=$((failures + 1)); }

if command -v ip >/dev/null && ip link show "$DEV" >/dev/null 2>&1; then
  echo "FAIL: device $DEV exists: a bad command line opened it"
  failures=$((failures + 1))
fi
[ $failures -eq 0 ] && echo "PASS rr_cli" || { echo "FAIL rr_cli: $failures"; exit 1; }
