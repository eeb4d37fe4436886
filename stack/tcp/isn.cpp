// RFC 6528 initial sequence number generation; called by the TCP connection when it opens.
#include "stack/tcp/isn.hpp"

namespace tundra::tcp {

IsnGenerator::IsnGenerator(std::array<uint8_t, 16> secret) : prf_(secret) {}

Seq IsnGenerator::generate(wire::ipv4::Address local, uint16_t local_port,
                           wire::ipv4::Address remote, uint16_t remote_port, Instant now) const {
  // F()'s input is the connection-id in wire order: local address and port, then the remote's.
  std::array<std::byte, 12> id{};
  const auto put16 = [&](size_t at, uint16_t v) {
    id[at] = static_cast<std::byte>(v >> 8);
    id[at + 1] = static_cast<std::byte>(v & 0xff);
  };
  local.to_bytes(std::span(id).subspan<0, 4>());
  put16(4, local_port);
  remote.to_bytes(std::span(id).subspan<6, 4>());
  put16(10, remote_port);
  // Only 32 bits of F() are needed; SipHash's output bits are all equally unpredictable.
  const auto f = static_cast<uint32_t>(prf_(id));

  // M, the timer ticking every 4 microseconds (RFC 6528 3, after RFC 793's ISN clock). Shifting
  // the two's-complement bits is floor division by 4 modulo 2^32, so M keeps ticking forward even
  // across an Instant origin that puts `now` below zero.
  const auto m = static_cast<uint32_t>(static_cast<uint64_t>(now.micros()) >> 2);
  return Seq(m + f);
}

}  // namespace tundra::tcp
