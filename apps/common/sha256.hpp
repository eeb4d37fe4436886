// SHA-256 (FIPS 180-4, section 6.2), incremental: programs and tests hash the bytes they send and
// receive so that two ends of a transfer can compare a short digest instead of the data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tundra::app {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  // Adds bytes to the message; any split of a message gives the same digest.
  void update(std::span<const std::byte> data);
  // Pads, finishes and returns the digest; the object starts a new, empty message afterwards.
  Digest digest();
  // Lower-case hexadecimal, as sha256sum and Python's hexdigest() print it.
  static std::string hex(const Digest& d);

 private:
  void reset();
  // FIPS 180-4 6.2.2: one 512-bit block into the hash value H.
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> block_;
  size_t used_ = 0;      // bytes waiting in block_
  uint64_t length_ = 0;  // message length in bytes so far
};

}  // namespace tundra::app
