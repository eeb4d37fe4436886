// MemoryLink: the queue shared by the two ends, and the accounting of what crosses it.
#include "netif/memory_link.hpp"

#include <array>

namespace tundra::netif {

// Owned jointly by both ends, so either may be destroyed first. Single-threaded like every link:
// both ends are driven from the one loop thread, so no locking.
struct MemoryLink::Shared {
  size_t queue_limit;
  std::array<std::deque<PacketBuffer>, 2> inbox;  // inbox[i]: datagrams waiting for end i
  std::array<bool, 2> alive{true, true};
};

std::pair<std::unique_ptr<MemoryLink>, std::unique_ptr<MemoryLink>> MemoryLink::make_pair(
    LinkCaps caps, size_t queue_limit) {
  auto shared = std::make_shared<Shared>();
  shared->queue_limit = queue_limit;
  // The constructor is private, so make_unique cannot reach it.
  std::unique_ptr<MemoryLink> a(new MemoryLink(shared, 0, caps));
  std::unique_ptr<MemoryLink> b(new MemoryLink(shared, 1, caps));
  return {std::move(a), std::move(b)};
}

MemoryLink::MemoryLink(std::shared_ptr<Shared> shared, size_t side, LinkCaps caps)
    : shared_(std::move(shared)), side_(side), caps_(caps) {}

MemoryLink::~MemoryLink() {
  // Nobody will read our inbox again: free its buffers now rather than when the peer goes.
  shared_->alive[side_] = false;
  shared_->inbox[side_].clear();
}

std::optional<PacketBuffer> MemoryLink::receive(Instant /*now*/) {
  auto& q = shared_->inbox[side_];
  if (q.empty()) return std::nullopt;
  PacketBuffer p = std::move(q.front());
  q.pop_front();
  ++stats_.rx_packets;
  stats_.rx_bytes += p.size();
  return p;
}

void MemoryLink::transmit(PacketBuffer packet, Instant /*now*/) {
  const auto peer = 1 - side_;
  auto& q = shared_->inbox[peer];
  // A real device refuses what exceeds its MTU; the stack must fragment or size segments itself,
  // and tests should see it if it does not.
  if (packet.size() > caps_.mtu || !shared_->alive[peer] || q.size() >= shared_->queue_limit) {
    ++stats_.tx_dropped;
    return;
  }
  ++stats_.tx_packets;
  stats_.tx_bytes += packet.size();
  q.push_back(std::move(packet));
}

void MemoryLink::report(CounterReport& out) const {
  report_link_stats("link " + describe(), stats_, out);
}

size_t MemoryLink::pending() const {
  return shared_->inbox[side_].size();
}

bool MemoryLink::peer_alive() const {
  return shared_->alive[1 - side_];
}

}  // namespace tundra::netif
