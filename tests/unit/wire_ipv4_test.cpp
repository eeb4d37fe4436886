// Ring 1 for IPv4, ICMP and UDP headers: fixed bytes to Repr and back, and every malformed shape.
#include <gtest/gtest.h>

#include "support/packets.hpp"

namespace tundra::test {
namespace {

// A well-known header: 192.168.0.1 > 192.168.0.199, UDP, total length 115, DF, TTL 64.
const Bytes kHeader = {std::byte{0x45}, std::byte{0x00}, std::byte{0x00}, std::byte{0x73},
                       std::byte{0x00}, std::byte{0x00}, std::byte{0x40}, std::byte{0x00},
                       std::byte{0x40}, std::byte{0x11}, std::byte{0xb8}, std::byte{0x61},
                       std::byte{0xc0}, std::byte{0xa8}, std::byte{0x00}, std::byte{0x01},
                       std::byte{0xc0}, std::byte{0xa8}, std::byte{0x00}, std::byte{0xc7}};

Bytes known_datagram() {
  Bytes d = kHeader;
  d.resize(0x73, std::byte{0x5a});
  return d;
}

TEST(WireIpv4, ParsesKnownHeaderFieldByField) {
  const Bytes d = known_datagram();
  auto r = ipv4::Repr::parse(d);
  ASSERT_TRUE(r.ok()) << ipv4::to_string(r.error());
  EXPECT_EQ(r->src, ipv4::Address(192, 168, 0, 1));
  EXPECT_EQ(r->dst, ipv4::Address(192, 168, 0, 199));
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->ttl, 64);
  EXPECT_TRUE(r->dont_fragment);
  EXPECT_FALSE(r->more_fragments);
  EXPECT_EQ(r->frag_offset, 0u);
  EXPECT_EQ(r->header_len, 20u);
  EXPECT_EQ(r->payload_len, 0x73u - 20);
}

TEST(WireIpv4, EmitRebuildsTheSameBytes) {
  const Bytes d = known_datagram();
  auto r = ipv4::Repr::parse(d);
  ASSERT_TRUE(r.ok());
  Bytes out(20);
  r->emit(out);
  EXPECT_EQ(out, kHeader);
}

TEST(WireIpv4, RoundTripsFragmentFields) {
  auto h = ip_header(ipv4::Address(10, 0, 0, 1), ipv4::Address(10, 0, 0, 2), ipv4::Protocol::Icmp);
  h.ident = 0xbeef;
  h.more_fragments = true;
  h.frag_offset = 1480;
  h.ttl = 3;
  h.dscp_ecn = 0xb8;
  const Bytes d = ip_datagram(h, pattern(16));
  auto r = ipv4::Repr::parse(d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ident, 0xbeef);
  EXPECT_TRUE(r->more_fragments);
  EXPECT_EQ(r->frag_offset, 1480u);
  EXPECT_EQ(r->ttl, 3);
  EXPECT_EQ(r->dscp_ecn, 0xb8);
  EXPECT_TRUE(r->is_fragment());
}

TEST(WireIpv4, SkipsOptions) {
  // IHL 6: one 4-byte option (NOPs and an end-of-list), then 4 payload bytes.
  Bytes d = {std::byte{0x46}, std::byte{0},  std::byte{0},  std::byte{28}, std::byte{0},
             std::byte{0},    std::byte{0},  std::byte{0},  std::byte{64}, std::byte{17},
             std::byte{0},    std::byte{0},  std::byte{10}, std::byte{0},  std::byte{0},
             std::byte{1},    std::byte{10}, std::byte{0},  std::byte{0},  std::byte{2},
             std::byte{1},    std::byte{1},  std::byte{1},  std::byte{0},  std::byte{9},
             std::byte{9},    std::byte{9},  std::byte{9}};
  ipv4::View<std::byte>(std::span(d)).fill_checksum();
  auto r = ipv4::Repr::parse(d);
  ASSERT_TRUE(r.ok()) << ipv4::to_string(r.error());
  EXPECT_EQ(r->header_len, 24u);
  EXPECT_EQ(r->payload_len, 4u);
}

struct Malformed {
  const char* name;
  std::function<void(Bytes&)> mutate;
  ipv4::Error expected;
};

class WireIpv4Malformed : public ::testing::TestWithParam<Malformed> {};

void refill(Bytes& d) {
  const size_t hlen = std::min<size_t>(size_t(d[0] & std::byte{0x0f}) * 4, d.size());
  if (hlen >= 20) {
    d[10] = d[11] = std::byte{0};
    const uint16_t c = wire::checksum::compute(std::span(d).first(hlen));
    d[10] = std::byte(c >> 8);
    d[11] = std::byte(c & 0xff);
  }
}

TEST_P(WireIpv4Malformed, IsRefusedWithItsReason) {
  Bytes d = known_datagram();
  GetParam().mutate(d);
  auto r = ipv4::Repr::parse(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), GetParam().expected) << ipv4::to_string(r.error());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, WireIpv4Malformed,
    ::testing::Values(
        Malformed{"Empty", [](Bytes& d) { d.clear(); }, ipv4::Error::Truncated},
        Malformed{"NineteenBytes", [](Bytes& d) { d.resize(19); }, ipv4::Error::Truncated},
        Malformed{"Version6",
                  [](Bytes& d) {
                    d[0] = std::byte{0x65};
                    refill(d);
                  },
                  ipv4::Error::BadVersion},
        Malformed{"IhlBelowFive", [](Bytes& d) { d[0] = std::byte{0x44}; },
                  ipv4::Error::BadHeaderLength},
        Malformed{"IhlBeyondPacket",
                  [](Bytes& d) {
                    d.resize(40);
                    d[0] = std::byte{0x4f};
                  },
                  ipv4::Error::BadHeaderLength},
        Malformed{"TotalBeyondData", [](Bytes& d) { d.resize(100); }, ipv4::Error::BadTotalLength},
        Malformed{"TotalShortOfData", [](Bytes& d) { d.resize(130); }, ipv4::Error::BadTotalLength},
        Malformed{"TotalBelowHeader",
                  [](Bytes& d) {
                    d.resize(20);
                    d[2] = std::byte{0};
                    d[3] = std::byte{16};
                    refill(d);
                  },
                  ipv4::Error::BadTotalLength},
        Malformed{"BadChecksum", [](Bytes& d) { d[8] = std::byte{63}; }, ipv4::Error::BadChecksum},
        Malformed{"DfWithMf",
                  [](Bytes& d) {
                    d[6] = std::byte{0x60};
                    refill(d);
                  },
                  ipv4::Error::BadFragment},
        Malformed{"FragmentPast64K",
                  [](Bytes& d) {
                    d[6] = std::byte{0x1f};
                    d[7] = std::byte{0xff};
                    refill(d);
                  },
                  ipv4::Error::BadFragment},
        Malformed{"BroadcastSource",
                  [](Bytes& d) {
                    for (int i = 12; i < 16; ++i)
                      d[i] = std::byte{0xff};
                    refill(d);
                  },
                  ipv4::Error::BadSourceAddress},
        Malformed{"MulticastSource",
                  [](Bytes& d) {
                    d[12] = std::byte{224};
                    refill(d);
                  },
                  ipv4::Error::BadSourceAddress}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(WireIpv4Address, ParsesAndPrints) {
  EXPECT_EQ(ipv4::Address::parse("10.0.0.2"), ipv4::Address(10, 0, 0, 2));
  EXPECT_EQ(ipv4::Address(255, 1, 0, 9).to_string(), "255.1.0.9");
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 "})
    EXPECT_FALSE(ipv4::Address::parse(bad)) << bad;
  auto c = ipv4::Cidr::parse("10.0.0.2/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->network(), ipv4::Address(10, 0, 0, 0));
  EXPECT_EQ(c->broadcast(), ipv4::Address(10, 0, 0, 255));
  EXPECT_TRUE(c->contains(ipv4::Address(10, 0, 0, 77)));
  EXPECT_FALSE(c->contains(ipv4::Address(10, 0, 1, 1)));
  for (const char* bad : {"10.0.0.2", "10.0.0.2/33", "10.0.0.2/", "10.0.0.2/2x"})
    EXPECT_FALSE(ipv4::Cidr::parse(bad)) << bad;
  EXPECT_EQ(ipv4::Cidr::parse("0.0.0.0/0")->netmask(), 0u);
}

TEST(WireIcmp, EchoRoundTripAndChecksum) {
  const Bytes m = echo_request(0x1234, 7, pattern(56));
  auto r = wire::icmp::Repr::parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, 8);
  EXPECT_EQ(r->ident(), 0x1234);
  EXPECT_EQ(r->seq(), 7);
  EXPECT_EQ(r->payload_len, 56u);
  Bytes bad = m;
  bad[20] ^= std::byte{1};
  EXPECT_EQ(wire::icmp::Repr::parse(bad).error(), wire::icmp::Error::BadChecksum);
  EXPECT_EQ(wire::icmp::Repr::parse(std::span(m).first(7)).error(), wire::icmp::Error::Truncated);
}

TEST(WireUdp, RoundTripChecksumAndZeroChecksum) {
  const ipv4::Address a(10, 0, 0, 1), b(10, 0, 0, 2);
  Bytes d = udp_datagram(a, 5000, b, 7, bytes_of("hello"));
  auto r = wire::udp::Repr::parse(d, a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->src_port, 5000);
  EXPECT_EQ(r->dst_port, 7);
  EXPECT_EQ(r->payload_len, 5u);
  EXPECT_TRUE(r->had_checksum);
  // The pseudo-header counts: the same bytes between other hosts fail.
  EXPECT_EQ(wire::udp::Repr::parse(d, a, ipv4::Address(10, 0, 0, 3)).error(),
            wire::udp::Error::BadChecksum);
  // RFC 768: zero means no checksum was computed, and is accepted.
  d[6] = d[7] = std::byte{0};
  auto z = wire::udp::Repr::parse(d, a, ipv4::Address(10, 0, 0, 3));
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE(z->had_checksum);
}

TEST(WireUdp, ComputedZeroIsSentAsAllOnes) {
  // Find a payload whose checksum computes to zero, and check it goes out as 0xffff (RFC 768).
  const ipv4::Address a(10, 0, 0, 1), b(10, 0, 0, 2);
  bool found = false;
  for (uint32_t v = 0; v < 65536 && !found; ++v) {
    const Bytes payload = {std::byte(v >> 8), std::byte(v & 0xff)};
    Bytes d = udp_datagram(a, 1, b, 2, payload);
    if (d[6] == std::byte{0xff} && d[7] == std::byte{0xff}) {
      found = true;
      EXPECT_TRUE(wire::udp::Repr::parse(d, a, b).ok());
    }
    EXPECT_FALSE(d[6] == std::byte{0} && d[7] == std::byte{0});
  }
  EXPECT_TRUE(found);
}

TEST(WireUdp, MalformedLengths) {
  const ipv4::Address a(10, 0, 0, 1), b(10, 0, 0, 2);
  Bytes d = udp_datagram(a, 1, b, 2, pattern(10));
  EXPECT_EQ(wire::udp::Repr::parse(std::span(d).first(7), a, b).error(),
            wire::udp::Error::Truncated);
  EXPECT_EQ(wire::udp::Repr::parse(std::span(d).first(17), a, b).error(),
            wire::udp::Error::BadLength);
  Bytes small = d;
  small[4] = std::byte{0};
  small[5] = std::byte{7};
  EXPECT_EQ(wire::udp::Repr::parse(small, a, b).error(), wire::udp::Error::BadLength);
}

}  // namespace
}  // namespace tundra::test
