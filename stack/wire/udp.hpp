// UDP header (RFC 768): field offsets and a Repr value with parse / emit.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "stack/base/result.hpp"
#include "stack/wire/field.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::wire::udp {

constexpr size_t kHeaderLen = 8;

enum class Error {
  Truncated,    // fewer than 8 bytes
  BadLength,    // the length field is below 8 or does not match the bytes received
  BadChecksum,  // a non-zero checksum that does not verify with the pseudo-header
};
std::string_view to_string(Error e);

namespace field {
constexpr size_t kSrcPort = 0, kDstPort = 2, kLength = 4, kChecksum = 6;
}

struct Repr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  size_t payload_len = 0;
  bool had_checksum = true;  // false when the sender left the checksum zero (RFC 768)

  // Parses a whole datagram carried from `src` to `dst`, verifying its checksum.
  static Result<Repr, Error> parse(std::span<const std::byte> datagram, ipv4::Address src,
                                   ipv4::Address dst);
  size_t buffer_len() const { return kHeaderLen + payload_len; }
  // Writes the header into the front of `datagram` (header room followed by the payload already in
  // place) and the checksum over header, payload and pseudo-header.
  void emit(std::span<std::byte> datagram, ipv4::Address src, ipv4::Address dst) const;
};

}  // namespace tundra::wire::udp
