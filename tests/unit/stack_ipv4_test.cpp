// Ring 2 for IPv4 and ICMP: a Stack on a CaptureLink, fed fixed datagrams on a simulated clock;
// every reply checked, every malformed shape counted under its reason, and the stack answering
// afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1), kFar(192, 0, 2, 9);

class StackFixture : public ::testing::Test {
 protected:
  explicit StackFixture(size_t mtu = 1500) : link(mtu), stack(link, config()) {}

  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.ipv4.reassembly.timeout = std::chrono::seconds(30);
    c.seed = 42;
    return c;
  }

  // Feeds datagrams, polls once, returns what the stack sent.
  std::vector<Bytes> send(std::vector<Bytes> in) {
    for (auto& d : in)
      link.inject(std::move(d));
    stack.poll(clock.now());
    return link.take_sent();
  }
  std::vector<Bytes> send(Bytes d) { return send(std::vector<Bytes>{std::move(d)}); }

  Bytes ping(uint16_t seq, size_t size = 56, ipv4::Address from = kPeer) {
    return ip_datagram(ip_header(from, kUs, ipv4::Protocol::Icmp),
                       echo_request(0x77, seq, pattern(size, seq)));
  }

  // Checks that `out` is exactly one echo reply for `seq` with `size` data bytes to `to`.
  void expect_reply(const std::vector<Bytes>& out, uint16_t seq, size_t size = 56,
                    ipv4::Address to = kPeer) {
    ASSERT_EQ(out.size(), 1u);
    auto ip = ipv4::Repr::parse(out[0]);
    ASSERT_TRUE(ip.ok());
    EXPECT_EQ(ip->src, kUs);
    EXPECT_EQ(ip->dst, to);
    EXPECT_EQ(ip->protocol, 1);
    auto icmp = wire::icmp::Repr::parse(std::span(out[0]).subspan(20));
    ASSERT_TRUE(icmp.ok());
    EXPECT_EQ(icmp->type, 0);
    EXPECT_EQ(icmp->code, 0);
    EXPECT_EQ(icmp->ident(), 0x77);
    EXPECT_EQ(icmp->seq(), seq);
    const Bytes data(out[0].begin() + 28, out[0].end());
    EXPECT_EQ(data, pattern(size, seq));
  }

  SimClock clock;
  CaptureLink link;
  Stack stack;
};

TEST_F(StackFixture, AnswersPing) {
  expect_reply(send(ping(1)), 1);
}

TEST_F(StackFixture, AnswersPingOfEverySmallSize) {
  for (size_t n = 0; n < 200; ++n)
    expect_reply(send(ping(uint16_t(n), n)), uint16_t(n), n);
  EXPECT_EQ(stack.icmp().counters().echo_replies_sent, 200u);
}

TEST_F(StackFixture, IgnoresDatagramsForOthers) {
  EXPECT_TRUE(send(ip_datagram(ip_header(kPeer, ipv4::Address(10, 0, 0, 3), ipv4::Protocol::Icmp),
                               echo_request(1, 1, pattern(8))))
                  .empty());
  EXPECT_EQ(stack.ipv4().counters().not_for_us, 1u);
}

TEST_F(StackFixture, BroadcastPingIsIgnoredAsLinuxDoes) {
  EXPECT_TRUE(send(ip_datagram(ip_header(kPeer, ipv4::Address(10, 0, 0, 255), ipv4::Protocol::Icmp),
                               echo_request(1, 1, pattern(8))))
                  .empty());
  EXPECT_EQ(stack.icmp().counters().broadcast_echo_ignored, 1u);
}

