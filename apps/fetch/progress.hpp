// The progress line tundra-fetch redraws on stderr (a terminal) during a large download: bytes,
// percent and bar when the length is known, rate and ETA. Formatting is pure so tests pin it; the
// throttle keeps redraws to about ten a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace tundra::fetch {

// Bodies at least this large, or of unknown length, get a progress line.
constexpr uint64_t kProgressMinBytes = uint64_t{1} << 20;

struct ProgressSample {
  uint64_t bytes = 0;
  std::optional<uint64_t> total;  // Content-Length, when the response had one
  double seconds = 0;             // since the body began
};

// "512 B", "1.5 KiB", "20.0 MiB", "3.2 GiB" (powers of 1024).
std::string format_size(uint64_t bytes);
// "0:07", "12:34", "1:02:03"; "--:--" when unknown (no rate yet).
std::string format_eta(std::optional<double> seconds);

// Known length: " 10.0 MiB / 20.0 MiB  50% [##########----------]  5.0 MiB/s  ETA 0:02"
// Unknown length: " 10.0 MiB  5.0 MiB/s"
std::string format_progress(const ProgressSample& s, size_t bar_width = 20);

// Whether to draw at all: stderr is a terminal, -s was not given, and the body is large or of
// unknown length.
bool want_progress(bool stderr_is_tty, bool silent, std::optional<uint64_t> total);

// Lets through at most one redraw per interval (the first at once).
class ProgressThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressThrottle(Clock::duration interval = std::chrono::milliseconds(100))
      : interval_(interval) {}
  bool due(Clock::time_point now);

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> last_;
};

}  // namespace tundra::fetch
