// Parsing resolv.conf text (resolv.conf(5)) for the resolver's defaults.
#include "stack/dns/resolv_conf.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "stack/dns/fields.hpp"

namespace tundra::dns {
namespace {

// "NAME:N" with N a decimal number, clamped to [lo, hi]; nullopt when it is something else.
std::optional<int> option_value(std::string_view opt, std::string_view name, int lo, int hi) {
  if (opt.size() <= name.size() + 1 || opt.substr(0, name.size()) != name ||
      opt[name.size()] != ':')
    return std::nullopt;
  const std::string_view digits = opt.substr(name.size() + 1);
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (end != digits.data() + digits.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return hi;
  if (ec != std::errc()) return std::nullopt;
  return std::clamp(static_cast<int>(std::min(v, 1000u)), lo, hi);
}

}  // namespace

ResolvConf ResolvConf::parse(std::string_view text) {
  ResolvConf conf;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && (line[0] == '#' || line[0] == ';')) continue;
    const auto fields = fields_of(line);
    if (fields.size() < 2) continue;
    if (fields[0] == "nameserver") {
      // An IPv6 server (with ':') is skipped: tundra speaks IPv4 only.
      const auto a = wire::ipv4::Address::parse(fields[1]);
      if (a && conf.nameservers.size() < kMaxNameservers) conf.nameservers.push_back(*a);
    } else if (fields[0] == "options") {
      for (size_t i = 1; i < fields.size(); ++i) {
        if (auto t = option_value(fields[i], "timeout", 1, kMaxTimeoutSeconds))
          conf.timeout = std::chrono::seconds(*t);
        else if (auto n = option_value(fields[i], "attempts", 1, kMaxAttempts))
          conf.attempts = *n;
      }
    }
  }
  return conf;
}

}  // namespace tundra::dns
