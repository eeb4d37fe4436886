// Connection input: a segment from the network, processed in the order of RFC 9293 3.10.7
// ("SEGMENT ARRIVES"), with RFC 5961 for RST/SYN/ACK robustness and RFC 7323 for timestamps.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "stack/tcp/connection.hpp"

namespace tundra::tcp {

using wire::tcp::Repr;

std::string FourTuple::to_string() const {
  return local_addr.to_string() + ":" + std::to_string(local_port) + " " + remote_addr.to_string() +
         ":" + std::to_string(remote_port);
}

Connection::Connection(const TcpConfig& config, FourTuple tuple, Seq iss, size_t mtu)
    : config_(config),
      tuple_(tuple),
      iss_(iss),
      snd_una_(iss),
      snd_nxt_(iss),
      snd_max_(iss),
      mtu_(mtu),
      rmss_(mtu > 40 ? mtu - 40 : 536),
      snd_buf_(config.sndbuf),
      rcv_(config.rcvbuf),
      rtt_(config.rtt),
      cc_(make_congestion_control(config.congestion_control, 536)),
      ts_offset_(iss.value() * 2654435761u) {
  if (!cc_) cc_ = make_congestion_control("newreno", 536);
  if (cc_->wants_rate_samples()) rate_ = std::make_unique<DeliveryRate>();
  nodelay_ = config.nodelay_default;
  quickacks_left_ = config.quickack_segments;
}

void Connection::negotiate(const wire::tcp::Options& peer) {
  // RFC 9293 3.7.1: without an MSS option the peer takes 536; we never send more than our MTU
  // allows. RFC 6691: the MSS counts neither IP nor TCP options.
  size_t mss = std::min<size_t>(peer.mss.value_or(536), rmss_);
  // RFC 7323 2.2: scaling only when both sides sent the option.
  if (config_.window_scaling && peer.window_scale) {
    snd_wscale_ = *peer.window_scale;
    rcv_wscale_ = 7;
  } else {
    snd_wscale_ = rcv_wscale_ = 0;
  }
  // RFC 7323 3.2: timestamps only when both sides sent them in the SYNs.
  ts_enabled_ = config_.timestamps && peer.timestamps.has_value();
  if (ts_enabled_) {
    ts_recent_ = peer.timestamps->tsval;
    mss -= 12;  // every segment carries the 10-byte option, padded to 12
  }
  sack_enabled_ = config_.sack && peer.sack_permitted;
  smss_ = std::max<size_t>(mss, 64);
  cc_->set_smss(smss_);
}

bool Connection::set_congestion_control(std::string_view name) {
  auto cc = make_congestion_control(name, smss_);
  if (!cc) return false;
  cc_ = std::move(cc);
  prr_.reset();  // the new algorithm is not in a recovery
  // Samples start with the next segment sent; segments already out were not stamped.
  if (!cc_->wants_rate_samples())
    rate_.reset();
  else if (!rate_)
    rate_ = std::make_unique<DeliveryRate>();
  return true;
}

void Connection::accept_syn(const Repr& syn, Instant now, SegmentSink& out) {
  passive_ = true;
  // RFC 9293 3.10.7.2 (LISTEN, third check: SYN).
  irs_ = Seq(syn.seq);
  irs_known_ = true;
  rcv_nxt_ = irs_ + 1u;
  rcv_adv_ = rcv_nxt_;
  negotiate(syn.options);
  // RFC 7323 2.2: the window of a SYN is never scaled.
  snd_wnd_ = syn.window;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = Seq(syn.seq);
  state_ = State::SynReceived;
  last_input_ = now;
  opened_at_ = now;
  ++stats_.segments_in;
  traced_state_ = State::Listen;  // a passive open comes from the listener's LISTEN
  TraceScope scope(*this, now);
  if (trace_) trace_segment(TraceKind::Recv, syn, 0, now, false);
  send_syn(true, now, out);
}

bool Connection::acceptable(const Repr& seg, size_t seg_len) const {
  // RFC 9293 3.10.7.4, first check: the four cases of the acceptability test, against the window
  // we advertised (never shrunk, so rcv_adv_ is its right edge).
  const size_t wnd = rcv_adv_ > rcv_nxt_ ? distance(rcv_nxt_, rcv_adv_) : 0;
  const Seq seq(seg.seq);
  if (seg_len == 0) {
    if (wnd == 0) return seq == rcv_nxt_;
    return in_range(rcv_nxt_, seq, rcv_nxt_ + wnd);
  }
  if (wnd == 0) return false;
  return in_range(rcv_nxt_, seq, rcv_nxt_ + wnd) ||
         in_range(rcv_nxt_, seq + static_cast<uint32_t>(seg_len - 1), rcv_nxt_ + wnd);
}

void Connection::send_challenge_ack(Instant now, SegmentSink& out) {
  // RFC 5961 7: challenge ACKs are rate limited, across connections.
  if (challenge_budget_ && !challenge_budget_->take(now)) return;
  ++stats_.challenge_acks;
  send_ack(now, out);
}

void Connection::reset(int error) {
  state_ = State::Closed;
  error_ = error;
  timer_ = timer::Idle{};
  ack_deadline_.reset();
  keepalive_at_.reset();
}

void Connection::enter_time_wait(Instant now) {
  state_ = State::TimeWait;
  time_wait_since_ = now;
  // RFC 9293 3.10.7.4 (TIME-WAIT): 2·MSL before the connection is deleted.
  timer_ = timer::TimeWait{now + 2 * config_.msl};
  ack_deadline_.reset();
  keepalive_at_.reset();
}

void Connection::input(const Repr& seg, std::span<const std::byte> payload, Instant now,
                       SegmentSink& out, PacketBuffer* datagram) {
  ++stats_.segments_in;
  TraceScope scope(*this, now);
  if (trace_) trace_segment(TraceKind::Recv, seg, payload.size(), now, false);
  last_input_ = now;
  keepalive_sent_ = 0;
  if (keepalive_ && synchronized(state_)) keepalive_at_ = now + config_.keepalive_idle;

  switch (state_) {
    case State::Closed:
    case State::Listen:
      return;  // the layer answers these (RFC 9293 3.10.7.1, 3.10.7.2)
    case State::SynSent:
      input_syn_sent(seg, payload, now, out);
      output(now, out);
      return;
    default:
      break;
  }

  const size_t seg_len = payload.size() + (seg.flags.syn() ? 1 : 0) + (seg.flags.fin() ? 1 : 0);
  const Seq seq(seg.seq);

  // RFC 7323 5.3 (PAWS): a segment whose timestamp is older than TS.Recent is a stale duplicate.
  if (ts_enabled_ && seg.options.timestamps && !seg.flags.rst() &&
      static_cast<int32_t>(seg.options.timestamps->tsval - ts_recent_) < 0) {
    send_ack(now, out);
    return;
  }

  // First: sequence number acceptability.
  bool text_allowed = true;
  if (!acceptable(seg, seg_len)) {
    // RFC 9293 3.10.7.4: a zero window still takes valid ACKs (and RSTs) at RCV.NXT; the data is
    // dropped and the ACK tells the peer our window.
    const bool zero_window_probe = seq == rcv_nxt_ && !seg.flags.rst();
    if (!seg.flags.rst()) {
      if (state_ == State::TimeWait && seg.flags.fin())
        timer_ = timer::TimeWait{now + 2 * config_.msl};  // a retransmitted FIN: restart 2·MSL
      // A bare out-of-window ACK is answered at most every 500 ms, so two confused ends cannot
      // keep each other busy with ACKs forever (as Linux's tcp_invalid_ratelimit); segments with
      // data or FIN are always answered, the peer needs that ACK to move on.
      // A bare segment one below RCV.NXT is how keep-alives (RFC 1122 4.2.3.6) and Linux's
      // zero-window probes ask for an ACK: always answered, or a window update that was lost
      // would leave the peer waiting for its next probe, hundreds of milliseconds later.
      const bool bare = seg_len == 0 && seq != rcv_nxt_ - 1u;
      if (!payload.empty() && seq + payload.size() <= rcv_nxt_) {
        // Text we have all of already: the peer resent it, needlessly or because our ACK was
        // lost. RFC 2883 (D-SACK) says which, and with SACK the ACK may wait for the end of the
        // read batch like the others (ack_at_once_or_after_batch).
        note_duplicate(seq, payload.size());
        if (coalescing_ && sack_enabled_)
          deferred_ack_ = true;
        else
          send_ack(now, out);
      } else if (!bare || !last_invalid_ack_ ||
                 now - *last_invalid_ack_ >= std::chrono::milliseconds(500)) {
        if (bare) last_invalid_ack_ = now;
        send_ack(now, out);
      }
    }
    if (!zero_window_probe || !seg.flags.ack()) return;
    text_allowed = false;
  }

  // Second: the RST bit (RFC 5961 3.2: only an exact match resets; in-window gets a challenge).
  if (seg.flags.rst()) {
    if (seq != rcv_nxt_) {
      send_challenge_ack(now, out);
      return;
    }
    switch (state_) {
      case State::SynReceived:
        // RFC 9293: from a passive open, back to LISTEN (the layer drops this half-open
        // connection); from an active one, the connection was refused.
        reset(passive_ ? 0 : ECONNREFUSED);
        return;
      case State::Closing:
      case State::LastAck:
      case State::TimeWait:
        reset(0);
        return;
      default:
        reset(ECONNRESET);
        return;
    }
  }

  // Fourth: a SYN in a synchronized state (RFC 5961 4.2): challenge ACK, whatever its sequence.
  if (seg.flags.syn()) {
    send_challenge_ack(now, out);
    return;
  }

  // Fifth: the ACK field.
  if (!seg.flags.ack()) return;
  if (state_ == State::SynReceived) {
    const Seq ack(seg.ack);
    if (!(snd_una_ < ack && ack <= snd_max_)) {
      send_rst(ack, now, out);  // RFC 9293 3.10.7.4 (SYN-RECEIVED): <SEQ=SEG.ACK><CTL=RST>
      return;
    }
    state_ = State::Established;
    snd_wnd_ = size_t{seg.window} << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seq;
    snd_wl2_ = ack;
    if (fin_queued_) state_ = State::FinWait1;
  }
  if (!process_ack(seg, payload.size(), now, out)) return;
  if (state_ == State::Closed) return;

  // Seventh: the segment text, in the states that still receive.
  if (text_allowed &&
      (state_ == State::Established || state_ == State::FinWait1 || state_ == State::FinWait2)) {
    if (!payload.empty() && app_closed_) {
      // RFC 9293 3.10.4 / RFC 2525 2.17: the application is gone, so the data can never be
      // delivered: tell the peer with a reset.
      send_rst(snd_nxt_, now, out);
      reset(0);
      return;
    }
    process_text(seg, payload, now, datagram);
  }

  // Eighth: the FIN bit.
  if (text_allowed && seg.flags.fin()) {
    const Seq fin = seq + payload.size();
    if (fin == rcv_nxt_ && !fin_received_) {
      process_fin(now);
    } else if (fin > rcv_nxt_ && state_ != State::CloseWait) {
      peer_fin_ = fin;  // wait for the data before it
      ack_now_ = true;
    }
  }
  output(now, out);
}

void Connection::input_syn_sent(const Repr& seg, std::span<const std::byte> payload, Instant now,
                                SegmentSink& out) {
  // RFC 9293 3.10.7.3, first: the ACK bit.
  const Seq ack(seg.ack);
  if (seg.flags.ack() && (ack <= iss_ || ack > snd_max_)) {
    if (!seg.flags.rst()) send_rst(ack, now, out);
    return;
  }
  // Second: RST. Acceptable only with an acceptable ACK: the connection was refused.
  if (seg.flags.rst()) {
    if (seg.flags.ack()) reset(ECONNREFUSED);
    return;
  }
  // Fourth: SYN.
  if (!seg.flags.syn()) return;
  irs_ = Seq(seg.seq);
  irs_known_ = true;
  rcv_nxt_ = irs_ + 1u;
  rcv_adv_ = rcv_nxt_;
  negotiate(seg.options);
  snd_wl1_ = Seq(seg.seq);
  snd_wl2_ = ack;
  snd_wnd_ = seg.window;  // RFC 7323 2.2: never scaled in a SYN
  max_snd_wnd_ = snd_wnd_;
  if (seg.flags.ack()) {
    rtt_sample(seg, ack, now);
    snd_una_ = ack;
    state_ = State::Established;
    retries_ = 0;
    rtt_.reset_backoff();
    timer_ = timer::Idle{};
    if (fin_queued_) state_ = State::FinWait1;
    ack_now_ = true;
    if (!payload.empty()) process_text(seg, payload, now, nullptr);
    return;
  }
  // RFC 9293 3.10.7.3: a SYN without ACK is a simultaneous open: SYN-RECEIVED, and our SYN is
  // sent again with the ACK.
  state_ = State::SynReceived;
  send_syn(true, now, out);
}

std::optional<Duration> Connection::rtt_sample(const Repr& seg, Seq acked_to, Instant now) {
  // RFC 7323 4.1: with timestamps, every ACK that advances the window gives a sample from TSecr.
  // Our timestamp clock ticks in milliseconds, too coarse for the round trips of a TUN device
  // (around 0.1 ms: every sample read 1 ms, and the probe and lost-retransmission timers that
  // follow SRTT waited ten times too long). Below two ticks the segment timed by the clock (the
  // Karn way, below) gives the sample instead, one per round trip.
  // An echo from before a timeout's retransmission dates the original (RFC 3522): its age is
  // the timeout's wait, not a round trip, and as a sample it took SRTT from 0.1 ms to 25 ms.
  if (ts_enabled_ && seg.options.timestamps && seg.options.timestamps->tsecr != 0 &&
      !echo_predates_rto(seg)) {
    const uint32_t elapsed = ts_now(now) - seg.options.timestamps->tsecr;
    if (elapsed >= 2 && elapsed < 60'000) {
      const Duration sample = std::chrono::milliseconds(std::max<uint32_t>(elapsed, 1));
      rtt_.sample(sample);
      rack_.on_rtt_sample(sample);
      trace_rtt(sample, now);
      rtt_timing_.reset();
      return sample;
    }
    if (elapsed >= 60'000) {
      rtt_timing_.reset();
      return std::nullopt;
    }
  }
  // RFC 6298 3 (Karn): time one segment at a time, never a retransmitted one.
  if (rtt_timing_ && acked_to > rtt_timing_->first) {
    const Duration sample =
        std::max<Duration>(now - rtt_timing_->second, std::chrono::microseconds(10));
    rtt_.sample(sample);
    rack_.on_rtt_sample(sample);
    trace_rtt(sample, now);
    rtt_timing_.reset();
    return sample;
  }
  return std::nullopt;
}

void Connection::fill_rate_sample(AckEvent& e, size_t newly_delivered, Instant now) {
  if (!rate_) return;
  e.delivered = newly_delivered;
  e.in_flight_after = sack_enabled_ ? sack_pipe() : bytes_in_flight();
  e.rate = rate_->on_ack(newly_delivered, snd_una_, scoreboard_.highest_sacked(), now);
}

void Connection::fill_loss_fields(AckEvent& e, bool rack_lost) const {
  e.sack = sack_enabled_;
  e.sack_lost = rack_lost;
  e.rack = sack_enabled_ && scoreboard_.sacked_bytes() > 0;
}

void Connection::autotune_send_buffer(bool advanced) {
  if (!snd_autotune_) return;
  // Room for two congestion windows (or peer windows, if smaller) of data, so the application's
  // writes stay ahead of what the network may take (Linux's tcp_sndbuf_expand), grown as ACKs
  // move SND.UNA. With an algorithm whose window a loss leaves as it was (BBR), also room for
  // everything outstanding plus a window, grown on any ACK: a hole holds SND.UNA back while
  // SACKed data piles up behind it, and without the room recovery had no new data to send, so a
  // lost retransmission had no later data SACKed to show it lost, and the timer had to. (With
  // NewReno or CUBIC that room let the pile, and FlightSize with it, grow to megabytes behind a
  // drop-tail queue, and the next reduction started from there.)
  const size_t w = std::min(cc_->cwnd(), max_snd_wnd_);
  size_t want = advanced ? 2 * w : 0;
  if (cc_->keeps_window_through_loss())
    want = std::max({want, 2 * w, distance(snd_una_, snd_max_) + w});
  want = std::min(want, config_.sndbuf_max);
  if (want > snd_buf_.capacity()) snd_buf_.set_capacity(want);
}

bool Connection::process_ack(const Repr& seg, size_t payload_len, Instant now, SegmentSink& out) {
  const Seq ack(seg.ack);
  // RFC 9293 3.10.7.4 / RFC 5961 5.2: an ACK for data never sent is answered and dropped; one
  // older than the window we could have sent is dropped too.
  if (ack > snd_max_) {
    send_ack(now, out);
    return false;
  }
  if (ack < snd_una_ - static_cast<uint32_t>(std::min<size_t>(max_snd_wnd_, 1u << 30))) {
    send_ack(now, out);
    return false;
  }
  // RFC 7323 4.3: remember the timestamp of the segment that covers the last ACK we sent. Only
  // here, once the ACK is known acceptable: a blind injection dropped for its ACK (RFC 5961 5)
  // must not move TS.Recent, or PAWS would drop the peer's genuine segments from then on.
  const Seq seq(seg.seq);
  if (ts_enabled_ && seg.options.timestamps && seq <= last_ack_sent_ &&
      static_cast<int32_t>(seg.options.timestamps->tsval - ts_recent_) >= 0)
    ts_recent_ = seg.options.timestamps->tsval;
  const size_t flight_before = bytes_in_flight();
  const Seq snd_una_before = snd_una_;
  const size_t old_wnd = snd_wnd_;
  const size_t sacked_before = scoreboard_.sacked_bytes();
  // RFC 8985 6.2: RACK looks at every ACK that delivers something (a loss outside recovery too
  // starts one); the reordering window is the one before this ACK's recovery decision.
  bool rack_lost = false;
  std::optional<Instant> recheck;  // RACK's reordering timer, once the timers are set below
  if (sack_enabled_ && ack >= snd_una_) {
    std::array<std::pair<Seq, Seq>, 4> blocks;
    size_t nblocks = 0;
    for (const auto& b : seg.options.sack)
      if (nblocks < blocks.size()) blocks[nblocks++] = {Seq(b.left), Seq(b.right)};
    const std::span<const std::pair<Seq, Seq>> taken(blocks.data(), nblocks);
    if (nblocks > 0) scoreboard_.update(ack, snd_max_, taken);
    // RFC 8985 6.2 step 4: a duplicate the peer reports means a resend for nothing, most likely
    // of a segment that was only late: the reordering window grows (once a round trip). Not for
    // a duplicate of the tail loss probe, which went on no evidence of loss at all and says
    // nothing of reordering (RFC 8985 7.4.2): under 1% loss each way and no reordering, such
    // duplicates grew the window 101 times in 4 s.
    const bool dsack = is_dsack(ack, taken);
    const bool probe_dup = dsack && tlp_rexmit_ && taken[0].first >= tlp_rexmit_->first &&
                           taken[0].second <= tlp_rexmit_->second;
    if (dsack) {
      ++stats_.dsacks_in;
      dsack_for_recovery(taken[0].first, taken[0].second, now);
    }
    if (rack_.update_reo_wnd(dsack && !probe_dup, ack, snd_max_)) ++stats_.reo_wnd_grown;
    // On every ACK, not only one that delivers something new: time passes, and a segment's
    // reordering window may be over by the next ACK (a tail loss probe's answer, say, which
    // may only repeat what was SACKed).
    rack_.on_ack(ack, taken, now, smss_, echo_after(seg, now));
    recheck = detect_rack_losses(now);
    rack_lost = rack_.lost_bytes() > 0;
  }
  if (ack > snd_una_) {
    dup_acks_run_ = 0;
    size_t acked = distance(snd_una_, ack);
    tlp_out_ = false;
    size_t data_acked = acked;
    if (snd_una_ == iss_) --data_acked;  // our SYN
    const bool fin_acked = fin_seq_ && ack > *fin_seq_;
    if (fin_acked && snd_una_ <= *fin_seq_) --data_acked;
    snd_buf_.consume(std::min(data_acked, snd_buf_.size()));
    const std::optional<Duration> sample = rtt_sample(seg, ack, now);
    if (sack_enabled_) scoreboard_.advance(ack);
    snd_una_ = ack;
    if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
    retries_ = 0;
    rtt_.reset_backoff();
    // The ACK of our SYN is not new data for congestion control (it starts with IW).
    AckResponse r;
    const bool was_recovering = cc_->in_recovery();
    if (data_acked > 0 || fin_acked) {
      AckEvent e{ack, acked, flight_before, snd_nxt_, now, rtt_.srtt(), sample};
      fill_loss_fields(e, rack_lost);
      // Delivered: what this ACK covers, less what was SACKed before (delivered then).
      const auto newly = static_cast<int64_t>(data_acked) +
                         static_cast<int64_t>(scoreboard_.sacked_bytes()) -
                         static_cast<int64_t>(sacked_before);
      fill_rate_sample(e, static_cast<size_t>(std::max<int64_t>(newly, 0)), now);
      r = cc_->on_ack(e);
      update_prr(was_recovering, flight_before, static_cast<size_t>(std::max<int64_t>(newly, 0)));
      note_recovery(was_recovering, now);
    }
    if (r.may_send_new) extra_allowance_ = smss_;
    if (data_acked > 0) check_spurious_timeout(seg, data_acked, now);
    if (rto_recovery_until_ && snd_una_ >= *rto_recovery_until_) {
      rto_recovery_until_.reset();
      rack_.on_recovery_end();
    }

    // RFC 6298 5.2/5.3: stop the timer when everything is acknowledged, else restart it.
    if (snd_una_ == snd_max_)
      timer_ = timer::Idle{};
    else
      arm_retransmit(now);
    if (r.retransmit_first_unacked && !was_recovering) {
      // RACK found a loss on an ACK of new data (RFC 8985 6.2): recovery starts here.
      ++stats_.fast_retransmits;
      trace(TraceKind::FastRetransmit, now, snd_una_, "rack");
      recover(now, out);
    } else if (r.retransmit_first_unacked && !sack_enabled_) {
      ++stats_.fast_retransmits;
      trace(TraceKind::FastRetransmit, now, snd_una_, "partial_ack");  // RFC 6582 3.2 step 3
      recover(now, out);
    } else if (cc_->in_recovery()) {
      // With SACK a partial ACK says nothing more of the segment now at SND.UNA, even with
      // nothing SACKed above it (the rest is most likely on its way): RACK tells whether it was
      // lost (RFC 6675 has no partial-ACK rule). Resending it anyway, as RFC 6582 does, sent
      // again a retransmission still on its way, on every partial ACK; the ACK of the first copy
      // then dated the second for RACK, which took what went between for lost. After a segment
      // that was only late, it resent the rest of the flight, one segment per partial ACK.
      sack_recovery(now, out);
    }
    // Our FIN acknowledged: the closing states move on (RFC 9293 3.10.7.4, fifth check).
    if (fin_acked) {
      switch (state_) {
        case State::FinWait1:
          state_ = State::FinWait2;
          if (app_closed_) timer_ = timer::TimeWait{now + 2 * config_.msl};  // orphan: bounded
          break;
        case State::Closing:
          enter_time_wait(now);
          break;
        case State::LastAck:
          reset(0);
          return false;
        default:
          break;
      }
    }
  } else if (ack == snd_una_) {
    // RFC 5681 2: a duplicate ACK carries no data, no SYN/FIN, the same window, and arrives while
    // data is outstanding. RFC 6675 2: with SACK, an ACK that SACKs octets not SACKed before is
    // one too, whatever its window (a receiver's window grows as its application reads: a loss
    // early in a connection would otherwise wait for the timer). An ACK closing the window is
    // not: it answers a zero-window probe, and says nothing about loss.
    const size_t wnd = size_t{seg.window} << snd_wscale_;
    const bool classic =
        payload_len == 0 && !seg.flags.fin() && wnd == old_wnd && flight_before > 0;
    const bool new_sack = sack_enabled_ && scoreboard_.sacked_bytes() > sacked_before;
    if ((classic || new_sack) && wnd > 0) {
      ++stats_.dup_acks_in;
      ++dup_acks_run_;
      if (trace_) {
        TraceEvent e = trace_event(TraceKind::DupAck, now);
        e.ack = static_cast<uint32_t>(distance(iss_, ack));
        trace_->record(e);
      }
      AckEvent e{ack, 0, flight_before, snd_nxt_, now, rtt_.srtt()};
      fill_loss_fields(e, rack_lost);
      const size_t newly_sacked =
          scoreboard_.sacked_bytes() - std::min(sacked_before, scoreboard_.sacked_bytes());
      fill_rate_sample(e, newly_sacked, now);
      const bool was_recovering = cc_->in_recovery();
      const AckResponse r = cc_->on_ack(e);
      update_prr(was_recovering, flight_before, newly_sacked);
      note_recovery(was_recovering, now);
      if (r.may_send_new) extra_allowance_ = smss_;  // RFC 3042 limited transmit
      if (r.retransmit_first_unacked) {
        ++stats_.fast_retransmits;
        // RFC 5681 3.2 step 2 (the third duplicate) without SACK information; with it, RACK found
        // a segment lost (RFC 8985 6.2).
        trace(TraceKind::FastRetransmit, now, snd_una_, e.rack ? "rack" : "dupacks");
        // A tail loss probe armed before the recovery still goes during it, against RFC 8985
        // 7.2's SHOULD: a recovery often ends in one cumulative ACK from the peer, and when that
        // is lost nothing else is outstanding to bring another. Re-arming the RTO instead made
        // 13 timeouts in 4 s of 1% loss each way where the probe leaves 1 or 2.
        recover(now, out);
      } else if (cc_->in_recovery()) {
        sack_recovery(now, out);
      }
    }
  }
  update_window(seg);
  if (sack_enabled_ && cc_->in_recovery()) send_new_in_recovery(now, out);
  autotune_send_buffer(ack > snd_una_before);
  if (old_wnd == 0 && snd_wnd_ > 0 && snd_nxt_ > snd_una_ && snd_nxt_ == snd_max_ &&
      distance(snd_una_, snd_nxt_) <= smss_) {
    // The window reopened with a zero-window probe unacknowledged: the peer dropped it (it was
    // beyond the window). Send again from SND.UNA, or the probe's hole waits for the timer, whose
    // RTO the probing has backed off to seconds.
    snd_nxt_ = snd_una_;
    rtt_.reset_backoff();
  }
  if (recheck) arm_reorder_timer(*recheck);
  return true;
}

std::optional<Instant> Connection::echo_after(const Repr& seg, Instant now) const {
  if (!ts_enabled_ || !seg.options.timestamps) return std::nullopt;
  // How many ticks of our timestamp clock (ts_now: 1 ms) ago the echoed TSval was; whatever
  // went from the start of the tick after it carried a larger TSval.
  const uint32_t age = ts_now(now) - seg.options.timestamps->tsecr;
  if (age > 60'000) return std::nullopt;  // not one of ours from the last minute
  const Instant tick_start = Instant::from_micros(now.micros() / 1000 * 1000);
  return tick_start - std::chrono::milliseconds(age) + std::chrono::milliseconds(1);
}

bool Connection::echo_predates_rto(const Repr& seg) const {
  return seg.options.timestamps && rto_retransmit_ts_ &&
         static_cast<int32_t>(seg.options.timestamps->tsecr - *rto_retransmit_ts_) < 0;
}

void Connection::check_spurious_timeout(const Repr& seg, size_t acked, Instant now) {
  // RFC 3522 2 (Eifel detection): the first ACK of new data after the timeout echoes a TSval
  // older than the retransmission's, so it was sent for the original: the data had arrived and
  // only its ACKs were lost or late (under 1% loss each way, most timeouts are that: the
  // recovery's one last ACK and the probe's were both lost).
  const bool spurious = echo_predates_rto(seg);
  rto_retransmit_ts_.reset();
  if (!spurious) return;
  ++stats_.spurious_timeouts;
  // RFC 4015 3: go on from SND.MAX rather than resending what the peer holds already, and give
  // back the congestion state of before the timeout.
  if (snd_nxt_ < snd_max_) snd_nxt_ = snd_max_;
  cc_->on_spurious_timeout(bytes_in_flight(), acked);
  trace(TraceKind::SpuriousRto, now, snd_una_);
}

void Connection::note_recovery(bool was_recovering, Instant now) {
  const bool recovering = cc_->in_recovery();
  if (!was_recovering && recovering && sack_enabled_) {
    resends_ = RecoveryResends{snd_una_, snd_max_};
  } else if (was_recovering && !recovering) {
    rack_.on_recovery_end();
    if (resends_) {
      resends_->ended = true;
      undo_recovery_if_spurious(now);
    }
  }
}

void Connection::dsack_for_recovery(Seq begin, Seq end, Instant now) {
  // RFC 3708 2: a D-SACK for data the recovery resent says that copy was not needed. A block
  // may report several segments (the peer merges adjacent duplicates).
  if (!resends_ || begin < resends_->begin || end > resends_->end || end <= begin) return;
  resends_->outstanding -= std::min(segments_in(distance(begin, end)), resends_->outstanding);
  undo_recovery_if_spurious(now);
}

void Connection::undo_recovery_if_spurious(Instant now) {
  // RFC 3708 2: every resend of the recovery came back as a duplicate, so the originals had
  // all arrived: nothing was lost, the segments were only late (reordered). The reduction is
  // undone (RFC 3708 leaves the response open; this is RFC 4015's, as for a timeout).
  if (!resends_ || !resends_->ended || !resends_->any || resends_->outstanding > 0) return;
  resends_.reset();
  ++stats_.spurious_recoveries;
  cc_->on_spurious_recovery();
  trace(TraceKind::SpuriousRecovery, now, snd_una_);
}

std::optional<Instant> Connection::detect_rack_losses(Instant now) {
  const auto d = rack_.detect_loss(rack_.reordering_window(cc_->in_recovery(), rtt_.srtt()), now);
  stats_.rack_lost += d.marked;
  if (d.marked > 0 && trace_) trace(TraceKind::RackLost, now, snd_una_, std::to_string(d.marked));
  return d.recheck;
}

void Connection::update_window(const Repr& seg) {
  // RFC 9293 3.10.7.4: take the window from the newest segment (SND.WL1/SND.WL2 rule).
  const Seq seq(seg.seq), ack(seg.ack);
  if (snd_wl1_ < seq || (snd_wl1_ == seq && snd_wl2_ <= ack)) {
    snd_wnd_ = size_t{seg.window} << snd_wscale_;
    snd_wl1_ = seq;
    snd_wl2_ = ack;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  }
}

void Connection::process_text(const Repr& seg, std::span<const std::byte> payload, Instant now,
                              PacketBuffer* datagram) {
  if (payload.empty()) return;
  Seq seq(seg.seq);
  if (seg.flags.syn()) seq += 1u;
  // Trim what we already have (RFC 9293 3.10.7.4: "segments with higher beginning sequence
  // numbers … may be held"; the part before RCV.NXT is a duplicate).
  if (seq < rcv_nxt_) {
    const size_t dup = distance(seq, rcv_nxt_);
    if (dup >= payload.size()) {
      // A full duplicate: the peer missed our ACK, or resent what it need not have. RFC 2883
      // (D-SACK) tells it so, and a Linux sender then undoes a reduction it made for nothing.
      note_duplicate(seq, payload.size());
      ack_at_once_or_after_batch();
      return;
    }
    payload = payload.subspan(dup);
    seq = rcv_nxt_;
  }
  const size_t offset = distance(rcv_nxt_, seq);
  if (offset > 0 && sack_enabled_ && rcv_.holding(offset, payload.size())) {
    note_duplicate(seq, payload.size());  // RFC 2883 4: a duplicate of data already SACKed
    ++stats_.out_of_order_in;
    ack_at_once_or_after_batch();
    return;
  }
  const bool filling_gap = rcv_.has_out_of_order();
  const size_t held_before = rcv_.out_of_order_bytes();
  const size_t advanced = rcv_.insert(offset, payload, datagram);
  if (advanced == 0 && rcv_.out_of_order_bytes() == held_before) ++stats_.not_stored_in;
  if (offset > 0) {
    // RFC 5681 4.2: out-of-order data is acknowledged at once (a duplicate ACK, with SACK).
    ++stats_.out_of_order_in;
    ack_at_once_or_after_batch();
    return;
  }
  rcv_nxt_ += advanced;
  stats_.bytes_in += advanced;
  // Auto-tuning: the peer sent up to the edge we advertised, so the window is what held it back:
  // double the buffer, up to TcpConfig::rcvbuf_max. Also when the reader is behind: a reader that
  // takes the data in bursts then finds more waiting, and the window closes (and hangs on a
  // window update that may be lost) a fraction as often.
  if (rcv_autotune_ && rcv_nxt_ + rmss_ >= rcv_adv_ && rcv_.capacity() < config_.rcvbuf_max)
    rcv_.set_capacity(std::min(2 * rcv_.capacity(), config_.rcvbuf_max));
  if (peer_fin_ && *peer_fin_ == rcv_nxt_) {
    peer_fin_.reset();
    process_fin(now);
  }
  if (filling_gap) {
    ack_at_once_or_after_batch();  // RFC 5681 4.2: ACK at once when a gap is filled
    return;
  }
  if (quickacks_left_ > 0) {
    --quickacks_left_;  // TcpConfig::quickack_segments: the connection's first segments
    ack_now_ = true;
    return;
  }
  // RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second full-sized segment, and never
  // later than the delayed-ACK timeout.
  // A segment the device merged (TUN offloads) counts as the full-sized ones it was made of.
  if (payload.size() >= smss_) unacked_full_segments_ += payload.size() / smss_;
  if (unacked_full_segments_ >= 2) {
    // In a read batch, one ACK for the lot (set_coalescing) — unless a quarter of the buffer
    // (at most 64 KiB, a GRO super-packet's worth) would go unacknowledged, which could stall a
    // sender limited by our window.
    const size_t owed = distance(last_ack_sent_, rcv_nxt_);
    if (coalescing_ && owed < std::min<size_t>(rcv_.capacity() / 4, 64 * 1024))
      deferred_ack_ = true;
    else
      ack_now_ = true;
  } else if (!ack_deadline_)
    ack_deadline_ = now + config_.delayed_ack;
}

void Connection::note_duplicate(Seq seq, size_t len) {
  ++stats_.duplicates_in;
  if (sack_enabled_) dsack_ = {seq, seq + len};  // reported by the next ACK (header())
}

void Connection::ack_at_once_or_after_batch() {
  // An ACK the peer's loss recovery waits for. Without SACK each duplicate ACK counts (RFC 5681
  // 3.2: the third starts fast retransmit), so each goes at once. With SACK the peer counts what
  // the blocks say arrived (RFC 6675 5, IsLost), not ACKs: in a read batch, one ACK after it
  // carries the same news, its first block the latest segment's (RFC 2018 4). A receiver that
  // answered every segment of a batch behind a hole made its peer process hundreds of ACKs per
  // round trip, and kept both ends so busy that the queue to us grew to milliseconds.
  // But not a whole batch behind one ACK: at most config_.sack_every segments, as Linux
  // compresses at most net.ipv4.tcp_comp_sack_nr (44) SACKs into one. Under loss nearly
  // every segment arrives behind a hole (with 1% loss, 94% of them at 4 Gbit/s), and one ACK a
  // batch — a hundred segments — made the kernel take SACKed data for lost and resend it: 2.8%
  // of what it sent where 1% was lost. An ACK every 32 brought that to 1.2%.
  if (coalescing_ && sack_enabled_ && ++deferred_sacks_ < config_.sack_every)
    deferred_ack_ = true;
  else
    ack_now_ = true;
}

void Connection::process_fin(Instant now) {
  // RFC 9293 3.10.7.4, eighth: the FIN takes one sequence number and ends the peer's stream.
  rcv_nxt_ += 1u;
  fin_received_ = true;
  ack_now_ = true;
  switch (state_) {
    case State::SynReceived:
    case State::Established:
      state_ = State::CloseWait;
      break;
    case State::FinWait1:
      if (fin_seq_ && snd_una_ > *fin_seq_)
        enter_time_wait(now);
      else
        state_ = State::Closing;
      break;
    case State::FinWait2:
      enter_time_wait(now);
      break;
    default:
      break;
  }
}

}  // namespace tundra::tcp
