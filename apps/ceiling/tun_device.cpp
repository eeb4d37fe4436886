// Creating tundra-ceiling's TUN device: netif::TunLink does the setting up (address, MTU, queue,
// IPv6 off, offloads); what is the ceiling's own is refusing a device that exists already.
#include "apps/ceiling/tun_device.hpp"

#include <net/if.h>

#include <stdexcept>

#include <fmt/format.h>

namespace tundra::ceiling {

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
  auto link = netif::TunLink::open({.name = name,
                                    .mtu = config.mtu,
                                    .host_addr = config.host_addr,
                                    .tx_queue_len = config.tx_queue_len,
                                    .offload = config.offload});
  // Between the check and the open another process may have made it: never run on a device
  // this run did not create.
  if (!link->created())
    throw std::runtime_error(
        fmt::format("{}: the device exists already (choose another --tun)", name));
  return TunDevice(std::move(link), config.offload);
}

}  // namespace tundra::ceiling
