// BBR congestion control, version 1 (draft-cardwell-iccrg-bbr-congestion-control-00, as Linux's
// tcp_bbr.c runs it): a model of the path, its bottleneck bandwidth and round-trip propagation
// time, built from delivery rate samples (delivery_rate.hpp), instead of a window that loss
// halves. Created through make_congestion_control("bbr") and driven by the TCP connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/tcp/newreno.hpp"

namespace tundra::tcp {

// What BBR does, and what tundra's version leaves out:
// - BtlBw, the bottleneck bandwidth: the largest delivery rate sampled over the last 10 round
//   trips (app-limited samples only where they raise it). RTprop: the smallest RTT seen in the
//   last 10 s.
// - cwnd = cwnd_gain * BtlBw * RTprop (the bandwidth-delay product) plus three send quanta (what
//   one send may put out at once: a millisecond at BtlBw, 2 segments to 64 KiB), at least four
//   segments. A loss does not shrink the model: for the round trip after a loss is detected cwnd
//   only keeps what is in flight plus what the ACK delivered (packet conservation), and at the
//   end of recovery it returns to where it was. A retransmission timeout falls to one segment
//   and grows back by what each ACK delivers.
// - Startup grows cwnd by what each ACK delivers (doubling per round trip) until BtlBw grew by
//   less than a quarter for three rounds; Drain then holds cwnd to one BDP until the queue
//   Startup built is gone; ProbeBW keeps cwnd at twice the BDP; every 10 s without a new RTprop
//   sample, ProbeRTT holds cwnd to four segments for 200 ms and a round trip to measure it anew.
// - Not implemented: pacing. BBR paces its sending at pacing_gain * BtlBw and cycles
//   pacing_gain (1.25, 0.75, then 1) in ProbeBW to probe for bandwidth and drain what the probe
//   queued; tundra sends as the window allows, so Drain and ProbeBW act through cwnd alone. Nor
//   the long-term bandwidth sampling that Linux adds for policers.
// Loss recovery itself (which segments to resend, limited transmit) is RenoRecovery's, as for
// NewReno and CUBIC; during it, new data goes while the pipe stays under cwnd (ssthresh() is
// cwnd, so the connection's RFC 6675 limit follows BBR's window).
class Bbr final : public RenoRecovery {
 public:
  enum class Mode { Startup, Drain, ProbeBw, ProbeRtt };

  // 2/ln(2): the smallest gain that still doubles the delivery rate each round trip.
  static constexpr double kHighGain = 2.885;
  static constexpr double kCwndGain = 2.0;
  static constexpr uint64_t kBwWindowRounds = 10;
  static constexpr Duration kMinRttWindow = std::chrono::seconds(10);
  static constexpr Duration kProbeRttTime = std::chrono::milliseconds(200);
  // Full bandwidth is reached when three rounds in a row grew BtlBw by less than 25%.
  static constexpr unsigned kFullBwRounds = 3;
  static constexpr double kFullBwGrowth = 1.25;
  static constexpr size_t kMinCwndSegments = 4;

  explicit Bbr(size_t smss);

  std::string_view name() const override { return "bbr"; }
  AckResponse on_ack(const AckEvent& e) override;
  AckResponse on_loss_detected(const AckEvent& e) override;
  void on_retransmission_timeout(size_t flight, Seq snd_nxt) override;
  void on_spurious_timeout(size_t flight, size_t acked) override;
  // Nothing to give back: BBR's window came back with the end of the recovery.
  void on_spurious_recovery() override {}
  void on_idle_restart(Duration idle, Duration rto) override;
  void set_smss(size_t smss) override;
  size_t cwnd() const override { return cwnd_; }
  size_t ssthresh() const override { return cwnd_; }
  bool wants_rate_samples() const override { return true; }
  bool keeps_window_through_loss() const override { return true; }

  // The model and the state machine, for tests, traces and tundra-ctl.
  Mode mode() const { return mode_; }
  double btl_bw() const;  // bytes per second; 0 before any sample
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  bool full_bw_reached() const { return full_bw_reached_; }
  uint64_t round_count() const { return round_count_; }
  // gain * BDP plus the quantization budget, at least four segments; IW before the model has
  // both a bandwidth and an RTT.
  size_t target_cwnd(double gain) const;

 private:
  void grow_in_slow_start(const AckEvent& /*e*/, size_t /*increase*/) override {}
  void grow_in_congestion_avoidance(const AckEvent& /*e*/) override {}
  // The base's own window is not used; what matters is that loss does not lower the model.
  size_t ssthresh_after_loss(size_t flight, LossSignal /*signal*/) override {
    return std::max(flight, cwnd_);
  }

  void update_model(const AckEvent& e);
  void update_min_rtt(const AckEvent& e);
  void check_probe_rtt(const AckEvent& e);
  void update_cwnd(const AckEvent& e, bool entered_recovery, bool left_recovery);
  // cwnd to come back to after recovery or ProbeRTT (Linux's bbr_save_cwnd).
  size_t saved_cwnd() const;
  size_t min_cwnd() const { return kMinCwndSegments * smss(); }

  size_t cwnd_;
  Mode mode_ = Mode::Startup;
  // Delivered bytes in all, and the value it had when the current round trip began: a round ends
  // when a segment sent after that is delivered.
  uint64_t delivered_ = 0;
  uint64_t next_round_delivered_ = 0;
  uint64_t round_count_ = 0;
  bool round_start_ = false;
  // BtlBw's max filter: the largest sample of each of the last kBwWindowRounds rounds.
  struct RoundMax {
    uint64_t round = 0;
    double bw = 0;
  };
  std::array<RoundMax, kBwWindowRounds> bw_;
  double btl_bw_ = 0;  // their maximum when a sample last went in
  std::optional<Duration> min_rtt_;
  Instant min_rtt_stamp_{};
  double full_bw_ = 0;
  unsigned full_bw_count_ = 0;
  bool full_bw_reached_ = false;
  // Recovery: cwnd before it, and whether the round of packet conservation is still on.
  size_t prior_cwnd_ = 0;
  bool packet_conservation_ = false;
  bool was_in_recovery_ = false;
  // After a timeout: SND.NXT then; once it is acknowledged, cwnd may return to prior_cwnd_.
  std::optional<Seq> loss_until_;
  // ProbeRTT: when it may end, once a round trip at its small window has also passed.
  std::optional<Instant> probe_rtt_done_;
  bool probe_rtt_round_done_ = false;
  bool acked_yet_ = false;
};

}  // namespace tundra::tcp
