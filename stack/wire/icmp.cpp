// ICMP header parse and emit (RFC 792).
#include "stack/wire/icmp.hpp"

#include "stack/wire/checksum.hpp"

namespace tundra::wire::icmp {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::Truncated:
      return "truncated";
    case Error::BadChecksum:
      return "bad checksum";
  }
  return "unknown";
}

Result<Repr, Error> Repr::parse(std::span<const std::byte> message) {
  if (message.size() < kHeaderLen) return Err{Error::Truncated};
  // RFC 792: the checksum covers the whole ICMP message, starting with the type.
  if (!checksum::verify(message)) return Err{Error::BadChecksum};
  Repr r;
  r.type = get8(message.data(), field::kType);
  r.code = get8(message.data(), field::kCode);
  r.rest = get32(message.data(), field::kRest);
  r.payload_len = message.size() - kHeaderLen;
  return r;
}

void Repr::emit(std::span<std::byte> message) const {
  std::byte* p = message.data();
  set8(p, field::kType, type);
  set8(p, field::kCode, code);
  set16(p, field::kChecksum, 0);
  set32(p, field::kRest, rest);
  set16(p, field::kChecksum, checksum::compute(message.first(kHeaderLen + payload_len)));
}

}  // namespace tundra::wire::icmp
