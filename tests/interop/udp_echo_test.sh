#!/usr/bin/env bash
# UDP echo (RFC 862) and discard (RFC 863) on tundra, from kernel sockets in the namespace: every
# size comes back byte-exact (fragmented above the MTU), discard answers nothing, and a closed port
# answers with ICMP Port Unreachable, which the kernel reports as ECONNREFUSED.
source "$(dirname "$0")/lib.sh"
interop_init udp_echo "$@"

start_tundra tundra-echo --tun tun0

in_ns python3 - <<'PY' || fail "python client failed"
import hashlib, os, socket, sys
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    return s
s = sock()
for size in [0, 1, 100, 1472, 1473, 3000, 8192, 65507]:
    data = os.urandom(size)
    for attempt in range(3):
        s.sendto(data, ("10.0.0.2", 7))
        try:
            got, peer = s.recvfrom(70000)
            break
        except socket.timeout:
            continue
    else:
        sys.exit(f"no echo for {size} bytes")
    if got != data or peer != ("10.0.0.2", 7):
        sys.exit(f"echo of {size} bytes differs (got {len(got)} from {peer})")
    print(f"echo {size:6d} bytes ok, sha256 {hashlib.sha256(got).hexdigest()[:16]}")
d = sock(); d.settimeout(0.5)
d.sendto(b"into the void", ("10.0.0.2", 9))
try:
    d.recvfrom(100); sys.exit("discard answered")
except socket.timeout:
    print("discard: no answer, as RFC 863 says")
c = sock(); c.connect(("10.0.0.2", 4444))
c.send(b"anyone?")
try:
    c.recv(100); sys.exit("closed port answered with data")
except ConnectionRefusedError:
    print("closed port: ECONNREFUSED (ICMP port unreachable)")
except socket.timeout:
    sys.exit("closed port: no ICMP port unreachable")
PY
pass "UDP echo byte-exact up to 65507 bytes, discard silent, closed port refused"
stop_pid "$TUNDRA_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-echo exited with $STOP_RC"
sent=$(counter "$TUNDRA_LOG" "destination unreachable sent")
[ "$sent" -ge 1 ] || fail "no destination unreachable counted"
