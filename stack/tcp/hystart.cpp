// HyStart++ (RFC 9406): round tracking, the delay-increase exit to CSS, CSS's growth and its end,
// called by Cubic's slow start for each ACK of new data.
#include "stack/tcp/hystart.hpp"

#include <algorithm>

namespace tundra::tcp {

Duration HyStart::rtt_thresh(Duration last_round_min_rtt) {
  return std::max(kMinRttThresh, std::min(last_round_min_rtt / kMinRttDivisor, kMaxRttThresh));
}

void HyStart::start_round(Seq snd_nxt) {
  // RFC 9406 4.2: windowEnd = SND.NXT, and at the start of each round (in slow start and CSS)
  // lastRoundMinRTT = currentRoundMinRTT, currentRoundMinRTT = infinity, rttSampleCount = 0.
  window_end_ = snd_nxt;
  last_round_min_rtt_ = current_round_min_rtt_;
  current_round_min_rtt_.reset();
  rtt_sample_count_ = 0;
  ++rounds_;
}

void HyStart::take_sample(Duration rtt) {
  // RFC 9406 4.2: currentRoundMinRTT = min(currentRoundMinRTT, currRTT); rttSampleCount += 1.
  current_round_min_rtt_ = current_round_min_rtt_ ? std::min(*current_round_min_rtt_, rtt) : rtt;
  ++rtt_sample_count_;
}

size_t HyStart::css_increase(size_t increase) {
  // RFC 9406 4.2: cwnd = cwnd + (min(N, L * SMSS) / CSS_GROWTH_DIVISOR). The remainder is kept,
  // so that small ACKs add up to the same growth as large ones.
  const size_t total = increase + css_carry_;
  css_carry_ = total % kCssGrowthDivisor;
  return total / kCssGrowthDivisor;
}

HyStart::Step HyStart::on_ack(Seq ack, Seq snd_nxt, std::optional<Duration> rtt_sample,
                              size_t increase) {
  if (phase_ == Phase::Done) return Step{.increase = increase};

  // RFC 9406 4.2: windowEnd starts at SND.NXT. Before the first ACK nothing is known of the
  // path, so the first round begins with it: the rest of the initial window (and this ACK's
  // sample) make up round one.
  if (!window_end_) start_round(snd_nxt);

  Step step;
  step.increase = phase_ == Phase::Conservative ? css_increase(increase) : increase;
  if (rtt_sample) take_sample(*rtt_sample);

  if (rtt_sample_count_ >= kNRttSample && current_round_min_rtt_) {
    if (phase_ == Phase::SlowStart && last_round_min_rtt_) {
      // RFC 9406 4.2: with N_RTT_SAMPLE samples this round and both minima known, a rise of
      // RttThresh or more over the last round's minimum RTT means a queue is building: exit slow
      // start into CSS, remembering the RTT that did it.
      if (*current_round_min_rtt_ >= *last_round_min_rtt_ + rtt_thresh(*last_round_min_rtt_)) {
        css_baseline_min_rtt_ = current_round_min_rtt_;
        phase_ = Phase::Conservative;
        css_rounds_ = 0;
        css_carry_ = 0;
      }
    } else if (phase_ == Phase::Conservative && *current_round_min_rtt_ < *css_baseline_min_rtt_) {
      // RFC 9406 4.2: the RTT fell back below the baseline, so the exit was spurious (jitter,
      // not a queue): cssBaselineMinRtt = infinity and resume slow start, HyStart++ included.
      css_baseline_min_rtt_.reset();
      phase_ = Phase::SlowStart;
    }
  }

  // RFC 9406 4.2: when windowEnd is ACKed the round ends. This ACK's sample belonged to it.
  if (ack >= *window_end_) {
    if (phase_ == Phase::Conservative && ++css_rounds_ >= kCssRounds) {
      // RFC 9406 4.2: CSS lasts at most CSS_ROUNDS rounds, counting the partial round in which
      // it began; then congestion avoidance, with ssthresh = cwnd.
      phase_ = Phase::Done;
      step.enter_congestion_avoidance = true;
      return step;
    }
    start_round(snd_nxt);
  }
  return step;
}

void HyStart::on_congestion() {
  phase_ = Phase::Done;
  css_baseline_min_rtt_.reset();
}

}  // namespace tundra::tcp
