// Ring 2 for TCP: one Connection driven by hand with fixed segments on a simulated clock; every
// reply checked. Each test names the RFC rule it holds the connection to.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "stack/tcp/connection.hpp"
#include "stack/tcp/table.hpp"
#include "support/packets.hpp"

namespace tundra::tcp {
namespace {

using test::Bytes;
using test::pattern;
using wire::tcp::Flag;
using wire::tcp::Flags;
using wire::tcp::Repr;

const FourTuple kTuple{wire::ipv4::Address(10, 0, 0, 2), 80, wire::ipv4::Address(10, 0, 0, 1),
                       40000};

struct Sent {
  Repr h;
  Bytes payload;
};

class Recorder final : public SegmentSink {
 public:
  void send(const FourTuple&, OutSegment s, Instant) override {
    s.header.payload_len = s.payload.size();
    sent.push_back(Sent{s.header, Bytes(s.payload.bytes().begin(), s.payload.bytes().end())});
  }
  std::vector<Sent> take() { return std::exchange(sent, {}); }
  std::vector<Sent> sent;
};

Flags flags(std::initializer_list<Flag> fs) {
  Flags f;
  for (Flag x : fs)
    f.set(x);
  return f;
}

constexpr uint32_t kIss = 1000, kIrs = 5000;

// Segment numbers (of 1460 bytes from ISS + 1) of the data segments in `v`.
std::vector<uint32_t> data_segments(const std::vector<Sent>& v) {
  std::vector<uint32_t> segs;
  for (const auto& x : v)
    if (!x.payload.empty()) segs.push_back((x.h.seq - kIss - 1) / 1460);
  return segs;
}
bool contains(const std::vector<uint32_t>& v, uint32_t s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class ConnFixture : public ::testing::Test {
 protected:
  ConnFixture() { config.timestamps = false; }

  // A segment from the peer, as the peer's numbering goes: seq from kIrs+1, ack from kIss+1.
  Repr seg(Flags f, uint32_t seq_off = 1, uint32_t ack_off = 1, uint16_t window = 65535) {
    Repr r{};
    r.src_port = kTuple.remote_port;
    r.dst_port = kTuple.local_port;
    r.seq = kIrs + seq_off;
    r.ack = kIss + ack_off;
    r.flags = f;
    r.window = window;
    return r;
  }

  std::vector<Sent> input(const Repr& r, const Bytes& payload = {}) {
    conn->input(r, payload, clock.now(), out);
    return out.take();
  }
  std::vector<Sent> timers() {
    conn->on_timer(clock.now(), out);
    return out.take();
  }
  std::vector<Sent> advance_to_deadline() {
    EXPECT_TRUE(conn->poll_at().has_value());
    if (conn->poll_at()) clock.set(*conn->poll_at());
    return timers();
  }
  std::vector<Sent> flush() {
    conn->output(clock.now(), out);
    return out.take();
  }

  // Puts the connection in ESTABLISHED through an active open (no options but MSS 1460).
  void established(uint16_t peer_window = 65535) {
    conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
    conn->open(clock.now(), out);
    out.take();
    Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1, peer_window);
    synack.options.mss = 1460;
    auto r = input(synack);
    ASSERT_EQ(conn->state(), State::Established);
    ASSERT_EQ(r.size(), 1u);  // the handshake's ACK
  }

  // The same, with SACK permitted by the peer (RFC 2018).
  void established_with_sack() {
    conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
    conn->open(clock.now(), out);
    out.take();
    Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
    synack.options.mss = 1460;
    synack.options.sack_permitted = true;
    input(synack);
    ASSERT_EQ(conn->state(), State::Established);
    ASSERT_TRUE(conn->sack_enabled());
  }
  void send_app(const Bytes& b) { ASSERT_EQ(conn->send(b), b.size()); }
  // With SACK: segment 0 goes, and 1 us later segments 1..9.
  void one_then_nine() {
    established_with_sack();
    send_app(pattern(1460));
    ASSERT_EQ(data_segments(flush()).size(), 1u);
    clock.advance(std::chrono::microseconds(1));
    send_app(pattern(1460 * 9));
    ASSERT_EQ(data_segments(flush()).size(), 9u);
  }
  // The peer's ACK of nothing new that SACKs segment 1.
  Repr sack_of_segment_1() {
    Repr d = seg(flags({Flag::Ack}), 1, 1);
    d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 2 * 1460});
    return d;
  }

  TcpConfig config;
  SimClock clock;
  Recorder out;
  std::unique_ptr<Connection> conn;
};

TEST_F(ConnFixture, ActiveOpenSendsSynWithOptions) {
  config.timestamps = true;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  auto s = out.take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].h.flags, Flags(Flag::Syn));
  EXPECT_EQ(s[0].h.seq, kIss);
  EXPECT_EQ(s[0].h.options.mss, 1460);  // RFC 9293 3.7.1: MTU - 40
  EXPECT_EQ(s[0].h.options.window_scale, 7);
  EXPECT_TRUE(s[0].h.options.sack_permitted);
  EXPECT_TRUE(s[0].h.options.timestamps.has_value());
  EXPECT_EQ(conn->state(), State::SynSent);
}

TEST_F(ConnFixture, SynAckCompletesTheHandshake) {
  established();
  EXPECT_EQ(conn->snd_una(), Seq(kIss + 1));
  EXPECT_EQ(conn->rcv_nxt(), Seq(kIrs + 1));
  EXPECT_EQ(conn->mss(), 1460u);
}

TEST_F(ConnFixture, SynSentBadAckGetsReset) {
  // RFC 9293 3.10.7.3: an ACK outside ISS < SEG.ACK <= SND.NXT gets <SEQ=SEG.ACK><CTL=RST>.
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  auto r = input(seg(flags({Flag::Syn, Flag::Ack}), 0, 77));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].h.flags.rst());
  EXPECT_EQ(r[0].h.seq, kIss + 77);
  EXPECT_EQ(conn->state(), State::SynSent);
}

TEST_F(ConnFixture, SynSentResetWithGoodAckIsRefused) {
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  EXPECT_TRUE(input(seg(flags({Flag::Rst}), 0, 1)).empty());  // no ACK: ignored
  EXPECT_EQ(conn->state(), State::SynSent);
  EXPECT_TRUE(input(seg(flags({Flag::Rst, Flag::Ack}), 0, 1)).empty());
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->take_error(), ECONNREFUSED);
}

TEST_F(ConnFixture, SimultaneousOpen) {
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  auto r = input(seg(flags({Flag::Syn}), 0, 0));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, flags({Flag::Syn, Flag::Ack}));
  EXPECT_EQ(r[0].h.seq, kIss);
  EXPECT_EQ(r[0].h.ack, kIrs + 1);
  EXPECT_EQ(conn->state(), State::SynReceived);
  input(seg(flags({Flag::Ack}), 1, 1));
  EXPECT_EQ(conn->state(), State::Established);
}

TEST_F(ConnFixture, PassiveOpenAnswersOnlyOfferedOptions) {
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  Repr syn = seg(flags({Flag::Syn}), 0, 0);
  syn.options.mss = 1200;
  syn.options.sack_permitted = true;
  conn->accept_syn(syn, clock.now(), out);
  auto r = out.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, flags({Flag::Syn, Flag::Ack}));
  EXPECT_EQ(r[0].h.ack, kIrs + 1);
  EXPECT_FALSE(r[0].h.options.window_scale.has_value());  // the peer offered none
  EXPECT_TRUE(r[0].h.options.sack_permitted);
  EXPECT_EQ(conn->mss(), 1200u);
  // RFC 9293 3.10.7.4 (SYN-RECEIVED): an unacceptable ACK gets a reset.
  auto bad = input(seg(flags({Flag::Ack}), 1, 9));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_TRUE(bad[0].h.flags.rst());
  input(seg(flags({Flag::Ack}), 1, 1));
  EXPECT_EQ(conn->state(), State::Established);
}

TEST_F(ConnFixture, HandshakeWindowWaitsForTheNextSegmentButReadingIsTold) {
  config.quickack_segments = 0;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  Repr syn = seg(flags({Flag::Syn}), 0, 0);
  syn.options.mss = 1460;
  syn.options.window_scale = 7;
  conn->accept_syn(syn, clock.now(), out);
  auto r = out.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.window, 65535u);  // RFC 7323 2.2: a SYN's window is not scaled
  input(seg(flags({Flag::Ack}), 1, 1));
  ASSERT_EQ(conn->state(), State::Established);
  // The larger scaled window is not worth a segment of its own: nothing was read.
  EXPECT_TRUE(flush().empty());
  // Two full segments (ACKed after the second), then the application reads them: the window
  // opens by 2 MSS, and that is told at once (RFC 1122 4.2.3.3).
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1, 1), pattern(1460)).empty());
  r = input(seg(flags({Flag::Ack}), 1461, 1), pattern(1460));
  ASSERT_EQ(r.size(), 1u);
  const uint16_t before = r[0].h.window;
  EXPECT_TRUE(flush().empty());
  Bytes got(4000);
  ASSERT_EQ(conn->recv(got), 2920u);
  r = flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, Flags(Flag::Ack));
  EXPECT_GT(r[0].h.window, before);
}

TEST_F(ConnFixture, UnacceptableSegmentIsAnsweredWithAckAndDropped) {
  established();
  auto r = input(seg(flags({Flag::Ack}), 1'000'000, 1), pattern(10));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1);
  EXPECT_EQ(conn->recv_queued(), 0u);
}

TEST_F(ConnFixture, BareOutOfWindowAcksAreAnsweredTwiceASecondButProbesAlways) {
  established();
  // A bare ACK far out of the window: answered, then not again within 500 ms (no ACK loops).
  EXPECT_EQ(input(seg(flags({Flag::Ack}), 1'000'000, 1)).size(), 1u);
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1'000'000, 1)).empty());
  // A keep-alive or zero-window probe (RCV.NXT - 1, no data) always gets its ACK: the peer is
  // waiting on it, perhaps for a window update that was lost (RFC 1122 4.2.3.6, 4.2.2.17).
  for (int i = 0; i < 3; ++i) {
    auto r = input(seg(flags({Flag::Ack}), 0, 1));
    ASSERT_EQ(r.size(), 1u) << "probe " << i;
    EXPECT_EQ(r[0].h.ack, kIrs + 1);
  }
}

TEST_F(ConnFixture, ResetInWindowButNotExactGetsChallengeAck) {
  // RFC 5961 3.2.
  established();
  auto r = input(seg(flags({Flag::Rst}), 100, 1));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, Flags(Flag::Ack));
  EXPECT_EQ(conn->state(), State::Established);
  EXPECT_TRUE(input(seg(flags({Flag::Rst}), 1, 1)).empty());
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->take_error(), ECONNRESET);
}

