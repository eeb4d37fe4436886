// tundra-rr's plan: how many requests, how each is written (W send() calls of B bytes), how many
// response bytes to read, and which connection carries which request. Built from the command
// line's texts by make_plan(), which names the first bad argument; main() and the client use it.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace tundra::rr {

// The options as given on the command line (sizes as text: "100", "1KiB").
struct PlanArgs {
  uint32_t requests = 20;
  uint32_t writes = 2;
  std::string write_size = "100";
  std::string response_size = "100";
  uint32_t per_connection = 0;  // 0: every request on one connection (keep-alive)
  double interval_ms = 0;
};

struct Plan {
  uint32_t requests = 20;
  uint32_t writes = 2;           // send() calls per request
  uint64_t write_size = 100;     // bytes per send() call
  uint64_t response_size = 100;  // bytes read back per request
  uint32_t per_connection = 0;   // requests per connection; 0: all on one
  double interval_ms = 0;        // pause between requests

  // Bytes of one request: what the server reads before it answers.
  uint64_t request_bytes() const { return uint64_t{writes} * write_size; }
  // Requests are numbered from 1, connections too.
  uint32_t connection_of(uint32_t request) const;
  // Whether `request` is the first on its connection (connect before it) or the last (close
  // after it).
  bool opens_connection(uint32_t request) const;
  bool closes_connection(uint32_t request) const;
  // Connections the whole plan opens.
  uint32_t connections() const;
  // "20 requests of 2 writes x 100 bytes, 100-byte responses, all on one connection".
  std::string describe() const;
};

// Limits that keep a run meaningful and its numbers in range.
constexpr uint32_t kMaxRequests = 10'000'000;
constexpr uint32_t kMaxWrites = 10'000;
constexpr uint64_t kMaxWriteSize = 64ull << 20;    // 64 MiB per send() call
constexpr uint64_t kMaxRequestBytes = 1ull << 30;  // 1 GiB per request
constexpr uint64_t kMaxResponseSize = 1ull << 30;  // 1 GiB per response
constexpr double kMaxIntervalMs = 3'600'000;       // an hour

// The plan, or a one-line message naming the argument that is wrong ("--write-size: 'x' is not
// a byte count").
std::variant<Plan, std::string> make_plan(const PlanArgs& a);

}  // namespace tundra::rr
