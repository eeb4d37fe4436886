// resolv.conf (resolv.conf(5), glibc's reading of it) as a value: the IPv4 nameservers and the
// "options timeout:N attempts:N" a stub resolver honours. Called by the resolver's driver.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "stack/base/time.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::dns {

struct ResolvConf {
  // glibc keeps at most MAXNS = 3 nameservers; we do the same, IPv4 only, in file order.
  static constexpr size_t kMaxNameservers = 3;
  // glibc clamps timeout to RES_MAXRETRANS (30 s) and attempts to RES_MAXRETRY (5).
  static constexpr int kMaxTimeoutSeconds = 30;
  static constexpr int kMaxAttempts = 5;

  std::vector<wire::ipv4::Address> nameservers;
  std::optional<Duration> timeout;  // "options timeout:N", seconds, clamped to 1..30
  std::optional<int> attempts;      // "options attempts:N", clamped to 1..5

  // Lines starting with '#' or ';' are comments; a keyword is followed by blanks. Unknown
  // keywords and options, IPv6 nameservers and malformed values are skipped. When an option is
  // given twice, the last one wins (as glibc reads them in order).
  static ResolvConf parse(std::string_view text);
};

}  // namespace tundra::dns
