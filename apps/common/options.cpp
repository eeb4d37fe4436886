// Shared options: definitions, parsing, one-line errors.
#include "apps/common/options.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string_view>

#include "apps/common/tcp_settings.hpp"
#include "apps/common/version.hpp"
#include "stack/tcp/congestion.hpp"

namespace tundra::app {

namespace ipv4 = wire::ipv4;

void add_common_options(CLI::App& app, CommonOptions& o) {
  app.set_version_flag("--version", version());
  const char* net = "Network";
  app.add_option("--tun", o.tun, "TUN device to attach to, or to create when it does not exist")
      ->capture_default_str()
      ->group(net);
  app.add_option("--addr", o.addr_text, "tundra's own address and prefix")
      ->capture_default_str()
      ->group(net);
  app.add_option("--host-addr", o.host_addr_text,
                 "kernel side's address, set only when tundra creates the device")
      ->capture_default_str()
      ->group(net);
  app.add_option("--gateway", o.gateway_text, "default gateway (A.B.C.D)")->group(net);
  app.add_option("--mtu", o.mtu, "MTU to use instead of the device's")
      ->check(CLI::Range(68, 65535))
      ->group(net);
  app.add_flag("--offload", o.offload,
               "TUN offloads: the kernel passes TCP segments of up to 64 KiB uncut and with "
               "checksums left to finish, and cuts tundra's the same way (IFF_VNET_HDR, TSO); "
               "captures and traces then show those large segments")
      ->group(net);
  // Bound to a plain bool, whose conversion turns a bad value into a usage error; parse() leaves
  // o.tx_thread unset unless the flag was given, so the default can follow --offload.
  app.add_flag("--tx-thread,!--no-tx-thread", o.tx_thread_flag,
               "write to the device from a thread of its own when a round's writes cost more "
               "than waking it (the kernel's TCP does its receiving, and its sending in reply, "
               "inside tundra's write); --no-tx-thread writes on the stack's thread (default: "
               "on, except with --offload, where the kernel's work per write is small)")
      ->group(net);
  app.add_option("--busy-poll", o.busy_poll_us,
                 "before sleeping, look for input without sleeping for up to US microseconds "
                 "(as Linux's net.core.busy_poll): a packet that comes meanwhile is taken "
                 "without the wake-up of an idle CPU, for a CPU kept busy; 0 sleeps at once")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000))
      ->type_name("US")
      ->group(net);

  const char* tcp = "TCP";
  app.add_option("--time-wait", o.time_wait_s,
                 "seconds a closed connection stays in TIME-WAIT (2*MSL; default 60)")
      ->check(CLI::Range(0.0, 3600.0))
      ->group(tcp);
  app.add_flag("--nodelay", o.nodelay, "TCP_NODELAY on every connection (no Nagle)")->group(tcp);
  app.add_option("--ephemeral-ports", o.ephemeral_text,
                 "local ports for outgoing connections, LO-HI (default 49152-65535; narrow it to "
                 "see port exhaustion)")
      ->type_name("LO-HI")
      ->group(tcp);
  std::vector<std::string> cc_names;
  for (auto n : tcp::congestion_control_names())
    cc_names.emplace_back(n);
  app.add_option("--cc", o.cc,
                 "congestion control of new connections (a socket can pick its own with "
                 "TCP_CONGESTION)")
      ->capture_default_str()
      ->check(CLI::IsMember(cc_names))
      ->group(tcp);
  app.add_option("--tcp", o.tcp_settings,
                 "a TCP setting, as Linux's net.ipv4.tcp_* sysctls (repeatable): sack, "
                 "timestamps, window-scaling, rcvbuf, sndbuf, delayed-ack, min-rto, …; "
                 "--tcp help lists them all with their defaults")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false)
      ->group(tcp);

  const char* diag = "Diagnostics";
  app.add_option("--pcap", o.pcap, "write every datagram sent and received to this pcap file")
      ->group(diag);
  app.add_option("--log-level", o.log_level,
                 "trace, debug (one line per packet), info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->group(diag);
  app.add_option("--tcp-trace", o.tcp_trace,
                 "write one CSV line per TCP event (segments, states, RTT, cwnd, losses) to FILE; "
                 "scripts/plot-tcp draws it")
      ->type_name("FILE")
      ->group(diag);
  app.add_option("--control", o.control,
                 "serve the control socket at PATH (mode 0600) for tundra-ctl: connections, "
                 "listeners, counters")
      ->type_name("PATH")
      ->group(diag);

  const char* faults = "Fault injection";
  auto& f = o.faults;
  app.add_option("--loss", f.loss, "probability that a datagram is lost")
      ->check(CLI::Range(0.0, 1.0))
      ->group(faults);
  app.add_option("--duplicate", f.duplicate, "probability that a datagram is duplicated")
      ->check(CLI::Range(0.0, 1.0))
      ->group(faults);
  app.add_option("--reorder", f.reorder, "probability that a datagram is overtaken by the next")
      ->check(CLI::Range(0.0, 1.0))
      ->group(faults);
  app.add_option("--corrupt", f.corrupt, "probability that one byte of a datagram is corrupted")
      ->check(CLI::Range(0.0, 1.0))
      ->group(faults);
  app.add_option("--delay", f.delay_ms, "fixed delay in milliseconds")
      ->check(CLI::Range(0.0, 60000.0))
      ->group(faults);
  app.add_option("--jitter", f.jitter_ms, "extra random delay, 0..MS milliseconds")
      ->check(CLI::Range(0.0, 60000.0))
      ->group(faults);
  app.add_option("--rate", f.rate_mbit, "rate limit in Mbit/s (0: none)")
      ->check(CLI::Range(0.0, 1e6))
      ->group(faults);
  app.add_option("--rate-queue", f.rate_queue,
                 "datagrams queued at the rate limit at most; more are dropped (a drop-tail "
                 "router's queue)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000))
      ->group(faults);
  app.add_option("--fault-direction", f.direction,
                 "which way the faults apply: in (to tundra), out (from tundra, like netem on an "
                 "interface), both")
      ->capture_default_str()
      ->check(CLI::IsMember({"in", "out", "both"}))
      ->group(faults);
  app.add_option("--seed", f.seed, "seed of the fault injector's generator (a run replays)")
      ->capture_default_str()
      ->group(faults);
}

int usage_error(const CLI::App& app, const std::string& message) {
  fmt::print(stderr, "{}: error: {}\n", app.get_name(), message);
  return kExitUsage;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's messages can span lines; keep the first, as one line.
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    return usage_error(app, msg);
  }
  return std::nullopt;
}

