// Counter reports: every layer and link lists its counters by name, and the apps print them like
// `netstat -s` (on SIGUSR1 and at exit).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tundra {

struct CounterGroup {
  std::string name;                                      // "ipv4", "link tun(tun0)", …
  std::vector<std::pair<std::string, uint64_t>> values;  // in a fixed, readable order
  void add(std::string label, uint64_t value) { values.emplace_back(std::move(label), value); }
};

using CounterReport = std::vector<CounterGroup>;

// Renders a report as indented text, one counter a line, zeros included.
std::string format_report(const CounterReport& report);

}  // namespace tundra
