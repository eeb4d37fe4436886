// IPv4 output: from the protocols down to the link. Routes, writes the header in place, fragments.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "stack/ip/ipv4.hpp"

namespace tundra::ip {

namespace ipv4 = wire::ipv4;

std::optional<SendError> Ipv4::output(const SendParams& params, PacketBuffer payload, Instant now) {
  if (!routes_.lookup(params.dst) && !is_broadcast(params.dst)) {
    ++counters_.no_route;
    return SendError::NoRoute;
  }
  ipv4::Repr h;
  h.src = params.src.is_unspecified() ? address() : params.src;
  h.dst = params.dst;
  h.protocol = params.protocol;
  h.ttl = params.ttl.value_or(config_.ttl);
  h.dont_fragment = params.dont_fragment;
  // RFC 6864 4.2: atomic datagrams may carry any identification; we number all datagrams.
  h.ident = next_ident_++;
  h.payload_len = payload.size();

  size_t mtu = std::min(this->mtu(), ipv4::kMaxPacketLen);
  // A TSO segment goes whole: the link cuts it into MTU-sized ones (LinkCaps::tso_max).
  if (payload.offload().gso_size > 0) mtu = std::min(link_.caps().tso_max, ipv4::kMaxPacketLen);
  if (h.buffer_len() <= mtu) {
    transmit(h, std::move(payload), now);
    return std::nullopt;
  }
  if (h.dont_fragment || payload.size() + ipv4::kMinHeaderLen > ipv4::kMaxPacketLen) {
    ++counters_.too_big_df;
    return SendError::TooBig;
  }
  // RFC 791 3.2 (fragmentation): every fragment but the last carries a multiple of 8 bytes.
  const size_t per_fragment = (mtu - ipv4::kMinHeaderLen) & ~size_t{7};
  ++counters_.fragmented;
  const auto data = payload.bytes();
  for (size_t off = 0; off < data.size(); off += per_fragment) {
    const size_t n = std::min(per_fragment, data.size() - off);
    ipv4::Repr f = h;
    f.frag_offset = off;
    f.more_fragments = off + n < data.size();
    f.payload_len = n;
    transmit(f, PacketBuffer::copy_of(data.subspan(off, n)), now);
    ++counters_.fragments_created;
  }
  return std::nullopt;
}

void Ipv4::transmit(const ipv4::Repr& header, PacketBuffer payload, Instant now) {
  header.emit(payload.prepend(ipv4::kMinHeaderLen));
  ++counters_.sent;
  link_.transmit(std::move(payload), now);
}

}  // namespace tundra::ip