TEST_F(ConnFixture, SynInEstablishedGetsChallengeAck) {
  // RFC 5961 4.2.
  established();
  auto r = input(seg(flags({Flag::Syn}), 1, 0));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, Flags(Flag::Ack));
  EXPECT_EQ(conn->state(), State::Established);
}

TEST_F(ConnFixture, AckOfUnsentDataIsIgnored) {
  // RFC 9293 3.10.7.4 / RFC 5961 5.2.
  established();
  auto r = input(seg(flags({Flag::Ack}), 1, 5000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(conn->snd_una(), Seq(kIss + 1));
}

TEST_F(ConnFixture, InOrderDataIsAckedDelayedThenEverySecondSegment) {
  config.quickack_segments = 0;
  established();
  // One segment: no ACK at once (RFC 1122 4.2.3.2), an ACK at the delayed-ACK deadline.
  EXPECT_TRUE(input(seg(flags({Flag::Ack, Flag::Psh}), 1, 1), pattern(100)).empty());
  EXPECT_EQ(*conn->poll_at(), clock.now() + config.delayed_ack);
  auto r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 101);
  // Two full-sized segments: an ACK after the second.
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 101, 1), pattern(1460)).empty());
  r = input(seg(flags({Flag::Ack}), 1561, 1), pattern(1460));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 3021);
  Bytes got(4000);
  EXPECT_EQ(conn->recv(got), 3020u);
}

TEST_F(ConnFixture, ReadBatchGetsOneAckAndOutOfOrderDataIsStillAckedAtOnce) {
  config.quickack_segments = 0;
  established();
  // A batch of six full segments read in one go (Tcp::begin_batch): no ACK while it lasts...
  conn->set_coalescing(true);
  for (uint32_t i = 0; i < 6; ++i)
    EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + i * 1460, 1), pattern(1460)).empty());
  EXPECT_TRUE(conn->deferred_ack());
  // ...a segment past a gap is still answered at once, with a duplicate ACK (RFC 5681 4.2)...
  auto r = input(seg(flags({Flag::Ack}), 1 + 7 * 1460, 1), pattern(1460));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 6 * 1460);
  EXPECT_FALSE(conn->deferred_ack());  // that ACK covered the batch
  // ...and once the batch ends, one ACK covers all it held back.
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + 6 * 1460, 1), pattern(1460)).size() == 1u);
  for (uint32_t i = 8; i < 12; ++i)
    EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + i * 1460, 1), pattern(1460)).empty());
  conn->set_coalescing(false);
  r = flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 12 * 1460);
  EXPECT_TRUE(flush().empty());
}

TEST_F(ConnFixture, WithSackAReadBatchBehindAHoleGetsOneAckWithTheBlocks) {
  // With SACK the peer's recovery counts SACKed segments, not duplicate ACKs (RFC 6675 5): a
  // batch of segments past a hole is answered once, after the batch, and the blocks say it all.
  config.quickack_segments = 0;
  established_with_sack();
  ASSERT_TRUE(input(seg(flags({Flag::Ack}), 1, 1), pattern(1460)).empty());
  conn->set_coalescing(true);
  for (uint32_t i = 2; i < 8; ++i)  // segment 1 (at 1 + 1460) is missing
    EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + i * 1460, 1), pattern(1460)).empty());
  EXPECT_TRUE(conn->deferred_ack());
  conn->set_coalescing(false);
  auto r = flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 1460);
  ASSERT_GE(r[0].h.options.sack.size(), 1u);
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 1 + 2 * 1460);
  EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 1 + 8 * 1460);
  // The hole filled inside a batch: one ACK after it, for everything.
  conn->set_coalescing(true);
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + 1460, 1), pattern(1460)).empty());
  conn->set_coalescing(false);
  r = flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 8 * 1460);
  EXPECT_TRUE(r[0].h.options.sack.empty());
  // Outside a batch, data past a hole is still answered at once.
  r = input(seg(flags({Flag::Ack}), 1 + 9 * 1460, 1), pattern(1460));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 8 * 1460);
}

TEST_F(ConnFixture, ALongReadBatchBehindAHoleIsSackedEverySackEverySegments) {
  // Under loss nearly every segment arrives behind a hole: a batch holds back the SACKs for at
  // most TcpConfig::sack_every segments, then one goes (with the newest block first), and the
  // rest wait for the batch's end again.
  config.quickack_segments = 0;
  config.sack_every = 4;
  established_with_sack();
  conn->set_coalescing(true);
  std::vector<size_t> acked_after;      // which segments were answered at once
  for (uint32_t i = 1; i <= 10; ++i) {  // segment 0 is missing
    const auto r = input(seg(flags({Flag::Ack}), 1 + i * 1460, 1), pattern(1460));
    if (r.empty()) continue;
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].h.ack, kIrs + 1);
    ASSERT_FALSE(r[0].h.options.sack.empty());
    EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 1 + (i + 1) * 1460);
    acked_after.push_back(i);
  }
  EXPECT_EQ(acked_after, (std::vector<size_t>{4, 8}));
  conn->set_coalescing(false);
  const auto r = flush();  // segments 9 and 10
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 1 + 11 * 1460);
}

TEST_F(ConnFixture, AReadBatchOverMoreRangesThanOneAckHoldsReportsThemAll) {
  // Four SACK blocks fit in an ACK (no timestamps here). A batch that lands in six separate
  // ranges gets an ACK for the two older ones first, then the one with the newest four, so the
  // peer learns of every segment it delivered (RFC 2018 4 orders blocks by recency).
  config.quickack_segments = 0;
  established_with_sack();
  conn->set_coalescing(true);
  for (uint32_t i = 0; i < 6; ++i)  // every other segment: six ranges behind six holes
    EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1 + (2 * i + 1) * 1460, 1), pattern(1460)).empty());
  conn->set_coalescing(false);
  const auto r = flush();
  ASSERT_EQ(r.size(), 2u);
  std::vector<uint32_t> lefts;
  for (const auto& s : r) {
    EXPECT_EQ(s.h.ack, kIrs + 1);
    for (const auto& b : s.h.options.sack) {
      lefts.push_back(b.left - kIrs - 1);
      EXPECT_EQ(b.right - b.left, 1460u);
    }
  }
  ASSERT_EQ(r[0].h.options.sack.size(), 2u);
  ASSERT_EQ(r[1].h.options.sack.size(), 4u);
  EXPECT_EQ(r[1].h.options.sack[0].left, kIrs + 1 + 11 * 1460);  // the newest first, last
  std::sort(lefts.begin(), lefts.end());
  EXPECT_EQ(lefts,
            (std::vector<uint32_t>{1460, 3 * 1460, 5 * 1460, 7 * 1460, 9 * 1460, 11 * 1460}));
  // The next batch, in one range only: one ACK again.
  conn->set_coalescing(true);
  input(seg(flags({Flag::Ack}), 1 + 12 * 1460, 1), pattern(1460));
  conn->set_coalescing(false);
  EXPECT_EQ(flush().size(), 1u);
}

TEST_F(ConnFixture, DuplicatesAreReportedWithDsack) {
  // RFC 2883: a duplicate segment is reported in the first SACK block of the next ACK; above the
  // ACK, the block holding it follows, so the peer can tell it from new data.
  config.quickack_segments = 0;
  established_with_sack();
  input(seg(flags({Flag::Ack}), 1, 1), pattern(1460));
  input(seg(flags({Flag::Ack}), 1 + 2 * 1460, 1), pattern(1460));  // held above a hole
  input(seg(flags({Flag::Ack}), 1 + 3 * 1460, 1), pattern(1460));
  auto r = input(seg(flags({Flag::Ack}), 1, 1), pattern(1460));  // below RCV.NXT again
  ASSERT_EQ(r.size(), 1u);
  ASSERT_GE(r[0].h.options.sack.size(), 2u);
  EXPECT_EQ(r[0].h.ack, kIrs + 1 + 1460);
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 1);
  EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 1 + 1460);
  r = input(seg(flags({Flag::Ack}), 1 + 3 * 1460, 1), pattern(1460));  // a SACKed one again
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].h.options.sack.size(), 2u);
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 1 + 3 * 1460);
  EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 1 + 4 * 1460);
  EXPECT_EQ(r[0].h.options.sack[1].left, kIrs + 1 + 2 * 1460);  // the range holding it
  EXPECT_EQ(r[0].h.options.sack[1].right, kIrs + 1 + 4 * 1460);
  EXPECT_EQ(conn->stats().duplicates_in, 2u);
  // Reported once: the next ACK has the ordinary block only.
  r = input(seg(flags({Flag::Ack}), 1 + 5 * 1460, 1), pattern(1460));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 1 + 5 * 1460);
  for (const auto& b : r[0].h.options.sack)
    EXPECT_GT(b.left, kIrs + 1 + 1460);
  // In a read batch, the duplicate's ACK waits for the batch's end like the others.
  conn->set_coalescing(true);
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1, 1), pattern(1460)).empty());
  conn->set_coalescing(false);
  r = flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 1);
}

TEST_F(ConnFixture, ReadBatchAcksWhenAQuarterOfTheBufferIsOwed) {
  config.quickack_segments = 0;
  config.rcvbuf = 16 * 1460;
  established();
  conn->set_coalescing(true);
  // A quarter of the 16-segment buffer is four segments: the ACK is not held past that, or a
  // sender limited by our window could stall waiting for it.
  size_t acks = 0;
  for (uint32_t i = 0; i < 8; ++i)
    acks += input(seg(flags({Flag::Ack}), 1 + i * 1460, 1), pattern(1460)).size();
  EXPECT_EQ(acks, 2u);
  conn->set_coalescing(false);
}

TEST_F(ConnFixture, ReceiveBufferGrowsWhenThePeerFillsTheWindowUnlessSetByHand) {
  // Auto-tuning: data up to the edge we advertised doubles the buffer (TcpConfig::rcvbuf_max
  // bounds it); SO_RCVBUF (set_rcvbuf) turns that off, as on Linux.
  config.rcvbuf = 8 * 1460;
  config.rcvbuf_max = 32 * 1460;
  established();
  ASSERT_EQ(conn->rcvbuf(), 8 * 1460u);
  uint32_t off = 1;
  auto fill_window = [&] {
    const size_t wnd = conn->rcv_wnd();
    for (size_t sent = 0; sent + 1460 <= wnd; sent += 1460, off += 1460)
      input(seg(flags({Flag::Ack}), off, 1), pattern(1460));
    Bytes sink(1 << 20);
    while (conn->recv(sink) > 0) {
    }
    flush();
  };
  fill_window();
  EXPECT_EQ(conn->rcvbuf(), 16 * 1460u);
  fill_window();
  EXPECT_EQ(conn->rcvbuf(), 32 * 1460u);
  fill_window();
  EXPECT_EQ(conn->rcvbuf(), 32 * 1460u) << "past rcvbuf_max";
  conn->set_rcvbuf(4 * 1460);
  fill_window();
  EXPECT_EQ(conn->rcvbuf(), 4 * 1460u) << "SO_RCVBUF turns auto-tuning off";
}

