// NewReno (RFC 5681, RFC 6582, RFC 3042): the arithmetic on cwnd and ssthresh per ACK and timeout,
// called by the TCP connection through the CongestionControl interface; its loss recovery
// (RenoRecovery) is CUBIC's too.
#include "stack/tcp/newreno.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace tundra::tcp {

namespace {
// RFC 5681 3.2: the third duplicate ACK signals a loss.
constexpr unsigned kDupThreshold = 3;
}  // namespace

RenoRecovery::RenoRecovery(size_t smss)
    : smss_(std::max<size_t>(smss, 1)),
      cwnd_(initial_window(smss_)),
      ssthresh_(std::numeric_limits<size_t>::max()) {}

bool RenoRecovery::beyond_recover(Seq ack, bool sack) const {
  // RFC 6582 3.2 step 1: the ACK must cover more than recover (the highest octet sent when the
  // last loss was answered). With SACK, RFC 6675 5 and 5.1: a new recovery may start once HighACK
  // (ack - 1) has reached RecoveryPoint — the duplicates then are about data sent after it, which
  // SACK tells apart from the old window's. With the stricter rule, the loss of the first segment
  // sent after a recovery could only be repaired by the retransmission timer.
  if (!recover_) return true;
  return sack ? ack - 1u >= *recover_ : ack - 1u > *recover_;
}

size_t RenoRecovery::loss_base(size_t flight) const {
  // RFC 5681 3.2 halves FlightSize (RFC 9438 4.6: CUBIC takes beta_cubic of it). Right after a
  // SACK recovery FlightSize can be far above cwnd: SND.UNA waited behind a hole while new data
  // went out, and FlightSize counts all of it, what was SACKed too. A loss then gave CUBIC an
  // ssthresh of 0.7 x 269 kB where the path held 110 kB, the recovery overfilled the queue again
  // and lost its own retransmissions (the slowstart lab, a timeout one run in five). As Linux,
  // reduce from cwnd when it is the smaller (RFC 9438 4.6 mentions implementations that use
  // cwnd; taking the smaller of the two keeps FlightSize's guard against a cwnd that an
  // application-limited sender never used).
  return std::min(flight, cwnd_);
}

AckResponse RenoRecovery::on_ack(const AckEvent& e) {
  fresh_ = false;
  return e.kind() == AckKind::Duplicate ? on_duplicate(e) : on_new_data(e);
}

AckResponse RenoRecovery::on_new_data(const AckEvent& e) {
  AckResponse r;
  dup_acks_ = 0;
  // SND.UNA moved, so the segment now first in line has not been through the timer.
  timed_out_ = false;
  const size_t flight_after = e.flight_before - std::min(e.bytes_acked, e.flight_before);

  if (in_recovery_) {
    if (e.ack > *recover_) {
      // RFC 6582 3.2 step 3, full acknowledgment: deflate and leave fast recovery. Without SACK,
      // option (1), which never lets more than one segment beyond what is outstanding go in a
      // burst. With SACK, option (2), cwnd = ssthresh, as Linux leaves recovery: SACK repair has
      // usually left little in flight by the full ACK, and option (1) would then restart from
      // two segments after every loss.
      cwnd_ = e.sack ? ssthresh_ : std::min(ssthresh_, std::max(flight_after, smss_) + smss_);
      in_recovery_ = false;
      on_window_reset();
    } else if (e.sack) {
      // RFC 6675 5 with RFC 8985: the pipe, which leaves out what was SACKed or marked lost,
      // says what is in the network; cwnd stays at ssthresh for the whole recovery. The partial
      // ACK only asks the connection to look at what is lost now.
      r.retransmit_first_unacked = true;
    } else {
      // RFC 6582 3.2 step 3, partial acknowledgment: the next hole is at SND.UNA; retransmit it,
      // deflate by what was acknowledged and add back one SMSS if a full segment left the network.
      // cwnd keeps at least one segment, the loss window, whatever a large partial ACK takes away.
      r.retransmit_first_unacked = true;
      cwnd_ -= std::min(e.bytes_acked, cwnd_);
      if (e.bytes_acked >= smss_) cwnd_ += smss_;
      cwnd_ = std::max(cwnd_, smss_);
      r.may_send_new = cwnd_ >= flight_after + smss_;
    }
  } else if (e.sack_lost && beyond_recover(e.ack, e.sack)) {
    // RFC 8985 6.2 (RACK): an ACK of new data can show a loss too, where its SACK blocks say
    // that something sent after a still missing segment arrived.
    enter_rack_recovery(e);
    r.retransmit_first_unacked = true;
  } else if (cwnd_ < ssthresh_) {
    // RFC 5681 3.1 eq. 2 with RFC 3465's appropriate byte counting: grow by what the ACK covers,
    // so that cwnd doubles per round trip however the receiver spaces its ACKs, while one
    // splitting its ACKs cannot speed the growth up. RFC 3465 2.3's limit L = 2*SMSS per ACK is
    // not applied, as Linux does not: receivers that coalesce ACKs (GRO, tundra's own batch ACKs)
    // send stretch ACKs, and with L slow start would grow by two segments per round trip. The slow
    // start that follows a timeout keeps L = 1*SMSS (3465 2.3): there a cumulative ACK may cover
    // a whole window that the retransmission did not send. The algorithm may apply less of it
    // (CUBIC's HyStart++).
    grow_in_slow_start(e,
                       slow_start_after_timeout_ ? std::min(e.bytes_acked, smss_) : e.bytes_acked);
    if (cwnd_ >= ssthresh_) slow_start_after_timeout_ = false;
  } else {
    grow_in_congestion_avoidance(e);
  }

  if (!in_recovery_ && recover_ && beyond_recover(e.ack)) recover_.reset();
  return r;
}

