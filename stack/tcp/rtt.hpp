// RFC 6298 retransmission timer: smoothed RTT, RTT variation and the backed-off RTO. The TCP
// connection feeds it Karn-valid RTT samples and asks it how long to arm the retransmit timer.
#pragma once

#include <chrono>
#include <optional>

#include "stack/base/time.hpp"

namespace tundra::tcp {

struct RttConfig {
  // RFC 6298 2.1: 1 s until the first measurement.
  Duration initial_rto = std::chrono::seconds(1);
  // RFC 6298 2.4 asks for 1 s; like most deployed stacks we default lower (200 ms), because the
  // 1 s floor makes every loss on a LAN or a TUN link cost a second. Configurable for strictness.
  Duration min_rto = std::chrono::milliseconds(200);
  // RFC 6298 2.5: a cap is allowed if it is at least 60 s.
  Duration max_rto = std::chrono::seconds(60);
  // G, the clock granularity of RFC 6298 2.2/2.3: keeps the RTO above SRTT when RTTVAR is ~0.
  Duration granularity = std::chrono::milliseconds(1);
};

class RttEstimator {
 public:
  explicit RttEstimator(RttConfig config = {});

  // A round-trip measurement (RFC 6298 2.2 for the first, 2.3 after), which recomputes the RTO
  // (2.4, 2.5) and ends any backoff (section 5's "collapsing" RTO). The caller passes only samples
  // that Karn's rule allows (RFC 6298 3): never from a retransmitted segment without timestamps.
  void sample(Duration rtt);

  // The current RTO, including backoff.
  Duration rto() const { return rto_; }

  // RFC 6298 5.5: the retransmit timer expired; double the RTO, capped at max_rto.
  void backoff();
  // Back to the RTO computed from SRTT/RTTVAR (or the initial RTO), without a new sample.
  void reset_backoff();
  // Consecutive doublings since the last sample or reset; keeps counting after the cap is hit,
  // so the connection can enforce its retry limit.
  unsigned backoffs() const { return backoffs_; }

  // RFC 6298 5.7: the SYN (or SYN-ACK) timed out and the handshake has now completed, so the RTO
  // must be re-initialized to 3 s (when it is below that) before data transmission begins.
  void restart_after_syn_timeout();

  std::optional<Duration> srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return srtt_.has_value(); }
  const RttConfig& config() const { return config_; }

 private:
  Duration clamp(Duration rto) const;

  RttConfig config_;
  std::optional<Duration> srtt_;
  Duration rttvar_{0};
  Duration base_rto_;  // the RTO before backoff
  Duration rto_;       // base_rto_ doubled backoffs_ times, capped
  unsigned backoffs_ = 0;
};

}  // namespace tundra::tcp
