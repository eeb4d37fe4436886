// Creating tundra-ceiling's TUN device and setting up its kernel side with ioctls; with --offload,
// asking for virtio-net headers and the TCP offloads.
#include "apps/ceiling/tun_device.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/ceiling/segment.hpp"

namespace tundra::ceiling {
namespace {

std::string message(int err) {
  return std::system_category().message(err);
}

[[noreturn]] void fail(const std::string& name, std::string_view what, int err) {
  throw std::runtime_error(fmt::format("{}: {}: {}", name, what, message(err)));
}

ifreq request_for(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof ifr.ifr_name - 1));
  return ifr;
}

// An interface ioctl through `sock`; the errno of a failure, or 0.
int ifioctl(int sock, unsigned long request, ifreq& ifr) {
  return ::ioctl(sock, request, &ifr) < 0 ? errno : 0;
}

int set_ipv4(int sock, const std::string& name, unsigned long request, wire::ipv4::Address a) {
  ifreq ifr = request_for(name);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(a.value());
  static_assert(sizeof sin <= sizeof ifr.ifr_addr);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  return ifioctl(sock, request, ifr);
}

}  // namespace

TunDevice TunDevice::open(const DeviceConfig& config) {
  const std::string& name = config.name;
  if (name.empty() || name.size() >= IFNAMSIZ)
    throw std::runtime_error(
        fmt::format("tun: '{}' is not a device name (1 to {} characters)", name, IFNAMSIZ - 1));
  // The device is made for this run and goes with it: one that exists already belongs to
  // someone else.
  if (::if_nametoindex(name.c_str()) != 0)
    throw std::runtime_error(
        fmt::format("{}: the device exists already (choose another --tun)", name));

  netif::UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) fail(name, "cannot open /dev/net/tun", errno);
  ifreq ifr = request_for(name);
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (config.offload ? IFF_VNET_HDR : 0));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
    fail(name, "cannot create the device (needs CAP_NET_ADMIN)", errno);
  if (config.offload) {
    int hdr_len = static_cast<int>(kVnetHeaderLen);
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr_len) < 0)
      fail(name, "cannot set the virtio-net header size", errno);
    // The kernel may then hand us TCP super-segments with partial checksums, and take ours.
    if (::ioctl(fd.get(), TUNSETOFFLOAD, static_cast<unsigned long>(TUN_F_CSUM | TUN_F_TSO4)) < 0)
      fail(name, "cannot turn on TCP offloads", errno);
  }

  netif::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) fail(name, "cannot open a control socket", errno);
  const int s = sock.get();
  if (config.mtu) {
    ifreq m = request_for(name);
    m.ifr_mtu = static_cast<int>(*config.mtu);
    if (const int err = ifioctl(s, SIOCSIFMTU, m))
      fail(name, fmt::format("cannot set the MTU to {}", *config.mtu), err);
  }
  // SIOCSIFADDR first: it installs a classful mask, which SIOCSIFNETMASK then replaces.
  if (const int err = set_ipv4(s, name, SIOCSIFADDR, config.host_addr.address))
    fail(name, fmt::format("cannot set address {}", config.host_addr.to_string()), err);
  if (const int err =
          set_ipv4(s, name, SIOCSIFNETMASK, wire::ipv4::Address(config.host_addr.netmask())))
    fail(name, fmt::format("cannot set netmask /{}", config.host_addr.prefix_len), err);
  // No IPv6 from the kernel side (router solicitations, MLD): we would only drop it. Best effort:
  // a kernel without IPv6 has no such file.
  if (std::FILE* f =
          std::fopen(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", name).c_str(), "w")) {
    std::fputs("1", f);
    std::fclose(f);
  }
  ifreq q = request_for(name);
  q.ifr_qlen = static_cast<int>(config.tx_queue_len);
  if (const int err = ifioctl(s, SIOCSIFTXQLEN, q))
    spdlog::warn("{}: cannot set the transmit queue length to {}: {}", name, config.tx_queue_len,
                 message(err));
  ifreq f = request_for(name);
  if (const int err = ifioctl(s, SIOCGIFFLAGS, f)) fail(name, "cannot read the flags", err);
  f.ifr_flags = static_cast<short>(f.ifr_flags | IFF_UP);
  if (const int err = ifioctl(s, SIOCSIFFLAGS, f)) fail(name, "cannot bring the device up", err);
  ifreq m = request_for(name);
  if (const int err = ifioctl(s, SIOCGIFMTU, m)) fail(name, "cannot read the MTU", err);
  spdlog::debug("{}: created, MTU {}, host {}, offload {}", name, m.ifr_mtu,
                config.host_addr.to_string(), config.offload ? "on" : "off");
  return TunDevice(std::move(fd), name, static_cast<size_t>(m.ifr_mtu), config.offload);
}

}  // namespace tundra::ceiling
