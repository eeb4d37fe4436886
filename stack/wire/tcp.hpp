// TCP header (RFC 9293 3.1) with its options (RFC 9293 3.2, RFC 7323, RFC 2018): a view over the
// bytes and a Repr value with parse / emit. Called by stack/ip (demux) and stack/tcp (in and out).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "stack/base/result.hpp"
#include "stack/wire/field.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::wire::tcp {

constexpr size_t kMinHeaderLen = 20;
constexpr size_t kMaxHeaderLen = 60;
constexpr size_t kMaxOptionsLen = kMaxHeaderLen - kMinHeaderLen;
// RFC 7323 2.3: a shift count above 14 would allow windows of 2^30 or more.
constexpr uint8_t kMaxWindowShift = 14;
// RFC 2018 3: 40 bytes of option space hold at most 4 blocks of 8 bytes after kind and length.
constexpr size_t kMaxSackBlocks = 4;

// Why a segment was refused.
enum class Error {
  Truncated,      // fewer bytes than a minimal header
  BadDataOffset,  // data offset below 5 words, or the header runs past the segment
  BadOption,      // option length 0 or 1, running past the header, or wrong for a known option
  BadChecksum,    // checksum over pseudo-header, header and payload does not verify
};
std::string_view to_string(Error e);

// Field offsets (RFC 9293 3.1, Figure 1), in one place.
namespace field {
constexpr size_t kSrcPort = 0, kDstPort = 2, kSeq = 4, kAck = 8, kDataOffset = 12, kFlags = 13,
                 kWindow = 14, kChecksum = 16, kUrgent = 18, kOptions = 20;
}

// Option kinds (IANA "TCP Option Kind Numbers") and their fixed lengths.
namespace option {
constexpr uint8_t kEnd = 0, kNop = 1, kMss = 2, kWindowScale = 3, kSackPermitted = 4, kSack = 5,
                  kTimestamps = 8;
constexpr uint8_t kMssLen = 4, kWindowScaleLen = 3, kSackPermittedLen = 2, kTimestampsLen = 10;
}  // namespace option

// One control bit, with its value in the flags byte (RFC 9293 3.1).
enum class Flag : uint8_t {
  Fin = 0x01,
  Syn = 0x02,
  Rst = 0x04,
  Psh = 0x08,
  Ack = 0x10,
  Urg = 0x20,
  Ece = 0x40,
  Cwr = 0x80,
};

// The control bits of a segment as a small typed set.
class Flags {
 public:
  constexpr Flags() = default;
  constexpr Flags(Flag f) : bits_(static_cast<uint8_t>(f)) {}  // NOLINT: a flag is a set of one
  static constexpr Flags from_bits(uint8_t bits) {
    Flags f;
    f.bits_ = bits;
    return f;
  }
  constexpr uint8_t bits() const { return bits_; }

