// Packet lines for the tracer, built from the wire/ parsers so they say what the stack will see.
#include "netif/tracer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"

namespace tundra::netif {

namespace ipv4 = wire::ipv4;

namespace {

std::string icmp_line(const ipv4::Repr& ip, std::span<const std::byte> msg) {
  auto r = wire::icmp::Repr::parse(msg);
  if (!r)
    return fmt::format("{} > {}: ICMP {}", ip.src.to_string(), ip.dst.to_string(),
                       wire::icmp::to_string(r.error()));
  std::string what;
  switch (static_cast<wire::icmp::Type>(r->type)) {
    case wire::icmp::Type::EchoRequest:
    case wire::icmp::Type::EchoReply:
      what = fmt::format("echo {}, id {}, seq {}", r->type == 8 ? "request" : "reply", r->ident(),
                         r->seq());
      break;
    case wire::icmp::Type::DestUnreachable:
      what = fmt::format("unreachable code {}", r->code);
      break;
    case wire::icmp::Type::TimeExceeded:
      what = fmt::format("time exceeded code {}", r->code);
      break;
    default:
      what = fmt::format("type {} code {}", r->type, r->code);
  }
  return fmt::format("{} > {}: ICMP {}, length {}", ip.src.to_string(), ip.dst.to_string(), what,
                     r->payload_len);
}

std::string udp_line(const ipv4::Repr& ip, std::span<const std::byte> dgram) {
  auto r = wire::udp::Repr::parse(dgram, ip.src, ip.dst);
  if (!r)
    return fmt::format("{} > {}: UDP {}", ip.src.to_string(), ip.dst.to_string(),
                       wire::udp::to_string(r.error()));
  return fmt::format("{}.{} > {}.{}: UDP, length {}", ip.src.to_string(), r->src_port,
                     ip.dst.to_string(), r->dst_port, r->payload_len);
}

std::string tcp_line(const ipv4::Repr& ip, std::span<const std::byte> seg) {
  auto r = wire::tcp::Repr::parse(seg, ip.src, ip.dst);
  if (!r)
    return fmt::format("{} > {}: TCP {}", ip.src.to_string(), ip.dst.to_string(),
                       wire::tcp::to_string(r.error()));
  std::string line = fmt::format("{}.{} > {}.{}: Flags {}, seq {}", ip.src.to_string(), r->src_port,
                                 ip.dst.to_string(), r->dst_port, r->flags.to_string(), r->seq);
  if (r->flags.ack()) line += fmt::format(", ack {}", r->ack);
  line += fmt::format(", win {}", r->window);
  const auto& o = r->options;
  std::string opts;
  auto add = [&](const std::string& x) { opts += (opts.empty() ? "" : ",") + x; };
  if (o.mss) add(fmt::format("mss {}", *o.mss));
  if (o.sack_permitted) add("sackOK");
  if (o.timestamps) add(fmt::format("TS val {} ecr {}", o.timestamps->tsval, o.timestamps->tsecr));
  if (o.window_scale) add(fmt::format("wscale {}", *o.window_scale));
  for (const auto& b : o.sack)
    add(fmt::format("sack {}:{}", b.left, b.right));
  if (!opts.empty()) line += ", options [" + opts + "]";
  return line + fmt::format(", length {}", r->payload_len);
}

}  // namespace

std::string describe_datagram(std::span<const std::byte> datagram) {
  auto ip = ipv4::Repr::parse(datagram);
  if (!ip)
    return fmt::format("malformed IPv4 ({}), {} bytes", ipv4::to_string(ip.error()),
                       datagram.size());
  const auto payload = datagram.subspan(ip->header_len, ip->payload_len);
  std::string frag;
  if (ip->is_fragment())
    frag = fmt::format(" [frag id {} off {}{}]", ip->ident, ip->frag_offset,
                       ip->more_fragments ? " MF" : "");
  // Only a first fragment carries the transport header.
  if (ip->frag_offset != 0)
    return fmt::format("{} > {}: proto {}{}, length {}", ip->src.to_string(), ip->dst.to_string(),
                       ip->protocol, frag, ip->payload_len);
  const std::string ttl = fmt::format(" ttl {}", ip->ttl);
  if (ip->more_fragments)
    return fmt::format("{} > {}: proto {}{}{}, length {}", ip->src.to_string(), ip->dst.to_string(),
                       ip->protocol, frag, ttl, ip->payload_len);
  switch (static_cast<ipv4::Protocol>(ip->protocol)) {
    case ipv4::Protocol::Icmp:
      return icmp_line(*ip, payload) + ttl;
    case ipv4::Protocol::Udp:
      return udp_line(*ip, payload) + ttl;
    case ipv4::Protocol::Tcp:
      return tcp_line(*ip, payload) + ttl;
    default:
      return fmt::format("{} > {}: proto {}{}, length {}", ip->src.to_string(), ip->dst.to_string(),
                         ip->protocol, ttl, ip->payload_len);
  }
}

std::optional<PacketBuffer> Tracer::receive(Instant now) {
  auto p = inner_->receive(now);
  if (p && spdlog::should_log(spdlog::level::debug))
    spdlog::debug("{} IN  {}", now.to_string(), describe_datagram(p->bytes()));
  return p;
}

void Tracer::transmit(PacketBuffer packet, Instant now) {
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("{} OUT {}", now.to_string(), describe_datagram(packet.bytes()));
  inner_->transmit(std::move(packet), now);
}

}  // namespace tundra::netif
