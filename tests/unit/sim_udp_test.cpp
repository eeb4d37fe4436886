// Ring 3: two tundra stacks on an in-memory link with the fault injector between them, on a
// simulated clock. UDP datagrams of every size (fragmented above the MTU) cross both ways under
// loss, reordering, duplication, corruption and delay; whatever is delivered is byte-identical to
// what was sent, corruption is caught by the checksums, the run replays exactly from its seed, and
// nothing is left held once the timers have run.
#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "netif/fault_injector.hpp"
#include "netif/memory_link.hpp"
#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kA(10, 0, 0, 1), kB(10, 0, 0, 2);

// A datagram's content from its number: 4 bytes of number, then a pattern of a length that
// depends on it (0 to ~6000 bytes, so some are fragmented).
Bytes datagram_for(uint32_t n) {
  const size_t len = 4 + (n * 7919u) % 6000;
  Bytes b = pattern(len, n);
  b[0] = std::byte(n >> 24);
  b[1] = std::byte(n >> 16);
  b[2] = std::byte(n >> 8);
  b[3] = std::byte(n);
  return b;
}

uint32_t number_of(std::span<const std::byte> b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

struct Outcome {
  size_t delivered_ab = 0, delivered_ba = 0, duplicates = 0;
  uint64_t ip_bad_checksum = 0, udp_bad_checksum = 0, other_drops = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome run(uint64_t seed, size_t count) {
  SimClock clock;
  auto [la, lb] = netif::MemoryLink::make_pair();
  netif::FaultDirection f;
  f.loss = 0.05;
  f.reorder = 0.05;
  f.duplicate = 0.01;
  f.corrupt = 0.01;
  f.delay = std::chrono::milliseconds(1);
  f.jitter = std::chrono::milliseconds(1);
  netif::FaultConfig fc{f, f, seed};
  netif::FaultInjector faulty(std::move(la), fc);

  StackConfig ca, cb;
  ca.ipv4.address = ipv4::Cidr{kA, 24};
  cb.ipv4.address = ipv4::Cidr{kB, 24};
  ca.seed = seed;
  cb.seed = seed + 1;
  Stack a(faulty, ca), b(*lb, cb);
  auto sa = a.udp().open(), sb = b.udp().open();
  EXPECT_EQ(a.udp().bind(sa, {ipv4::Address{}, 5000}), 0);
  EXPECT_EQ(b.udp().bind(sb, {ipv4::Address{}, 6000}), 0);
  a.udp().set_buffer(sa, true, 64 << 20);
  b.udp().set_buffer(sb, true, 64 << 20);

  Outcome o;
  std::map<uint32_t, int> seen_ab, seen_ba;
  auto drain = [&](Stack& s, udp::SocketId id, std::map<uint32_t, int>& seen, size_t& delivered,
                   uint16_t from_port) {
    while (auto d = s.udp().receive(id)) {
      EXPECT_EQ(d->from.port, from_port);
      const auto bytes = d->payload.bytes();
      ASSERT_GE(bytes.size(), 4u);
      const uint32_t n = number_of(bytes);
      const Bytes want = datagram_for(n);
      ASSERT_EQ(Bytes(bytes.begin(), bytes.end()), want) << "datagram " << n << " differs";
      if (seen[n]++ == 0)
        ++delivered;
      else
        ++o.duplicates;
    }
  };
  auto step = [&] {
    a.poll(clock.now());
    b.poll(clock.now());
    drain(b, sb, seen_ab, o.delivered_ab, 5000);
    drain(a, sa, seen_ba, o.delivered_ba, 6000);
  };
  for (uint32_t n = 0; n < count; ++n) {
    const Bytes d = datagram_for(n);
    EXPECT_TRUE(a.udp().send_to(sa, udp::Endpoint{kB, 6000}, d).ok());
    EXPECT_TRUE(b.udp().send_to(sb, udp::Endpoint{kA, 5000}, d).ok());
    step();
    clock.advance(std::chrono::microseconds(200));
  }
  // Let every held datagram and every reassembly timer run out: bounded rounds, clock jumps.
  for (int i = 0; i < 10000; ++i) {
    step();
    auto next = netif::earliest(a.poll_at(), b.poll_at());
    if (!next) break;
    clock.set(*next);
  }
  EXPECT_FALSE(a.poll_at().has_value());
  EXPECT_FALSE(b.poll_at().has_value());
  EXPECT_EQ(a.ipv4().reassembler().bytes_held(), 0u);
  EXPECT_EQ(b.ipv4().reassembler().bytes_held(), 0u);
  EXPECT_EQ(faulty.held_inbound() + faulty.held_outbound(), 0u);

  for (const Stack* s : {&a, &b}) {
    const auto& ip = s->ipv4().counters();
    o.ip_bad_checksum += ip.bad_checksum;
    o.udp_bad_checksum += s->udp().counters().bad_checksum;
    o.other_drops += ip.bad_total_len + ip.bad_version + ip.bad_header_len + ip.not_for_us +
                     ip.bad_fragment + ip.truncated + ip.bad_source;
  }
  return o;
}

TEST(SimUdp, TwoStacksUnderFaultsDeliverExactBytesAndReplay) {
  constexpr size_t kCount = 3000;
  const Outcome o = run(11, kCount);
  std::cout << "delivered a>b " << o.delivered_ab << ", b>a " << o.delivered_ba << " of " << kCount
            << "; " << o.duplicates << " duplicates; caught " << o.ip_bad_checksum
            << " by the IP checksum, " << o.udp_bad_checksum << " by the UDP checksum, "
            << o.other_drops << " as other malformed\n";
  // Loss of 5% per fragment each way: most datagrams arrive, not all.
  EXPECT_GT(o.delivered_ab, kCount * 6 / 10);
  EXPECT_LT(o.delivered_ab, kCount);
  EXPECT_GT(o.delivered_ba, kCount * 6 / 10);
  EXPECT_LT(o.delivered_ba, kCount);
  // Corrupted datagrams were caught by a checksum, never delivered (the byte checks above).
  EXPECT_GT(o.ip_bad_checksum + o.udp_bad_checksum + o.other_drops, 0u);
  EXPECT_GT(o.duplicates, 0u);
  // The same seed replays the same run; another seed does not.
  EXPECT_EQ(run(11, kCount), o);
  EXPECT_NE(run(12, kCount), o);
}

}  // namespace
}  // namespace tundra::test
