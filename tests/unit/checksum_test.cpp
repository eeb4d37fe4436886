// RFC 1071 checksum vectors: the worked example of RFC 1071 3, odd lengths, split sums, and the
// pseudo-header form.
#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/checksum.hpp"

namespace tundra::wire {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v)
    out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(Checksum, Rfc1071WorkedExample) {
  // RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before complement).
  const auto b = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(checksum::fold(checksum::accumulate(b)), 0xddf2);
  EXPECT_EQ(checksum::compute(b), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, OddLengthPadsWithZero) {
  const auto odd = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4});
  const auto padded = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0x00});
  EXPECT_EQ(checksum::compute(odd), checksum::compute(padded));
  EXPECT_EQ(checksum::compute(bytes({0xab})), static_cast<uint16_t>(~0xab00));
}

TEST(Checksum, EmptyIsAllOnes) {
  EXPECT_EQ(checksum::compute({}), 0xffff);
}

TEST(Checksum, SplitSumsEqualWholeSum) {
  std::vector<std::byte> b;
  for (int i = 0; i < 1001; ++i)
    b.push_back(static_cast<std::byte>(i * 37 + 11));
  const uint16_t whole = checksum::compute(b);
  for (size_t cut = 0; cut <= b.size(); cut += 2) {
    const auto s1 = checksum::accumulate(std::span(b).first(cut));
    const auto s2 = checksum::accumulate(std::span(b).subspan(cut), s1);
    EXPECT_EQ(static_cast<uint16_t>(~checksum::fold(s2)), whole) << "cut at " << cut;
  }
}

TEST(Checksum, CarriesFoldAround) {
  std::vector<std::byte> b(4096, std::byte{0xff});
  EXPECT_EQ(checksum::fold(checksum::accumulate(b)), 0xffff);
  b.back() = std::byte{0xfe};
  EXPECT_EQ(checksum::compute(b), 0x0001);
}

TEST(Checksum, VerifyAcceptsItsOwnChecksum) {
  // A real IPv4 header (RFC 791 example shape) with its checksum filled in verifies.
  auto h = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  const uint16_t c = checksum::compute(h);
  EXPECT_EQ(c, 0xb861);  // the well-known value for this header
  h[10] = static_cast<std::byte>(c >> 8);
  h[11] = static_cast<std::byte>(c & 0xff);
  EXPECT_TRUE(checksum::verify(h));
  h[3] = std::byte{0x74};
  EXPECT_FALSE(checksum::verify(h));
}

TEST(Checksum, VerifyAcceptsBothZeros) {
  // Ones' complement has two zeros (RFC 1624 3). When the complemented sum is 0x0000, Linux writes
  // 0xffff in the field instead (its CSUM_MANGLED_0, for TCP as for UDP); both sum to all ones.
  auto b = bytes({0x12, 0x34, 0xed, 0xcb, 0x00, 0x00});
  EXPECT_EQ(checksum::compute(b), 0x0000);
  EXPECT_TRUE(checksum::verify(b));
  b[4] = b[5] = std::byte{0xff};
  EXPECT_TRUE(checksum::verify(b));
  b[1] = std::byte{0x35};
  EXPECT_FALSE(checksum::verify(b));
}

TEST(Checksum, PseudoHeader) {
  const ipv4::Address src(10, 0, 0, 1), dst(10, 0, 0, 2);
  // 0a00 + 0001 + 0a00 + 0002 + 0011 + 0010 = 0x1424
  EXPECT_EQ(checksum::fold(checksum::pseudo_header(src, dst, 17, 16)), 0x1424);
}

// The word-at-a-time sum against RFC 1071 4.1's definition, 16 bits at a time in network order,
// for every length up to 300 at every alignment, with a running sum carried in.
TEST(Checksum, WideSumEqualsTheDefinitionForEveryLengthAndAlignment) {
  std::vector<std::byte> data(320);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::byte>(x >> 24);
  }
  data[5] = data[6] = std::byte{0xff};  // runs of ones exercise the carries
  auto reference = [](std::span<const std::byte> s, uint32_t sum) {
    uint64_t acc = sum;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
      acc += static_cast<uint32_t>(s[i]) << 8 | static_cast<uint32_t>(s[i + 1]);
    if (s.size() % 2) acc += static_cast<uint32_t>(s.back()) << 8;
    return checksum::fold(static_cast<uint32_t>((acc & 0xffffffffu) + (acc >> 32)));
  };
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      const std::span<const std::byte> s(data.data() + offset, len);
      const uint32_t seed = static_cast<uint32_t>(len * 0x01010101u);
      ASSERT_EQ(checksum::fold(checksum::accumulate(s, seed)), reference(s, seed))
          << "offset " << offset << ", length " << len;
    }
  }
}

}  // namespace
}  // namespace tundra::wire