  constexpr bool has(Flag f) const { return (bits_ & static_cast<uint8_t>(f)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool fin() const { return has(Flag::Fin); }
  constexpr bool syn() const { return has(Flag::Syn); }
  constexpr bool rst() const { return has(Flag::Rst); }
  constexpr bool psh() const { return has(Flag::Psh); }
  constexpr bool ack() const { return has(Flag::Ack); }
  constexpr bool urg() const { return has(Flag::Urg); }
  constexpr bool ece() const { return has(Flag::Ece); }
  constexpr bool cwr() const { return has(Flag::Cwr); }

  constexpr Flags& set(Flag f, bool on = true) {
    bits_ = on ? static_cast<uint8_t>(bits_ | static_cast<uint8_t>(f))
               : static_cast<uint8_t>(bits_ & ~static_cast<uint8_t>(f));
    return *this;
  }
  constexpr Flags& operator|=(Flags o) {
    bits_ = static_cast<uint8_t>(bits_ | o.bits_);
    return *this;
  }
  constexpr bool operator==(const Flags&) const = default;

  // tcpdump's notation, so logs read like captures: "[S]", "[S.]", "[P.]", "[F.]", "[R]", and
  // "[none]" for a segment without flags. Letters come in tcpdump's order F S R P . U E W.
  std::string to_string() const;

 private:
  uint8_t bits_ = 0;
};

// At namespace scope so that Flags | Flag and Flag | Flags convert; Flag | Flag needs its own
// overload, since operators on two enumerations consider no conversions.
constexpr Flags operator|(Flags a, Flags b) {
  return Flags::from_bits(static_cast<uint8_t>(a.bits() | b.bits()));
}
constexpr Flags operator|(Flag a, Flag b) {
  return Flags(a) | Flags(b);
}

// RFC 7323 3.2: the Timestamps option.
struct Timestamps {
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  constexpr bool operator==(const Timestamps&) const = default;
};

// RFC 2018 3: one block of received data, [left, right) in raw sequence numbers.
struct SackBlock {
  uint32_t left = 0;
  uint32_t right = 0;
  constexpr bool operator==(const SackBlock&) const = default;
};

// Up to four SACK blocks held inline, so a Repr never allocates.
class SackBlocks {
 public:
  constexpr SackBlocks() = default;
  constexpr size_t size() const { return n_; }
  constexpr bool empty() const { return n_ == 0; }
  constexpr bool full() const { return n_ == kMaxSackBlocks; }
  // Adds a block; returns false (and changes nothing) when four are already held.
  constexpr bool push_back(SackBlock b) {
    if (full()) return false;
    blocks_[n_++] = b;
    return true;
  }
  constexpr void clear() { n_ = 0; }
  constexpr const SackBlock& operator[](size_t i) const { return blocks_[i]; }
  constexpr const SackBlock* begin() const { return blocks_.data(); }
  constexpr const SackBlock* end() const { return blocks_.data() + n_; }
  constexpr std::span<const SackBlock> view() const { return {blocks_.data(), n_}; }
  constexpr bool operator==(const SackBlocks& o) const {
    if (n_ != o.n_) return false;
    for (size_t i = 0; i < n_; ++i)
      if (!(blocks_[i] == o.blocks_[i])) return false;
    return true;
  }

 private:
  std::array<SackBlock, kMaxSackBlocks> blocks_{};
  size_t n_ = 0;
};

// The options tundra understands. Others are skipped by their length on input (RFC 9293 3.1,
// MUST-6) and never sent. Whether an option is allowed on a given segment (MSS or window scale
// only with SYN, RFC 9293 3.2 MUST-65, RFC 7323 2.2) is for stack/tcp to judge, not the wire.
struct Options {
  std::optional<uint16_t> mss;           // RFC 9293 3.2 / 3.7.1
  std::optional<uint8_t> window_scale;   // RFC 7323 2.2: shift count, at most 14 after parse
  bool window_scale_clamped = false;     // RFC 7323 2.3: the peer sent more than 14 ("SHOULD log")
  bool sack_permitted = false;           // RFC 2018 2
  std::optional<Timestamps> timestamps;  // RFC 7323 3.2
  SackBlocks sack;                       // RFC 2018 3

  bool operator==(const Options&) const = default;
};

// Read and write access to a TCP header in place. Unchecked: parse() checks.
template <class Byte>
class View {
 public:
  explicit View(std::span<Byte> bytes) : b_(bytes) {}

  uint16_t src_port() const { return get16(b_.data(), field::kSrcPort); }
  uint16_t dst_port() const { return get16(b_.data(), field::kDstPort); }
  uint32_t seq() const { return get32(b_.data(), field::kSeq); }
  uint32_t ack() const { return get32(b_.data(), field::kAck); }
  // Header length in bytes (the data offset field counts 32-bit words).
  size_t header_len() const {
    return static_cast<size_t>(get8(b_.data(), field::kDataOffset) >> 4) * 4;
  }
  Flags flags() const { return Flags::from_bits(get8(b_.data(), field::kFlags)); }
  uint16_t window() const { return get16(b_.data(), field::kWindow); }
  uint16_t checksum() const { return get16(b_.data(), field::kChecksum); }
  uint16_t urgent() const { return get16(b_.data(), field::kUrgent); }

  std::span<Byte> header() const { return b_.first(header_len()); }
  std::span<Byte> options() const {
    return b_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen);
  }
  std::span<Byte> payload() const { return b_.subspan(header_len()); }

  void set_window(uint16_t v) requires(!std::is_const_v<Byte>) {
    set16(b_.data(), field::kWindow, v);
  }
  void set_checksum(uint16_t v) requires(!std::is_const_v<Byte>) {
    set16(b_.data(), field::kChecksum, v);
  }

 private:
  std::span<Byte> b_;
};

// A parsed TCP header as a plain value. Sequence and acknowledgment numbers stay raw here;
// wrap-around arithmetic belongs to stack/tcp.
struct Repr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  Flags flags;
  uint16_t window = 0;  // as on the wire, not scaled
  uint16_t urgent = 0;
  Options options;
  size_t payload_len = 0;

  // Checks a received segment (header and payload, without the IP header): data offset, the
  // checksum over the pseudo-header built from `src` and `dst` (RFC 9293 3.1, MUST-3), and every
  // option's length. `verify_checksum` false skips the checksum: the link vouched for it
  // (Offload::checksum_unnecessary).
  static Result<Repr, Error> parse(std::span<const std::byte> segment, ipv4::Address src,
                                   ipv4::Address dst, bool verify_checksum = true);

  // 20 bytes plus the options laid out as emit() writes them, a multiple of 4 and at most 60.
  // SACK blocks that do not fit in the 40 bytes of option space are left out, newest first kept
  // (RFC 2018 4: the first block reports the most recent data).
  size_t header_len() const;
  size_t buffer_len() const { return header_len() + payload_len; }

  // Writes the header into the front of `segment`, whose header_len() bytes of room are followed
  // by the payload_len payload bytes already in place, then the checksum over pseudo-header,
  // header and payload (RFC 9293 3.1, MUST-2). Options are aligned with NOPs the way Linux
  // aligns them, so a Linux segment re-emitted comes out byte for byte the same. With
  // `partial_checksum` the field gets only the pseudo-header sum, uncomplemented, for a device
  // that finishes it (Offload::checksum_partial), and the payload is not read.
  void emit(std::span<std::byte> segment, ipv4::Address src, ipv4::Address dst,
            bool partial_checksum = false) const;

  bool operator==(const Repr&) const = default;
};

}  // namespace tundra::wire::tcp
