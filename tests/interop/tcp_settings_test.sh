#!/usr/bin/env bash
# --tcp NAME=VALUE reaches the wire: with SACK, timestamps and window scaling off and a 16 KiB
# receive buffer, tundra's SYN-ACK (in its capture, read by tcpdump) offers none of those options
# and the kernel's end of the connection (ss -tin) sees a window of at most 16 KiB, where by
# default the SYN-ACK offers all three; an RTO floor of 50 ms shows in
# tundra-ctl's RTO column (the RTT here is well under 1 ms, so the floor is the RTO). Echoes stay
# exact either way.
source "$(dirname "$0")/lib.sh"
interop_init tcp_settings "$@"

# Connects to the echo port, echoes 256 KiB, and prints ss -tin's line for the connection while it
# is still open.
probe() {
  in_ns timeout 60 python3 - <<'PY'
import os, socket, subprocess
data = os.urandom(256 * 1024)
with socket.create_connection(("10.0.0.2", 7), timeout=10) as s:
    s.sendall(data)
    got = bytearray()
    while len(got) < len(data):
        b = s.recv(65536)
        if not b:
            break
        got += b
    if bytes(got) != data:
        raise SystemExit(f"echo came back as {len(got)} different bytes")
    port = s.getsockname()[1]
    out = subprocess.run(["ss", "-tinH", "src", f"10.0.0.1:{port}"], capture_output=True,
                         text=True, check=True).stdout
    print(" ".join(out.split()))
PY
}

# The options of tundra's SYN-ACK in the capture $1, as tcpdump prints them.
synack_options() {
  tcpdump -nn -v -r "$1" 'src host 10.0.0.2 and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)' \
    2>/dev/null | grep -o "options \[.*\]" | head -n 1
}

start_tundra tundra-echo --tun tun0 --pcap "$WORK/default.pcap"
line=$(probe) || fail "default settings: $line"
stop_pid "$TUNDRA_PID"
opts=$(synack_options "$WORK/default.pcap")
for opt in "sackOK" "TS val" "wscale"; do
  grep -q -- "$opt" <<<"$opts" || fail "default settings: no '$opt' in the SYN-ACK: $opts"
done
pass "defaults: the SYN-ACK offers SACK, timestamps and window scaling: $opts"

ctl="$WORK/ctl.sock"
start_tundra tundra-echo --tun tun0 --control "$ctl" --pcap "$WORK/off.pcap" --tcp sack=off --tcp timestamps=off \
  --tcp window-scaling=off --tcp rcvbuf=16K --tcp rcvbuf-max=16K --tcp min-rto=50ms
line=$(probe) || fail "settings off: $line"
wnd=$(grep -oE "snd_wnd:[0-9]+" <<<"$line" | cut -d: -f2)
[ -n "$wnd" ] || fail "no snd_wnd in ss: $line"
[ "$wnd" -le 16384 ] || fail "--tcp rcvbuf=16K rcvbuf-max=16K: the kernel sees a window of $wnd"
pass "--tcp rcvbuf=16K rcvbuf-max=16K: the kernel sees a window of $wnd"

# A connection held open while tundra-ctl reads its RTO.
in_ns timeout 30 python3 - "$BIN/tundra-ctl" "$ctl" <<'PY' || fail "RTO check failed"
import socket, subprocess, sys, time
ctl, path = sys.argv[1], sys.argv[2]
with socket.create_connection(("10.0.0.2", 7), timeout=10) as s:
    for _ in range(20):  # RTT samples
        s.sendall(b"x" * 100)
        s.recv(100)
    rows = subprocess.run([ctl, "--json", path, "connections"], capture_output=True, text=True,
                          check=True).stdout
    import json
    conns = [c for c in json.loads(rows) if c["state"] == "ESTABLISHED"]
    if len(conns) != 1:
        raise SystemExit(f"expected one connection: {rows}")
    rto = conns[0]["rto_us"] / 1000
    if abs(rto - 50.0) > 1:
        raise SystemExit(f"--tcp min-rto=50ms: RTO {rto} ms")
    if conns[0]["sack"] or conns[0]["timestamps"] or conns[0]["rcv_wscale"] != 0:
        raise SystemExit(f"tundra's own view of the options: {conns[0]}")
    print(f"RTO {rto} ms")
PY
pass "--tcp min-rto=50ms: the connection's RTO is 50 ms (tundra-ctl), and it agreed no option"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo exited with $STOP_RC"
opts=$(synack_options "$WORK/off.pcap")
[ -n "$opts" ] || fail "no SYN-ACK in the capture"
for opt in "sackOK" "TS val" "wscale"; do
  grep -q -- "$opt" <<<"$opts" && fail "--tcp ...=off: '$opt' still in the SYN-ACK: $opts"
done
pass "--tcp sack=off timestamps=off window-scaling=off: the SYN-ACK offers none: $opts"
