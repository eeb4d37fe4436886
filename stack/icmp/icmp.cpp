// ICMP input (echo) and error output with the RFC 1122 3.2.2 rules on when not to send.
#include "stack/icmp/icmp.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tundra::icmp {

namespace ipv4 = wire::ipv4;
using wire::icmp::Type;

Icmp::Icmp(ip::Ipv4& ip, IcmpConfig config)
    : ip_(ip), config_(config), error_budget_(config.errors_per_second, config.error_burst) {}

void Icmp::input(const ipv4::Repr& ip_header, PacketBuffer message, Instant now) {
  ++counters_.received;
  auto parsed = wire::icmp::Repr::parse(message.bytes());
  if (!parsed) {
    if (parsed.error() == wire::icmp::Error::Truncated)
      ++counters_.truncated;
    else
      ++counters_.bad_checksum;
    return;
  }
  if (parsed->type == static_cast<uint8_t>(Type::EchoRequest)) {
    ++counters_.echo_requests;
    if (ip_.is_broadcast(ip_header.dst) && !config_.reply_to_broadcast_echo) {
      ++counters_.broadcast_echo_ignored;
      return;
    }
    answer_echo(ip_header, *parsed, std::move(message), now);
    return;
  }
  ++counters_.other_received;
}

void Icmp::answer_echo(const ipv4::Repr& ip_header, const wire::icmp::Repr& request,
                       PacketBuffer message, Instant now) {
  // RFC 792 (echo): the reply carries the request's identifier, sequence number and data. The
  // request's buffer becomes the reply: only the type and checksum change.
  wire::icmp::Repr reply = request;
  reply.type = static_cast<uint8_t>(Type::EchoReply);
  reply.code = 0;
  reply.emit(message.bytes());
  // RFC 1122 3.2.2.6: the reply's source is the address the request was sent to (ours).
  ip::SendParams p;
  p.src = ip_.address();
  p.dst = ip_header.src;
  p.protocol = static_cast<uint8_t>(ipv4::Protocol::Icmp);
  if (!ip_.output(p, std::move(message), now)) ++counters_.echo_replies_sent;
}

void Icmp::send_error(Type type, uint8_t code, const ipv4::Repr& original,
                      std::span<const std::byte> original_payload, Instant now) {
  // RFC 1122 3.2.2: never about an ICMP error, a datagram sent to a broadcast or multicast
  // address, a non-initial fragment, or one whose source is not a single host.
  bool suppress = ip_.is_broadcast(original.dst) || original.dst.is_multicast() ||
                  original.frag_offset != 0 || original.src.is_unspecified() ||
                  original.src.is_loopback() || ip_.is_broadcast(original.src);
  if (!suppress && original.protocol == static_cast<uint8_t>(ipv4::Protocol::Icmp)) {
    if (original_payload.empty()) {
      suppress = true;
    } else {
      const auto t = static_cast<Type>(original_payload[0]);
      suppress = !(t == Type::EchoRequest || t == Type::EchoReply);
    }
  }
  if (suppress) {
    ++counters_.errors_suppressed;
    return;
  }
  if (!error_budget_.take(now)) {
    ++counters_.errors_rate_limited;
    return;
  }
  // RFC 792: the internet header plus the first 64 bits of the original datagram's data.
  const size_t quoted = std::min<size_t>(original_payload.size(), 8);
  ipv4::Repr quoted_header = original;
  quoted_header.payload_len = original_payload.size();
  PacketBuffer msg =
      PacketBuffer::with_capacity(wire::icmp::kHeaderLen + ipv4::kMinHeaderLen + quoted);
  msg.append(wire::icmp::kHeaderLen);
  quoted_header.emit(msg.append(ipv4::kMinHeaderLen));
  msg.append(original_payload.first(quoted));
  wire::icmp::Repr err;
  err.type = static_cast<uint8_t>(type);
  err.code = code;
  err.payload_len = msg.size() - wire::icmp::kHeaderLen;
  err.emit(msg.bytes());

  ip::SendParams p;
  p.dst = original.src;
  p.protocol = static_cast<uint8_t>(ipv4::Protocol::Icmp);
  if (ip_.output(p, std::move(msg), now)) return;
  if (type == Type::TimeExceeded)
    ++counters_.time_exceeded_sent;
  else
    ++counters_.unreachable_sent;
}

void Icmp::report(CounterReport& out) const {
  const auto& c = counters_;
  CounterGroup g{"icmp", {}};
  g.add("messages received", c.received);
  g.add("dropped: truncated", c.truncated);
  g.add("dropped: bad checksum", c.bad_checksum);
  g.add("echo requests received", c.echo_requests);
  g.add("echo replies sent", c.echo_replies_sent);
  g.add("broadcast echo requests ignored", c.broadcast_echo_ignored);
  g.add("other messages received", c.other_received);
  g.add("destination unreachable sent", c.unreachable_sent);
  g.add("time exceeded sent", c.time_exceeded_sent);
  g.add("errors not sent: rate limited", c.errors_rate_limited);
  g.add("errors not sent: forbidden by RFC 1122 3.2.2", c.errors_suppressed);
  out.push_back(std::move(g));
}

}  // namespace tundra::icmp
