// The Internet checksum, summed eight bytes at a time in the machine's byte order with the carries
// folded at the end (RFC 1071 2.(B) and 2.(C), 4.1).
#include "stack/wire/checksum.hpp"

#include <bit>
#include <cstring>

namespace tundra::wire::checksum {

uint32_t accumulate(std::span<const std::byte> bytes, uint32_t sum) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  // RFC 1071 2.(B): the sum may be taken over words in either byte order and swapped once at the
  // end, so words are loaded as the machine has them; 2.(C): in words of any size, once folded.
  // Each 8-byte load adds its two 32-bit halves to 64-bit accumulators, which cannot overflow
  // for any datagram. Two accumulators let the additions overlap.
  uint64_t a = 0, b = 0;
  while (n >= 16) {
    uint64_t x, y;
    std::memcpy(&x, p, 8);
    std::memcpy(&y, p + 8, 8);
    a += (x & 0xffffffffu) + (x >> 32);
    b += (y & 0xffffffffu) + (y >> 32);
    p += 16;
    n -= 16;
  }
  a += b;
  if (n >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    a += (x & 0xffffffffu) + (x >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    a += x;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t x;
    std::memcpy(&x, p, 2);
    a += x;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint16_t x = 0;  // a trailing byte is padded with zero after it (RFC 1071 4.1)
    std::memcpy(&x, p, 1);
    a += x;
  }
  // Fold to 16 bits, then into network byte order.
  while (a >> 16)
    a = (a & 0xffff) + (a >> 16);
  auto folded = static_cast<uint16_t>(a);
  if constexpr (std::endian::native == std::endian::little)
    folded = static_cast<uint16_t>(folded << 8 | folded >> 8);
  // The caller's running sum (already in network order) joins with end-around carries later.
  const uint64_t total = uint64_t{sum} + folded;
  return static_cast<uint32_t>((total & 0xffffffffu) + (total >> 32));
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
