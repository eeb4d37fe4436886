#!/usr/bin/env bash
# The kernel's ping against tundra on a TUN device: 56 and 3000 bytes (fragmented both ways), and
# 200 pings in a row with none lost. Counters printed on SIGUSR1 and at exit agree. With
# --busy-poll, a flood ping is answered without tundra sleeping between requests.
source "$(dirname "$0")/lib.sh"
interop_init ping "$@"

start_tundra tundra-echo --tun tun0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24

out=$(in_ns ping -c 5 -i 0.05 -W 2 10.0.0.2)
grep -q "5 received" <<<"$out" || fail "56-byte ping: $out"
pass "56-byte ping, 5/5"

out=$(in_ns ping -c 5 -i 0.05 -W 2 -s 3000 10.0.0.2)
grep -q "5 received" <<<"$out" || fail "3000-byte ping: $out"
grep -q "3008 bytes from 10.0.0.2" <<<"$out" || fail "3000-byte reply size: $out"
pass "3000-byte ping (fragmented both ways), 5/5"

out=$(in_ns ping -c 200 -i 0.002 -W 2 10.0.0.2)
grep -q "200 packets transmitted, 200 received" <<<"$out" || fail "200 pings: $out"
pass "200 pings in a row, none lost"

# SIGUSR1 prints the counters while running.
kill -USR1 "$TUNDRA_PID"
wait_for_line "$TUNDRA_LOG" 5 "echo replies sent" || fail "no counters on SIGUSR1"

stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo exited with $STOP_RC"
replies=$(counter "$TUNDRA_LOG" "echo replies sent")
[ "$replies" -ge 210 ] || fail "echo replies sent: $replies, expected at least 210"
reasm=$(counter "$TUNDRA_LOG" "datagrams reassembled")
frag=$(counter "$TUNDRA_LOG" "datagrams fragmented")
[ "$reasm" -ge 5 ] && [ "$frag" -ge 5 ] || fail "reassembled $reasm, fragmented $frag: expected 5 each"
pass "counters at exit: $replies replies, $reasm reassembled, $frag fragmented"

# --busy-poll: a flood ping's next request comes while tundra still looks for input, so rounds
# end without a sleep (the loop counts them), and none is lost.
start_tundra tundra-echo --tun tun0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24 --busy-poll 200
out=$(in_ns timeout 60 ping -q -f -c 2000 -W 2 10.0.0.2)
grep -q "2000 packets transmitted, 2000 received" <<<"$out" || fail "--busy-poll flood ping: $out"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo --busy-poll exited with $STOP_RC"
polls=$(counter "$TUNDRA_LOG" "busy polls before a sleep")
hits=$(counter "$TUNDRA_LOG" "busy polls that found input \(no sleep\)")
[ -n "$polls" ] && [ -n "$hits" ] || fail "--busy-poll: no busy-poll counters at exit"
[ "$hits" -ge 1000 ] || fail "--busy-poll 200: $hits of $polls busy polls found input, expected at least 1000 of 2000 pings"
pass "--busy-poll 200: 2000 flood pings, $hits of $polls busy polls found the next one"
