// The command-line options every tundra program shares (device, addresses, MTU, capture, logging,
// fault injection), parsed with CLI11. Bad arguments end the program with one line and exit 2.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stack/tcp/config.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::app {

// Exit codes shared by the programs.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // could not start (device, permissions, …)
constexpr int kExitUsage = 2;    // bad arguments

struct FaultOptions {
  double loss = 0, duplicate = 0, reorder = 0, corrupt = 0;
  double delay_ms = 0, jitter_ms = 0, rate_mbit = 0;
  size_t rate_queue = 1000;       // datagrams the rate limiter holds at most (a router's queue)
  std::string direction = "out";  // in, out or both; out is what tundra sends, like netem
  uint64_t seed = 1;
  bool any() const {
    return loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delay_ms > 0 ||
           jitter_ms > 0 || rate_mbit > 0;
  }
};

struct CommonOptions {
  std::string tun = "tun0";
  std::string addr_text = "10.0.0.2/24";
  std::string host_addr_text = "10.0.0.1/24";
  std::string gateway_text;
  std::optional<size_t> mtu;
  bool offload = false;  // --offload: TUN checksum and TSO offloads (TunConfig::offload)
  // --tx-thread / --no-tx-thread (TunConfig::tx_thread); unset: on, except with --offload
  std::optional<bool> tx_thread;
  bool tx_thread_flag = true;  // what CLI11 parsed into, copied to tx_thread when given
  uint32_t busy_poll_us = 0;   // --busy-poll US: EventLoop::set_busy_poll (0: off)
  std::string pcap;
  std::string log_level = "warn";
  std::optional<double> time_wait_s;  // TIME-WAIT length (2·MSL), shortened for labs
  bool nodelay = false;               // TCP_NODELAY on every connection
  std::string cc = "newreno";         // congestion control of new connections
  std::string ephemeral_text;         // --ephemeral-ports LO-HI; empty: 49152-65535
  std::string tcp_trace;              // --tcp-trace FILE: the TCP event trace (CSV); empty: none
  std::string control;  // --control PATH: the control socket (tundra-ctl); empty: none
  std::vector<std::string> tcp_settings;  // --tcp NAME=VALUE, in order (apps/common/tcp_settings)
  FaultOptions faults;

  // Filled in by finish() from the texts above.
  wire::ipv4::Cidr addr;
  wire::ipv4::Cidr host_addr;
  std::optional<wire::ipv4::Address> gateway;
  std::optional<std::pair<uint16_t, uint16_t>> ephemeral_ports;
  tcp::TcpConfig tcp;  // the defaults with the --tcp settings applied; Runtime starts from it
};

// Adds the shared options to `app`.
void add_common_options(CLI::App& app, CommonOptions& o);

// Parses argv into `app`. Returns an exit code to end with now (help, version, or a usage error
// already reported on one line), or nullopt to go on. Also checks and converts the shared options
// and sets the log level.
std::optional<int> parse(CLI::App& app, CommonOptions& o, int argc, char** argv);

// Whether the TUN link writes through a TxThread: --tx-thread or --no-tx-thread when given, else
// on without --offload. With offloads one write carries up to 64 KiB that the kernel neither cuts
// nor checksums: the rounds' writes are cheap, and a hand-over's wake-up costs more than it frees
// (measured: offloaded receive 15 against 17 Gbit/s).
bool tx_thread_wanted(const CommonOptions& o);

// Prints "PROGRAM: error: MESSAGE" on one line to stderr and returns kExitUsage.
int usage_error(const CLI::App& app, const std::string& message);

// Parses argv into `app`, for any tundra program: nullopt to go on, or the code to exit with
// after --help or --version, or after a usage error reported on one line.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

}  // namespace tundra::app
