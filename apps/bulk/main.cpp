// tundra-bulk: a TCP bulk transfer tool on tundra (a small nc/iperf). Connects to, or accepts
// from, a peer; sends a seeded pseudo-random stream and/or reads one until end of stream; prints
// size, time, rate and SHA-256 of each direction so the other end can check every byte. Exit codes
// tell scripts why a transfer failed: 3 refused, 4 timed out, 5 reset.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "apps/bulk/errors.hpp"
#include "apps/bulk/transfer.hpp"
#include "apps/common/byte_size.hpp"
#include "apps/common/options.hpp"
#include "apps/common/runtime.hpp"
#include "apps/common/sockets.hpp"

namespace {

using tundra::sock::SocketApi;
namespace app = tundra::app;
namespace bulk = tundra::bulk;

// Sent by the worker to the main thread when the session is over, so the main thread can wait
// for that, a stop signal and the --max-time deadline in one sigtimedwait.
constexpr int kDoneSignal = SIGUSR2;

struct Args {
  bool listen = false;
  std::string addr_text;
  uint16_t port = 0;
  std::string send_text;
  bool receive = false;
  unsigned count = 1;
  double max_time = 0;
  std::optional<unsigned> syn_retries;

  bulk::Plan plan;  // from the above, once checked
  sockaddr_in peer{};
};

// The session's context, shared by the worker thread and main().
struct Session {
  Session(SocketApi& a, const Args& g) : api(a), args(g) {}
  SocketApi& api;
  const Args& args;
  int listener = -1;
  std::atomic<bool> stopping{false};  // main() is tearing down: errors are its doing, not news
};

void report_error(Session& s, const std::string& what, int err) {
  if (s.stopping) return;
  fmt::print(stderr, "tundra-bulk: {}: {}\n", what, bulk::describe_errno(err));
}

std::string endpoint_text(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return fmt::format("{}:{}", text, ntohs(a.sin_port));
}

// Transfers on a connected socket, closes it, prints a line per finished direction; returns the
// exit code.
int run_transfer(Session& s, int fd, const std::string& peer) {
  bulk::Outcome o = bulk::transfer(s.api, fd, s.args.plan);
  const int err = o.error();
  if (err) {
    const bulk::Direction& d = err == o.sent.error ? o.sent : o.received;
    report_error(s, fmt::format("{} {} after {} bytes", d.failed_call, peer, d.bytes), err);
  }
  // A graceful close that waits (bounded) until the peer has acknowledged everything: the stack
  // goes away when we exit, and with it whatever was still queued. The sending time runs until
  // then: the last write returning means only that the data is in our send buffer.
  const linger l{1, 30};
  s.api.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  if (s.api.close(fd) == 0 && s.args.plan.send && o.sent.error == 0)
    o.sent.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - o.sent.started).count();
  if (s.args.plan.send && o.sent.error == 0) fmt::print("{}\n", bulk::summary("sent", o.sent));
  if (s.args.plan.receive && o.received.error == 0)
    fmt::print("{}\n", bulk::summary("received", o.received));
  std::fflush(stdout);
  return bulk::exit_code_for(err);
}

int run_connect(Session& s) {
  const std::string peer = endpoint_text(s.args.peer);
  const int fd = s.api.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    report_error(s, "socket", errno);
    return app::kExitFailure;
  }
  if (s.api.connect(fd, reinterpret_cast<const sockaddr*>(&s.args.peer), sizeof s.args.peer) < 0) {
    const int err = errno;
    report_error(s, fmt::format("connect {}", peer), err);
    s.api.close(fd);
    return bulk::exit_code_for(err);
  }
  return run_transfer(s, fd, peer);
}

int run_listen(Session& s) {
  for (unsigned i = 0; i < s.args.count; ++i) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int fd = s.api.accept(s.listener, reinterpret_cast<sockaddr*>(&from), &len);
    if (fd < 0) {
      report_error(s, "accept", errno);
      return bulk::exit_code_for(errno);
    }
    const std::string peer = endpoint_text(from);
    fmt::print(stderr, "tundra-bulk: connection {} from {}\n", i + 1, peer);
    if (const int code = run_transfer(s, fd, peer); code != app::kExitOk) return code;
  }
  return app::kExitOk;
}

// Opens the listening socket before we say we are up, so a peer may connect right after.
int open_listener(SocketApi& api, uint16_t port) {
  const int fd = app::listen_tcp(api, port, 16, false);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("listen on port {}: {}", port, bulk::describe_errno(errno)));
  return fd;
}

