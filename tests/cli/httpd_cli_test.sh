#!/usr/bin/env bash
# tundra-httpd's command line: each bad argument gets one line on stderr naming it and exit 2,
# before any device is opened; --help lists the server's options. Needs no root, no network.
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
failures=0
check_bad() {
  local expect=$1; shift
  local err rc lines
  err=$(timeout 10 "$BIN/tundra-httpd" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$expect" <<<"$err"; then
    echo "FAIL: tundra-httpd $* -> exit $rc, $lines lines: $err"
    failures=$((failures + 1))
  else
    echo "ok: tundra-httpd $* -> $err"
  fi
}
missing=$(mktemp -u /tmp/tundra-httpd-cli.XXXXXX)
check_bad "--root" --root "$missing"
check_bad "not a directory" --root /etc/hostname
check_bad "--port" --port 0
check_bad "--port" --port 70000
check_bad "--max-body" --max-body lots
check_bad "timeouts" --idle-timeout 0
check_bad "timeouts" --header-timeout -1
check_bad "--max-connections" --max-connections 0
check_bad "--index" --index a/b
check_bad "--access-log" --access-log "$missing/dir/access.log"
check_bad "--no-such-option" --no-such-option
[ -e "$missing" ] && { echo "FAIL: --access-log created $missing"; failures=$((failures + 1)); rm -rf "$missing"; }

help=$("$BIN/tundra-httpd" --help 2>&1)
for opt in --root --port --index --no-listing --idle-timeout --header-timeout --send-timeout \
  --max-connections --max-body --access-log --tun; do
  grep -q -- "$opt" <<<"$help" || { echo "FAIL: --help lacks $opt"; failures=$((failures + 1)); }
done
[ $failures -eq 0 ] && echo "PASS httpd cli" || { echo "FAIL httpd cli: $failures"; exit 1; }
