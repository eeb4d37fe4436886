// IPv4 input: from the link up to the protocols. Validates, filters by destination, reassembles.
#include <spdlog/spdlog.h>

#include "stack/ip/ipv4.hpp"

namespace tundra::ip {

namespace ipv4 = wire::ipv4;

Ipv4::Ipv4(netif::Link& link, Ipv4Config config)
    : link_(link),
      config_(config),
      reassembler_(config.reassembly),
      next_ident_(config.first_ident) {
  routes_.add(Route{config_.address, std::nullopt});
  if (config_.gateway) routes_.set_default_gateway(*config_.gateway);
}

bool Ipv4::is_broadcast(ipv4::Address dst) const {
  // RFC 1122 3.2.1.3: the limited broadcast and the directed broadcast of our own prefix.
  return dst.is_broadcast() ||
         (config_.address.prefix_len < 31 && dst == config_.address.broadcast());
}

bool Ipv4::accepts(ipv4::Address dst) const {
  return dst == address() || is_broadcast(dst);
}

size_t Ipv4::mtu() const {
  return link_.caps().mtu;
}

std::optional<Delivery> Ipv4::input(PacketBuffer datagram, Instant now) {
  ++counters_.received;
  auto parsed = ipv4::Repr::parse(datagram.bytes());
  if (!parsed) {
    switch (parsed.error()) {
      case ipv4::Error::Truncated:
        ++counters_.truncated;
        break;
      case ipv4::Error::BadVersion:
        ++counters_.bad_version;
        break;
      case ipv4::Error::BadHeaderLength:
        ++counters_.bad_header_len;
        break;
      case ipv4::Error::BadTotalLength:
        ++counters_.bad_total_len;
        break;
      case ipv4::Error::BadChecksum:
        ++counters_.bad_checksum;
        break;
      case ipv4::Error::BadFragment:
        ++counters_.bad_fragment;
        break;
      case ipv4::Error::BadSourceAddress:
        ++counters_.bad_source;
        break;
    }
    SPDLOG_DEBUG("ipv4: dropped datagram: {}", ipv4::to_string(parsed.error()));
    return std::nullopt;
  }
  const ipv4::Repr& h = *parsed;
  // RFC 1122 3.2.1.3: a host silently discards datagrams not addressed to it (we do not forward).
  if (!accepts(h.dst)) {
    ++counters_.not_for_us;
    return std::nullopt;
  }
  // RFC 1122 3.2.1.8: options we do not act on are skipped; the header length covers them.
  if (h.header_len > ipv4::kMinHeaderLen) ++counters_.with_options;
  datagram.trim_front(h.header_len);

  if (!h.is_fragment()) {
    ++counters_.delivered;
    return Delivery{h, std::move(datagram)};
  }
  auto whole = reassembler_.add(h, datagram.bytes(), now);
  if (!whole) return std::nullopt;
  ++counters_.delivered;
  return Delivery{whole->header, std::move(whole->payload)};
}

void Ipv4::report(CounterReport& out) const {
  const auto& c = counters_;
  CounterGroup g{"ipv4", {}};
  g.add("datagrams received", c.received);
  g.add("datagrams delivered to protocols", c.delivered);
  g.add("dropped: truncated header", c.truncated);
  g.add("dropped: bad version", c.bad_version);
  g.add("dropped: bad header length", c.bad_header_len);
  g.add("dropped: bad total length", c.bad_total_len);
  g.add("dropped: bad header checksum", c.bad_checksum);
  g.add("dropped: bad fragment fields", c.bad_fragment);
  g.add("dropped: bad source address", c.bad_source);
  g.add("dropped: not for us", c.not_for_us);
  g.add("received with options (skipped)", c.with_options);
  const auto& r = reassembler_.stats();
  g.add("fragments received", r.fragments);
  g.add("datagrams reassembled", r.reassembled);
  g.add("reassembly: timed out", r.timeouts);
  g.add("reassembly: overlapping fragments (datagram dropped)", r.overlaps);
  g.add("reassembly: duplicate fragments", r.duplicates);
  g.add("reassembly: dropped over memory cap", r.over_memory);
  g.add("reassembly: bad fragments", r.bad);
  g.add("datagrams sent", c.sent);
  g.add("datagrams fragmented", c.fragmented);
  g.add("fragments created", c.fragments_created);
  g.add("output dropped: no route", c.no_route);
  g.add("output dropped: too big with DF", c.too_big_df);
  out.push_back(std::move(g));
}

}  // namespace tundra::ip
