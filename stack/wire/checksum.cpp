// The Internet checksum, summed 32 bits at a time with the carries folded at the end (RFC
// 1071 4.1).
#include "stack/wire/checksum.hpp"

#include <cstring>

namespace tundra::wire::checksum {

uint32_t accumulate(std::span<const std::byte> bytes, uint32_t sum) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  // Sum in a 64-bit accumulator so carries never overflow, 4 bytes at a time (RFC 1071 2.(C):
  // the sum is independent of the word size it is computed in, once folded).
  uint64_t acc = sum;
  while (n >= 4) {
    acc += uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    acc += uint32_t{p[0]} << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n == 1) acc += uint32_t{p[0]} << 8;
  // Fold the 64-bit sum back to 32 bits (end-around carry).
  while (acc >> 32)
    acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t fold(uint32_t sum) {
  uint32_t s = (sum & 0xffff) + (sum >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

uint32_t pseudo_header(ipv4::Address src, ipv4::Address dst, uint8_t protocol, uint16_t length) {
  uint64_t s = (src.value() >> 16) + (src.value() & 0xffff) + (dst.value() >> 16) +
               (dst.value() & 0xffff) + protocol + length;
  while (s >> 32)
    s = (s & 0xffffffffu) + (s >> 32);
  return static_cast<uint32_t>(s);
}

}  // namespace tundra::wire::checksum
