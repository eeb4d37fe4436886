// The Internet checksum (RFC 1071): a one's-complement sum of 16-bit words, and the pseudo-header
// sum that UDP (RFC 768) and TCP (RFC 9293 3.1) fold into theirs.
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/ipv4_address.hpp"

namespace tundra::wire::checksum {

// Adds `bytes` as big-endian 16-bit words to a running 32-bit sum (RFC 1071 4.1). A trailing odd
// byte is padded with zero, so only the last piece of a message may have an odd length.
uint32_t accumulate(std::span<const std::byte> bytes, uint32_t sum = 0);

// Folds the carries of a running sum into 16 bits (not complemented).
uint16_t fold(uint32_t sum);

// The checksum field value for `bytes`: the complement of the folded sum.
inline uint16_t compute(std::span<const std::byte> bytes) {
  return static_cast<uint16_t>(~fold(accumulate(bytes)));
}

// True when bytes that include their checksum field sum to all ones (RFC 1071 1.(4)).
inline bool verify(std::span<const std::byte> bytes, uint32_t sum = 0) {
  return fold(accumulate(bytes, sum)) == 0xffff;
}

// The running sum of the IPv4 pseudo-header: source, destination, zero, protocol, length.
uint32_t pseudo_header(ipv4::Address src, ipv4::Address dst, uint8_t protocol, uint16_t length);

}  // namespace tundra::wire::checksum
