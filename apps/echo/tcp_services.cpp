// One thread, non-blocking sockets and poll(): accept, echo back, discard, or generate characters.
#include "apps/echo/tcp_services.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/common/sockets.hpp"

namespace tundra::app {

namespace {

enum class Service { Echo, Discard, Chargen };

struct Client {
  Service service;
  std::string pending;     // echo: bytes read and not yet written back
  size_t offset = 0;       // chargen: where in the pattern's cycle the next byte comes from
  bool peer_done = false;  // echo: the client shut down its side
};

// RFC 864's output repeats every 95 lines: the pattern cycle, laid out once and then sent straight
// from memory, so a chargen client costs the stack's copy and nothing else. Followed by enough of
// its own start that a send of kChargenSend bytes may begin anywhere in the cycle.
constexpr size_t kChargenCycle = 95 * 74;
constexpr size_t kChargenSend = 64 * 1024;
const std::vector<char>& chargen_pattern() {
  static const std::vector<char> pattern = [] {
    std::vector<char> p(kChargenCycle + kChargenSend);
    for (uint64_t line = 0; line < 95; ++line)
      chargen_line(line, p.data() + line * 74);
    for (size_t i = kChargenCycle; i < p.size(); ++i)
      p[i] = p[i - kChargenCycle];
    return p;
  }();
  return pattern;
}

// RFC 862 leaves buffering to us; stop reading while this much waits to go back.
constexpr size_t kEchoBacklog = 256 * 1024;

int listen_on(sock::SocketApi& api, uint16_t port) {
  const int fd = app::listen_tcp(api, port, 128, true);
  if (fd < 0) throw std::runtime_error(fmt::format("TCP port {}: {}", port, std::strerror(errno)));
  return fd;
}

}  // namespace

void chargen_line(uint64_t line, char out[74]) {
  // RFC 864: the 95 printable ASCII characters (32..126) in a rotating window of 72.
  for (int i = 0; i < 72; ++i)
    out[i] = static_cast<char>(32 + (line + static_cast<uint64_t>(i)) % 95);
  out[72] = '\r';
  out[73] = '\n';
}

TcpServices::TcpServices(sock::SocketApi& api, TcpPorts ports) : api_(api) {
  const uint16_t p[3] = {ports.echo, ports.discard, ports.chargen};
  for (int i = 0; i < 3; ++i)
    if (p[i] != 0) listeners_[i] = listen_on(api, p[i]);
}

void TcpServices::run() {
  std::map<int, Client> clients;
  std::vector<char> buf(256 * 1024);  // large reads: one lock round trip per window
  std::vector<pollfd> fds;
  auto drop = [&](int fd) {
    api_.close(fd);
    clients.erase(fd);
  };
  while (true) {
    fds.clear();
    for (int l : listeners_)
      if (l >= 0) fds.push_back({l, POLLIN, 0});
    for (const auto& [fd, c] : clients) {
      short ev = POLLIN;
      if (c.service == Service::Echo && c.pending.size() >= kEchoBacklog) ev = 0;
      if (c.service == Service::Chargen || !c.pending.empty()) ev |= POLLOUT;
      fds.push_back({fd, ev, 0});
    }
    if (api_.poll(fds.data(), fds.size(), -1) < 0) return;  // the runtime is stopping
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.revents & POLLNVAL) return;  // descriptors closed by Runtime::stop()
      const int li = p.fd == listeners_[0]   ? 0
                     : p.fd == listeners_[1] ? 1
                     : p.fd == listeners_[2] ? 2
                                             : -1;
      if (li >= 0) {
        for (int n = 0; n < 64; ++n) {  // accept what is waiting, boundedly
          const int c = api_.accept(p.fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          clients[c] = Client{static_cast<Service>(li), {}, 0, false};
        }
        continue;
      }
      auto it = clients.find(p.fd);
      if (it == clients.end()) continue;
      Client& c = it->second;
      bool closed = false;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        // Discard and chargen drop what they receive: MSG_TRUNC spares the copy.
        const int flags = c.service == Service::Echo ? 0 : MSG_TRUNC;
        const ssize_t n = api_.recv(p.fd, buf.data(), buf.size(), flags);
        if (n > 0 && c.service == Service::Echo)
          c.pending.append(buf.data(), static_cast<size_t>(n));
        if (n == 0) {
          if (c.service == Service::Echo && !c.pending.empty())
            c.peer_done = true;  // write back what is left, then close
          else
            closed = true;
        }
        if (n < 0 && errno != EAGAIN) closed = true;
      }
      if (!closed && (p.revents & POLLOUT)) {
        if (c.service == Service::Chargen) {
          const ssize_t n = api_.send(p.fd, chargen_pattern().data() + c.offset, kChargenSend, 0);
          if (n > 0) c.offset = (c.offset + static_cast<size_t>(n)) % kChargenCycle;
          if (n < 0 && errno != EAGAIN) closed = true;
        } else if (!c.pending.empty()) {
          const ssize_t n = api_.send(p.fd, c.pending.data(), c.pending.size(), 0);
          if (n > 0) c.pending.erase(0, static_cast<size_t>(n));
          if (n < 0 && errno != EAGAIN) closed = true;
        }
      }
      if (closed || (c.peer_done && c.pending.empty())) drop(p.fd);
    }
  }
}

}  // namespace tundra::app
