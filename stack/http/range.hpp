// Byte ranges (RFC 9110 14): the Range request header against a representation's length, and the
// Content-Range value of the answer. Used by the HTTP server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tundra::http {

// An inclusive byte range [first, last], as in "bytes=first-last".
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

struct RangeRequest {
  enum class Kind {
    ignore,         // no usable Range: answer 200 with the whole representation
    single,         // one satisfiable range: 206 with `range`
    multiple,       // several ranges, at least one satisfiable (we answer 200, RFC 9110 14.2)
    unsatisfiable,  // none satisfiable: 416 with "Content-Range: bytes */length"
  };
  Kind kind = Kind::ignore;
  ByteRange range;  // for single
};

// RFC 9110 14.1.1 / 14.2: parses a Range field value for a representation of `length` bytes.
// A value that does not parse, or has a unit other than bytes, is ignored (RFC 9110 14.2: "a
// server MAY ignore the Range header field"); a last-pos past the end is clipped (14.1.2).
RangeRequest parse_range(std::string_view value, uint64_t length);

// RFC 9110 14.4: "bytes first-last/length".
std::string content_range(ByteRange r, uint64_t length);
// RFC 9110 14.4: "bytes */length", sent with 416.
std::string unsatisfied_range(uint64_t length);

}  // namespace tundra::http
