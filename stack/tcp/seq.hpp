// Sequence numbers (RFC 9293 3.4): 32-bit values compared modulo 2^32, so that comparisons stay
// right across the wrap. Never compare raw uint32_t sequence numbers with `<`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tundra::tcp {

class Seq {
 public:
  constexpr Seq() = default;
  constexpr explicit Seq(uint32_t v) : v_(v) {}
  constexpr uint32_t value() const { return v_; }

  constexpr Seq operator+(uint32_t n) const { return Seq(v_ + n); }
  constexpr Seq operator-(uint32_t n) const { return Seq(v_ - n); }
  constexpr Seq operator+(size_t n) const { return Seq(v_ + static_cast<uint32_t>(n)); }
  constexpr Seq& operator+=(uint32_t n) {
    v_ += n;
    return *this;
  }
  constexpr Seq& operator+=(size_t n) {
    v_ += static_cast<uint32_t>(n);
    return *this;
  }
  // Signed distance from `o` to this: positive when this is after `o` (within 2^31).
  constexpr int32_t operator-(Seq o) const { return static_cast<int32_t>(v_ - o.v_); }

  constexpr bool operator==(const Seq&) const = default;
  constexpr bool operator<(Seq o) const { return (*this - o) < 0; }
  constexpr bool operator<=(Seq o) const { return (*this - o) <= 0; }
  constexpr bool operator>(Seq o) const { return (*this - o) > 0; }
  constexpr bool operator>=(Seq o) const { return (*this - o) >= 0; }

  std::string to_string() const { return std::to_string(v_); }

 private:
  uint32_t v_ = 0;
};

constexpr Seq max(Seq a, Seq b) {
  return a < b ? b : a;
}
constexpr Seq min(Seq a, Seq b) {
  return a < b ? a : b;
}

// a <= x < b, modulo 2^32 (RFC 9293 3.4's "<= … <" tests).
constexpr bool in_range(Seq a, Seq x, Seq b) {
  return a <= x && x < b;
}

// The bytes from a to b (b after a), as a count.
constexpr size_t distance(Seq a, Seq b) {
  return static_cast<size_t>(static_cast<uint32_t>(b.value() - a.value()));
}

}  // namespace tundra::tcp
