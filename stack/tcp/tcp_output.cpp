// Connection output: what a connection sends and when — SYNs, data under the peer's window and
// the congestion window with Nagle and sender-side silly-window avoidance (RFC 1122 4.2.3.4),
// FIN after the data, ACKs (immediate or delayed) with timestamps and SACK blocks.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "stack/tcp/connection.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::tcp {

using wire::tcp::Flag;
using wire::tcp::Flags;
using wire::tcp::Repr;

uint32_t Connection::ts_now(Instant now) const {
  // RFC 7323 5.4: a clock of 1 ms ticks, offset per connection.
  return static_cast<uint32_t>(now.micros() / 1000) + ts_offset_;
}

size_t Connection::bytes_in_flight() const {
  return distance(snd_una_, snd_nxt_);
}

size_t Connection::unsent() const {
  // Data bytes in the buffer beyond SND.NXT. SND.UNA may still count our SYN (not data).
  size_t sent_data = distance(snd_una_, snd_nxt_);
  if (snd_una_ == iss_ && sent_data > 0) --sent_data;  // the SYN
  if (fin_seq_ && snd_nxt_ > *fin_seq_) --sent_data;   // the FIN
  return snd_buf_.size() > sent_data ? snd_buf_.size() - sent_data : 0;
}

bool Connection::fin_outstanding() const {
  return fin_seq_ && snd_una_ <= *fin_seq_;
}

uint16_t Connection::advertised_window() {
  const size_t wnd = rcv_.window();
  Seq right = rcv_nxt_ + wnd;
  // RFC 1122 4.2.3.3 (receiver SWS avoidance): move the right edge only by a worthwhile amount;
  // RFC 9293 3.8.6.2.2: and never move it back (shrinking the window).
  if (right > rcv_adv_) {
    const size_t grow = distance(rcv_adv_, right);
    const size_t worth = std::min(rcv_.capacity() / 2, rmss_);
    if (grow < worth && rcv_adv_ > rcv_nxt_) right = rcv_adv_;
  } else {
    right = rcv_adv_;
  }
  size_t adv = right > rcv_nxt_ ? distance(rcv_nxt_, right) : 0;
  adv = std::min<size_t>(adv >> rcv_wscale_, 65535);
  rcv_adv_ = max(rcv_adv_, rcv_nxt_ + (adv << rcv_wscale_));
  return static_cast<uint16_t>(adv);
}

Repr Connection::header(Seq seq, Flags flags, Instant now) {
  app_read_ = false;  // this segment carries the window
  Repr h{};
  h.src_port = tuple_.local_port;
  h.dst_port = tuple_.remote_port;
  h.seq = seq.value();
  h.flags = flags;
  if (flags.ack()) {
    h.ack = rcv_nxt_.value();
    last_ack_sent_ = rcv_nxt_;
    ack_now_ = false;
    deferred_ack_ = false;
    ack_deadline_.reset();
    unacked_full_segments_ = 0;
    deferred_sacks_ = 0;
  }
  if (flags.syn()) {
    // RFC 7323 2.2: the window of a SYN is not scaled.
    h.window = static_cast<uint16_t>(std::min<size_t>(rcv_.window(), 65535));
    rcv_adv_ = rcv_nxt_ + size_t{h.window};
  } else {
    h.window = advertised_window();
  }
  if (ts_enabled_) h.options.timestamps = wire::tcp::Timestamps{ts_now(now), ts_recent_};
  if (sack_enabled_ && flags.ack() && !flags.syn() && (rcv_.has_out_of_order() || dsack_)) {
    // RFC 2018 4: the block with the most recent segment first; 3 fit beside timestamps.
    size_t room = ts_enabled_ ? 3 : 4;
    std::optional<SackRange> within;
    if (dsack_ && sack_skip_ == 0) {
      // RFC 2883 4: a duplicate goes first, once; if it lies above the ACK, the block holding it
      // comes second (how the peer tells it from an ordinary block).
      h.options.sack.push_back({dsack_->first.value(), dsack_->second.value()});
      if (dsack_->first > rcv_nxt_)
        within = rcv_.holding(distance(rcv_nxt_, dsack_->first),
                              distance(dsack_->first, dsack_->second));
      if (within)
        h.options.sack.push_back(
            {(rcv_nxt_ + within->begin).value(), (rcv_nxt_ + within->end).value()});
      room -= h.options.sack.size();
      dsack_.reset();
    }
    for (const auto& r : rcv_.sack_ranges(room + (within ? 1 : 0), sack_skip_)) {
      if (within && r == *within) continue;
      if (room == 0) break;
      h.options.sack.push_back({(rcv_nxt_ + r.begin).value(), (rcv_nxt_ + r.end).value()});
      --room;
    }
    if (sack_skip_ == 0) sack_reported_ = rcv_.arrivals();
  }
  return h;
}

