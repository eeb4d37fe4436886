// Rack (stack/tcp/rack): RFC 8985 6.2's loss detection over per-segment send records — which
// segments a delivery shows lost and when, the reordering window, lost retransmissions, spurious
// samples, segments the device cut or a SACK block splits, and the records given back.
#include <gtest/gtest.h>

#include <array>
#include <utility>

#include "stack/tcp/rack.hpp"

namespace tundra::tcp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr uint32_t kMss = 1000;
const Seq kBase(7000);

Instant at_us(int64_t us) {
  return Instant::from_micros(1'000'000 + us);
}
Seq off(uint32_t segs) {
  return kBase + segs * kMss;
}
// SACK blocks as the connection passes them, for segments [b, e).
std::array<std::pair<Seq, Seq>, 1> sack(uint32_t b, uint32_t e) {
  return {std::pair{off(b), off(e)}};
}

// Segments 0..n-1 sent one every `gap_us` from time 0.
void send_flight(Rack& r, uint32_t n, int64_t gap_us) {
  for (uint32_t i = 0; i < n; ++i)
    r.on_send(off(i), off(i + 1), false, off(i + 1), at_us(i * gap_us));
}

TEST(Rack, ASegmentIsLostOnceOneSentAfterItIsDeliveredAndTheWindowHasPassed) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 10, 10);  // 0..9 at 0, 10, ..., 90 us
  EXPECT_EQ(r.tracked(), 10u);
  // Segment 3 (sent at 30 us) is SACKed at 130 us: RACK.rtt = 100 us.
  ASSERT_TRUE(r.on_ack(off(0), sack(3, 4), at_us(130), kMss));
  // Outside recovery with one SACKed segment the window is min_RTT / 4 = 25 us: segment 0 went
  // 30 us before segment 3, so it is lost; 1 and 2 (20 and 10 us before) may be reordered.
  const Duration w = r.reordering_window(false, milliseconds(1));
  EXPECT_EQ(w, microseconds(25));
  const Rack::Detection d = r.detect_loss(w, at_us(130));
  EXPECT_EQ(d.marked, 1u);
  // The reordering timer: when 1 and 2 would both be lost, 2's xmit + RACK.rtt + window.
  EXPECT_EQ(d.recheck, at_us(20 + 100 + 25));
  EXPECT_EQ(r.lost_bytes(), kMss);
  auto l = r.next_lost(off(0));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->begin, off(0));
  EXPECT_EQ(l->end, off(1));
  EXPECT_FALSE(l->retransmitted);
  // 10 us later segment 1's window has passed too; 2's has not; 4..9 went after segment 3.
  EXPECT_EQ(r.detect_loss(w, at_us(140)).marked, 1u);
  EXPECT_EQ(r.lost_bytes(), 2 * kMss);
  EXPECT_EQ(r.detect_loss(w, at_us(144)).recheck, at_us(145));
  const Rack::Detection last = r.detect_loss(microseconds(0), at_us(200));
  EXPECT_EQ(last.marked, 1u);  // with no window: segment 2
  EXPECT_FALSE(last.recheck.has_value()) << "nothing left to wait for";
  EXPECT_EQ(r.lost_bytes(), 3 * kMss);
  // Nothing sent after segment 3 was marked, however late.
  EXPECT_EQ(r.detect_loss(w, at_us(100'000)).marked, 0u);
}

TEST(Rack, TheReorderingWindowIsZeroInRecoveryOrWithDupThreshSackedUnlessReorderingWasSeen) {
  Rack r;
  r.on_rtt_sample(microseconds(80));
  send_flight(r, 10, 0);
  EXPECT_EQ(r.reordering_window(false, milliseconds(1)), microseconds(20));
  EXPECT_EQ(r.reordering_window(true, milliseconds(1)), microseconds(0));
  EXPECT_EQ(r.reordering_window(false, microseconds(10)), microseconds(10));  // at most SRTT
  r.on_ack(off(0), sack(5, 7), at_us(100), kMss);
  EXPECT_EQ(r.reordering_window(false, milliseconds(1)), microseconds(20));  // two SACKed
  r.on_ack(off(0), sack(7, 8), at_us(100), kMss);
  EXPECT_EQ(r.reordering_window(false, milliseconds(1)), microseconds(0));  // DupThresh
  EXPECT_FALSE(r.reordering_seen());
  // Segment 2, never resent, SACKed below segment 7: it came out of order.
  r.on_ack(off(0), sack(2, 3), at_us(110), kMss);
  EXPECT_TRUE(r.reordering_seen());
  EXPECT_EQ(r.reordering_window(true, milliseconds(1)), microseconds(20));
}

TEST(Rack, BlocksOfOneAckInAnyOrderAreNotReordering) {
  Rack r;
  r.on_rtt_sample(microseconds(80));
  send_flight(r, 10, 0);
  // RFC 2018 4: the first block is the newest, so one ACK lists 6..8 before 2..4.
  const std::array<std::pair<Seq, Seq>, 2> blocks{std::pair{off(6), off(8)},
                                                  std::pair{off(2), off(4)}};
  r.on_ack(off(0), blocks, at_us(100), kMss);
  EXPECT_FALSE(r.reordering_seen());
}

// RFC 8985 6.2 step 3 counts segments acknowledged cumulatively as well as selectively: a peer
// that got segment 2 before segment 1 SACKs 2, then ACKs both.
TEST(Rack, ASegmentCumulativelyAcknowledgedBelowOneSackedBeforeIsReordering) {
  Rack r;
  r.on_rtt_sample(microseconds(80));
  send_flight(r, 4, 0);
  r.on_ack(off(0), sack(2, 3), at_us(100), kMss);
  EXPECT_FALSE(r.reordering_seen());
  r.on_ack(off(3), {}, at_us(105), kMss);  // 0 and 1 arrive: both below RACK.fack
  EXPECT_TRUE(r.reordering_seen());
}

TEST(Rack, ARetransmittedSegmentCumulativelyAcknowledgedIsNotReordering) {
  Rack r;
  r.on_rtt_sample(microseconds(80));
  send_flight(r, 4, 0);
  r.on_ack(off(0), sack(1, 3), at_us(100), kMss);
  r.on_send(off(0), off(1), true, off(4), at_us(150));  // 0 was lost and went again
  r.on_ack(off(3), {}, at_us(250), kMss);
  EXPECT_FALSE(r.reordering_seen());
  // Nor is an ACK of what went in order, without any SACK before.
  Rack q;
  q.on_rtt_sample(microseconds(80));
  send_flight(q, 4, 0);
  q.on_ack(off(2), {}, at_us(100), kMss);
  q.on_ack(off(4), {}, at_us(110), kMss);
  EXPECT_FALSE(q.reordering_seen());
}

// RFC 8985 6.2 step 4: RACK_update_reo_wnd().
TEST(Rack, ADsackGrowsTheReorderingWindowOnceARoundUntilSixteenRecoveriesPassWithoutOne) {
  Rack r;
  r.on_rtt_sample(microseconds(80));
  send_flight(r, 10, 0);
  const auto window = [&] { return r.reordering_window(false, milliseconds(1)); };
  EXPECT_EQ(window(), microseconds(20));
  EXPECT_FALSE(r.update_reo_wnd(false, off(0), off(10)));
  EXPECT_TRUE(r.update_reo_wnd(true, off(0), off(10)));  // the round lasts until SND.UNA >= 10
  EXPECT_EQ(r.reo_wnd_mult(), 2u);
  EXPECT_EQ(window(), microseconds(40));
  EXPECT_FALSE(r.update_reo_wnd(true, off(5), off(10))) << "the same round";
  EXPECT_EQ(window(), microseconds(40));
  EXPECT_TRUE(r.update_reo_wnd(true, off(10), off(20)));
  EXPECT_EQ(window(), microseconds(60));
  EXPECT_EQ(r.reordering_window(false, microseconds(50)), microseconds(50)) << "at most SRTT";
  // The recovery that ends on the ACK that grew the window does not count (the RFC's else).
  r.on_recovery_end();
  for (int i = 0; i < 15; ++i) {
    EXPECT_FALSE(r.update_reo_wnd(false, off(20), off(20)));
    r.on_recovery_end();
  }
  EXPECT_EQ(window(), microseconds(60)) << "15 recoveries without a D-SACK";
  EXPECT_FALSE(r.update_reo_wnd(false, off(20), off(20)));
  r.on_recovery_end();
  EXPECT_EQ(r.reo_wnd_mult(), 1u);
  EXPECT_EQ(window(), microseconds(20));
}

TEST(Rack, ALostRetransmissionIsFoundWhenSomethingSentAfterItIsDelivered) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 10, 0);  // all at 0
  r.on_ack(off(0), sack(1, 10), at_us(100), kMss);
  ASSERT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 1u);
  // Segment 0 is resent at 100 us, then new segments 10 and 11 go at 110 us.
  r.on_send(off(0), off(1), true, off(10), at_us(100));
  EXPECT_EQ(r.lost_bytes(), 0u);
  EXPECT_FALSE(r.next_lost(off(0)).has_value());
  r.on_send(off(10), off(11), false, off(11), at_us(110));
  r.on_send(off(11), off(12), false, off(12), at_us(110));
  // An ACK that delivers only what went before the resend says nothing of it.
  r.on_ack(off(0), sack(1, 10), at_us(205), kMss);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(205)).marked, 0u);
  // Segment 10 is SACKed 100 us after it went: the resend, 10 us older, is lost too.
  r.on_ack(off(0), sack(1, 11), at_us(210), kMss);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(210)).marked, 1u);
  const auto l = r.next_lost(off(0));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->begin, off(0));
  EXPECT_TRUE(l->retransmitted);
}

