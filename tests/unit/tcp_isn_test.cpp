// Initial sequence numbers (stack/tcp/isn) and the SipHash-2-4 behind them (stack/tcp/siphash):
// the reference vectors, and RFC 6528's clock-plus-keyed-hash behaviour.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "stack/tcp/isn.hpp"
#include "stack/tcp/siphash.hpp"

namespace tundra::tcp {
namespace {

using wire::ipv4::Address;

// The key of the SipHash paper's test vectors: bytes 00 01 02 ... 0f.
std::array<uint8_t, 16> counting_key() {
  std::array<uint8_t, 16> k{};
  std::iota(k.begin(), k.end(), uint8_t{0});
  return k;
}

// Messages 00 01 02 ... of length n, as in the reference vectors.
std::vector<std::byte> counting_message(size_t n) {
  std::vector<std::byte> m(n);
  for (size_t i = 0; i < n; ++i)
    m[i] = static_cast<std::byte>(i);
  return m;
}

TEST(SipHash24, MatchesTheReferenceVectors) {
  // The 64-bit outputs, read little-endian from the reference byte strings (for length 15 that is
  // the paper's worked example, a129ca6149be45e5). Lengths cover the empty message, each partial
  // last word, exactly one and two whole words, and the longest vector.
  const struct {
    size_t len;
    uint64_t hash;
  } vectors[] = {
      {0, 0x726fdb47dd0e0e31},  {1, 0x74f839c593dc67fd},  {2, 0x0d6c8009d9a94f5a},
      {7, 0xab0200f58b01d137},  {8, 0x93f5f5799a932462},  {9, 0x9e0082df0ba9e4b0},
      {15, 0xa129ca6149be45e5}, {16, 0x3f2acc7f57c29bdb}, {63, 0x958a324ceb064572},
  };
  const SipHash24 h(counting_key());
  for (const auto& v : vectors)
    EXPECT_EQ(h(counting_message(v.len)), v.hash) << "length " << v.len;
}

TEST(SipHash24, DependsOnEveryKeyByte) {
  const auto msg = counting_message(12);
  const uint64_t base = SipHash24(counting_key())(msg);
  for (size_t i = 0; i < 16; ++i) {
    auto k = counting_key();
    k[i] ^= 0x80;
    EXPECT_NE(SipHash24(k)(msg), base) << "key byte " << i;
  }
}

TEST(SipHash24, TrailingZeroBytesChangeTheHash) {
  // The length byte in the last word keeps "ab" and "ab\0" apart.
  const SipHash24 h(counting_key());
  const std::vector<std::byte> a{std::byte{1}, std::byte{2}};
  const std::vector<std::byte> b{std::byte{1}, std::byte{2}, std::byte{0}};
  EXPECT_NE(h(a), h(b));
}

const Address kLocal(10, 0, 0, 2);
const Address kRemote(192, 168, 1, 10);
const Instant kT0 = Instant::from_millis(123'456);

std::array<uint8_t, 16> secret(uint8_t seed) {
  std::array<uint8_t, 16> s{};
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return s;
}

TEST(TcpIsn, IsTheFourMicrosecondClockPlusTheKeyedHashOfTheTuple) {
  const IsnGenerator gen(secret(1));
  // At time zero M is zero, leaving F: SipHash of the tuple in wire order, low 32 bits.
  const std::vector<std::byte> id{std::byte{10},  std::byte{0},    std::byte{0},
                                  std::byte{2},   std::byte{0x1f}, std::byte{0x90},
                                  std::byte{192}, std::byte{168},  std::byte{1},
                                  std::byte{10},  std::byte{0xc3}, std::byte{0x50}};
  const auto f = static_cast<uint32_t>(SipHash24(secret(1))(id));
  EXPECT_EQ(gen.generate(kLocal, 8080, kRemote, 50000, Instant()), Seq(f));
  EXPECT_EQ(gen.generate(kLocal, 8080, kRemote, 50000, Instant::from_micros(4'000)), Seq(f + 1000));
}

TEST(TcpIsn, SameTupleAndTimeGiveTheSameIsn) {
  const IsnGenerator a(secret(1));
  const IsnGenerator b(secret(1));
  EXPECT_EQ(a.generate(kLocal, 80, kRemote, 40000, kT0),
            a.generate(kLocal, 80, kRemote, 40000, kT0));
  EXPECT_EQ(a.generate(kLocal, 80, kRemote, 40000, kT0),
            b.generate(kLocal, 80, kRemote, 40000, kT0));
}

TEST(TcpIsn, EveryPartOfTheTupleChangesIt) {
  const IsnGenerator gen(secret(1));
  const Seq base = gen.generate(kLocal, 80, kRemote, 40000, kT0);
  EXPECT_NE(gen.generate(Address(10, 0, 0, 3), 80, kRemote, 40000, kT0), base);
  EXPECT_NE(gen.generate(kLocal, 81, kRemote, 40000, kT0), base);
  EXPECT_NE(gen.generate(kLocal, 80, Address(192, 168, 1, 11), 40000, kT0), base);
  EXPECT_NE(gen.generate(kLocal, 80, kRemote, 40001, kT0), base);
  // The tuple is ordered: the other end's view of the connection is a different one.
  EXPECT_NE(gen.generate(kRemote, 40000, kLocal, 80, kT0), base);
}

TEST(TcpIsn, AdvancesWithTheFourMicrosecondClock) {
  const IsnGenerator gen(secret(1));
  const Seq t0 = gen.generate(kLocal, 80, kRemote, 40000, kT0);
  const auto at = [&](Duration d) { return gen.generate(kLocal, 80, kRemote, 40000, kT0 + d); };
  EXPECT_EQ(at(Duration(3)) - t0, 0);  // kT0 is on a tick
  EXPECT_EQ(at(Duration(4)) - t0, 1);
  EXPECT_EQ(at(std::chrono::seconds(1)) - t0, 250'000);
  EXPECT_EQ(at(std::chrono::seconds(60)) - t0, 15'000'000);
  // One full turn of the 32-bit space takes 2^32 ticks, about 4.77 hours.
  EXPECT_EQ(at(Duration(int64_t{4} << 32)), t0);
}

TEST(TcpIsn, ClockKeepsTickingAcrossANegativeOrigin) {
  const IsnGenerator gen(secret(1));
  const auto at = [&](int64_t us) {
    return gen.generate(kLocal, 80, kRemote, 40000, Instant::from_micros(us));
  };
  EXPECT_EQ(at(0) - at(-4), 1);
  EXPECT_EQ(at(0) - at(-1), 1);
  EXPECT_EQ(at(4) - at(-4'000'000), 1'000'001);
}

TEST(TcpIsn, DifferentSecretsGiveDifferentIsns) {
  const IsnGenerator a(secret(1));
  const IsnGenerator b(secret(2));
  EXPECT_NE(a.generate(kLocal, 80, kRemote, 40000, kT0),
            b.generate(kLocal, 80, kRemote, 40000, kT0));
}

}  // namespace
}  // namespace tundra::tcp