void Connection::send_syn(bool with_ack, Instant now, SegmentSink& out) {
  Flags flags(Flag::Syn);
  if (with_ack) flags.set(Flag::Ack);
  Repr h = header(iss_, flags, now);
  h.options.mss = static_cast<uint16_t>(std::min<size_t>(rmss_, 65535));
  if (!with_ack) {
    // A SYN offers every option we are configured for.
    if (config_.window_scaling) h.options.window_scale = 7;
    h.options.sack_permitted = config_.sack;
    if (config_.timestamps) h.options.timestamps = wire::tcp::Timestamps{ts_now(now), 0};
  } else {
    // A SYN-ACK answers only what the peer's SYN offered (negotiate() decided).
    if (rcv_wscale_) h.options.window_scale = rcv_wscale_;
    h.options.sack_permitted = sack_enabled_;
  }
  if (!with_ack) h.ack = 0;
  snd_nxt_ = iss_ + 1u;
  snd_max_ = max(snd_max_, snd_nxt_);
  if (!rtt_timing_ && retries_ == 0) rtt_timing_ = {iss_, now};
  last_send_ = now;
  transmit(OutSegment{h, PacketBuffer::with_capacity(0)}, now, out, retries_ > 0);
  if (!std::holds_alternative<timer::Retransmit>(timer_)) arm_retransmit(now);
}

void Connection::open(Instant now, SegmentSink& out) {
  TraceScope scope(*this, now);
  // RFC 9293 3.10.1: active OPEN sends <SEQ=ISS><CTL=SYN> and enters SYN-SENT.
  state_ = State::SynSent;
  opened_at_ = now;
  send_syn(false, now, out);
}

void Connection::send_segment(Seq seq, size_t len, bool fin, Instant now, SegmentSink& out,
                              bool retransmission) {
  Flags flags(Flag::Ack);
  if (fin) flags.set(Flag::Fin);
  // PSH on the segment that empties what we have to send (RFC 9293 3.9.1.2 leaves it to us).
  if (len > 0 && distance(snd_una_, seq + len) >= snd_buf_.size()) flags.set(Flag::Psh);
  Repr h = header(seq, flags, now);
  // SACK blocks make the header longer than the MSS allowed for (RFC 6691: options come out of
  // the MTU, not the MSS): a full-sized segment leaves them to the pure ACKs, so it still fits.
  if (wire::ipv4::kMinHeaderLen + h.header_len() + std::min(len, smss_) > mtu_)
    h.options.sack.clear();
  PacketBuffer payload = PacketBuffer::with_capacity(len);
  if (len > smss_) payload.offload().gso_size = static_cast<uint16_t>(smss_);
  if (len > 0) {
    size_t offset = distance(snd_una_, seq);
    if (snd_una_ == iss_) --offset;  // SND.UNA still counts our SYN
    snd_buf_.copy_out(offset, payload.append(len));
  }
  h.payload_len = len;
  if (retransmission) {
    ++stats_.retransmits;
    if (resends_ && !resends_->ended && seq >= resends_->begin && seq < resends_->end) {
      resends_->outstanding += std::max<size_t>(segments_in(len), 1);
      resends_->any = true;
    }
  } else {
    stats_.bytes_out += len;
  }
  if (!retransmission && len > 0 && rate_) rate_->on_send(seq + len, bytes_in_flight(), now);
  // RFC 6298 3 (Karn): time one fresh segment per round trip when timestamps do not do it.
  if (!retransmission && len > 0 && !rtt_timing_) rtt_timing_ = {seq, now};
  if (retransmission && rtt_timing_ && rtt_timing_->first >= seq) rtt_timing_.reset();
  // RFC 8985 6.1: each data segment's time of sending, for RACK.
  if (sack_enabled_ && len > 0) rack_.on_send(seq, seq + len, retransmission, snd_max_, now);
  if (prr_) prr_->out += len;  // RFC 6937: prr_out, all data sent during the recovery
  last_send_ = now;
  transmit(OutSegment{h, std::move(payload)}, now, out, retransmission);
}

