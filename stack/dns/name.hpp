// Domain names (RFC 1035 2.3, 3.1, 4.1.4): text to wire, wire to text with compression, comparison.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "stack/dns/error.hpp"

namespace tundra::dns {

inline constexpr size_t kMaxLabel = 63;      // RFC 1035 2.3.4
inline constexpr size_t kMaxName = 255;      // RFC 1035 2.3.4, octets on the wire
inline constexpr size_t kMaxPointers = 127;  // more than one per possible label is a loop

// Text form: labels joined by '.', no trailing dot, the root is "". Inside a label '.' and '\' are
// written "\." and "\\", and octets outside '!'..'~' as "\DDD" (RFC 1035 5.1).

// Wire form of a name, uncompressed. Accepts one trailing '.', and "." for the root.
Result<std::vector<std::byte>, DnsError> encode_name(std::string_view text);

struct DecodedName {
  std::string text;
  size_t end;  // offset just past the name where it started (past the first pointer, if any)
};

// Reads the name at msg[offset], following compression pointers (RFC 1035 4.1.4). A pointer must
// point strictly before the labels being read, so every jump goes further back and a loop is
// impossible; the jump count is bounded too. `truncated` is the error for running off the end.
Result<DecodedName, DnsError> decode_name(std::span<const std::byte> msg, size_t offset,
                                          DnsError truncated);

// RFC 1035 2.3.3: names compare without regard to ASCII case; a trailing '.' is ignored.
bool names_equal(std::string_view a, std::string_view b);

}  // namespace tundra::dns
