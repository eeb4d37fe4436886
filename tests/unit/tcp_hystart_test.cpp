// HyStart++ (stack/tcp/hystart, RFC 9406): round tracking, the delay-increase exit to
// Conservative Slow Start, CSS's growth, its spurious-exit return and its end, on its own and
// driven through CUBIC, with RTT samples and sequence numbers given by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include "stack/tcp/congestion.hpp"
#include "stack/tcp/cubic.hpp"
#include "stack/tcp/hystart.hpp"
#include "stack/tcp/newreno.hpp"
#include "support/cc_flow.hpp"

namespace tundra::tcp {
namespace {

using std::chrono::milliseconds;
using Phase = HyStart::Phase;

constexpr size_t kSmss = 1000;
constexpr size_t kIw = 10 * kSmss;
const Instant kT0 = Instant::from_millis(5000);

// A sender in its initial slow start as Cubic drives HyStart++: one segment acknowledged per ACK,
// slow start's growth of one SMSS per ACK handed to HyStart++, and the window refilled after
// each ACK, so that the window about doubles per round in plain slow start.
struct Sender {
  HyStart hs;
  size_t cwnd = kIw;
  size_t ssthresh = std::numeric_limits<size_t>::max();
  Seq start;
  Seq una;
  Seq nxt;

  explicit Sender(Seq from = Seq(1'000'000)) : start(from), una(from), nxt(from) { fill(); }

  void fill() {
    while (distance(una, nxt) + kSmss <= cwnd)
      nxt += kSmss;
  }
  HyStart::Step ack(std::optional<Duration> rtt) {
    una += kSmss;
    const HyStart::Step step = hs.on_ack(una, nxt, rtt, kSmss);
    cwnd += step.increase;
    if (step.enter_congestion_avoidance) ssthresh = cwnd;
    fill();
    return step;
  }
  // Where HyStart++'s current round ends (before the first ACK, at the end of the initial
  // window); once it is Done, at what is outstanding now.
  Seq round_end() const { return hs.phase() == Phase::Done ? nxt : hs.window_end().value_or(nxt); }
  // One round, to the ACK of its windowEnd, each ACK measuring `rtt`. Returns whether
  // congestion avoidance began during it.
  bool round(std::optional<Duration> rtt) {
    const Seq end = round_end();
    bool ca = false;
    while (una < end)
      ca = ack(rtt).enter_congestion_avoidance || ca;
    return ca;
  }
  size_t acked() const { return distance(start, una); }
};

// Does a round at `current` after one at `last` leave slow start?
bool exits(Duration last, Duration current) {
  Sender s;
  s.round(last);
  s.round(current);
  return s.hs.phase() == Phase::Conservative;
}

// Slow start, then a round at `high` after one at `low`: CSS from the 8th ACK of that round,
// and that (partial) round of CSS complete.
void enter_css(Sender& s, Duration low, Duration high) {
  s.round(low);
  s.round(high);
  ASSERT_EQ(s.hs.phase(), Phase::Conservative);
  ASSERT_EQ(s.hs.css_baseline_min_rtt(), high);
  ASSERT_EQ(s.hs.css_rounds(), 1u);
}

TEST(TcpHyStart, ConstantsAreTheRfcRecommendations) {
  // RFC 9406 4.3.
  EXPECT_EQ(HyStart::kMinRttThresh, milliseconds(4));
  EXPECT_EQ(HyStart::kMaxRttThresh, milliseconds(16));
  EXPECT_EQ(HyStart::kMinRttDivisor, 8);
  EXPECT_EQ(HyStart::kNRttSample, 8u);
  EXPECT_EQ(HyStart::kCssGrowthDivisor, 4u);
  EXPECT_EQ(HyStart::kCssRounds, 5u);
}

TEST(TcpHyStart, RttThreshIsAnEighthClampedBetween4And16Ms) {
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(40)), milliseconds(5));
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(100)), Duration(12'500));
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(32)), milliseconds(4));
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(8)), milliseconds(4));  // 1 ms, clamped up
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(1)), milliseconds(4));
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(128)), milliseconds(16));
  EXPECT_EQ(HyStart::rtt_thresh(milliseconds(200)), milliseconds(16));  // 25 ms, clamped down
  EXPECT_EQ(HyStart::rtt_thresh(std::chrono::seconds(3)), milliseconds(16));
}

