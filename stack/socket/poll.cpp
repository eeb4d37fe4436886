// poll(2) over tundra descriptors: readiness from the protocol state, waiting on the loop (or
// driving it: EventLoop::wait) until something is ready or the timeout passes.
#include <cerrno>

#include "stack/socket/sockaddr.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::sock {

using tcp::State;

short SocketApi::revents(const Descriptor& d, short events) {
  short r = 0;
  switch (d.kind) {
    case Kind::Udp:
      if (udp().readable(d.udp) || d.shut_rd) r |= POLLIN;
      if (udp().writable(d.udp, 1)) r |= POLLOUT;
      break;
    case Kind::Listener:
      if (tcp().acceptable(d.listener)) r |= POLLIN;
      break;
    case Kind::Tcp:
      r |= POLLOUT | POLLHUP;  // an unconnected stream socket, as Linux reports it
      break;
    case Kind::Stream: {
      const tcp::Connection* c = tcp().find(d.conn);
      if (!c) return POLLNVAL;
      const State st = c->state();
      if (c->recv_queued() > 0 || c->at_eof() || d.shut_rd) r |= POLLIN;
      if (c->writable()) r |= POLLOUT;
      if (c->error() != 0 && st == State::Closed) r |= POLLERR;
      if (st == State::Closed) r |= POLLHUP | POLLIN;
      if (c->at_eof()) r |= POLLRDHUP;
      break;
    }
  }
  // POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not.
  return static_cast<short>(r & (events | POLLERR | POLLHUP | POLLNVAL));
}

int SocketApi::poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (fds == nullptr && nfds > 0) return fail(EFAULT);
  Lock lock(loop_.mutex());
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  while (true) {
    int ready = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      fds[i].revents = 0;
      if (fds[i].fd < 0) continue;
      const Descriptor* d = find(fds[i].fd);
      fds[i].revents = d ? revents(*d, fds[i].events) : static_cast<short>(POLLNVAL);
      if (fds[i].revents) ++ready;
    }
    if (ready > 0 || timeout_ms == 0) return ready;
    if (!loop_.running()) return fail(EBADF);
    // Woken when any of them is ready (the same look as above, without filling in revents).
    const auto any_ready = [&] {
      for (nfds_t i = 0; i < nfds; ++i) {
        if (fds[i].fd < 0) continue;
        const Descriptor* d = find(fds[i].fd);
        if (!d || revents(*d, fds[i].events) != 0) return true;
      }
      return false;
    };
    if (!loop_.wait(lock, timeout_ms < 0 ? std::nullopt : std::optional(deadline), any_ready))
      timeout_ms = 0;  // one last look, then report none
  }
}

}  // namespace tundra::sock
