// ThreadLink: two in-process links joined back to back, for two stacks whose event loops run on
// threads of their own (MemoryLink is for one thread). The queues are locked, and each end has
// an eventfd that is readable while datagrams wait, so its loop's ppoll wakes when one arrives.
// Used by tests that put socket facades on both ends (resolver_test.cpp).
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "netif/link.hpp"

namespace tundra::test {

class ThreadLink final : public netif::Link {
 public:
  static std::pair<std::unique_ptr<ThreadLink>, std::unique_ptr<ThreadLink>> make_pair() {
    auto shared = std::make_shared<Shared>();
    std::unique_ptr<ThreadLink> a(new ThreadLink(shared, 0));
    std::unique_ptr<ThreadLink> b(new ThreadLink(shared, 1));
    return {std::move(a), std::move(b)};
  }

  netif::LinkCaps caps() const override { return {}; }
  std::optional<PacketBuffer> receive(Instant) override {
    std::lock_guard lock(shared_->mutex);
    auto& q = shared_->inbox[side_];
    if (q.empty()) return std::nullopt;
    PacketBuffer p = std::move(q.front());
    q.pop_front();
    if (q.empty()) {
      uint64_t count;  // readable again only when the next datagram comes
      [[maybe_unused]] auto n = ::read(shared_->event[side_], &count, sizeof count);
    }
    ++stats_.rx_packets;
    stats_.rx_bytes += p.size();
    return p;
  }
  void transmit(PacketBuffer packet, Instant) override {
    std::lock_guard lock(shared_->mutex);
    const size_t peer = 1 - side_;
    ++stats_.tx_packets;
    stats_.tx_bytes += packet.size();
    shared_->inbox[peer].push_back(std::move(packet));
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(shared_->event[peer], &one, sizeof one);
  }
  int fd() const override { return shared_->event[side_]; }
  const netif::LinkStats& stats() const override { return stats_; }
  void report(CounterReport& out) const override {
    netif::report_link_stats("thread", stats_, out);
  }
  std::string describe() const override { return "thread"; }

 private:
  struct Shared {
    Shared() {
      for (int& fd : event) {
        fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) throw std::runtime_error("eventfd");
      }
    }
    ~Shared() {
      for (int fd : event)
        ::close(fd);
    }
    std::mutex mutex;
    std::array<std::deque<PacketBuffer>, 2> inbox;
    std::array<int, 2> event{-1, -1};
  };
  ThreadLink(std::shared_ptr<Shared> shared, size_t side)
      : shared_(std::move(shared)), side_(side) {}

  std::shared_ptr<Shared> shared_;
  size_t side_;
  netif::LinkStats stats_;
};

}  // namespace tundra::test