TEST_F(StackFixture, EveryMalformedShapeIsCountedAndTheStackKeepsAnswering) {
  const Bytes good = ping(9);
  auto with = [&](auto f) {
    Bytes d = good;
    f(d);
    return d;
  };
  auto fix = [](Bytes& d) {
    d[10] = d[11] = std::byte{0};
    const size_t hlen = std::min<size_t>(size_t(d[0] & std::byte{0x0f}) * 4, d.size());
    const uint16_t c = wire::checksum::compute(std::span(d).first(hlen));
    d[10] = std::byte(c >> 8);
    d[11] = std::byte(c & 0xff);
  };
  std::vector<Bytes> bad = {
      Bytes(10, std::byte{0x45}),  // truncated
      with([&](Bytes& d) {
        d[0] = std::byte{0x55};
        fix(d);
      }),                                               // version 5
      with([&](Bytes& d) { d[0] = std::byte{0x43}; }),  // IHL 3
      with([&](Bytes& d) {
        d.resize(30);
        d[0] = std::byte{0x4f};
      }),                                                  // IHL past the data
      with([&](Bytes& d) { d.resize(d.size() - 1); }),     // total length beyond data
      with([&](Bytes& d) { d.push_back(std::byte{0}); }),  // total length short of data
      with([&](Bytes& d) { d[8] = std::byte{1}; }),        // bad header checksum
      with([&](Bytes& d) {
        d[6] = std::byte{0x7f};
        d[7] = std::byte{0xff};
        fix(d);
      }),  // DF+MF, past 64K
      with([&](Bytes& d) {
        d[12] = std::byte{255};
        d[13] = d[14] = d[15] = std::byte{255};
        fix(d);
      }),
      with([&](Bytes& d) { d[22] ^= std::byte{0xff}; }),  // ICMP checksum
      with([&](Bytes& d) {
        d.resize(24);
        d[3] = std::byte{24};
        fix(d);
      }),  // ICMP truncated
  };
  EXPECT_TRUE(send(bad).empty());
  const auto& c = stack.ipv4().counters();
  EXPECT_EQ(c.truncated, 1u);
  EXPECT_EQ(c.bad_version, 1u);
  EXPECT_EQ(c.bad_header_len, 2u);
  EXPECT_EQ(c.bad_total_len, 2u);
  EXPECT_EQ(c.bad_checksum, 1u);
  EXPECT_EQ(c.bad_fragment, 1u);
  EXPECT_EQ(c.bad_source, 1u);
  EXPECT_EQ(stack.icmp().counters().bad_checksum, 1u);
  EXPECT_EQ(stack.icmp().counters().truncated, 1u);
  expect_reply(send(good), 9);
}

TEST_F(StackFixture, SkipsIpOptions) {
  // A ping with a 4-byte options field (NOP NOP NOP EOL) is still answered.
  Bytes d = ping(3);
  Bytes opt = {std::byte{0x46}};
  Bytes with_opts;
  with_opts.push_back(std::byte{0x46});
  with_opts.insert(with_opts.end(), d.begin() + 1, d.begin() + 20);
  with_opts.insert(with_opts.end(), {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}});
  with_opts.insert(with_opts.end(), d.begin() + 20, d.end());
  const uint16_t total = uint16_t(with_opts.size());
  with_opts[2] = std::byte(total >> 8);
  with_opts[3] = std::byte(total & 0xff);
  ipv4::View<std::byte>(std::span(with_opts)).fill_checksum();
  expect_reply(send(with_opts), 3);
  EXPECT_EQ(stack.ipv4().counters().with_options, 1u);
}

TEST_F(StackFixture, FragmentedPingIsReassembledAndTheReplyFragmented) {
  // A 3000-byte ping, as `ping -s 3000` sends it over a 1500-byte MTU: fragments both ways.
  auto h = ip_header(kPeer, kUs, ipv4::Protocol::Icmp);
  h.ident = 4242;
  const Bytes msg = echo_request(0x77, 5, pattern(3000, 5));
  auto out = send(fragments(h, msg, 1480));
  ASSERT_EQ(out.size(), 3u);
  Bytes whole;
  for (size_t i = 0; i < out.size(); ++i) {
    auto f = ipv4::Repr::parse(out[i]);
    ASSERT_TRUE(f.ok());
    EXPECT_LE(out[i].size(), 1500u);
    EXPECT_EQ(f->frag_offset, whole.size());
    EXPECT_EQ(f->more_fragments, i + 1 < out.size());
    whole.insert(whole.end(), out[i].begin() + 20, out[i].end());
  }
  auto icmp = wire::icmp::Repr::parse(whole);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 0);
  EXPECT_EQ(Bytes(whole.begin() + 8, whole.end()), pattern(3000, 5));
  EXPECT_EQ(stack.ipv4().counters().fragmented, 1u);
}

