// LogLimiter: lets a recurring warning through at most once per interval and counts what it held
// back. Links use it for errors met on the hot path, where one line per packet would flood the log.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "stack/base/time.hpp"

namespace tundra::netif {

class LogLimiter {
 public:
  explicit LogLimiter(Duration interval = std::chrono::seconds(10)) : interval_(interval) {}

  // True when a message may be logged at `now`; otherwise the message is counted as held back.
  bool allow(Instant now) {
    if (last_ && now - *last_ < interval_) {
      ++suppressed_;
      return false;
    }
    last_ = now;
    return true;
  }

  // How many messages were held back since the last one let through; starts counting again.
  uint64_t take_suppressed() { return std::exchange(suppressed_, 0); }

 private:
  Duration interval_;
  std::optional<Instant> last_;
  uint64_t suppressed_ = 0;
};

}  // namespace tundra::netif
