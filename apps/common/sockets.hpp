// Small helpers for programs on the socket facade: an IPv4 sockaddr from an address and port, and
// the listening TCP socket every server opens first.
#pragma once

#include <netinet/in.h>

#include <cstdint>

#include "stack/socket/socket_api.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::app {

sockaddr_in ipv4_sockaddr(wire::ipv4::Address a, uint16_t port);

// A TCP socket listening on `port` of every tundra address, with SO_REUSEADDR (so a restarted
// server does not wait out its old connections' TIME-WAIT). Returns the descriptor, or -1 with
// errno set and nothing left open.
int listen_tcp(sock::SocketApi& api, uint16_t port, int backlog, bool nonblocking);

}  // namespace tundra::app
