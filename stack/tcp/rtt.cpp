// RFC 6298 retransmission timer arithmetic; used by the TCP connection's retransmit timer.
#include "stack/tcp/rtt.hpp"

#include <algorithm>
#include <limits>

namespace tundra::tcp {

namespace {
// RFC 6298 2.3: K = 4, alpha = 1/8, beta = 1/4. Microsecond integers lose at most 1 us per update
// to truncation, far below any timer's resolution, so no fixed-point scaling is needed.
constexpr int64_t kK = 4;
constexpr int64_t kAlphaDen = 8;
constexpr int64_t kBetaDen = 4;

// RFC 6298 5.7: the RTO after a handshake whose SYN timed out.
constexpr Duration kSynTimeoutRto = std::chrono::seconds(3);
}  // namespace

RttEstimator::RttEstimator(RttConfig config)
    : config_(config), base_rto_(clamp(config.initial_rto)), rto_(base_rto_) {}

Duration RttEstimator::clamp(Duration rto) const {
  // RFC 6298 2.4 (floor) and 2.5 (ceiling). The floor wins should a config put it above the cap,
  // since retransmitting early is the worse mistake.
  return std::max(std::min(rto, config_.max_rto), config_.min_rto);
}

void RttEstimator::sample(Duration rtt) {
  // A clock that stepped backwards must not produce a negative SRTT.
  rtt = std::max(rtt, Duration::zero());
  if (!srtt_) {
    // RFC 6298 2.2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    // RFC 6298 2.3: RTTVAR first, from the SRTT before this update.
    const Duration err = *srtt_ > rtt ? *srtt_ - rtt : rtt - *srtt_;
    rttvar_ = (rttvar_ * (kBetaDen - 1) + err) / kBetaDen;
    srtt_ = (*srtt_ * (kAlphaDen - 1) + rtt) / kAlphaDen;
  }
  // RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR).
  base_rto_ = clamp(*srtt_ + std::max(config_.granularity, rttvar_ * kK));
  // A fresh measurement ends the backoff (RFC 6298 section 5, after 5.7).
  backoffs_ = 0;
  rto_ = base_rto_;
}

void RttEstimator::backoff() {
  // RFC 6298 5.5: RTO <- RTO * 2, bounded by the 2.5 maximum. Comparing before doubling keeps the
  // arithmetic from overflowing however many times the timer fires.
  rto_ = rto_ > config_.max_rto / 2 ? config_.max_rto : rto_ * 2;
  rto_ = std::max(rto_, base_rto_);
  if (backoffs_ < std::numeric_limits<unsigned>::max()) ++backoffs_;
}

void RttEstimator::reset_backoff() {
  backoffs_ = 0;
  rto_ = base_rto_;
}

void RttEstimator::restart_after_syn_timeout() {
  if (base_rto_ < kSynTimeoutRto) base_rto_ = clamp(kSynTimeoutRto);
  reset_backoff();
}

}  // namespace tundra::tcp
