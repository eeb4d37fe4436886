// Socket calls on the application's thread: argument checks, the lock, waits, errno.
#include "stack/socket/socket_api.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace tundra::sock {

namespace ipv4 = wire::ipv4;

namespace {

int fail(int err) {
  errno = err;
  return -1;
}

std::optional<udp::Endpoint> from_sockaddr(const sockaddr* addr, socklen_t len, int& err) {
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
  return udp::Endpoint{ipv4::Address(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
}

void to_sockaddr(const udp::Endpoint& e, sockaddr* addr, socklen_t* len) {
  if (addr == nullptr || len == nullptr) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(e.port);
  in.sin_addr.s_addr = htonl(e.address.value());
  // As the kernel does: copy what fits, report the full size.
  std::memcpy(addr, &in, std::min<size_t>(*len, sizeof in));
  *len = sizeof in;
}

std::optional<Duration> timeval_to_duration(const void* value, socklen_t len) {
  if (len < static_cast<socklen_t>(sizeof(timeval))) return std::nullopt;
  timeval tv;
  std::memcpy(&tv, value, sizeof tv);
  const Duration d = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  return d;
}

}  // namespace

SocketApi::~SocketApi() {
  close_all();
}

void SocketApi::close_all() {
  std::lock_guard lock(loop_.mutex());
  for (auto& [fd, d] : fds_)
    loop_.stack().udp().close(d.id);
  fds_.clear();
  loop_.cond().notify_all();
}

SocketApi::Descriptor* SocketApi::find(int fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

template <class Ready>
int SocketApi::wait(Lock& lock, int fd, std::optional<Duration> timeout, Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(Duration(0));
  while (true) {
    if (!find(fd)) return EBADF;
    if (ready()) return 0;
    if (!loop_.running()) return EBADF;
    if (timeout) {
      if (loop_.cond().wait_until(lock, deadline) == std::cv_status::timeout && !ready())
        return find(fd) ? EAGAIN : EBADF;
    } else {
      loop_.cond().wait(lock);
    }
  }
}

int SocketApi::socket(int domain, int type, int protocol) {
  if (domain != AF_INET) return fail(EAFNOSUPPORT);
  const bool nonblocking = type & SOCK_NONBLOCK;
  type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (type != SOCK_DGRAM) return fail(type == SOCK_STREAM ? EPROTONOSUPPORT : ESOCKTNOSUPPORT);
  if (protocol != 0 && protocol != IPPROTO_UDP) return fail(EPROTONOSUPPORT);
  std::lock_guard lock(loop_.mutex());
  int fd = 3;  // the lowest free descriptor, as the kernel hands them out
  while (fds_.contains(fd))
    ++fd;
  Descriptor d;
  d.id = loop_.stack().udp().open();
  d.nonblocking = nonblocking;
  fds_[fd] = d;
  return fd;
}

int SocketApi::bind(int fd, const sockaddr* addr, socklen_t len) {
  int err = 0;
  const auto local = from_sockaddr(addr, len, err);
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!local) return fail(err);
  err = loop_.stack().udp().bind(d->id, *local);
  return err ? fail(err) : 0;
}

int SocketApi::connect(int fd, const sockaddr* addr, socklen_t len) {
  int err = 0;
  auto peer = from_sockaddr(addr, len, err);
  // connect() with AF_UNSPEC dissolves a UDP association, as on Linux.
  if (!peer && addr && len >= static_cast<socklen_t>(sizeof(sa_family_t)) &&
      addr->sa_family == AF_UNSPEC)
    peer = udp::Endpoint{};
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!peer) return fail(err);
  err = loop_.stack().udp().connect(d->id, *peer);
  return err ? fail(err) : 0;
}

ssize_t SocketApi::sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                          socklen_t tolen) {
  std::optional<udp::Endpoint> dst;
  if (to != nullptr) {
    int err = 0;
    dst = from_sockaddr(to, tolen, err);
    if (!dst) return fail(err);
  }
  if (buf == nullptr && len > 0) return fail(EFAULT);
  const auto data = std::span(static_cast<const std::byte*>(buf), len);
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->shut_wr) return fail(EPIPE);
  auto& u = loop_.stack().udp();
  const udp::SocketId id = d->id;
  auto r = u.send_to(id, dst, data);
  if (!r && r.error() == EAGAIN && !d->nonblocking && !(flags & MSG_DONTWAIT)) {
    // Wait for the loop to drain the send queue, then try once more.
    loop_.wake();
    const int err = wait(lock, fd, d->sndtimeo, [&] { return u.writable(id, len); });
    if (err) return fail(err);
    r = u.send_to(id, dst, data);
  }
  if (!r) return fail(r.error());
  loop_.wake();
  return static_cast<ssize_t>(*r);
}

