// TCP header and options parse and emit (RFC 9293 3.1-3.2, RFC 7323 2-3, RFC 2018 2-3).
#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::wire::tcp {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::Truncated:
      return "truncated header";
    case Error::BadDataOffset:
      return "bad data offset";
    case Error::BadOption:
      return "bad option";
    case Error::BadChecksum:
      return "bad checksum";
  }
  return "unknown";
}

std::string Flags::to_string() const {
  // tcpdump prints the bits in this order, ACK as a dot, so "[S.]" is a SYN-ACK.
  static constexpr std::pair<Flag, char> kLetters[] = {
      {Flag::Fin, 'F'}, {Flag::Syn, 'S'}, {Flag::Rst, 'R'}, {Flag::Psh, 'P'},
      {Flag::Ack, '.'}, {Flag::Urg, 'U'}, {Flag::Ece, 'E'}, {Flag::Cwr, 'W'},
  };
  if (empty()) return "[none]";
  std::string s = "[";
  for (const auto& [flag, letter] : kLetters)
    if (has(flag)) s += letter;
  s += ']';
  return s;
}

namespace {

constexpr uint8_t kProtocolTcp = static_cast<uint8_t>(ipv4::Protocol::Tcp);
constexpr size_t kSackBlockLen = 8;

// How emit() lays out the options, computed once for header_len() and emit() alike. Every
// group is padded with NOPs to a multiple of 4, so the total is too.
struct Layout {
  size_t sack_blocks = 0;  // how many of options.sack fit
  size_t options_len = 0;
};

Layout layout_of(const Options& o) {
  Layout l;
  // MSS; then TS behind SACK-permitted or two NOPs; SACK-permitted alone behind two NOPs;
  // window scale behind one NOP.
  if (o.mss) l.options_len += 4;
  if (o.timestamps) {
    l.options_len += 12;
  } else if (o.sack_permitted) {
    l.options_len += 4;
  }
  if (o.window_scale) l.options_len += 4;
  // SACK behind two NOPs: as many blocks as the remaining space holds, the first ones kept.
  if (!o.sack.empty() && l.options_len + 4 + kSackBlockLen <= kMaxOptionsLen) {
    l.sack_blocks = std::min(o.sack.size(), (kMaxOptionsLen - l.options_len - 4) / kSackBlockLen);
    l.options_len += 4 + l.sack_blocks * kSackBlockLen;
  }
  return l;
}

// Reads the options area (RFC 9293 3.1: kind, or kind-length-data). Options need not be
// aligned (MUST-64); an option this code does not know is skipped by its length (MUST-6); an
// illegal length is refused (MUST-7) so stack/tcp can drop the segment.
bool parse_options(std::span<const std::byte> area, Options& out) {
  const std::byte* p = area.data();
  size_t i = 0;
  while (i < area.size()) {
    const uint8_t kind = get8(p, i);
    // RFC 9293 3.2: End of Option List ends parsing; what follows is padding.
    if (kind == option::kEnd) break;
    if (kind == option::kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= area.size()) return false;  // no room for the length octet
    const size_t len = get8(p, i + 1);
    if (len < 2 || i + len > area.size()) return false;
    const size_t body = i + 2;
    switch (kind) {
      case option::kMss:
        if (len != option::kMssLen) return false;
        out.mss = get16(p, body);
        break;
      case option::kWindowScale: {
        if (len != option::kWindowScaleLen) return false;
        // RFC 7323 2.3: a shift above 14 MUST be used as 14; remember it for the log.
        const uint8_t shift = get8(p, body);
        out.window_scale_clamped = shift > kMaxWindowShift;
        out.window_scale = std::min(shift, kMaxWindowShift);
        break;
      }
      case option::kSackPermitted:
        if (len != option::kSackPermittedLen) return false;
        out.sack_permitted = true;
        break;
      case option::kSack: {
        // RFC 2018 3: length 8*n+2 with at least one block; 40 bytes of space cap n at 4.
        if (len < 2 + kSackBlockLen || (len - 2) % kSackBlockLen != 0) return false;
        out.sack.clear();
        for (size_t b = body; b < i + len; b += kSackBlockLen)
          out.sack.push_back({get32(p, b), get32(p, b + 4)});
        break;
      }
      case option::kTimestamps:
        if (len != option::kTimestampsLen) return false;
        out.timestamps = Timestamps{get32(p, body), get32(p, body + 4)};
        break;
      default:
        break;
    }
    i += len;
  }
  return true;
}

// Writes the options as Linux orders and pads them, returning the bytes written.
size_t emit_options(const Options& o, const Layout& l, std::byte* p) {
  size_t i = 0;
  auto put = [&](uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    set8(p, i, a);
    set8(p, i + 1, b);
    set8(p, i + 2, c);
    set8(p, i + 3, d);
    i += 4;
  };
  if (o.mss) {
    put(option::kMss, option::kMssLen, 0, 0);
    set16(p, i - 2, *o.mss);
  }
  if (o.timestamps) {
    // SACK-permitted takes the two bytes that would otherwise be NOP padding before TS.
    if (o.sack_permitted)
      put(option::kSackPermitted, option::kSackPermittedLen, option::kTimestamps,
          option::kTimestampsLen);
    else
      put(option::kNop, option::kNop, option::kTimestamps, option::kTimestampsLen);
    set32(p, i, o.timestamps->tsval);
    set32(p, i + 4, o.timestamps->tsecr);
    i += 8;
  } else if (o.sack_permitted) {
    put(option::kNop, option::kNop, option::kSackPermitted, option::kSackPermittedLen);
  }
  if (o.window_scale)
    put(option::kNop, option::kWindowScale, option::kWindowScaleLen, *o.window_scale);
  if (l.sack_blocks > 0) {
    put(option::kNop, option::kNop, option::kSack,
        static_cast<uint8_t>(2 + l.sack_blocks * kSackBlockLen));
    for (size_t b = 0; b < l.sack_blocks; ++b) {
      set32(p, i, o.sack[b].left);
      set32(p, i + 4, o.sack[b].right);
      i += kSackBlockLen;
    }
  }
  return i;
}

}  // namespace

