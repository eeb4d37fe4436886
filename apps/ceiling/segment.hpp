// tundra-ceiling's segments: reading the IPv4 + TCP headers of what the kernel sends (no checksum
// checks: the kernel made them), and per-connection header templates that each outgoing segment
// copies and patches, with checksums summed incrementally. Header-only and free of I/O, so the unit
// tests (tests/unit/ceiling_segment_test.cpp) use it as the responder (responder.cpp) does.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stack/tcp/seq.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/field.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/ipv4_address.hpp"
#include "stack/wire/tcp.hpp"

namespace tundra::ceiling {

namespace ipf = wire::ipv4::field;
namespace tcpf = wire::tcp::field;

constexpr size_t kIpHeaderLen = 20;   // ours carry no IP options
constexpr size_t kTcpHeaderLen = 20;  // nor TCP options, after the handshake
constexpr size_t kHeaderLen = kIpHeaderLen + kTcpHeaderLen;
constexpr size_t kSynAckTcpLen = kTcpHeaderLen + 8;  // MSS (4), NOP (1), window scale (3)
constexpr size_t kMaxDatagram = wire::ipv4::kMaxPacketLen;

// struct virtio_net_hdr (Virtio 1.x 5.1.6, the legacy layout a TUN device uses with IFF_VNET_HDR),
// written out here because <linux/virtio_net.h> does not compile as C++ (a member named `class`).
// Fields in native byte order: a TUN device speaks legacy virtio unless told otherwise.
struct VnetHeader {
  uint8_t flags = 0;
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0;      // bytes of headers before the payload
  uint16_t gso_size = 0;     // payload bytes per segment
  uint16_t csum_start = 0;   // where the checksummed bytes start
  uint16_t csum_offset = 0;  // where, from csum_start, the checksum goes
};
static_assert(sizeof(VnetHeader) == 10);
constexpr size_t kVnetHeaderLen = sizeof(VnetHeader);
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetGsoTcpv4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4
constexpr uint8_t kProtoTcp = static_cast<uint8_t>(wire::ipv4::Protocol::Tcp);
constexpr uint8_t kTtl = 64;
// RFC 9293 3.7.1: a peer that announces no MSS takes 536.
constexpr uint16_t kDefaultMss = 536;
// Below this a peer's MSS is not honoured: tiny segments would only measure the per-packet cost of
// a peer that asked for it (Linux refuses below 88 for the same reason).
constexpr uint16_t kMinMss = 88;
// What we advertise, always: the largest window field with the largest shift (RFC 7323 2.3).
constexpr uint16_t kWindowField = 0xffff;
constexpr uint8_t kWindowShift = wire::tcp::kMaxWindowShift;

// Control bits as raw byte values: the hot path tests and sets them directly.
namespace bits {
constexpr uint8_t kFin = static_cast<uint8_t>(wire::tcp::Flag::Fin);
constexpr uint8_t kSyn = static_cast<uint8_t>(wire::tcp::Flag::Syn);
constexpr uint8_t kRst = static_cast<uint8_t>(wire::tcp::Flag::Rst);
constexpr uint8_t kPsh = static_cast<uint8_t>(wire::tcp::Flag::Psh);
constexpr uint8_t kAck = static_cast<uint8_t>(wire::tcp::Flag::Ack);
}  // namespace bits

// What parse() found. Only Ok carries a segment.
enum class Parsed {
  Ok,
  NotIpv4,    // version is not 4 (IPv6 the kernel sent anyway, garbage)
  Malformed,  // a header length or total length that does not fit the bytes
  Fragment,   // an IPv4 fragment: never sent to us by a kernel that knows our MSS; dropped
  NotTcp,     // another protocol
};

// The fields of a received segment the responder uses; addresses and numbers in host order.
struct Segment {
  wire::ipv4::Address src, dst;
  uint16_t src_port = 0, dst_port = 0;
  tcp::Seq seq, ack;
  uint8_t flags = 0;
  uint16_t window = 0;       // the field as sent, not scaled
  uint32_t payload_len = 0;  // may be up to 64 KiB for a coalesced (GSO) datagram
  uint16_t mss = 0;          // SYN only: the MSS option, 0 when absent
  int8_t window_shift = -1;  // SYN only: the window scale option, -1 when absent

