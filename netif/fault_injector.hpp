// FaultInjector: middleware that loses, corrupts, duplicates, reorders, delays and paces the
// datagrams crossing a link, each way on its own settings, from a seed that replays a run exactly
// (DESIGN.md: fault injection uses its own seeded generator). Stacked by the apps (--faults) and by
// simulation tests between two stacks on a MemoryLink pair.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "netif/fault_pipeline.hpp"
#include "netif/link.hpp"

namespace tundra::netif {

struct FaultConfig {
  using Direction = FaultDirection;
  Direction inbound;   // datagrams received from the inner link, on their way up to the stack
  Direction outbound;  // datagrams transmitted by the stack, on their way down to the inner link
  uint64_t seed = 1;
};

class FaultInjector final : public LinkWrapper {
 public:
  FaultInjector(std::unique_ptr<Link> inner, const FaultConfig& config);

  // Pulls everything the inner link has into the inbound pipeline, then returns the next
  // datagram due by `now`.
  std::optional<PacketBuffer> receive(Instant now) override;
  // Puts the datagram into the outbound pipeline and hands the inner link whatever is due.
  void transmit(PacketBuffer packet, Instant now) override;
  // Ends reordering holds that ran out and hands the inner link the outbound datagrams now due;
  // inbound ones due wait for receive().
  void poll(Instant now) override;
  // The earliest of: a held datagram falling due (either way), a reordering hold running out,
  // the inner link's own deadline.
  std::optional<Instant> poll_at() const override;

  void report(CounterReport& out) const override;
  std::string describe() const override;

  const FaultConfig& config() const { return config_; }
  const FaultCounters& inbound_counters() const { return inbound_.counters(); }
  const FaultCounters& outbound_counters() const { return outbound_.counters(); }
  size_t held_inbound() const { return inbound_.held(); }
  size_t held_outbound() const { return outbound_.held(); }

 private:
  void forward_due(Instant now);

  FaultConfig config_;
  FaultPipeline inbound_;
  FaultPipeline outbound_;
};

}  // namespace tundra::netif
