// Socket calls on the application's thread: descriptors, addresses, options, UDP datagrams.
// Stream (TCP) calls are in stream.cpp, poll() in poll.cpp.
#include "stack/socket/socket_api.hpp"

#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

#include "stack/socket/sockaddr.hpp"
#include "stack/tcp/congestion.hpp"

namespace tundra::sock {

SocketApi::~SocketApi() {
  close_all();
}

void SocketApi::close_all() {
  std::lock_guard lock(loop_.mutex());
  const Instant t = now();
  for (auto& [fd, d] : fds_) {
    switch (d.kind) {
      case Kind::Udp:
        udp().close(d.udp);
        break;
      case Kind::Listener:
        tcp().close_listener(d.listener, t);
        break;
      case Kind::Stream:
        tcp().release(d.conn, false, t);
        break;
      case Kind::Tcp:
        break;
    }
  }
  fds_.clear();
  flush_output();
  loop_.notify_waiters();
  loop_.wake();
}

size_t SocketApi::finish_closing(Duration limit) {
  Lock lock(loop_.mutex());
  const auto closing = [this] {
    size_t n = 0;
    tcp().for_each([&n](auto, const tcp::Connection& c) {
      const tcp::State s = c.state();
      n += s == tcp::State::FinWait1 || s == tcp::State::FinWait2 || s == tcp::State::Closing ||
           s == tcp::State::LastAck;
    });
    return n;
  };
  if (!loop_.started()) return closing();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  size_t n = closing();
  while (n > 0 && loop_.running() && loop_.wait(lock, deadline, [&] { return closing() != n; }))
    n = closing();
  return n;
}

SocketApi::Descriptor* SocketApi::find(int fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

int SocketApi::new_descriptor(Descriptor d) {
  int fd = 3;  // the lowest free descriptor, as the kernel hands them out
  while (fds_.contains(fd))
    ++fd;
  fds_[fd] = d;
  return fd;
}

int SocketApi::socket(int domain, int type, int protocol) {
  if (domain != AF_INET) return fail(EAFNOSUPPORT);
  const bool nonblocking = type & SOCK_NONBLOCK;
  type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  Descriptor d;
  d.nonblocking = nonblocking;
  if (type == SOCK_DGRAM) {
    if (protocol != 0 && protocol != IPPROTO_UDP) return fail(EPROTONOSUPPORT);
    d.kind = Kind::Udp;
  } else if (type == SOCK_STREAM) {
    if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
    d.kind = Kind::Tcp;
  } else {
    return fail(ESOCKTNOSUPPORT);
  }
  std::lock_guard lock(loop_.mutex());
  if (d.kind == Kind::Udp) d.udp = udp().open();
  return new_descriptor(d);
}

std::optional<uint16_t> SocketApi::free_tcp_port() {
  const auto& c = tcp().config();
  for (uint32_t p = c.ephemeral_first; p <= c.ephemeral_last; ++p) {
    const auto port = static_cast<uint16_t>(p);
    bool taken = tcp().port_in_use(port);
    for (const auto& [fd, d] : fds_)
      if (d.bound && d.bound->port == port) taken = true;
    if (!taken) return port;
  }
  return std::nullopt;
}

int SocketApi::bind(int fd, const sockaddr* addr, socklen_t len) {
  int err = 0;
  const auto local = from_sockaddr(addr, len, err);
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!local) return fail(err);
  if (d->kind == Kind::Udp) {
    err = udp().bind(d->udp, udp::Endpoint{local->address, local->port});
    return err ? fail(err) : 0;
  }
  if (d->kind != Kind::Tcp || d->bound) return fail(EINVAL);
  const auto ours = loop_.stack().ipv4().address();
  if (!local->address.is_unspecified() && local->address != ours) return fail(EADDRNOTAVAIL);
  tcp::Endpoint e{local->address, local->port};
  if (e.port == 0) {
    auto p = free_tcp_port();
    if (!p) return fail(EADDRINUSE);
    e.port = *p;
  } else {
    // A port is taken by a listener, another bound socket, or (without SO_REUSEADDR) any
    // connection using it — the kernel's rules, simplified to one local address.
    bool taken = false;
    for (const auto& [ofd, od] : fds_)
      if (ofd != fd && od.bound && od.bound->port == e.port && od.kind != Kind::Stream)
        taken = true;
    if (tcp().port_in_use(e.port) && !d->reuseaddr) taken = true;
    if (taken) return fail(EADDRINUSE);
  }
  d->bound = e;
  return 0;
}

int SocketApi::getsockname(int fd, sockaddr* addr, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!addr || !len) return fail(EFAULT);
  switch (d->kind) {
    case Kind::Udp: {
      const auto e = *udp().local(d->udp);
      to_sockaddr(e.address, e.port, addr, len);
      return 0;
    }
    case Kind::Stream: {
      const auto* c = tcp().find(d->conn);
      if (!c) return fail(EBADF);
      to_sockaddr(c->tuple().local_addr, c->tuple().local_port, addr, len);
      return 0;
    }
    case Kind::Listener:
    case Kind::Tcp: {
      const auto e = d->bound.value_or(tcp::Endpoint{});
      to_sockaddr(e.address, e.port, addr, len);
      return 0;
    }
  }
  return 0;
}

