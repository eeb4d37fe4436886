// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit
// pseudorandom function over short messages. The ISN generator uses it as RFC 6528's F().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tundra::tcp {

class SipHash24 {
 public:
  // The 128-bit key, as the paper's k0 || k1 in little-endian byte order.
  explicit SipHash24(std::array<uint8_t, 16> key);

  uint64_t operator()(std::span<const std::byte> data) const;

 private:
  uint64_t k0_;
  uint64_t k1_;
};

}  // namespace tundra::tcp
