// IPv4 header parse and emit (RFC 791 3.1; RFC 1122 3.2.1 for the receive checks).
#include "stack/wire/ipv4.hpp"

#include "stack/wire/checksum.hpp"

namespace tundra::wire::ipv4 {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::Truncated:
      return "truncated header";
    case Error::BadVersion:
      return "bad version";
    case Error::BadHeaderLength:
      return "bad header length";
    case Error::BadTotalLength:
      return "bad total length";
    case Error::BadChecksum:
      return "bad header checksum";
    case Error::BadFragment:
      return "bad fragment fields";
    case Error::BadSourceAddress:
      return "bad source address";
  }
  return "unknown";
}

Result<Repr, Error> Repr::parse(std::span<const std::byte> datagram) {
  if (datagram.size() < kMinHeaderLen) return Err{Error::Truncated};
  const View v(datagram);
  // RFC 1122 3.2.1.1: silently discard a datagram whose version is not 4.
  if (v.version() != 4) return Err{Error::BadVersion};
  const size_t hlen = v.header_len();
  if (hlen < kMinHeaderLen || hlen > datagram.size()) return Err{Error::BadHeaderLength};
  // RFC 1122 3.2.1.2 checksum over the header (options included).
  if (!checksum::verify(datagram.first(hlen))) return Err{Error::BadChecksum};
  // A TUN read is exactly one datagram: the total length must match it, and cover the header.
  if (v.total_len() != datagram.size() || v.total_len() < hlen) return Err{Error::BadTotalLength};
  if (v.frag_offset() + (v.total_len() - hlen) > kMaxPacketLen) return Err{Error::BadFragment};
  if (v.dont_fragment() && (v.more_fragments() || v.frag_offset() != 0))
    return Err{Error::BadFragment};
  // RFC 1122 3.2.1.3: a datagram from a broadcast or multicast source is discarded.
  if (v.src().is_broadcast() || v.src().is_multicast()) return Err{Error::BadSourceAddress};

  Repr r;
  r.src = v.src();
  r.dst = v.dst();
  r.protocol = v.protocol();
  r.ttl = v.ttl();
  r.dscp_ecn = v.dscp_ecn();
  r.ident = v.ident();
  r.dont_fragment = v.dont_fragment();
  r.more_fragments = v.more_fragments();
  r.frag_offset = v.frag_offset();
  r.header_len = hlen;
  r.payload_len = v.total_len() - hlen;
  return r;
}

void Repr::emit(std::span<std::byte> out) const {
  std::byte* p = out.data();
  set8(p, field::kVerIhl, 0x45);
  set8(p, field::kDscpEcn, dscp_ecn);
  set16(p, field::kLength, static_cast<uint16_t>(kMinHeaderLen + payload_len));
  set16(p, field::kIdent, ident);
  uint16_t flags = static_cast<uint16_t>((frag_offset / 8) & kFragOffsetMask);
  if (dont_fragment) flags |= kFlagDontFragment;
  if (more_fragments) flags |= kFlagMoreFragments;
  set16(p, field::kFlagsFrag, flags);
  set8(p, field::kTtl, ttl);
  set8(p, field::kProtocol, protocol);
  set16(p, field::kChecksum, 0);
  set32(p, field::kSrc, src.value());
  set32(p, field::kDst, dst.value());
  set16(p, field::kChecksum, checksum::compute(out.first(kMinHeaderLen)));
}

}  // namespace tundra::wire::ipv4
