// IPv4 header (RFC 791 3.1): a view over the bytes and a Repr value with parse / emit.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "stack/base/result.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/field.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::wire::ipv4 {

constexpr size_t kMinHeaderLen = 20;
constexpr size_t kMaxHeaderLen = 60;
constexpr size_t kMaxPacketLen = 65535;

// Assigned protocol numbers that tundra handles.
enum class Protocol : uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

// Why a datagram was refused. Each reason has its own counter.
enum class Error {
  Truncated,         // fewer bytes than a minimal header
  BadVersion,        // version is not 4
  BadHeaderLength,   // IHL < 5, or the header runs past the bytes received
  BadTotalLength,    // total length beyond, or short of, the bytes received (or below IHL)
  BadChecksum,       // header checksum does not verify
  BadFragment,       // fragment fields inconsistent (offset + length beyond 65535, DF with MF)
  BadSourceAddress,  // source is broadcast or multicast (RFC 1122 3.2.1.3)
};
std::string_view to_string(Error e);

// Field offsets (RFC 791 3.1), in one place.
namespace field {
constexpr size_t kVerIhl = 0, kDscpEcn = 1, kLength = 2, kIdent = 4, kFlagsFrag = 6, kTtl = 8,
                 kProtocol = 9, kChecksum = 10, kSrc = 12, kDst = 16;
}

// Flag bits in the flags/fragment-offset word.
constexpr uint16_t kFlagDontFragment = 0x4000;
constexpr uint16_t kFlagMoreFragments = 0x2000;
constexpr uint16_t kFragOffsetMask = 0x1fff;

// Read and write access to an IPv4 header in place. Unchecked: parse() checks.
template <class Byte>
class View {
 public:
  explicit View(std::span<Byte> bytes) : b_(bytes) {}

  uint8_t version() const { return get8(b_.data(), field::kVerIhl) >> 4; }
  size_t header_len() const {
    return static_cast<size_t>(get8(b_.data(), field::kVerIhl) & 0x0fu) * 4;
  }
  uint8_t dscp_ecn() const { return get8(b_.data(), field::kDscpEcn); }
  uint16_t total_len() const { return get16(b_.data(), field::kLength); }
  uint16_t ident() const { return get16(b_.data(), field::kIdent); }
  bool dont_fragment() const { return get16(b_.data(), field::kFlagsFrag) & kFlagDontFragment; }
  bool more_fragments() const { return get16(b_.data(), field::kFlagsFrag) & kFlagMoreFragments; }
  // Fragment offset in bytes (the field counts 8-byte units).
  size_t frag_offset() const {
    return static_cast<size_t>(get16(b_.data(), field::kFlagsFrag) & kFragOffsetMask) * 8;
  }
  uint8_t ttl() const { return get8(b_.data(), field::kTtl); }
  uint8_t protocol() const { return get8(b_.data(), field::kProtocol); }
  uint16_t checksum() const { return get16(b_.data(), field::kChecksum); }
  Address src() const { return Address(get32(b_.data(), field::kSrc)); }
  Address dst() const { return Address(get32(b_.data(), field::kDst)); }

  std::span<Byte> header() const { return b_.first(header_len()); }
  std::span<Byte> options() const {
    return b_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen);
  }
  std::span<Byte> payload() const { return b_.subspan(header_len(), total_len() - header_len()); }

  void set_ttl(uint8_t v) requires(!std::is_const_v<Byte>) { set8(b_.data(), field::kTtl, v); }
  // Recomputes the header checksum over the current header bytes.
  void fill_checksum() requires(!std::is_const_v<Byte>);

 private:
  std::span<Byte> b_;
};

// A parsed IPv4 header as a plain value. Options are skipped on input and never sent.
struct Repr {
  Address src, dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint8_t dscp_ecn = 0;
  uint16_t ident = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  size_t frag_offset = 0;             // bytes
  size_t header_len = kMinHeaderLen;  // as received; emit() always writes 20
  size_t payload_len = 0;

  // Checks everything about a received datagram that can be checked without state: version,
  // header length, total length against the bytes received, header checksum, fragment fields.
  static Result<Repr, Error> parse(std::span<const std::byte> datagram);

  bool is_fragment() const { return more_fragments || frag_offset != 0; }
  size_t buffer_len() const { return kMinHeaderLen + payload_len; }
  // Writes a 20-byte header, checksum included, into `out` (at least 20 bytes).
  void emit(std::span<std::byte> out) const;
};

template <class Byte>
void View<Byte>::fill_checksum() requires(!std::is_const_v<Byte>) {
  set16(b_.data(), field::kChecksum, 0);
  set16(b_.data(), field::kChecksum, checksum::compute(header()));
}

}  // namespace tundra::wire::ipv4
