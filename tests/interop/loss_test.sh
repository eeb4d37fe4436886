#!/usr/bin/env bash
# Fault injection on a real TUN device: with --loss 0.3 --seed 1 about 30% of pings are lost and
# the rest come back; the injector's counters match what ping saw.
source "$(dirname "$0")/lib.sh"
interop_init loss "$@"

start_tundra tundra-echo --tun tun0 --loss 0.3 --seed 1

out=$(in_ns ping -c 300 -i 0.002 -W 1 10.0.0.2 || true)
received=$(echo "$out" | sed -nE 's/.* ([0-9]+) received.*/\1/p')
[ -n "$received" ] || fail "no ping summary: $out"
lost=$((300 - received))
# 30% of 300 is 90; binomial sd ~8: accept 60..120.
[ "$lost" -ge 60 ] && [ "$lost" -le 120 ] || fail "lost $lost of 300 pings, expected about 90"
pass "lost $lost of 300 pings with --loss 0.3 (about 30%), $received came back"

stop_pid "$TUNDRA_PID"
dropped=$(grep -E "^ +[0-9]+ .*(lost|dropped \(loss\))" "$TUNDRA_LOG" | awk '{s+=$1} END {print s+0}')
[ "$dropped" -ge "$lost" ] || fail "injector counted $dropped drops, ping lost $lost"
pass "fault injector counted $dropped drops"