void Connection::transmit(OutSegment segment, Instant now, SegmentSink& out, bool retransmission) {
  ++stats_.segments_out;
  if (trace_)
    trace_segment(TraceKind::Send, segment.header, segment.header.payload_len, now, retransmission);
  out.send(tuple_, std::move(segment), now);
}

size_t Connection::send_data(Instant now, SegmentSink& out) {
  size_t sent = 0;
  bool sent_new = false;
  // RFC 5681 4.1: after an idle period longer than an RTO, start again from the initial window.
  if (snd_una_ == snd_max_ && now - last_send_ > rtt_.rto())
    cc_->on_idle_restart(now - last_send_, rtt_.rto());
  for (int guard = 0; guard < 1024; ++guard) {
    const size_t avail = unsent();
    const size_t flight = bytes_in_flight();
    const size_t limit = std::min(snd_wnd_, cc_->cwnd() + extra_allowance_);
    const size_t usable = limit > flight ? limit - flight : 0;
    const Seq seq = snd_nxt_;
    // With TSO (TcpConfig::tso_max), new data goes in segments of whole MSS-sized pieces up to
    // what the device takes; it cuts them, so the wire sees the same segments.
    size_t most = smss_;
    if (config_.tso_max > 0 && seq >= snd_max_) {
      const size_t room = config_.tso_max - wire::ipv4::kMinHeaderLen - wire::tcp::kMaxHeaderLen;
      most = std::max(smss_, room / smss_ * smss_);
    }
    const size_t len = std::min({avail, most, usable});
    // Our FIN goes with (or after) the last byte, once: it needs no window.
    const bool fin = fin_queued_ && len == avail && (!fin_seq_ || seq + len <= *fin_seq_) &&
                     (!fin_seq_ || snd_nxt_ <= *fin_seq_);
    if (len == 0 && !(fin && avail == 0)) break;
    if (len > 0 && len < smss_ && !fin) {
      // Nagle (RFC 1122 4.2.3.4): a small segment waits while data is unacknowledged.
      if (!nodelay_ && flight > 0) break;
      // Sender SWS avoidance: a window-limited sliver waits unless it is half the largest window.
      if (len < avail && len < max_snd_wnd_ / 2) break;
    }
    const bool retransmission = seq < snd_max_;
    send_segment(seq, len, fin, now, out, retransmission);
    snd_nxt_ += len;
    if (fin) {
      fin_seq_ = snd_nxt_;
      snd_nxt_ += 1u;
    }
    snd_max_ = max(snd_max_, snd_nxt_);
    ++sent;
    if (len > 0) extra_allowance_ = 0;
    if (!retransmission) sent_new = true;
    if (fin) break;
  }
  if (sent_new) restart_probe_timer(now);
  // Nothing left to send and room in the window: rate samples from here on say how fast the
  // application writes, not how fast the path delivers.
  if (rate_ && unsent() == 0 && bytes_in_flight() < cc_->cwnd())
    rate_->mark_app_limited(bytes_in_flight());
  return sent;
}

void Connection::restart_probe_timer(Instant now) {
  // RFC 8985 7.2: the PTO starts again when new data goes out, so the probe comes a PTO after
  // the last segment sent. Armed only on ACKs, it was missed when an ACK left one segment in
  // flight (its PTO, with the peer's delayed-ACK allowance, was longer than the RTO, so the RTO
  // was armed) and more data followed at once: a lost ACK then cost 200 ms (1% loss: a dozen
  // timeouts in 4 s). At most one probe is out until an ACK comes (7.3); an RTO due sooner
  // stays.
  if (tlp_out_ || retries_ > 0 || !synchronized(state_) || cc_->in_recovery()) return;
  const auto pto = probe_timeout();
  if (!pto) return;
  const Instant at = now + *pto;
  // A reordering timer stays: it comes sooner, and the probe is armed again when it fires.
  using Then = timer::Retransmit::Then;
  if (const auto* rt = std::get_if<timer::Retransmit>(&timer_);
      rt && (rt->then == Then::Reorder || (rt->then == Then::Timeout && rt->at < at)))
    return;
  timer_ = timer::Retransmit{at, Then::Probe};
}