TEST(Rack, ARetransmissionSentAtTheSameInstantAsLaterNewDataIsOrderedBySending) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 4, 0);
  r.on_ack(off(0), sack(1, 4), at_us(100), kMss);
  ASSERT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 1u);
  // At one clock reading: the resend of 0, then new segment 4. Segment 3 (sent long before) is
  // SACKed again, and segment 4 is not yet: the resend is not lost.
  r.on_send(off(0), off(1), true, off(4), at_us(100));
  r.on_send(off(4), off(5), false, off(5), at_us(100));
  r.on_ack(off(0), sack(1, 4), at_us(100), kMss);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 0u);
  EXPECT_EQ(r.lost_bytes(), 0u);
}

TEST(Rack, AnAckSoonerThanTheMinimumRttDoesNotDateARetransmission) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 4, 0);
  r.on_ack(off(0), sack(2, 4), at_us(100), kMss);
  ASSERT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 2u);  // 0 and 1
  // Segment 1 is resent at 100 us and SACKed 10 us later: the first sending arrived, late; that
  // SACK does not make the resend's time RACK's, which would call segment 0's resend lost.
  r.on_send(off(1), off(2), true, off(4), at_us(100));
  r.on_send(off(0), off(1), true, off(4), at_us(101));
  r.on_ack(off(0), sack(1, 4), at_us(110), kMss);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(110)).marked, 0u);
  // The cumulative ACK of segment 0's resend 100 us after it went: a genuine sample.
  r.on_ack(off(1), {}, at_us(201), kMss);
  EXPECT_EQ(r.tracked(), 3u);
}