TEST(TcpHyStart, RoundsEndWhenWindowEndIsAcked) {
  // Across the sequence-number wrap, to be sure the comparisons are modulo 2^32.
  const Seq start(0xffff'f000u);
  HyStart h;
  EXPECT_FALSE(h.window_end());
  EXPECT_EQ(h.rounds(), 0u);

  // The first ACK starts round one with windowEnd = SND.NXT (the end of the initial window).
  const Seq end1 = start + kIw;
  ASSERT_LT(end1.value(), start.value());
  h.on_ack(start + kSmss, end1, milliseconds(50), kSmss);
  EXPECT_EQ(h.window_end(), end1);
  EXPECT_EQ(h.rounds(), 1u);
  EXPECT_EQ(h.rtt_sample_count(), 1u);
  EXPECT_EQ(h.current_round_min_rtt(), milliseconds(50));
  EXPECT_FALSE(h.last_round_min_rtt());

  // ACKs short of windowEnd stay in the round, whatever is sent meanwhile; the minimum is kept.
  const Seq end2 = end1 + 2 * kIw;
  for (int i = 2; i <= 9; ++i) {
    const Duration rtt = milliseconds(i == 5 ? 40 : 60);
    h.on_ack(start + static_cast<size_t>(i) * kSmss, end2, rtt, kSmss);
  }
  EXPECT_EQ(h.rounds(), 1u);
  EXPECT_EQ(h.window_end(), end1);
  EXPECT_EQ(h.rtt_sample_count(), 9u);
  EXPECT_EQ(h.current_round_min_rtt(), milliseconds(40));

  // The ACK of windowEnd ends it (its sample still counts there): lastRoundMinRTT takes the
  // round's minimum and the next round runs to SND.NXT.
  h.on_ack(end1, end2, milliseconds(45), kSmss);
  EXPECT_EQ(h.rounds(), 2u);
  EXPECT_EQ(h.window_end(), end2);
  EXPECT_EQ(h.last_round_min_rtt(), milliseconds(40));
  EXPECT_FALSE(h.current_round_min_rtt());
  EXPECT_EQ(h.rtt_sample_count(), 0u);

  // A stretch ACK beyond windowEnd ends a round too. A round without samples leaves
  // lastRoundMinRTT at infinity for the next.
  const Seq end3 = end2 + 4 * kIw;
  h.on_ack(end2 + kSmss, end3, std::nullopt, 2 * kSmss);
  EXPECT_EQ(h.rounds(), 3u);
  EXPECT_EQ(h.window_end(), end3);
  EXPECT_FALSE(h.last_round_min_rtt());
  EXPECT_EQ(h.phase(), Phase::SlowStart);
}

TEST(TcpHyStart, FlatRttStaysInSlowStart) {
  Sender s;
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(s.round(milliseconds(100)));
  EXPECT_EQ(s.hs.phase(), Phase::SlowStart);
  EXPECT_EQ(s.hs.rounds(), 11u);       // ten complete, the eleventh begun
  EXPECT_EQ(s.cwnd, kIw + s.acked());  // every byte of slow start's growth applied
  EXPECT_GT(s.cwnd, 4'000'000u);
  EXPECT_FALSE(s.hs.css_baseline_min_rtt());

  // Jitter above a flat minimum does not move the minimum, so does not trigger either.
  Sender j;
  for (int i = 0; i < 8; ++i) {
    const Seq end = j.round_end();
    for (int k = 0; j.una < end; ++k)
      j.ack(milliseconds(k % 3 == 0 ? 100 : 100 + 30 * (k % 3)));
  }
  EXPECT_EQ(j.hs.phase(), Phase::SlowStart);
  EXPECT_EQ(j.hs.last_round_min_rtt(), milliseconds(100));
}

TEST(TcpHyStart, ExitsToCssWhenTheMinimumRisesByRttThresh) {
  // lastRoundMinRTT 100 ms: RttThresh = 12.5 ms, and a rise of exactly that is enough.
  EXPECT_FALSE(exits(milliseconds(100), milliseconds(112)));
  EXPECT_TRUE(exits(milliseconds(100), Duration(112'500)));
  EXPECT_TRUE(exits(milliseconds(100), milliseconds(113)));
  // 40 ms: 5 ms, inside the clamp.
  EXPECT_FALSE(exits(milliseconds(40), milliseconds(44)));
  EXPECT_TRUE(exits(milliseconds(40), milliseconds(45)));
  // 8 ms: an eighth is 1 ms, clamped up to MIN_RTT_THRESH = 4 ms.
  EXPECT_FALSE(exits(milliseconds(8), milliseconds(9)));
  EXPECT_FALSE(exits(milliseconds(8), milliseconds(11)));
  EXPECT_TRUE(exits(milliseconds(8), milliseconds(12)));
  // 200 ms: an eighth is 25 ms, clamped down to MAX_RTT_THRESH = 16 ms.
  EXPECT_FALSE(exits(milliseconds(200), milliseconds(215)));
  EXPECT_TRUE(exits(milliseconds(200), milliseconds(216)));
  EXPECT_TRUE(exits(milliseconds(200), milliseconds(224)));
  // A falling RTT never exits.
  EXPECT_FALSE(exits(milliseconds(100), milliseconds(50)));
}

TEST(TcpHyStart, ExitHappensAtTheNthSampleOfTheRound) {
  Sender s;
  s.round(milliseconds(100));
  ASSERT_EQ(s.hs.rounds(), 2u);  // round two has just begun
  ASSERT_EQ(s.hs.last_round_min_rtt(), milliseconds(100));
  for (unsigned i = 1; i < HyStart::kNRttSample; ++i) {
    EXPECT_EQ(s.ack(milliseconds(120)).increase, kSmss) << "ACK " << i;
    EXPECT_EQ(s.hs.phase(), Phase::SlowStart) << "ACK " << i;
  }
  // The eighth sample: still slow start's growth for this ACK, CSS from the next.
  EXPECT_EQ(s.ack(milliseconds(120)).increase, kSmss);
  EXPECT_EQ(s.hs.phase(), Phase::Conservative);
  EXPECT_EQ(s.hs.css_baseline_min_rtt(), milliseconds(120));
  EXPECT_EQ(s.hs.css_rounds(), 0u);
  EXPECT_EQ(s.ack(milliseconds(120)).increase, kSmss / 4);
}

TEST(TcpHyStart, FewerThanNRttSamplesDoNotTrigger) {
  // A round whose ACKs mostly carry no sample (Karn's rule, or no timestamps): seven high
  // samples are not enough, however high.
  Sender s;
  s.round(milliseconds(100));
  const Seq end = s.round_end();
  unsigned sampled = 0;
  for (int k = 0; s.una < end; ++k) {
    const bool sample = sampled < HyStart::kNRttSample - 1 && k % 2 == 0;
    s.ack(sample ? std::optional<Duration>(milliseconds(300)) : std::nullopt);
    if (sample) ++sampled;
  }
  ASSERT_EQ(sampled, HyStart::kNRttSample - 1);
  EXPECT_EQ(s.hs.phase(), Phase::SlowStart);
  EXPECT_EQ(s.hs.last_round_min_rtt(), milliseconds(300));  // the round's minimum all the same

  // Within one round: seven samples, then ACKs without, then the eighth sample triggers.
  Sender t;
  t.round(milliseconds(100));
  for (int i = 0; i < 7; ++i)
    t.ack(milliseconds(150));
  for (int i = 0; i < 5; ++i)
    t.ack(std::nullopt);
  EXPECT_EQ(t.hs.rtt_sample_count(), 7u);
  EXPECT_EQ(t.hs.phase(), Phase::SlowStart);
  t.ack(milliseconds(150));
  EXPECT_EQ(t.hs.phase(), Phase::Conservative);

  // No samples at all: HyStart++ never leaves slow start, which is then RFC 5681's.
  Sender u;
  for (int i = 0; i < 6; ++i)
    u.round(std::nullopt);
  EXPECT_EQ(u.hs.phase(), Phase::SlowStart);
  EXPECT_EQ(u.cwnd, kIw + u.acked());
}

TEST(TcpHyStart, CssGrowsAQuarterAsFast) {
  Sender s;
  enter_css(s, milliseconds(100), milliseconds(120));

  // A whole round of CSS: a quarter of the bytes acknowledged, where slow start adds all.
  const size_t before = s.cwnd;
  const size_t acked_before = s.acked();
  EXPECT_FALSE(s.round(milliseconds(125)));
  const size_t acked = s.acked() - acked_before;
  EXPECT_GT(acked, 20 * kSmss);
  EXPECT_EQ(s.cwnd, before + acked / 4);
  EXPECT_EQ(s.hs.phase(), Phase::Conservative);
  EXPECT_EQ(s.hs.css_rounds(), 2u);

  // min(N, L*SMSS) / CSS_GROWTH_DIVISOR, with the fractions of a byte carried: small ACKs add up
  // to what one large ACK would.
  HyStart& h = s.hs;
  const Seq mid = s.una;  // short of windowEnd
  EXPECT_EQ(h.on_ack(mid, s.nxt, std::nullopt, 2 * kSmss).increase, 500u);
  size_t total = 0;
  for (int i = 0; i < 7; ++i)
    total += h.on_ack(mid, s.nxt, std::nullopt, 1).increase;
  EXPECT_EQ(total, 1u);  // 7 bytes: one byte now, three carried
  EXPECT_EQ(h.on_ack(mid, s.nxt, std::nullopt, 1).increase, 1u);
  EXPECT_EQ(h.on_ack(mid, s.nxt, std::nullopt, 3).increase, 0u);
  EXPECT_EQ(h.on_ack(mid, s.nxt, std::nullopt, 1).increase, 1u);
}

TEST(TcpHyStart, RttBelowTheBaselineResumesSlowStart) {
  Sender s;
  enter_css(s, milliseconds(100), milliseconds(120));
  s.round(milliseconds(120));
  ASSERT_EQ(s.hs.phase(), Phase::Conservative);
  ASSERT_EQ(s.hs.css_rounds(), 2u);

  // The next round's RTT falls below cssBaselineMinRtt (though not to the old 100 ms): the
  // exit was spurious. Not before N_RTT_SAMPLE samples, though.
  for (unsigned i = 1; i < HyStart::kNRttSample; ++i) {
    EXPECT_EQ(s.ack(milliseconds(110)).increase, kSmss / 4);
    EXPECT_EQ(s.hs.phase(), Phase::Conservative);
  }
  s.ack(milliseconds(110));
  EXPECT_EQ(s.hs.phase(), Phase::SlowStart);
  EXPECT_FALSE(s.hs.css_baseline_min_rtt());
  EXPECT_EQ(s.ack(milliseconds(110)).increase, kSmss);  // slow start's growth again

  // HyStart++ goes on watching: flat rounds stay in slow start, a rise exits again, and the
  // CSS round count starts afresh.
  s.round(milliseconds(110));
  s.round(milliseconds(110));
  EXPECT_EQ(s.hs.phase(), Phase::SlowStart);
  s.round(milliseconds(130));
  EXPECT_EQ(s.hs.phase(), Phase::Conservative);
  EXPECT_EQ(s.hs.css_baseline_min_rtt(), milliseconds(130));
  EXPECT_EQ(s.hs.css_rounds(), 1u);
}

TEST(TcpHyStart, CongestionAvoidanceAfterFiveCssRounds) {
  Sender s;
  // The partial round in which CSS began counts as the first of CSS_ROUNDS.
  enter_css(s, milliseconds(100), milliseconds(120));
  for (unsigned r = 2; r < HyStart::kCssRounds; ++r) {
    EXPECT_FALSE(s.round(milliseconds(120 + r)));  // a still-rising RTT changes nothing
    EXPECT_EQ(s.hs.css_rounds(), r);
    EXPECT_EQ(s.hs.phase(), Phase::Conservative);
  }

  // The fifth round: congestion avoidance on the ACK of its windowEnd, not before.
  const Seq end = s.round_end();
  while (s.una + kSmss < end)
    ASSERT_FALSE(s.ack(milliseconds(125)).enter_congestion_avoidance);
  const size_t before = s.cwnd;
  const HyStart::Step last = s.ack(milliseconds(125));
  EXPECT_TRUE(last.enter_congestion_avoidance);
  EXPECT_EQ(last.increase, kSmss / 4);  // the round's last ACK still grows as CSS
  EXPECT_EQ(s.hs.phase(), Phase::Done);
  EXPECT_EQ(s.ssthresh, before + kSmss / 4);
  EXPECT_EQ(s.ssthresh, s.cwnd);

  // Done: HyStart++ no longer touches the growth, and never signals again.
  const HyStart::Step after = s.hs.on_ack(s.una + kSmss, s.nxt, milliseconds(500), 2 * kSmss);
  EXPECT_EQ(after.increase, 2 * kSmss);
  EXPECT_FALSE(after.enter_congestion_avoidance);
}

TEST(TcpHyStart, LossEndsHyStart) {
  Sender s;
  enter_css(s, milliseconds(100), milliseconds(120));
  s.hs.on_congestion();
  EXPECT_EQ(s.hs.phase(), Phase::Done);
  EXPECT_FALSE(s.hs.css_baseline_min_rtt());
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(s.round(milliseconds(200 + 50 * i)));
  EXPECT_EQ(s.hs.phase(), Phase::Done);

  // In slow start too.
  Sender t;
  t.round(milliseconds(100));
  t.hs.on_congestion();
  t.round(milliseconds(150));
  EXPECT_EQ(t.hs.phase(), Phase::Done);
}

// The sender as the connection would drive CUBIC, with the RTT sample it would report on every
// ACK (timestamps) and a clock that each round moves by its RTT.
struct CubicFlow : test::FlowOf<Cubic> {
  // Where the current round ends, counted as RFC 9406 4.2 does whether HyStart++ is on or not.
  std::optional<Seq> round_end;

  explicit CubicFlow(bool hystart) : FlowOf(kSmss, /*fast_convergence=*/true, hystart) {}

  // An ACK of `n` bytes measuring `rtt`, which is also the SRTT the connection reports.
  AckResponse ack(size_t n, std::optional<Duration> rtt) {
    srtt = rtt;
    return FlowOf::ack(n, rtt);
  }
  // One round as RFC 9406 4.2 counts them (to the ACK of SND.NXT as it was when the last round
  // ended), acknowledged a segment at a time over `rtt`, each ACK measuring it.
  void round(Duration rtt) {
    fill();
    if (!round_end) round_end = nxt;
    const auto n = static_cast<int64_t>(distance(una, *round_end) / kSmss);
    const Instant start = now;
    for (int64_t i = 1; i <= n; ++i) {
      now = start + rtt * i / n;
      if (i == n) round_end = nxt;
      ack(kSmss, rtt);
      fill();
    }
  }
};

// A path whose queue starts to build after four rounds: 50 ms, then 10 ms more each round.
Duration rising(int round) {
  return milliseconds(round < 4 ? 50 : 50 + 10 * (round - 3));
}

TEST(TcpHyStart, CubicLeavesSlowStartBeforeAnyLossWhenTheRttRises) {
  CubicFlow f(true);
  ASSERT_NE(f.cc.hystart(), nullptr);
  int round = 0;
  for (; round < 4; ++round)
    f.round(rising(round));
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::SlowStart);
  EXPECT_EQ(f.cc.cwnd(), kIw + distance(Seq(100'000), f.una));

  // Round five (60 ms) enters CSS, which ends after its fifth round (the ninth).
  f.round(rising(round++));
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::Conservative);
  EXPECT_EQ(f.cc.hystart()->css_baseline_min_rtt(), milliseconds(60));
  for (; round < 8; ++round) {
    f.round(rising(round));
    ASSERT_EQ(f.cc.hystart()->phase(), Phase::Conservative) << "round " << round;
    ASSERT_EQ(f.cc.ssthresh(), std::numeric_limits<size_t>::max()) << "round " << round;
  }
  const size_t window_before = f.cc.cwnd();
  f.round(rising(round++));
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::Done);
  // RFC 9406 4.2: ssthresh = cwnd, with no loss and no recovery. CSS grew the window by about a
  // quarter per round, where slow start would have gone past 4600 segments by now.
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_LT(f.cc.ssthresh(), std::numeric_limits<size_t>::max());
  EXPECT_EQ(f.cc.ssthresh(), f.cc.cwnd());
  EXPECT_GT(f.cc.cwnd(), window_before * 6 / 5);
  EXPECT_LT(f.cc.cwnd(), window_before * 13 / 10);
  EXPECT_LT(f.cc.cwnd(), 600'000u);
  EXPECT_FALSE(f.cc.w_max());  // no congestion event yet

  // RFC 9438 4.10: the first congestion-avoidance stage after a slow start without loss starts
  // with cwnd_prior = cwnd, K = 0 and W_max = cwnd_epoch.
  const double at_exit = static_cast<double>(f.cc.cwnd()) / kSmss;
  f.now += milliseconds(1);
  f.ack(kSmss, rising(round));
  ASSERT_TRUE(f.cc.epoch_start());
  EXPECT_DOUBLE_EQ(f.cc.k(), 0.0);
  EXPECT_DOUBLE_EQ(f.cc.cwnd_epoch(), at_exit);
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), at_exit);
  EXPECT_DOUBLE_EQ(*f.cc.cwnd_prior(), at_exit);
}

TEST(TcpHyStart, CubicWithHyStartOffKeepsSlowStarting) {
  CubicFlow f(false);
  EXPECT_EQ(f.cc.hystart(), nullptr);
  for (int round = 0; round < 9; ++round)
    f.round(rising(round));
  EXPECT_EQ(f.cc.ssthresh(), std::numeric_limits<size_t>::max());
  EXPECT_EQ(f.cc.cwnd(), kIw + distance(Seq(100'000), f.una));
  EXPECT_GT(f.cc.cwnd(), 4'000'000u);  // ten times what HyStart++ let CUBIC reach
  EXPECT_FALSE(f.cc.epoch_start());
}

TEST(TcpHyStart, CubicWithAFlatRttSlowStartsAsNewReno) {
  // HyStart++ on, but nothing to see: CUBIC's slow start is byte for byte NewReno's.
  CubicFlow f(true);
  NewReno reno(kSmss);
  Seq reno_una{100'000};
  for (int round = 0; round < 8; ++round) {
    const Seq before = f.una;
    f.round(milliseconds(30));
    const size_t acked = distance(before, f.una);
    for (size_t i = 0; i < acked / kSmss; ++i) {
      reno.on_ack(AckEvent{.ack = reno_una + kSmss, .bytes_acked = kSmss, .now = kT0});
      reno_una += kSmss;
    }
    ASSERT_EQ(f.cc.cwnd(), reno.cwnd()) << "round " << round;
  }
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::SlowStart);
  EXPECT_EQ(f.cc.ssthresh(), std::numeric_limits<size_t>::max());
}

TEST(TcpHyStart, LossInCssGetsCubicsUsualResponse) {
  CubicFlow f(true);
  for (int round = 0; round < 5; ++round)
    f.round(rising(round));
  ASSERT_EQ(f.cc.hystart()->phase(), Phase::Conservative);
  f.fill();
  const size_t flight = f.flight();
  const double window = static_cast<double>(f.cc.cwnd()) / kSmss;
  for (int i = 0; i < 3; ++i)
    f.dup();
  // RFC 9438 4.6: ssthresh = beta_cubic * FlightSize, NewReno's recovery; HyStart++ is over.
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), flight * 7 / 10);
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::Done);
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), window);
}

TEST(TcpHyStart, TimeoutInSlowStartEndsHyStart) {
  CubicFlow f(true);
  f.round(milliseconds(50));
  f.fill();
  f.cc.on_retransmission_timeout(f.flight(), f.nxt);
  EXPECT_EQ(f.cc.cwnd(), kSmss);
  EXPECT_EQ(f.cc.hystart()->phase(), Phase::Done);
  // The slow start back to ssthresh is plain RFC 5681 (with RFC 3465 2.3's L = 1*SMSS).
  f.una = f.nxt;
  f.nxt += kSmss;
  f.ack(kSmss, milliseconds(50));
  EXPECT_EQ(f.cc.cwnd(), 2 * kSmss);
}

}  // namespace
}  // namespace tundra::tcp