void Connection::retransmit_first(Instant now, SegmentSink& out) {
  // Fast retransmit / NewReno partial ACK: the segment at SND.UNA, without moving SND.NXT.
  size_t data_outstanding = distance(snd_una_, snd_max_);
  if (fin_outstanding() && snd_max_ > *fin_seq_) --data_outstanding;
  const size_t len = std::min({smss_, data_outstanding, snd_buf_.size()});
  const bool fin = fin_seq_ && snd_una_ + len == *fin_seq_ && fin_outstanding();
  if (len == 0 && !fin) return;
  send_segment(snd_una_, len, fin, now, out, true);
}

size_t Connection::sack_pipe() const {
  // RFC 6675 4 (simplified): the pipe is what is in flight and not known to have arrived or to
  // have been lost (a lost segment counts again once it is retransmitted).
  const size_t flight = distance(snd_una_, snd_max_);
  const size_t gone = scoreboard_.sacked_bytes() + rack_.lost_bytes();
  return flight > gone ? flight - gone : 0;
}

bool Connection::sack_recovery(Instant now, SegmentSink& out) {
  // RACK (RFC 8985 6.2) says what is lost: segments sent before one that has since been
  // delivered. It finds a lost retransmission (RFC 6675 alone repairs it only by the timer) and
  // losses above the highest SACKed byte, and it never takes a retransmission still on its way
  // for lost, which RFC 6675's IsLost did once a recovery had ended with one in flight. As in
  // Linux, the DupThresh rules are not used beside it (RFC 8985 3.4).
  if (!sack_enabled_ || rack_.lost_bytes() == 0) return false;
  Seq from = snd_una_;
  bool sent = false;
  for (int guard = 0; guard < 256 && recovery_budget() > 0; ++guard) {
    const auto lost = rack_.next_lost(from);
    // After a timeout SND.NXT went back to SND.UNA and send_data() resends in order from there:
    // what lies at or above SND.NXT goes that way, once (here too, it went twice).
    if (!lost || lost->begin >= snd_nxt_) break;
    const size_t len = std::min(smss_, distance(lost->begin, lost->end));
    const size_t offset = distance(snd_una_, lost->begin);
    const size_t data_left = snd_buf_.size() > offset ? snd_buf_.size() - offset : 0;
    const size_t n = std::min(len, data_left);
    const bool fin = fin_seq_ && lost->begin + n == *fin_seq_ && fin_outstanding();
    if (n == 0 && !fin) break;
    if (lost->retransmitted) {
      // A retransmission was lost too: repaired again before the timer.
      ++stats_.fast_retransmits;
      trace(TraceKind::FastRetransmit, now, lost->begin, "lost_rexmit");
    }
    send_segment(lost->begin, n, fin, now, out, true);
    from = lost->begin + n;
    sent = true;
  }
  return sent;
}

size_t Connection::recovery_budget() const {
  const size_t pipe = sack_pipe();
  if (!prr_) {
    const size_t w = cc_->cwnd() + extra_allowance_;
    return w > pipe ? w - pipe : 0;
  }
  const size_t ssthresh = cc_->ssthresh();
  if (pipe > ssthresh) {
    // RFC 6937 3, the proportional part: what went out keeps pace with what was delivered,
    // scaled by ssthresh / RecoverFS, so the window comes down to ssthresh over one round trip
    // instead of all at once (nothing sent until pipe falls below it, as RFC 6675 alone does)
    // or not at all (NewReno's inflation).
    const uint64_t due =
        (static_cast<uint64_t>(prr_->delivered) * ssthresh + prr_->recover_fs - 1) /
        prr_->recover_fs;
    return due > prr_->out ? static_cast<size_t>(due - prr_->out) : 0;
  }
  // RFC 6937 3, slow start reduction bound (PRR-SSRB): back up to ssthresh, at most one
  // segment more than was delivered.
  const size_t owed = prr_->delivered > prr_->out ? prr_->delivered - prr_->out : 0;
  return std::min(ssthresh - pipe, std::max(owed, prr_->last_delivered) + smss_);
}

void Connection::update_prr(bool was_recovering, size_t flight_before, size_t delivered) {
  if (!cc_->in_recovery()) {
    prr_.reset();
    return;
  }
  // BBR keeps its window through a loss and sets it itself: nothing to reduce.
  if (!sack_enabled_ || cc_->keeps_window_through_loss()) return;
  if (!was_recovering || !prr_) prr_ = Prr{std::max(flight_before, smss_)};  // RecoverFS
  prr_->delivered += delivered;
  prr_->last_delivered = delivered;
}

