// The real clock, used by the apps' event loop only.
#include "stack/base/time.hpp"

#include <fmt/format.h>

namespace tundra {

std::string Instant::to_string() const {
  const int64_t us = us_ < 0 ? -us_ : us_;
  return fmt::format("{}{}.{:06}s", us_ < 0 ? "-" : "", us / 1'000'000, us % 1'000'000);
}

namespace {
int64_t steady_us() {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t system_us() {
  return std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

SteadyClock::SteadyClock() : wall_offset_us_(system_us() - steady_us()) {}

Instant SteadyClock::now() const {
  return Instant::from_micros(steady_us());
}

}  // namespace tundra
