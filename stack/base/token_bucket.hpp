// A token bucket on the stack's clock: `rate` tokens a second, at most `burst` saved up. Rate
// limits for ICMP errors (RFC 1122 3.2.2) and, later, TCP challenge ACKs (RFC 5961 7).
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/base/time.hpp"

namespace tundra {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

  // Takes one token if there is one at `now`.
  bool take(Instant now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  void refill(Instant now) {
    if (now <= last_) return;
    const double seconds = static_cast<double>((now - last_).count()) / 1e6;
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
  }

  double rate_, burst_, tokens_;
  Instant last_{};
};

}  // namespace tundra
