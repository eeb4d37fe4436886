// Text rendering of counter reports.
#include "stack/base/counters.hpp"

#include <fmt/format.h>

namespace tundra {

std::string format_report(const CounterReport& report) {
  std::string out;
  for (const auto& g : report) {
    out += g.name + ":\n";
    for (const auto& [label, value] : g.values)
      out += fmt::format("    {} {}\n", value, label);
  }
  return out;
}

}  // namespace tundra
