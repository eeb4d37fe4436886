// Stream (TCP) calls of the facade: listen, accept, connect, send and receive, with the kernel's
// blocking, non-blocking and error behaviour. connect() on a datagram socket is here too.
#include <cerrno>
#include <cstring>

#include "stack/socket/sockaddr.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::sock {

using tcp::State;

int SocketApi::listen(int fd, int backlog) {
  std::lock_guard lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->kind == Kind::Udp) return fail(EOPNOTSUPP);
  if (d->kind == Kind::Listener) return 0;  // the kernel lets listen() be called again
  if (d->kind != Kind::Tcp) return fail(EINVAL);
  tcp::Endpoint local = d->bound.value_or(tcp::Endpoint{});
  if (local.port == 0) {
    auto p = free_tcp_port();
    if (!p) return fail(EADDRINUSE);
    local.port = *p;
  }
  auto r = tcp().listen(local, backlog);
  if (!r) return fail(r.error());
  d->kind = Kind::Listener;
  d->listener = *r;
  d->bound = local;
  return 0;
}

int SocketApi::accept(int fd, sockaddr* addr, socklen_t* len, int flags) {
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->kind != Kind::Listener) return fail(d->kind == Kind::Udp ? EOPNOTSUPP : EINVAL);
  const tcp::ListenerId lid = d->listener;
  if (!tcp().acceptable(lid)) {
    if (d->nonblocking) return fail(EAGAIN);
    const int err = wait(lock, fd, d->rcvtimeo, [&] { return tcp().acceptable(lid); });
    if (err) return fail(err);
  }
  const auto id = tcp().accept(lid);
  if (!id) return fail(EAGAIN);
  Descriptor parent = *find(fd);
  Descriptor child;
  child.kind = Kind::Stream;
  child.conn = *id;
  child.nonblocking = flags & SOCK_NONBLOCK;
  // Options set on the listener are inherited, as with the kernel.
  child.nodelay = parent.nodelay;
  child.keepalive = parent.keepalive;
  child.rcvbuf = parent.rcvbuf;
  child.sndbuf = parent.sndbuf;
  child.congestion = parent.congestion;
  child.linger = parent.linger;
  child.rcvtimeo = parent.rcvtimeo;
  child.sndtimeo = parent.sndtimeo;
  tcp::Connection* c = tcp().find(*id);
  if (c) {
    apply_options(child, *c);
    to_sockaddr(c->tuple().remote_addr, c->tuple().remote_port, addr, len);
  }
  return new_descriptor(child);
}

int SocketApi::connect(int fd, const sockaddr* addr, socklen_t len) {
  int err = 0;
  auto peer = from_sockaddr(addr, len, err);
  Lock lock(loop_.mutex());
  Descriptor* d = find(fd);
  if (!d) return fail(EBADF);
  if (d->kind == Kind::Udp) {
    // connect() with AF_UNSPEC dissolves a UDP association, as on Linux.
    if (!peer && addr && len >= static_cast<socklen_t>(sizeof(sa_family_t)) &&
        addr->sa_family == AF_UNSPEC)
      peer = SockAddr{};
    if (!peer) return fail(err);
    err = udp().connect(d->udp, udp::Endpoint{peer->address, peer->port});
    return err ? fail(err) : 0;
  }
  if (d->kind == Kind::Listener) return fail(EISCONN);
  if (d->kind == Kind::Stream) {
    const tcp::Connection* c = tcp().find(d->conn);
    if (c && c->state() == State::SynSent) return fail(EALREADY);
    if (c && c->state() != State::Closed) return fail(EISCONN);
    return fail(EISCONN);
  }
  if (!peer) return fail(err);
  auto r = tcp().connect(d->bound, tcp::Endpoint{peer->address, peer->port}, now());
  if (!r) return fail(r.error());
  flush_output();
  d->kind = Kind::Stream;
  d->conn = *r;
  if (tcp::Connection* c = tcp().find(*r)) apply_options(*d, *c);
  loop_.wake();
  if (d->nonblocking) return fail(EINPROGRESS);
  // RFC 9293 3.10.1: the call returns when the handshake completes or fails.
  const tcp::ConnId id = d->conn;
  err = wait(lock, fd, d->sndtimeo, [&] {
    const tcp::Connection* c = tcp().find(id);
    return !c || (c->state() != State::SynSent && c->state() != State::SynReceived);
  });
  if (err == EAGAIN) return fail(EINPROGRESS);  // SO_SNDTIMEO ran out, as Linux reports
  if (err) return fail(err);
  d = find(fd);
  tcp::Connection* c = tcp().find(id);
  if (!c) return fail(ECONNREFUSED);
  if (c->state() == State::Closed) {
    const int e = c->take_error();
    return fail(e ? e : ECONNREFUSED);
  }
  d->connect_reported = true;
  return 0;
}

