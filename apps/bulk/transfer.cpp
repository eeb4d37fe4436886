// Sender on the calling thread, receiver on a thread of its own: each blocks only on its own
// direction, so a peer that sends while it receives (an echo, a full-duplex copy) never deadlocks
// us.
#include "apps/bulk/transfer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "apps/bulk/errors.hpp"
#include "apps/bulk/pattern.hpp"

namespace tundra::bulk {

namespace {

constexpr size_t kBlock = 64 * 1024;

using SteadyTime = std::chrono::steady_clock;

double seconds_since(SteadyTime::time_point start) {
  return std::chrono::duration<double>(SteadyTime::now() - start).count();
}

void send_all(sock::SocketApi& api, int fd, const Plan& plan, Direction& out) {
  const auto start = SteadyTime::now();
  out.started = start;
  app::Sha256 sha;
  Pattern pattern(plan.seed);
  std::vector<std::byte> block(kBlock);
  uint64_t left = plan.send.value_or(0);
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    const std::span<std::byte> chunk(block.data(), n);
    pattern.fill(chunk);
    sha.update(chunk);
    size_t off = 0;
    while (off < n) {  // a blocking send may still return short when interrupted
      const ssize_t w = api.send(fd, chunk.data() + off, n - off, 0);
      if (w < 0) {
        if (errno == EINTR) continue;
        out.error = errno;
        out.failed_call = "send";
        out.bytes += off;
        out.seconds = seconds_since(start);
        return;
      }
      off += static_cast<size_t>(w);
    }
    out.bytes += n;
    left -= n;
  }
  // RFC 9293 3.10.4: our FIN tells the peer the stream is complete.
  if (api.shutdown(fd, SHUT_WR) < 0) {
    out.error = errno;
    out.failed_call = "shutdown";
  }
  out.seconds = seconds_since(start);
  out.sha256 = sha.digest();
}

void receive_all(sock::SocketApi& api, int fd, Direction& out) {
  const auto start = SteadyTime::now();
  app::Sha256 sha;
  std::vector<std::byte> block(kBlock);
  while (true) {
    const ssize_t n = api.recv(fd, block.data(), block.size(), 0);
    if (n == 0) break;  // end of stream: the peer's FIN
    if (n < 0) {
      if (errno == EINTR) continue;
      out.error = errno;
      out.failed_call = "recv";
      break;
    }
    sha.update(std::span<const std::byte>(block.data(), static_cast<size_t>(n)));
    out.bytes += static_cast<uint64_t>(n);
  }
  out.seconds = seconds_since(start);
  out.sha256 = sha.digest();
}

}  // namespace

int Outcome::error() const {
  return more_telling(sent.error, received.error);
}

Outcome transfer(sock::SocketApi& api, int fd, const Plan& plan) {
  Outcome o;
  std::thread receiver;
  if (plan.receive) receiver = std::thread([&] { receive_all(api, fd, o.received); });
  send_all(api, fd, plan, o.sent);
  if (receiver.joinable()) receiver.join();
  return o;
}

std::string summary(const char* verb, const Direction& d) {
  const double secs = d.seconds > 0 ? d.seconds : 1e-9;
  return fmt::format("{} {} bytes in {:.3f} s ({:.1f} Mbit/s) sha256 {}", verb, d.bytes, d.seconds,
                     static_cast<double>(d.bytes) * 8 / secs / 1e6, app::Sha256::hex(d.sha256));
}

}  // namespace tundra::bulk
