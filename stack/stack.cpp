// The stack's poll: link → IPv4 → protocols on the way up, socket queues → IPv4 → link on the way
// down, reassembly timers in between.
#include "stack/stack.hpp"

#include <spdlog/spdlog.h>

namespace tundra {

namespace ipv4 = wire::ipv4;

namespace {
// The link's offloads, for TCP to use (LinkCaps).
StackConfig with_link_caps(StackConfig c, const netif::LinkCaps& caps) {
  c.tcp.checksum_offload = caps.checksum_offload;
  c.tcp.tso_max = caps.tso_max;
  return c;
}

StackConfig seeded(StackConfig c) {
  // One seed spreads into the parts that need randomness, each with a different stream.
  c.ipv4.first_ident = static_cast<uint16_t>(c.seed * 0x9e3779b97f4a7c15ull >> 48);
  c.udp.seed = c.seed ^ 0x5bd1e995u;
  return c;
}
}  // namespace

Stack::Stack(netif::Link& link, StackConfig config)
    : link_(link),
      config_(with_link_caps(seeded(config), link.caps())),
      ipv4_(link, config_.ipv4),
      icmp_(ipv4_, config_.icmp),
      udp_(ipv4_, config_.udp),
      tcp_(ipv4_, config_.tcp, config_.seed * 0x2545f4914f6cdd1dull + 1) {}

bool Stack::handle(PacketBuffer datagram, Instant now) {
  auto d = ipv4_.input(std::move(datagram), now);
  if (!d) return false;
  switch (static_cast<ipv4::Protocol>(d->header.protocol)) {
    case ipv4::Protocol::Icmp:
      icmp_.input(d->header, std::move(d->payload), now);
      return false;
    case ipv4::Protocol::Udp: {
      const auto r = udp_.input(d->header, d->payload);
      if (r == udp::InputResult::NoListener && !ipv4_.is_broadcast(d->header.dst)) {
        // RFC 1122 4.1.3.1: a datagram for a port with no socket gets Port Unreachable.
        icmp_.send_error(wire::icmp::Type::DestUnreachable, wire::icmp::unreachable::kPort,
                         d->header, d->payload.bytes(), now);
      }
      return r == udp::InputResult::Delivered;
    }
    case ipv4::Protocol::Tcp:
      tcp_.input(d->header, d->payload, now);
      return true;
    default:
      // RFC 1122 3.2.2.1: Protocol Unreachable for a transport we do not have.
      ++unknown_protocol_;
      icmp_.send_error(wire::icmp::Type::DestUnreachable, wire::icmp::unreachable::kProtocol,
                       d->header, d->payload.bytes(), now);
      return false;
  }
}

PollResult Stack::poll(Instant now) {
  PollResult r;
  link_.poll(now);
  tcp_.begin_batch();
  while (r.received < config_.rx_batch) {
    auto datagram = link_.receive(now);
    if (!datagram) break;
    ++r.received;
    if (handle(std::move(*datagram), now)) r.socket_activity = true;
  }
  tcp_.end_batch();
  for (const auto& e : ipv4_.poll(now)) {
    // RFC 792 / RFC 1122 3.3.2: tell the sender its datagram could not be reassembled in time,
    // when its first fragment arrived.
    icmp_.send_error(wire::icmp::Type::TimeExceeded, wire::icmp::time_exceeded::kReassembly,
                     e.header, e.first_bytes, now);
  }
  if (udp_.has_output()) {
    udp_.poll(now);
    r.socket_activity = true;
  }
  // TCP: connections the application touched, then timers that are due.
  if (tcp_.has_output() || (tcp_.poll_at() && *tcp_.poll_at() <= now)) {
    tcp_.poll(now);
    r.socket_activity = true;
  }
  link_.poll(now);
  r.more = r.received == config_.rx_batch;
  return r;
}

std::optional<Instant> Stack::poll_at() const {
  return netif::earliest(netif::earliest(ipv4_.poll_at(), link_.poll_at()), tcp_.poll_at());
}

CounterReport Stack::report() const {
  CounterReport out;
  ipv4_.report(out);
  out.back().add("dropped: unknown protocol", unknown_protocol_);
  icmp_.report(out);
  udp_.report(out);
  tcp_.report(out);
  link_.report(out);
  return out;
}

}  // namespace tundra
