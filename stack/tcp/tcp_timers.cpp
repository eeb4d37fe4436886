// Connection timers: retransmission (RFC 6298), the persist timer for zero windows (RFC 9293
// 3.8.6.1), delayed ACKs (RFC 1122 4.2.3.2), keep-alive (RFC 1122 4.2.3.6) and TIME-WAIT.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "stack/tcp/connection.hpp"

namespace tundra::tcp {

void Connection::on_timer(Instant now, SegmentSink& out) {
  TraceScope scope(*this, now);
  if (ack_deadline_ && *ack_deadline_ <= now) {
    ack_deadline_.reset();
    ack_now_ = true;
  }
  const auto* rt = std::get_if<timer::Retransmit>(&timer_);
  if (rt && rt->at <= now) {
    switch (rt->then) {
      case timer::Retransmit::Then::Probe:
        tlp_out_ = true;
        send_tail_loss_probe(now, out);
        timer_ = timer::Retransmit{now + rtt_.rto()};
        break;
      case timer::Retransmit::Then::Reorder:
        on_reorder_timeout(now, out);
        break;
      case timer::Retransmit::Then::Timeout:
        on_retransmit_timeout(now, out);
        break;
    }
  } else if (const auto* p = std::get_if<timer::Persist>(&timer_); p && p->at <= now) {
    on_persist_timeout(now, out);
  } else if (const auto* w = std::get_if<timer::TimeWait>(&timer_); w && w->at <= now) {
    // 2·MSL over (or an orphaned FIN-WAIT-2 gave up): the connection is deleted.
    reset(0);
    return;
  }
  if (state_ == State::Closed) return;
  if (keepalive_at_ && *keepalive_at_ <= now && std::holds_alternative<timer::Idle>(timer_) &&
      synchronized(state_)) {
    // RFC 1122 4.2.3.6: a probe the peer must ACK: one sequence number below SND.UNA, no data.
    if (keepalive_sent_ >= config_.keepalive_probes) {
      reset(ETIMEDOUT);
      return;
    }
    ++keepalive_sent_;
    keepalive_at_ = now + config_.keepalive_interval;
    auto h = header(snd_una_ - 1u, wire::tcp::Flags(wire::tcp::Flag::Ack), now);
    transmit(OutSegment{h, PacketBuffer::with_capacity(0)}, now, out);
  }
  if (state_ == State::SynSent || state_ == State::SynReceived) return;
  output(now, out);
}

void Connection::on_reorder_timeout(Instant now, SegmentSink& out) {
  // RFC 8985 6.2: no ACK came while the reordering window ran out, so RACK looks again without
  // one; the probe or the RTO takes the timer back. A loss found here starts a recovery as one
  // found on an ACK would (Linux's RACK reordering timeout does the same). Without the timer,
  // a loss seen inside the window (fewer than three segments SACKed above it, no recovery yet)
  // waited for the next ACK, and at the end of a flight there is none: the probe came 2 ms on.
  // The timer goes back to a probe, in recovery too: the reordering timer took the place of the
  // one armed before the recovery (see process_ack), and a recovery's last ACK can be lost.
  arm_retransmit(now, true);
  const std::optional<Instant> recheck = detect_rack_losses(now);
  if (rack_.lost_bytes() > 0) {
    const bool was_recovering = cc_->in_recovery();
    const size_t flight = bytes_in_flight();
    AckEvent e{snd_una_, 0, flight, snd_nxt_, now, rtt_.srtt()};
    fill_loss_fields(e, true);
    e.in_flight_after = sack_pipe();
    const AckResponse r = cc_->on_loss_detected(e);
    update_prr(was_recovering, flight, 0);
    note_recovery(was_recovering, now);
    if (r.retransmit_first_unacked && !was_recovering) {
      ++stats_.fast_retransmits;
      trace(TraceKind::FastRetransmit, now, snd_una_, "rack_timer");
      recover(now, out);
    } else if (cc_->in_recovery()) {
      sack_recovery(now, out);
    }
    if (cc_->in_recovery()) send_new_in_recovery(now, out);
  }
  if (recheck) arm_reorder_timer(*recheck);
}

void Connection::on_retransmit_timeout(Instant now, SegmentSink& out) {
  ++retries_;
  ++stats_.timeouts;
  rtt_timing_.reset();  // Karn: nothing in flight may be timed now
  rtt_.backoff();       // RFC 6298 5.5
  if (trace_) trace(TraceKind::Rto, now, snd_una_, fmt::format("retries={}", retries_));
  if (state_ == State::SynSent || state_ == State::SynReceived) {
    if (retries_ > config_.syn_retries) {
      reset(ETIMEDOUT);
      return;
    }
    send_syn(state_ == State::SynReceived, now, out);
    ++stats_.retransmits;  // a SYN sent again is a segment retransmitted, as in netstat -s
    arm_retransmit(now);
    return;
  }
  if (retries_ > config_.data_retries) {
    reset(ETIMEDOUT);
    return;
  }
  resends_.reset();  // a timeout's resends are Eifel's to judge (check_spurious_timeout)
  // RFC 8985 6.2 step 4 counts the end of an RTO recovery too: when SND.UNA passes what had
  // been sent when the (first) timeout fired.
  if (!rto_recovery_until_) rto_recovery_until_ = snd_max_;
  // RFC 3522: the first retransmission of a run is what the next ACK's echo is held against.
  if (retries_ == 1 && ts_enabled_) rto_retransmit_ts_ = ts_now(now);
  // RFC 5681 3.1 (eq. 4) and RFC 6298 5.4: shrink to the loss window and resend from SND.UNA.
  cc_->on_retransmission_timeout(bytes_in_flight(), snd_nxt_);
  prr_.reset();
  if (sack_enabled_) {
    scoreboard_.clear();
    rack_.on_timeout();
  }
  snd_nxt_ = snd_una_;
  if (send_data(now, out) == 0 && fin_outstanding()) retransmit_first(now, out);
  arm_retransmit(now);  // RFC 6298 5.6: restart with the backed-off RTO
}

void Connection::on_persist_timeout(Instant now, SegmentSink& out) {
  // RFC 9293 3.8.6.1: probe the zero window. The probe carries one byte of new data (allowed by
  // the RFC), so a peer that ignores empty probes still has to answer; if a probe byte is already
  // outstanding, it is sent again instead. A small open window that sender SWS avoidance left
  // unused gets what it takes (RFC 1122 4.2.3.4: the override timeout).
  const bool zero = snd_wnd_ == 0;
  if (zero) ++stats_.zero_window_probes;
  rtt_.backoff();
  trace(TraceKind::Persist, now, snd_nxt_ > snd_una_ ? snd_una_ : snd_nxt_,
        zero ? "zero_window" : "sws_override");
  if (snd_nxt_ > snd_una_) {
    retransmit_first(now, out);
  } else if (unsent() > 0) {
    const size_t len = zero ? 1 : std::min({snd_wnd_, unsent(), smss_});
    send_segment(snd_nxt_, len, false, now, out, false);
    snd_nxt_ += len;
    snd_max_ = max(snd_max_, snd_nxt_);
  }
  timer_ = timer::Persist{now + rtt_.rto()};
}

}  // namespace tundra::tcp