TEST_F(StackFixture, FragmentsInAnyOrderAndDuplicatedStillAnswerOnce) {
  auto h = ip_header(kPeer, kUs, ipv4::Protocol::Icmp);
  h.ident = 99;
  auto frags = fragments(h, echo_request(0x77, 6, pattern(4000, 6)), 1000);
  std::reverse(frags.begin(), frags.end());
  frags.push_back(frags[1]);  // a duplicate after completion starts a new, never-finished datagram
  auto out = send(frags);
  EXPECT_EQ(out.size(), 3u);  // one reply, in 3 fragments
  EXPECT_EQ(stack.icmp().counters().echo_replies_sent, 1u);
}

TEST_F(StackFixture, OverlappingFragmentsDropTheDatagram) {
  auto h = ip_header(kPeer, kUs, ipv4::Protocol::Icmp);
  h.ident = 7;
  const Bytes msg = echo_request(0x77, 1, pattern(2000));
  auto frags = fragments(h, msg, 1000);
  auto o = h;
  o.frag_offset = 504;
  o.more_fragments = true;
  EXPECT_TRUE(send({frags[0], ip_datagram(o, pattern(1000)), frags[1]}).empty());
  EXPECT_EQ(stack.ipv4().reassembler().stats().overlaps, 1u);
  expect_reply(send(ping(2)), 2);
}

TEST_F(StackFixture, ReassemblyTimesOutOnTheSimulatedClockWithTimeExceeded) {
  auto h = ip_header(kPeer, kUs, ipv4::Protocol::Icmp);
  h.ident = 5;
  auto frags = fragments(h, echo_request(0x77, 1, pattern(2000)), 1000);
  EXPECT_TRUE(send(frags[0]).empty());
  ASSERT_TRUE(stack.poll_at().has_value());
  EXPECT_EQ(*stack.poll_at(), clock.now() + std::chrono::seconds(30));
  clock.advance(std::chrono::seconds(29));
  EXPECT_TRUE(send(std::vector<Bytes>{}).empty());
  clock.set(*stack.poll_at());
  auto out = send(std::vector<Bytes>{});
  ASSERT_EQ(out.size(), 1u);
  auto icmp = wire::icmp::Repr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 11);
  EXPECT_EQ(icmp->code, 1);
  EXPECT_EQ(stack.ipv4().reassembler().stats().timeouts, 1u);
  EXPECT_EQ(stack.ipv4().reassembler().bytes_held(), 0u);
  // The late fragment starts a new datagram that never completes.
  EXPECT_TRUE(send(frags[1]).empty());
}

TEST_F(StackFixture, FragmentFloodStaysUnderTheMemoryCap) {
  std::mt19937 rng(1);
  for (int i = 0; i < 20000; ++i) {
    auto h = ip_header(kPeer, kUs, ipv4::Protocol::Udp);
    h.ident = uint16_t(rng());
    h.frag_offset = (rng() % 8000) * 8;
    h.more_fragments = true;
    link.inject(ip_datagram(h, pattern(1024)));
    if (i % 256 == 0) stack.poll(clock.now());
    ASSERT_LE(stack.ipv4().reassembler().bytes_held(), ip::ReassemblyLimits{}.max_bytes);
  }
  stack.poll(clock.now());
  EXPECT_GT(stack.ipv4().reassembler().stats().over_memory, 0u);
  EXPECT_LE(stack.ipv4().reassembler().bytes_held(), ip::ReassemblyLimits{}.max_bytes);
  link.take_sent();
  expect_reply(send(ping(3)), 3);
}

TEST_F(StackFixture, UnknownProtocolGetsProtocolUnreachable) {
  auto out = send(ip_datagram(ip_header(kPeer, kUs, ipv4::Protocol(47)), pattern(40)));
  ASSERT_EQ(out.size(), 1u);
  auto icmp = wire::icmp::Repr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 3);
  EXPECT_EQ(icmp->code, 2);
  // RFC 792: the original header and its first 8 data bytes are quoted.
  ASSERT_EQ(out[0].size(), 20u + 8 + 20 + 8);
  auto quoted = ipv4::View<const std::byte>(std::span<const std::byte>(out[0]).subspan(28));
  EXPECT_EQ(quoted.protocol(), 47);
  EXPECT_EQ(quoted.src(), kPeer);
  const Bytes sent = pattern(40);
  EXPECT_EQ(Bytes(out[0].begin() + 48, out[0].end()), Bytes(sent.begin(), sent.begin() + 8));
}