TEST_F(ConnFixture, SendBufferFollowsTwoCongestionWindowsUnlessSetByHand) {
  config.sndbuf = 4 * 1460;
  config.sndbuf_max = 1 << 20;
  established();
  send_app(pattern(4 * 1460));
  flush();
  input(seg(flags({Flag::Ack}), 1, 1 + 4 * 1460));  // everything acknowledged
  EXPECT_GE(conn->sndbuf(), 2 * conn->congestion().cwnd());
  EXPECT_GT(conn->sndbuf(), 4 * 1460u);
  // POLLOUT needs room for half of what is queued (Linux's sk_stream_is_writeable).
  const size_t cap = conn->sndbuf();
  EXPECT_EQ(conn->send(pattern(cap)), cap);
  EXPECT_FALSE(conn->writable());
  conn->set_sndbuf(8 * 1460);
  const size_t before = conn->sndbuf();
  flush();
  input(seg(flags({Flag::Ack}), 1, 1 + 4 * 1460 + 1460));
  EXPECT_EQ(conn->sndbuf(), before) << "SO_SNDBUF turns auto-tuning off";
}

TEST_F(ConnFixture, FirstSegmentsAreAckedAtOnceThenDelayed) {
  // TcpConfig::quickack_segments: the connection's first data segments get an ACK each, at once.
  config.quickack_segments = 2;
  established();
  auto r = input(seg(flags({Flag::Ack, Flag::Psh}), 1, 1), pattern(100));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 101);
  r = input(seg(flags({Flag::Ack, Flag::Psh}), 101, 1), pattern(100));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 201);
  // The third waits for the delayed-ACK deadline (RFC 1122 4.2.3.2).
  EXPECT_TRUE(input(seg(flags({Flag::Ack, Flag::Psh}), 201, 1), pattern(100)).empty());
  EXPECT_EQ(*conn->poll_at(), clock.now() + config.delayed_ack);
}

TEST_F(ConnFixture, OutOfOrderIsAckedAtOnceWithSackAndTheGapFillsIn) {
  config.sack = true;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
  synack.options.sack_permitted = true;
  synack.options.mss = 1460;
  input(synack);
  const Bytes data = pattern(300);
  auto r = input(seg(flags({Flag::Ack}), 101, 1), Bytes(data.begin() + 100, data.begin() + 200));
  ASSERT_EQ(r.size(), 1u);  // RFC 5681 4.2: a duplicate ACK at once
  EXPECT_EQ(r[0].h.ack, kIrs + 1);
  ASSERT_EQ(r[0].h.options.sack.size(), 1u);  // RFC 2018: the block we hold
  EXPECT_EQ(r[0].h.options.sack[0].left, kIrs + 101);
  EXPECT_EQ(r[0].h.options.sack[0].right, kIrs + 201);
  r = input(seg(flags({Flag::Ack}), 1, 1), Bytes(data.begin(), data.begin() + 100));
  ASSERT_EQ(r.size(), 1u);  // filling the gap: ACK at once, for everything
  EXPECT_EQ(r[0].h.ack, kIrs + 201);
  EXPECT_TRUE(r[0].h.options.sack.empty());
  Bytes got(300);
  ASSERT_EQ(conn->recv(got), 200u);
  EXPECT_EQ(Bytes(got.begin(), got.begin() + 200), Bytes(data.begin(), data.begin() + 200));
}

TEST_F(ConnFixture, FullSizedSegmentsFitTheMtuEvenWithSackBlocksToReport) {
  // RFC 6691: options come out of the MTU. Holding out-of-order data (so SACK blocks are due),
  // a full-sized data segment must still fit in 1500 bytes with its headers.
  config.sack = true;
  config.timestamps = true;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
  synack.options.mss = 1460;
  synack.options.sack_permitted = true;
  synack.options.timestamps = wire::tcp::Timestamps{1, 0};
  input(synack);
  Repr ooo = seg(flags({Flag::Ack}), 3001, 1);
  ooo.options.timestamps = wire::tcp::Timestamps{2, 0};
  input(ooo, pattern(100));
  ooo.seq = kIrs + 5001;
  input(ooo, pattern(100));
  send_app(pattern(1460 * 4));
  auto r = flush();
  ASSERT_FALSE(r.empty());
  for (const auto& s : r)
    EXPECT_LE(20 + s.h.header_len() + s.payload.size(), 1500u);
}

TEST_F(ConnFixture, SendsWithinThePeersWindowAndNagleHoldsTheTail) {
  established();
  send_app(pattern(3000));
  auto r = flush();
  // Two full segments and a 80-byte tail: Nagle holds the tail while data is unacknowledged.
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].payload.size(), 1460u);
  EXPECT_EQ(r[1].payload.size(), 1460u);
  EXPECT_EQ(r[0].h.seq, kIss + 1);
  r = input(seg(flags({Flag::Ack}), 1, 1 + 2920));  // the ACK releases the tail at once
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload.size(), 80u);
  EXPECT_TRUE(r[0].h.flags.psh());
}

TEST_F(ConnFixture, NoDelaySendsSmallSegmentsAtOnce) {
  established();
  conn->set_nodelay(true);
  send_app(pattern(10));
  EXPECT_EQ(flush().size(), 1u);
  send_app(pattern(10));
  EXPECT_EQ(flush().size(), 1u);  // with Nagle this one would wait for the ACK
}

TEST_F(ConnFixture, PeerWindowLimitsOutput) {
  established(2000);
  send_app(pattern(10000));
  auto r = flush();
  size_t total = 0;
  for (auto& s : r)
    total += s.payload.size();
  EXPECT_LE(total, 2000u);
}

TEST_F(ConnFixture, RetransmissionTimeoutBacksOffAndFinallyTimesOut) {
  config.data_retries = 3;
  established();
  send_app(pattern(100));
  ASSERT_EQ(flush().size(), 1u);
  // RFC 6298 2.1: 1 s before the first RTO (no sample yet from a data segment... the SYN gave one).
  Duration prev{0};
  Instant last = clock.now();
  for (int i = 0; i < 3; ++i) {
    auto r = advance_to_deadline();
    ASSERT_EQ(r.size(), 1u) << "retransmission " << i;
    EXPECT_EQ(r[0].h.seq, kIss + 1);
    EXPECT_EQ(r[0].payload.size(), 100u);
    const Duration gap = clock.now() - last;
    if (i > 0) {
      EXPECT_EQ(gap, 2 * prev);  // RFC 6298 5.5: doubled each time
    }
    prev = gap;
    last = clock.now();
  }
  advance_to_deadline();
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->take_error(), ETIMEDOUT);
}

// RFC 8985 7: a tail loss probe a PTO (2·SRTT, at least 2 ms) after the last segment, the highest
// segment sent again even with new data waiting (a duplicate draws an immediate ACK; a lone new
// segment may wait for the peer's delayed ACK), then the RTO; one probe until an ACK comes.
TEST_F(ConnFixture, TailLossProbeResendsTheHighestSegmentThenLeavesItToTheRto) {
  established();  // the handshake gave an RTT sample: SRTT is tiny, so the PTO is its floor
  conn->set_nodelay(true);
  send_app(pattern(1460 * 20));
  auto r = flush();
  ASSERT_EQ(r.size(), 10u);  // the initial window; ten segments wait
  ASSERT_TRUE(conn->poll_at().has_value());
  EXPECT_EQ(*conn->poll_at(), clock.now() + std::chrono::milliseconds(2));
  r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.seq, kIss + 1 + 9 * 1460);
  EXPECT_EQ(r[0].payload.size(), 1460u);
  EXPECT_EQ(conn->stats().timeouts, 0u);
  // No second probe: the next expiry is the retransmission timeout, from SND.UNA.
  const Instant probed = clock.now();
  r = advance_to_deadline();
  EXPECT_GE(clock.now() - probed, std::chrono::milliseconds(200));
  EXPECT_EQ(conn->stats().timeouts, 1u);
  ASSERT_GE(r.size(), 1u);
  EXPECT_EQ(r[0].h.seq, kIss + 1);
}

TEST_F(ConnFixture, TheProbeTimerRestartsWhenNewDataGoes) {
  established();
  conn->set_nodelay(true);
  send_app(pattern(1460 * 3));
  ASSERT_EQ(flush().size(), 3u);
  // An ACK leaves one segment in flight: its PTO would wait out the peer's delayed ACK, longer
  // than the RTO, so the RTO is what is armed...
  input(seg(flags({Flag::Ack}), 1, 1 + 2 * 1460));
  ASSERT_TRUE(conn->poll_at().has_value());
  EXPECT_GE(*conn->poll_at(), clock.now() + std::chrono::milliseconds(200));
  // ...until more data goes: with two segments out, a probe 2 ms after the last (RFC 8985 7.2).
  clock.advance(std::chrono::milliseconds(1));
  send_app(pattern(1460));
  ASSERT_EQ(flush().size(), 1u);
  EXPECT_EQ(*conn->poll_at(), clock.now() + std::chrono::milliseconds(2));
  auto r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.seq, kIss + 1 + 3 * 1460);  // the highest segment, again
  EXPECT_EQ(conn->stats().timeouts, 0u);
}

// RFC 6675 6, NextSeg rule 3: in SACK recovery, new data goes while the pipe (what is out and not
// SACKed) is under cwnd = ssthresh, before the full ACK, so that a lost retransmission has data
// behind it to show the loss.
TEST_F(ConnFixture, SackRecoverySendsNewDataWhileThePipeAllows) {
  established_with_sack();
  conn->set_nodelay(true);
  send_app(pattern(1460 * 30));
  ASSERT_EQ(flush().size(), 10u);
  const uint32_t high = kIss + 1 + 10 * 1460;  // SND.MAX before the loss
  // The first segment is lost; the peer SACKs the nine after it in one ACK (a receiver that
  // answers a read batch once, as tundra and Linux do).
  Repr dup = seg(flags({Flag::Ack}), 1, 1);
  dup.options.sack.push_back({kIss + 1 + 1460, high});
  const std::vector<Sent> r = input(dup);
  ASSERT_TRUE(conn->congestion().in_recovery());
  size_t resent_first = 0, new_segments = 0;
  for (const auto& s : r) {
    resent_first += s.h.seq == kIss + 1;
    new_segments += s.h.seq >= high;
  }
  EXPECT_EQ(resent_first, 1u);
  // ssthresh is half the flight (five segments); the pipe holds the retransmission: four more.
  EXPECT_GE(new_segments, 3u);
  EXPECT_LE(new_segments * 1460 + 1460, conn->congestion().ssthresh() + 1460);
}

