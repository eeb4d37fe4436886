#!/usr/bin/env bash
# tundra-ctl's command line: --help and --version exit 0; bad arguments get one line and exit 2;
# a path where nothing listens gets one line and exit 1; a server's "error: …" goes to stderr with
# exit 3; --watch --count N asks N times. The servers here are python3 stand-ins on Unix sockets
# in a temporary directory. Needs no root and touches no network.
set -uo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
CTL="$BIN/tundra-ctl"
WORK=$(mktemp -d /tmp/tundra-ctl-cli.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check EXIT EXPECT ARGS…: exit status EXIT and one stderr line containing EXPECT.
check() {
  local want=$1 expect=$2; shift 2
  local err rc lines
  err=$(timeout 20 "$CTL" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$expect" <<<"$err"; then
    bad "tundra-ctl $* -> exit $rc (want $want), $lines lines: $err"
  else
    echo "ok: tundra-ctl $* -> $rc: $err"
  fi
}

"$CTL" --help >"$WORK/help" 2>&1 || bad "--help exit $?"
grep -q "PATH COMMAND" "$WORK/help" || bad "--help has no usage line"
grep -q -- "--watch" "$WORK/help" || bad "--help does not mention --watch"
"$CTL" --version | grep -qE '^[0-9]+\.[0-9]+' || bad "--version"

check 2 "PATH is required"
check 2 "COMMAND is required" "$WORK/ctl.sock"
check 2 "--no-such" --no-such "$WORK/ctl.sock" connections
check 2 "requires --watch" --count 3 "$WORK/ctl.sock" connections
check 2 "--watch" --watch 0 "$WORK/ctl.sock" connections
check 2 "--watch" --watch soon "$WORK/ctl.sock" connections
check 2 "--timeout" --timeout -1 "$WORK/ctl.sock" connections
check 2 "--count" --watch 1 --count 0 "$WORK/ctl.sock" connections
check 2 "one word" "$WORK/ctl.sock" "stats --json"
check 2 "longer than 107" "$WORK/$(printf 'p%.0s' $(seq 200))" connections
check 2 "not expected: more" "$WORK/ctl.sock" connections more

# Nothing there; a stale socket file (nobody behind it); a regular file.
check 1 "No such file" "$WORK/ctl.sock" connections
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' \
  "$WORK/stale.sock"
check 1 "Connection refused" "$WORK/stale.sock" connections
: >"$WORK/file"
check 1 "cannot connect" "$WORK/file" connections

# A stand-in server: answers each of up to N requests with ANSWER, then exits (bounded: 20 s).
serve() {
  local sock=$1 count=$2 answer=$3
  rm -f "$sock"
  timeout 20 python3 - "$sock" "$count" "$answer" <<'EOF' &
import socket, sys
path, count, answer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(4)
for _ in range(count):
    c, _ = s.accept()
    c.settimeout(5)
    req = b""
    while not req.endswith(b"\n"):
        chunk = c.recv(1024)
        if not chunk:
            break
        req += chunk
    c.sendall(answer.replace("%REQ%", req.decode().strip()).encode())
    c.close()
EOF
  SERVER_PID=$!
  for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
  bad "the stand-in server did not start"
}

serve "$WORK/err.sock" 1 $'error: unknown command \'%REQ%\' (try help)\n'
check 3 "^error: unknown command 'bogus' (try help)$" "$WORK/err.sock" bogus
wait "$SERVER_PID" 2>/dev/null; SERVER_PID=

serve "$WORK/ok.sock" 3 $'answer to %REQ%\n'
out=$(timeout 20 "$CTL" --json --watch 0.1 --count 3 "$WORK/ok.sock" connections 2>"$WORK/err")
rc=$?
if [ $rc -ne 0 ] || [ "$(grep -c '^answer to connections --json$' <<<"$out")" -ne 3 ] ||
  [ -s "$WORK/err" ]; then
  bad "--watch --count 3: exit $rc, out: $out, err: $(cat "$WORK/err")"
else
  echo "ok: --watch 0.1 --count 3 asked three times (no screen clearing: stdout is a pipe)"
fi
wait "$SERVER_PID" 2>/dev/null; SERVER_PID=

[ $failures -eq 0 ] && echo "PASS ctl cli" || { echo "FAIL ctl cli: $failures"; exit 1; }
