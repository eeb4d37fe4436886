// CUBIC (RFC 9438): the window growth in congestion avoidance and the decrease on a loss, called
// through RenoRecovery's hooks while the TCP connection drives the CongestionControl interface.
#include "stack/tcp/cubic.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace tundra::tcp {

namespace {
double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

Cubic::Cubic(size_t smss, bool fast_convergence, bool hystart)
    : RenoRecovery(smss), fast_convergence_(fast_convergence) {
  if (hystart) hystart_.emplace();
}

double Cubic::k_for(double w_max, double cwnd_epoch) {
  // RFC 9438 Figure 2. When cwnd_epoch is already above W_max the cube root is negative: the
  // curve is then past its plateau and the stage starts on its convex side.
  return std::cbrt((w_max - cwnd_epoch) / kC);
}

double Cubic::w_cubic(double t, double k, double w_max) {
  const double d = t - k;
  return kC * d * d * d + w_max;
}

std::optional<Instant> Cubic::epoch_start() const {
  if (!epoch_) return std::nullopt;
  return epoch_->start;
}

void Cubic::start_epoch(Instant now, double cwnd_segments) {
  // RFC 9438 4.10: a slow start that ended without a loss leaves W_max undefined; then
  // cwnd_prior = cwnd, and the stage grows as after a timeout (below).
  if (!cwnd_prior_) cwnd_prior_ = cwnd_segments;
  double stage_k = 0.0;
  if (after_timeout_ || !w_max_) {
    // RFC 9438 4.8 (and 4.10): K = 0 and W_max = cwnd_epoch, so the stage starts on the convex
    // side of a curve centred where it begins.
    w_max_ = cwnd_segments;
    after_timeout_ = false;
  } else {
    stage_k = k_for(*w_max_, cwnd_segments);
  }
  epoch_ = Epoch{.start = now, .cwnd = cwnd_segments, .k = stage_k};
  // RFC 9438 4.3: W_est starts at cwnd_epoch.
  w_est_ = cwnd_segments;
  credit_ = 0.0;
}

void Cubic::grow_by(double bytes) {
  credit_ += std::max(bytes, 0.0);
  const double whole = std::floor(credit_);
  credit_ -= whole;
  set_cwnd(cwnd() + static_cast<size_t>(whole));
}

void Cubic::grow_in_slow_start(const AckEvent& e, size_t increase) {
  if (!hystart_) {
    RenoRecovery::grow_in_slow_start(e, increase);
    return;
  }
  // RFC 9406 4.2: HyStart++ decides how much of slow start's growth to apply (a quarter in CSS),
  // and when CSS has run its rounds, congestion avoidance begins with ssthresh = cwnd. The first
  // stage then starts as RFC 9438 4.10 says (start_epoch(): W_max undefined, K = 0).
  const HyStart::Step step = hystart_->on_ack(e.ack, e.snd_nxt, e.rtt_sample, increase);
  set_cwnd(cwnd() + step.increase);
  if (step.enter_congestion_avoidance) set_ssthresh(cwnd());
}

void Cubic::grow_in_congestion_avoidance(const AckEvent& e) {
  if (e.srtt) rtt_ = *e.srtt;
  const double smss_bytes = static_cast<double>(smss());
  const double cwnd_bytes = static_cast<double>(cwnd());
  const double cwnd_segments = cwnd_bytes / smss_bytes;
  if (!epoch_) start_epoch(e.now, cwnd_segments);

  // RFC 9438 4.2: t is measured from the start of this congestion-avoidance stage.
  const double t = std::max(seconds(e.now - epoch_->start), 0.0);
  const double w_max = *w_max_;

  // RFC 9438 4.3 Figure 4, with bytes acknowledged in place of segments_acked. Once W_est has
  // reached cwnd_prior, alpha_cubic SHOULD become 1, Reno's own rate.
  const double alpha = w_est_ >= *cwnd_prior_ ? 1.0 : kAlpha;
  const double segments_acked = static_cast<double>(e.bytes_acked) / smss_bytes;
  w_est_ += alpha * segments_acked / cwnd_segments;

  if (w_cubic(t, epoch_->k, w_max) < w_est_) {
    // RFC 9438 4.3: the Reno-friendly region; cwnd SHOULD be set to W_est. It never shrinks here:
    // earlier ACKs may have taken cwnd towards W_cubic(t + RTT), past today's W_est.
    grow_by(w_est_ * smss_bytes - cwnd_bytes - credit_);
    return;
  }

  // RFC 9438 4.2: target = W_cubic(t + RTT), held within [cwnd, 1.5 * cwnd] so the rate of
  // increase never falls and stays below slow start's.
  const double target =
      std::clamp(w_cubic(t + seconds(rtt_), epoch_->k, w_max), cwnd_segments, 1.5 * cwnd_segments);
  // RFC 9438 4.4 and 4.5, concave and convex alike: (target - cwnd) / cwnd per segment acked,
  // which in bytes is (target - cwnd) * bytes_acked / cwnd.
  const double step = (target - cwnd_segments) * segments_acked / cwnd_segments;
  grow_by(std::min(step, target - cwnd_segments) * smss_bytes);
}

size_t Cubic::ssthresh_after_loss(size_t flight, LossSignal signal) {
  // RFC 9406 4.2: a loss in slow start or CSS gets CUBIC's usual response below, and ends
  // HyStart++, which serves only the initial slow start.
  if (hystart_) hystart_->on_congestion();
  const double cwnd_segments = static_cast<double>(cwnd()) / static_cast<double>(smss());
  if (signal == LossSignal::DuplicateAcks) {
    // RFC 9438 4.7: with fast convergence, a loss below the last W_max means the available
    // capacity shrank; plateau lower, at cwnd * (1 + beta_cubic) / 2, to make room for others.
    if (fast_convergence_ && w_max_ && cwnd_segments < *w_max_)
      w_max_ = cwnd_segments * (1.0 + kBeta) / 2.0;
    else
      w_max_ = cwnd_segments;
    // RFC 9438 4.6 Figure 5: cwnd_prior = cwnd.
    cwnd_prior_ = cwnd_segments;
    after_timeout_ = false;
  } else {
    // RFC 9438 4.8: a timeout reduces cwnd as Reno does (RenoRecovery sets it to one segment)
    // and the next stage starts with K = 0. A timeout in the middle of fast recovery sees an
    // inflated cwnd; the reduction that began recovery already recorded cwnd_prior then.
    if (!in_recovery()) cwnd_prior_ = cwnd_segments;
    after_timeout_ = true;
  }
  epoch_.reset();
  // RFC 9438 4.6 Figure 5 (and 4.8 for a timeout): ssthresh = max(flight_size * beta_cubic, 2).
  const auto reduced = static_cast<size_t>(std::llround(static_cast<double>(flight) * kBeta));
  return std::max(reduced, 2 * smss());
}

void Cubic::on_window_reset() {
  // cwnd was set from outside the growth function: the next congestion-avoidance ACK begins a
  // new stage from wherever cwnd is then.
  epoch_.reset();
  credit_ = 0.0;
}

void Cubic::on_idle_restart(Duration idle, Duration rto) {
  // RFC 9438 5.8: t must not include time the flow was application limited. After a short idle
  // the stage goes on, shifted by the pause; after more than an RTO, RFC 5681 4.1 restarts the
  // window (and so the stage).
  if (idle <= rto && epoch_ && idle > Duration::zero()) epoch_->start += idle;
  RenoRecovery::on_idle_restart(idle, rto);
}

}  // namespace tundra::tcp
