// ICMP for the host (RFC 792, RFC 1122 3.2.2): answers echo requests and sends rate-limited error
// messages on behalf of IPv4 and UDP. The stack hands it ICMP messages addressed to us.
#pragma once

#include <cstdint>
#include <span>

#include "stack/base/buffer.hpp"
#include "stack/base/counters.hpp"
#include "stack/base/token_bucket.hpp"
#include "stack/ip/ipv4.hpp"
#include "stack/wire/icmp.hpp"

namespace tundra::icmp {

struct IcmpConfig {
  double errors_per_second = 100;  // RFC 1122 3.2.2: the rate of error messages must be limitable
  double error_burst = 20;
  bool reply_to_broadcast_echo = false;  // RFC 1122 3.2.2.6 allows either; Linux ignores them
};

struct IcmpCounters {
  uint64_t received = 0, truncated = 0, bad_checksum = 0;
  uint64_t echo_requests = 0, echo_replies_sent = 0, broadcast_echo_ignored = 0;
  uint64_t other_received = 0;  // replies, errors and types we only count for now
  uint64_t unreachable_sent = 0, time_exceeded_sent = 0;
  uint64_t errors_rate_limited = 0, errors_suppressed = 0;  // suppressed: RFC 1122 3.2.2 "MUST NOT"
};

class Icmp {
 public:
  Icmp(ip::Ipv4& ip, IcmpConfig config = {});

  // A message addressed to us; `message` starts at the ICMP header.
  void input(const wire::ipv4::Repr& ip_header, PacketBuffer message, Instant now);

  // Sends an error of `type`/`code` about a received datagram: its header and the first 8 bytes
  // of its payload are quoted (RFC 792). Suppressed where RFC 1122 3.2.2 forbids, rate limited.
  void send_error(wire::icmp::Type type, uint8_t code, const wire::ipv4::Repr& original,
                  std::span<const std::byte> original_payload, Instant now);

  const IcmpCounters& counters() const { return counters_; }
  void report(CounterReport& out) const;

 private:
  void answer_echo(const wire::ipv4::Repr& ip_header, const wire::icmp::Repr& request,
                   PacketBuffer message, Instant now);

  ip::Ipv4& ip_;
  IcmpConfig config_;
  TokenBucket error_budget_;
  IcmpCounters counters_;
};

}  // namespace tundra::icmp
