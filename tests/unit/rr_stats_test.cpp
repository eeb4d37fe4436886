// Tests of tundra-rr's latency statistics: percentiles by linear interpolation between ranks (the
// numbers numpy.percentile and statistics.median give), for odd, even, single and unsorted input.
#include <gtest/gtest.h>

#include <vector>

#include "apps/rr/stats.hpp"

namespace tundra::rr {
namespace {

TEST(RrStats, NoSamples) {
  EXPECT_FALSE(latency_stats({}).has_value());
}

TEST(RrStats, OneSample) {
  const auto s = latency_stats({4.5});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count, 1u);
  EXPECT_DOUBLE_EQ(s->min, 4.5);
  EXPECT_DOUBLE_EQ(s->median, 4.5);
  EXPECT_DOUBLE_EQ(s->p90, 4.5);
  EXPECT_DOUBLE_EQ(s->max, 4.5);
  EXPECT_DOUBLE_EQ(s->mean, 4.5);
}

TEST(RrStats, OddCountMedianIsTheMiddle) {
  const auto s = latency_stats({5, 1, 3});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->median, 3);
  EXPECT_DOUBLE_EQ(s->max, 5);
  EXPECT_DOUBLE_EQ(s->mean, 3);
  EXPECT_DOUBLE_EQ(s->p90, 4.6);  // rank 1.8: 3 + 0.8 * (5 - 3)
}

TEST(RrStats, EvenCountMedianIsTheMeanOfTheMiddleTwo) {
  const auto s = latency_stats({4, 1, 3, 2});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->median, 2.5);
  EXPECT_DOUBLE_EQ(s->p90, 3.7);  // rank 2.7
}

TEST(RrStats, TenSamples) {
  // numpy.percentile(range(1, 11), [50, 90]) == [5.5, 9.1]
  const auto s = latency_stats({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->median, 5.5);
  EXPECT_DOUBLE_EQ(s->p90, 9.1);
  EXPECT_DOUBLE_EQ(s->mean, 5.5);
}

TEST(RrStats, NagleShapedRun) {
  // The first request is quick, the other 19 wait for a delayed ACK: the median shows the stall
  // and the minimum does not.
  std::vector<double> v(20, 40.0);
  v[0] = 0.3;
  v[7] = 41.3;
  const auto s = latency_stats(v);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->min, 0.3);
  EXPECT_DOUBLE_EQ(s->median, 40.0);
  EXPECT_DOUBLE_EQ(s->p90, 40.0);
  EXPECT_DOUBLE_EQ(s->max, 41.3);
}

TEST(RrStats, PercentileEnds) {
  const std::vector<double> sorted{1, 2, 3};
  EXPECT_DOUBLE_EQ(percentile(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(sorted, 100), 3);
  EXPECT_DOUBLE_EQ(percentile(sorted, 25), 1.5);
}

}  // namespace
}  // namespace tundra::rr
