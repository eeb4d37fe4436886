// Tracer: middleware that logs one tcpdump-like line per datagram at debug level
// ("--log-level debug"), in both directions. Costs one level check per datagram when off.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "netif/link.hpp"

namespace tundra::netif {

// One line describing a datagram: addresses, protocol, ports, flags, lengths; or why it is
// malformed.
std::string describe_datagram(std::span<const std::byte> datagram);

class Tracer final : public LinkWrapper {
 public:
  explicit Tracer(std::unique_ptr<Link> inner) : LinkWrapper(std::move(inner)) {}

  std::optional<PacketBuffer> receive(Instant now) override;
  void transmit(PacketBuffer packet, Instant now) override;
  std::string describe() const override { return "trace > " + inner_->describe(); }
};

}  // namespace tundra::netif