void Connection::send_new_in_recovery(Instant now, SegmentSink& out) {
  // RFC 6675 6, NextSeg rule 3: with what is known lost resent, new data goes while the budget
  // allows (PRR's, or the pipe's room under cwnd, which RFC 6675 5 (4.2) sets to ssthresh).
  // Counting FlightSize instead sent nothing until the full ACK, so a lost retransmission left
  // no data behind it to be delivered and show the loss: the RTO had to find it. Full segments.
  if (snd_nxt_ != snd_max_ || fin_seq_) return;
  for (int guard = 0; guard < 256; ++guard) {
    if (prr_ ? recovery_budget() == 0 : sack_pipe() + smss_ > cc_->ssthresh()) break;
    const size_t in_flight = bytes_in_flight();
    const size_t window = snd_wnd_ > in_flight ? snd_wnd_ - in_flight : 0;
    if (unsent() < smss_ || window < smss_) break;
    send_segment(snd_nxt_, smss_, false, now, out, false);
    snd_nxt_ += smss_;
    snd_max_ = snd_nxt_;
  }
}

void Connection::recover(Instant now, SegmentSink& out) {
  // With SACK, retransmit what RACK found lost (RFC 8985); without, the first unacknowledged
  // segment (RFC 5681 fast retransmit, RFC 6582 partial ACK).
  if (sack_recovery(now, out)) return;
  // After a timeout, resending from SND.NXT (back at SND.UNA then) is under way: send_data()
  // covers SND.UNA's segment, or already did.
  if (snd_nxt_ < snd_max_) return;
  retransmit_first(now, out);
}

std::optional<Duration> Connection::probe_timeout() const {
  // RFC 8985 7.2: PTO = 2·SRTT, plus the peer's worst delayed ACK when one segment is in flight.
  const auto srtt = rtt_.srtt();
  if (!srtt) return std::nullopt;
  Duration pto = 2 * *srtt;
  if (distance(snd_una_, snd_max_) <= smss_) pto += std::chrono::milliseconds(200);
  // A floor of 2 ms, Linux's two timer ticks at HZ=1000: with SRTT near 0.1 ms (a TUN device)
  // 2·SRTT is below any timer's promptness, and a probe that was not needed costs one segment.
  pto = std::max<Duration>(pto, std::chrono::milliseconds(2));
  if (pto >= rtt_.rto()) return std::nullopt;
  return pto;
}

void Connection::send_tail_loss_probe(Instant now, SegmentSink& out) {
  // RFC 8985 7.3: the peer's ACK (with SACK) shows what was lost and recovery starts without
  // waiting for the RTO. The RFC would rather send new data when there is some; we send the
  // highest segment again, its other choice. When the data all arrived and only the ACKs were
  // lost (as often as the data at 1% loss each way), a new segment reaches the peer alone and
  // in order, and the peer's delayed ACK holds it: Linux answered after 40 ms, twenty times in
  // 3 s of 1% loss, a third of the time. A duplicate is answered at once (RFC 9293 3.10.7.4;
  // Linux also goes to quick ACKs), and a lost tail shows in the SACK of the same ACK.
  trace(TraceKind::Tlp, now);
  size_t data_out = distance(snd_una_, snd_max_);
  if (fin_outstanding() && snd_max_ > *fin_seq_) --data_out;
  const size_t len = std::min({smss_, data_out, snd_buf_.size()});
  const Seq seq = snd_una_ + (data_out - len);
  const bool fin = fin_outstanding() && seq + len == *fin_seq_;
  if (len > 0) tlp_rexmit_ = {seq, seq + len};
  if (len > 0 || fin) send_segment(seq, len, fin, now, out, true);
}

void Connection::send_ack(Instant now, SegmentSink& out) {
  if (state_ == State::Closed || state_ == State::Listen || state_ == State::SynSent) return;
  // The highest sequence number sent, not SND.NXT: after a timeout rewinds SND.NXT the peer may
  // already hold data up to SND.MAX and would find an ACK numbered below it unacceptable (and
  // answer with an ACK of its own: an ACK war).
  Repr h = header(snd_max_, Flags(Flag::Ack), now);
  transmit(OutSegment{h, PacketBuffer::with_capacity(0)}, now, out);
}

