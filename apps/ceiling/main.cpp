// tundra-ceiling: the most any user-space program gets through a plain TUN device with one
// syscall per datagram (or, with --offload, with the TUN offloads): a responder that ACKs TCP data
// to its discard port 9 and sends zeros from its source port 19, with no buffers and no stack.
// scripts/bench.sh sets tundra's figures against it. Two choices make it a ceiling rather than a
// model TCP: in-order data is ACKed every 16 segments and whenever the device is empty (each ACK
// costs the kernel more than everything we do), and the loop spins briefly on an empty device
// before sleeping (--ack-every, --spin).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/ceiling/responder.hpp"
#include "apps/ceiling/tun_device.hpp"
#include "apps/common/options.hpp"
#include "apps/common/version.hpp"
#include "netif/unique_fd.hpp"
#include "stack/base/time.hpp"

namespace {

using namespace std::chrono_literals;
namespace ipv4 = tundra::wire::ipv4;
using tundra::ceiling::Pump;

// Reads per turn of the loop before the source gets its turn and the timers are looked at.
constexpr int kReadBatch = 64;
// How long the loop spins on an empty device before sleeping, by default. Without offloads a
// sender and a receiver on two CPUs otherwise wait on each other's wake-ups (an idle virtual CPU
// takes tens of microseconds to wake): spinning doubles or triples what gets through. With
// offloads it costs the kernel's sender more (ACKs come sooner, one per super-segment, and it
// handles them itself under its socket lock) than it saves, so there it is off.
constexpr uint32_t kSpinUs = 50;
constexpr uint32_t kSpinOffloadUs = 0;
// How often the responder's timers are looked at while a connection is open.
constexpr tundra::Duration kTick = 50ms;

// SIGINT and SIGTERM set the flag, which the busy loop tests, and write to a pipe, which wakes
// the loop from poll(): no race between testing and sleeping.
volatile std::sig_atomic_t g_stop = 0;
int g_wake_fd = -1;

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  g_stop = 1;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(g_wake_fd, &byte, 1);
  errno = saved;
}

struct Options {
  std::string tun = "tun0";
  std::string addr_text = "10.0.0.2";
  std::string host_addr_text = "10.0.0.1/24";
  std::optional<size_t> mtu;
  bool offload = false;
  uint32_t ack_every = 16;
  std::optional<uint32_t> spin_us;
  std::string log_level = "warn";
  ipv4::Address addr;
  ipv4::Cidr host_addr;
};

// Parses and checks the command line: an exit code to end with now, or nullopt to go on.
std::optional<int> parse(CLI::App& app, Options& o, int argc, char** argv) {
  app.set_version_flag("--version", tundra::app::version());
  app.add_option("--tun", o.tun, "TUN device to create (it must not exist; it goes on exit)")
      ->capture_default_str();
  app.add_option("--addr", o.addr_text, "the address we answer on (A.B.C.D; a /N is ignored)")
      ->capture_default_str();
  app.add_option("--host-addr", o.host_addr_text, "the kernel side's address and prefix")
      ->capture_default_str();
  app.add_option("--mtu", o.mtu, "device MTU (default: the kernel's, 1500)")
      ->check(CLI::Range(576, 65535));
  app.add_flag("--offload", o.offload,
               "virtio-net headers with TCP segmentation offload both ways (TUN_F_CSUM, "
               "TUN_F_TSO4): super-segments of up to 64 KiB");
  app.add_option("--ack-every", o.ack_every,
                 "ACK at most every N data segments received (an ACK also goes whenever the "
                 "device has nothing more to read); 1: an ACK per segment")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--spin", o.spin_us,
                 "microseconds to keep reading an empty device before sleeping in poll() (0: "
                 "sleep at once); default 50, or 0 with --offload, where spinning slows the "
                 "kernel's sender down")
      ->type_name("US")
      ->check(CLI::Range(0, 10000));
  app.add_option("--log-level", o.log_level,
                 "trace, debug (a line per connection), info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.footer(
      "Answers TCP on --addr only: port 9 ACKs what it is sent (discard), port 19 sends zeros as\n"
      "fast as the peer's window allows (source). Prints a line with \"Ctrl-C stops\" when ready;\n"
      "SIGINT or SIGTERM end it with a summary line. Exit codes: 0 stopped by a signal, 1 could\n"
      "not start, 2 bad arguments.");
  if (const auto code = tundra::app::parse_command_line(app, argc, argv)) return *code;
  std::optional<ipv4::Address> addr = ipv4::Address::parse(o.addr_text);
  if (!addr) {
    if (auto cidr = ipv4::Cidr::parse(o.addr_text)) addr = cidr->address;
  }
  if (!addr || addr->is_unspecified() || addr->is_broadcast() || addr->is_multicast())
    return tundra::app::usage_error(
        app, fmt::format("--addr: '{}' is not a host address (A.B.C.D)", o.addr_text));
  o.addr = *addr;
  auto host = ipv4::Cidr::parse(o.host_addr_text);
  if (!host || host->address.is_unspecified() || host->address.is_multicast() ||
      host->prefix_len > 30)
    return tundra::app::usage_error(
        app, fmt::format("--host-addr: '{}' is not a host address with a prefix of at most /30 "
                         "(A.B.C.D/N)",
                         o.host_addr_text));
  o.host_addr = *host;
  if (o.host_addr.address == o.addr)
    return tundra::app::usage_error(app, "--host-addr and --addr must differ");
  if (!o.host_addr.contains(o.addr) || o.addr == o.host_addr.broadcast() ||
      o.addr == o.host_addr.network())
    return tundra::app::usage_error(
        app,
        fmt::format("--addr: {} is not a host on --host-addr's network {}/{}", o.addr.to_string(),
                    o.host_addr.network().to_string(), o.host_addr.prefix_len));
  if (!o.spin_us) o.spin_us = o.offload ? kSpinOffloadUs : kSpinUs;
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  return std::nullopt;
}

