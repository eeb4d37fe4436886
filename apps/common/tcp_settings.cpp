// `--tcp NAME=VALUE`: the table of TCP's knobs, their values as typed, and the checks between them.
#include "apps/common/tcp_settings.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <set>

#include "apps/common/byte_size.hpp"

namespace tundra::app {
namespace {

using Kind = TcpSetting::Kind;
using tcp::TcpConfig;
constexpr uint64_t kMs = 1000, kSec = 1000 * kMs, kMin = 60 * kSec, kHour = 60 * kMin;
constexpr uint64_t kKiB = 1024, kGiB = kKiB * kKiB * kKiB;

uint64_t us(Duration d) {
  return static_cast<uint64_t>(d.count());
}
Duration from_us(uint64_t v) {
  return Duration(static_cast<Duration::rep>(v));
}

// Buffers: from Linux's smallest SO_RCVBUF to the largest window scaling can advertise
// (RFC 7323 2.3: 2^30).
constexpr uint64_t kBufLo = 2 * kKiB, kBufHi = kGiB;

#define TUNDRA_FIELD(field, type)                                    \
  [](const TcpConfig& c) { return static_cast<uint64_t>(c.field); }, \
      [](TcpConfig& c, uint64_t v) { c.field = static_cast<type>(v); }
#define TUNDRA_TIME(field)                        \
  [](const TcpConfig& c) { return us(c.field); }, \
      [](TcpConfig& c, uint64_t v) { c.field = from_us(v); }

const std::array<TcpSetting, 18> kSettings = {{
    {"sack", Kind::Flag, 0, 1, "",
     "SACK (RFC 2018): offer it, send SACK blocks, and recover from loss with RACK on the "
     "blocks (RFC 8985); off: one hole per round trip (RFC 6582)",
     TUNDRA_FIELD(sack, bool)},
    {"timestamps", Kind::Flag, 0, 1, "",
     "timestamps (RFC 7323 3): an RTT sample from every ACK, and PAWS",
     TUNDRA_FIELD(timestamps, bool)},
    {"window-scaling", Kind::Flag, 0, 1, "",
     "window scaling (RFC 7323 2); off: no window above 64 KiB, whatever the buffers",
     TUNDRA_FIELD(window_scaling, bool)},
    {"rcvbuf", Kind::Bytes, kBufLo, kBufHi, "",
     "receive buffer a connection starts with, which its window advertises (SO_RCVBUF sets a "
     "socket's own and stops its auto-tuning)",
     TUNDRA_FIELD(rcvbuf, size_t)},
    {"rcvbuf-max", Kind::Bytes, kBufLo, kBufHi, "",
     "receive buffer auto-tuning grows up to this (Linux's tcp_rmem maximum)",
     TUNDRA_FIELD(rcvbuf_max, size_t)},
    {"sndbuf", Kind::Bytes, kBufLo, kBufHi, "",
     "send buffer a connection starts with (SO_SNDBUF sets a socket's own)",
     TUNDRA_FIELD(sndbuf, size_t)},
    {"sndbuf-max", Kind::Bytes, kBufLo, kBufHi, "",
     "send buffer auto-tuning grows up to this (Linux's tcp_wmem maximum)",
     TUNDRA_FIELD(sndbuf_max, size_t)},
    {"delayed-ack", Kind::Time, kMs, 499 * kMs, "ms",
     "longest an ACK waits (RFC 1122 4.2.3.2: under 0.5 s); every second full-sized segment "
     "is ACKed sooner",
     TUNDRA_TIME(delayed_ack)},
    {"quickack", Kind::Count, 0, 1000000, "",
     "a connection's first data segments are ACKed at once, not delayed (Linux's quick-ACK "
     "mode)",
     TUNDRA_FIELD(quickack_segments, unsigned)},
    {"initial-rto", Kind::Time, kMs, kHour, "ms",
     "retransmission timeout before the first RTT sample (RFC 6298 2.1: 1 s), kept within "
     "min-rto..max-rto",
     TUNDRA_TIME(rtt.initial_rto)},
    {"min-rto", Kind::Time, kMs, kHour, "ms",
     "floor of the retransmission timeout (RFC 6298 2.4 asks for 1 s; Linux uses 200 ms)",
     TUNDRA_TIME(rtt.min_rto)},
    {"max-rto", Kind::Time, kMs, kHour, "s",
     "cap of the backed-off retransmission timeout (RFC 6298 2.5: at least 60 s)",
     TUNDRA_TIME(rtt.max_rto)},
    {"syn-retries", Kind::Count, 0, 255, "",
     "SYN (and SYN-ACK) retransmissions before connect() fails with ETIMEDOUT",
     TUNDRA_FIELD(syn_retries, unsigned)},
    {"data-retries", Kind::Count, 1, 255, "",
     "retransmissions of the same data before the connection fails with ETIMEDOUT (Linux's "
     "tcp_retries2)",
     TUNDRA_FIELD(data_retries, unsigned)},
    {"keepalive-idle", Kind::Time, kSec, 24 * kHour, "s",
     "idle time before the first keep-alive probe on an SO_KEEPALIVE socket (RFC 1122 "
     "4.2.3.6: at least 2 h by default)",
     TUNDRA_TIME(keepalive_idle)},
    {"keepalive-interval", Kind::Time, kSec, 24 * kHour, "s",
     "time between unanswered keep-alive probes", TUNDRA_TIME(keepalive_interval)},
    {"keepalive-probes", Kind::Count, 1, 255, "",
     "unanswered keep-alive probes before the connection fails with ETIMEDOUT",
     TUNDRA_FIELD(keepalive_probes, unsigned)},
    {"time-wait-max", Kind::Count, 1, 1000000, "",
     "TIME-WAIT entries kept at most; past it the oldest end early",
     TUNDRA_FIELD(max_time_wait, size_t)},
}};

#undef TUNDRA_FIELD
#undef TUNDRA_TIME

std::optional<uint64_t> parse_flag(std::string_view v) {
  for (std::string_view on : {"on", "yes", "true", "1"})
    if (v == on) return 1;
  for (std::string_view off : {"off", "no", "false", "0"})
    if (v == off) return 0;
  return std::nullopt;
}

std::optional<uint64_t> parse_count(std::string_view v) {
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return std::nullopt;
  return n;
}

// "40", "40ms", "1.5s", "250us", "2h": microseconds, a bare number in `unit`.
std::optional<uint64_t> parse_time(std::string_view v, std::string_view unit) {
  double x = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end == v.data() || !std::isfinite(x) || x < 0) return std::nullopt;
  std::string_view suffix(end, static_cast<size_t>(v.data() + v.size() - end));
  if (suffix.empty()) suffix = unit;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 5> kUnits = {{
      {"us", 1},
      {"ms", kMs},
      {"s", kSec},
      {"min", kMin},
      {"h", kHour},
  }};
  for (const auto& [name, scale] : kUnits) {
    if (suffix != name) continue;
    const double total = std::round(x * static_cast<double>(scale));
    if (total > 1e18) return std::nullopt;
    return static_cast<uint64_t>(total);
  }
  return std::nullopt;
}

std::string format_value(Kind kind, uint64_t v) {
  switch (kind) {
    case Kind::Flag:
      return v ? "on" : "off";
    case Kind::Count:
      return std::to_string(v);
    case Kind::Bytes:
      for (const auto& [name, scale] :
           {std::pair{"GiB", kGiB}, {"MiB", kKiB * kKiB}, {"KiB", kKiB}})
        if (v >= scale && v % scale == 0) return fmt::format("{}{}", v / scale, name);
      return std::to_string(v);
    case Kind::Time:
      for (const auto& [name, scale] :
           {std::pair{"h", kHour}, {"min", kMin}, {"s", kSec}, {"ms", kMs}})
        if (v >= scale && v % scale == 0) return fmt::format("{}{}", v / scale, name);
      return fmt::format("{}us", v);
  }
  return {};
}

std::string_view expected(Kind kind) {
  switch (kind) {
    case Kind::Flag:
      return "on or off";
    case Kind::Count:
      return "a whole number";
    case Kind::Bytes:
      return "a size (like 256KiB or 4M)";
    case Kind::Time:
      return "a time (like 40ms or 2s)";
  }
  return {};
}

const TcpSetting* find_setting(std::string_view name) {
  for (const auto& s : kSettings)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

std::span<const TcpSetting> tcp_settings() {
  return kSettings;
}

std::string format_tcp_setting(const TcpSetting& s, const TcpConfig& config) {
  return format_value(s.kind, s.get(config));
}

std::optional<std::string> apply_tcp_settings(TcpConfig& config,
                                              const std::vector<std::string>& settings) {
  std::set<std::string_view> given;
  for (const std::string& text : settings) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
      return fmt::format("--tcp: '{}' is not NAME=VALUE (--tcp help lists the settings)", text);
    const std::string_view name = std::string_view(text).substr(0, eq);
    const std::string_view value = std::string_view(text).substr(eq + 1);
    const TcpSetting* s = find_setting(name);
    if (!s) return fmt::format("--tcp: no setting '{}' (--tcp help lists them)", name);
    std::optional<uint64_t> v;
    switch (s->kind) {
      case Kind::Flag:
        v = parse_flag(value);
        break;
      case Kind::Count:
        v = parse_count(value);
        break;
      case Kind::Bytes:
        v = parse_byte_size(value);
        break;
      case Kind::Time:
        v = parse_time(value, s->unit);
        break;
    }
    if (!v) return fmt::format("--tcp {}: '{}' is not {}", s->name, value, expected(s->kind));
    if (*v < s->lo || *v > s->hi)
      return fmt::format("--tcp {}: {} is outside {}..{}", s->name, format_value(s->kind, *v),
                         format_value(s->kind, s->lo), format_value(s->kind, s->hi));
    s->set(config, *v);
    given.insert(s->name);
  }
  // A buffer may start above the default maximum: the maximum follows, unless it was given.
  auto start_within_max = [&](size_t& start, size_t& max, std::string_view start_name,
                              std::string_view max_name) -> std::optional<std::string> {
    if (start <= max) return std::nullopt;
    if (given.contains(max_name))
      return fmt::format("--tcp: {} ({}) is above {} ({})", start_name,
                         format_value(Kind::Bytes, start), max_name,
                         format_value(Kind::Bytes, max));
    max = start;
    return std::nullopt;
  };
  if (auto e = start_within_max(config.rcvbuf, config.rcvbuf_max, "rcvbuf", "rcvbuf-max")) return e;
  if (auto e = start_within_max(config.sndbuf, config.sndbuf_max, "sndbuf", "sndbuf-max")) return e;
  if (config.rtt.min_rto > config.rtt.max_rto)
    return fmt::format("--tcp: min-rto ({}) is above max-rto ({})",
                       format_value(Kind::Time, us(config.rtt.min_rto)),
                       format_value(Kind::Time, us(config.rtt.max_rto)));
  return std::nullopt;
}

std::string describe_tcp_settings(const TcpConfig& config) {
  std::string out =
      "TCP settings: --tcp NAME=VALUE, repeatable. Flags take on or off, sizes 256KiB or 4M,\n"
      "times 40ms or 1.5s. The values shown are the defaults.\n";
  constexpr size_t kIndent = 31, kWidth = 100;
  for (const auto& s : kSettings) {
    std::string text(s.help);
    if (s.kind == Kind::Time) text += fmt::format("; a bare number is in {}", s.unit);
    std::string line = fmt::format("  {:<19} {:<8} ", s.name, format_tcp_setting(s, config));
    // Wrapped at kWidth, continued under the text.
    size_t col = line.size();
    size_t pos = 0;
    while (pos < text.size()) {
      size_t next = text.find(' ', pos);
      if (next == std::string::npos) next = text.size();
      const std::string_view word(text.data() + pos, next - pos);
      if (col > kIndent && col + 1 + word.size() > kWidth) {
        line += "\n" + std::string(kIndent, ' ');
        col = kIndent;
      } else if (col > kIndent) {
        line += ' ';
        ++col;
      }
      line += word;
      col += word.size();
      pos = next + 1;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace tundra::app
