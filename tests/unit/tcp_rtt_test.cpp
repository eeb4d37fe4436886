// RFC 6298 retransmission timer (stack/tcp/rtt): the SRTT/RTTVAR arithmetic on given samples, the
// clamps, exponential backoff and its reset.
#include <gtest/gtest.h>

#include "stack/tcp/rtt.hpp"

namespace tundra::tcp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TcpRtt, BeforeAnySampleTheRtoIsTheInitialOne) {
  const RttEstimator rtt;
  EXPECT_FALSE(rtt.has_sample());
  EXPECT_FALSE(rtt.srtt().has_value());
  EXPECT_EQ(rtt.rto(), seconds(1));  // RFC 6298 2.1
  EXPECT_EQ(rtt.backoffs(), 0u);
}

TEST(TcpRtt, FirstSampleSetsSrttAndHalfOfItAsVariation) {
  RttEstimator rtt;
  rtt.sample(milliseconds(100));
  ASSERT_TRUE(rtt.has_sample());
  EXPECT_EQ(*rtt.srtt(), milliseconds(100));
  EXPECT_EQ(rtt.rttvar(), milliseconds(50));
  EXPECT_EQ(rtt.rto(), milliseconds(300));  // R + 4 * R/2

  RttEstimator slow;
  slow.sample(milliseconds(500));
  EXPECT_EQ(slow.rto(), milliseconds(1500));
}

TEST(TcpRtt, LaterSamplesUpdateVariationFromTheOldSrttThenSmooth) {
  RttEstimator rtt;
  rtt.sample(milliseconds(100));
  rtt.sample(milliseconds(200));
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms, computed before SRTT moves (RFC 6298 2.3);
  // SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms; RTO = 112.5 + 4 * 62.5.
  EXPECT_EQ(rtt.rttvar(), Duration(62'500));
  EXPECT_EQ(*rtt.srtt(), Duration(112'500));
  EXPECT_EQ(rtt.rto(), Duration(362'500));

  rtt.sample(milliseconds(40));
  // RTTVAR = 3/4 * 62.5 + 1/4 * 72.5 = 65 ms; SRTT = 7/8 * 112.5 + 5 = 103.4375 ms.
  EXPECT_EQ(rtt.rttvar(), Duration(65'000));
  EXPECT_EQ(*rtt.srtt(), Duration(103'437));
  EXPECT_EQ(rtt.rto(), Duration(363'437));
}

TEST(TcpRtt, RtoIsClampedToTheConfiguredMinimumAndMaximum) {
  RttEstimator fast;
  fast.sample(milliseconds(10));  // 10 + 20 = 30 ms
  EXPECT_EQ(fast.rto(), milliseconds(200));

  RttEstimator strict(RttConfig{.min_rto = seconds(1)});  // RFC 6298 2.4 to the letter
  strict.sample(milliseconds(100));
  EXPECT_EQ(strict.rto(), seconds(1));

  RttEstimator slow;
  slow.sample(seconds(30));  // 30 + 60 = 90 s
  EXPECT_EQ(slow.rto(), seconds(60));
}

TEST(TcpRtt, GranularityKeepsTheRtoAboveASteadySrtt) {
  RttEstimator rtt(RttConfig{.min_rto = Duration(1)});
  for (int i = 0; i < 100; ++i)
    rtt.sample(milliseconds(100));
  EXPECT_EQ(rtt.rttvar(), Duration::zero());
  EXPECT_EQ(rtt.rto(), milliseconds(101));  // SRTT + max(G, 0)
}

TEST(TcpRtt, NegativeSampleCountsAsZero) {
  RttEstimator rtt(RttConfig{.min_rto = Duration(1)});
  rtt.sample(milliseconds(-5));
  EXPECT_EQ(*rtt.srtt(), Duration::zero());
  EXPECT_EQ(rtt.rto(), milliseconds(1));
}

TEST(TcpRtt, BackoffDoublesUpToTheCapAndKeepsCounting) {
  RttEstimator rtt;
  rtt.sample(milliseconds(100));  // RTO 300 ms
  rtt.backoff();
  EXPECT_EQ(rtt.rto(), milliseconds(600));
  rtt.backoff();
  EXPECT_EQ(rtt.rto(), milliseconds(1200));
  EXPECT_EQ(rtt.backoffs(), 2u);

  for (int i = 0; i < 6; ++i)
    rtt.backoff();  // 300 ms * 2^8 = 76.8 s
  EXPECT_EQ(rtt.rto(), seconds(60));
  EXPECT_EQ(rtt.backoffs(), 8u);
  for (int i = 0; i < 100; ++i)
    rtt.backoff();  // no overflow, still capped
  EXPECT_EQ(rtt.rto(), seconds(60));
  EXPECT_EQ(rtt.backoffs(), 108u);
}

TEST(TcpRtt, BackoffAppliesBeforeTheFirstSample) {
  RttEstimator rtt;
  rtt.backoff();
  rtt.backoff();
  EXPECT_EQ(rtt.rto(), seconds(4));
}

TEST(TcpRtt, ResetBackoffReturnsToTheComputedRto) {
  RttEstimator rtt;
  rtt.sample(milliseconds(100));
  rtt.backoff();
  rtt.backoff();
  rtt.reset_backoff();
  EXPECT_EQ(rtt.rto(), milliseconds(300));
  EXPECT_EQ(rtt.backoffs(), 0u);
  EXPECT_EQ(*rtt.srtt(), milliseconds(100));  // estimates untouched
}

TEST(TcpRtt, SampleEndsTheBackoff) {
  RttEstimator rtt;
  rtt.sample(milliseconds(100));
  rtt.backoff();
  rtt.backoff();
  rtt.sample(milliseconds(100));
  EXPECT_EQ(rtt.backoffs(), 0u);
  // RTTVAR = 3/4 * 50 = 37.5 ms: RTO = 100 + 150 ms, not the backed-off 1.2 s.
  EXPECT_EQ(rtt.rto(), milliseconds(250));
}

TEST(TcpRtt, SynTimeoutRaisesTheRtoToThreeSecondsForData) {
  RttEstimator rtt;
  rtt.backoff();  // the SYN timed out (RTO 2 s), then the handshake completed
  rtt.restart_after_syn_timeout();
  EXPECT_EQ(rtt.rto(), seconds(3));  // RFC 6298 5.7
  EXPECT_EQ(rtt.backoffs(), 0u);
  rtt.sample(milliseconds(100));  // a measurement replaces it as usual
  EXPECT_EQ(rtt.rto(), milliseconds(300));

  RttEstimator slow;
  slow.sample(seconds(2));  // RTO 6 s already above 3 s: kept
  slow.restart_after_syn_timeout();
  EXPECT_EQ(slow.rto(), seconds(6));
}

}  // namespace
}  // namespace tundra::tcp
