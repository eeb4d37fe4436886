// HyStart++ (RFC 9406): the delay-based exit from the initial slow start, through Conservative
// Slow Start (CSS), to congestion avoidance; a state machine that a congestion control (Cubic)
// feeds with the ACKs of its slow start.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "stack/base/time.hpp"
#include "stack/tcp/seq.hpp"

namespace tundra::tcp {

// RFC 9406 4: slow start watches the minimum RTT round by round; when a round's minimum rises
// by more than RttThresh over the last round's, growth falls to a quarter (CSS). If the RTT falls
// back below the level that caused that, the exit was spurious and slow start resumes; after
// CSS_ROUNDS rounds of CSS, slow start ends for good (ssthresh = cwnd). Rounds are counted in
// sequence space, so there is no clock here: the RTT samples come in as arguments.
//
// An RTT of "infinity" in the RFC's pseudocode is an empty optional here. The increase in cwnd
// per ACK, min(N, L*SMSS) in RFC 9406 4.2, is computed by the caller (RenoRecovery's slow start,
// with RFC 3465's L) and handed in; HyStart++ only says how much of it to apply.
class HyStart {
 public:
  // RFC 9406 4.3: the RECOMMENDED constants.
  static constexpr Duration kMinRttThresh = std::chrono::milliseconds(4);
  static constexpr Duration kMaxRttThresh = std::chrono::milliseconds(16);
  static constexpr int kMinRttDivisor = 8;
  static constexpr unsigned kNRttSample = 8;
  static constexpr size_t kCssGrowthDivisor = 4;  // 4.3: MUST be at least 2
  static constexpr unsigned kCssRounds = 5;

  enum class Phase {
    SlowStart,     // standard slow start, watching each round's minimum RTT
    Conservative,  // CSS: a quarter of slow start's growth, watching for a spurious exit
    Done,          // slow start is over (CSS ran its rounds, or a loss): HyStart++ stays out
  };

  // What to do with one ACK's slow-start growth.
  struct Step {
    size_t increase = 0;  // bytes to add to cwnd
    // RFC 9406 4.2: CSS_ROUNDS rounds of CSS are complete; enter congestion avoidance with
    // ssthresh = cwnd (after adding `increase`).
    bool enter_congestion_avoidance = false;
  };

  // An ACK of new data in slow start (cwnd < ssthresh, outside loss recovery): `ack` is its
  // acknowledgment number, `snd_nxt` SND.NXT when it arrived (before anything it lets go is
  // sent), `rtt_sample` the RTT it measured if it gave one, and `increase` the growth plain slow
  // start would apply. In Done, `increase` comes back unchanged.
  Step on_ack(Seq ack, Seq snd_nxt, std::optional<Duration> rtt_sample, size_t increase);

  // A loss (or an ECN mark): RFC 9406 4.2, the congestion control's own response takes over and
  // slow start is over; HyStart++ is used only for the initial slow start (4.2), so it stays Done.
  void on_congestion();

  // RFC 9406 4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR,
  // MAX_RTT_THRESH)).
  static Duration rtt_thresh(Duration last_round_min_rtt);

  // The state RFC 9406 4.2 names, for tests and traces.
  Phase phase() const { return phase_; }
  std::optional<Seq> window_end() const { return window_end_; }
  std::optional<Duration> last_round_min_rtt() const { return last_round_min_rtt_; }
  std::optional<Duration> current_round_min_rtt() const { return current_round_min_rtt_; }
  unsigned rtt_sample_count() const { return rtt_sample_count_; }
  std::optional<Duration> css_baseline_min_rtt() const { return css_baseline_min_rtt_; }
  // Rounds of CSS completed (the partial round in which CSS began counts as one when it ends).
  unsigned css_rounds() const { return css_rounds_; }
  // Rounds begun since the first ACK, for tests.
  unsigned rounds() const { return rounds_; }

 private:
  void start_round(Seq snd_nxt);
  void take_sample(Duration rtt);
  // The growth CSS applies out of `increase`, keeping the fraction of a byte for the next ACK.
  size_t css_increase(size_t increase);

  Phase phase_ = Phase::SlowStart;
  // RFC 9406 4.2: windowEnd; empty until the first ACK starts the first round.
  std::optional<Seq> window_end_;
  std::optional<Duration> last_round_min_rtt_;
  std::optional<Duration> current_round_min_rtt_;
  unsigned rtt_sample_count_ = 0;
  std::optional<Duration> css_baseline_min_rtt_;
  unsigned css_rounds_ = 0;
  unsigned rounds_ = 0;
  // Bytes of CSS growth not yet applied: below CSS_GROWTH_DIVISOR, carried from ACK to ACK.
  size_t css_carry_ = 0;
};

}  // namespace tundra::tcp
