// Longest-prefix-match lookup over a short, sorted list of routes.
#include "stack/ip/route.hpp"

#include <algorithm>

namespace tundra::ip {

void Routes::add(Route r) {
  r.prefix.address = r.prefix.network();
  std::erase_if(routes_, [&](const Route& x) { return x.prefix == r.prefix; });
  const auto pos = std::find_if(routes_.begin(), routes_.end(), [&](const Route& x) {
    return x.prefix.prefix_len < r.prefix.prefix_len;
  });
  routes_.insert(pos, r);
}

void Routes::set_default_gateway(wire::ipv4::Address gateway) {
  add(Route{wire::ipv4::Cidr{wire::ipv4::Address{}, 0}, gateway});
}

std::optional<NextHop> Routes::lookup(wire::ipv4::Address dst) const {
  for (const Route& r : routes_) {
    if (!r.prefix.contains(dst)) continue;
    if (r.via) return NextHop{*r.via, false};
    return NextHop{dst, true};
  }
  return std::nullopt;
}

}  // namespace tundra::ip
