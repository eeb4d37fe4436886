// ICMP messages (RFC 792): a view over the 8-byte header and a Repr value with parse / emit.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "stack/base/result.hpp"
#include "stack/wire/field.hpp"

namespace tundra::wire::icmp {

constexpr size_t kHeaderLen = 8;

// Message types tundra sends or understands (RFC 792).
enum class Type : uint8_t {
  EchoReply = 0,
  DestUnreachable = 3,
  EchoRequest = 8,
  TimeExceeded = 11,
  ParameterProblem = 12,
};

// Destination Unreachable codes (RFC 792; RFC 1122 3.2.2.1).
namespace unreachable {
constexpr uint8_t kNet = 0, kHost = 1, kProtocol = 2, kPort = 3, kFragNeeded = 4;
}
// Time Exceeded codes (RFC 792).
namespace time_exceeded {
constexpr uint8_t kTtl = 0, kReassembly = 1;
}

enum class Error {
  Truncated,    // shorter than the 8-byte header
  BadChecksum,  // the checksum over the whole message does not verify
};
std::string_view to_string(Error e);

namespace field {
constexpr size_t kType = 0, kCode = 1, kChecksum = 2, kIdent = 4, kSeq = 6, kRest = 4;
}

struct Repr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;  // the "rest of header" word: echo identifier and sequence, or unused
  size_t payload_len = 0;

  uint16_t ident() const { return static_cast<uint16_t>(rest >> 16); }
  uint16_t seq() const { return static_cast<uint16_t>(rest & 0xffff); }
  static uint32_t echo_rest(uint16_t ident, uint16_t seq) { return uint32_t{ident} << 16 | seq; }

  // Parses and checks a whole message (header and data).
  static Result<Repr, Error> parse(std::span<const std::byte> message);
  size_t buffer_len() const { return kHeaderLen + payload_len; }
  // Writes the header into the front of `message` (header room followed by the payload_len data
  // bytes already in place) and the checksum over all of it.
  void emit(std::span<std::byte> message) const;
};

}  // namespace tundra::wire::icmp