void RenoRecovery::save_prior() {
  prior_cwnd_ = cwnd_;
  prior_ssthresh_ = ssthresh_;
}

void RenoRecovery::enter_rack_recovery(const AckEvent& e) {
  // As on the third duplicate, with cwnd = ssthresh (RFC 6675 5 step 4.2: no duplicates to
  // inflate it by).
  save_prior();
  ssthresh_ = ssthresh_after_loss(loss_base(e.flight_before), LossSignal::DuplicateAcks);
  cwnd_ = ssthresh_;
  recover_ = e.snd_nxt - 1u;
  in_recovery_ = true;
  on_window_reset();
  inflations_left_ = 0;
}

AckResponse RenoRecovery::on_loss_detected(const AckEvent& e) {
  fresh_ = false;
  AckResponse r;
  // In recovery the connection resends what is marked; a loss in the window a recovery already
  // answered is no new congestion event (RFC 6582 3.2 step 2).
  if (in_recovery_ || !e.sack_lost || !beyond_recover(e.ack, e.sack)) return r;
  enter_rack_recovery(e);
  r.retransmit_first_unacked = true;
  return r;
}

AckResponse RenoRecovery::on_duplicate(const AckEvent& e) {
  AckResponse r;
  if (dup_acks_ < std::numeric_limits<unsigned>::max()) ++dup_acks_;

  if (in_recovery_) {
    // With SACK the pipe counts what left the network (RFC 6675 5): cwnd is not inflated.
    if (e.sack) return r;
    // RFC 5681 3.2 step 4: each further duplicate means another segment has left the network.
    if (inflations_left_ > 0) {
      --inflations_left_;
      cwnd_ += smss_;
    }
    // RFC 5681 3.2 step 5.
    r.may_send_new = cwnd_ >= e.flight_before + smss_;
    return r;
  }

  if (dup_acks_ == 1) flight_at_first_dup_ = e.flight_before;
  // RFC 8985: with SACK information RACK says when a segment is lost, however many duplicates
  // came (fewer, when ACKs were lost or covered several segments; more, when what they SACK
  // was sent before a retransmission still on its way).
  if (e.rack) dup_acks_ = e.sack_lost ? kDupThreshold : std::min(dup_acks_, kDupThreshold - 1);

  if (dup_acks_ < kDupThreshold) {
    // RFC 5681 3.2 step 1 (RFC 3042): one new segment per duplicate as long as FlightSize stays
    // within cwnd + 2*SMSS; cwnd itself does not change.
    r.may_send_new = e.flight_before + smss_ <= cwnd_ + 2 * smss_;
    return r;
  }

  // RFC 6582 3.2 step 2, the "careful" variant: duplicates that do not cover more than recover
  // follow a loss already answered (by fast recovery or a timeout's go-back-N resend), so they
  // start neither a fast retransmit nor a second reduction of ssthresh. The timer remains the
  // backstop if a retransmission was itself lost (RFC 6582 4).
  if (dup_acks_ != kDupThreshold || !beyond_recover(e.ack, e.sack)) return r;

  // RFC 5681 3.2 steps 2 and 3, with RFC 6582 3.2 step 2 recording recover. The algorithm
  // decides how far ssthresh falls (NewReno halves FlightSize, CUBIC takes beta_cubic of it).
  save_prior();
  ssthresh_ = ssthresh_after_loss(loss_base(flight_at_first_dup_), LossSignal::DuplicateAcks);
  // RFC 5681 3.2 step 3 inflates cwnd by the three segments the duplicates say have left; with
  // SACK the pipe counts those (RFC 6675 5 step 4.2: cwnd = ssthresh).
  cwnd_ = e.sack ? ssthresh_ : ssthresh_ + kDupThreshold * smss_;
  recover_ = e.snd_nxt - 1u;
  in_recovery_ = true;
  on_window_reset();
  const size_t outstanding_segments = (flight_at_first_dup_ + smss_ - 1) / smss_;
  inflations_left_ =
      outstanding_segments > kDupThreshold ? outstanding_segments - kDupThreshold : 0;
  r.retransmit_first_unacked = true;
  r.may_send_new = !e.sack && cwnd_ >= e.flight_before + smss_;
  return r;
}