Result<Repr, Error> Repr::parse(std::span<const std::byte> segment, ipv4::Address src,
                                ipv4::Address dst, bool verify_checksum) {
  if (segment.size() < kMinHeaderLen) return Err{Error::Truncated};
  const View v(segment);
  const size_t hlen = v.header_len();
  if (hlen < kMinHeaderLen || hlen > segment.size()) return Err{Error::BadDataOffset};
  // RFC 9293 3.1 (MUST-3): the checksum covers the pseudo-header, header and payload. A segment
  // longer than the pseudo-header's 16-bit length can name cannot have a valid one.
  if (segment.size() > ipv4::kMaxPacketLen) return Err{Error::BadChecksum};
  const uint32_t pseudo =
      checksum::pseudo_header(src, dst, kProtocolTcp, static_cast<uint16_t>(segment.size()));
  if (verify_checksum && !checksum::verify(segment, pseudo)) return Err{Error::BadChecksum};

  Repr r;
  if (!parse_options(v.options(), r.options)) return Err{Error::BadOption};
  r.src_port = v.src_port();
  r.dst_port = v.dst_port();
  r.seq = v.seq();
  r.ack = v.ack();
  r.flags = v.flags();
  r.window = v.window();
  r.urgent = v.urgent();
  r.payload_len = segment.size() - hlen;
  return r;
}

size_t Repr::header_len() const {
  return kMinHeaderLen + layout_of(options).options_len;
}

void Repr::emit(std::span<std::byte> segment, ipv4::Address src, ipv4::Address dst,
                bool partial_checksum) const {
  const Layout l = layout_of(options);
  const size_t hlen = kMinHeaderLen + l.options_len;
  const size_t total = hlen + payload_len;
  assert(segment.size() >= total && total <= ipv4::kMaxPacketLen);
  std::byte* p = segment.data();
  set16(p, field::kSrcPort, src_port);
  set16(p, field::kDstPort, dst_port);
  set32(p, field::kSeq, seq);
  set32(p, field::kAck, ack);
  // RFC 9293 3.1: the reserved bits MUST be zero in generated segments.
  set8(p, field::kDataOffset, static_cast<uint8_t>((hlen / 4) << 4));
  set8(p, field::kFlags, flags.bits());
  set16(p, field::kWindow, window);
  set16(p, field::kChecksum, 0);
  set16(p, field::kUrgent, urgent);
  [[maybe_unused]] const size_t written = emit_options(options, l, p + field::kOptions);
  assert(written == l.options_len);

  const std::span<const std::byte> whole = segment.first(total);
  const uint32_t pseudo =
      checksum::pseudo_header(src, dst, kProtocolTcp, static_cast<uint16_t>(total));
  if (partial_checksum) {
    set16(p, field::kChecksum, checksum::fold(pseudo));
    return;
  }
  set16(p, field::kChecksum,
        static_cast<uint16_t>(~checksum::fold(checksum::accumulate(whole, pseudo))));
}

}  // namespace tundra::wire::tcp