TEST_F(ConnFixture, SynRetransmissionsThenEtimedout) {
  config.syn_retries = 2;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  EXPECT_EQ(*conn->poll_at(), clock.now() + std::chrono::seconds(1));  // RFC 6298 2.1
  auto r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].h.flags.syn());
  EXPECT_EQ(*conn->poll_at(), clock.now() + std::chrono::seconds(2));
  advance_to_deadline();
  advance_to_deadline();
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->take_error(), ETIMEDOUT);
}

TEST_F(ConnFixture, ThreeDuplicateAcksTriggerFastRetransmit) {
  established();
  conn->set_nodelay(true);
  send_app(pattern(1460 * 8));
  auto r = flush();
  ASSERT_GE(r.size(), 4u);
  for (int i = 0; i < 2; ++i)
    input(seg(flags({Flag::Ack}), 1, 1));
  EXPECT_EQ(conn->stats().fast_retransmits, 0u);
  r = input(seg(flags({Flag::Ack}), 1, 1));
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  bool resent_first = false;
  for (auto& s : r)
    resent_first |= s.h.seq == kIss + 1 && s.payload.size() == 1460;
  EXPECT_TRUE(resent_first);  // RFC 5681 3.2 step 2
}

TEST_F(ConnFixture, ZeroWindowIsProbedWithOneByteOfNewData) {
  established(0);
  send_app(pattern(500));
  EXPECT_TRUE(flush().empty());
  ASSERT_TRUE(std::holds_alternative<timer::Persist>(conn->timer()));
  auto r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload.size(), 1u);  // the rule: a probe carries one new byte
  EXPECT_EQ(r[0].h.seq, kIss + 1);
  // The window opens: the rest flows.
  r = input(seg(flags({Flag::Ack}), 1, 2, 65535));
  size_t total = 0;
  for (auto& s : r)
    total += s.payload.size();
  EXPECT_EQ(total, 499u);
}

TEST_F(ConnFixture, ADroppedProbeIsSentAgainWhenTheWindowOpens) {
  established(0);
  send_app(pattern(500));
  flush();
  auto r = advance_to_deadline();
  ASSERT_EQ(r.size(), 1u);  // the one-byte probe
  // The peer dropped the probe (beyond its zero window) and says so: still ACK 1, window 0.
  // RFC 9293 3.8.6.1: that answer is expected, not a duplicate ACK signalling loss.
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1, 1, 0)).empty());
  EXPECT_EQ(conn->stats().dup_acks_in, 0u);
  EXPECT_TRUE(input(seg(flags({Flag::Ack}), 1, 1, 0)).empty());
  EXPECT_EQ(conn->stats().dup_acks_in, 0u);
  // The window opens with the probe byte still unacknowledged: everything goes from SND.UNA, the
  // probe byte included, instead of leaving it to the (backed-off) retransmission timer.
  r = input(seg(flags({Flag::Ack}), 1, 1, 65535));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].h.seq, kIss + 1);
  size_t total = 0;
  for (auto& x : r)
    total += x.payload.size();
  EXPECT_EQ(total, 500u);
}

TEST_F(ConnFixture, NewSackBlocksAreDuplicateAcksEvenWhenTheWindowGrows) {
  // RFC 6675 2: an ACK that SACKs new octets counts as a duplicate whatever its window, so a
  // receiver whose window grows as it reads still triggers fast retransmit.
  established_with_sack();
  send_app(pattern(1460 * 8));
  ASSERT_GE(flush().size(), 8u);
  std::vector<Sent> r;
  for (uint32_t i = 1; i <= 3; ++i) {
    Repr dup = seg(flags({Flag::Ack}), 1, 1, static_cast<uint16_t>(60000 + 1000 * i));
    dup.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 1460 * (i + 1)});
    r = input(dup);
  }
  EXPECT_EQ(conn->stats().dup_acks_in, 3u);
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  bool resent_first = false;
  for (auto& x : r)
    resent_first |= x.h.seq == kIss + 1 && x.payload.size() == 1460;
  EXPECT_TRUE(resent_first);
}

TEST_F(ConnFixture, EnoughSackedAboveSndUnaStartsRecoveryBeforeTheThirdDuplicate) {
  // RFC 6675 5 step (2): IsLost(SND.UNA) — three segments' worth SACKed above it — is a loss even
  // after a single duplicate ACK.
  established_with_sack();
  send_app(pattern(1460 * 8));
  ASSERT_GE(flush().size(), 8u);
  Repr dup = seg(flags({Flag::Ack}), 1, 1);
  dup.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 1460 * 5});
  auto r = input(dup);
  EXPECT_EQ(conn->stats().dup_acks_in, 1u);
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].h.seq, kIss + 1);
  EXPECT_EQ(r[0].payload.size(), 1460u);
  EXPECT_TRUE(conn->congestion().in_recovery());
}

TEST_F(ConnFixture, WithSackRackNotTheDuplicateCountSaysWhenTheHoleIsLost) {
  // RFC 8985 6.2: three duplicates SACKing one segment, sent at the same instant as the first,
  // are not a loss (it may be reordered: a quarter of the minimum RTT is allowed, and RFC 5681's
  // count of three would have called it one). With more segments SACKed than DupThresh the
  // window is zero: the hole is lost and goes, once; more duplicates, SACKing segments sent
  // before the resend, do not send it again.
  established_with_sack();
  send_app(pattern(1460 * 10));
  ASSERT_GE(flush().size(), 10u);
  auto dup = [&](uint32_t sacked_segments) {
    Repr d = seg(flags({Flag::Ack}), 1, 1);
    d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 1460 * (1 + sacked_segments)});
    return input(d);
  };
  auto resent = [](const std::vector<Sent>& r) {
    unsigned n = 0;
    for (auto& x : r)
      n += x.h.seq == kIss + 1 && !x.payload.empty();
    return n;
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(resent(dup(1)), 0u) << "duplicate " << i + 1;
  EXPECT_FALSE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->stats().dup_acks_in, 3u);
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(resent(dup(2)), 0u);
  EXPECT_EQ(resent(dup(3)), 1u);
  EXPECT_TRUE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  EXPECT_EQ(conn->stats().rack_lost, 1u);
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(resent(dup(4)), 0u) << "the hole at SND.UNA was sent a second time";
  EXPECT_EQ(resent(dup(9)), 0u);
}

TEST_F(ConnFixture, ALostRetransmissionIsSentAgainOnceDataSentAfterItIsSacked) {
  // The segment at SND.UNA is lost, and so is its fast retransmission. The peer keeps SACKing
  // everything else, new data sent after the retransmission included: once DupThresh segments of
  // that are SACKed, the retransmission was lost too and goes again — not after an RTO.
  established_with_sack();
  send_app(pattern(1460 * 60));
  uint32_t high = 0;  // offset past the highest byte sent
  auto note = [&](const std::vector<Sent>& r) {
    unsigned first = 0;
    for (const auto& x : r) {
      high = std::max<uint32_t>(high, x.h.seq - kIss - 1 + static_cast<uint32_t>(x.payload.size()));
      first += x.h.seq == kIss + 1 && !x.payload.empty();
    }
    return first;
  };
  note(flush());
  unsigned resent = 0;
  uint32_t high_at_first_resend = 0, high_sacked_at_second = 0;
  for (int i = 0; i < 30 && resent < 2; ++i) {
    Repr d = seg(flags({Flag::Ack}), 1, 1);
    d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + high});
    const uint32_t sacked_to = high;
    const unsigned n = note(input(d));
    if (n > 0 && resent == 0) high_at_first_resend = sacked_to;
    if (n > 0 && resent == 1) high_sacked_at_second = sacked_to;
    resent += n;
  }
  ASSERT_EQ(resent, 2u);
  EXPECT_GE(high_sacked_at_second, high_at_first_resend + 3 * 1460)
      << "resent again before DupThresh segments sent after the retransmission were SACKed";
  EXPECT_EQ(conn->stats().fast_retransmits, 2u);
  EXPECT_EQ(conn->stats().timeouts, 0u);
  EXPECT_TRUE(conn->congestion().in_recovery());
}

TEST_F(ConnFixture, ALostRetransmissionIsSentAgainWhenLaterDataIsSackedARoundTripAfter) {
  // RACK's time rule (RFC 8985 6.2): one segment sent after the retransmission and SACKed more
  // than SRTT + SRTT/4 after it went is enough; the DupThresh count would need three.
  established_with_sack();
  send_app(pattern(1460 * 60));
  flush();
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 5 * 1460});
  auto r = input(d);
  ASSERT_TRUE(conn->congestion().in_recovery());
  ASSERT_FALSE(r.empty());
  ASSERT_EQ(r[0].h.seq, kIss + 1);  // the fast retransmission
  ASSERT_TRUE(conn->rtt().srtt().has_value());
  // Duplicates SACK the rest of the first flight, soon after: too soon to call the
  // retransmission lost, and as the pipe drains, new data goes out.
  auto sack_to = [&](uint32_t end) {
    Repr x = seg(flags({Flag::Ack}), 1, 1);
    x.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + end});
    return input(x);
  };
  auto resent_first = [](const std::vector<Sent>& v) {
    for (const auto& x : v)
      if (x.h.seq == kIss + 1 && !x.payload.empty()) return true;
    return false;
  };
  const uint32_t first_flight = 10 * 1460;
  uint32_t new_end = 0;  // end of the first segment of new data sent after the retransmission
  for (uint32_t end = 6 * 1460; end <= first_flight && new_end == 0; end += 1460) {
    const auto v = sack_to(end);
    EXPECT_FALSE(resent_first(v));
    for (const auto& x : v)
      if (x.h.seq - kIss - 1 >= first_flight && new_end == 0)
        new_end = x.h.seq - kIss - 1 + static_cast<uint32_t>(x.payload.size());
  }
  ASSERT_GT(new_end, 0u) << "no new data went out during recovery";
  // A round trip and more later, that one new segment is SACKed: the retransmission was lost.
  clock.set(clock.now() + 2 * *conn->rtt().srtt() + std::chrono::milliseconds(1));
  EXPECT_TRUE(resent_first(sack_to(new_end)));
  EXPECT_EQ(conn->stats().fast_retransmits, 2u);
}

