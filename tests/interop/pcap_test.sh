#!/usr/bin/env bash
# --pcap writes a capture that tcpdump and tshark read back with the right packet count, both
# directions, ICMP echo requests and replies.
source "$(dirname "$0")/lib.sh"
interop_init pcap "$@"

cap="$WORK/run.pcap"
start_tundra tundra-echo --tun tun0 --pcap "$cap"
in_ns ping -c 10 -i 0.02 -W 2 10.0.0.2 >/dev/null || fail "ping failed"
in_ns ping -c 2 -i 0.05 -W 2 -s 2000 10.0.0.2 >/dev/null || fail "large ping failed"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo exited with $STOP_RC"

# 10 small pings: 20 packets; 2 pings of 2028 bytes: 2 fragments each way, 8 packets.
want=28
if command -v tcpdump >/dev/null; then
  n=$(tcpdump -nn -r "$cap" 2>/dev/null | wc -l)
  [ "$n" = "$want" ] || fail "tcpdump read $n packets, expected $want"
  req=$(tcpdump -nn -r "$cap" 'icmp[icmptype] = icmp-echo' 2>/dev/null | wc -l)
  rep=$(tcpdump -nn -r "$cap" 'icmp[icmptype] = icmp-echoreply' 2>/dev/null | wc -l)
  [ "$req" = 12 ] && [ "$rep" = 12 ] || fail "tcpdump: $req requests, $rep replies; expected 12 each"
  pass "tcpdump reads $n packets: $req echo requests, $rep replies"
fi
if command -v tshark >/dev/null; then
  n=$(tshark -r "$cap" 2>/dev/null | wc -l)
  [ "$n" = "$want" ] || fail "tshark read $n packets, expected $want"
  pass "tshark reads $n packets"
fi
