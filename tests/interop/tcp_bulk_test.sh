#!/usr/bin/env bash
# Bulk TCP between a kernel socket and tundra's echo service: 256 MiB each way at once, checked by
# sha256 of what was sent against what came back; once on a clean link and once with
# --loss 0.02 --reorder 0.02 (both directions). A capture of the lossy run must show no checksum
# errors that the fault injector did not cause. Then with TUN offloads (--offload): segments of up
# to 64 KiB both ways, checksums finished by the kernel, the bytes still exact and the kernel
# counting no checksum errors.
source "$(dirname "$0")/lib.sh"
interop_init tcp_bulk "$@"

MIB=${TUNDRA_BULK_MIB:-256}
bulk() {
  in_ns timeout 600 python3 - "$1" "$MIB" <<'PY'
import hashlib, random, socket, sys, threading, time
label, mib = sys.argv[1], int(sys.argv[2])
total = mib << 20
rng = random.Random(42)
block = rng.randbytes(1 << 20)
s = socket.create_connection(("10.0.0.2", 7), timeout=60)
sent, got = hashlib.sha256(), hashlib.sha256()
def writer():
    for i in range(mib):
        chunk = block[i % 251:] + block[:i % 251]
        s.sendall(chunk)
        sent.update(chunk)
    s.shutdown(socket.SHUT_WR)
t0 = time.time()
w = threading.Thread(target=writer)
w.start()
n = 0
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    got.update(b)
    n += len(b)
w.join()
dt = time.time() - t0
if n != total or got.hexdigest() != sent.hexdigest():
    sys.exit(f"{label}: got {n} of {total} bytes back, sha256 {got.hexdigest()[:16]} vs {sent.hexdigest()[:16]}")
print(f"{label}: {mib} MiB each way in {dt:.1f} s ({total * 8 / dt / 1e6:.0f} Mbit/s each way), sha256 {sent.hexdigest()[:16]} both ends")
PY
}

# The writer thread (netif::TxThread, on by default without --offload) must exist and must have
# taken the bulk rounds: the exactness of the transfer then covers its ordering.
writer_threads() { grep -lx tundra-tx /proc/"$1"/task/*/comm 2>/dev/null | wc -l; }
start_tundra tundra-echo --tun tun0
[ "$(writer_threads "$TUNDRA_PID")" = 1 ] || fail "no writer thread (tundra-tx) by default"
bulk clean || fail "clean transfer"
stop_pid "$TUNDRA_PID"
handed=$(counter "$TUNDRA_LOG" "batches handed to the writer thread")
[ "${handed:-0}" -gt 0 ] || fail "the writer thread took no batch of a bulk transfer"
pass "clean transfer: $handed batches written by the writer thread"

start_tundra tundra-echo --tun tun0 --loss 0.02 --reorder 0.02 --fault-direction both --seed 5
bulk "2% loss, 2% reorder" || fail "lossy transfer"
stop_pid "$TUNDRA_PID"
retx=$(counter "$TUNDRA_LOG" "segments retransmitted")
[ "$retx" -gt 0 ] || fail "no retransmissions counted under loss"
pass "clean and lossy transfers exact; $retx segments retransmitted under loss"

# A shorter lossy run with a capture, for tshark to read.
cap="$WORK/lossy.pcap"
start_tundra tundra-echo --tun tun0 --loss 0.02 --reorder 0.02 --fault-direction both --seed 6 --pcap "$cap"
MIB=16 bulk "captured, 2% loss, 2% reorder" || fail "captured lossy transfer"
stop_pid "$TUNDRA_PID"
if command -v tshark >/dev/null; then
  bad=$(tshark -r "$cap" -o tcp.check_checksum:TRUE \
    -Y "$BAD_CHECKSUM_FILTER" 2>/dev/null | wc -l)
  [ "$bad" = 0 ] || fail "tshark finds $bad bad checksums in what tundra sent and received"
  pass "tshark: no checksum complaints in the capture"
fi

# TUN offloads: the kernel hands tundra uncut segments with partial checksums and cuts tundra's.
# Exact bytes both ways prove the checksums tundra skipped were not needed and those it left
# partial were finished right; the kernel's own counters must show no checksum errors, and the
# stack's that large segments really went both ways.
in_ns nstat -n >/dev/null 2>&1 || true
start_tundra tundra-echo --tun tun0 --offload
[ "$(writer_threads "$TUNDRA_PID")" = 0 ] || fail "a writer thread with --offload, off by default"
bulk "offload" || fail "transfer with --offload"
stop_pid "$TUNDRA_PID"
csum_errors=$(in_ns nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/ { print $2 }')
[ "${csum_errors:-0}" = 0 ] || fail "the kernel counted $csum_errors TCP checksum errors with --offload"
big_in=$(counter "$TUNDRA_LOG" "bytes received")
pkts_in=$(counter "$TUNDRA_LOG" "packets received")
[ "$pkts_in" -gt 0 ] && [ $((big_in / pkts_in)) -gt 3000 ] ||
  fail "with --offload, datagrams received averaged $((big_in / (pkts_in + 1))) bytes: no large segments"
big_out=$(counter "$TUNDRA_LOG" "bytes sent")
pkts_out=$(counter "$TUNDRA_LOG" "packets sent")
[ "$pkts_out" -gt 0 ] && [ $((big_out / pkts_out)) -gt 3000 ] ||
  fail "with --offload, datagrams sent averaged $((big_out / (pkts_out + 1))) bytes: no TSO"
pass "offload: exact both ways, $((big_in / pkts_in)) B per datagram in, $((big_out / pkts_out)) B out, no kernel checksum errors"
