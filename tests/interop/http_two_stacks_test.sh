#!/usr/bin/env bash
# A tundra client fetching from a tundra server: tundra-httpd on tun0 (10.0.0.2, kernel side
# 10.0.0.1) and tundra-fetch on tun1 (10.0.1.2, kernel side 10.0.1.1), the kernel forwarding
# between the two devices, so every segment crosses two user-space stacks and the kernel's router.
# Files of 0 B, 1 B, 1 MiB and 20 MiB arrive with matching sha256, plain and with a byte range.
source "$(dirname "$0")/lib.sh"
interop_init http-two-stacks "$@"

in_ns sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$WORK/www"
for size in 0 1 1048576 20971520; do
  head -c "$size" /dev/urandom >"$WORK/www/f$size"
done

start_tundra tundra-httpd --tun tun0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24 \
  --gateway 10.0.0.1 --root "$WORK/www" --access-log "$WORK/access.txt"
HTTPD_PID=$TUNDRA_PID

fetch() {
  timeout 120 ip netns exec "$NS" "$BIN/tundra-fetch" --tun tun1 --addr 10.0.1.2/24 \
    --host-addr 10.0.1.1/24 --gateway 10.0.1.1 --max-time 90 "$@"
}

for size in 0 1 1048576 20971520; do
  rc=0
  fetch -s -o "$WORK/got$size" "http://10.0.0.2/f$size" 2>"$WORK/fetch.log" || rc=$?
  [ $rc = 0 ] || fail "fetch of $size bytes exited with $rc: $(tail -n 3 "$WORK/fetch.log")"
  want=$(sha256sum <"$WORK/www/f$size" | cut -d' ' -f1)
  got=$(sha256sum <"$WORK/got$size" | cut -d' ' -f1)
  [ "$want" = "$got" ] || fail "$size bytes: sha256 $got, want $want"
done
pass "0 B, 1 B, 1 MiB and 20 MiB from tundra-httpd to tundra-fetch through the kernel's router"

# A byte range, by header: the 1 MiB file's bytes 1000..1999.
fetch -s -H "Range: bytes=1000-1999" -o "$WORK/range" "http://10.0.0.2/f1048576" \
  2>"$WORK/fetch.log" || fail "range fetch failed: $(tail -n 3 "$WORK/fetch.log")"
want=$(dd if="$WORK/www/f1048576" bs=1000 skip=1 count=1 status=none | sha256sum | cut -d' ' -f1)
got=$(sha256sum <"$WORK/range" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "range 1000-1999: sha256 $got, want $want"
pass "a byte range between two tundra stacks"

# Both sides saw each request: the server's access log names the client's address.
[ "$(grep -c '^10\.0\.1\.2 ' "$WORK/access.txt" || true)" -ge 5 ] ||
  fail "the access log does not show 5 requests from 10.0.1.2: $(head -n 5 "$WORK/access.txt")"
stop_pid "$HTTPD_PID"
[ "$STOP_RC" = 0 ] || fail "tundra-httpd exited with $STOP_RC"
pass "tundra-httpd logged every request from 10.0.1.2 and stopped cleanly"