void install_signals(int wake_fd) {
  g_wake_fd = wake_fd;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked poll() returns at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// Reads and handles one datagram; false when the device had none (or a signal came first).
bool read_one(int fd, std::vector<std::byte>& rx, tundra::ceiling::Responder& r,
              tundra::Instant now) {
  const ssize_t n = ::read(fd, rx.data(), rx.size());
  if (n > 0) {
    if (static_cast<size_t>(n) < rx.size())
      r.input(rx.data(), static_cast<size_t>(n), now);
    else
      r.count_truncated();
    return true;
  }
  if (n < 0 && errno != EAGAIN && errno != EINTR) r.count_read_error();
  return false;
}

// The loop: read until the device is empty (or a batch is done), send the ACKs held back, let the
// sources send, look at the timers; with nothing left to do, spin on read() for `spin` and only
// then sleep in poll() (see kSpinUs).
void run(int fd, int wake_fd, tundra::ceiling::Responder& r, tundra::Duration spin) {
  const tundra::SteadyClock clock;
  std::vector<std::byte> rx(r.max_read() + 1);  // one byte more: a full read was cut short
  tundra::Instant now = clock.now();
  tundra::Instant next_tick = now + kTick;
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (!g_stop) {
    int k = 0;
    while (k < kReadBatch && read_one(fd, rx, r, now))
      ++k;
    const bool drained = k < kReadBatch;
    r.flush_acks();
    const Pump pumped = r.pump(now);
    now = clock.now();
    if (now >= next_tick) {
      r.on_timer(now);
      next_tick = now + kTick;
    }
    if (!drained || pumped == Pump::More) continue;
    if (pumped == Pump::Idle && spin.count() > 0) {
      const tundra::Instant until = now + spin;
      bool got = false;
      while (!g_stop && !(got = read_one(fd, rx, r, now)) && clock.now() < until) {
      }
      if (got) continue;
    }
    fds[0].events = static_cast<short>(POLLIN | (pumped == Pump::Blocked ? POLLOUT : 0));
    const int timeout = r.busy() ? static_cast<int>(kTick.count() / 1000) : -1;
    if (::poll(fds, 2, timeout) > 0 && (fds[0].revents & (POLLERR | POLLNVAL)))
      throw std::runtime_error("the device failed (poll reports an error)");
    now = clock.now();
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tundra-ceiling: a TCP responder on a TUN device with one syscall per datagram and no "
      "stack; the ceiling scripts/bench.sh measures tundra against",
      "tundra-ceiling"};
  Options o;
  if (auto code = parse(app, o, argc, argv)) return *code;

  try {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
      throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
    const tundra::netif::UniqueFd wake_r(pipe_fds[0]), wake_w(pipe_fds[1]);
    install_signals(wake_w.get());
    const auto dev = tundra::ceiling::TunDevice::open(
        {.name = o.tun, .host_addr = o.host_addr, .mtu = o.mtu, .offload = o.offload});
    tundra::ceiling::Responder responder(dev.fd(), dev.offload(), o.addr, dev.mtu(), o.ack_every);
    fmt::print(stderr,
               "tundra-ceiling: {} on {} (mtu {}, offload {}, an ACK per {} segments, spin {} "
               "us); discard {} and source {} (TCP); Ctrl-C stops\n",
               o.addr.to_string(), dev.name(), dev.mtu(), dev.offload() ? "on" : "off", o.ack_every,
               *o.spin_us, tundra::ceiling::kDiscardPort, tundra::ceiling::kSourcePort);
    run(dev.fd(), wake_r.get(), responder, tundra::Duration(*o.spin_us));
    const auto& c = responder.counters();
    fmt::print(stderr,
               "tundra-ceiling: in {} segments {} bytes ({} payload), out {} segments {} bytes ({} "
               "payload); super-segments {} in, {} out; {} connections, {} refused, {} resets, {} "
               "resends, {} malformed, {} "
               "ignored, {} read errors, {} write errors\n",
               c.rx_datagrams, c.rx_bytes, c.rx_payload, c.tx_datagrams, c.tx_bytes, c.tx_payload,
               c.rx_super, c.tx_super, c.connections, c.refused, c.resets, c.resends, c.malformed,
               c.ignored, c.rx_errors, c.tx_errors);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tundra-ceiling: {}\n", e.what());
    return tundra::app::kExitFailure;
  }
  return tundra::app::kExitOk;
}
