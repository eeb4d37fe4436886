// BBR (stack/tcp/bbr): on a simulated path with a known bottleneck and round trip, its model
// finds both and Startup, Drain and ProbeBW follow; loss does not shrink the window (packet
// conservation for a round, then back); a timeout falls to one segment and returns; ProbeRTT
// comes after 10 s without a new RTprop and goes after 200 ms and a round.
#include <gtest/gtest.h>

#include <deque>

#include "stack/tcp/bbr.hpp"
#include "stack/tcp/delivery_rate.hpp"

namespace tundra::tcp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr size_t kMss = 1000;

// One flow over a path: a bottleneck of `bw` bytes per second with an unbounded queue, then a
// fixed propagation round trip. Each segment leaves the bottleneck one serialization time after
// the one before it (or when it arrives), and its ACK comes `rtt` after that. Every segment is
// acknowledged cumulatively; the sender sends whenever the window allows, as the connection does.
struct Path {
  explicit Path(double bytes_per_s, Duration round_trip) : bw(bytes_per_s), rtt(round_trip) {}

  double bw;
  Duration rtt;
  Bbr cc{kMss};
  DeliveryRate rate;
  Seq una{1}, nxt{1};
  Instant now = Instant::from_millis(1000);
  Instant bottleneck_free = now;
  struct InFlight {
    Seq end;
    Instant sent;
    Instant acked_at;
  };
  std::deque<InFlight> flight;
  size_t max_flight = 0;

  size_t in_flight() const { return distance(una, nxt); }
  void fill() {
    while (in_flight() + kMss <= cc.cwnd()) {
      rate.on_send(nxt + static_cast<uint32_t>(kMss), in_flight(), now);
      const Instant start = std::max(now, bottleneck_free);
      bottleneck_free = start + Duration(static_cast<int64_t>(1e6 * kMss / bw));
      nxt += static_cast<uint32_t>(kMss);
      flight.push_back(InFlight{nxt, now, bottleneck_free + rtt});
      max_flight = std::max(max_flight, in_flight());
    }
  }
  // The next ACK arrives; the sender answers it.
  void step() {
    fill();
    const InFlight f = flight.front();
    flight.pop_front();
    now = f.acked_at;
    const size_t n = distance(una, f.end);
    AckEvent e{.ack = f.end,
               .bytes_acked = n,
               .flight_before = in_flight(),
               .snd_nxt = nxt,
               .now = now,
               .rtt_sample = now - f.sent};
    una = f.end;
    e.delivered = n;
    e.in_flight_after = in_flight();
    e.rate = rate.on_ack(n, una, std::nullopt, now);
    cc.on_ack(e);
  }
  void run_for(Duration d) {
    const Instant until = now + d;
    for (int guard = 0; guard < 10'000'000 && now < until; ++guard)
      step();
  }
};