TEST_F(ConnFixture, ARunOfLossesAtTheTailIsResentOnceASegmentSentAfterItArrives) {
  // A flight of 20 segments, 10..29: the last 8 are lost (a drop-tail queue's burst), and so is
  // segment 12. Nothing above the run is SACKed, so RFC 6675 alone would resend the run one
  // segment per partial ACK. RACK (RFC 8985 6.2): when the resend of segment 12, sent after the
  // run, is acknowledged, the whole run is known lost and goes as the window allows.
  established_with_sack();
  send_app(pattern(1460 * 60));
  ASSERT_EQ(data_segments(flush()).size(), 10u);
  clock.advance(std::chrono::microseconds(200));
  auto r = data_segments(input(seg(flags({Flag::Ack}), 1, 1 + 10 * 1460)));
  for (uint32_t s : data_segments(flush()))
    r.push_back(s);
  ASSERT_TRUE(contains(r, 29)) << "the second flight is not 20 segments";
  clock.advance(std::chrono::microseconds(200));
  // Segments 13..21 arrive: 12 is lost.
  Repr d = seg(flags({Flag::Ack}), 1, 1 + 12 * 1460);
  d.options.sack.push_back({kIss + 1 + 13 * 1460, kIss + 1 + 22 * 1460});
  r = data_segments(input(d));
  ASSERT_TRUE(contains(r, 12)) << "RACK did not find segment 12 lost";
  ASSERT_TRUE(conn->congestion().in_recovery());
  for (uint32_t s = 22; s < 30; ++s)
    EXPECT_FALSE(contains(r, s)) << "segment " << s << " resent before anything after it came";
  // The resend arrives: the ACK covers everything up to the run.
  clock.advance(std::chrono::microseconds(200));
  r = data_segments(input(seg(flags({Flag::Ack}), 1, 1 + 22 * 1460)));
  std::vector<uint32_t> run;
  for (uint32_t s : r)
    if (s >= 22 && s < 30) run.push_back(s);
  EXPECT_GE(run.size(), 4u) << "the run went one segment at a time";
  EXPECT_GE(conn->stats().rack_lost, 1u + run.size());
  EXPECT_EQ(conn->stats().timeouts, 0u);
}

TEST_F(ConnFixture, AResendStillOnItsWayIsNotSentAgainWhenARecoveryEndsBeforeItArrives) {
  // Recovery begins for segment 0 with segments 0..9 out. Segment 10, the first sent in
  // recovery, is lost too and resent. The ACK for segment 0's resend ends the recovery (it
  // covers everything sent before it began); duplicates then SACK segments 11.. sent before
  // segment 10's resend. RFC 6675 would call segment 10 lost again (three SACKed above it) and
  // send it again; RACK knows it went after them.
  established_with_sack();
  send_app(pattern(1460 * 60));
  flush();  // segments 0..9
  clock.advance(std::chrono::microseconds(200));
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 5 * 1460});
  auto r = data_segments(input(d));
  ASSERT_TRUE(contains(r, 0));
  ASSERT_TRUE(conn->congestion().in_recovery());
  uint32_t high = 10;
  auto sacks = [&](std::vector<std::pair<uint32_t, uint32_t>> blocks, uint32_t ack = 0) {
    clock.advance(std::chrono::microseconds(200));
    Repr x = seg(flags({Flag::Ack}), 1, 1 + ack * 1460);
    for (auto [b, e] : blocks)
      x.options.sack.push_back({kIss + 1 + b * 1460, kIss + 1 + e * 1460});
    auto v = data_segments(input(x));
    for (uint32_t s : v)
      high = std::max(high, s + 1);
    return v;
  };
  // The rest of the first flight arrives; new segments go as the pipe drains.
  for (uint32_t e = 6; e <= 10; ++e)
    sacks({{1, e}});
  ASSERT_GE(high, 14u) << "not enough new data went out during recovery";
  const uint32_t sent_before_resend = high;
  // 10 is lost: 11..13 arrive, and 10 goes again.
  r = sacks({{11, 14}, {1, 10}});
  ASSERT_TRUE(contains(r, 10));
  // Segment 0's resend arrives: everything below 10 is acknowledged, recovery is over.
  sacks({{11, 14}}, 10);
  ASSERT_FALSE(conn->congestion().in_recovery());
  // Duplicates SACK segments sent before 10's resend.
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(contains(sacks({{11, sent_before_resend}}, 10), 10)) << "resent again, " << i;
  EXPECT_EQ(conn->stats().timeouts, 0u);
}

TEST_F(ConnFixture, WithSackAPartialAckDoesNotResendARetransmissionStillOnItsWay) {
  // Segments 0 and 2 of 0..9 are lost, found so and both resent. The resend of 0 arrives: the
  // partial ACK makes 2 the first hole, but its resend went after everything SACKed and is on
  // its way. RFC 6582's rule (resend the segment at SND.UNA on a partial ACK) would send it
  // again; with SACK, RACK says what is lost, and that is nothing yet.
  established_with_sack();
  send_app(pattern(1460 * 60));
  flush();
  clock.advance(std::chrono::microseconds(200));
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 3 * 1460, kIss + 1 + 10 * 1460});
  d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 2 * 1460});
  auto r = data_segments(input(d));
  ASSERT_TRUE(contains(r, 0));
  ASSERT_TRUE(contains(r, 2));
  clock.advance(std::chrono::microseconds(200));
  Repr p = seg(flags({Flag::Ack}), 1, 1 + 2 * 1460);
  p.options.sack.push_back({kIss + 1 + 3 * 1460, kIss + 1 + 10 * 1460});
  r = data_segments(input(p));
  EXPECT_TRUE(conn->congestion().in_recovery());
  EXPECT_FALSE(contains(r, 2)) << "the resend of segment 2 was sent again";
  EXPECT_EQ(conn->stats().retransmits, 2u);
}

TEST_F(ConnFixture, WithSackAPartialAckWithNothingSackedResendsNothing) {
  // Segment 0 is only late: RACK's reordering timer finds it lost once segment 1 is SACKed and
  // the window has passed, and resends it. Then the original arrives, and the peer's ACKs
  // cover 0 and 1 with nothing SACKed above: partial ACKs that say only that the rest is on its
  // way. RFC 6582's rule would resend the segment at SND.UNA on each one, the whole flight
  // (under 1% reordering and no loss, 19,564 resends in 3 s).
  ASSERT_NO_FATAL_FAILURE(one_then_nine());
  clock.advance(std::chrono::microseconds(10));
  ASSERT_FALSE(contains(data_segments(input(sack_of_segment_1())), 0));
  ASSERT_TRUE(contains(data_segments(advance_to_deadline()), 0));
  ASSERT_TRUE(conn->congestion().in_recovery());
  for (uint32_t acked = 2; acked < 6; ++acked) {
    clock.advance(std::chrono::microseconds(5));
    const auto r = data_segments(input(seg(flags({Flag::Ack}), 1, 1 + acked * 1460)));
    EXPECT_TRUE(r.empty()) << "resent on the partial ACK of " << acked << " segments";
  }
  EXPECT_EQ(conn->stats().retransmits, 1u);
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  // The peer reports the resend of 0 as a duplicate (RFC 2883): the reordering window grows
  // (RFC 8985 6.2 step 4), once for the round.
  EXPECT_EQ(conn->rack().reo_wnd_mult(), 1u);
  for (int i = 0; i < 2; ++i) {
    Repr d = seg(flags({Flag::Ack}), 1, 1 + 6 * 1460);
    d.options.sack.push_back({kIss + 1, kIss + 1 + 1460});
    input(d);
  }
  EXPECT_EQ(conn->stats().dsacks_in, 2u);
  EXPECT_EQ(conn->stats().reo_wnd_grown, 1u);
  EXPECT_EQ(conn->rack().reo_wnd_mult(), 2u);
  EXPECT_EQ(conn->rack().reo_wnd_persist(), 16);
  // The recovery ends: one of the 16 that keep the larger window.
  input(seg(flags({Flag::Ack}), 1, 1 + 10 * 1460));
  EXPECT_FALSE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->rack().reo_wnd_persist(), 15);
  EXPECT_EQ(conn->rack().reo_wnd_mult(), 2u);
  // An RTO recovery counts too, once SND.UNA passes what was out when the timer fired.
  send_app(pattern(1460 * 4));
  flush();
  for (int i = 0; i < 4 && conn->stats().timeouts == 0; ++i)
    advance_to_deadline();
  ASSERT_EQ(conn->stats().timeouts, 1u);
  input(seg(flags({Flag::Ack}), 1, 1 + 12 * 1460));
  EXPECT_EQ(conn->rack().reo_wnd_persist(), 15) << "before the end of the RTO recovery";
  input(seg(flags({Flag::Ack}), 1, 1 + 14 * 1460));
  EXPECT_EQ(conn->rack().reo_wnd_persist(), 14);
}

TEST_F(ConnFixture, ADsackOfTheTailLossProbeLeavesTheReorderingWindow) {
  // The probe resends the last segment on no evidence of loss; when only the ACKs were lost,
  // the peer reports it as a duplicate. That says nothing of reordering (RFC 8985 7.4.2).
  established_with_sack();
  conn->set_nodelay(true);
  send_app(pattern(1460 * 10));
  ASSERT_EQ(data_segments(flush()).size(), 10u);
  const auto r = data_segments(advance_to_deadline());
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0], 9u);
  Repr d = seg(flags({Flag::Ack}), 1, 1 + 10 * 1460);
  d.options.sack.push_back({kIss + 1 + 9 * 1460, kIss + 1 + 10 * 1460});
  input(d);
  EXPECT_EQ(conn->stats().dsacks_in, 1u);
  EXPECT_EQ(conn->stats().reo_wnd_grown, 0u);
  EXPECT_EQ(conn->rack().reo_wnd_mult(), 1u);
}

TEST_F(ConnFixture, WithSackPrrSendsOneSegmentForEveryTwoDeliveredWhileThePipeIsAboveSsthresh) {
  // RFC 6937: 20 segments out (10..29), segment 10 lost. NewReno's ssthresh is half of that, so
  // while the pipe is above it, Proportional Rate Reduction lets out ssthresh / RecoverFS = 1/2
  // segment per segment delivered: the retransmission, then new data every other ACK. RFC 6675
  // alone would send nothing new until the pipe fell below ssthresh, ten ACKs on.
  established_with_sack();
  send_app(pattern(1460 * 80));
  ASSERT_EQ(data_segments(flush()).size(), 10u);
  clock.advance(std::chrono::microseconds(200));
  auto r = data_segments(input(seg(flags({Flag::Ack}), 1, 1 + 10 * 1460)));
  for (uint32_t s : data_segments(flush()))
    r.push_back(s);
  ASSERT_TRUE(contains(r, 29));
  ASSERT_FALSE(contains(r, 30));
  uint32_t sacked_to = 12;
  auto dup = [&]() {
    clock.advance(std::chrono::microseconds(20));
    Repr d = seg(flags({Flag::Ack}), 1, 1 + 10 * 1460);
    d.options.sack.push_back({kIss + 1 + 11 * 1460, kIss + 1 + sacked_to++ * 1460});
    return data_segments(input(d));
  };
  // Three segments SACKed above 10: RACK calls it lost, recovery starts, 10 goes.
  dup();
  dup();
  r = dup();
  ASSERT_TRUE(conn->congestion().in_recovery());
  ASSERT_TRUE(contains(r, 10));
  EXPECT_EQ(conn->congestion().ssthresh(), 10u * 1460);
  size_t fresh = 0;
  for (int i = 0; i < 8; ++i)
    for (uint32_t s : dup())
      fresh += s >= 30;
  EXPECT_GE(fresh, 3u) << "no proportional sending while the pipe was above ssthresh";
  EXPECT_LE(fresh, 5u) << "more than one new segment for every two delivered";
}

