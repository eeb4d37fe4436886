// One hop of a fetch: the seven steps for one URL — host name, resolve, port, TCP connect, send
// the request, read the response, close — over tundra's socket facade, printing each step as it
// happens (-v). main() runs one hop per URL of a redirect chain.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "apps/common/resolver.hpp"
#include "apps/fetch/output.hpp"
#include "apps/fetch/request.hpp"
#include "apps/fetch/steps.hpp"
#include "stack/http/message.hpp"
#include "stack/socket/socket_api.hpp"

namespace tundra::fetch {

using SteadyClock = std::chrono::steady_clock;

struct HopOptions {
  const RequestSpec* request = nullptr;
  const app::ResolverOptions* resolver = nullptr;
  std::optional<SteadyClock::time_point> deadline;  // --max-time
  double max_time_s = 0;                            // for the message when it runs out
  std::optional<SteadyClock::duration> connect_timeout;
  bool follow_redirects = false;  // -L: a redirect with Location ends the hop after its head
  bool fail_on_error = false;     // --fail: a status >= 400 ends the hop after its head
  bool write_head = false;        // -I: the response head goes to the output
  bool progress = false;          // stderr is a terminal and not -s: draw the progress line
  std::string user_agent;
};

struct HopTimes {
  SteadyClock::duration dns{}, connect{}, ttfb{}, transfer{};
};

struct HopResult {
  int exit_code = 0;     // kExitOk when a whole response (or its head, when stopped) was read
  std::string error;     // one line, when exit_code != 0
  bool stopped = false;  // ended after the head: a redirect to follow or --fail
  http::Message head;
  uint64_t body_bytes = 0;
  HopTimes times;
};

HopResult run_hop(sock::SocketApi& api, const HopOptions& options, const StepPrinter& printer,
                  Output& output);

}  // namespace tundra::fetch
