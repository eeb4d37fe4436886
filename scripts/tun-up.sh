#!/usr/bin/env bash
# For a real VM: makes a persistent TUN device owned by a user, with the kernel's side addressed,
# so tundra programs run without root and the VM's own programs reach tundra:
#   sudo scripts/tun-up.sh                  # tun0 for $SUDO_USER, kernel side 10.0.0.1/24
#   build/bin/tundra-httpd --tun tun0       # as that user; tundra is 10.0.0.2 (port 80 is fine:
#   curl http://10.0.0.2/                   #   tundra's ports are its own, not the kernel's)
#   sudo scripts/tun-up.sh --down           # removes the device
# Options: --dev NAME (tun0), --user USER ($SUDO_USER or $USER), --host-addr A.B.C.D/N (10.0.0.1/24).
set -euo pipefail

dev=tun0
user=${SUDO_USER:-${USER:-root}}
host_addr=10.0.0.1/24
down=0
usage() { echo "tun-up.sh: error: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) [ $# -ge 2 ] || usage "--dev needs a name"; dev=$2; shift 2 ;;
    --user) [ $# -ge 2 ] || usage "--user needs a name"; user=$2; shift 2 ;;
    --host-addr) [ $# -ge 2 ] || usage "--host-addr needs A.B.C.D/N"; host_addr=$2; shift 2 ;;
    --down) down=1; shift ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument '$1' (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || usage "run as root (sudo): it makes a device"
[[ "$dev" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || usage "bad device name '$dev'"
[[ "$host_addr" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || usage "bad address '$host_addr'"
id "$user" >/dev/null 2>&1 || usage "no such user '$user'"

if [ $down = 1 ]; then
  ip tuntap del dev "$dev" mode tun
  echo "removed $dev"
  exit 0
fi
if ip link show "$dev" >/dev/null 2>&1; then
  echo "tun-up.sh: error: $dev exists already (remove it with --down)" >&2
  exit 1
fi
ip tuntap add dev "$dev" mode tun user "$user"
ip addr add "$host_addr" dev "$dev"
ip link set "$dev" up txqueuelen 4096  # room for bursts at TCP speeds
# tundra speaks IPv4 only; the kernel's IPv6 router solicitations would only clutter captures.
sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" 2>/dev/null || true
echo "$dev is up for $user, kernel side $host_addr; run: build/bin/tundra-httpd --tun $dev"