TEST(TcpBbr, FindsTheBottleneckAndTheRoundTripAndSettlesInProbeBw) {
  // 10 MB/s (80 Mbit/s) and 10 ms: a BDP of 100 kB.
  Path p(10e6, milliseconds(10));
  EXPECT_EQ(p.cc.mode(), Bbr::Mode::Startup);
  EXPECT_EQ(p.cc.cwnd(), initial_window(kMss));
  p.run_for(std::chrono::seconds(2));
  EXPECT_TRUE(p.cc.full_bw_reached());
  EXPECT_EQ(p.cc.mode(), Bbr::Mode::ProbeBw);
  EXPECT_NEAR(p.cc.btl_bw(), 10e6, 0.03 * 10e6);
  ASSERT_TRUE(p.cc.min_rtt().has_value());
  EXPECT_GE(*p.cc.min_rtt(), milliseconds(10));
  EXPECT_LE(*p.cc.min_rtt(), microseconds(10'200));
  // cwnd = 2 * BDP + three sends' worth (a millisecond at 10 MB/s each): 230 kB.
  EXPECT_NEAR(static_cast<double>(p.cc.cwnd()), 230e3, 0.05 * 230e3);
  EXPECT_EQ(p.cc.target_cwnd(Bbr::kCwndGain), p.cc.cwnd());
  // Startup's doubling ended within a few rounds of filling the pipe: log2(100 kB / IW) is 3.3,
  // plus three rounds to see the bandwidth stop growing.
  EXPECT_LT(p.cc.round_count(), 2.0 / 0.010 + 20);
  EXPECT_LT(p.max_flight, 8 * 100'000u);
}

TEST(TcpBbr, ALossKeepsWhatIsInFlightForARoundThenTheWindowReturns) {
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const size_t settled = p.cc.cwnd();
  // The first segment outstanding is lost; duplicate ACKs SACK all the others, one each.
  size_t flight = p.in_flight();
  ASSERT_GE(flight, settled - kMss);  // the window was full
  AckResponse r;
  size_t in_recovery_cwnd = 0;
  for (size_t i = 0; flight > kMss; ++i) {
    p.now += microseconds(100);
    flight -= kMss;
    AckEvent e{.ack = p.una, .flight_before = flight + kMss, .snd_nxt = p.nxt, .now = p.now};
    e.delivered = kMss;
    e.in_flight_after = flight;
    r = p.cc.on_ack(e);
    if (i == 2) {
      EXPECT_TRUE(r.retransmit_first_unacked);
      ASSERT_TRUE(p.cc.in_recovery());
      // Packet conservation: what is in flight plus what the ACK delivered, not a halving.
      EXPECT_EQ(p.cc.cwnd(), flight + kMss);
      in_recovery_cwnd = p.cc.cwnd();
    }
  }
  // Through the round it keeps that, though the flight drains.
  EXPECT_EQ(p.cc.cwnd(), in_recovery_cwnd);
  // The resend arrives: the full ACK delivers just it, and ends recovery; the window is what it
  // was before the loss.
  p.now += milliseconds(10);
  AckEvent full{.ack = p.nxt,
                .bytes_acked = distance(p.una, p.nxt),
                .flight_before = kMss,
                .snd_nxt = p.nxt,
                .now = p.now};
  full.delivered = kMss;
  full.in_flight_after = 0;
  p.cc.on_ack(full);
  EXPECT_FALSE(p.cc.in_recovery());
  EXPECT_EQ(p.cc.cwnd(), settled);
  EXPECT_NEAR(p.cc.btl_bw(), 10e6, 0.03 * 10e6) << "the model is not lowered by the loss";
}

TEST(TcpBbr, ALossRacksTimerFindsKeepsWhatIsInFlightAndTheModel) {
  // RFC 8985 6.2's reordering timer marks the first segment lost with no ACK arriving: the
  // recovery starts with packet conservation (what is in flight, at least a segment), and the
  // full ACK gives the window back.
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const size_t settled = p.cc.cwnd();
  const double bw = p.cc.btl_bw();
  AckEvent e{.ack = p.una,
             .flight_before = p.in_flight(),
             .snd_nxt = p.nxt,
             .now = p.now,
             .sack_lost = true,
             .rack = true,
             .sack = true};
  e.in_flight_after = p.in_flight() - kMss;  // the pipe leaves the lost segment out
  EXPECT_TRUE(p.cc.on_loss_detected(e).retransmit_first_unacked);
  ASSERT_TRUE(p.cc.in_recovery());
  EXPECT_EQ(p.cc.cwnd(), e.in_flight_after + kMss);
  EXPECT_EQ(p.cc.btl_bw(), bw);
  p.now += milliseconds(10);
  AckEvent full{.ack = p.nxt,
                .bytes_acked = distance(p.una, p.nxt),
                .flight_before = p.in_flight(),
                .snd_nxt = p.nxt,
                .now = p.now};
  full.delivered = kMss;
  p.cc.on_ack(full);
  EXPECT_FALSE(p.cc.in_recovery());
  EXPECT_EQ(p.cc.cwnd(), settled);
}

TEST(TcpBbr, ATimeoutFallsToOneSegmentAndGrowsBackToTheWindowItHad) {
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const size_t settled = p.cc.cwnd();
  const Seq sent_at_timeout = p.nxt;
  p.cc.on_retransmission_timeout(p.in_flight(), p.nxt);
  EXPECT_EQ(p.cc.cwnd(), kMss);
  EXPECT_EQ(p.cc.mode(), Bbr::Mode::ProbeBw);
  // The resend of the first segment is acknowledged: cwnd grows by what that delivered, and is
  // held at BBR's floor of four segments.
  p.now += milliseconds(10);
  AckEvent e{.ack = p.una + static_cast<uint32_t>(kMss),
             .bytes_acked = kMss,
             .flight_before = kMss,
             .snd_nxt = p.una + static_cast<uint32_t>(kMss),
             .now = p.now};
  e.delivered = kMss;
  p.cc.on_ack(e);
  EXPECT_EQ(p.cc.cwnd(), Bbr::kMinCwndSegments * kMss);
  // Then everything sent before the timeout (the rest had been SACKed, so this ACK delivers
  // one segment more): the loss is over, and cwnd is back where it was.
  p.now += milliseconds(10);
  AckEvent done{.ack = sent_at_timeout,
                .bytes_acked = distance(e.ack, sent_at_timeout),
                .flight_before = distance(e.ack, sent_at_timeout),
                .snd_nxt = sent_at_timeout,
                .now = p.now};
  done.delivered = kMss;
  p.cc.on_ack(done);
  EXPECT_EQ(p.cc.cwnd(), settled);
}

TEST(TcpBbr, ASpuriousTimeoutGivesTheWindowBackAtOnce) {
  // The first ACK after the timeout echoes a timestamp from before it (RFC 3522): nothing was
  // lost, and the window the timeout saved comes back with that ACK, not with the last of the
  // data sent before it.
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const size_t settled = p.cc.cwnd();
  p.cc.on_retransmission_timeout(p.in_flight(), p.nxt);
  ASSERT_EQ(p.cc.cwnd(), kMss);
  p.now += milliseconds(1);
  AckEvent e{.ack = p.una + static_cast<uint32_t>(kMss),
             .bytes_acked = kMss,
             .flight_before = p.in_flight(),
             .snd_nxt = p.nxt,
             .now = p.now};
  e.delivered = kMss;
  p.cc.on_ack(e);
  ASSERT_LT(p.cc.cwnd(), settled);
  p.cc.on_spurious_timeout(p.in_flight() - kMss, kMss);
  EXPECT_EQ(p.cc.cwnd(), settled);
}

TEST(TcpBbr, ASampleOverLessThanTheRoundTripIsNotTakenForBandwidth) {
  // ACKs bunched by the way back would show a rate the path never carried.
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const double bw = p.cc.btl_bw();
  for (int i = 0; i < 12; ++i) {
    p.now += milliseconds(10);
    AckEvent e{.ack = p.una, .flight_before = p.in_flight(), .snd_nxt = p.nxt, .now = p.now};
    RateSample rs;
    rs.delivered = 100'000;
    rs.interval = milliseconds(1);        // 100 MB/s, over a tenth of RTprop
    rs.prior_delivered = UINT64_MAX / 2;  // each one starts a round
    e.rate = rs;
    p.cc.on_ack(e);
  }
  EXPECT_NEAR(p.cc.btl_bw(), bw, 0.01 * bw);
}

TEST(TcpBbr, ProbeRttComesAfterTenSecondsWithoutANewMinimumAndEnds) {
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const size_t settled = p.cc.cwnd();
  // The path's round trip grows by 5 ms: no sample reaches the old minimum again.
  p.rtt = milliseconds(15);
  bool probed = false;
  size_t smallest = settled;
  const Instant start = p.now;
  for (int guard = 0; guard < 2'000'000 && p.now < start + std::chrono::seconds(12); ++guard) {
    p.step();
    if (p.cc.mode() == Bbr::Mode::ProbeRtt) {
      probed = true;
      smallest = std::min(smallest, p.cc.cwnd());
      EXPECT_GE(p.now - start, std::chrono::seconds(8));  // 10 s after the last minimum
    }
  }
  EXPECT_TRUE(probed);
  EXPECT_EQ(smallest, Bbr::kMinCwndSegments * kMss);
  EXPECT_EQ(p.cc.mode(), Bbr::Mode::ProbeBw);
  ASSERT_TRUE(p.cc.min_rtt().has_value());
  EXPECT_GE(*p.cc.min_rtt(), milliseconds(15)) << "RTprop was measured anew";
  // The window follows the new BDP: 2 * 10 MB/s * 15 ms plus three sends' worth.
  EXPECT_NEAR(static_cast<double>(p.cc.cwnd()), 330e3, 0.05 * 330e3);
}

TEST(TcpBbr, AppLimitedSamplesDoNotLowerTheBandwidth) {
  Path p(10e6, milliseconds(10));
  p.run_for(std::chrono::seconds(2));
  const double bw = p.cc.btl_bw();
  // A second of slow sending: one segment every 10 ms, marked app-limited.
  for (int i = 0; i < 100; ++i) {
    p.rate.mark_app_limited(p.in_flight());
    p.rate.on_send(p.nxt + static_cast<uint32_t>(kMss), p.in_flight(), p.now);
    p.nxt += static_cast<uint32_t>(kMss);
    p.now += milliseconds(10);
    AckEvent e{.ack = p.nxt,
               .bytes_acked = kMss,
               .flight_before = kMss,
               .snd_nxt = p.nxt,
               .now = p.now,
               .rtt_sample = milliseconds(10)};
    p.una = p.nxt;
    e.delivered = kMss;
    e.in_flight_after = 0;
    e.rate = p.rate.on_ack(kMss, p.una, std::nullopt, p.now);
    ASSERT_TRUE(e.rate.has_value());
    EXPECT_TRUE(e.rate->app_limited);
    p.cc.on_ack(e);
  }
  EXPECT_NEAR(p.cc.btl_bw(), bw, 0.01 * bw);
}

TEST(TcpBbr, TheFactoryKnowsIt) {
  auto cc = make_congestion_control("bbr", kMss);
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->name(), "bbr");
  EXPECT_TRUE(cc->wants_rate_samples());
  EXPECT_FALSE(make_congestion_control("newreno", kMss)->wants_rate_samples());
  const auto names = congestion_control_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "bbr"), names.end());
}

}  // namespace
}  // namespace tundra::tcp
