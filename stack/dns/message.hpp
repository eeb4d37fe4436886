// DNS messages (RFC 1035 4.1) as plain values: parse from a datagram, emit to one, build a query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "stack/dns/error.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::dns {

// RFC 1035 3.2.2 and 3.2.4 (and RFC 3596 for AAAA).
namespace type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
}  // namespace type
inline constexpr uint16_t kClassIn = 1;

// RFC 1035 4.1.1 rcodes.
namespace rcode {
inline constexpr uint8_t kNoError = 0;
inline constexpr uint8_t kFormErr = 1;
inline constexpr uint8_t kServFail = 2;
inline constexpr uint8_t kNxDomain = 3;
inline constexpr uint8_t kNotImp = 4;
inline constexpr uint8_t kRefused = 5;
}  // namespace rcode

inline constexpr size_t kHeaderLen = 12;

// RFC 1035 4.1.1. The four counts are not here: they are the sizes of Message's vectors.
struct Header {
  uint16_t id = 0;
  bool qr = false;     // a response
  uint8_t opcode = 0;  // 4 bits; 0 is a standard query
  bool aa = false;     // authoritative answer
  bool tc = false;     // truncated: retry over TCP
  bool rd = false;     // recursion desired
  bool ra = false;     // recursion available
  uint8_t z = 0;       // 3 bits, zero in RFC 1035 (RFC 4035 uses two as AD and CD); kept as is
  uint8_t rcode = 0;   // 4 bits
  bool operator==(const Header&) const = default;
};

// RFC 1035 4.1.2.
struct Question {
  std::string name;  // text form, see name.hpp
  uint16_t type = type::kA;
  uint16_t klass = kClassIn;
  bool operator==(const Question&) const = default;
};

// RFC 1035 4.1.3. rdata holds the bytes as received (a CNAME's may hold compression pointers into
// the message). On emit, `a` is written when set, else `cname` for a CNAME, else `rdata`.
struct Record {
  std::string name;
  uint16_t type = type::kA;
  uint16_t klass = kClassIn;
  uint32_t ttl = 0;
  std::optional<wire::ipv4::Address> a;  // type A, class IN
  std::string cname;                     // type CNAME: the canonical name, decompressed
  std::vector<std::byte> rdata;
  bool operator==(const Record&) const = default;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answers, authority, additional;
  bool operator==(const Message&) const = default;

  // Checks everything once; trailing bytes after the last record are ignored.
  static Result<Message, DnsError> parse(std::span<const std::byte> bytes);
  // Uncompressed. Empty when a name cannot be encoded (check names with encode_name first) or a
  // count or rdata does not fit its 16-bit field.
  std::vector<std::byte> emit() const;

  // A standard query with recursion desired for one name (RFC 1035 4.1.1, 7.1). Fails when the
  // name cannot be encoded.
  static Result<Message, DnsError> query(uint16_t id, std::string_view name,
                                         uint16_t qtype = type::kA);
};

}  // namespace tundra::dns