  bool has(uint8_t bit) const { return (flags & bit) != 0; }
  // The sequence space the segment takes: its data, and one each for SYN and FIN.
  uint32_t seq_len() const {
    return payload_len + (has(bits::kSyn) ? 1u : 0u) + (has(bits::kFin) ? 1u : 0u);
  }
};

// Reads the options of a SYN (RFC 9293 3.2): MSS and window scale; others are skipped. A malformed
// option list ends the reading, keeping what was found before it.
inline void parse_syn_options(const std::byte* opt, size_t len, Segment& s) {
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = wire::get8(opt, i);
    if (kind == wire::tcp::option::kEnd) return;
    if (kind == wire::tcp::option::kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return;
    const uint8_t olen = wire::get8(opt, i + 1);
    if (olen < 2 || i + olen > len) return;
    if (kind == wire::tcp::option::kMss && olen == wire::tcp::option::kMssLen)
      s.mss = wire::get16(opt, i + 2);
    else if (kind == wire::tcp::option::kWindowScale && olen == wire::tcp::option::kWindowScaleLen)
      // RFC 7323 2.3: a shift above 14 is used as 14.
      s.window_shift = static_cast<int8_t>(std::min<uint8_t>(wire::get8(opt, i + 2), 14));
    i += olen;
  }
}

// Parses an IPv4 datagram of `n` bytes at `p` (a GSO super-segment included: its total length
// covers all of it). Checksums are not verified: the kernel produced the datagram, and with
// offloads its TCP checksum is only partial.
inline Parsed parse(const std::byte* p, size_t n, Segment& s) {
  if (n < kIpHeaderLen)
    return n > 0 && (wire::get8(p, 0) >> 4) != 4 ? Parsed::NotIpv4 : Parsed::Malformed;
  const uint8_t ver_ihl = wire::get8(p, ipf::kVerIhl);
  if ((ver_ihl >> 4) != 4) return Parsed::NotIpv4;
  const size_t ihl = static_cast<size_t>(ver_ihl & 0x0f) * 4;
  const size_t total = wire::get16(p, ipf::kLength);
  // A TUN read returns exactly one datagram, so the total length may not claim more than it.
  if (ihl < kIpHeaderLen || total < ihl || total > n) return Parsed::Malformed;
  if ((wire::get16(p, ipf::kFlagsFrag) &
       (wire::ipv4::kFlagMoreFragments | wire::ipv4::kFragOffsetMask)) != 0)
    return Parsed::Fragment;
  if (wire::get8(p, ipf::kProtocol) != kProtoTcp) return Parsed::NotTcp;
  const std::byte* t = p + ihl;
  const size_t tcp_len = total - ihl;
  if (tcp_len < kTcpHeaderLen) return Parsed::Malformed;
  const size_t doff = static_cast<size_t>(wire::get8(t, tcpf::kDataOffset) >> 4) * 4;
  if (doff < kTcpHeaderLen || doff > tcp_len) return Parsed::Malformed;
  s.src = wire::ipv4::Address(wire::get32(p, ipf::kSrc));
  s.dst = wire::ipv4::Address(wire::get32(p, ipf::kDst));
  s.src_port = wire::get16(t, tcpf::kSrcPort);
  s.dst_port = wire::get16(t, tcpf::kDstPort);
  s.seq = tcp::Seq(wire::get32(t, tcpf::kSeq));
  s.ack = tcp::Seq(wire::get32(t, tcpf::kAck));
  s.flags = wire::get8(t, tcpf::kFlags);
  s.window = wire::get16(t, tcpf::kWindow);
  s.payload_len = static_cast<uint32_t>(tcp_len - doff);
  s.mss = 0;
  s.window_shift = -1;
  if ((s.flags & bits::kSyn) != 0 && doff > kTcpHeaderLen)
    parse_syn_options(t + kTcpHeaderLen, doff - kTcpHeaderLen, s);
  return Parsed::Ok;
}

// How the TCP checksum field of an emitted segment is filled.
enum class Checksum {
  Full,     // the complemented sum over pseudo-header, header and (zero) payload
  Partial,  // the pseudo-header sum only, not complemented: the kernel finishes it per segment
            // (CHECKSUM_PARTIAL with csum_start/csum_offset in the virtio_net_hdr)
};

// One connection's outgoing headers, built once: a 40-byte IPv4 + TCP header with the constant
// fields in place, and the sums of those constant fields. emit() copies it and patches length,
// sequence numbers, flags and window, adding their words to the sums. Payload is always zeros,
// which add nothing to a ones'-complement sum: only its length counts (pseudo-header, IP length).
class HeaderTemplate {
 public:
  HeaderTemplate() = default;
  HeaderTemplate(wire::ipv4::Address local, uint16_t local_port, wire::ipv4::Address peer,
                 uint16_t peer_port) {
    std::byte* p = bytes_.data();
    wire::set8(p, ipf::kVerIhl, 0x45);
    // RFC 6864: an atomic datagram (DF, not a fragment) may carry any identification; zero.
    wire::set16(p, ipf::kFlagsFrag, wire::ipv4::kFlagDontFragment);
    wire::set8(p, ipf::kTtl, kTtl);
    wire::set8(p, ipf::kProtocol, kProtoTcp);
    wire::set32(p, ipf::kSrc, local.value());
    wire::set32(p, ipf::kDst, peer.value());
    ip_sum_ = wire::checksum::accumulate({p, kIpHeaderLen});
    std::byte* t = p + kIpHeaderLen;
    wire::set16(t, tcpf::kSrcPort, local_port);
    wire::set16(t, tcpf::kDstPort, peer_port);
    wire::set8(t, tcpf::kDataOffset, static_cast<uint8_t>((kTcpHeaderLen / 4) << 4));
    tcp_sum_ = wire::checksum::accumulate({t, kTcpHeaderLen}, pseudo_sum(local, peer, 0));
    local_ = local;
    peer_ = peer;
  }