void RenoRecovery::grow_in_slow_start(const AckEvent& /*e*/, size_t increase) {
  cwnd_ += increase;
}

void RenoRecovery::on_retransmission_timeout(size_t flight, Seq snd_nxt) {
  fresh_ = false;
  // RFC 5681 3.1 eq. 4 (RFC 9438 4.8 for CUBIC), unless this segment was already resent by the
  // timer: then the flight is only what slow start resent since, and ssthresh is held.
  if (!timed_out_) {
    pipe_prev_ = std::max(flight, ssthresh_);
    ssthresh_ = ssthresh_after_loss(flight, LossSignal::Timeout);
  }
  timed_out_ = true;
  slow_start_after_timeout_ = true;
  prior_cwnd_ = 0;  // a fast recovery before it is not undone any more
  // RFC 5681 3.1: the loss window, one full-sized segment, regardless of IW.
  cwnd_ = smss_;
  on_window_reset();
  dup_acks_ = 0;
  // RFC 6582 3.2 step 4: remember how far we had sent, and leave fast recovery.
  in_recovery_ = false;
  inflations_left_ = 0;
  recover_ = snd_nxt - 1u;
}

void RenoRecovery::on_spurious_timeout(size_t flight, size_t acked) {
  // (The ACK has been through on_ack already, which ended the timeout's state: pipe_prev_ says
  // a timeout's reduction is there to undo.)
  if (pipe_prev_ == 0) return;
  // RFC 4015 3 (the Eifel response): the congestion state goes back to before the timeout, and
  // the timeout's `recover` goes too, since SND.NXT returns to SND.MAX (nothing is resent).
  ssthresh_ = std::max(ssthresh_, std::exchange(pipe_prev_, 0));
  cwnd_ = std::max(cwnd_, flight + std::min(acked, initial_window(smss_)));
  on_window_reset();
  timed_out_ = false;
  slow_start_after_timeout_ = false;
  recover_.reset();
}

void RenoRecovery::on_spurious_recovery() {
  if (prior_cwnd_ == 0 || in_recovery_) return;
  // Back to the window of before the recovery. (Its `recover` went with the ACK that ended it.)
  cwnd_ = std::max(cwnd_, std::exchange(prior_cwnd_, 0));
  ssthresh_ = std::max(ssthresh_, prior_ssthresh_);
  on_window_reset();
}

void RenoRecovery::on_idle_restart(Duration idle, Duration rto) {
  // RFC 5681 4.1: the ACK clock has drained, restart from RW = min(IW, cwnd).
  if (idle <= rto) return;
  cwnd_ = std::min(cwnd_, initial_window(smss_));
  on_window_reset();
}

void RenoRecovery::set_smss(size_t smss) {
  if (smss == 0 || smss == smss_) return;
  if (fresh_) {
    // Nothing sent under the old size yet: IW is defined in terms of the real SMSS.
    cwnd_ = initial_window(smss);
  } else if (smss < smss_) {
    // RFC 5681 3.1: a smaller MSS found by path MTU discovery reduces cwnd by the ratio of the old
    // segment size to the new, so the same number of segments (not bytes) stays in flight.
    cwnd_ = std::max(cwnd_ / smss_ * smss + cwnd_ % smss_ * smss / smss_, smss);
  }
  smss_ = smss;
}

void NewReno::grow_in_congestion_avoidance(const AckEvent& e) {
  // RFC 5681 3.1, congestion avoidance by counting bytes: one SMSS each time a cwnd's worth has
  // been acknowledged, i.e. about one per RTT whether or not the receiver delays its ACKs.
  ca_acked_ += e.bytes_acked;
  if (ca_acked_ >= cwnd()) {
    ca_acked_ -= cwnd();
    set_cwnd(cwnd() + smss());
  }
}

size_t NewReno::ssthresh_after_loss(size_t flight, LossSignal /*signal*/) {
  return std::max(flight / 2, 2 * smss());
}

}  // namespace tundra::tcp