void Connection::send_older_sack_blocks(Instant now, SegmentSink& out) {
  // The ACK after a read batch has room for three SACK blocks (four without timestamps). A batch
  // that landed in more ranges (retransmissions filling old holes, new data past new ones) left
  // the others unreported, and the peer took what they held for lost and sent it again: under
  // 1% loss the kernel resent 10% of what it sent, ten times what was lost. The older ranges go
  // first, in ACKs of their own; the one with the newest blocks follows (RFC 2018 4).
  if (!sack_enabled_ || !rcv_.has_out_of_order()) return;
  const size_t per_ack = ts_enabled_ ? 3 : 4;
  const size_t touched = rcv_.touched_since(sack_reported_);
  if (touched <= per_ack) return;
  for (size_t skip = (touched - 1) / per_ack * per_ack; skip > 0; skip -= per_ack) {
    sack_skip_ = skip;
    send_ack(now, out);
  }
  sack_skip_ = 0;
  ack_now_ = true;
}

void Connection::send_rst(Seq seq, Instant now, SegmentSink& out) {
  Repr h{};
  h.src_port = tuple_.local_port;
  h.dst_port = tuple_.remote_port;
  h.seq = seq.value();
  h.flags = Flags(Flag::Rst);
  transmit(OutSegment{h, PacketBuffer::with_capacity(0)}, now, out);
}

void Connection::arm_retransmit(Instant now, bool probe_in_recovery) {
  // RFC 8985 7.2: in the open state, with data in flight, a tail loss probe comes first.
  const bool probe =
      synchronized(state_) && !tlp_out_ && (probe_in_recovery || !cc_->in_recovery());
  const auto pto = probe ? probe_timeout() : std::nullopt;
  using Then = timer::Retransmit::Then;
  if (pto && retries_ == 0)
    timer_ = timer::Retransmit{now + *pto, Then::Probe};
  else
    timer_ = timer::Retransmit{now + rtt_.rto(), Then::Timeout};
}

void Connection::arm_reorder_timer(Instant at) {
  // RFC 8985 8: the reordering timer takes the retransmission timer's place; when it fires,
  // the probe or RTO is armed again. Nothing outstanding, or the RTO due first: not needed.
  using Then = timer::Retransmit::Then;
  const auto* rt = std::get_if<timer::Retransmit>(&timer_);
  if (!rt || (rt->then == Then::Timeout && rt->at <= at)) return;
  timer_ = timer::Retransmit{at, Then::Reorder};
}

void Connection::refresh_timer(Instant now) {
  if (state_ == State::TimeWait || state_ == State::Closed) return;
  if (std::holds_alternative<timer::TimeWait>(timer_)) return;  // orphaned FIN-WAIT-2 deadline
  const bool outstanding = snd_max_ > snd_una_;
  if ((snd_wnd_ == 0 || !outstanding) && unsent() > 0 && state_ != State::SynSent &&
      state_ != State::SynReceived) {
    // RFC 9293 3.8.6.1: a zero window with data waiting runs the persist timer. So does a window
    // too small to be worth a segment with nothing in flight (sender SWS avoidance held the data
    // back): no ACK will come to reopen it, so the timer is RFC 1122 4.2.3.4's override timeout.
    if (!std::holds_alternative<timer::Persist>(timer_)) timer_ = timer::Persist{now + rtt_.rto()};
    return;
  }
  if (outstanding) {
    if (!std::holds_alternative<timer::Retransmit>(timer_)) arm_retransmit(now);
    return;
  }
  timer_ = timer::Idle{};
}

