// `--tcp NAME=VALUE`: TCP's knobs (tcp::TcpConfig) on every program's command line, as Linux has
// its net.ipv4.tcp_* sysctls, so that a user can turn SACK or timestamps off, shrink a buffer,
// change the delayed ACK or the RTO's floor, and watch what it does to a transfer (tundra-ctl,
// --tcp-trace, a capture). `--tcp help` lists them with their defaults.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/tcp/config.hpp"

namespace tundra::app {

struct TcpSetting {
  enum class Kind { Flag, Bytes, Time, Count };
  std::string_view name;
  Kind kind;
  // Bounds of the value: bytes, a count, or microseconds for Time (0 and 1 for Flag).
  uint64_t lo, hi;
  // Time: the unit of a bare number ("ms" or "s"); a value may name its own (us, ms, s, min, h).
  std::string_view unit;
  std::string_view help;
  // The value as a number (a flag 0 or 1, a time in microseconds).
  uint64_t (*get)(const tcp::TcpConfig&);
  void (*set)(tcp::TcpConfig&, uint64_t);
};

// Every setting, in the order `--tcp help` lists them.
std::span<const TcpSetting> tcp_settings();

// Applies each "NAME=VALUE" in order (a later one wins), then checks them against each other:
// nullopt, or a one-line message naming what is wrong. A buffer's start above its auto-tuning
// maximum raises the maximum, unless that maximum was given too.
std::optional<std::string> apply_tcp_settings(tcp::TcpConfig& config,
                                              const std::vector<std::string>& settings);

// A setting's value as it would be typed ("on", "256KiB", "200ms", "15").
std::string format_tcp_setting(const TcpSetting& s, const tcp::TcpConfig& config);

// The `--tcp help` text: a line per setting with its value in `config` and what it does.
std::string describe_tcp_settings(const tcp::TcpConfig& config);

}  // namespace tundra::app
