// Progress line formatting and redraw throttling for tundra-fetch.
#include "apps/fetch/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tundra::fetch {

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_eta(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "--:--";
  const auto s = static_cast<uint64_t>(std::llround(*seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string format_progress(const ProgressSample& s, size_t bar_width) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.bytes) / s.seconds : 0;
  const std::string rate_text = format_size(static_cast<uint64_t>(rate)) + "/s";
  if (!s.total) return fmt::format("{:>10}  {}", format_size(s.bytes), rate_text);
  const uint64_t total = *s.total;
  const uint64_t done = std::min(s.bytes, total);
  // An empty body is complete; otherwise floor, so 100% means every byte is in.
  const uint64_t percent = total == 0 ? 100 : done * 100 / total;
  const size_t filled = total == 0 ? bar_width : static_cast<size_t>(done * bar_width / total);
  std::optional<double> eta;
  if (rate > 0) eta = static_cast<double>(total - done) / rate;
  return fmt::format("{:>10} / {}  {:>3}% [{}{}]  {}  ETA {}", format_size(s.bytes),
                     format_size(total), percent, std::string(filled, '#'),
                     std::string(bar_width - filled, '-'), rate_text, format_eta(eta));
}

bool want_progress(bool stderr_is_tty, bool silent, std::optional<uint64_t> total) {
  return stderr_is_tty && !silent && (!total || *total >= kProgressMinBytes);
}

bool ProgressThrottle::due(Clock::time_point now) {
  if (last_ && now - *last_ < interval_) return false;
  last_ = now;
  return true;
}

}  // namespace tundra::fetch