TEST(Rack, ARecordIsSplitWhereASackBlockOrARetransmissionCutsIt) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  // One 8-segment send (TSO), then one more segment.
  r.on_send(off(0), off(8), false, off(8), at_us(0));
  r.on_send(off(8), off(9), false, off(9), at_us(10));
  EXPECT_EQ(r.tracked(), 2u);
  // The device cut it; segments 3..5 and 8 are SACKed.
  const std::array<std::pair<Seq, Seq>, 2> blocks{std::pair{off(8), off(9)},
                                                  std::pair{off(3), off(6)}};
  r.on_ack(off(0), blocks, at_us(110), kMss);
  EXPECT_EQ(r.tracked(), 4u);  // [0,3) [3,6) [6,8) [8,9)
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(110)).marked, 2u);
  EXPECT_EQ(r.lost_bytes(), 5 * kMss);
  // One segment of the lost [0, 3) is resent: it stops counting as lost.
  r.on_send(off(0), off(1), true, off(9), at_us(120));
  EXPECT_EQ(r.lost_bytes(), 4 * kMss);
  const auto l = r.next_lost(off(0));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->begin, off(1));
  EXPECT_EQ(l->end, off(3));
  // A cumulative ACK into the middle of a lost record takes its lower part.
  r.on_ack(off(2), {}, at_us(200), kMss);
  EXPECT_EQ(r.lost_bytes(), 3 * kMss);  // [2,3) and [6,8)
  EXPECT_EQ(r.next_lost(off(0))->begin, off(2));
}

