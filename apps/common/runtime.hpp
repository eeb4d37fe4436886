// Runtime: what every tundra program runs on. Builds the link chain from the shared options
// (TUN device, fault injection, pcap capture, packet tracer), the stack, the event loop on its own
// thread with the real clock, and the socket facade; prints counters on SIGUSR1 and at exit;
// serves the control socket (control.hpp) when --control is given.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "apps/common/control.hpp"
#include "apps/common/options.hpp"
#include "apps/common/trace_file.hpp"
#include "netif/link.hpp"
#include "stack/base/time.hpp"
#include "stack/loop/event_loop.hpp"
#include "stack/socket/socket_api.hpp"
#include "stack/stack.hpp"

namespace tundra::app {

// Builds the link chain the options describe, on top of `device`:
//   stack > tracer > pcap > faults > device
// so a capture shows what tundra sent and what reached it, as tcpdump on a host would.
std::unique_ptr<netif::Link> wrap_link(std::unique_ptr<netif::Link> device, const CommonOptions& o,
                                       const Clock& clock);

class Runtime {
 public:
  // Lets a program change the stack's configuration (TCP knobs, say) after the shared options
  // have filled it in and before the stack is built.
  using ConfigureStack = std::function<void(StackConfig&)>;

  // Opens the device and builds everything; throws std::runtime_error with a one-line reason.
  explicit Runtime(const CommonOptions& o, const ConfigureStack& configure = {});
  ~Runtime();

  // Starts the event loop's thread. Call after blocking signals (block_signals()).
  void start();
  // Waits on the calling thread for SIGINT or SIGTERM, printing counters on each SIGUSR1 and then
  // calling `on_usr1` (a program's own counters, say) when given.
  void wait_for_stop_signal(const std::function<void()>& on_usr1 = {});
  // Waits on the calling thread for SIGINT, SIGTERM, `done_signal` (a worker thread's "finished",
  // blocked like the others) or `deadline`, printing counters on each SIGUSR1. Returns the signal
  // that ended the wait, or 0 when the deadline passed.
  int wait_for_end(std::optional<std::chrono::steady_clock::time_point> deadline, int done_signal);
  // Stops the control server, closes all sockets (blocked callers return EBADF) and stops the
  // loop. Join application threads after this, before the Runtime goes away.
  void stop();
  // Prints all counters to stderr, netstat -s style.
  void print_counters();
  // Whether the destructor prints the counters (on by default); a client whose stderr belongs to
  // its user (tundra-fetch) turns it off.
  void set_counters_at_exit(bool on) { counters_at_exit_ = on; }

  sock::SocketApi& sockets() { return *sockets_; }
  Stack& stack() { return *stack_; }
  EventLoop& loop() { return *loop_; }
  const std::string& link_description() const { return description_; }

  // Blocks SIGINT, SIGTERM and SIGUSR1 in this thread and every thread it starts afterwards, so
  // that wait_for_stop_signal() receives them with sigwait. Call first thing in main().
  // `done_signal` (a worker's "finished" for wait_for_end) is blocked too when given.
  static void block_signals(int done_signal = 0);

 private:
  SteadyClock clock_;
  std::unique_ptr<netif::Link> link_;
  std::unique_ptr<TraceFile> trace_;  // --tcp-trace FILE; outlives the stack that reports to it
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<sock::SocketApi> sockets_;
  std::unique_ptr<ControlServer> control_;  // --control PATH; stopped before the loop
  std::string description_;
  bool counters_at_exit_ = true;
};

}  // namespace tundra::app