  // Writes the 40-byte header of a segment with `payload_len` zero bytes after it to `out`
  // (which must have room for the 40 bytes; the payload bytes are the caller's, and must be zero
  // for the checksum to be right). Returns the datagram's length.
  size_t emit(std::byte* out, uint8_t flags, tcp::Seq seq, tcp::Seq ack, uint16_t window,
              size_t payload_len, Checksum mode = Checksum::Full) const {
    std::memcpy(out, bytes_.data(), kHeaderLen);
    const size_t total = kHeaderLen + payload_len;
    const auto total16 = static_cast<uint16_t>(total);
    wire::set16(out, ipf::kLength, total16);
    wire::set16(out, ipf::kChecksum,
                static_cast<uint16_t>(~wire::checksum::fold(ip_sum_ + total16)));
    std::byte* t = out + kIpHeaderLen;
    wire::set32(t, tcpf::kSeq, seq.value());
    wire::set32(t, tcpf::kAck, ack.value());
    wire::set8(t, tcpf::kFlags, flags);
    wire::set16(t, tcpf::kWindow, window);
    const auto tcp_len = static_cast<uint16_t>(total - kIpHeaderLen);
    uint16_t check;
    if (mode == Checksum::Partial) {
      check = wire::checksum::fold(pseudo_sum(local_, peer_, tcp_len));
    } else {
      const uint64_t sum = uint64_t{tcp_sum_} + tcp_len + (seq.value() >> 16) +
                           (seq.value() & 0xffff) + (ack.value() >> 16) + (ack.value() & 0xffff) +
                           flags + window;
      check = static_cast<uint16_t>(~wire::checksum::fold(fold64(sum)));
    }
    wire::set16(t, tcpf::kChecksum, check);
    return total;
  }

