#!/usr/bin/env bash
# Command lines: bad arguments get one line on stderr naming the problem and exit 2; --help and
# --version exit 0. Needs no root and touches no network.
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
failures=0
check_bad() {
  local expect=$1; shift
  local err rc
  err=$("$BIN/tundra-echo" "$@" 2>&1 >/dev/null); rc=$?
  local lines
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$expect" <<<"$err"; then
    echo "FAIL: tundra-echo $* -> exit $rc, $lines lines: $err"
    failures=$((failures + 1))
  else
    echo "ok: tundra-echo $* -> $err"
  fi
}
check_bad "--addr" --addr 10.0.0.300/24
check_bad "--addr" --addr 10.0.0.2
check_bad "--host-addr" --host-addr nonsense
check_bad "--gateway" --gateway 1.2.3
check_bad "--gateway" --gateway 192.168.1.1
check_bad "--loss" --loss 1.5
check_bad "--loss" --loss abc
check_bad "--mtu" --mtu 10
check_bad "--log-level" --log-level chatty
check_bad "--fault-direction" --fault-direction sideways
check_bad "--no-such-option" --no-such-option
check_bad "--time-wait" --time-wait -1
check_bad "must differ" --addr 10.0.0.1/24 --host-addr 10.0.0.1/24
check_bad "must differ" --echo-port 7 --discard-port 7
check_bad "--busy-poll" --busy-poll -1
check_bad "--busy-poll" --busy-poll 2000000
check_bad "no setting 'nagle'" --tcp nagle=off
check_bad "--tcp sack: 'maybe' is not on or off" --tcp sack=maybe
check_bad "is not NAME=VALUE" --tcp sack
check_bad "min-rto (2min) is above max-rto (1min)" --tcp min-rto=2min
check_bad "not expected: timestamps=off" --tcp sack=off timestamps=off

"$BIN/tundra-echo" --help >/dev/null 2>&1 || { echo "FAIL: --help"; failures=$((failures + 1)); }
"$BIN/tundra-echo" --tcp help | grep -qE '^  min-rto +200ms ' || { echo "FAIL: --tcp help"; failures=$((failures + 1)); }
"$BIN/tundra-echo" --version | grep -qE '^[0-9]+\.[0-9]+' || { echo "FAIL: --version"; failures=$((failures + 1)); }
[ $failures -eq 0 ] && echo "PASS cli" || { echo "FAIL cli: $failures"; exit 1; }
