// SipHash-2-4, written from the algorithm's description in the SipHash paper; used by the ISN
// generator (stack/tcp/isn) as a keyed pseudorandom function.
#include "stack/tcp/siphash.hpp"

#include <bit>

namespace tundra::tcp {

namespace {

// Two compression rounds per message word, four finalization rounds: the "2-4" in the name.
constexpr int kCompressionRounds = 2;
constexpr int kFinalizationRounds = 4;

// Bytes as a little-endian integer, whatever the host's byte order.
uint64_t load_le(std::span<const std::byte> bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    v |= uint64_t{std::to_integer<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

struct State {
  uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  void compress(uint64_t m) {
    v3 ^= m;
    for (int i = 0; i < kCompressionRounds; ++i)
      round();
    v0 ^= m;
  }
};

}  // namespace

SipHash24::SipHash24(std::array<uint8_t, 16> key) {
  const auto bytes = std::as_bytes(std::span(key));
  k0_ = load_le(bytes.first<8>());
  k1_ = load_le(bytes.last<8>());
}

uint64_t SipHash24::operator()(std::span<const std::byte> data) const {
  // Initialization: the key xored with the ASCII of "somepseudorandomlygeneratedbytes".
  State s{k0_ ^ 0x736f6d6570736575, k1_ ^ 0x646f72616e646f6d, k0_ ^ 0x6c7967656e657261,
          k1_ ^ 0x7465646279746573};

  // Compression: each whole 8-byte word in turn, then the 0-7 remaining bytes with the message
  // length (mod 256) in the top byte, so messages differing only in trailing zeros hash apart.
  const size_t whole = data.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8)
    s.compress(load_le(data.subspan(i, 8)));
  s.compress(load_le(data.subspan(whole)) | uint64_t{data.size() & 0xff} << 56);

  // Finalization.
  s.v2 ^= 0xff;
  for (int i = 0; i < kFinalizationRounds; ++i)
    s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace tundra::tcp