TEST_F(StackFixture, ClosedUdpPortGetsPortUnreachableRateLimited) {
  auto probe = [&](uint16_t port) {
    return ip_datagram(ip_header(kPeer, kUs, ipv4::Protocol::Udp),
                       udp_datagram(kPeer, 40000, kUs, port, pattern(12)));
  };
  auto out = send(probe(33434));
  ASSERT_EQ(out.size(), 1u);
  auto icmp = wire::icmp::Repr::parse(std::span(out[0]).subspan(20));
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 3);
  EXPECT_EQ(icmp->code, 3);
  // A burst beyond the budget: the rest are counted, not sent.
  std::vector<Bytes> burst(100, probe(33435));
  const auto sent = send(burst).size();
  EXPECT_LT(sent, 100u);
  EXPECT_GT(stack.icmp().counters().errors_rate_limited, 0u);
  EXPECT_EQ(stack.icmp().counters().unreachable_sent, 1 + sent);
  // The budget refills with time.
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(send(probe(33436)).size(), 1u);
}

TEST_F(StackFixture, NoErrorAboutIcmpErrorsOrBroadcasts) {
  // An ICMP error sent to us for a closed port... an unknown-protocol datagram to broadcast.
  EXPECT_TRUE(
      send(ip_datagram(ip_header(kPeer, ipv4::Address::kBroadcast, ipv4::Protocol(47)), pattern(8)))
          .empty());
  EXPECT_TRUE(send(ip_datagram(ip_header(kPeer, kUs, ipv4::Protocol::Udp),
                               udp_datagram(kPeer, 1, ipv4::Address::kBroadcast, 9999, pattern(4))))
                  .empty());
  EXPECT_GE(stack.icmp().counters().errors_suppressed, 1u);
}

TEST_F(StackFixture, OutputWithoutRouteIsRefused) {
  ip::SendParams p;
  p.dst = kFar;
  p.protocol = 17;
  auto r = stack.ipv4().output(p, PacketBuffer::copy_of(pattern(8)), clock.now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, ip::SendError::NoRoute);
  stack.ipv4().routes().set_default_gateway(kPeer);
  EXPECT_FALSE(stack.ipv4().output(p, PacketBuffer::copy_of(pattern(8)), clock.now()).has_value());
  EXPECT_EQ(link.take_sent().size(), 1u);
}

TEST_F(StackFixture, DontFragmentOverMtuIsRefused) {
  ip::SendParams p;
  p.dst = kPeer;
  p.protocol = 17;
  p.dont_fragment = true;
  auto r = stack.ipv4().output(p, PacketBuffer::copy_of(pattern(2000)), clock.now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, ip::SendError::TooBig);
}

TEST_F(StackFixture, RandomGarbageNeverCrashesAndIsAllCounted) {
  std::mt19937 rng(7);
  const Bytes good = ping(1, 100);
  for (int i = 0; i < 20000; ++i) {
    Bytes d;
    if (i % 3 == 0) {
      d.resize(rng() % 120);
      for (auto& b : d)
        b = std::byte(rng());
    } else {
      d = good;  // a valid datagram with a few bytes flipped, and perhaps cut short
      for (int k = 0; k < 1 + int(rng() % 4); ++k)
        d[rng() % d.size()] ^= std::byte(1 + rng() % 255);
      if (rng() % 4 == 0) d.resize(rng() % d.size());
    }
    link.inject(std::move(d));
    if (i % 100 == 0) stack.poll(clock.now());
  }
  stack.poll(clock.now());
  link.take_sent();
  const auto& c = stack.ipv4().counters();
  EXPECT_EQ(c.received, 20000u);
  expect_reply(send(ping(2)), 2);
}

}  // namespace
}  // namespace tundra::test