void add_transfer_options(CLI::App& sub, Args& a) {
  sub.add_option("--send", a.send_text, "send this many bytes (64MiB, 1G, 1500…) then shut down");
  sub.add_flag("--receive", a.receive, "read until the peer shuts down, at the same time");
  sub.add_option("--max-time", a.max_time, "give up after this many seconds (exit 4)")
      ->check(CLI::Range(0.001, 86400.0));
  sub.add_option("--syn-retries", a.syn_retries,
                 "SYN retransmissions before a connection attempt times out (default 6)")
      ->check(CLI::Range(0u, 20u));
}

}  // namespace

int main(int argc, char** argv) {
  app::Runtime::block_signals(kDoneSignal);
  CLI::App cli{"tundra-bulk: TCP bulk transfers over tundra, with sizes, rates and SHA-256",
               "tundra-bulk"};
  app::CommonOptions common;
  app::add_common_options(cli, common);
  Args args;
  auto* connect = cli.add_subcommand("connect", "connect to ADDR PORT through tundra");
  connect->add_option("ADDR", args.addr_text, "peer's IPv4 address")->required();
  connect->add_option("PORT", args.port, "peer's port")->required()->check(CLI::Range(1, 65535));
  add_transfer_options(*connect, args);
  auto* listen = cli.add_subcommand("listen", "accept connections on PORT of tundra's address");
  listen->add_option("PORT", args.port, "port to listen on")
      ->required()
      ->check(CLI::Range(1, 65535));
  listen->add_option("--count", args.count, "connections to accept, one after another")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  add_transfer_options(*listen, args);
  connect->fallthrough();  // the shared options work after the command too
  listen->fallthrough();
  cli.require_subcommand(1);
  cli.footer("--seed also seeds the stream that --send sends (the same seed, the same bytes).");
  if (auto code = app::parse(cli, common, argc, argv)) return *code;

  args.listen = listen->parsed();
  if (!args.send_text.empty()) {
    args.plan.send = app::parse_byte_size(args.send_text);
    if (!args.plan.send)
      return app::usage_error(cli, fmt::format("--send: '{}' is not a byte count", args.send_text));
  }
  args.plan.receive = args.receive;
  args.plan.seed = common.faults.seed;
  if (!args.listen) {
    args.peer.sin_family = AF_INET;
    args.peer.sin_port = htons(args.port);
    if (inet_pton(AF_INET, args.addr_text.c_str(), &args.peer.sin_addr) != 1)
      return app::usage_error(cli,
                              fmt::format("ADDR: '{}' is not an IPv4 address", args.addr_text));
  }

  std::unique_ptr<app::Runtime> rt;
  std::unique_ptr<Session> session;
  try {
    rt = std::make_unique<app::Runtime>(common, [&](tundra::StackConfig& sc) {
      if (args.syn_retries) sc.tcp.syn_retries = *args.syn_retries;
    });
    session = std::make_unique<Session>(rt->sockets(), args);
    if (args.listen) session->listener = open_listener(rt->sockets(), args.port);
    rt->start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "tundra-bulk: {}\n", e.what());
    return app::kExitFailure;
  }
  fmt::print(stderr, "tundra-bulk: {} on {} (mtu {}); {}; Ctrl-C stops\n", common.addr.to_string(),
             rt->link_description(), rt->stack().ipv4().mtu(),
             args.listen ? fmt::format("listening on port {}", args.port)
                         : fmt::format("connecting to {}", endpoint_text(args.peer)));

  std::atomic<int> worker_code{app::kExitFailure};
  const pthread_t main_thread = pthread_self();
  std::thread worker([&] {
    worker_code = args.listen ? run_listen(*session) : run_connect(*session);
    pthread_kill(main_thread, kDoneSignal);
  });
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (args.max_time > 0)
    deadline = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(args.max_time));
  const int ended_by = rt->wait_for_end(deadline, kDoneSignal);
  int code = app::kExitOk;
  if (ended_by == kDoneSignal) {
    worker.join();
    code = worker_code;
  } else {
    session->stopping = true;
    if (ended_by == 0) {
      fmt::print(stderr, "tundra-bulk: --max-time {} s ran out: {}\n", args.max_time,
                 bulk::describe_errno(ETIMEDOUT));
      code = bulk::kExitTimedOut;
    } else {
      fmt::print(stderr, "tundra-bulk: stopped by {}\n", strsignal(ended_by));
      code = app::kExitFailure;
    }
  }
  rt->stop();  // closes every socket: a worker still blocked returns with EBADF
  if (worker.joinable()) worker.join();
  return code;
}