  // Writes a SYN-ACK (no payload) with the MSS option and, when `window_shift` is given (the peer
  // sent one: RFC 7323 1.3), the window scale option, to `out` (room for 48 bytes). Returns its
  // length. Rare: summed in full.
  size_t emit_syn_ack(std::byte* out, tcp::Seq iss, tcp::Seq ack, uint16_t mss,
                      int window_shift) const {
    std::memcpy(out, bytes_.data(), kHeaderLen);
    const size_t total = kIpHeaderLen + kSynAckTcpLen;
    wire::set16(out, ipf::kLength, static_cast<uint16_t>(total));
    wire::set16(out, ipf::kChecksum, static_cast<uint16_t>(~wire::checksum::fold(ip_sum_ + total)));
    std::byte* t = out + kIpHeaderLen;
    wire::set32(t, tcpf::kSeq, iss.value());
    wire::set32(t, tcpf::kAck, ack.value());
    wire::set8(t, tcpf::kDataOffset, static_cast<uint8_t>((kSynAckTcpLen / 4) << 4));
    wire::set8(t, tcpf::kFlags, bits::kSyn | bits::kAck);
    // RFC 7323 2.2: the window of a SYN is never scaled.
    wire::set16(t, tcpf::kWindow, kWindowField);
    std::byte* o = t + kTcpHeaderLen;
    wire::set8(o, 0, wire::tcp::option::kMss);
    wire::set8(o, 1, wire::tcp::option::kMssLen);
    wire::set16(o, 2, mss);
    if (window_shift >= 0) {
      wire::set8(o, 4, wire::tcp::option::kNop);
      wire::set8(o, 5, wire::tcp::option::kWindowScale);
      wire::set8(o, 6, wire::tcp::option::kWindowScaleLen);
      wire::set8(o, 7, static_cast<uint8_t>(window_shift));
    } else {
      for (size_t i = 4; i < 8; ++i)
        wire::set8(o, i, wire::tcp::option::kNop);
    }
    const uint32_t sum = wire::checksum::accumulate(
        {t, kSynAckTcpLen}, pseudo_sum(local_, peer_, static_cast<uint16_t>(kSynAckTcpLen)));
    wire::set16(t, tcpf::kChecksum, static_cast<uint16_t>(~wire::checksum::fold(sum)));
    return total;
  }

 private:
  static uint32_t pseudo_sum(wire::ipv4::Address a, wire::ipv4::Address b, uint16_t len) {
    return wire::checksum::pseudo_header(a, b, kProtoTcp, len);
  }
  static uint32_t fold64(uint64_t s) {
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    return static_cast<uint32_t>(s);
  }

  std::array<std::byte, kHeaderLen> bytes_{};
  uint32_t ip_sum_ = 0;   // the IP header with length and checksum zero
  uint32_t tcp_sum_ = 0;  // pseudo-header without length, plus the TCP header with ports only
  wire::ipv4::Address local_, peer_;
};

// A reset for a segment that belongs to no connection (RFC 9293 3.10.7.1): written to `out` (room
// for 40 bytes); returns its length.
inline size_t emit_reset(std::byte* out, const Segment& s) {
  const HeaderTemplate h(s.dst, s.dst_port, s.src, s.src_port);
  if (s.has(bits::kAck)) return h.emit(out, bits::kRst, s.ack, tcp::Seq(0), 0, 0);
  return h.emit(out, bits::kRst | bits::kAck, tcp::Seq(0), s.seq + s.seq_len(), 0, 0);
}

// The virtio_net_hdr in front of a datagram with --offload: zero (no GSO, checksum complete), or
// asking the kernel to take a TCP super-segment of `gso_size`-byte segments with a partial
// checksum.
inline VnetHeader vnet_header(uint16_t gso_size = 0) {
  VnetHeader h;
  if (gso_size != 0) {
    h.flags = kVnetNeedsCsum;
    h.gso_type = kVnetGsoTcpv4;
    h.hdr_len = static_cast<uint16_t>(kHeaderLen);
    h.gso_size = gso_size;
    h.csum_start = static_cast<uint16_t>(kIpHeaderLen);
    h.csum_offset = static_cast<uint16_t>(tcpf::kChecksum);
  }
  return h;
}

// The payload of the next data segment a source may send, or 0 to wait: whole MSS-sized segments
// (as many as `max_segments`, which the datagram size also caps), each within the window; only
// when the window is smaller than one MSS and nothing is in flight, what the window takes.
// `usable` is snd.una + snd.wnd - snd.nxt (never negative here), `in_flight` snd.nxt - snd.una.
inline uint32_t next_payload(uint32_t usable, uint32_t in_flight, uint32_t mss,
                             uint32_t max_segments) {
  const auto by_size = static_cast<uint32_t>((kMaxDatagram - kHeaderLen) / mss);
  const uint32_t segments = std::min({usable / mss, max_segments, by_size});
  if (segments > 0) return segments * mss;
  return in_flight == 0 ? std::min(usable, mss) : 0;
}

}  // namespace tundra::ceiling
