// CUBIC congestion control (stack/tcp/cubic): RFC 9438's growth function, Reno-friendly region,
// multiplicative decrease, fast convergence and timeout, on NewReno's loss recovery, driven by
// hand through a small model of the sender with explicit instants and round-trip times.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "stack/tcp/congestion.hpp"
#include "stack/tcp/cubic.hpp"
#include "stack/tcp/newreno.hpp"
#include "support/cc_flow.hpp"

namespace tundra::tcp {
namespace {

constexpr size_t kSmss = 1000;  // IW(1000) = 10 segments = 10000 bytes

// The sender as the connection would track it, and the events it would report, with a clock
// that the test moves by hand.
template <class CC>
struct FlowOf : test::FlowOf<CC> {
  FlowOf() : test::FlowOf<CC>(kSmss) {}
  explicit FlowOf(bool fast_convergence) : test::FlowOf<CC>(kSmss, fast_convergence) {}
};
using Flow = FlowOf<Cubic>;

double segments(size_t bytes) {
  return static_cast<double>(bytes) / static_cast<double>(kSmss);
}

// Slow start from IW to `window` bytes, one segment acknowledged per ACK, no time passing.
template <class CC>
void grow_to(FlowOf<CC>& f, size_t window) {
  while (f.cc.cwnd() < window) {
    f.send(kSmss);
    f.ack(kSmss);
  }
}

// One round trip: what is in flight is acknowledged a segment at a time, the ACKs spread evenly
// over `rtt`, and each ACK releases what the window then allows.
void round_trip(Flow& f, Duration rtt) {
  const auto n = static_cast<int64_t>(f.flight() / kSmss);
  const Instant start = f.now;
  for (int64_t i = 1; i <= n; ++i) {
    f.now = start + rtt * i / n;
    f.ack(kSmss);
    f.fill();
  }
}

// A full window goes out and its first segment is lost: every other segment draws a duplicate
// ACK (new data going out whenever recovery allows, though not on limited transmit, to keep the
// arithmetic round), then the retransmission is acknowledged along with everything up to
// `recover`, which ends fast recovery.
void lose_one_segment(Flow& f) {
  f.fill();
  const Seq window_end = f.nxt;
  const size_t n = f.flight() / kSmss;
  for (size_t i = 1; i < n; ++i) {
    if (f.dup().may_send_new && i > 2) f.send(kSmss);
  }
  ASSERT_TRUE(f.cc.in_recovery());
  f.ack(distance(f.una, window_end));
  ASSERT_FALSE(f.cc.in_recovery());
}

TEST(TcpCubic, FactoryMakesCubicAndListsTheNames) {
  const auto cc = make_congestion_control("cubic", 1460);
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->name(), "cubic");
  EXPECT_EQ(cc->cwnd(), 14'600u);  // RFC 6928 IW, as for NewReno
  EXPECT_EQ(cc->ssthresh(), std::numeric_limits<size_t>::max());
  EXPECT_FALSE(cc->in_recovery());
  EXPECT_EQ(make_congestion_control("Cubic", 1460), nullptr);

  const std::vector<std::string_view> names = congestion_control_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "newreno"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cubic"), names.end());
  for (const std::string_view name : names) {
    const auto made = make_congestion_control(name, 1460);
    ASSERT_NE(made, nullptr) << name;
    EXPECT_EQ(made->name(), name);
  }
}

TEST(TcpCubic, SlowStartIsNewRenos) {
  FlowOf<NewReno> reno;
  Flow cubic;
  reno.srtt = cubic.srtt = std::chrono::milliseconds(50);
  // Whole segments, a short ACK and stretch ACKs: RFC 5681 eq. 2 (RFC 3465 counting) for both.
  for (const size_t n : {1000u, 500u, 3000u, 1000u, 2000u, 1000u, 200u, 1000u}) {
    reno.send(n);
    cubic.send(n);
    reno.now = cubic.now += std::chrono::milliseconds(10);
    reno.ack(n);
    cubic.ack(n);
    ASSERT_EQ(cubic.cc.cwnd(), reno.cc.cwnd()) << "after acknowledging " << n;
  }
  EXPECT_EQ(cubic.cc.cwnd(), 19'700u);  // stretch ACKs count in full, as whole segments do
  EXPECT_EQ(cubic.cc.ssthresh(), std::numeric_limits<size_t>::max());
  EXPECT_FALSE(cubic.cc.epoch_start());  // no congestion-avoidance stage yet
}

TEST(TcpCubic, ThirdDuplicateCutsToBetaOfTheFlight) {
  Flow f;
  f.fill();                           // flight 10000
  EXPECT_TRUE(f.dup().may_send_new);  // limited transmit, as NewReno
  f.send(kSmss);
  EXPECT_TRUE(f.dup().may_send_new);
  f.send(kSmss);
  EXPECT_EQ(f.cc.cwnd(), 10'000u);
  const AckResponse r = f.dup();
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
  // RFC 9438 4.6: ssthresh = 0.7 * FlightSize (10000 before limited transmit, not 12000), and
  // NewReno's recovery starts from ssthresh + 3*SMSS.
  EXPECT_EQ(f.cc.ssthresh(), 7000u);
  EXPECT_EQ(f.cc.cwnd(), 10'000u);
  // Figure 5: cwnd_prior and (no fast convergence yet) W_max are the window before the cut.
  EXPECT_DOUBLE_EQ(*f.cc.cwnd_prior(), 10.0);
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), 10.0);

  // Inflation releases five new segments; the full ACK then deflates to RFC 6582's
  // min(ssthresh, FlightSize + SMSS) = min(7000, 6000), where NewReno would take min(5000, 6000).
  for (int i = 0; i < 7; ++i)
    if (f.dup().may_send_new) f.send(kSmss);
  ASSERT_EQ(f.flight(), 17'000u);
  f.ack(10'000 + 2 * kSmss);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 6000u);
  EXPECT_EQ(f.cc.ssthresh(), 7000u);
}

TEST(TcpCubic, SsthreshAfterALossIsAtLeastTwoSegments) {
  Flow f;
  f.send(2000);
  f.dup();
  f.dup();
  EXPECT_TRUE(f.dup().retransmit_first_unacked);
  EXPECT_EQ(f.cc.ssthresh(), 2000u);  // max(1400, 2*SMSS)
  EXPECT_EQ(f.cc.cwnd(), 5000u);
}

TEST(TcpCubic, KFollowsTheRfcFormula) {
  // RFC 9438 Figure 2 on its own: the time for the curve to climb back to W_max.
  EXPECT_NEAR(Cubic::k_for(100.0, 70.0), std::cbrt(75.0), 1e-12);
  EXPECT_NEAR(Cubic::k_for(100.0, 70.0), 4.2171633, 1e-6);
  EXPECT_DOUBLE_EQ(Cubic::k_for(50.0, 50.0), 0.0);
  const double k = Cubic::k_for(100.0, 70.0);
  EXPECT_NEAR(Cubic::w_cubic(0.0, k, 100.0), 70.0, 1e-9);  // starts at cwnd_epoch
  EXPECT_NEAR(Cubic::w_cubic(k, k, 100.0), 100.0, 1e-9);   // plateau at W_max after K

  // And as the algorithm computes it: a loss at a window of 100 segments.
  Flow f;
  grow_to(f, 100'000);
  lose_one_segment(f);
  EXPECT_EQ(f.cc.ssthresh(), 70'000u);
  EXPECT_EQ(f.cc.cwnd(), 70'000u);  // min(ssthresh, FlightSize + SMSS)
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), 100.0);
  EXPECT_FALSE(f.cc.epoch_start());  // the stage begins with the first ACK in avoidance

  f.now += std::chrono::milliseconds(100);
  f.ack(kSmss);
  ASSERT_EQ(f.cc.epoch_start(), f.now);
  EXPECT_DOUBLE_EQ(f.cc.cwnd_epoch(), 70.0);
  EXPECT_NEAR(f.cc.k(), 4.2171633, 1e-6);
  EXPECT_NEAR(Cubic::kC * std::pow(f.cc.k(), 3), 100.0 - 70.0, 1e-9);
}

TEST(TcpCubic, WindowIsConcaveUpToWmaxAfterKThenConvex) {
  const Duration rtt = std::chrono::milliseconds(100);
  Flow f;
  f.srtt = rtt;
  grow_to(f, 100'000);
  lose_one_segment(f);
  ASSERT_EQ(f.cc.cwnd(), 70'000u);
  const double k = Cubic::k_for(100.0, 70.0);  // 4.217 s: 42 round trips

  // Each entry: cwnd at the end of round i, i.e. at t = (i + 1) * RTT into the stage.
  std::vector<size_t> cwnd_after;
  std::vector<double> w_est_after;
  for (int i = 0; i < 70; ++i) {
    round_trip(f, rtt);
    cwnd_after.push_back(f.cc.cwnd());
    w_est_after.push_back(f.cc.w_est());
    // RFC 9438 4.2: never more than 1.5 * cwnd per RTT, never a decrease.
    if (i > 0) {
      ASSERT_GE(cwnd_after[i], cwnd_after[i - 1]);
      ASSERT_LE(cwnd_after[i], cwnd_after[i - 1] * 3 / 2);
    }
  }
  const auto growth = [&](int from, int to) {
    return cwnd_after[static_cast<size_t>(to)] - cwnd_after[static_cast<size_t>(from)];
  };

  // Concave: fast at first, slowing as the window nears W_max.
  EXPECT_GT(growth(0, 10), 3 * growth(31, 41));
  for (int i = 0; i < 40; ++i)
    EXPECT_LT(cwnd_after[i], 100'000u) << "round " << i;
  // After K the window is back at W_max (within a segment)...
  const int at_k = static_cast<int>(std::lround(k / 0.1)) - 1;  // the round ending nearest K
  EXPECT_NEAR(segments(cwnd_after[static_cast<size_t>(at_k)]), 100.0, 1.0);
  // ...and then convex: slow at first, speeding up as it probes beyond W_max.
  EXPECT_LT(growth(at_k, at_k + 7), growth(at_k + 7, at_k + 14));
  EXPECT_LT(5 * growth(at_k, at_k + 7), growth(at_k + 7, at_k + 14));

  // Throughout, the window follows the larger of W_cubic(t) and W_est (RFC 9438 4.2, 4.3)
  // closely. At this RTT W_est, growing at alpha_cubic and then (past cwnd_prior = 100) at one
  // segment per RTT, overtakes the convex curve from about t = 5.8 s on.
  for (size_t i = 0; i < cwnd_after.size(); ++i) {
    const double t = 0.1 * static_cast<double>(i + 1);
    const double expected = std::max(Cubic::w_cubic(t, k, 100.0), w_est_after[i]);
    EXPECT_NEAR(segments(cwnd_after[i]), expected, 0.5) << "round " << i;
  }
  EXPECT_GT(w_est_after[65], Cubic::w_cubic(6.6, k, 100.0) + 2.0);
  EXPECT_NEAR(segments(growth(60, 69)), 9.0, 0.5);  // Reno's one segment per RTT
  EXPECT_GT(f.cc.cwnd(), 110'000u);
}

TEST(TcpCubic, RenoFriendlyRegionDominatesAtSmallRttAndWindow) {
  const Duration rtt = std::chrono::milliseconds(1);
  Flow f;
  f.srtt = rtt;
  grow_to(f, 20'000);
  lose_one_segment(f);
  ASSERT_EQ(f.cc.cwnd(), 14'000u);
  const double k = Cubic::k_for(20.0, 14.0);  // 2.47 s: W_cubic barely moves in 20 ms

  // RFC 9438 4.3: W_est grows by alpha_cubic = 3 * 0.3 / 1.7 = 0.53 segments per RTT.
  EXPECT_NEAR(Cubic::kAlpha, 0.5294, 1e-4);
  for (int i = 0; i < 10; ++i)
    round_trip(f, rtt);
  const double t = 0.010;
  EXPECT_LT(Cubic::w_cubic(t, k, 20.0), 14.1);
  EXPECT_GT(segments(f.cc.cwnd()), 14.0 + 0.45 * 10);
  EXPECT_LT(segments(f.cc.cwnd()), 14.0 + Cubic::kAlpha * 10 + 0.5);
  EXPECT_NEAR(segments(f.cc.cwnd()), f.cc.w_est(), 0.01);  // cwnd = W_est

  // Once W_est passes cwnd_prior (20 segments), alpha becomes 1: Reno's one segment per RTT.
  while (f.cc.w_est() < 20.0)
    round_trip(f, rtt);
  round_trip(f, rtt);
  const size_t before = f.cc.cwnd();
  for (int i = 0; i < 5; ++i)
    round_trip(f, rtt);
  EXPECT_NEAR(segments(f.cc.cwnd() - before), 5.0, 0.3);
}

TEST(TcpCubic, CubicGrowthBeatsRenoAtLargeRtt) {
  // The other side of RFC 9438 4.3: at a long RTT, W_cubic is above W_est and cwnd follows it.
  const Duration rtt = std::chrono::milliseconds(200);
  Flow f;
  f.srtt = rtt;
  grow_to(f, 100'000);
  lose_one_segment(f);
  for (int i = 0; i < 5; ++i)
    round_trip(f, rtt);
  // W_est would be 70 + 5 * 0.53 = 72.6 segments; W_cubic(1 s) is 86.7.
  EXPECT_LT(f.cc.w_est(), 73.0);
  EXPECT_GT(segments(f.cc.cwnd()), 84.0);
}

TEST(TcpCubic, FastConvergenceLowersWmax) {
  const Duration rtt = std::chrono::milliseconds(100);
  Flow f;
  f.srtt = rtt;
  grow_to(f, 100'000);
  lose_one_segment(f);
  ASSERT_DOUBLE_EQ(*f.cc.w_max(), 100.0);
  for (int i = 0; i < 8; ++i)
    round_trip(f, rtt);
  const size_t cwnd_at_loss = f.cc.cwnd();
  ASSERT_LT(cwnd_at_loss, 100'000u);  // still below the last W_max

  // RFC 9438 4.7: W_max = cwnd * (1 + beta_cubic) / 2.
  lose_one_segment(f);
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), segments(cwnd_at_loss) * 0.85);
  EXPECT_DOUBLE_EQ(*f.cc.cwnd_prior(), segments(cwnd_at_loss));

  // Without fast convergence (a flow alone on its path), W_max is the window at the loss.
  FlowOf<Cubic> g(/*fast_convergence=*/false);
  g.srtt = rtt;
  grow_to(g, 100'000);
  lose_one_segment(g);
  for (int i = 0; i < 8; ++i)
    round_trip(g, rtt);
  const size_t g_at_loss = g.cc.cwnd();
  lose_one_segment(g);
  EXPECT_DOUBLE_EQ(*g.cc.w_max(), segments(g_at_loss));

  // A loss above the last W_max sets W_max to the window, with or without fast convergence.
  Flow h;
  h.srtt = rtt;
  grow_to(h, 20'000);
  lose_one_segment(h);  // W_max 20
  grow_to(h, 30'000);   // Reno-friendly growth (no time passes) beyond the last W_max
  const size_t h_at_loss = h.cc.cwnd();
  lose_one_segment(h);
  EXPECT_DOUBLE_EQ(*h.cc.w_max(), segments(h_at_loss));
}

TEST(TcpCubic, TimeoutFallsToOneSegmentAndRestartsTheCurveAtK0) {
  Flow f;
  f.srtt = std::chrono::milliseconds(100);
  f.send(20'000);
  f.timeout();
  // RFC 9438 4.8: cwnd as Reno (the loss window), ssthresh with beta_cubic.
  EXPECT_EQ(f.cc.cwnd(), 1000u);
  EXPECT_EQ(f.cc.ssthresh(), 14'000u);
  EXPECT_FALSE(f.cc.in_recovery());

  // A second timeout of the same segment holds ssthresh, as for NewReno.
  f.nxt = f.una + kSmss;
  f.timeout();
  EXPECT_EQ(f.cc.ssthresh(), 14'000u);
  EXPECT_EQ(f.cc.cwnd(), 1000u);

  // Slow start back up to ssthresh, then the first stage after the timeout: K = 0 and
  // W_max = W_est = cwnd_epoch.
  f.una = f.nxt;
  grow_to(f, 14'000);
  ASSERT_EQ(f.cc.cwnd(), 14'000u);
  EXPECT_FALSE(f.cc.epoch_start());
  f.now += std::chrono::milliseconds(100);
  f.send(kSmss);
  f.ack(kSmss);
  ASSERT_TRUE(f.cc.epoch_start());
  EXPECT_DOUBLE_EQ(f.cc.k(), 0.0);
  EXPECT_DOUBLE_EQ(f.cc.cwnd_epoch(), 14.0);
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), 14.0);
  EXPECT_GE(f.cc.cwnd(), 14'000u);
}

TEST(TcpCubic, TimeoutDuringRecoveryLeavesItAndKeepsRecoverAsNewReno) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();
  ASSERT_TRUE(f.cc.in_recovery());
  f.timeout();
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 1000u);
  EXPECT_EQ(f.cc.ssthresh(), 7000u);
  EXPECT_DOUBLE_EQ(*f.cc.cwnd_prior(), 10.0);  // not the inflated window of recovery

  // Go-back-N's duplicates (not beyond recover, RFC 6582 4) start no fast retransmit.
  f.ack(kSmss);
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), 7000u);
}

TEST(TcpCubic, RecoveryFollowsNewRenoStepForStep) {
  // The same script of duplicates, partial ACKs and a full ACK, driven through both algorithms:
  // every decision of RFC 5681 3.2 and RFC 6582 3.2 is the same; only ssthresh differs, and the
  // window in recovery stays the same distance above it (inflation, deflation, add-back).
  FlowOf<NewReno> reno;
  Flow cubic;
  enum Step { Dup, Send, Ack2000, Ack500 };
  const std::vector<Step> script = {Dup, Send, Dup,    Send, Dup, Dup,     Dup, Ack2000, Dup,
                                    Dup, Dup,  Ack500, Dup,  Dup, Ack2000, Dup, Dup,     Dup};
  reno.fill();
  cubic.fill();
  for (size_t i = 0; i < script.size(); ++i) {
    AckResponse a{}, b{};
    switch (script[i]) {
      case Dup:
        a = reno.dup();
        b = cubic.dup();
        break;
      case Send:
        reno.send(kSmss);
        cubic.send(kSmss);
        continue;
      case Ack2000:
        a = reno.ack(2000);
        b = cubic.ack(2000);
        break;
      case Ack500:
        a = reno.ack(500);
        b = cubic.ack(500);
        break;
    }
    ASSERT_EQ(a.retransmit_first_unacked, b.retransmit_first_unacked) << "step " << i;
    ASSERT_EQ(reno.cc.in_recovery(), cubic.cc.in_recovery()) << "step " << i;
    ASSERT_EQ(reno.cc.duplicate_acks(), cubic.cc.duplicate_acks()) << "step " << i;
    if (reno.cc.in_recovery()) {
      ASSERT_EQ(reno.cc.cwnd() - reno.cc.ssthresh(), cubic.cc.cwnd() - cubic.cc.ssthresh())
          << "step " << i;
    } else {
      ASSERT_EQ(reno.cc.cwnd(), cubic.cc.cwnd()) << "step " << i;
    }
  }
  EXPECT_TRUE(cubic.cc.in_recovery());
  EXPECT_EQ(reno.cc.ssthresh(), 5000u);
  EXPECT_EQ(cubic.cc.ssthresh(), 7000u);

  // Partial ACKs retransmit; the full ACK leaves recovery at min(ssthresh, FlightSize + SMSS).
  EXPECT_TRUE(cubic.ack(1000).retransmit_first_unacked);
  const AckResponse full = cubic.ack_all();
  EXPECT_FALSE(full.retransmit_first_unacked);
  EXPECT_FALSE(cubic.cc.in_recovery());
  EXPECT_EQ(cubic.cc.cwnd(), 2000u);
}

TEST(TcpCubic, InflationIsLimitedAndNoSecondFastRetransmitInRecovery) {
  Flow f;
  f.fill();  // ten segments outstanding
  for (int i = 0; i < 3; ++i)
    f.dup();
  ASSERT_EQ(f.cc.cwnd(), 10'000u);  // 7000 + 3*SMSS
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_EQ(f.cc.cwnd(), 17'000u);  // seven more inflations, then none
  EXPECT_EQ(f.cc.ssthresh(), 7000u);
}

TEST(TcpCubic, PartialAckDeflatesAsNewReno) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();  // cwnd 10000, ssthresh 7000
  AckResponse r = f.ack(3000);
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_EQ(f.cc.cwnd(), 8000u);  // 10000 - 3000 + SMSS
  EXPECT_TRUE(f.cc.in_recovery());
  r = f.ack(500);  // under one SMSS: no add-back
  EXPECT_EQ(f.cc.cwnd(), 7500u);
  EXPECT_TRUE(r.retransmit_first_unacked);
  r = f.ack(f.flight());
  EXPECT_FALSE(r.retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 2000u);
}

TEST(TcpCubic, WorksWithoutAnRtt) {
  // No smoothed RTT reported: the target is W_cubic(t), a little behind W_cubic(t + RTT).
  const Duration rtt = std::chrono::milliseconds(100);
  Flow with, without;
  with.srtt = rtt;
  for (Flow* f : {&with, &without}) {
    grow_to(*f, 100'000);
    lose_one_segment(*f);
    for (int i = 0; i < 10; ++i)
      round_trip(*f, rtt);
  }
  EXPECT_GT(without.cc.cwnd(), 80'000u);
  EXPECT_LT(without.cc.cwnd(), with.cc.cwnd());

  // An RTT once seen is kept while the connection reports none.
  Flow kept;
  kept.srtt = rtt;
  grow_to(kept, 100'000);
  lose_one_segment(kept);
  round_trip(kept, rtt);
  kept.srtt.reset();
  for (int i = 1; i < 10; ++i)
    round_trip(kept, rtt);
  EXPECT_EQ(kept.cc.cwnd(), with.cc.cwnd());
}

TEST(TcpCubic, IdleTimeIsNotCountedInTheCurve) {
  const Duration rtt = std::chrono::milliseconds(100);
  Flow f;
  f.srtt = rtt;
  grow_to(f, 100'000);
  lose_one_segment(f);
  round_trip(f, rtt);
  const Instant start = *f.cc.epoch_start();

  // RFC 9438 5.8: a pause shorter than an RTO shifts t_epoch by the pause.
  f.cc.on_idle_restart(std::chrono::milliseconds(300), std::chrono::seconds(1));
  EXPECT_EQ(*f.cc.epoch_start(), start + std::chrono::milliseconds(300));

  // Past an RTO, RFC 5681 4.1 restarts from min(IW, cwnd), and the curve with it.
  f.cc.on_idle_restart(std::chrono::seconds(3), std::chrono::seconds(1));
  EXPECT_EQ(f.cc.cwnd(), 10'000u);
  EXPECT_FALSE(f.cc.epoch_start());
  EXPECT_DOUBLE_EQ(*f.cc.w_max(), 100.0);  // the last saturation point is remembered
}

TEST(TcpCubic, RecoveryWorksAcrossSequenceWrap) {
  Flow f;
  f.una = f.nxt = Seq(0xffff'f000u);
  f.fill();
  ASSERT_LT(f.nxt.value(), f.una.value());
  for (int i = 0; i < 3; ++i)
    f.dup();
  ASSERT_TRUE(f.cc.in_recovery());
  EXPECT_TRUE(f.ack(3000).retransmit_first_unacked);
  EXPECT_TRUE(f.ack(3000).retransmit_first_unacked);
  EXPECT_FALSE(f.ack_all().retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
}

}  // namespace
}  // namespace tundra::tcp
