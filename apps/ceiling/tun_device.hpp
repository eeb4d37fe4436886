// The TUN device tundra-ceiling answers on: created for the run (never attached to, never
// persistent, so it goes away on exit), its kernel side given an address, MTU and a long transmit
// queue, IPv6 off, and — with --offload — virtio-net headers with TCP segmentation offload both
// ways. Non-blocking; one datagram per read()/write(). Opened by main.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "netif/tun_link.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::ceiling {

struct DeviceConfig {
  std::string name = "tun0";
  wire::ipv4::Cidr host_addr{};  // the kernel side's address and prefix
  std::optional<size_t> mtu{};   // otherwise the kernel's default for a TUN device (1500)
  bool offload = false;          // IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4
  size_t tx_queue_len = 4096;    // the kernel's queue towards us; 500 drops under bursts
};

class TunDevice {
 public:
  // Creates and sets up the device; throws std::runtime_error with a one-line reason naming it.
  static TunDevice open(const DeviceConfig& config);

  // The responder reads and writes the descriptor itself: no buffers, no stack.
  int fd() const { return link_->fd(); }
  const std::string& name() const { return link_->name(); }
  size_t mtu() const { return link_->caps().mtu; }
  bool offload() const { return offload_; }

 private:
  TunDevice(std::unique_ptr<netif::TunLink> link, bool offload)
      : link_(std::move(link)), offload_(offload) {}

  std::unique_ptr<netif::TunLink> link_;  // owns the descriptor; closing it removes the device
  bool offload_;
};

}  // namespace tundra::ceiling
