// Checking tundra-rr's arguments into a Plan, and the request-to-connection arithmetic.
#include "apps/rr/plan.hpp"

#include <fmt/format.h>

#include <cmath>

#include "apps/common/byte_size.hpp"

namespace tundra::rr {

uint32_t Plan::connection_of(uint32_t request) const {
  if (per_connection == 0 || request == 0) return 1;
  return (request - 1) / per_connection + 1;
}

bool Plan::opens_connection(uint32_t request) const {
  if (per_connection == 0) return request == 1;
  return (request - 1) % per_connection == 0;
}

bool Plan::closes_connection(uint32_t request) const {
  if (request == requests) return true;
  return per_connection != 0 && request % per_connection == 0;
}

uint32_t Plan::connections() const {
  return requests == 0 ? 0 : connection_of(requests);
}

std::string Plan::describe() const {
  const std::string per =
      per_connection == 0 || per_connection >= requests
          ? std::string("all on one connection")
          : fmt::format("{} per connection ({} connections)", per_connection, connections());
  return fmt::format("{} request{} of {} write{} x {} bytes, {}-byte responses, {}", requests,
                     requests == 1 ? "" : "s", writes, writes == 1 ? "" : "s", write_size,
                     response_size, per);
}

std::variant<Plan, std::string> make_plan(const PlanArgs& a) {
  Plan p;
  if (a.requests < 1 || a.requests > kMaxRequests)
    return fmt::format("--requests: {} is not in 1..{}", a.requests, kMaxRequests);
  p.requests = a.requests;
  if (a.writes < 1 || a.writes > kMaxWrites)
    return fmt::format("--writes: {} is not in 1..{}", a.writes, kMaxWrites);
  p.writes = a.writes;

  const auto write_size = app::parse_byte_size(a.write_size);
  if (!write_size) return fmt::format("--write-size: '{}' is not a byte count", a.write_size);
  if (*write_size < 1 || *write_size > kMaxWriteSize)
    return fmt::format("--write-size: {} is not in 1..{} bytes", *write_size, kMaxWriteSize);
  p.write_size = *write_size;
  if (p.request_bytes() > kMaxRequestBytes)
    return fmt::format("--writes x --write-size: {} bytes per request is more than {}",
                       p.request_bytes(), kMaxRequestBytes);

  const auto response_size = app::parse_byte_size(a.response_size);
  if (!response_size)
    return fmt::format("--response-size: '{}' is not a byte count", a.response_size);
  if (*response_size > kMaxResponseSize)
    return fmt::format("--response-size: {} bytes is more than {}", *response_size,
                       kMaxResponseSize);
  p.response_size = *response_size;

  p.per_connection = a.per_connection;  // any count: more than --requests means one connection
  if (!std::isfinite(a.interval_ms) || a.interval_ms < 0 || a.interval_ms > kMaxIntervalMs)
    return fmt::format("--interval: {} is not in 0..{} ms", a.interval_ms, kMaxIntervalMs);
  p.interval_ms = a.interval_ms;
  return p;
}

}  // namespace tundra::rr
