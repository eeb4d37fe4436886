// The BSD-like socket facade: descriptors, blocking and non-blocking calls, errno-style errors,
// for application threads. Each call takes the event loop's lock, works on the protocol's socket,
// wakes the loop when output was queued, and (when blocking) sleeps on the loop's condition until
// the socket is ready. UDP now (RFC 768); TCP joins it in the same shape.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "stack/loop/event_loop.hpp"
#include "stack/udp/udp.hpp"

namespace tundra::sock {

class SocketApi {
 public:
  explicit SocketApi(EventLoop& loop) : loop_(loop) {}
  ~SocketApi();

  // Each returns what its kernel namesake returns, with errno set on failure.
  int socket(int domain, int type, int protocol);
  int bind(int fd, const sockaddr* addr, socklen_t len);
  int connect(int fd, const sockaddr* addr, socklen_t len);
  ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                 socklen_t tolen);
  ssize_t send(int fd, const void* buf, size_t len, int flags) {
    return sendto(fd, buf, len, flags, nullptr, 0);
  }
  ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen);
  ssize_t recv(int fd, void* buf, size_t len, int flags) {
    return recvfrom(fd, buf, len, flags, nullptr, nullptr);
  }
  int shutdown(int fd, int how);
  int close(int fd);
  int getsockname(int fd, sockaddr* addr, socklen_t* len);
  int getpeername(int fd, sockaddr* addr, socklen_t* len);
  int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
  int getsockopt(int fd, int level, int name, void* value, socklen_t* len);
  // F_GETFL and F_SETFL with O_NONBLOCK.
  int fcntl(int fd, int cmd, int arg = 0);

  // Closes every descriptor; threads blocked in a call return with EBADF. For shutting down.
  void close_all();

 private:
  struct Descriptor {
    udp::SocketId id = 0;
    bool nonblocking = false;
    bool shut_rd = false, shut_wr = false;
    std::optional<Duration> rcvtimeo, sndtimeo;
  };
  using Lock = std::unique_lock<std::mutex>;

  Descriptor* find(int fd);
  // Sleeps until `ready()` holds, the timeout passes (EAGAIN) or the descriptor is closed (EBADF).
  template <class Ready>
  int wait(Lock& lock, int fd, std::optional<Duration> timeout, Ready ready);

  EventLoop& loop_;
  std::map<int, Descriptor> fds_;  // guarded by loop_.mutex()
};

}  // namespace tundra::sock
