# Shared helpers for interop tests: a network namespace of the test's own (unique name, removed on
# exit), tundra programs started in it and stopped by PID, bounded waits. Sourced, not run.
# Usage in a test: source lib.sh; interop_init NAME "$@"; start_tundra tundra-echo [ARGS…]; …

set -euo pipefail

SKIP=77  # ctest's SKIP_RETURN_CODE

interop_init() {
  TEST_NAME=$1
  BIN=${2:-build/bin}
  BIN=$(cd "$BIN" && pwd)
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP $TEST_NAME: needs root to make a network namespace and a TUN device"
    exit $SKIP
  fi
  if [ ! -c /dev/net/tun ]; then
    echo "SKIP $TEST_NAME: no /dev/net/tun"
    exit $SKIP
  fi
  NS="tundra-${TEST_NAME}-$$-${RANDOM}"
  WORK=$(mktemp -d "/tmp/tundra-${TEST_NAME}.XXXXXX")
  PIDS=()
  trap interop_cleanup EXIT
  ip netns add "$NS"
  ip -n "$NS" link set lo up
}

interop_cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Bounded wait, then force.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  ip netns del "$NS" 2>/dev/null || true
  # Per-namespace /etc files (ip netns exec bind-mounts /etc/netns/NAME/* over /etc/*).
  [ -n "$NS" ] && rm -rf "/etc/netns/$NS"
  if [ $rc -ne 0 ] && [ -d "$WORK" ]; then
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
  fi
  rm -rf "$WORK"
  exit $rc
}

in_ns() { ip netns exec "$NS" "$@"; }

# Starts a command in the namespace in the background (redirect its output on the call). BG_PID is
# the command's own PID (ip netns exec execs it; `in_ns … &` would give a subshell's, and killing
# that leaves the command running), and it joins PIDS, so the cleanup stops it. Keeps stdin.
bg_ns() {
  ip netns exec "$NS" "$@" <&0 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

fail() { echo "FAIL $TEST_NAME: $*"; exit 1; }
pass() { echo "PASS $TEST_NAME: $*"; }

# Waits (at most $2 seconds, default 10) until the file $1 contains the regex $3.
wait_for_line() {
  local file=$1 timeout=${2:-10} pattern=$3
  local deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt $deadline ]; do
    grep -qE "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# Starts a tundra program in the namespace, logging to $WORK/NAME.log; sets TUNDRA_PID and waits
# until it says it is up.
start_tundra() {
  local prog=$1; shift
  local log="$WORK/${prog}.log"
  ip netns exec "$NS" "$BIN/$prog" "$@" >"$log" 2>&1 &
  TUNDRA_PID=$!
  PIDS+=("$TUNDRA_PID")
  TUNDRA_LOG=$log
  wait_for_line "$log" 10 "Ctrl-C stops" || fail "$prog did not start: $(head -n 3 "$log")"
}

# Stops a program by PID with SIGTERM and waits for it (bounded); its exit code goes in STOP_RC.
stop_pid() {
  local pid=$1
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  STOP_RC=0
  wait "$pid" || STOP_RC=$?
}

# The value of a counter line "    N LABEL" in a log, last occurrence.
counter() {
  local file=$1 label=$2
  grep -E "^ +[0-9]+ ${label}\$" "$file" | tail -n 1 | awk '{print $1}'
}

# A tshark display filter for bad checksums in a capture of tundra (10.0.0.2) and the kernel
# (10.0.0.1). Ones' complement has two zeros (RFC 1624 3): Linux finishes a checksum with
# csum_fold() and, as UDP must (RFC 768), writes a result of 0x0000 as 0xffff (CSUM_MANGLED_0 in
# skb_checksum_help), for TCP too. Both verify and tundra accepts both, but tshark flags 0xffff:
# about one kernel segment in 65,536. Only the kernel's side gets that allowance; tundra's own
# checksums must match tshark's exactly.
BAD_CHECKSUM_FILTER="(tcp.checksum.status == 0 && !(ip.src == 10.0.0.1 && tcp.checksum == 0xffff \
&& tcp.checksum_calculated == 0x0000)) || ip.checksum.status == 0"
