// What tundra-fetch -v prints on stderr: the seven steps a browser takes to fetch a URL, each as
// it begins and with what it found and how long it took, the request and response heads, and a
// summary. Called by the fetch session (session.cpp) and main().
//
// The step headings are stable (tests/interop/fetch_test.sh greps for them); each starts a line:
//   * step 1/7 host name: ...         the host taken from the URL
//   * step 2/7 resolve: ...           its IPv4 address (literal, --resolve, hosts file, DNS)
//   * step 3/7 port: ...              the port (from the URL or the scheme's default)
//   * step 4/7 TCP connect: ...       the three-way handshake; then the 4-tuple
//   * step 5/7 send request: ...      the request head (lines "> ") and body
//   * step 6/7 read response: ...     the response head (lines "< ") and body
//   * step 7/7 close connection: ...  our FIN (the client closes after the response)
// Details of a step follow on lines starting "*   "; the last line of a fetch is
//   * summary: STATUS REASON, N bytes; dns … ms, connect … ms, ttfb … ms, transfer … ms,
//     total … ms; RATE
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "stack/http/message.hpp"

namespace tundra::fetch {

enum class StepId { kHostName = 1, kResolve, kPort, kConnect, kSend, kRead, kClose };

// "host name", "resolve", "port", "TCP connect", "send request", "read response",
// "close connection".
std::string_view step_name(StepId id);

// "* step 4/7 TCP connect: TEXT"
std::string step_heading(StepId id, std::string_view text);

// Milliseconds with three decimals: "0.412 ms", "1234.500 ms".
std::string format_ms(std::chrono::steady_clock::duration d);

// Bytes per second for humans: "12.3 MiB/s", "512 B/s".
std::string format_rate(uint64_t bytes, std::chrono::steady_clock::duration d);

// The head of a message as it goes on the wire, each line with `prefix` ("> " or "< "), the
// empty line included; no CRs.
std::string format_head(const http::Message& m, std::string_view prefix);

// Prints to stderr when enabled (-v), flushing at once so that steps appear as they happen.
class StepPrinter {
 public:
  explicit StepPrinter(bool enabled) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }
  void step(StepId id, std::string_view text) const;
  void detail(std::string_view text) const;  // "*   TEXT"
  void raw(std::string_view text) const;     // as is

 private:
  bool enabled_;
};

}  // namespace tundra::fetch