TEST_F(ConnFixture, RackLooksAgainOnAnAckThatDeliversNothingNew) {
  // Segment 0 goes 1 us before segments 1..9. Segment 1 is SACKed 10 us later: within the
  // reordering window (a quarter of the minimum RTT, 2.5 us here) of segment 0, which may yet
  // arrive. A repeat of that ACK 9 us on delivers nothing new, but the window is over by then:
  // segment 0 is lost (RFC 8985 6.2 runs on every ACK).
  ASSERT_NO_FATAL_FAILURE(one_then_nine());
  const Repr d = sack_of_segment_1();
  clock.advance(std::chrono::microseconds(10));
  EXPECT_FALSE(contains(data_segments(input(d)), 0));
  EXPECT_EQ(conn->stats().rack_lost, 0u);
  clock.advance(std::chrono::microseconds(9));
  EXPECT_TRUE(contains(data_segments(input(d)), 0));
  EXPECT_EQ(conn->stats().rack_lost, 1u);
  EXPECT_TRUE(conn->congestion().in_recovery());
}

TEST_F(ConnFixture, TheReorderingTimerFindsALossWhenNoOtherAckComes) {
  // As above, segment 1 is SACKed while segment 0 may still be on its way; but no other ACK
  // comes. RACK's reordering timer (RFC 8985 6.2) looks again once segment 0's window has
  // passed, finds it lost and starts the recovery: neither the probe (2 ms) nor the RTO waits.
  const Instant sent0 = clock.now();
  ASSERT_NO_FATAL_FAILURE(one_then_nine());
  clock.advance(std::chrono::microseconds(10));
  const Repr d = sack_of_segment_1();
  ASSERT_FALSE(contains(data_segments(input(d)), 0));
  const auto* rt = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->then, tcp::timer::Retransmit::Then::Reorder);
  // Segment 0's time + RACK.rtt (10 us, from segment 1) + the window (min RTT / 4).
  const Duration reo_wnd = conn->rack().reordering_window(false, conn->rtt().srtt());
  EXPECT_EQ(rt->at, sent0 + std::chrono::microseconds(10) + reo_wnd);
  const tcp::ConnectionRow row = tcp::connection_row(1, *conn, clock.now());
  EXPECT_EQ(tcp::to_string(row.timer), "reorder");

  EXPECT_TRUE(contains(data_segments(advance_to_deadline()), 0));
  EXPECT_EQ(conn->stats().rack_lost, 1u);
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  EXPECT_EQ(conn->stats().timeouts, 0u);
  EXPECT_TRUE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->congestion().ssthresh(), 5u * 1460);  // half of the ten in flight
  // The timer is a probe again: if the recovery's ACKs are lost, it asks for another.
  rt = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->then, tcp::timer::Retransmit::Then::Probe);
  EXPECT_LT(rt->at, clock.now() + conn->rtt().rto());
}

TEST_F(ConnFixture, AReorderingTimerSetByTheAckThatStartsARecoveryLeavesAProbeArmed) {
  // Segment 0 goes at 0 us, 1 at 5 us, 2..9 at 6 us. At 13 us an ACK SACKs 2 and 3: segment 0
  // is lost (its window ended at 9.5 us) and a recovery starts; segment 1's window runs to
  // 14.5 us, so the reordering timer takes the place of the probe armed with the flight. When
  // it fires (and finds segment 1 lost) the probe is armed again, though a recovery is on: the
  // recovery's one last ACK may be lost (see ATailLossProbeArmedBeforeARecoveryStillGoesDuringIt).
  established_with_sack();
  send_app(pattern(1460));
  ASSERT_EQ(data_segments(flush()).size(), 1u);
  clock.advance(std::chrono::microseconds(5));
  send_app(pattern(1460));
  ASSERT_EQ(data_segments(flush()).size(), 1u);
  clock.advance(std::chrono::microseconds(1));
  send_app(pattern(1460 * 8));
  ASSERT_EQ(data_segments(flush()).size(), 8u);
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 2 * 1460, kIss + 1 + 4 * 1460});
  clock.advance(std::chrono::microseconds(7));
  const auto first = data_segments(input(d));
  ASSERT_TRUE(contains(first, 0));
  ASSERT_FALSE(contains(first, 1));
  ASSERT_TRUE(conn->congestion().in_recovery());
  const auto* rt = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(rt, nullptr);
  ASSERT_EQ(rt->then, tcp::timer::Retransmit::Then::Reorder);
  advance_to_deadline();  // (PRR holds segment 1's resend for the next ACK: 2 delivered, 1 out)
  EXPECT_EQ(conn->stats().rack_lost, 2u);
  rt = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->then, tcp::timer::Retransmit::Then::Probe);
  advance_to_deadline();
  EXPECT_EQ(conn->stats().timeouts, 0u);
}

TEST_F(ConnFixture, AfterTimeoutsARackRecoveryLeavesTheResendingToGoBackN) {
  // Two timeouts in a row leave SND.NXT one segment past SND.UNA, and `recover` there. An ACK
  // for that segment SACKs 3..9: RACK finds 1 and 2 lost and a recovery starts, while the
  // timeout's resending from SND.NXT is under way. Each of 1 and 2 goes once, not once by
  // each.
  established_with_sack();
  send_app(pattern(1460 * 10));
  ASSERT_EQ(data_segments(flush()).size(), 10u);
  for (int i = 0; i < 6 && conn->stats().timeouts < 2; ++i)
    advance_to_deadline();  // the tail loss probe, then the retransmission timer, twice
  ASSERT_EQ(conn->stats().timeouts, 2u);
  clock.advance(std::chrono::microseconds(100));
  Repr d = seg(flags({Flag::Ack}), 1, 1 + 1460);
  d.options.sack.push_back({kIss + 1 + 3 * 1460, kIss + 1 + 10 * 1460});
  auto r = data_segments(input(d));
  for (uint32_t s : data_segments(flush()))
    r.push_back(s);
  for (int i = 0; i < 4; ++i) {
    clock.advance(std::chrono::microseconds(100));
    Repr x = seg(flags({Flag::Ack}), 1, 1 + 1460);
    x.options.sack.push_back({kIss + 1 + 3 * 1460, kIss + 1 + 10 * 1460});
    for (uint32_t s : data_segments(input(x)))
      r.push_back(s);
  }
  EXPECT_EQ(std::count(r.begin(), r.end(), 1u), 1) << "segment 1 went twice";
  EXPECT_LE(std::count(r.begin(), r.end(), 2u), 1) << "segment 2 went twice";
}

TEST_F(ConnFixture, ATailLossProbeArmedBeforeARecoveryStillGoesDuringIt) {
  // Deliberately against RFC 8985 7.2's SHOULD (see process_ack): the probe timer, armed when
  // the flight went, stays when a duplicate starts the recovery. If the peer's one ACK for the
  // whole flight is lost, the probe, not the RTO, brings another.
  established_with_sack();
  send_app(pattern(1460 * 10));
  flush();
  const auto* armed = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(armed, nullptr);
  const Instant probe_at = armed->at;
  ASSERT_LT(probe_at, clock.now() + conn->rtt().rto()) << "no probe armed";
  clock.advance(std::chrono::microseconds(100));
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 5 * 1460});
  ASSERT_TRUE(contains(data_segments(input(d)), 0));
  ASSERT_TRUE(conn->congestion().in_recovery());
  const auto* rt = std::get_if<tcp::timer::Retransmit>(&conn->timer());
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->at, probe_at);
  advance_to_deadline();
  EXPECT_EQ(conn->stats().timeouts, 0u);
  EXPECT_EQ(conn->stats().retransmits, 2u);  // the fast retransmission and the probe
}

TEST_F(ConnFixture, RackStartsRecoveryOnAnAckOfNewData) {
  // RFC 8985 6.2 on an ACK that moves SND.UNA: its SACK block shows segment 6 arrived, sent
  // after segment 5, which is missing. Recovery starts there, without duplicates.
  established_with_sack();
  send_app(pattern(1460 * 10));
  flush();
  clock.advance(std::chrono::milliseconds(1));
  Repr d = seg(flags({Flag::Ack}), 1, 1 + 5 * 1460);
  d.options.sack.push_back({kIss + 1 + 6 * 1460, kIss + 1 + 10 * 1460});
  const auto r = data_segments(input(d));
  EXPECT_TRUE(conn->congestion().in_recovery());
  EXPECT_TRUE(contains(r, 5));
  EXPECT_EQ(conn->stats().dup_acks_in, 0u);
  EXPECT_EQ(conn->stats().fast_retransmits, 1u);
  // NewReno halved what was in flight (10 segments), and cwnd is ssthresh (RFC 6675 5).
  EXPECT_EQ(conn->congestion().ssthresh(), 5u * 1460);
  EXPECT_EQ(conn->congestion().cwnd(), 5u * 1460);
}

TEST_F(ConnFixture, WithBbrDuringRecoveryTheSendBufferHoldsWhatIsOutstandingAndAWindowMore) {
  // A hole holds SND.UNA back while SACKed data piles up behind it: with BBR, whose window the
  // loss leaves as it was, the buffer grows to keep a window of new data beside all that, so
  // recovery can go on sending. NewReno's stays at two windows, grown only as SND.UNA moves.
  for (const char* cc : {"bbr", "newreno"}) {
    config.congestion_control = cc;
    config.sndbuf = 16 * 1460;
    config.sndbuf_max = 1 << 22;
    established_with_sack();
    send_app(pattern(16 * 1460));
    flush();
    Repr d = seg(flags({Flag::Ack}), 1, 1);
    d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 10 * 1460});
    input(d);
    ASSERT_TRUE(conn->congestion().in_recovery()) << cc;
    const size_t outstanding = conn->bytes_in_flight();
    const size_t window = std::min<size_t>(conn->congestion().cwnd(), 65535);
    if (std::string_view(cc) == "bbr") {
      EXPECT_GE(conn->sndbuf(), outstanding + window);
    } else {
      EXPECT_EQ(conn->sndbuf(), 16 * 1460u) << "no ACK has moved SND.UNA yet";
    }
  }
}

