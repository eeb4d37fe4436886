// Initial sequence numbers per RFC 6528: a 4-microsecond clock plus a keyed hash of the 4-tuple,
// so that ISNs advance for reincarnated connections yet cannot be guessed off-path. The TCP
// connection asks for one when it opens (active) or answers a SYN (passive).
#pragma once

#include <array>
#include <cstdint>

#include "stack/base/time.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/tcp/siphash.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::tcp {

class IsnGenerator {
 public:
  // RFC 6528 3 asks for a secret of about 128 bits, true random or per host: the stack seeds it
  // from std::random_device, tests from a fixed value.
  explicit IsnGenerator(std::array<uint8_t, 16> secret);

  // RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
  Seq generate(wire::ipv4::Address local, uint16_t local_port, wire::ipv4::Address remote,
               uint16_t remote_port, Instant now) const;

 private:
  SipHash24 prf_;
};

}  // namespace tundra::tcp
