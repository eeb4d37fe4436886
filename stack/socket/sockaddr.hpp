// sockaddr_in conversions and the errno helper the facade's calls share.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "stack/wire/ipv4_address.hpp"

namespace tundra::sock {

struct SockAddr {
  wire::ipv4::Address address;
  uint16_t port = 0;
};

// Sets errno and returns -1, as a failing system call does.
inline int fail(int err) {
  errno = err;
  return -1;
}

inline std::optional<SockAddr> from_sockaddr(const sockaddr* addr, socklen_t len, int& err) {
  if (addr == nullptr || len < static_cast<socklen_t>(sizeof(sockaddr_in))) {
    err = EINVAL;
    return std::nullopt;
  }
  sockaddr_in in;
  std::memcpy(&in, addr, sizeof in);
  if (in.sin_family != AF_INET) {
    err = EAFNOSUPPORT;
    return std::nullopt;
  }
  return SockAddr{wire::ipv4::Address(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
}

// As the kernel does: copies what fits of the address and reports its full size.
inline void to_sockaddr(wire::ipv4::Address a, uint16_t port, sockaddr* addr, socklen_t* len) {
  if (addr == nullptr || len == nullptr) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(a.value());
  std::memcpy(addr, &in, std::min<size_t>(*len, sizeof in));
  *len = sizeof in;
}

}  // namespace tundra::sock