TEST_F(ConnFixture, WithBbrLossKeepsTheWindowWhereNewRenoHalvesIt) {
  // The same loss, one segment of a full flight, under both algorithms: NewReno's cwnd after
  // recovery is half the flight (RFC 5681 3.2), BBR's what it was (packet conservation for the
  // round, then its model's window).
  size_t after[2] = {};
  for (int i = 0; i < 2; ++i) {
    config.congestion_control = i == 0 ? "newreno" : "bbr";
    established_with_sack();
    ASSERT_EQ(conn->congestion().name(), config.congestion_control);
    send_app(pattern(1460 * 150));
    flush();
    uint32_t acked = 0;  // segments acknowledged so far
    // Slow start for a few round trips: every segment ACKed, each ACK 100 us after the last.
    for (int round = 0; round < 4; ++round) {
      const uint32_t upto = static_cast<uint32_t>(conn->bytes_in_flight() / 1460) + acked;
      for (; acked < upto; ++acked) {
        clock.advance(std::chrono::microseconds(100));
        input(seg(flags({Flag::Ack}), 1, 1 + (acked + 1) * 1460));
      }
    }
    const size_t before = conn->congestion().cwnd();
    // The next segment is lost; the rest of the flight is SACKed, then the resend arrives.
    const uint32_t hole = acked,
                   top = acked + static_cast<uint32_t>(conn->bytes_in_flight() / 1460);
    for (uint32_t k = hole + 2; k <= top; ++k) {
      clock.advance(std::chrono::microseconds(100));
      Repr d = seg(flags({Flag::Ack}), 1, 1 + hole * 1460);
      d.options.sack.push_back({kIss + 1 + (hole + 1) * 1460, kIss + 1 + k * 1460});
      input(d);
    }
    ASSERT_TRUE(conn->congestion().in_recovery());
    clock.advance(std::chrono::microseconds(100));
    const uint32_t high = static_cast<uint32_t>((conn->bytes_in_flight() / 1460)) + hole;
    input(seg(flags({Flag::Ack}), 1, 1 + high * 1460));
    EXPECT_FALSE(conn->congestion().in_recovery());
    after[i] = conn->congestion().cwnd();
    EXPECT_GT(before, 20 * 1460u);
    if (i == 0) {
      EXPECT_LE(after[i], before / 2 + 1460) << "newreno";
    } else {
      EXPECT_GT(after[i], 3 * before / 4) << "bbr";
    }
  }
  EXPECT_GT(after[1], after[0]);
}

TEST_F(ConnFixture, WithSackALossRightAfterARecoveryStartsTheNextOne) {
  // RFC 6675 5.1: once HighACK reaches RecoveryPoint a new recovery may start. The first segment
  // sent after the last recovery began is lost: its duplicates (ACK = the old RecoveryPoint + 1)
  // must start a fast retransmit, not wait for the timer (RFC 6582's stricter "more than recover"
  // is for connections without SACK).
  established_with_sack();
  send_app(pattern(1460 * 60));
  const auto first = flush();
  ASSERT_EQ(first.size(), 10u);
  const uint32_t recovery_point = 10 * 1460;  // everything sent when the first loss is seen
  Repr d = seg(flags({Flag::Ack}), 1, 1);
  d.options.sack.push_back({kIss + 1 + 1460, kIss + 1 + 5 * 1460});
  input(d);
  ASSERT_TRUE(conn->congestion().in_recovery());
  // The full ACK: everything up to the recovery point arrived.
  input(seg(flags({Flag::Ack}), 1, 1 + recovery_point));
  flush();
  ASSERT_FALSE(conn->congestion().in_recovery());
  // cwnd = ssthresh on leaving (RFC 6582 option 2 with SACK), not two segments.
  EXPECT_EQ(conn->congestion().cwnd(), conn->congestion().ssthresh());
  // The segment at the old recovery point is lost; three segments after it are SACKed.
  Repr dup = seg(flags({Flag::Ack}), 1, 1 + recovery_point);
  dup.options.sack.push_back(
      {kIss + 1 + recovery_point + 1460, kIss + 1 + recovery_point + 4 * 1460});
  const auto r = input(dup);
  bool resent = false;
  for (const auto& x : r)
    resent |= x.h.seq == kIss + 1 + recovery_point && !x.payload.empty();
  EXPECT_TRUE(resent);
  EXPECT_EQ(conn->stats().fast_retransmits, 2u);
}

TEST_F(ConnFixture, ActiveCloseThroughTimeWait) {
  established();
  conn->close(clock.now(), out);
  auto r = out.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].h.flags.fin());
  EXPECT_EQ(conn->state(), State::FinWait1);
  input(seg(flags({Flag::Ack}), 1, 2));
  EXPECT_EQ(conn->state(), State::FinWait2);
  r = input(seg(flags({Flag::Fin, Flag::Ack}), 1, 2));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.ack, kIrs + 2);
  EXPECT_EQ(conn->state(), State::TimeWait);
  // A retransmitted FIN is acknowledged again (RFC 9293 3.10.7.4 TIME-WAIT).
  EXPECT_EQ(input(seg(flags({Flag::Fin, Flag::Ack}), 1, 2)).size(), 1u);
  EXPECT_EQ(*conn->poll_at(), clock.now() + 2 * config.msl);
  advance_to_deadline();
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->error(), 0);
}

TEST_F(ConnFixture, PassiveCloseThroughLastAck) {
  established();
  auto r = input(seg(flags({Flag::Fin, Flag::Ack}), 1, 1));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(conn->state(), State::CloseWait);
  EXPECT_TRUE(conn->at_eof());
  conn->close(clock.now(), out);
  r = out.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].h.flags.fin());
  EXPECT_EQ(conn->state(), State::LastAck);
  input(seg(flags({Flag::Ack}), 2, 2));
  EXPECT_EQ(conn->state(), State::Closed);
}

TEST_F(ConnFixture, SimultaneousClose) {
  established();
  conn->close(clock.now(), out);
  out.take();
  input(seg(flags({Flag::Fin, Flag::Ack}), 1, 1));  // their FIN, not acking ours
  EXPECT_EQ(conn->state(), State::Closing);
  input(seg(flags({Flag::Ack}), 2, 2));
  EXPECT_EQ(conn->state(), State::TimeWait);
}

TEST_F(ConnFixture, CloseWithUnreadDataSendsReset) {
  // RFC 9293 3.10.4 / RFC 1122 4.2.2.13.
  established();
  input(seg(flags({Flag::Ack}), 1, 1), pattern(10));
  out.take();
  conn->close(clock.now(), out);
  auto r = out.take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].h.flags.rst());
  EXPECT_EQ(conn->state(), State::Closed);
}

TEST_F(ConnFixture, PawsDropsOldTimestamps) {
  // RFC 7323 5.3.
  config.timestamps = true;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
  synack.options.timestamps = wire::tcp::Timestamps{1000, 0};
  input(synack);
  ASSERT_TRUE(conn->timestamps_enabled());
  Repr old = seg(flags({Flag::Ack}), 1, 1);
  old.options.timestamps = wire::tcp::Timestamps{999, 0};
  auto r = input(old, pattern(10));
  ASSERT_EQ(r.size(), 1u);  // an ACK, and the data dropped
  EXPECT_EQ(conn->recv_queued(), 0u);
  Repr fresh = seg(flags({Flag::Ack}), 1, 1);
  fresh.options.timestamps = wire::tcp::Timestamps{1001, 0};
  input(fresh, pattern(10));
  EXPECT_EQ(conn->recv_queued(), 10u);
}

TEST_F(ConnFixture, RoundTripsBelowTheTimestampTickAreTimedByTheClock) {
  // RFC 7323 4.1 samples come from TSecr, in our clock's millisecond ticks; a 0.1 ms round trip
  // (a TUN device) reads 0 or 1 tick, so the segment timed by the clock gives the sample.
  config.timestamps = true;
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  const auto syn = out.take();
  ASSERT_EQ(syn.size(), 1u);
  Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
  synack.options.timestamps = wire::tcp::Timestamps{1000, syn[0].h.options.timestamps->tsval};
  synack.options.mss = 1460;
  clock.advance(std::chrono::microseconds(100));
  input(synack);
  ASSERT_TRUE(conn->timestamps_enabled());
  for (int i = 0; i < 8; ++i) {
    send_app(pattern(1000));
    const auto r = flush();
    ASSERT_FALSE(r.empty());
    ASSERT_EQ(r.back().payload.size(), 1000u);
    clock.advance(std::chrono::microseconds(100));
    Repr ack = seg(flags({Flag::Ack}), 1, 1 + (i + 1) * 1000);
    ack.options.timestamps = wire::tcp::Timestamps{1001, r.back().h.options.timestamps->tsval};
    input(ack);
  }
  ASSERT_TRUE(conn->rtt().srtt().has_value());
  EXPECT_EQ(*conn->rtt().srtt(), std::chrono::microseconds(100));
}

TEST_F(ConnFixture, KeepAliveProbesThenTimesOut) {
  config.keepalive_idle = std::chrono::seconds(10);
  config.keepalive_interval = std::chrono::seconds(1);
  config.keepalive_probes = 3;
  established();
  conn->set_keepalive(true, clock.now());
  for (int i = 0; i < 3; ++i) {
    auto r = advance_to_deadline();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].h.seq, kIss);  // RFC 1122 4.2.3.6: SND.NXT - 1, no data
    EXPECT_TRUE(r[0].payload.empty());
  }
  advance_to_deadline();
  EXPECT_EQ(conn->state(), State::Closed);
  EXPECT_EQ(conn->take_error(), ETIMEDOUT);
}

TEST_F(ConnFixture, WindowScaleAppliesToThePeersWindow) {
  conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
  conn->open(clock.now(), out);
  out.take();
  Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1, 1000);
  synack.options.window_scale = 4;
  input(synack);
  EXPECT_EQ(conn->snd_wnd(), 1000u);  // RFC 7323 2.2: a SYN's window is not scaled
  input(seg(flags({Flag::Ack}), 1, 1, 1000));
  EXPECT_EQ(conn->snd_wnd(), 16000u);
}

// With SACK and timestamps (segments of 1448 bytes), a flight acknowledged, then a flight of
// ten segments whose ACKs are all lost: the probe goes, its answer is lost too, and the
// retransmission timer fires. Returns the TSvals of the flight and of the timeout's
// retransmission, and the congestion state before.
struct TimedOut {
  uint32_t flight_ts, retransmit_ts;
  size_t cwnd_before, ssthresh_before;
};

