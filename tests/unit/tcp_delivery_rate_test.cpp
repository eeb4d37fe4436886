// DeliveryRate (stack/tcp/delivery_rate): samples over the longer of the send and ACK intervals,
// samples from SACKed data, app-limited marking, and per-segment state given back
// (draft-cheng-iccrg-delivery-rate-estimation).
#include <gtest/gtest.h>

#include "stack/tcp/delivery_rate.hpp"

namespace tundra::tcp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr size_t kMss = 1000;

Instant at_ms(double ms) {
  return Instant::from_micros(1'000'000 + static_cast<int64_t>(ms * 1000));
}

TEST(DeliveryRate, TheFirstFlightIsSampledFromItsFirstSending) {
  DeliveryRate d;
  const Seq base(5000);
  // Ten segments, one a millisecond, then their ACKs ten milliseconds after each.
  for (int i = 0; i < 10; ++i)
    d.on_send(base + static_cast<uint32_t>((i + 1) * kMss), i * kMss, at_ms(i));
  EXPECT_EQ(d.tracked(), 10u);
  auto rs = d.on_ack(kMss, base + kMss, std::nullopt, at_ms(10));
  ASSERT_TRUE(rs.has_value());
  EXPECT_EQ(rs->delivered, kMss);
  EXPECT_EQ(rs->interval, milliseconds(10));  // from the first sending (nothing delivered yet)
  EXPECT_EQ(rs->prior_delivered, 0u);
  for (int i = 1; i < 10; ++i)
    rs = d.on_ack(kMss, base + static_cast<uint32_t>((i + 1) * kMss), std::nullopt, at_ms(10 + i));
  ASSERT_TRUE(rs.has_value());
  // The last segment went at 9 ms with nothing delivered: 10 segments over 19 ms.
  EXPECT_EQ(rs->delivered, 10 * kMss);
  EXPECT_EQ(rs->interval, milliseconds(19));
  EXPECT_NEAR(rs->bytes_per_second(), 10.0 * kMss / 0.019, 1.0);
  EXPECT_EQ(d.delivered(), 10 * kMss);
  EXPECT_EQ(d.tracked(), 0u);  // all acknowledged: nothing kept
}

TEST(DeliveryRate, ACompressedAckBurstIsSampledOverTheSendingInterval) {
  DeliveryRate d;
  const Seq base(1);
  // Ten segments over 9 ms; the first is acknowledged at 10 ms, and one more segment goes then.
  for (int i = 0; i < 10; ++i)
    d.on_send(base + static_cast<uint32_t>((i + 1) * kMss), i * kMss, at_ms(i));
  ASSERT_TRUE(d.on_ack(kMss, base + kMss, std::nullopt, at_ms(10)).has_value());
  d.on_send(base + 11 * kMss, 9 * kMss, at_ms(10));
  // The other ten come back in one burst a tenth of a millisecond later.
  const auto rs = d.on_ack(10 * kMss, base + 11 * kMss, std::nullopt, at_ms(10.1));
  ASSERT_TRUE(rs.has_value());
  EXPECT_EQ(rs->delivered, 10 * kMss);
  EXPECT_EQ(rs->prior_delivered, kMss);
  // ACK elapsed is 0.1 ms, but the data took 10 ms to send (from the first segment's sending,
  // the one whose ACK started this interval): 10 segments over 10 ms, not over 0.1 ms.
  EXPECT_EQ(rs->interval, milliseconds(10));
}

TEST(DeliveryRate, SackedDataGivesASampleBeforeTheHoleIsRepaired) {
  DeliveryRate d;
  const Seq base(100);
  for (int i = 0; i < 4; ++i)
    d.on_send(base + static_cast<uint32_t>((i + 1) * kMss), i * kMss, at_ms(i));
  // The first segment is lost; the ACK for the others SACKs them.
  const auto rs = d.on_ack(3 * kMss, base, base + 4 * kMss, at_ms(13));
  ASSERT_TRUE(rs.has_value());
  EXPECT_EQ(rs->delivered, 3 * kMss);
  EXPECT_EQ(rs->interval, milliseconds(13));
  EXPECT_EQ(d.tracked(), 4u);  // nothing cumulatively acknowledged yet
  // An ACK that delivers nothing new gives no sample.
  EXPECT_FALSE(d.on_ack(0, base, base + 4 * kMss, at_ms(14)).has_value());
  // The repaired hole: everything is acknowledged and forgotten.
  ASSERT_TRUE(d.on_ack(kMss, base + 4 * kMss, std::nullopt, at_ms(20)).has_value());
  EXPECT_EQ(d.tracked(), 0u);
  EXPECT_EQ(d.delivered(), 4 * kMss);
}

TEST(DeliveryRate, SamplesOfDataSentWhileAppLimitedAreMarked) {
  DeliveryRate d;
  const Seq base(1);
  d.on_send(base + kMss, 0, at_ms(0));
  EXPECT_FALSE(d.on_ack(kMss, base + kMss, std::nullopt, at_ms(1))->app_limited);
  // The application ran dry with nothing in flight: what goes next is app-limited.
  d.mark_app_limited(0);
  EXPECT_TRUE(d.app_limited());
  d.on_send(base + 2 * kMss, 0, at_ms(5));
  d.on_send(base + 3 * kMss, kMss, at_ms(5));
  const auto rs = d.on_ack(kMss, base + 2 * kMss, std::nullopt, at_ms(6));
  ASSERT_TRUE(rs.has_value());
  EXPECT_TRUE(rs->app_limited);
  // Once more than was in flight at the mark has been delivered, the phase is over.
  EXPECT_FALSE(d.app_limited());
  d.on_send(base + 4 * kMss, kMss, at_ms(6));
  d.on_ack(kMss, base + 3 * kMss, std::nullopt, at_ms(7));
  const auto later = d.on_ack(kMss, base + 4 * kMss, std::nullopt, at_ms(7));
  ASSERT_TRUE(later.has_value());
  EXPECT_FALSE(later->app_limited);
}

}  // namespace
}  // namespace tundra::tcp
