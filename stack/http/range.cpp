// Range header parsing (RFC 9110 14.1.1: ranges-specifier = range-unit "=" range-set).
#include "stack/http/range.hpp"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "stack/http/chars.hpp"

namespace tundra::http {

namespace {

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// One range-spec; nullopt when it does not parse. `satisfiable` is false for a well-formed spec
// that selects no byte of the representation.
std::optional<ByteRange> range_spec(std::string_view spec, uint64_t length, bool& satisfiable) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  satisfiable = false;
  if (a.empty()) {
    // RFC 9110 14.1.2: suffix-range = "-" suffix-length; the last N bytes (all if N > length).
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || length == 0) return ByteRange{};
    satisfiable = true;
    return ByteRange{length - std::min(*n, length), length - 1};
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  uint64_t last = std::numeric_limits<uint64_t>::max();
  if (!b.empty()) {
    auto l = number(b);
    // RFC 9110 14.1.1: a range whose last-pos is below its first-pos is invalid.
    if (!l || *l < *first) return std::nullopt;
    last = *l;
  }
  // RFC 9110 14.1.2: satisfiable when first-pos is below the length; last-pos is clipped.
  if (*first >= length) return ByteRange{};
  satisfiable = true;
  return ByteRange{*first, std::min(last, length - 1)};
}

}  // namespace

RangeRequest parse_range(std::string_view value, uint64_t length) {
  value = trim_ows(value);
  // RFC 9110 14.1: range units are case-insensitive.
  if (value.size() < 6 || !iequals(value.substr(0, 6), "bytes=")) return {};
  std::string_view set = value.substr(6);
  size_t specs = 0, good = 0;
  ByteRange only;
  while (true) {
    const size_t comma = set.find(',');
    std::string_view spec = trim_ows(set.substr(0, comma));
    if (!spec.empty()) {  // RFC 9110 5.6.1: empty list elements are ignored
      bool satisfiable = false;
      auto r = range_spec(spec, length, satisfiable);
      if (!r) return {};  // one bad spec makes the whole field invalid: ignore it
      ++specs;
      if (satisfiable) {
        ++good;
        only = *r;
      }
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs == 0) return {};
  if (good == 0) return {RangeRequest::Kind::unsatisfiable, {}};
  if (specs > 1) return {RangeRequest::Kind::multiple, {}};
  return {RangeRequest::Kind::single, only};
}

std::string content_range(ByteRange r, uint64_t length) {
  return fmt::format("bytes {}-{}/{}", r.first, r.last, length);
}

std::string unsatisfied_range(uint64_t length) {
  return fmt::format("bytes */{}", length);
}

}  // namespace tundra::http
