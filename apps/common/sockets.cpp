// Small helpers for programs on the socket facade (see sockets.hpp).
#include "apps/common/sockets.hpp"

#include <arpa/inet.h>

#include <cerrno>

namespace tundra::app {

sockaddr_in ipv4_sockaddr(wire::ipv4::Address a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}

int listen_tcp(sock::SocketApi& api, uint16_t port, int backlog, bool nonblocking) {
  const int fd = api.socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  const int one = 1;
  api.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in a = ipv4_sockaddr(wire::ipv4::Address{}, port);
  if (api.bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0 ||
      api.listen(fd, backlog) < 0) {
    const int err = errno;
    api.close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace tundra::app