class SpuriousRtoFixture : public ConnFixture {
 protected:
  void SetUp() override { config.timestamps = true; }
  // Established with timestamps and SACK, and a first flight acknowledged: SRTT is known and
  // cwnd has grown.
  void established_after_one_flight() {
    conn = std::make_unique<Connection>(config, kTuple, Seq(kIss), 1500);
    conn->open(clock.now(), out);
    const auto syn = out.take();
    Repr synack = seg(flags({Flag::Syn, Flag::Ack}), 0, 1);
    synack.options.mss = 1460;
    synack.options.sack_permitted = true;
    synack.options.timestamps = wire::tcp::Timestamps{1000, syn.at(0).h.options.timestamps->tsval};
    clock.advance(std::chrono::microseconds(100));
    input(synack);
    EXPECT_TRUE(conn->timestamps_enabled());
    send_app(pattern(1448 * 10));
    auto first = flush();
    clock.advance(std::chrono::milliseconds(5));
    Repr a = seg(flags({Flag::Ack}), 1, conn->snd_max().value() - kIss);
    a.options.timestamps = wire::tcp::Timestamps{1001, first.back().h.options.timestamps->tsval};
    input(a);
  }
  TimedOut flight_then_timeout() {
    TimedOut t{};
    established_after_one_flight();
    send_app(pattern(1448 * 10));
    const auto sent = flush();
    EXPECT_FALSE(sent.empty());
    t.flight_ts = sent.back().h.options.timestamps->tsval;
    t.cwnd_before = conn->congestion().cwnd();
    t.ssthresh_before = conn->congestion().ssthresh();
    for (int i = 0; i < 4 && conn->stats().timeouts == 0; ++i) {
      const auto r = advance_to_deadline();
      if (conn->stats().timeouts == 1 && !r.empty())
        t.retransmit_ts = r.front().h.options.timestamps->tsval;
    }
    EXPECT_EQ(conn->stats().timeouts, 1u);
    EXPECT_NE(t.retransmit_ts, t.flight_ts);
    return t;
  }
  // The peer's ACK of everything sent but the last `short_by` bytes, echoing `tsecr`.
  std::vector<Sent> ack_all(uint32_t tsecr, uint32_t short_by = 0) {
    Repr a = seg(flags({Flag::Ack}), 1, conn->snd_max().value() - kIss - short_by);
    a.options.timestamps = wire::tcp::Timestamps{2000, tsecr};
    return input(a);
  }
};

TEST_F(SpuriousRtoFixture, AnAckEchoingTheOriginalUndoesTheTimeout) {
  // RFC 3522: the first ACK after the timeout echoes the flight's TSval, older than the
  // retransmission's: the flight had arrived, only its ACKs were lost. RFC 4015: ssthresh goes
  // back to what was in flight (or ssthresh) before, cwnd to FlightSize + min(acked, IW), and
  // sending goes on with new data, not by resending from SND.UNA.
  const TimedOut t = flight_then_timeout();
  ASSERT_EQ(conn->congestion().cwnd(), 1448u);  // the loss window (RFC 5681 3.1)
  const Seq sent_before = conn->snd_max();
  const auto srtt_before = conn->rtt().srtt();
  send_app(pattern(1448 * 10));  // more to send
  flush();
  clock.advance(std::chrono::microseconds(100));
  // The ACK covers six of the ten: the last four are still on their way.
  const auto r = ack_all(t.flight_ts, 4 * 1448);
  EXPECT_EQ(conn->stats().spurious_timeouts, 1u);
  // pipe_prev: the ten segments in flight (ssthresh was still unbounded: max() keeps that).
  EXPECT_EQ(conn->congestion().ssthresh(), std::max<size_t>(t.ssthresh_before, 10 * 1448));
  EXPECT_EQ(conn->congestion().cwnd(), (4u + 6u) * 1448);  // in flight + min(acked, IW)
  EXPECT_FALSE(conn->congestion().in_recovery());
  // The four are not sent again: what goes is new data, from SND.MAX.
  size_t fresh = 0;
  for (const Sent& s : r) {
    if (s.payload.empty()) continue;
    EXPECT_GE(Seq(s.h.seq), sent_before) << "resent what is on its way";
    ++fresh;
  }
  EXPECT_GT(fresh, 0u);
  // The echo's age is the timer's wait, not a round trip: no sample was taken from it.
  EXPECT_EQ(conn->rtt().srtt(), srtt_before);
}

TEST_F(SpuriousRtoFixture, AnAckEchoingTheRetransmissionLeavesTheTimeoutsReduction) {
  // The retransmission filled the hole (the peer echoes its TSval): the timeout was real.
  const TimedOut t = flight_then_timeout();
  clock.advance(std::chrono::microseconds(100));
  ack_all(t.retransmit_ts);
  EXPECT_EQ(conn->stats().spurious_timeouts, 0u);
  EXPECT_EQ(conn->congestion().ssthresh(), 5u * 1448);  // half the ten in flight (RFC 5681)
  EXPECT_LT(conn->congestion().cwnd(), 10u * 1448);
}

// A second flight of ten segments goes out after a first one was acknowledged (timestamps and
// SACK on), and segment 0 of it is late: the peer SACKs 1..3, RACK finds 0 lost and resends it.
struct LateSegment {
  Seq base;            // segment 0's first byte
  uint32_t flight_ts;  // the TSval the flight went with
  size_t cwnd_before, ssthresh_before;
};

class LateSegmentFixture : public SpuriousRtoFixture {
 protected:
  static constexpr uint32_t kSeg = 1448;
  LateSegment late_first_segment() {
    LateSegment l{};
    established_after_one_flight();
    l.cwnd_before = conn->congestion().cwnd();
    l.ssthresh_before = conn->congestion().ssthresh();
    l.base = conn->snd_una();
    send_app(pattern(kSeg * 10));
    const auto sent = flush();
    EXPECT_EQ(sent.size(), 10u);
    l.flight_ts = sent.front().h.options.timestamps->tsval;
    clock.advance(std::chrono::milliseconds(3));
    Repr d = ack(l.base, 1002, l.flight_ts);
    d.options.sack.push_back({(l.base + kSeg).value(), (l.base + 4 * kSeg).value()});
    const auto r = input(d);
    EXPECT_EQ(r.size(), 1u);
    EXPECT_EQ(r.at(0).h.seq, l.base.value()) << "segment 0 resent";
    EXPECT_TRUE(conn->congestion().in_recovery());
    return l;
  }
  Repr ack(Seq to, uint32_t tsval, uint32_t tsecr) {
    Repr a = seg(flags({Flag::Ack}), 1, to.value() - kIss);
    a.options.timestamps = wire::tcp::Timestamps{tsval, tsecr};
    return a;
  }
};

TEST_F(LateSegmentFixture, AnAckForTheOriginalOfAResendDoesNotDateTheResend) {
  // RFC 8985 6.2 step 2: the late original arrives 3 ms after the resend (more than the
  // minimum RTT, 0.1 ms, so that check cannot tell) and the peer's ACK echoes the original's
  // TSval. Taken for the resend's ACK, it would date 4..9, sent before the resend, as lost.
  const LateSegment l = late_first_segment();
  clock.advance(std::chrono::milliseconds(3));
  const auto r = input(ack(l.base + 4 * kSeg, 1003, l.flight_ts));
  EXPECT_TRUE(r.empty()) << "segments 4..9 resent";
  EXPECT_EQ(conn->stats().rack_lost, 1u);
  EXPECT_EQ(conn->stats().retransmits, 1u);
}

TEST_F(LateSegmentFixture, ARecoveryWhoseResendsAllComeBackAsDuplicatesIsUndone) {
  // RFC 3708: the recovery ends, then the peer reports the resend of segment 0 as a duplicate
  // (D-SACK): its original had arrived, nothing was lost. cwnd and ssthresh come back.
  const LateSegment l = late_first_segment();
  EXPECT_LT(conn->congestion().cwnd(), l.cwnd_before);
  clock.advance(std::chrono::milliseconds(3));
  input(ack(l.base + 10 * kSeg, 1003, l.flight_ts));
  ASSERT_FALSE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->stats().spurious_recoveries, 0u) << "before the peer said so";
  EXPECT_LT(conn->congestion().cwnd(), l.cwnd_before);
  Repr d = ack(l.base + 10 * kSeg, 1004, l.flight_ts);
  d.options.sack.push_back({l.base.value(), (l.base + kSeg).value()});
  input(d);
  EXPECT_EQ(conn->stats().dsacks_in, 1u);
  EXPECT_EQ(conn->stats().spurious_recoveries, 1u);
  EXPECT_GE(conn->congestion().cwnd(), l.cwnd_before);
  EXPECT_EQ(conn->congestion().ssthresh(), l.ssthresh_before);
  // Once only.
  input(d);
  EXPECT_EQ(conn->stats().spurious_recoveries, 1u);
}

TEST_F(LateSegmentFixture, ADuplicateReportedDuringTheRecoveryWaitsForItsEnd) {
  const LateSegment l = late_first_segment();
  clock.advance(std::chrono::milliseconds(3));
  Repr d = ack(l.base + 4 * kSeg, 1003, l.flight_ts);
  d.options.sack.push_back({l.base.value(), (l.base + kSeg).value()});
  input(d);
  EXPECT_TRUE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->stats().spurious_recoveries, 0u);
  input(ack(l.base + 10 * kSeg, 1004, l.flight_ts));
  EXPECT_FALSE(conn->congestion().in_recovery());
  EXPECT_EQ(conn->stats().spurious_recoveries, 1u);
  EXPECT_GE(conn->congestion().cwnd(), l.cwnd_before);
}

TEST_F(LateSegmentFixture, ARecoveryWithAResendNotReportedAsADuplicateStands) {
  // Segment 0 was lost: the resend filled the hole, no D-SACK comes, and a duplicate of some
  // other data (below, not resent by this recovery) says nothing about it.
  const LateSegment l = late_first_segment();
  const size_t reduced = conn->congestion().ssthresh();
  clock.advance(std::chrono::milliseconds(3));
  input(ack(l.base + 10 * kSeg, 1003, l.flight_ts + 3));
  ASSERT_FALSE(conn->congestion().in_recovery());
  Repr d = ack(l.base + 10 * kSeg, 1004, l.flight_ts + 3);
  d.options.sack.push_back({(l.base - kSeg).value(), l.base.value()});
  input(d);
  EXPECT_EQ(conn->stats().dsacks_in, 1u);
  EXPECT_EQ(conn->stats().spurious_recoveries, 0u);
  EXPECT_EQ(conn->congestion().ssthresh(), reduced);
}

}  // namespace
}  // namespace tundra::tcp
