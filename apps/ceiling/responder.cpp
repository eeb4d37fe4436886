// The responder: datagrams in from the device (input), control segments straight back out, and the
// source's data out (pump) as the peer's window allows; timers for the rare resend.
#include "apps/ceiling/responder.hpp"

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>

#include <spdlog/spdlog.h>

namespace tundra::ceiling {
namespace {

// Writes per source connection per pump() before going back to read ACKs: long enough that the
// loop's own overhead does not count, short enough that ACKs (window updates) do not pile up
// unread while we send.
constexpr int kBurstWrites = 32;

// One datagram, whole or not at all (a TUN device never takes part of one).
enum class Write { Ok, WouldBlock, Failed };
Write write_datagram(int fd, const std::byte* p, size_t n) {
  for (;;) {
    if (::write(fd, p, n) >= 0) return Write::Ok;
    if (errno == EINTR) continue;
    // ENOBUFS: the kernel short of memory for a moment; like EAGAIN, try again later.
    return errno == EAGAIN || errno == ENOBUFS ? Write::WouldBlock : Write::Failed;
  }
}

}  // namespace

Responder::Responder(int fd, bool offload, wire::ipv4::Address addr, size_t mtu, uint32_t ack_every)
    : fd_(fd),
      offload_(offload),
      hdr_len_(offload ? kVnetHeaderLen : 0),
      addr_(addr),
      max_mss_(static_cast<uint16_t>(std::min<size_t>(mtu, kMaxDatagram) - kHeaderLen)),
      next_iss_(std::random_device{}()),
      ack_every_(std::max<uint32_t>(ack_every, 1)),
      ctl_(kVnetHeaderLen + kIpHeaderLen + kSynAckTcpLen),
      data_(kVnetHeaderLen + kMaxDatagram) {
  // The virtio_net_hdr of every control segment: no GSO, checksum complete.
  const VnetHeader none = vnet_header();
  std::memcpy(ctl_.data(), &none, sizeof none);
}

void Responder::input(const std::byte* data, size_t n, Instant now) {
  if (n < hdr_len_) {
    ++counters_.malformed;
    return;
  }
  // The virtio_net_hdr says whether this is a super-segment and how its checksum stands; we need
  // neither (the IP total length covers all of it, and checksums are not checked), but count the
  // super-segments. gso_type is the header's second byte.
  const bool super = hdr_len_ != 0 && static_cast<uint8_t>(data[1]) != 0;
  data += hdr_len_;
  n -= hdr_len_;
  Segment s;
  switch (parse(data, n, s)) {
    case Parsed::Ok:
      break;
    case Parsed::Malformed:
      ++counters_.malformed;
      return;
    case Parsed::NotIpv4:
    case Parsed::Fragment:
    case Parsed::NotTcp:
      ++counters_.ignored;
      return;
  }
  if (s.dst != addr_) {
    ++counters_.ignored;
    return;
  }
  ++counters_.rx_datagrams;
  counters_.rx_bytes += n;
  if (super) ++counters_.rx_super;
  if (Connection* c = find(s)) {
    segment_arrives(*c, s, now);
    return;
  }
  // RFC 9293 3.10.7.1, CLOSED: a reset answers anything but a reset; a SYN to one of our ports
  // opens a connection while there is room.
  if (s.has(bits::kRst)) return;
  if (s.has(bits::kSyn) && !s.has(bits::kAck) &&
      (s.dst_port == kDiscardPort || s.dst_port == kSourcePort) && used_ != ~uint64_t{0}) {
    open(s, now);
    return;
  }
  if (s.has(bits::kSyn)) ++counters_.refused;
  send_reset(s);
}

Responder::Connection* Responder::find(const Segment& s) {
  const auto matches = [&s](const Connection& c) {
    return c.peer_port == s.src_port && c.local_port == s.dst_port && c.peer == s.src;
  };
  if ((used_ >> last_ & 1) && matches(conns_[last_])) return &conns_[last_];
  for (uint64_t m = used_; m != 0; m &= m - 1) {
    const auto i = static_cast<size_t>(std::countr_zero(m));
    if (matches(conns_[i])) {
      last_ = i;
      return &conns_[i];
    }
  }
  return nullptr;
}

void Responder::open(const Segment& s, Instant now) {
  const auto i = static_cast<size_t>(std::countr_one(used_));
  used_ |= uint64_t{1} << i;
  last_ = i;
  Connection& c = conns_[i];
  c = Connection{};
  c.state = State::SynReceived;
  c.source = s.dst_port == kSourcePort;
  c.peer = s.src;
  c.peer_port = s.src_port;
  c.local_port = s.dst_port;
  c.header = HeaderTemplate(addr_, s.dst_port, s.src, s.src_port);
  // Spread initial sequence numbers apart; no one guesses them here (RFC 6528's concern is an
  // attacker off the path; this runs in a namespace with the kernel as its only peer).
  c.iss = tcp::Seq(next_iss_);
  next_iss_ += 0x01000193u;
  c.snd_una = c.iss;
  c.snd_nxt = c.snd_max = c.iss + 1u;
  c.rcv_nxt = s.seq + 1u;
  c.peer_shift = s.window_shift;
  // RFC 7323 2.2: scaling holds both ways only when both SYNs carry the option; ours answers the
  // peer's, so its presence decides.
  c.snd_shift = s.window_shift >= 0 ? static_cast<uint8_t>(s.window_shift) : 0;
  c.snd_wnd = s.window;  // a SYN's window is never scaled
  const uint16_t peer_mss = s.mss != 0 ? s.mss : kDefaultMss;
  c.mss = std::max(kMinMss, std::min(peer_mss, max_mss_));
  c.last_progress = c.last_heard = now;
  c.give_up = now + kClosingTimeout;
  ++counters_.connections;
  spdlog::debug("connection {}:{} -> port {} opened (mss {}, peer window shift {})",
                s.src.to_string(), s.src_port, s.dst_port, c.mss, s.window_shift);
  send_syn_ack(c);
}

void Responder::close(Connection& c) {
  const size_t i = index(c);
  used_ &= ~(uint64_t{1} << i);
  sources_ &= ~(uint64_t{1} << i);
  ack_due_ &= ~(uint64_t{1} << i);
  spdlog::debug("connection {}:{} -> port {} closed", c.peer.to_string(), c.peer_port,
                c.local_port);
}

void Responder::segment_arrives(Connection& c, const Segment& s, Instant now) {
  c.last_heard = now;
  // RFC 9293 3.10.7.4. The kernel is the only peer and its segments are trusted: no window checks
  // on a reset (RFC 5961's concern is a blind attacker).
  if (s.has(bits::kRst)) {
    close(c);
    return;
  }
  if (s.has(bits::kSyn)) {
    // Our SYN-ACK was lost or is late: answer the same SYN again. Any other SYN gets an ACK
    // (RFC 5961 4.2's challenge ACK), which a confused peer answers with a reset.
    if (c.state == State::SynReceived && s.seq + 1u == c.rcv_nxt)
      send_syn_ack(c);
    else
      send_ack(c);
    return;
  }
  if (!s.has(bits::kAck)) return;  // RFC 9293: "if the ACK bit is off drop the segment"

  if (c.state == State::SynReceived) {
    if (s.ack != c.iss + 1u) {  // not an ACK of our SYN: reset it (RFC 9293 3.10.7.4)
      send_reset(s);
      return;
    }
    c.state = State::Established;
    c.snd_una = s.ack;
    c.last_progress = now;
    if (c.source) sources_ |= uint64_t{1} << index(c);
  }
  // RFC 9293 3.10.7.4, fifth: an ACK of something new moves snd.una; snd_max allows for ACKs of
  // data sent before a resend went back.
  if (c.snd_una < s.ack && s.ack <= c.snd_max) {
    c.snd_una = s.ack;
    if (c.snd_nxt < c.snd_una) c.snd_nxt = c.snd_una;
    c.last_progress = now;
  }
  if (s.ack == c.snd_una) c.snd_wnd = uint32_t{s.window} << c.snd_shift;
  if (c.state == State::LastAck && c.snd_una == c.snd_max) {  // our FIN is ACKed
    close(c);
    return;
  }

  // Data and FIN: in-order bytes move rcv.nxt (overlap with what we had is fine); anything else
  // (a hole before it, or all old) is answered with the ACK we had, which a sender counts as a
  // duplicate and retransmits on.
  if (s.payload_len == 0 && !s.has(bits::kFin)) return;
  const tcp::Seq end = s.seq + s.payload_len;
  bool fin = false;
  bool in_order = false;
  if (s.seq <= c.rcv_nxt && c.rcv_nxt <= end) {
    counters_.rx_payload += tcp::distance(c.rcv_nxt, end);
    c.rcv_nxt = end;
    fin = s.has(bits::kFin);
    in_order = true;
  }
  if (fin && c.state == State::Established) {
    // RFC 9293 3.10.7.4, eighth: ACK the FIN; we have nothing left to say, so our FIN goes with
    // it (CLOSE-WAIT and LAST-ACK in one step). A source stops where it is.
    c.rcv_nxt += 1u;
    c.state = State::LastAck;
    sources_ &= ~(uint64_t{1} << index(c));
    c.snd_nxt = c.snd_max;
    c.last_progress = now;
    c.give_up = now + kClosingTimeout;
    send_ack(c, bits::kFin | bits::kAck);
    c.snd_nxt = c.snd_max = c.snd_max + 1u;
    return;
  }
  if (fin) c.rcv_nxt += 1u;  // a FIN in LAST-ACK again: ACK it again
  const uint64_t bit = uint64_t{1} << index(c);
  if (in_order && !fin && ++c.unacked < ack_every_) {
    ack_due_ |= bit;
    return;
  }
  c.unacked = 0;
  ack_due_ &= ~bit;
  send_ack(c);
}

void Responder::flush_acks() {
  for (uint64_t m = ack_due_ & used_; m != 0; m &= m - 1) {
    Connection& c = conns_[static_cast<size_t>(std::countr_zero(m))];
    c.unacked = 0;
    send_ack(c);
  }
  ack_due_ = 0;
}

void Responder::send_control(size_t len) {
  const size_t n = hdr_len_ + len;
  const std::byte* p = ctl_.data() + (kVnetHeaderLen - hdr_len_);
  if (write_datagram(fd_, p, n) != Write::Ok) {
    ++counters_.tx_errors;  // an ACK lost is made good by the next one
    return;
  }
  ++counters_.tx_datagrams;
  counters_.tx_bytes += len;
}

void Responder::send_ack(Connection& c, uint8_t flags) {
  // Built after the virtio header's room, which send_control sends or skips.
  send_control(
      c.header.emit(ctl_.data() + kVnetHeaderLen, flags, c.snd_nxt, c.rcv_nxt, kWindowField, 0));
}

void Responder::send_syn_ack(Connection& c) {
  send_control(c.header.emit_syn_ack(ctl_.data() + kVnetHeaderLen, c.iss, c.rcv_nxt, max_mss_,
                                     c.peer_shift >= 0 ? kWindowShift : -1));
}

void Responder::send_reset(const Segment& s) {
  ++counters_.resets;
  send_control(emit_reset(ctl_.data() + kVnetHeaderLen, s));
}

bool Responder::send_data(Connection& c, uint32_t len) {
  std::byte* seg = data_.data() + kVnetHeaderLen;
  // Several segments in one datagram go as a super-segment the kernel splits (or, delivering
  // locally, takes whole): its checksum partial, finished per segment.
  const bool gso = len > c.mss;
  const size_t total = c.header.emit(seg, bits::kAck, c.snd_nxt, c.rcv_nxt, kWindowField, len,
                                     gso ? Checksum::Partial : Checksum::Full);
  if (offload_) {
    const VnetHeader h = vnet_header(gso ? c.mss : 0);
    std::memcpy(data_.data(), &h, sizeof h);
  }
  switch (write_datagram(fd_, seg - hdr_len_, hdr_len_ + total)) {
    case Write::Ok:
      break;
    case Write::WouldBlock:
      return false;
    case Write::Failed:
      ++counters_.tx_errors;  // the device went away or down: a resend will try again
      return true;
  }
  c.snd_nxt += len;
  if (c.snd_max < c.snd_nxt) c.snd_max = c.snd_nxt;
  ++counters_.tx_datagrams;
  counters_.tx_bytes += total;
  counters_.tx_payload += len;
  if (gso) ++counters_.tx_super;
  return true;
}

Pump Responder::pump(Instant now) {
  Pump result = Pump::Idle;
  const uint32_t max_segments = offload_ ? std::numeric_limits<uint32_t>::max() : 1;
  for (uint64_t m = sources_; m != 0; m &= m - 1) {
    Connection& c = conns_[static_cast<size_t>(std::countr_zero(m))];
    for (int k = 0;; ++k) {
      const uint32_t in_flight = static_cast<uint32_t>(tcp::distance(c.snd_una, c.snd_nxt));
      const uint32_t usable = c.snd_wnd > in_flight ? c.snd_wnd - in_flight : 0;
      const uint32_t len = next_payload(usable, in_flight, c.mss, max_segments);
      if (len == 0) break;
      if (k == kBurstWrites) {
        if (result == Pump::Idle) result = Pump::More;
        break;
      }
      const bool was_idle = in_flight == 0;
      if (!send_data(c, len)) return Pump::Blocked;
      // The resend timer runs from the first byte in flight.
      if (was_idle) c.last_progress = now;
    }
  }
  return result;
}

void Responder::on_timer(Instant now) {
  for (uint64_t m = used_; m != 0; m &= m - 1) {
    Connection& c = conns_[static_cast<size_t>(std::countr_zero(m))];
    if (now - c.last_heard > kIdleTimeout || (c.state != State::Established && now > c.give_up)) {
      close(c);
      continue;
    }
    if (now - c.last_progress < kResendAfter) continue;
    if (c.state == State::LastAck) {  // our FIN again
      c.last_progress = now;
      c.snd_nxt = c.snd_max - 1u;
      send_ack(c, bits::kFin | bits::kAck);
      c.snd_nxt = c.snd_max;
      continue;
    }
    if (c.state != State::Established || !c.source) continue;
    if (c.snd_una != c.snd_max) {
      // Something was lost (or an ACK was): go back and send again from the first unACKed byte.
      c.snd_nxt = c.snd_una;
      c.last_progress = now;
      ++counters_.resends;
    } else if (c.snd_wnd == 0) {
      // RFC 9293 3.8.6.1: probe a zero window with one byte, or a lost window update would stall
      // us for good.
      c.last_progress = now;
      ++counters_.resends;
      send_data(c, 1);
    }
  }
}

}  // namespace tundra::ceiling
