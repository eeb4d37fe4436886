// Congestion control (stack/tcp/congestion, stack/tcp/newreno): the initial window, slow start,
// congestion avoidance, fast retransmit and NewReno fast recovery, timeouts and idle restart,
// driven by hand through a small model of the sender's SND.UNA and SND.NXT.
#include <gtest/gtest.h>

#include <limits>

#include "stack/tcp/congestion.hpp"
#include "stack/tcp/newreno.hpp"
#include "support/cc_flow.hpp"

namespace tundra::tcp {
namespace {

constexpr size_t kSmss = 1000;  // IW(1000) = 10 segments = 10000 bytes

// The sender as the connection would track it, and the events it would report.
struct Flow : test::FlowOf<NewReno> {
  Flow() : FlowOf(kSmss) {}
};

TEST(TcpCongestion, InitialWindowFollowsRfc6928) {
  EXPECT_EQ(initial_window(536), 5360u);    // ten segments
  EXPECT_EQ(initial_window(1460), 14600u);  // ten segments, exactly the byte limit
  EXPECT_EQ(initial_window(4000), 14600u);  // the byte limit: three and a bit segments
  EXPECT_EQ(initial_window(8960), 17920u);  // never fewer than two segments
}

TEST(TcpCongestion, FactoryKnowsNewReno) {
  const auto cc = make_congestion_control("newreno", 1460);
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->name(), "newreno");
  EXPECT_EQ(cc->cwnd(), 14600u);
  EXPECT_EQ(cc->ssthresh(), std::numeric_limits<size_t>::max());  // RFC 5681 3.1
  EXPECT_FALSE(cc->in_recovery());