void Connection::output(Instant now, SegmentSink& out) {
  TraceScope scope(*this, now);
  switch (state_) {
    case State::Closed:
    case State::Listen:
    case State::SynSent:
    case State::SynReceived:
      return;  // SYNs are sent by open(), accept_syn() and the retransmission timer
    case State::TimeWait:
      if (ack_now_) send_ack(now, out);
      return;
    default:
      break;
  }
  if (deferred_ack_ && !coalescing_) {
    deferred_ack_ = false;
    ack_now_ = true;
    send_older_sack_blocks(now, out);
  }
  const size_t sent = send_data(now, out);
  // A pure ACK when one is owed and no data carried it, or when reading opened the window enough
  // to be worth telling (RFC 1122 4.2.3.3).
  // Only reading opens the window (as Linux decides in tcp_cleanup_rbuf): the larger, scaled
  // window that follows the handshake's unscaled 65535 is told with the next segment, not alone.
  bool window_update = false;
  if (!sent && !ack_now_ && app_read_) {
    // The edge we could advertise now (the field holds at most 65535 << scale).
    const Seq right = rcv_nxt_ + std::min(rcv_.window(), size_t{65535} << rcv_wscale_);
    window_update = right > rcv_adv_ &&
                    distance(rcv_adv_, right) >= std::min(rcv_.capacity() / 2, 2 * rmss_) &&
                    !fin_received_;
  }
  if (!sent && (ack_now_ || window_update)) send_ack(now, out);
  refresh_timer(now);
}

std::optional<Instant> Connection::poll_at() const {
  std::optional<Instant> t = std::visit(
      [](const auto& x) -> std::optional<Instant> {
        if constexpr (requires { x.at; }) return x.at;
        return std::nullopt;
      },
      timer_);
  auto earlier = [&](std::optional<Instant> o) {
    if (o && (!t || *o < *t)) t = o;
  };
  earlier(ack_deadline_);
  if (std::holds_alternative<timer::Idle>(timer_)) earlier(keepalive_at_);
  return t;
}

// Application side.

size_t Connection::send(std::span<const std::byte> data) {
  if (fin_queued_) return 0;
  return snd_buf_.write(data);
}

size_t Connection::recv(std::span<std::byte> out, bool peek) {
  if (peek) return rcv_.peek(out);
  const size_t n = rcv_.read(out);
  if (n > 0) app_read_ = true;
  return n;
}

size_t Connection::discard(size_t max) {
  const size_t n = rcv_.discard(max);
  if (n > 0) app_read_ = true;
  return n;
}

bool Connection::readable() const {
  return rcv_.readable() > 0 || fin_received_ || (error_ != 0 && !error_reported_) ||
         state_ == State::Closed;
}

bool Connection::writable() const {
  const bool sending = state_ == State::Established || state_ == State::CloseWait;
  // As Linux's sk_stream_is_writeable: room for at least half of what is queued, so a writer
  // blocked on a full buffer wakes to a worthwhile write, not once per ACK for a few bytes.
  const size_t free = snd_buf_.free();
  return (sending && !fin_queued_ && free > 0 && free >= snd_buf_.size() / 2) ||
         state_ == State::Closed;
}

bool Connection::at_eof() const {
  return fin_received_ && rcv_.readable() == 0;
}

int Connection::take_error() {
  const int e = error_reported_ ? 0 : error_;
  error_reported_ = true;
  return e;
}

void Connection::shutdown_write() {
  if (fin_queued_) return;
  switch (state_) {
    case State::SynSent:
      reset(0);
      return;
    case State::SynReceived:
      fin_queued_ = true;  // sent once ESTABLISHED
      return;
    case State::Established:
      fin_queued_ = true;
      state_ = State::FinWait1;
      return;
    case State::CloseWait:
      fin_queued_ = true;
      state_ = State::LastAck;
      return;
    default:
      return;
  }
}

void Connection::close(Instant now, SegmentSink& out) {
  TraceScope scope(*this, now);
  app_closed_ = true;
  // RFC 9293 3.10.4 / RFC 1122 4.2.2.13: closing with unread data loses it: send RST.
  if (rcv_.readable() > 0 && synchronized(state_) && state_ != State::TimeWait) {
    abort(now, out);
    return;
  }
  shutdown_write();
  if (state_ == State::FinWait2) timer_ = timer::TimeWait{now + 2 * config_.msl};
  output(now, out);
}

void Connection::abort(Instant now, SegmentSink& out) {
  TraceScope scope(*this, now);
  // RFC 9293 3.10.5: in SYN-RECEIVED and the synchronized states, send a reset.
  app_closed_ = true;
  if (state_ == State::SynReceived || (synchronized(state_) && state_ != State::TimeWait))
    send_rst(snd_nxt_, now, out);
  reset(0);
}

void Connection::set_keepalive(bool on, Instant now) {
  keepalive_ = on;
  keepalive_sent_ = 0;
  keepalive_at_ =
      on && synchronized(state_) ? std::optional(now + config_.keepalive_idle) : std::nullopt;
}

}  // namespace tundra::tcp