int SocketApi::getpeername(int fd, sockaddr* addr, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (!addr || !len) return fail(EFAULT);
  if (d->kind == Kind::Udp) {
    const auto peer = udp().peer(d->udp);
    if (!peer) return fail(ENOTCONN);
    to_sockaddr(peer->address, peer->port, addr, len);
    return 0;
  }
  const auto* c = d->kind == Kind::Stream ? tcp().find(d->conn) : nullptr;
  if (!c || c->state() == tcp::State::SynSent || c->state() == tcp::State::Closed)
    return fail(ENOTCONN);
  to_sockaddr(c->tuple().remote_addr, c->tuple().remote_port, addr, len);
  return 0;
}

void SocketApi::apply_options(const Descriptor& d, tcp::Connection& c) {
  c.set_nodelay(d.nodelay || c.nodelay());  // a program-wide --nodelay stays on
  if (d.keepalive) c.set_keepalive(true, now());
  if (d.rcvbuf) c.set_rcvbuf(*d.rcvbuf);
  if (d.sndbuf) c.set_sndbuf(*d.sndbuf);
  if (!d.congestion.empty() && c.congestion().name() != d.congestion)
    c.set_congestion_control(d.congestion);
}

int SocketApi::setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (value == nullptr) return fail(EFAULT);
  tcp::Connection* c = d->kind == Kind::Stream ? tcp().find(d->conn) : nullptr;
  auto int_value = [&](int& v) {
    if (len < static_cast<socklen_t>(sizeof v)) return false;
    std::memcpy(&v, value, sizeof v);
    return true;
  };
  int v = 0;
  if (level == IPPROTO_TCP) {
    if (d->kind == Kind::Udp) return fail(EOPNOTSUPP);
    if (name == TCP_CONGESTION) {
      // As Linux: the algorithm's name, not necessarily NUL-terminated; ENOENT for an unknown one.
      const auto* text = static_cast<const char*>(value);
      const std::string cc(text, strnlen(text, static_cast<size_t>(std::max<socklen_t>(len, 0))));
      if (!tcp::make_congestion_control(cc, 536)) return fail(ENOENT);
      d->congestion = cc;
      if (c && c->congestion().name() != cc) c->set_congestion_control(cc);
      return 0;
    }
    if (name != TCP_NODELAY) return fail(ENOPROTOOPT);
    if (!int_value(v)) return fail(EINVAL);
    d->nodelay = v != 0;
    if (c) {
      c->set_nodelay(d->nodelay);
      tcp().touch(d->conn);  // RFC 1122 4.2.3.4: held data may go now
      loop_.wake();
    }
    return 0;
  }
  if (level != SOL_SOCKET) return fail(ENOPROTOOPT);
  switch (name) {
    case SO_RCVBUF:
    case SO_SNDBUF: {
      if (!int_value(v)) return fail(EINVAL);
      if (v < 0) return fail(EINVAL);
      // Linux doubles the value to leave room for bookkeeping; so do we, for familiar numbers.
      const size_t bytes = std::max<size_t>(size_t(v) * 2, 2048);
      if (d->kind == Kind::Udp) {
        const int err = udp().set_buffer(d->udp, name == SO_RCVBUF, bytes);
        return err ? fail(err) : 0;
      }
      (name == SO_RCVBUF ? d->rcvbuf : d->sndbuf) = bytes;
      if (c) name == SO_RCVBUF ? c->set_rcvbuf(bytes) : c->set_sndbuf(bytes);
      return 0;
    }
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
      if (len < static_cast<socklen_t>(sizeof(timeval))) return fail(EINVAL);
      timeval tv;
      std::memcpy(&tv, value, sizeof tv);
      if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return fail(EDOM);
      const Duration t = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
      (name == SO_RCVTIMEO ? d->rcvtimeo : d->sndtimeo) =
          t.count() == 0 ? std::nullopt : std::optional(t);  // zero means "block forever"
      return 0;
    }
    case SO_REUSEADDR:
      if (!int_value(v)) return fail(EINVAL);
      d->reuseaddr = v != 0;
      return 0;
    case SO_KEEPALIVE:
      if (!int_value(v)) return fail(EINVAL);
      d->keepalive = v != 0;
      if (c) c->set_keepalive(d->keepalive, now());
      loop_.wake();
      return 0;
    case SO_LINGER: {
      if (len < static_cast<socklen_t>(sizeof(::linger))) return fail(EINVAL);
      ::linger l;
      std::memcpy(&l, value, sizeof l);
      d->linger = l.l_onoff ? std::optional(Duration(std::chrono::seconds(std::max(l.l_linger, 0))))
                            : std::nullopt;
      return 0;
    }
    default:
      return fail(ENOPROTOOPT);
  }
}