ssize_t SocketApi::recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from,
                            socklen_t* fromlen) {
  if (buf == nullptr && len > 0) return fail(EFAULT);
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  auto& u = loop_.stack().udp();
  const udp::SocketId id = d->id;
  if (!u.readable(id)) {
    if (d->shut_rd) return 0;
    if (d->nonblocking || (flags & MSG_DONTWAIT)) return fail(EAGAIN);
    const int err = wait(lock, fd, d->rcvtimeo, [&] {
      const Descriptor* cur = find(fd);
      return u.readable(id) || (cur && cur->shut_rd);
    });
    if (err) return fail(err);
    if (!u.readable(id)) return 0;  // shut down for reading while we waited
  }
  auto dg = u.receive(id);
  const size_t n = std::min(len, dg->payload.size());
  if (n > 0) std::memcpy(buf, dg->payload.data(), n);
  to_sockaddr(dg->from, from, fromlen);
  // MSG_TRUNC: report the datagram's real length even when it did not fit (Linux semantics).
  return static_cast<ssize_t>((flags & MSG_TRUNC) ? dg->payload.size() : n);
}

int SocketApi::shutdown(int fd, int how) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
  if (how != SHUT_WR) d->shut_rd = true;
  if (how != SHUT_RD) d->shut_wr = true;
  loop_.cond().notify_all();  // a blocked recvfrom returns 0
  return 0;
}

int SocketApi::close(int fd) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  loop_.stack().udp().close(d->id);
  fds_.erase(fd);
  loop_.cond().notify_all();  // waiters on this descriptor return EBADF
  return 0;
}

int SocketApi::getsockname(int fd, sockaddr* addr, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!addr || !len) return fail(EFAULT);
  to_sockaddr(*loop_.stack().udp().local(d->id), addr, len);
  return 0;
}

int SocketApi::getpeername(int fd, sockaddr* addr, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!addr || !len) return fail(EFAULT);
  const auto peer = loop_.stack().udp().peer(d->id);
  if (!peer) return fail(ENOTCONN);
  to_sockaddr(*peer, addr, len);
  return 0;
}

int SocketApi::setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (value == nullptr) return fail(EFAULT);
  if (level != SOL_SOCKET) return fail(ENOPROTOOPT);
  switch (name) {
    case SO_RCVBUF:
    case SO_SNDBUF: {
      int v = 0;
      if (len < static_cast<socklen_t>(sizeof v)) return fail(EINVAL);
      std::memcpy(&v, value, sizeof v);
      if (v < 0) return fail(EINVAL);
      // Linux doubles the value to leave room for bookkeeping; so do we, for familiar numbers.
      const int err = loop_.stack().udp().set_buffer(d->id, name == SO_RCVBUF, size_t(v) * 2);
      return err ? fail(err) : 0;
    }
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
      auto t = timeval_to_duration(value, len);
      if (!t) return fail(EINVAL);
      if (t->count() < 0) return fail(EDOM);
      auto& slot = name == SO_RCVTIMEO ? d->rcvtimeo : d->sndtimeo;
      slot = t->count() == 0 ? std::nullopt : t;  // zero means "block forever"
      return 0;
    }
    case SO_REUSEADDR:
      return 0;  // accepted for portability; UDP binding rules here do not depend on it yet
    default:
      return fail(ENOPROTOOPT);
  }
}

int SocketApi::getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (value == nullptr || len == nullptr) return fail(EFAULT);
  if (level != SOL_SOCKET) return fail(ENOPROTOOPT);
  int v = 0;
  switch (name) {
    case SO_TYPE:
      v = SOCK_DGRAM;
      break;
    case SO_ERROR:
      v = 0;
      break;
    case SO_RCVBUF:
      v = static_cast<int>(loop_.stack().udp().buffer(d->id, true));
      break;
    case SO_SNDBUF:
      v = static_cast<int>(loop_.stack().udp().buffer(d->id, false));
      break;
    default:
      return fail(ENOPROTOOPT);
  }
  if (*len < static_cast<socklen_t>(sizeof v)) return fail(EINVAL);
  std::memcpy(value, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

int SocketApi::fcntl(int fd, int cmd, int arg) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (d->nonblocking ? O_NONBLOCK : 0);
    case F_SETFL:
      d->nonblocking = arg & O_NONBLOCK;
      return 0;
    default:
      return fail(EINVAL);
  }
}

}  // namespace tundra::sock
