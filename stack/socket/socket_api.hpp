// The BSD-like socket facade: descriptors, blocking and non-blocking calls, errno-style errors,
// poll, for application threads. Each call takes the event loop's lock, works on the protocol's
// socket or connection, wakes the loop when it queued output, and (when blocking) sleeps on the
// loop's condition until ready. UDP (datagrams) and TCP (streams) share descriptors and options.
// Calls behave as the kernel's, except that no SIGPIPE is raised (as if MSG_NOSIGNAL were given).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "stack/loop/event_loop.hpp"
#include "stack/tcp/tcp.hpp"
#include "stack/udp/udp.hpp"

namespace tundra::sock {

class SocketApi {
 public:
  explicit SocketApi(EventLoop& loop) : loop_(loop) {}
  ~SocketApi();

  // Each returns what its kernel namesake returns, with errno set on failure.
  int socket(int domain, int type, int protocol);
  int bind(int fd, const sockaddr* addr, socklen_t len);
  int listen(int fd, int backlog);
  int accept(int fd, sockaddr* addr, socklen_t* len, int flags = 0);
  int connect(int fd, const sockaddr* addr, socklen_t len);
  ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                 socklen_t tolen);
  ssize_t send(int fd, const void* buf, size_t len, int flags) {
    return sendto(fd, buf, len, flags, nullptr, 0);
  }
  ssize_t write(int fd, const void* buf, size_t len) { return send(fd, buf, len, 0); }
  ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen);
  ssize_t recv(int fd, void* buf, size_t len, int flags) {
    return recvfrom(fd, buf, len, flags, nullptr, nullptr);
  }
  ssize_t read(int fd, void* buf, size_t len) { return recv(fd, buf, len, 0); }
  int shutdown(int fd, int how);
  int close(int fd);
  int getsockname(int fd, sockaddr* addr, socklen_t* len);
  int getpeername(int fd, sockaddr* addr, socklen_t* len);
  int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
  int getsockopt(int fd, int level, int name, void* value, socklen_t* len);
  // F_GETFL and F_SETFL with O_NONBLOCK.
  int fcntl(int fd, int cmd, int arg = 0);
  // poll(2) over tundra descriptors: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL.
  int poll(pollfd* fds, nfds_t nfds, int timeout_ms);

  // Closes every descriptor; threads blocked in a call return with EBADF. For shutting down.
  void close_all();
  // Lets the connections closed here finish their closing handshake (FIN-WAIT-1, FIN-WAIT-2,
  // CLOSING, LAST-ACK: RFC 9293 3.6) for at most `limit`, driving the loop's rounds: the stack
  // ends with the program, and a peer whose FIN nobody acknowledges sends it again and again
  // into nothing. Returns how many were still closing. For a started loop; call it after
  // close_all(), before the loop stops.
  size_t finish_closing(Duration limit);

 private:
  enum class Kind { Udp, Tcp, Listener, Stream };
  struct Descriptor {
    Kind kind = Kind::Udp;
    udp::SocketId udp = 0;
    tcp::ListenerId listener = 0;
    tcp::ConnId conn = 0;
    std::optional<tcp::Endpoint> bound;  // TCP: bind() before listen() or connect()
    bool nonblocking = false;
    bool shut_rd = false, shut_wr = false;
    bool connect_reported = false;  // a non-blocking connect's outcome was returned once
    std::optional<Duration> rcvtimeo, sndtimeo;
    bool nodelay = false, keepalive = false, reuseaddr = false;
    std::optional<size_t> rcvbuf, sndbuf;
    std::string congestion;          // TCP_CONGESTION; empty: the stack's default
    std::optional<Duration> linger;  // SO_LINGER on: graceful close waits this long; 0 aborts
    int pending_error = 0;
  };
  using Lock = std::unique_lock<std::mutex>;

  Descriptor* find(int fd);
  int new_descriptor(Descriptor d);
  tcp::Tcp& tcp() { return loop_.stack().tcp(); }
  udp::Udp& udp() { return loop_.stack().udp(); }
  Instant now() { return loop_.clock().now(); }
  // After a call that sent at once (Stack::flush_output).
  void flush_output() { loop_.stack().flush_output(now()); }
  // Sleeps until `ready()` holds; returns 0, EAGAIN (timeout) or EBADF (closed meanwhile).
  template <class Ready>
  int wait(Lock& lock, int fd, std::optional<Duration> timeout, Ready ready);
  short revents(const Descriptor& d, short events);
  void apply_options(const Descriptor& d, tcp::Connection& c);

  ssize_t udp_sendto(Lock& lock, int fd, Descriptor& d, std::span<const std::byte> data, int flags,
                     std::optional<udp::Endpoint> dst);
  ssize_t udp_recvfrom(Lock& lock, int fd, Descriptor& d, std::span<std::byte> buf, int flags,
                       sockaddr* from, socklen_t* fromlen);
  ssize_t stream_send(Lock& lock, int fd, std::span<const std::byte> data, int flags);
  ssize_t stream_recv(Lock& lock, int fd, std::span<std::byte> buf, int flags);
  std::optional<uint16_t> free_tcp_port();

  EventLoop& loop_;
  std::map<int, Descriptor> fds_;  // guarded by loop_.mutex()
};

// Defined here: every file of the facade waits with its own readiness condition.
template <class Ready>
inline int SocketApi::wait(Lock& lock, int fd, std::optional<Duration> timeout, Ready ready) {
  std::optional<EventLoop::SteadyTime> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  while (true) {
    if (!find(fd)) return EBADF;
    if (ready()) return 0;
    if (!loop_.running()) return EBADF;
    // The loop may ask on another thread, under the lock, whether to wake us: a closed
    // descriptor wakes us too (we return EBADF).
    if (!loop_.wait(lock, deadline, [&] { return !find(fd) || ready(); }) && !ready())
      return find(fd) ? EAGAIN : EBADF;
  }
}

}  // namespace tundra::sock
