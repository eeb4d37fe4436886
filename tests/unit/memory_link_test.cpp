// MemoryLink: order and content across the pair both ways, the MTU and queue limits, and ends
// destroyed in either order.
#include "netif/memory_link.hpp"

#include <gtest/gtest.h>

#include "tests/unit/test_datagrams.hpp"

namespace tundra::netif {
namespace {

using linktest::contents;
using linktest::drain;
using linktest::numbered;
using linktest::seq_of;

const Instant t0 = Instant::from_millis(1000);

TEST(MemoryLink, CarriesDatagramsInOrderWithTheirContent) {
  auto [a, b] = MemoryLink::make_pair();
  size_t bytes = 0;
  for (uint32_t i = 0; i < 100; ++i) {
    const size_t size = 20 + i * 13;
    bytes += size;
    a->transmit(numbered(i, size), t0);
  }
  EXPECT_EQ(b->pending(), 100u);
  EXPECT_EQ(a->pending(), 0u);
  EXPECT_FALSE(a->receive(t0)) << "a datagram came back to its sender";

  const auto got = drain(*b, t0);
  ASSERT_EQ(got.size(), 100u);
  for (uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(seq_of(got[i]), i);
    EXPECT_EQ(contents(got[i]), contents(numbered(i, 20 + i * 13)));
  }
  EXPECT_FALSE(b->receive(t0));

  EXPECT_EQ(a->stats().tx_packets, 100u);
  EXPECT_EQ(a->stats().tx_bytes, bytes);
  EXPECT_EQ(b->stats().rx_packets, 100u);
  EXPECT_EQ(b->stats().rx_bytes, bytes);
  EXPECT_EQ(a->stats().rx_packets, 0u);
  EXPECT_EQ(b->stats().tx_packets, 0u);
}

TEST(MemoryLink, BothDirectionsAreIndependent) {
  auto [a, b] = MemoryLink::make_pair();
  a->transmit(numbered(1), t0);
  b->transmit(numbered(2), t0);
  a->transmit(numbered(3), t0);
  b->transmit(numbered(4), t0);

  auto at_b = drain(*b, t0);
  auto at_a = drain(*a, t0);
  ASSERT_EQ(at_b.size(), 2u);
  ASSERT_EQ(at_a.size(), 2u);
  EXPECT_EQ(seq_of(at_b[0]), 1u);
  EXPECT_EQ(seq_of(at_b[1]), 3u);
  EXPECT_EQ(seq_of(at_a[0]), 2u);
  EXPECT_EQ(seq_of(at_a[1]), 4u);
}

TEST(MemoryLink, DropsWhatExceedsTheMtu) {
  auto [a, b] = MemoryLink::make_pair(LinkCaps{.mtu = 100});
  EXPECT_EQ(a->caps().mtu, 100u);
  a->transmit(numbered(1, 101), t0);
  a->transmit(numbered(2, 100), t0);
  EXPECT_EQ(a->stats().tx_dropped, 1u);
  EXPECT_EQ(a->stats().tx_packets, 1u);
  EXPECT_EQ(a->stats().tx_bytes, 100u);
  const auto got = drain(*b, t0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(seq_of(got[0]), 2u);
}

TEST(MemoryLink, QueueIsBoundedAndOverflowCounted) {
  auto [a, b] = MemoryLink::make_pair({}, 3);
  for (uint32_t i = 0; i < 5; ++i)
    a->transmit(numbered(i), t0);
  EXPECT_EQ(a->stats().tx_packets, 3u);
  EXPECT_EQ(a->stats().tx_dropped, 2u);
  ASSERT_EQ(b->pending(), 3u);
  EXPECT_EQ(seq_of(*b->receive(t0)), 0u);
  // Room again once the receiver has taken one.
  a->transmit(numbered(9), t0);
  EXPECT_EQ(a->stats().tx_dropped, 2u);
  const auto rest = drain(*b, t0);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(seq_of(rest[2]), 9u);
}

TEST(MemoryLink, DefaultQueueHoldsFourThousandNinetySix) {
  auto [a, b] = MemoryLink::make_pair();
  for (uint32_t i = 0; i < MemoryLink::kDefaultQueueLimit + 1; ++i)
    a->transmit(numbered(i, 20), t0);
  EXPECT_EQ(b->pending(), 4096u);
  EXPECT_EQ(a->stats().tx_dropped, 1u);
}

TEST(MemoryLink, SenderMayGoFirstAndWhatItSentStillArrives) {
  auto [a, b] = MemoryLink::make_pair();
  a->transmit(numbered(7), t0);
  a.reset();
  EXPECT_FALSE(b->peer_alive());
  auto p = b->receive(t0);
  ASSERT_TRUE(p);
  EXPECT_EQ(seq_of(*p), 7u);
  b->transmit(numbered(8), t0);
  EXPECT_EQ(b->stats().tx_dropped, 1u);
  EXPECT_EQ(b->stats().tx_packets, 0u);
}

TEST(MemoryLink, ReceiverMayGoFirst) {
  auto [a, b] = MemoryLink::make_pair();
  b->transmit(numbered(1), t0);
  a->transmit(numbered(2), t0);
  b.reset();
  EXPECT_FALSE(a->peer_alive());
  a->transmit(numbered(3), t0);
  EXPECT_EQ(a->stats().tx_dropped, 1u);
  EXPECT_EQ(seq_of(*a->receive(t0)), 1u);
}

TEST(MemoryLink, DescribesAndReportsItself) {
  auto [a, b] = MemoryLink::make_pair();
  EXPECT_EQ(a->describe(), "memory");
  EXPECT_EQ(a->fd(), -1);
  EXPECT_FALSE(a->poll_at());
  a->transmit(numbered(1, 50), t0);
  CounterReport r;
  a->report(r);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "link memory");
  ASSERT_EQ(r[0].values.size(), 6u);
  EXPECT_EQ(r[0].values[2].first, "packets sent");
  EXPECT_EQ(r[0].values[2].second, 1u);
  EXPECT_EQ(r[0].values[3].second, 50u);
}

}  // namespace
}  // namespace tundra::netif
