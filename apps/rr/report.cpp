// tundra-rr's output lines, from numbers the client measured.
#include "apps/rr/report.hpp"

#include <fmt/format.h>

#include "apps/common/errors.hpp"
#include "apps/rr/stats.hpp"

namespace tundra::rr {

namespace {

std::string plural(uint64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string kv_ms(std::string_view key, const std::optional<LatencyStats>& s, double value) {
  return s ? fmt::format(" {}={:.3f}", key, value) : fmt::format(" {}=nan", key);
}

}  // namespace

std::string format_ms(double ms) {
  return ms < 10 ? fmt::format("{:.2f}", ms) : fmt::format("{:.1f}", ms);
}

std::string request_line(uint32_t request, uint32_t conn, std::string_view local, double ms) {
  return fmt::format("request {} conn {} local {} latency {} ms", request, conn, local,
                     format_ms(ms));
}

std::string summary_line(const Totals& t) {
  const size_t done = t.latencies_ms.size();
  const std::string requests = done == t.planned
                                   ? plural(done, "request")
                                   : fmt::format("{} of {}", done, plural(t.planned, "request"));
  std::string line =
      fmt::format("{} on {} in {:.3f} s", requests, plural(t.connections, "connection"), t.seconds);
  if (const auto s = latency_stats(t.latencies_ms))
    line +=
        fmt::format(": latency min {} ms, median {} ms, p90 {} ms, max {} ms", format_ms(s->min),
                    format_ms(s->median), format_ms(s->p90), format_ms(s->max));
  else
    line += ": no latency measured";
  if (t.failed) line += fmt::format(", {} failed", t.failed);
  return line;
}

std::string failure_message(const Failure& f, std::string_view peer) {
  if (f.call == "socket") return fmt::format("socket: {}", app::describe_errno(f.err));
  if (f.call == "connect") {
    std::string line = fmt::format("connect {}: {}", peer, app::describe_errno(f.err));
    if (f.connections > 0) line += " after " + plural(f.connections, "connection");
    return line;
  }
  const std::string what =
      f.eof ? fmt::format("the peer closed the connection after {} of {} response bytes", f.got,
                          f.expected)
            : app::describe_errno(f.err);
  return fmt::format("{} {}: {} in request {} on connection {}", f.call, peer, what, f.request,
                     f.conn);
}

std::string summary_kv(const Totals& t) {
  const auto s = latency_stats(t.latencies_ms);
  const LatencyStats v = s.value_or(LatencyStats{});
  return fmt::format("requests={} connections={} failed={} planned={} seconds={:.3f}",
                     t.latencies_ms.size(), t.connections, t.failed, t.planned, t.seconds) +
         kv_ms("min_ms", s, v.min) + kv_ms("median_ms", s, v.median) + kv_ms("p90_ms", s, v.p90) +
         kv_ms("max_ms", s, v.max) + kv_ms("mean_ms", s, v.mean) +
         fmt::format(" exit={}", t.exit_code);
}

}  // namespace tundra::rr