int SocketApi::getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (value == nullptr || len == nullptr) return fail(EFAULT);
  tcp::Connection* c = d->kind == Kind::Stream ? tcp().find(d->conn) : nullptr;
  int v = 0;
  if (level == IPPROTO_TCP) {
    if (d->kind == Kind::Udp) return fail(EOPNOTSUPP);
    if (name == TCP_NODELAY)
      v = c ? c->nodelay() : d->nodelay;
    else if (name == TCP_MAXSEG)
      v = c ? static_cast<int>(c->mss()) : 536;
    else if (name == TCP_CONGESTION) {
      // As Linux: the name, NUL-padded, cut to the caller's buffer (TCP_CA_NAME_MAX is 16).
      std::string cc =
          c ? std::string(c->congestion().name())
            : (d->congestion.empty() ? tcp().config().congestion_control : d->congestion);
      char name_buf[16] = {};
      std::memcpy(name_buf, cc.data(), std::min(cc.size(), sizeof name_buf - 1));
      const auto n = std::min<socklen_t>(*len, sizeof name_buf);
      std::memcpy(value, name_buf, static_cast<size_t>(n));
      *len = n;
      return 0;
    } else
      return fail(ENOPROTOOPT);
  } else if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE:
        v = d->kind == Kind::Udp ? SOCK_DGRAM : SOCK_STREAM;
        break;
      case SO_ERROR:
        v = d->pending_error;
        d->pending_error = 0;
        if (v == 0 && c) v = c->take_error();
        break;
      case SO_RCVBUF:
        v = static_cast<int>(d->kind == Kind::Udp ? udp().buffer(d->udp, true)
                             : c                  ? c->rcvbuf()
                                                  : d->rcvbuf.value_or(tcp().config().rcvbuf));
        break;
      case SO_SNDBUF:
        v = static_cast<int>(d->kind == Kind::Udp ? udp().buffer(d->udp, false)
                             : c                  ? c->sndbuf()
                                                  : d->sndbuf.value_or(tcp().config().sndbuf));
        break;
      case SO_KEEPALIVE:
        v = d->keepalive;
        break;
      case SO_REUSEADDR:
        v = d->reuseaddr;
        break;
      case SO_ACCEPTCONN:
        v = d->kind == Kind::Listener;
        break;
      case SO_LINGER: {
        ::linger l{d->linger ? 1 : 0,
                   d->linger
                       ? static_cast<int>(
                             std::chrono::duration_cast<std::chrono::seconds>(*d->linger).count())
                       : 0};
        if (*len < static_cast<socklen_t>(sizeof l)) return fail(EINVAL);
        std::memcpy(value, &l, sizeof l);
        *len = sizeof l;
        return 0;
      }
      default:
        return fail(ENOPROTOOPT);
    }
  } else {
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

int SocketApi::shutdown(int fd, int how) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
  if (d->kind == Kind::Tcp || d->kind == Kind::Listener) return fail(ENOTCONN);
  if (d->kind == Kind::Stream) {
    tcp::Connection* c = tcp().find(d->conn);
    if (!c || c->state() == tcp::State::SynSent) return fail(ENOTCONN);
    if (how != SHUT_RD && !d->shut_wr) {
      c->shutdown_write();  // RFC 9293 3.10.4: FIN after the queued data
      // Sent now, as the kernel's shutdown() does, not at the loop's next round: a server that
      // answers and shuts down lets the client see the FIN with the response, and close second.
      // (At the next round, a kernel client had read the response and closed first, and so held
      // the TIME-WAIT: 14,000 of them ran it out of ports, and connections per request fell
      // from 25,000 to 330 a second.)
      tcp().push(d->conn, now());
      flush_output();
      loop_.wake_locked();
    }
  }
  if (how != SHUT_WR) d->shut_rd = true;
  if (how != SHUT_RD) d->shut_wr = true;
  loop_.notify_waiters();  // a blocked receiver returns 0
  return 0;
}