  EXPECT_EQ(make_congestion_control("vegas", 1460), nullptr);
  EXPECT_EQ(make_congestion_control("", 1460), nullptr);
}

TEST(TcpCongestion, AckKindComesFromWhetherSndUnaMoved) {
  EXPECT_EQ(AckEvent{.bytes_acked = 0}.kind(), AckKind::Duplicate);
  EXPECT_EQ(AckEvent{.bytes_acked = 1}.kind(), AckKind::NewData);
}

TEST(TcpCongestion, SlowStartGrowsByWhatEachAckCovers) {
  Flow f;
  f.fill();
  EXPECT_EQ(f.flight(), 10'000u);

  AckResponse r = f.ack(1000);
  EXPECT_EQ(f.cc.cwnd(), 11'000u);
  EXPECT_FALSE(r.retransmit_first_unacked);
  EXPECT_FALSE(r.may_send_new);

  f.ack(500);  // RFC 5681 eq. 2 with RFC 3465 byte counting: what the ACK covers
  EXPECT_EQ(f.cc.cwnd(), 11'500u);
  f.ack(2000);  // a delayed ACK of two segments adds two
  EXPECT_EQ(f.cc.cwnd(), 13'500u);
  f.ack(3000);  // a stretch ACK (a coalescing receiver's) adds all three: no RFC 3465 L limit,
                // or slow start against such a receiver would not double per round trip
  EXPECT_EQ(f.cc.cwnd(), 16'500u);
}

TEST(TcpCongestion, SlowStartAfterATimeoutGrowsByOneSmssPerAck) {
  Flow f;
  f.send(40'000);
  f.timeout();  // ssthresh = 20000, cwnd = 1000
  f.una = f.nxt;
  f.send(1000);
  f.ack(1000);
  EXPECT_EQ(f.cc.cwnd(), 2'000u);
  f.send(2000);
  f.ack(2000);  // RFC 3465 2.3: L = 1*SMSS in the slow start that follows a timeout
  EXPECT_EQ(f.cc.cwnd(), 3'000u);
}

TEST(TcpCongestion, CongestionAvoidanceAddsOneSmssPerWindowAcknowledged) {
  Flow f;
  f.send(40'000);
  f.timeout();  // ssthresh = 20000, cwnd = 1000
  ASSERT_EQ(f.cc.ssthresh(), 20'000u);
  f.una = f.nxt;

  // Slow start up to ssthresh: 19 ACKs of one segment each.
  for (int i = 0; i < 19; ++i) {
    f.send(kSmss);
    f.ack(kSmss);
  }
  ASSERT_EQ(f.cc.cwnd(), 20'000u);

  // From there, a whole cwnd (20 segments) of ACKs buys one more segment.
  for (int i = 0; i < 19; ++i) {
    f.send(kSmss);
    f.ack(kSmss);
    ASSERT_EQ(f.cc.cwnd(), 20'000u) << "after ACK " << i;
  }
  f.send(kSmss);
  f.ack(kSmss);
  EXPECT_EQ(f.cc.cwnd(), 21'000u);

  // Delayed ACKs (two segments each) grow it at the same rate per byte: 21 segments, 11 ACKs.
  for (int i = 0; i < 10; ++i) {
    f.send(2 * kSmss);
    f.ack(2 * kSmss);
  }
  EXPECT_EQ(f.cc.cwnd(), 21'000u);
  f.send(2 * kSmss);
  f.ack(2 * kSmss);
  EXPECT_EQ(f.cc.cwnd(), 22'000u);
}

TEST(TcpCongestion, LimitedTransmitOnTheFirstTwoDuplicates) {
  Flow f;
  f.fill();  // flight 10000 = cwnd
  AckResponse r = f.dup();
  EXPECT_TRUE(r.may_send_new);
  EXPECT_FALSE(r.retransmit_first_unacked);
  f.send(kSmss);
  r = f.dup();
  EXPECT_TRUE(r.may_send_new);  // flight 12000 after it: cwnd + 2*SMSS
  f.send(kSmss);
  EXPECT_EQ(f.cc.cwnd(), 10'000u);  // RFC 5681 3.2 step 1: cwnd unchanged
  EXPECT_FALSE(f.cc.in_recovery());
}

TEST(TcpCongestion, LimitedTransmitStaysWithinCwndPlusTwoSegments) {
  Flow f;
  f.send(10'500);  // more than cwnd outstanding already
  EXPECT_TRUE(f.dup().may_send_new);
  f.send(kSmss);  // 11500: one more would pass cwnd + 2*SMSS
  EXPECT_FALSE(f.dup().may_send_new);
}

TEST(TcpCongestion, ThirdDuplicateStartsFastRetransmitAndRecovery) {
  Flow f;
  f.fill();
  f.dup();
  f.send(kSmss);
  f.dup();
  f.send(kSmss);
  const AckResponse r = f.dup();
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_FALSE(r.may_send_new);
  EXPECT_TRUE(f.cc.in_recovery());
  // RFC 5681 3.2 step 2: half of the FlightSize before limited transmit (10000, not 12000).
  EXPECT_EQ(f.cc.ssthresh(), 5000u);
  EXPECT_EQ(f.cc.cwnd(), 8000u);  // step 3: ssthresh + 3*SMSS
}

TEST(TcpCongestion, SsthreshAfterFastRetransmitIsAtLeastTwoSegments) {
  Flow f;
  f.send(3000);
  f.dup();
  f.dup();
  EXPECT_TRUE(f.dup().retransmit_first_unacked);
  EXPECT_EQ(f.cc.ssthresh(), 2000u);
  EXPECT_EQ(f.cc.cwnd(), 5000u);
}

TEST(TcpCongestion, FurtherDuplicatesInflateTheWindowAndReleaseNewData) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();  // no limited transmit here: flight stays 10000
  ASSERT_EQ(f.cc.cwnd(), 8000u);

  // Steps 4 and 5: one SMSS per duplicate; new data once cwnd covers flight plus a segment.
  AckResponse r = f.dup();
  EXPECT_EQ(f.cc.cwnd(), 9000u);
  EXPECT_FALSE(r.may_send_new);
  EXPECT_FALSE(r.retransmit_first_unacked);
  f.dup();
  r = f.dup();
  EXPECT_EQ(f.cc.cwnd(), 11'000u);
  EXPECT_TRUE(r.may_send_new);
  EXPECT_FALSE(r.retransmit_first_unacked);
  f.send(kSmss);
  EXPECT_TRUE(f.dup().may_send_new);
  f.send(kSmss);
  EXPECT_EQ(f.cc.cwnd(), 12'000u);
  EXPECT_TRUE(f.cc.in_recovery());
}

TEST(TcpCongestion, InflationIsLimitedToTheSegmentsOutstanding) {
  Flow f;
  f.fill();  // ten segments outstanding
  for (int i = 0; i < 3; ++i)
    f.dup();  // cwnd 8000: three segments counted
  for (int i = 0; i < 50; ++i)
    f.dup();
  EXPECT_EQ(f.cc.cwnd(), 15'000u);  // seven more, then no further growth
}

TEST(TcpCongestion, NoSecondFastRetransmitInsideRecovery) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_EQ(f.cc.ssthresh(), 5000u);

  ASSERT_TRUE(f.ack(2000).retransmit_first_unacked);  // partial ACK
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_EQ(f.cc.ssthresh(), 5000u);
}

TEST(TcpCongestion, PartialAckRetransmitsAndDeflates) {
  Flow f;
  f.fill();
  f.dup();
  f.send(kSmss);
  f.dup();
  f.send(kSmss);
  f.dup();  // cwnd 8000, flight 12000, recover = SND.NXT - 1
  ASSERT_TRUE(f.cc.in_recovery());

  // RFC 6582 3.2 step 3: deflate by the 3000 acknowledged, add back one SMSS.
  AckResponse r = f.ack(3000);
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 6000u);
  EXPECT_FALSE(r.may_send_new);  // 9000 still outstanding

  // Less than one SMSS acknowledged: no add-back.
  r = f.ack(500);
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_EQ(f.cc.cwnd(), 5500u);

  // A partial ACK that leaves room in the deflated window lets new data go.
  r = f.ack(5000);  // cwnd 5500 - 5000 + 1000 = 1500, flight 3500: no
  EXPECT_EQ(f.cc.cwnd(), 1500u);
  EXPECT_FALSE(r.may_send_new);
  EXPECT_EQ(f.cc.ssthresh(), 5000u);
}

TEST(TcpCongestion, PartialAckDeflationLeavesAtLeastOneSegment) {
  Flow f;
  f.send(20'000);
  for (int i = 0; i < 3; ++i)
    f.dup();      // ssthresh 10000, cwnd 13000
  f.ack(15'500);  // 13000 - 15500 -> 0, + 1000
  EXPECT_EQ(f.cc.cwnd(), 1000u);
  f.ack(500);  // 1000 - 500, no add-back: held at one segment
  EXPECT_EQ(f.cc.cwnd(), 1000u);
  EXPECT_TRUE(f.cc.in_recovery());
}

TEST(TcpCongestion, FullAckEndsRecoveryWithTheDeflatedWindow) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();
  const AckResponse r = f.ack_all();
  EXPECT_FALSE(r.retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  // RFC 6582 3.2 step 3 option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS), nothing left.
  EXPECT_EQ(f.cc.cwnd(), 2000u);
  EXPECT_EQ(f.cc.ssthresh(), 5000u);
}

TEST(TcpCongestion, FullAckWithNewDataOutstandingDeflatesToSsthresh) {
  Flow f;
  f.fill();
  for (int i = 0; i < 6; ++i)
    f.dup();          // cwnd 11000 > flight 10000 + 1000
  f.send(2 * kSmss);  // sent during recovery, beyond recover
  f.ack(10'000);      // exactly everything up to recover: a full ACK
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 3000u);  // min(5000, 2000 + 1000)

  Flow g;
  g.fill();
  for (int i = 0; i < 10; ++i)
    g.dup();  // cwnd 15000
  for (int i = 0; i < 5; ++i)
    g.send(kSmss);
  g.ack(10'000);                  // full ACK leaving 5000 outstanding
  EXPECT_EQ(g.cc.cwnd(), 5000u);  // min(5000, 6000)
  EXPECT_FALSE(g.cc.in_recovery());

  // Then congestion avoidance, since cwnd == ssthresh.
  g.ack(5000);
  EXPECT_EQ(g.cc.cwnd(), 6000u);
  g.send(6000);
  g.ack(5000);
  EXPECT_EQ(g.cc.cwnd(), 6000u);
}

TEST(TcpCongestion, DuplicatesNotBeyondRecoverDoNotStartAnotherFastRetransmit) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();
  f.ack_all();  // ack == recover + 1: covers recover but nothing more
  ASSERT_FALSE(f.cc.in_recovery());
  f.send(4 * kSmss);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), 5000u);

  // Once an ACK covers more than recover, a new loss is a new congestion event.
  f.ack(kSmss);
  f.fill();
  f.dup();
  f.dup();
  EXPECT_TRUE(f.dup().retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
}

TEST(TcpCongestion, NonDuplicateAckResetsTheDuplicateCount) {
  Flow f;
  f.fill();
  f.dup();
  f.dup();
  f.ack(kSmss);
  f.dup();
  f.dup();
  EXPECT_EQ(f.cc.duplicate_acks(), 2u);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_TRUE(f.dup().retransmit_first_unacked);
}

TEST(TcpCongestion, RetransmissionTimeoutCollapsesToTheLossWindow) {
  Flow f;
  f.send(20'000);
  f.timeout();
  EXPECT_EQ(f.cc.cwnd(), 1000u);        // RFC 5681 3.1: LW = 1 SMSS
  EXPECT_EQ(f.cc.ssthresh(), 10'000u);  // eq. 4

  Flow small;
  small.send(3000);
  small.timeout();
  EXPECT_EQ(small.cc.ssthresh(), 2000u);
  EXPECT_EQ(small.cc.cwnd(), 1000u);
}

TEST(TcpCongestion, RepeatedTimeoutOfTheSameSegmentHoldsSsthresh) {
  Flow f;
  f.send(20'000);
  f.timeout();
  f.nxt = f.una + kSmss;                // go-back-N: only the first segment is out again
  f.timeout();                          // and it is lost again, nothing acknowledged in between
  EXPECT_EQ(f.cc.ssthresh(), 10'000u);  // not max(1000 / 2, 2000)
  EXPECT_EQ(f.cc.cwnd(), 1000u);

  f.ack(kSmss);  // the retransmission got through; the next loss counts again
  f.send(7 * kSmss);
  f.timeout();
  EXPECT_EQ(f.cc.ssthresh(), 3500u);
}

TEST(TcpCongestion, TimeoutLeavesRecoveryAndItsDuplicatesDoNotFastRetransmit) {
  Flow f;
  f.fill();
  for (int i = 0; i < 3; ++i)
    f.dup();
  ASSERT_TRUE(f.cc.in_recovery());
  f.timeout();  // the retransmission was lost too
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), 1000u);
  EXPECT_EQ(f.cc.ssthresh(), 5000u);  // eq. 4 again on the 10000 outstanding

  // Go-back-N resends segments the receiver already has; its duplicates (ack <= recover, RFC
  // 6582 4) must not halve ssthresh again.
  f.ack(kSmss);
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(f.dup().retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), 5000u);
}

TEST(TcpCongestion, IdleRestartFallsBackToTheRestartWindow) {
  Flow f;
  for (int i = 0; i < 20; ++i) {
    f.send(kSmss);
    f.ack(kSmss);
  }
  ASSERT_EQ(f.cc.cwnd(), 30'000u);
  f.cc.on_idle_restart(std::chrono::milliseconds(500), std::chrono::seconds(1));
  EXPECT_EQ(f.cc.cwnd(), 30'000u);  // not idle for an RTO
  f.cc.on_idle_restart(std::chrono::seconds(1), std::chrono::seconds(1));
  EXPECT_EQ(f.cc.cwnd(), 30'000u);  // "more than" one RTO
  f.cc.on_idle_restart(std::chrono::seconds(2), std::chrono::seconds(1));
  EXPECT_EQ(f.cc.cwnd(), 10'000u);  // RW = min(IW, cwnd)

  Flow g;
  g.send(20'000);
  g.timeout();
  g.cc.on_idle_restart(std::chrono::seconds(5), std::chrono::seconds(1));
  EXPECT_EQ(g.cc.cwnd(), 1000u);  // already below IW
}

TEST(TcpCongestion, SmssFromTheHandshakeResetsTheInitialWindow) {
  NewReno cc(536);
  EXPECT_EQ(cc.cwnd(), 5360u);
  cc.set_smss(8960);
  EXPECT_EQ(cc.smss(), 8960u);
  EXPECT_EQ(cc.cwnd(), 17'920u);
}

TEST(TcpCongestion, SmallerSmssLaterKeepsTheSegmentCount) {
  Flow f;
  f.send(kSmss);
  f.ack(kSmss);  // cwnd 11000: eleven segments
  f.cc.set_smss(500);
  EXPECT_EQ(f.cc.cwnd(), 5500u);  // RFC 5681 3.1: still eleven segments
  f.cc.set_smss(1400);
  EXPECT_EQ(f.cc.cwnd(), 5500u);  // a larger MSS does not grow it
  EXPECT_EQ(f.cc.smss(), 1400u);
}

TEST(TcpCongestion, WithRackALossReducesFromCwndWhenFlightSizeIsLarger) {
  // After a SACK recovery SND.UNA may lag far behind: FlightSize (30 segments here) counts what
  // was SACKed while new data went out under a 10-segment cwnd. RACK then finds a loss on an ACK
  // of new data: ssthresh is half of cwnd, not of FlightSize, and cwnd = ssthresh (no duplicates
  // to inflate it by, RFC 6675 5).
  Flow f;
  f.fill();
  f.send(20 * kSmss);  // beyond cwnd, as sending during a recovery leaves it
  ASSERT_EQ(f.flight(), 30'000u);
  ASSERT_EQ(f.cc.cwnd(), 10'000u);
  const AckEvent e = f.rack_loss(1000);
  f.una += 1000u;
  const AckResponse r = f.cc.on_ack(e);
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), 5'000u);
  EXPECT_EQ(f.cc.cwnd(), 5'000u);
}

TEST(TcpCongestion, WithRackDuplicatesAloneDoNotStartRecovery) {
  // RFC 8985: with SACK information only RACK's finding starts a recovery, however many
  // duplicates come; its finding does on the first.
  Flow f;
  f.fill();
  auto dup = [&](bool lost) {
    return f.cc.on_ack(AckEvent{.ack = f.una,
                                .flight_before = f.flight(),
                                .snd_nxt = f.nxt,
                                .now = f.now,
                                .sack_lost = lost,
                                .rack = true,
                                .sack = true});
  };
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(dup(false).retransmit_first_unacked) << i;
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_TRUE(dup(true).retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), f.cc.ssthresh());  // no inflation with SACK
}

TEST(TcpCongestion, ALossRacksTimerFindsStartsRecoveryOnceNotInsideOne) {
  // RFC 8985 6.2's reordering timer: no ACK came, so nothing was delivered and no duplicate is
  // counted. Outside recovery the loss starts one as on an ACK (half of FlightSize, cwnd =
  // ssthresh); inside one, or within the window a recovery answered, it changes nothing.
  Flow f;
  f.fill();
  const AckEvent e = f.rack_loss(0);
  AckResponse r = f.cc.on_loss_detected(e);
  EXPECT_TRUE(r.retransmit_first_unacked);
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.ssthresh(), 5'000u);
  EXPECT_EQ(f.cc.cwnd(), 5'000u);
  EXPECT_EQ(f.cc.duplicate_acks(), 0u);
  r = f.cc.on_loss_detected(e);
  EXPECT_FALSE(r.retransmit_first_unacked);
  EXPECT_EQ(f.cc.ssthresh(), 5'000u);  // no second reduction
  // After a timeout, a loss in what went before it is no new congestion event (RFC 6582 3.2
  // step 4's recover).
  f.timeout();
  ASSERT_FALSE(f.cc.in_recovery());
  EXPECT_FALSE(f.cc.on_loss_detected(e).retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
  EXPECT_EQ(f.cc.cwnd(), kSmss);
}

TEST(TcpCongestion, ASpuriousTimeoutGivesTheCongestionStateBack) {
  // RFC 4015 3: ssthresh returns to max(FlightSize, ssthresh) of before the timeout, cwnd to
  // FlightSize + min(acked, IW); once only.
  Flow f;
  f.fill();
  f.timeout();  // ssthresh 5 segments
  f.ack_all();
  for (int i = 0; i < 100 && f.cc.cwnd() < 8 * kSmss; ++i) {
    f.fill();
    f.ack_all();
  }
  f.fill();
  ASSERT_EQ(f.flight(), 8 * kSmss);
  ASSERT_EQ(f.cc.ssthresh(), 5 * kSmss);
  f.timeout();
  ASSERT_EQ(f.cc.cwnd(), kSmss);
  ASSERT_EQ(f.cc.ssthresh(), 4 * kSmss);
  f.ack(4 * kSmss);  // the first ACK after the timeout, echoing the original
  f.cc.on_spurious_timeout(f.flight(), 4 * kSmss);
  EXPECT_EQ(f.cc.ssthresh(), 8 * kSmss);
  EXPECT_EQ(f.cc.cwnd(), 8 * kSmss);  // 4 in flight + 4 acknowledged
  f.cc.on_spurious_timeout(f.flight(), 4 * kSmss);
  EXPECT_EQ(f.cc.ssthresh(), 8 * kSmss) << "undone twice";
  EXPECT_EQ(f.cc.cwnd(), 8 * kSmss);
}

TEST(TcpCongestion, ASpuriousRecoveryGivesTheWindowBackOnceAfterItEnds) {
  // RFC 3708 detection, RFC 4015-style response: cwnd and ssthresh of before the recovery,
  // however it started (RACK on an ACK, or its timer), and only once it is over.
  Flow f;
  f.fill();
  const size_t cwnd = f.cc.cwnd(), ssthresh = f.cc.ssthresh();
  ASSERT_TRUE(f.cc.on_loss_detected(f.rack_loss(0)).retransmit_first_unacked);
  ASSERT_LT(f.cc.cwnd(), cwnd);
  f.cc.on_spurious_recovery();
  EXPECT_LT(f.cc.cwnd(), cwnd) << "undone during the recovery";
  f.ack_all();
  ASSERT_FALSE(f.cc.in_recovery());
  f.cc.on_spurious_recovery();
  EXPECT_EQ(f.cc.cwnd(), cwnd);
  EXPECT_EQ(f.cc.ssthresh(), ssthresh);
  // The next loss is a congestion event as usual.
  f.fill();
  EXPECT_TRUE(f.cc.on_loss_detected(f.rack_loss(0)).retransmit_first_unacked);
  f.ack_all();
  const size_t reduced = f.cc.cwnd();
  // A timeout after a recovery leaves nothing to undo.
  f.fill();
  f.timeout();
  f.ack_all();
  f.cc.on_spurious_recovery();
  EXPECT_LE(f.cc.cwnd(), reduced);
}

TEST(TcpCongestion, RecoveryWorksAcrossSequenceWrap) {
  Flow f;
  f.una = f.nxt = Seq(0xffff'f000u);
  f.fill();  // SND.NXT wraps past zero
  ASSERT_LT(f.nxt.value(), f.una.value());
  for (int i = 0; i < 3; ++i)
    f.dup();
  ASSERT_TRUE(f.cc.in_recovery());
  EXPECT_TRUE(f.ack(3000).retransmit_first_unacked);  // partial, still before the wrap
  EXPECT_TRUE(f.ack(3000).retransmit_first_unacked);  // partial, across it
  EXPECT_TRUE(f.cc.in_recovery());
  EXPECT_FALSE(f.ack_all().retransmit_first_unacked);
  EXPECT_FALSE(f.cc.in_recovery());
}

}  // namespace
}  // namespace tundra::tcp
