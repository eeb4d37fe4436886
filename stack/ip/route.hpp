// The routing table: on-link prefixes and a default gateway, longest prefix first. Asked by IPv4
// output for every datagram; TUN has no link-layer addresses, so the answer decides only whether a
// destination is reachable and through which next hop (shown in traces and errors).
#pragma once

#include <optional>
#include <vector>

#include "stack/wire/ipv4_address.hpp"

namespace tundra::ip {

struct Route {
  wire::ipv4::Cidr prefix;                 // destinations this route covers
  std::optional<wire::ipv4::Address> via;  // next hop; none for on-link prefixes
};

struct NextHop {
  wire::ipv4::Address address;  // where the datagram goes next (the destination when on-link)
  bool on_link = true;
};

class Routes {
 public:
  void add(Route r);
  // Adds 0.0.0.0/0 via `gateway`.
  void set_default_gateway(wire::ipv4::Address gateway);
  // The longest matching prefix's next hop, or nullopt when nothing covers `dst`.
  std::optional<NextHop> lookup(wire::ipv4::Address dst) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;  // kept sorted, longest prefix first
};

}  // namespace tundra::ip
