// UDP header parse and emit (RFC 768; RFC 1122 4.1.3.4 for the checksum rules).
#include "stack/wire/udp.hpp"

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::wire::udp {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::Truncated:
      return "truncated";
    case Error::BadLength:
      return "bad length";
    case Error::BadChecksum:
      return "bad checksum";
  }
  return "unknown";
}

Result<Repr, Error> Repr::parse(std::span<const std::byte> datagram, ipv4::Address src,
                                ipv4::Address dst) {
  if (datagram.size() < kHeaderLen) return Err{Error::Truncated};
  const std::byte* p = datagram.data();
  const uint16_t length = get16(p, field::kLength);
  if (length < kHeaderLen || length != datagram.size()) return Err{Error::BadLength};
  const uint16_t sum = get16(p, field::kChecksum);
  // RFC 768: an all-zero checksum means the sender computed none. RFC 1122 4.1.3.4: if it is
  // non-zero it must be verified and a failing datagram silently discarded.
  if (sum != 0) {
    const uint32_t pseudo =
        checksum::pseudo_header(src, dst, static_cast<uint8_t>(ipv4::Protocol::Udp), length);
    if (!checksum::verify(datagram, pseudo)) return Err{Error::BadChecksum};
  }
  Repr r;
  r.src_port = get16(p, field::kSrcPort);
  r.dst_port = get16(p, field::kDstPort);
  r.payload_len = length - kHeaderLen;
  r.had_checksum = sum != 0;
  return r;
}

void Repr::emit(std::span<std::byte> datagram, ipv4::Address src, ipv4::Address dst) const {
  std::byte* p = datagram.data();
  const auto length = static_cast<uint16_t>(kHeaderLen + payload_len);
  set16(p, field::kSrcPort, src_port);
  set16(p, field::kDstPort, dst_port);
  set16(p, field::kLength, length);
  set16(p, field::kChecksum, 0);
  const uint32_t pseudo =
      checksum::pseudo_header(src, dst, static_cast<uint8_t>(ipv4::Protocol::Udp), length);
  uint16_t sum =
      static_cast<uint16_t>(~checksum::fold(checksum::accumulate(datagram.first(length), pseudo)));
  // RFC 768: a computed checksum of zero is sent as all ones, since zero means "none".
  if (sum == 0) sum = 0xffff;
  set16(p, field::kChecksum, sum);
}

}  // namespace tundra::wire::udp
