#!/usr/bin/env bash
# The seven TCP labs of docs/labs, end to end as a student runs them (scripts/lab.sh, each in a
# namespace of its own): every lab must finish, write its plots, and every claim its check makes
# about the trace must hold (scripts/lab_check.py: slow start doubles cwnd per round trip, a fast
# retransmit resends what RACK found lost, PRR paces a recovery, the Nagle run stalls on the
# delayed ACK and
# TCP_NODELAY removes it, the persist timer backs off, TIME-WAIT fills the port range, ...).
source "$(dirname "$0")/lib.sh"
interop_init labs "$@"
REPO=$(cd "$(dirname "$0")/../.." && pwd)

for lab in $("$REPO/scripts/lab.sh" --list | awk '{print $1}'); do
  out="$WORK/$lab"
  if ! TUNDRA_BIN="$BIN" timeout 300 "$REPO/scripts/lab.sh" "$lab" --no-build --out "$out" \
    >"$WORK/$lab.log" 2>&1; then
    tail -n 40 "$WORK/$lab.log"
    fail "lab $lab"
  fi
  pngs=$(find "$out" -name '*.png' -size +10k | wc -l)
  [ "$pngs" -ge 1 ] || fail "lab $lab wrote no plot"
  grep -q "all claims hold" "$out/findings.txt" || fail "lab $lab: $(cat "$out/findings.txt")"
  pass "lab $lab: $(grep -c '^\[ok\]' "$out/findings.txt") claims hold, $pngs plots"
done
# CUBIC in the congestion lab: the same checks, the cubic curve between losses.
TUNDRA_BIN="$BIN" timeout 300 "$REPO/scripts/lab.sh" slowstart --cc cubic --no-build \
  --out "$WORK/slowstart-cubic" >"$WORK/cubic.log" 2>&1 || { tail -n 40 "$WORK/cubic.log"; fail "slowstart --cc cubic"; }
pass "lab slowstart --cc cubic: $(grep -E 'ssthresh drops' -A1 "$WORK/slowstart-cubic/findings.txt" | tail -n 1)"