bool tx_thread_wanted(const CommonOptions& o) {
  return o.tx_thread.value_or(!o.offload);
}

std::optional<int> parse(CLI::App& app, CommonOptions& o, int argc, char** argv) {
  // `--tcp help` answers before the rest is parsed, like --help: a program's required arguments
  // (tundra-fetch's URL) need not be there.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--tcp=help" ||
        (arg == "--tcp" && i + 1 < argc && std::string_view(argv[i + 1]) == "help")) {
      fmt::print("{}", describe_tcp_settings(tcp::TcpConfig{}));
      return kExitOk;
    }
  }
  if (const auto code = parse_command_line(app, argc, argv)) return code;
  if (auto error = apply_tcp_settings(o.tcp, o.tcp_settings)) return usage_error(app, *error);
  if (app.get_option("--tx-thread")->count() > 0) o.tx_thread = o.tx_thread_flag;
  if (o.offload && o.faults.corrupt > 0)
    return usage_error(app,
                       "--corrupt cannot be used with --offload: the kernel would finish the "
                       "checksum over the corrupted bytes and accept them");
  auto addr = ipv4::Cidr::parse(o.addr_text);
  if (!addr || addr->address.is_unspecified() || addr->address.is_broadcast() ||
      addr->address.is_multicast())
    return usage_error(
        app,
        fmt::format("--addr: '{}' is not a host address with a prefix (A.B.C.D/N)", o.addr_text));
  o.addr = *addr;
  auto host = ipv4::Cidr::parse(o.host_addr_text);
  if (!host || host->address.is_unspecified() || host->address.is_multicast())
    return usage_error(
        app, fmt::format("--host-addr: '{}' is not a host address with a prefix (A.B.C.D/N)",
                         o.host_addr_text));
  o.host_addr = *host;
  if (o.host_addr.address == o.addr.address)
    return usage_error(app, "--host-addr and --addr must differ");
  if (!o.gateway_text.empty()) {
    o.gateway = ipv4::Address::parse(o.gateway_text);
    if (!o.gateway)
      return usage_error(app,
                         fmt::format("--gateway: '{}' is not an IPv4 address", o.gateway_text));
    if (!o.addr.contains(*o.gateway))
      return usage_error(
          app, fmt::format("--gateway: {} is not on {}", o.gateway_text, o.addr.to_string()));
  }
  if (!o.ephemeral_text.empty()) {
    unsigned lo = 0, hi = 0;
    char dash = 0, extra = 0;
    if (std::sscanf(o.ephemeral_text.c_str(), "%u%c%u%c", &lo, &dash, &hi, &extra) != 3 ||
        dash != '-' || lo == 0 || hi > 65535 || lo > hi)
      return usage_error(app, fmt::format("--ephemeral-ports: '{}' is not a range LO-HI of ports "
                                          "1-65535",
                                          o.ephemeral_text));
    o.ephemeral_ports = {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
  }
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  return std::nullopt;
}

}  // namespace tundra::app
