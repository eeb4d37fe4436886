// tundra-rr's client: runs a Plan against one peer on the socket facade — connect, W send() calls
// of B bytes, read exactly R bytes back, time it, and again — opening a new connection every
// K requests when asked. Runs on a worker thread of main(); stop() ends it early from another.
#pragma once

#include <netinet/in.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "apps/rr/plan.hpp"
#include "apps/rr/report.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::rr {

struct Outcome {
  std::vector<double> latencies_ms;  // one per answered request, in order
  uint32_t connections = 0;          // connections opened
  double seconds = 0;                // the whole run
  std::optional<Failure> failure;    // why it stopped early, if it did
  int exit_code() const;
};

class Client {
 public:
  // With `verbose`, prints request_line() for each answered request on stdout as it happens.
  Client(sock::SocketApi& api, const Plan& plan, const sockaddr_in& peer, bool verbose);

  // Runs the plan; returns when it is done, a call failed, or stop() was called.
  Outcome run();
  // From another thread: a pause between requests ends now and run() returns at its next step.
  // Calls blocked in the facade return only when their sockets close (Runtime::stop()).
  void stop();

 private:
  bool stopping();
  // Waits `ms` or until stop(); false when stopped.
  bool pause(double ms);
  // One request on `fd`; fills `f` and returns false when a call fails.
  bool exchange(int fd, Failure& f);

  sock::SocketApi& api_;
  const Plan plan_;
  const sockaddr_in peer_;
  const bool verbose_;
  std::vector<std::byte> out_, in_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

// "10.0.0.1:7000".
std::string endpoint_text(const sockaddr_in& a);

}  // namespace tundra::rr
