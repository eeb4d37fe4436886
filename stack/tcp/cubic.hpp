// CUBIC congestion control (RFC 9438) on NewReno's loss recovery: created through
// make_congestion_control("cubic") and driven by the TCP connection.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/tcp/hystart.hpp"
#include "stack/tcp/newreno.hpp"

namespace tundra::tcp {

// RFC 9438 4.2: CUBIC changes only how cwnd grows in congestion avoidance and (4.6) how far it
// falls on a loss. Slow start is RFC 5681's with HyStart++ (RFC 9406, which 4.10 says CUBIC
// SHOULD use) watching the initial one, and fast retransmit, fast recovery, partial ACKs,
// limited transmit and idle restart are RenoRecovery's, unchanged. cwnd is kept in bytes;
// CUBIC's own state is in segments of smss() and times in seconds, as RFC 9438 4.1 states its
// formulas.
class Cubic final : public RenoRecovery {
 public:
  // RFC 9438 4.6: beta_cubic SHOULD be 0.7.
  static constexpr double kBeta = 0.7;
  // RFC 9438 5: C = 0.4 segments/second^3.
  static constexpr double kC = 0.4;
  // RFC 9438 4.3: alpha_cubic = 3 * (1 - beta_cubic) / (1 + beta_cubic), Reno's rate per RTT
  // for a flow that backs off to beta_cubic.
  static constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);

  // RFC 9438 4.7: fast convergence SHOULD be on, though SHOULD be off for a flow known to be
  // alone on its path; a TCP connection cannot know that, so it is on unless asked otherwise.
  // RFC 9438 4.10: CUBIC SHOULD use HyStart++ in slow start, and MAY use plain RFC 5681 slow
  // start where HyStart++ is not suitable; `hystart` = false asks for that.
  explicit Cubic(size_t smss, bool fast_convergence = true, bool hystart = true);

  std::string_view name() const override { return "cubic"; }
  void on_idle_restart(Duration idle, Duration rto) override;

  // RFC 9438 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), windows in segments, K in seconds.
  static double k_for(double w_max, double cwnd_epoch);
  // RFC 9438 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in segments, t in seconds.
  static double w_cubic(double t, double k, double w_max);

  // The state RFC 9438 4.1.2 names, windows in segments; for tests and traces.
  std::optional<double> w_max() const { return w_max_; }
  std::optional<double> cwnd_prior() const { return cwnd_prior_; }
  double w_est() const { return w_est_; }
  // The current congestion-avoidance stage (t_epoch, cwnd_epoch, K), if one has begun.
  std::optional<Instant> epoch_start() const;
  double cwnd_epoch() const { return epoch_ ? epoch_->cwnd : 0.0; }
  double k() const { return epoch_ ? epoch_->k : 0.0; }
  // HyStart++'s state, or nullptr when it is turned off.
  const HyStart* hystart() const { return hystart_ ? &*hystart_ : nullptr; }

 private:
  struct Epoch {
    Instant start;  // t_epoch
    double cwnd;    // cwnd_epoch, segments
    double k;       // K, seconds
  };

  void grow_in_slow_start(const AckEvent& e, size_t increase) override;
  void grow_in_congestion_avoidance(const AckEvent& e) override;
  size_t ssthresh_after_loss(size_t flight, LossSignal signal) override;
  void on_window_reset() override;

  void start_epoch(Instant now, double cwnd_segments);
  // Adds `bytes` (fractions carried over to the next ACK) to cwnd.
  void grow_by(double bytes);

  bool fast_convergence_;
  // Empty when HyStart++ is turned off.
  std::optional<HyStart> hystart_;
  // W_max: empty until the first congestion event (or the end of the first slow start).
  std::optional<double> w_max_;
  // cwnd_prior: cwnd just before the last reduction (RFC 9438 4.1.2).
  std::optional<double> cwnd_prior_;
  double w_est_ = 0.0;
  std::optional<Epoch> epoch_;
  // RFC 9438 4.8: the first congestion-avoidance stage after a timeout uses K = 0 and
  // W_max = cwnd_epoch.
  bool after_timeout_ = false;
  // The last smoothed RTT the connection reported; zero until it reports one, which makes the
  // target W_cubic(t) rather than W_cubic(t + RTT), i.e. a little more cautious.
  Duration rtt_{0};
  // Growth owed to cwnd but under one byte, carried from ACK to ACK.
  double credit_ = 0.0;
};

}  // namespace tundra::tcp
