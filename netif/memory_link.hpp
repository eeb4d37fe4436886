// MemoryLink: two in-process links joined back to back, for deterministic tests and simulations
// (DESIGN.md ring 3); what one end transmits, the other receives, in order. Made by tests and apps.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "netif/link.hpp"

namespace tundra::netif {

class MemoryLink final : public Link {
 public:
  // Enough for a full window of small segments between two stacks that poll each other in turn.
  static constexpr size_t kDefaultQueueLimit = 4096;

  // Two connected ends. Each direction holds at most `queue_limit` datagrams in flight; beyond
  // that the sender's tx_dropped counts the overflow, as a full device queue would.
  static std::pair<std::unique_ptr<MemoryLink>, std::unique_ptr<MemoryLink>> make_pair(
      LinkCaps caps = {}, size_t queue_limit = kDefaultQueueLimit);

  ~MemoryLink() override;
  MemoryLink(const MemoryLink&) = delete;
  MemoryLink& operator=(const MemoryLink&) = delete;

  LinkCaps caps() const override { return caps_; }
  std::optional<PacketBuffer> receive(Instant now) override;
  void transmit(PacketBuffer packet, Instant now) override;

  const LinkStats& stats() const override { return stats_; }
  void report(CounterReport& out) const override;
  std::string describe() const override { return "memory"; }

  // Datagrams sent by the peer and not yet received here.
  size_t pending() const;
  // False once the other end has been destroyed; transmissions then count as dropped.
  bool peer_alive() const;

 private:
  struct Shared;
  MemoryLink(std::shared_ptr<Shared> shared, size_t side, LinkCaps caps);

  std::shared_ptr<Shared> shared_;
  size_t side_;  // 0 or 1: which queue this end receives from
  LinkCaps caps_;
  LinkStats stats_;
};

}  // namespace tundra::netif
