// tundra-rr: a request/response TCP client on tundra for labs (Nagle's algorithm and delayed ACKs,
// TIME-WAIT and port exhaustion, keep-alive against a connection per request). Sends each request
// as W separate writes, reads a fixed-size response, and prints the latencies' min, median, p90
// and max; exit codes tell scripts how a run ended (exit_codes.hpp).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "apps/common/errors.hpp"
#include "apps/common/options.hpp"
#include "apps/common/runtime.hpp"
#include "apps/common/sockets.hpp"
#include "apps/rr/client.hpp"
#include "apps/rr/exit_codes.hpp"
#include "apps/rr/plan.hpp"
#include "apps/rr/report.hpp"

namespace {

namespace app = tundra::app;
namespace rr = tundra::rr;
using SteadyTime = std::chrono::steady_clock;

// Sent by the worker to the main thread when the run is over, so the main thread can wait for
// that, a stop signal and the --max-time deadline in one sigtimedwait.
constexpr int kDoneSignal = SIGUSR2;

// Lets closes already under way finish (bounded) before the stack goes away with the process:
// the last FIN must reach the peer, or its server never learns the connection ended. SO_LINGER
// would not do: it waits for our data to be acknowledged, not for the FIN exchange. TIME-WAIT and
// CLOSE-WAIT are not waited for.
void let_closes_finish(app::Runtime& rt, std::chrono::milliseconds limit) {
  using tundra::tcp::State;
  const auto until = SteadyTime::now() + limit;
  while (SteadyTime::now() < until) {
    bool closing = false;
    {
      std::lock_guard lock(rt.loop().mutex());
      rt.stack().tcp().for_each([&](auto, const auto& c) {
        const State s = c.state();
        closing = closing || s == State::FinWait1 || s == State::FinWait2 || s == State::Closing ||
                  s == State::LastAck;
      });
    }
    if (!closing) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  app::Runtime::block_signals(kDoneSignal);
  CLI::App cli{
      "tundra-rr: request/response over TCP on tundra: W writes of B bytes, then R bytes "
      "back, N times; prints latency min, median, p90 and max",
      "tundra-rr"};
  app::CommonOptions common;
  app::add_common_options(cli, common);
  std::string addr_text;
  uint16_t port = 0;
  rr::PlanArgs pa;
  double max_time = 0;
  bool verbose = false;
  bool counters = false;
  cli.add_option("ADDR", addr_text, "server's IPv4 address")->required();
  cli.add_option("PORT", port, "server's port")->required()->check(CLI::Range(1, 65535));
  cli.add_option("--requests", pa.requests, "requests to make")->capture_default_str();
  cli.add_option("--writes", pa.writes, "send() calls per request (W)")->capture_default_str();
  cli.add_option("--write-size", pa.write_size, "bytes per send() call (B; 100, 1KiB…)")
      ->capture_default_str();
  cli.add_option("--response-size", pa.response_size, "bytes read back per request (R)")
      ->capture_default_str();
  cli.add_option("--per-connection", pa.per_connection,
                 "requests per connection, then close (we close first: TIME-WAIT is ours) and "
                 "connect again; 0: all on one connection (keep-alive)")
      ->capture_default_str();
  cli.add_option("--interval", pa.interval_ms, "milliseconds to pause between requests")
      ->capture_default_str();
  cli.add_option("--max-time", max_time, "give up after this many seconds (exit 4)")
      ->check(CLI::Range(0.001, 86400.0));
  cli.add_flag("-v,--verbose", verbose,
               "one line per request: number, connection, local address, latency");
  cli.add_flag("--counters", counters, "print the stack's counters at exit (netstat -s style)");
  cli.footer(
      "Prints at the end, on stdout, a summary and the same numbers as key=value pairs:\n"
      "  20 requests on 1 connection in 0.842 s: latency min 0.31 ms, median 40.1 ms, ...\n"
      "  requests=20 connections=1 failed=0 planned=20 seconds=0.842 min_ms=0.312 "
      "median_ms=40.100 p90_ms=41.000 max_ms=41.300 mean_ms=38.512 exit=0\n"
      "Percentiles interpolate between the two nearest samples (as numpy.percentile). A server "
      "for it: scripts/rr_server.py.\n\n" +
      rr::exit_codes_help());
  if (auto code = app::parse(cli, common, argc, argv)) return *code;

  auto made = rr::make_plan(pa);
  if (auto* message = std::get_if<std::string>(&made)) return app::usage_error(cli, *message);
  const rr::Plan plan = std::get<rr::Plan>(made);
  const auto addr = tundra::wire::ipv4::Address::parse(addr_text);
  if (!addr)
    return app::usage_error(cli, fmt::format("ADDR: '{}' is not an IPv4 address", addr_text));
  const sockaddr_in peer = app::ipv4_sockaddr(*addr, port);
  const std::string peer_text = rr::endpoint_text(peer);

  std::unique_ptr<app::Runtime> rt;
  try {
    rt = std::make_unique<app::Runtime>(common);
    rt->set_counters_at_exit(counters);
    rt->start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "tundra-rr: {}\n", e.what());
    return app::kExitFailure;
  }
  fmt::print(stderr, "tundra-rr: {} on {} (mtu {}); {} to {}{}; Ctrl-C stops\n",
             common.addr.to_string(), rt->link_description(), rt->stack().ipv4().mtu(),
             plan.describe(), peer_text, common.nodelay ? ", TCP_NODELAY" : "");

  rr::Client client(rt->sockets(), plan, peer, verbose);
  rr::Outcome outcome;
  const pthread_t main_thread = pthread_self();
  std::thread worker([&] {
    outcome = client.run();
    pthread_kill(main_thread, kDoneSignal);
  });
  std::optional<SteadyTime::time_point> deadline;
  if (max_time > 0)
    deadline = SteadyTime::now() + std::chrono::duration_cast<SteadyTime::duration>(
                                       std::chrono::duration<double>(max_time));
  const int ended_by = rt->wait_for_end(deadline, kDoneSignal);
  int code = app::kExitOk;
  if (ended_by == kDoneSignal) {
    worker.join();
    code = outcome.exit_code();
    if (outcome.failure)
      fmt::print(stderr, "tundra-rr: {}\n", rr::failure_message(*outcome.failure, peer_text));
    let_closes_finish(*rt, std::chrono::seconds(2));
  } else {
    client.stop();
    if (ended_by == 0) {
      fmt::print(stderr, "tundra-rr: --max-time {} s ran out: {}\n", max_time,
                 app::describe_errno(ETIMEDOUT));
      code = rr::kExitTimedOut;
    } else {
      fmt::print(stderr, "tundra-rr: stopped by {}\n", strsignal(ended_by));
      code = app::kExitFailure;
    }
  }
  rt->stop();  // closes every socket: a worker still blocked returns with EBADF
  if (worker.joinable()) worker.join();

  rr::Totals totals;
  totals.planned = plan.requests;
  totals.connections = outcome.connections;
  totals.failed = outcome.failure ? 1 : 0;
  totals.seconds = outcome.seconds;
  totals.exit_code = code;
  totals.latencies_ms = std::move(outcome.latencies_ms);
  fmt::print("{}\n{}\n", rr::summary_line(totals), rr::summary_kv(totals));
  std::fflush(stdout);
  return code;
}
