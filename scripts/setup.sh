#!/usr/bin/env bash
# setup.sh: installs the Debian packages tundra needs to build, run and test it. Run it as root;
# it installs only what is missing, so running it again changes nothing.
set -euo pipefail

packages=(
  # build
  cmake g++ make libboost-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libcli11-dev
  clang-format
  # fuzzing (scripts/test.sh): clang with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # run and test
  iproute2 iputils-ping tcpdump tshark python3 procps
  # plots of TCP traces (scripts/plot-tcp) and the labs
  python3-matplotlib
  # HTTP peers and instruments: curl, wget and ab (apache2-utils) against tundra-httpd, a DNS
  # server for tundra-fetch in the namespace (dnsmasq-base), nginx as a reference in the bench
  curl wget apache2-utils dnsmasq-base nginx-light
  # bench references (scripts/bench.sh): wrk for HTTP rates, lwIP for lwip-tun (bench/lwip)
  wrk liblwip-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture; answer "no" up front so the
# install does not stop to ask.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
