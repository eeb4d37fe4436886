// Connection helpers.
#include "apps/httpd/connection.hpp"

#include <fmt/format.h>

namespace tundra::httpd {

std::string Connection::peer() const {
  return fmt::format("{}.{}.{}.{}:{}", peer_addr >> 24, (peer_addr >> 16) & 0xff,
                     (peer_addr >> 8) & 0xff, peer_addr & 0xff, peer_port);
}

}  // namespace tundra::httpd
