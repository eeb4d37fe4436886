// BBR v1: the model (BtlBw, RTprop, round trips), the state machine (Startup, Drain, ProbeBW,
// ProbeRTT) and the window it sets, on each ACK; RenoRecovery picks what to retransmit.
#include "stack/tcp/bbr.hpp"

#include <algorithm>
#include <cmath>

namespace tundra::tcp {

Bbr::Bbr(size_t smss) : RenoRecovery(smss), cwnd_(initial_window(std::max<size_t>(smss, 1))) {}

double Bbr::btl_bw() const {
  return btl_bw_;
}

size_t Bbr::target_cwnd(double gain) const {
  const double bw = btl_bw();
  if (!min_rtt_ || bw <= 0) return std::max(initial_window(smss()), min_cwnd());
  const double rtt_s = std::chrono::duration<double>(*min_rtt_).count();
  const double bdp = bw * rtt_s;
  // The quantization budget: room for three sends' worth beyond the BDP, so that batching (one
  // send's worth of segments at a time, and ACKs that come back covering several) does not
  // leave the path idle. A send's worth is a millisecond at BtlBw, from 2 segments to 64 KiB.
  const double quantum = std::clamp(bw / 1000.0, 2.0 * static_cast<double>(smss()), 65536.0);
  const auto w = static_cast<size_t>(std::ceil(gain * bdp + 3 * quantum));
  return std::max(w, min_cwnd());
}

size_t Bbr::saved_cwnd() const {
  // Entering recovery or ProbeRTT from the open state saves cwnd; from inside either, the larger
  // of what was saved and what cwnd is now.
  if (!was_in_recovery_ && !loss_until_ && mode_ != Mode::ProbeRtt) return cwnd_;
  return std::max(prior_cwnd_, cwnd_);
}

AckResponse Bbr::on_ack(const AckEvent& e) {
  const bool before = in_recovery();
  const AckResponse r = RenoRecovery::on_ack(e);
  acked_yet_ = true;
  const bool after = in_recovery();
  update_model(e);
  update_cwnd(e, !before && after, before && !after);
  was_in_recovery_ = after;
  return r;
}

AckResponse Bbr::on_loss_detected(const AckEvent& e) {
  // Found by RACK's timer: nothing was delivered, so the model stays; a recovery that starts
  // here keeps what is in flight, as one started on an ACK does.
  const AckResponse r = RenoRecovery::on_loss_detected(e);
  if (!was_in_recovery_ && in_recovery()) {
    update_cwnd(e, true, false);
    was_in_recovery_ = true;
  }
  return r;
}

void Bbr::update_model(const AckEvent& e) {
  delivered_ += e.delivered;
  round_start_ = false;
  if (e.rate) {
    const RateSample& rs = *e.rate;
    // A round trip ends when a segment sent after it began is delivered.
    if (rs.prior_delivered >= next_round_delivered_) {
      next_round_delivered_ = delivered_;
      ++round_count_;
      round_start_ = true;
      packet_conservation_ = false;  // one round of it after a loss
    }
    // Samples over less than RTprop were compressed (the draft's rule: an ACK burst would
    // otherwise look faster than the path); app-limited ones count only where they raise BtlBw.
    const double bw = rs.bytes_per_second();
    const bool compressed = min_rtt_ && rs.interval < *min_rtt_;
    if (bw > 0 && !compressed && (!rs.app_limited || bw >= btl_bw())) {
      RoundMax& slot = bw_[round_count_ % kBwWindowRounds];
      if (slot.round != round_count_) slot = RoundMax{round_count_, 0};
      slot.bw = std::max(slot.bw, bw);
      // The filter moves on only with samples it takes: while the application is the limit,
      // rounds go by without them, and what the path can do is not forgotten (as Linux's).
      btl_bw_ = 0;
      for (const RoundMax& r : bw_)
        if (r.round + kBwWindowRounds > round_count_) btl_bw_ = std::max(btl_bw_, r.bw);
    }
    // Startup's end: three rounds in a row without a quarter more bandwidth.
    if (!full_bw_reached_ && round_start_ && !rs.app_limited) {
      if (btl_bw() >= full_bw_ * kFullBwGrowth) {
        full_bw_ = btl_bw();
        full_bw_count_ = 0;
      } else if (++full_bw_count_ >= kFullBwRounds) {
        full_bw_reached_ = true;
      }
    }
  }
  if (mode_ == Mode::Startup && full_bw_reached_) mode_ = Mode::Drain;
  if (mode_ == Mode::Drain && e.in_flight_after <= target_cwnd(1.0)) mode_ = Mode::ProbeBw;
  check_probe_rtt(e);
}

void Bbr::check_probe_rtt(const AckEvent& e) {
  const bool expired = min_rtt_ && e.now > min_rtt_stamp_ + kMinRttWindow;
  if (e.rtt_sample && (!min_rtt_ || *e.rtt_sample <= *min_rtt_ || expired)) {
    min_rtt_ = *e.rtt_sample;
    min_rtt_stamp_ = e.now;
  }
  if (expired && mode_ != Mode::ProbeRtt) {
    // RTprop has not been seen for 10 s: drain the queue to see it again.
    prior_cwnd_ = saved_cwnd();
    mode_ = Mode::ProbeRtt;
    probe_rtt_done_.reset();
  }
  if (mode_ != Mode::ProbeRtt) return;
  if (!probe_rtt_done_) {
    if (e.in_flight_after <= min_cwnd()) {
      probe_rtt_done_ = e.now + kProbeRttTime;
      probe_rtt_round_done_ = false;
      next_round_delivered_ = delivered_;
    }
    return;
  }
  if (round_start_) probe_rtt_round_done_ = true;
  if (probe_rtt_round_done_ && e.now >= *probe_rtt_done_) {
    min_rtt_stamp_ = e.now;
    cwnd_ = std::max(cwnd_, prior_cwnd_);
    mode_ = full_bw_reached_ ? Mode::ProbeBw : Mode::Startup;
    probe_rtt_done_.reset();
  }
}

void Bbr::update_cwnd(const AckEvent& e, bool entered_recovery, bool left_recovery) {
  const size_t acked = e.delivered;
  if (loss_until_ && e.ack > *loss_until_) {
    // Everything outstanding at the timeout is acknowledged: the loss state is over.
    loss_until_.reset();
    cwnd_ = std::max(cwnd_, prior_cwnd_);
  }
  if (entered_recovery) {
    // A loss: keep what is in flight, plus what this ACK delivered, for one round trip.
    prior_cwnd_ = saved_cwnd();
    packet_conservation_ = true;
    next_round_delivered_ = delivered_;
    cwnd_ = e.in_flight_after + std::max(acked, smss());
  } else if (left_recovery) {
    cwnd_ = std::max(cwnd_, prior_cwnd_);
    packet_conservation_ = false;
  }
  if (packet_conservation_) {
    cwnd_ = std::max(cwnd_, e.in_flight_after + acked);
  } else {
    const double gain = mode_ == Mode::Startup ? kHighGain : mode_ == Mode::Drain ? 1.0 : kCwndGain;
    const size_t target = target_cwnd(gain);
    // Grow by what was delivered: toward the target once the bandwidth is known, without a
    // ceiling before (Startup's doubling, which the target at high gain keeps ahead of).
    if (full_bw_reached_)
      cwnd_ = std::min(cwnd_ + acked, target);
    else if (cwnd_ < target || delivered_ < initial_window(smss()))
      cwnd_ += acked;
  }
  cwnd_ = std::max(cwnd_, min_cwnd());
  if (mode_ == Mode::ProbeRtt) cwnd_ = std::min(cwnd_, min_cwnd());
}

void Bbr::on_retransmission_timeout(size_t flight, Seq snd_nxt) {
  RenoRecovery::on_retransmission_timeout(flight, snd_nxt);
  // As RFC 5681's loss window: one segment, grown back by what ACKs deliver; the model stays.
  if (!loss_until_) prior_cwnd_ = saved_cwnd();
  loss_until_ = snd_nxt - 1u;
  packet_conservation_ = false;
  was_in_recovery_ = false;
  full_bw_ = 0;
  cwnd_ = smss();
}

void Bbr::on_spurious_timeout(size_t flight, size_t acked) {
  RenoRecovery::on_spurious_timeout(flight, acked);
  // Nothing was lost: the window the timeout saved comes back at once, the loss state ends.
  if (!loss_until_) return;
  loss_until_.reset();
  cwnd_ = std::max(cwnd_, prior_cwnd_);
}

void Bbr::on_idle_restart(Duration idle, Duration rto) {
  // RFC 5681 4.1, as for the other algorithms: the ACK clock has stopped.
  if (idle > rto) cwnd_ = std::min(cwnd_, std::max(initial_window(smss()), min_cwnd()));
}

void Bbr::set_smss(size_t smss) {
  RenoRecovery::set_smss(smss);
  if (!acked_yet_) cwnd_ = initial_window(this->smss());
}

}  // namespace tundra::tcp