TEST(Rack, ATimeoutForgetsWhatWasSackedOrLostAndAllAckedGivesTheRecordsBack) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 10, 0);
  r.on_ack(off(0), sack(5, 10), at_us(100), kMss);
  ASSERT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 5u);
  EXPECT_GT(r.allocated_bytes(), 0u);
  r.on_timeout();
  EXPECT_EQ(r.lost_bytes(), 0u);
  EXPECT_FALSE(r.next_lost(off(0)).has_value());
  EXPECT_EQ(r.reordering_window(false, milliseconds(1)), microseconds(25));  // nothing SACKed
  r.on_ack(off(10), {}, at_us(300), kMss);
  EXPECT_EQ(r.tracked(), 0u);
  EXPECT_EQ(r.allocated_bytes(), 0u);
}

TEST(Rack, BlocksOutsideWhatWasSentAreIgnored) {
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 3, 0);
  EXPECT_FALSE(r.on_ack(off(0), sack(5, 9), at_us(100), kMss));  // above SND.MAX
  const std::array<std::pair<Seq, Seq>, 1> backwards{std::pair{off(2), off(1)}};
  EXPECT_FALSE(r.on_ack(off(0), backwards, at_us(100), kMss));
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(100)).marked, 0u);
  EXPECT_EQ(r.tracked(), 3u);
}

TEST(Rack, BlockEdgesOffTheSegmentGridNeitherSplitNorSack) {
  // A peer's blocks that end inside our segments (no receiver of our segments sends them; a
  // hostile one might, a byte at a time) do not split records: the records stay one per
  // segment sent, and a segment covered only in part is not SACKed.
  Rack r;
  r.on_rtt_sample(microseconds(100));
  send_flight(r, 10, 0);
  for (uint32_t i = 0; i < 1000; ++i) {
    const Seq b = off(1) + (i * 7) % (9 * kMss);
    const std::array<std::pair<Seq, Seq>, 1> odd{std::pair{b, b + 1u}};
    r.on_ack(off(0), odd, at_us(100), kMss);
  }
  EXPECT_EQ(r.tracked(), 10u);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(200)).marked, 0u);  // nothing SACKed, nothing lost
  // A block from the middle of segment 2 to the end of segment 4 SACKs 3 and 4 only.
  const std::array<std::pair<Seq, Seq>, 1> part{std::pair{off(2) + 500u, off(5)}};
  r.on_ack(off(0), part, at_us(210), kMss);
  EXPECT_EQ(r.tracked(), 10u);
  EXPECT_EQ(r.detect_loss(microseconds(0), at_us(210)).marked,
            3u);  // 0, 1 and 2, sent before 3 and 4
  EXPECT_EQ(r.lost_bytes(), 3 * kMss);
}

TEST(Rack, ManyRoundsOfLossKeepTheRecordsAndTheLostCountConsistent) {
  // A long run with a loss in every flight: lost_bytes() always equals what next_lost() walks,
  // and all records go once all is acknowledged.
  Rack r;
  r.on_rtt_sample(microseconds(100));
  uint32_t sent = 0;
  int64_t t = 0;
  uint32_t una = 0;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 20; ++i, ++sent)
      r.on_send(off(sent), off(sent + 1), false, off(sent + 1), at_us(t));
    t += 100;
    // Everything but the first of this round's segments arrives.
    r.on_ack(off(una), sack(una + 1, sent), at_us(t), kMss);
    r.detect_loss(microseconds(0), at_us(t)).marked;
    size_t walked = 0;
    for (auto l = r.next_lost(off(una)); l; l = r.next_lost(l->end))
      walked += distance(l->begin, l->end);
    ASSERT_EQ(walked, r.lost_bytes()) << "round " << round;
    ASSERT_EQ(r.lost_bytes(), kMss);
    r.on_send(off(una), off(una + 1), true, off(sent), at_us(t));
    t += 100;
    una = sent;
    r.on_ack(off(una), {}, at_us(t), kMss);
    ASSERT_EQ(r.lost_bytes(), 0u);
  }
  EXPECT_EQ(r.tracked(), 0u);
  EXPECT_EQ(r.allocated_bytes(), 0u);
}

}  // namespace
}  // namespace tundra::tcp