int SocketApi::close(int fd) {
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  const Descriptor copy = *d;
  fds_.erase(fd);
  loop_.notify_waiters();  // waiters on this descriptor return EBADF
  switch (copy.kind) {
    case Kind::Udp:
      udp().close(copy.udp);
      break;
    case Kind::Listener:
      tcp().close_listener(copy.listener, now());
      flush_output();
      break;
    case Kind::Tcp:
      break;
    case Kind::Stream: {
      // SO_LINGER with a zero timeout aborts with RST (RFC 9293 3.10.5); otherwise a graceful
      // close, which with SO_LINGER on waits (bounded) until the data is acknowledged.
      const bool abort = copy.linger && copy.linger->count() == 0;
      tcp().release(copy.conn, abort, now());
      flush_output();
      loop_.wake();
      if (copy.linger && !abort) {
        const auto deadline = std::chrono::steady_clock::now() + *copy.linger;
        auto done = [&] {
          const auto* c = tcp().find(copy.conn);
          return !c || c->send_queued() == 0 || c->state() == tcp::State::Closed;
        };
        while (!done() && loop_.running())
          if (!loop_.wait(lock, deadline, done)) break;
      }
      break;
    }
  }
  return 0;
}

ssize_t SocketApi::udp_sendto(Lock& lock, int fd, Descriptor& d, std::span<const std::byte> data,
                              int flags, std::optional<udp::Endpoint> dst) {
  if (d.shut_wr) return fail(EPIPE);
  const udp::SocketId id = d.udp;
  const bool nonblocking = d.nonblocking;
  const auto sndtimeo = d.sndtimeo;
  auto r = udp().send_to(id, dst, data);
  if (!r && r.error() == EAGAIN && !nonblocking && !(flags & MSG_DONTWAIT)) {
    // Wait for the loop to drain the send queue, then try once more.
    loop_.wake();
    const int err = wait(lock, fd, sndtimeo, [&] { return udp().writable(id, data.size()); });
    if (err) return fail(err);
    r = udp().send_to(id, dst, data);
  }
  if (!r) return fail(r.error());
  loop_.wake();
  return static_cast<ssize_t>(*r);
}

ssize_t SocketApi::udp_recvfrom(Lock& lock, int fd, Descriptor& d, std::span<std::byte> buf,
                                int flags, sockaddr* from, socklen_t* fromlen) {
  const udp::SocketId id = d.udp;
  if (!udp().readable(id)) {
    if (d.shut_rd) return 0;
    if (d.nonblocking || (flags & MSG_DONTWAIT)) return fail(EAGAIN);
    const int err = wait(lock, fd, d.rcvtimeo, [&] {
      const Descriptor* cur = find(fd);
      return udp().readable(id) || (cur && cur->shut_rd);
    });
    if (err) return fail(err);
    if (!udp().readable(id)) return 0;  // shut down for reading while we waited
  }
  auto dg = udp().receive(id);
  const size_t n = std::min(buf.size(), dg->payload.size());
  if (n > 0) std::memcpy(buf.data(), dg->payload.data(), n);
  to_sockaddr(dg->from.address, dg->from.port, from, fromlen);
  // MSG_TRUNC: report the datagram's real length even when it did not fit (Linux semantics).
  return static_cast<ssize_t>((flags & MSG_TRUNC) ? dg->payload.size() : n);
}

ssize_t SocketApi::sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                          socklen_t tolen) {
  if (buf == nullptr && len > 0) return fail(EFAULT);
  const auto data = std::span(static_cast<const std::byte*>(buf), len);
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->kind != Kind::Udp) return stream_send(lock, fd, data, flags);
  std::optional<udp::Endpoint> dst;
  if (to != nullptr) {
    int err = 0;
    auto e = from_sockaddr(to, tolen, err);
    if (!e) return fail(err);
    dst = udp::Endpoint{e->address, e->port};
  }
  return udp_sendto(lock, fd, *d, data, flags, dst);
}

ssize_t SocketApi::recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from,
                            socklen_t* fromlen) {
  if (buf == nullptr && len > 0) return fail(EFAULT);
  const auto out = std::span(static_cast<std::byte*>(buf), len);
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->kind == Kind::Udp) return udp_recvfrom(lock, fd, *d, out, flags, from, fromlen);
  const ssize_t n = stream_recv(lock, fd, out, flags);
  if (n >= 0 && from && fromlen) {
    // For a stream, recvfrom's address is the peer's.
    if (const Descriptor* cur = find(fd); cur && cur->kind == Kind::Stream)
      if (const auto* c = tcp().find(cur->conn))
        to_sockaddr(c->tuple().remote_addr, c->tuple().remote_port, from, fromlen);
  }
  return n;
}

}  // namespace tundra::sock
