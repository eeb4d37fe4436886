// tundra-echo: answers ping (ICMP echo) and serves echo (RFC 862), discard (RFC 863) and, over
// TCP, chargen (RFC 864) on tundra on a TUN device, through the socket facade, as a program on
// kernel sockets would.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "apps/common/options.hpp"
#include "apps/common/runtime.hpp"
#include "apps/echo/tcp_services.hpp"

namespace {

using tundra::sock::SocketApi;

// Opens a UDP socket on `port` of tundra's address; exits the program on failure.
int bind_udp(SocketApi& api, uint16_t port) {
  const int fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (api.bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    throw std::runtime_error(fmt::format("bind UDP port {}: {}", port, std::strerror(errno)));
  return fd;
}

// RFC 862: "any data received is sent back"; RFC 863: "any data received is thrown away".
void serve(SocketApi& api, int fd, bool echo) {
  std::vector<std::byte> buf(65536);
  while (true) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n =
        api.recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;  // EBADF: the runtime closed the socket to stop us
    }
    if (!echo) continue;
    if (api.sendto(fd, buf.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from),
                   len) < 0)
      spdlog::warn("echo: sendto: {}", std::strerror(errno));
  }
}

}  // namespace

int main(int argc, char** argv) {
  tundra::app::Runtime::block_signals();
  CLI::App app{
      "tundra-echo: ping, echo (RFC 862), discard (RFC 863) and chargen (RFC 864) over tundra",
      "tundra-echo"};
  tundra::app::CommonOptions common;
  tundra::app::add_common_options(app, common);
  uint16_t echo_port = 7, discard_port = 9, chargen_port = 19;
  app.add_option("--echo-port", echo_port, "echo port, UDP and TCP (0: off)")
      ->capture_default_str();
  app.add_option("--discard-port", discard_port, "discard port, UDP and TCP (0: off)")
      ->capture_default_str();
  app.add_option("--chargen-port", chargen_port, "TCP character generator port (0: off)")
      ->capture_default_str();
  if (auto code = tundra::app::parse(app, common, argc, argv)) return *code;
  if ((echo_port != 0 && (echo_port == discard_port || echo_port == chargen_port)) ||
      (discard_port != 0 && discard_port == chargen_port))
    return tundra::app::usage_error(app,
                                    "--echo-port, --discard-port and --chargen-port must differ");

  std::unique_ptr<tundra::app::Runtime> rt;
  std::vector<std::thread> servers;
  try {
    rt = std::make_unique<tundra::app::Runtime>(common);
    auto& api = rt->sockets();
    const int echo_fd = echo_port ? bind_udp(api, echo_port) : -1;
    const int discard_fd = discard_port ? bind_udp(api, discard_port) : -1;
    auto tcp = std::make_shared<tundra::app::TcpServices>(
        api, tundra::app::TcpPorts{echo_port, discard_port, chargen_port});
    rt->start();
    servers.emplace_back([tcp] { tcp->run(); });
    if (echo_fd >= 0) servers.emplace_back([&api, echo_fd] { serve(api, echo_fd, true); });
    if (discard_fd >= 0)
      servers.emplace_back([&api, discard_fd] { serve(api, discard_fd, false); });
  } catch (const std::exception& e) {
    fmt::print(stderr, "tundra-echo: {}\n", e.what());
    return tundra::app::kExitFailure;
  }
  fmt::print(stderr,
             "tundra-echo: {} on {} (mtu {}); ping, echo {} and discard {} (UDP, TCP), chargen {} "
             "(TCP); Ctrl-C stops\n",
             common.addr.to_string(), rt->link_description(), rt->stack().ipv4().mtu(), echo_port,
             discard_port, chargen_port);
  rt->wait_for_stop_signal();
  rt->stop();
  for (auto& t : servers)
    t.join();
  return tundra::app::kExitOk;
}