ssize_t SocketApi::stream_send(Lock& lock, int fd, std::span<const std::byte> data, int flags) {
  Descriptor* d = find(fd);
  if (d->kind != Kind::Stream) return fail(d->kind == Kind::Listener ? ENOTCONN : EPIPE);
  const tcp::ConnId id = d->conn;
  const bool nonblocking = d->nonblocking || (flags & MSG_DONTWAIT);
  const auto timeout = d->sndtimeo;
  size_t sent = 0;
  while (true) {
    d = find(fd);
    if (!d) return sent ? static_cast<ssize_t>(sent) : fail(EBADF);
    tcp::Connection* c = tcp().find(id);
    if (!c) return fail(EPIPE);
    // A pending error (RST, time-out) is reported by the call that returns no data: after a
    // partial send it stays pending for the next call, as Linux keeps sk_err, so that a reset
    // is not swallowed by a short count.
    if (c->error() != 0) {
      if (sent) return static_cast<ssize_t>(sent);
      if (const int e = c->take_error()) return fail(e);
    }
    const State st = c->state();
    if (d->shut_wr || st == State::Closed ||
        (!sent && !(st == State::Established || st == State::CloseWait || st == State::SynSent ||
                    st == State::SynReceived)))
      return sent ? static_cast<ssize_t>(sent) : fail(EPIPE);
    if (st == State::Established || st == State::CloseWait) {
      const bool idle = c->bytes_in_flight() == 0 && c->send_queued() == 0;
      const size_t n = c->send(data.subspan(sent));
      if (n > 0) {
        sent += n;
        if (idle) {
          tcp().push(id, now());  // nothing in flight: send now, as the kernel's send() does
          flush_output();
        } else {
          tcp().touch(id);
        }
        loop_.wake_locked();
      }
      if (sent == data.size()) return static_cast<ssize_t>(sent);
    }
    if (nonblocking) return sent ? static_cast<ssize_t>(sent) : fail(EAGAIN);
    const int err = wait(lock, fd, timeout, [&] {
      const tcp::Connection* cc = tcp().find(id);
      return !cc || cc->writable() || cc->state() == State::Closed || cc->error() != 0;
    });
    if (err) return sent ? static_cast<ssize_t>(sent) : fail(err);
  }
}

ssize_t SocketApi::stream_recv(Lock& lock, int fd, std::span<std::byte> buf, int flags) {
  Descriptor* d = find(fd);
  if (d->kind != Kind::Stream) return fail(ENOTCONN);
  const tcp::ConnId id = d->conn;
  const bool nonblocking = d->nonblocking || (flags & MSG_DONTWAIT);
  const bool peek = flags & MSG_PEEK;
  const bool wait_all = (flags & MSG_WAITALL) && !peek;
  // MSG_TRUNC on a stream (Linux, tcp(7)): the bytes are consumed and dropped, not copied, and
  // the count returned; a discard service needs nothing more.
  const bool drop = (flags & MSG_TRUNC) && !peek;
  const auto timeout = d->rcvtimeo;
  size_t got = 0;
  while (true) {
    d = find(fd);
    if (!d) return got ? static_cast<ssize_t>(got) : fail(EBADF);
    tcp::Connection* c = tcp().find(id);
    if (!c) return got ? static_cast<ssize_t>(got) : 0;
    if (c->state() == State::SynSent || c->state() == State::SynReceived) {
      if (nonblocking) return fail(EAGAIN);
    } else {
      const size_t n = drop ? c->discard(buf.size() - got) : c->recv(buf.subspan(got), peek);
      if (n > 0) {
        got += n;
        tcp().touch(id);  // the window opened: an update may be due (RFC 1122 4.2.3.3)
        loop_.wake_locked();
      }
      if (got == buf.size() || (got > 0 && !wait_all)) return static_cast<ssize_t>(got);
      if (c->error() != 0) {  // as in send: a short count leaves the error pending
        if (got) return static_cast<ssize_t>(got);
        if (const int e = c->take_error()) return fail(e);
      }
      if (c->at_eof() || c->state() == State::Closed || d->shut_rd)
        return static_cast<ssize_t>(got);
      if (nonblocking) return got ? static_cast<ssize_t>(got) : fail(EAGAIN);
    }
    const int err = wait(lock, fd, timeout, [&] {
      const tcp::Connection* cc = tcp().find(id);
      const Descriptor* cur = find(fd);
      return !cc || cc->readable() || (cur && cur->shut_rd);
    });
    if (err) return got ? static_cast<ssize_t>(got) : fail(err);
  }
}

}  // namespace tundra::sock
