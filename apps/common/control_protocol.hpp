// The control socket's protocol without the socket: parsing a request line and rendering the
// answers (text like `ss -tin` / `netstat -s`, or JSON). Used by the control server
// (apps/common/control) and by the unit tests; no I/O, no locks.
//
// Protocol (one request per connection):
//   request  = COMMAND [ "--json" ] LF          (CR LF accepted; at most kMaxRequestLine bytes;
//                                                 end of stream may stand in for the LF)
//   COMMAND  = "connections" | "stats" | "listeners" | "help"
//   answer   = the rendered command, then the server closes the connection; or one line
//              "error: MESSAGE" LF (always text, with or without --json), then close.
// Text answers are aligned columns under one header line; JSON answers are one document: an
// array of objects with snake_case keys (help: an object).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "stack/base/counters.hpp"
#include "stack/base/result.hpp"
#include "stack/tcp/table.hpp"

namespace tundra::app::control {

constexpr size_t kMaxRequestLine = 1024;

enum class Command { Connections, Stats, Listeners, Help };

struct Request {
  Command command = Command::Help;
  bool json = false;
  bool operator==(const Request&) const = default;
};

// Parses one request line (without its LF; a trailing CR is dropped). The error is the message
// for error_line(): "unknown command 'x' (try help)", "empty request (try help)", …
Result<Request, std::string> parse_request(std::string_view line);

// A byte a request may contain: printable ASCII or a tab (the LF and a final CR aside).
bool is_text_byte(char c);

// "error: MESSAGE\n".
std::string error_line(std::string_view message);

// connections: one row per connection. Text columns: State Local Remote Una-ISS Nxt-ISS
// RcvNxt-IRS SndWnd RcvWnd Cwnd Ssthresh Srtt(ms) Rttvar(ms) Rto(ms) InFlight Retrans Send-Q
// Recv-Q Age(s).
std::string render_connections(const tcp::Table& t, bool json);
// listeners: Local Backlog Half-open Accept-Q.
std::string render_listeners(const tcp::Table& t, bool json);
// stats: every counter (what SIGUSR1 prints); JSON [{"group","counters":[{"name","value"}]}].
std::string render_stats(const CounterReport& r, bool json);
std::string render_help(bool json);

}  // namespace tundra::app::control
