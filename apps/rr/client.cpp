// The request loop: one blocking call at a time on the socket facade, timed with the steady clock.
#include "apps/rr/client.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "apps/rr/exit_codes.hpp"

namespace tundra::rr {

namespace {

using SteadyTime = std::chrono::steady_clock;

double ms_since(SteadyTime::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyTime::now() - start).count();
}

}  // namespace

std::string endpoint_text(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return fmt::format("{}:{}", text, ntohs(a.sin_port));
}

int Outcome::exit_code() const {
  if (!failure) return kExitOk;
  if (failure->eof) return kExitPeerClosed;
  return rr::exit_code_for(failure->err);
}

Client::Client(sock::SocketApi& api, const Plan& plan, const sockaddr_in& peer, bool verbose)
    : api_(api),
      plan_(plan),
      peer_(peer),
      verbose_(verbose),
      out_(static_cast<size_t>(plan.write_size), std::byte{'q'}),
      in_(static_cast<size_t>(std::clamp<uint64_t>(plan.response_size, 1, 64 * 1024))) {}

void Client::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
}

bool Client::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool Client::pause(double ms) {
  std::unique_lock lock(mutex_);
  const auto until = SteadyTime::now() + std::chrono::duration_cast<SteadyTime::duration>(
                                             std::chrono::duration<double, std::milli>(ms));
  return !wake_.wait_until(lock, until, [&] { return stopping_; });
}

bool Client::exchange(int fd, Failure& f) {
  // W separate send() calls: with Nagle's algorithm on, the second small one waits in the send
  // buffer until the first is acknowledged (RFC 9293 3.7.4), which is what the labs look at.
  for (uint32_t w = 0; w < plan_.writes; ++w) {
    size_t off = 0;
    while (off < out_.size()) {  // a blocking send may still return short
      const ssize_t n = api_.send(fd, out_.data() + off, out_.size() - off, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        f.call = "send";
        f.err = errno;
        return false;
      }
      off += static_cast<size_t>(n);
    }
  }
  uint64_t got = 0;
  while (got < plan_.response_size) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(in_.size(), plan_.response_size - got));
    const ssize_t n = api_.recv(fd, in_.data(), want, 0);
    if (n == 0) {
      f.call = "recv";
      f.eof = true;
      f.got = got;
      f.expected = plan_.response_size;
      return false;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      f.call = "recv";
      f.err = errno;
      return false;
    }
    got += static_cast<uint64_t>(n);
  }
  return true;
}

Outcome Client::run() {
  Outcome o;
  const auto start = SteadyTime::now();
  int fd = -1;
  std::string local = "?";
  for (uint32_t request = 1; request <= plan_.requests; ++request) {
    if (request > 1 && plan_.interval_ms > 0 && !pause(plan_.interval_ms)) break;
    if (stopping()) break;
    Failure f;
    f.request = request;
    f.conn = plan_.connection_of(request);
    f.connections = o.connections;
    if (fd < 0) {
      fd = api_.socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) {
        f.call = "socket";
        f.err = errno;
        o.failure = f;
        break;
      }
      if (api_.connect(fd, reinterpret_cast<const sockaddr*>(&peer_), sizeof peer_) < 0) {
        f.call = "connect";
        f.err = errno;  // EADDRNOTAVAIL: every local port is taken, by TIME-WAIT entries say
        o.failure = f;
        break;
      }
      ++o.connections;
      sockaddr_in name{};
      socklen_t len = sizeof name;
      local = api_.getsockname(fd, reinterpret_cast<sockaddr*>(&name), &len) == 0
                  ? endpoint_text(name)
                  : std::string("?");
    }
    const auto sent_at = SteadyTime::now();
    if (!exchange(fd, f)) {
      o.failure = f;
      break;
    }
    const double ms = ms_since(sent_at);
    o.latencies_ms.push_back(ms);
    if (verbose_) {
      fmt::print("{}\n", request_line(request, f.conn, local, ms));
      std::fflush(stdout);
    }
    if (plan_.closes_connection(request)) {
      // We close first, so our side goes through TIME-WAIT: with a connection per request the
      // entries pile up, each holding its local port for 2*MSL. The last close is finished by
      // main() (it lets the FIN exchange complete before the stack goes away).
      api_.close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) api_.close(fd);
  o.seconds = ms_since(start) / 1000;
  return o;
}

}  // namespace tundra::rr
