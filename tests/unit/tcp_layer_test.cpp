// The TCP layer on a Stack: resets for segments to no connection (RFC 9293 3.10.7.1), LISTEN's
// rules (3.10.7.2), one connection per 4-tuple, the cap on TIME-WAIT entries, and the layer's
// counters.
#include <gtest/gtest.h>

#include <cerrno>

#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

using wire::tcp::Flag;
using wire::tcp::Flags;

const ipv4::Address kUs(10, 0, 0, 2), kPeer(10, 0, 0, 1);

class TcpLayer : public ::testing::Test {
 protected:
  TcpLayer() : stack(link, config()) {}
  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{kUs, 24};
    c.seed = 9;
    c.tcp.max_time_wait = 3;
    c.tcp.msl = std::chrono::seconds(1);
    return c;
  }
  Bytes segment(wire::tcp::Repr r, const Bytes& payload = {}) {
    r.payload_len = payload.size();
    Bytes seg(r.header_len() + payload.size());
    std::copy(payload.begin(), payload.end(), seg.begin() + long(r.header_len()));
    r.emit(seg, kPeer, kUs);
    return ip_datagram(ip_header(kPeer, kUs, ipv4::Protocol::Tcp), seg);
  }
  std::vector<wire::tcp::Repr> send(Bytes d) {
    link.inject(std::move(d));
    stack.poll(clock.now());
    std::vector<wire::tcp::Repr> out;
    for (auto& s : link.take_sent()) {
      auto r = wire::tcp::Repr::parse(std::span(s).subspan(20), kUs, kPeer);
      EXPECT_TRUE(r.ok());
      if (r) out.push_back(*r);
    }
    return out;
  }
  wire::tcp::Repr tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, Flags f) {
    wire::tcp::Repr r{};
    r.src_port = sport;
    r.dst_port = dport;
    r.seq = seq;
    r.ack = ack;
    r.flags = f;
    r.window = 65535;
    return r;
  }

  // The TCP layer's counter `label`, as tundra-ctl stats reports it.
  uint64_t counter(const std::string& label) {
    CounterReport r;
    stack.tcp().report(r);
    for (const auto& g : r)
      for (const auto& [l, v] : g.values)
        if (l == label) return v;
    ADD_FAILURE() << "no counter " << label;
    return 0;
  }

  SimClock clock;
  CaptureLink link;
  Stack stack;
};

TEST_F(TcpLayer, ClosedPortWithoutAckGetsRstAck) {
  auto r = send(segment(tcp(40000, 81, 1000, 0, Flags(Flag::Syn)), pattern(5)));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, Flags(Flag::Rst) | Flags(Flag::Ack));
  EXPECT_EQ(r[0].seq, 0u);
  EXPECT_EQ(r[0].ack, 1000u + 5 + 1);  // SEG.SEQ + SEG.LEN, the SYN counted
  EXPECT_EQ(stack.tcp().counters().no_connection, 1u);
}

TEST_F(TcpLayer, ClosedPortWithAckGetsRstAtTheirAck) {
  auto r = send(segment(tcp(40000, 81, 1000, 777, Flags(Flag::Ack))));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, Flags(Flag::Rst));
  EXPECT_EQ(r[0].seq, 777u);
}

TEST_F(TcpLayer, ResetIsNeverAnsweredWithReset) {
  EXPECT_TRUE(send(segment(tcp(40000, 81, 1000, 0, Flags(Flag::Rst)))).empty());
}

TEST_F(TcpLayer, ListenAnswersSynAndResetsStrayAcks) {
  ASSERT_TRUE(stack.tcp().listen(tcp::Endpoint{{}, 80}, 4).ok());
  auto r = send(segment(tcp(40000, 80, 1000, 555, Flags(Flag::Ack))));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, Flags(Flag::Rst));
  EXPECT_EQ(r[0].seq, 555u);
  r = send(segment(tcp(40000, 80, 1000, 0, Flags(Flag::Syn))));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, Flags(Flag::Syn) | Flags(Flag::Ack));
  EXPECT_EQ(r[0].ack, 1001u);
  EXPECT_EQ(stack.tcp().listen(tcp::Endpoint{{}, 80}, 4).error(), EADDRINUSE);
}

TEST_F(TcpLayer, OneConnectionPerFourTuple) {
  auto a = stack.tcp().connect(tcp::Endpoint{kUs, 5000}, tcp::Endpoint{kPeer, 80}, clock.now());
  ASSERT_TRUE(a.ok());
  auto b = stack.tcp().connect(tcp::Endpoint{kUs, 5000}, tcp::Endpoint{kPeer, 80}, clock.now());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), EADDRINUSE);
  // The same local port to another peer port is another 4-tuple.
  EXPECT_TRUE(
      stack.tcp().connect(tcp::Endpoint{kUs, 5000}, tcp::Endpoint{kPeer, 81}, clock.now()).ok());
}

TEST_F(TcpLayer, TimeWaitEntriesAreCapped) {
  // Four connections closed actively, each into TIME-WAIT; the cap of 3 recycles the oldest.
  for (uint16_t i = 0; i < 4; ++i) {
    auto id = stack.tcp().connect(tcp::Endpoint{kUs, uint16_t(6000 + i)}, tcp::Endpoint{kPeer, 80},
                                  clock.now());
    ASSERT_TRUE(id.ok());
    stack.poll(clock.now());
    auto syn = link.take_sent();
    ASSERT_EQ(syn.size(), 1u);
    auto s = wire::tcp::Repr::parse(std::span(syn[0]).subspan(20), kUs, kPeer);
    const uint32_t iss = s->seq;
    send(segment(tcp(80, uint16_t(6000 + i), 9000, iss + 1, Flags(Flag::Syn) | Flags(Flag::Ack))));
    stack.tcp().release(*id, false, clock.now());  // FIN
    stack.poll(clock.now());
    link.take_sent();
    send(segment(tcp(80, uint16_t(6000 + i), 9001, iss + 2, Flags(Flag::Fin) | Flags(Flag::Ack))));
    EXPECT_LE(stack.tcp().time_wait_count(), 3u);
  }
  EXPECT_EQ(stack.tcp().counters().time_wait_recycled, 1u);
  // 2·MSL later everything is gone.
  clock.advance(std::chrono::seconds(3));
  stack.poll(clock.now());
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
  EXPECT_EQ(stack.tcp().time_wait_count(), 0u);
}

TEST_F(TcpLayer, AFinishedConnectionTheApplicationHoldsIsCountedOnce) {
  // The SYN goes unanswered until its timer fires (one timeout, one retransmission); then the
  // peer resets the connection while the application still holds it. Its stats are folded into
  // the layer's when it finishes, and it stays in the table until released: counted once.
  auto id = stack.tcp().connect(tcp::Endpoint{kUs, 7000}, tcp::Endpoint{kPeer, 80}, clock.now());
  ASSERT_TRUE(id.ok());
  stack.poll(clock.now());
  auto syn = link.take_sent();
  ASSERT_EQ(syn.size(), 1u);
  const uint32_t iss = wire::tcp::Repr::parse(std::span(syn[0]).subspan(20), kUs, kPeer)->seq;
  clock.advance(std::chrono::seconds(2));
  stack.poll(clock.now());
  ASSERT_EQ(link.take_sent().size(), 1u);  // the SYN again
  send(segment(tcp(80, 7000, 9000, iss + 1, Flags(Flag::Syn) | Flags(Flag::Ack))));
  send(segment(tcp(80, 7000, 9001, 0, Flags(Flag::Rst))));
  ASSERT_EQ(stack.tcp().connection_count(), 1u);  // held by the application
  EXPECT_EQ(counter("segments retransmitted"), 1u);
  EXPECT_EQ(counter("retransmission timeouts"), 1u);
  // Later events on the finished connection do not fold it again.
  stack.poll(clock.now());
  EXPECT_EQ(counter("segments retransmitted"), 1u);
  stack.tcp().release(*id, false, clock.now());
  stack.poll(clock.now());
  EXPECT_EQ(stack.tcp().connection_count(), 0u);
  EXPECT_EQ(counter("segments retransmitted"), 1u);
  EXPECT_EQ(counter("retransmission timeouts"), 1u);
}

TEST_F(TcpLayer, ALargeInOrderSegmentIsKeptInItsDatagramNotCopied) {
  auto id = stack.tcp().connect(tcp::Endpoint{kUs, 7100}, tcp::Endpoint{kPeer, 80}, clock.now());
  ASSERT_TRUE(id.ok());
  stack.poll(clock.now());
  auto syn = link.take_sent();
  ASSERT_EQ(syn.size(), 1u);
  const uint32_t iss = wire::tcp::Repr::parse(std::span(syn[0]).subspan(20), kUs, kPeer)->seq;
  send(segment(tcp(80, 7100, 9000, iss + 1, Flags(Flag::Syn) | Flags(Flag::Ack))));
  // 9000 bytes in one datagram (a jumbo frame, or a kernel's coalesced one with offloads), then
  // 500 in another: the first is kept as it came, the second copied.
  Bytes big(9000), small(500);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<std::byte>(i * 7 + 1);
  for (size_t i = 0; i < small.size(); ++i)
    small[i] = static_cast<std::byte>(i * 3 + 2);
  send(segment(tcp(80, 7100, 9001, iss + 1, Flags(Flag::Ack)), big));
  send(segment(tcp(80, 7100, 18001, iss + 1, Flags(Flag::Ack)), small));
  EXPECT_EQ(counter("segments received kept in their datagram (not copied)"), 1u);
  std::vector<std::byte> got(10'000);
  auto* c = stack.tcp().find(*id);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->recv(got), 9500u);
  EXPECT_TRUE(std::equal(big.begin(), big.end(), got.begin()));
  EXPECT_TRUE(std::equal(small.begin(), small.end(), got.begin() + 9000));
}

}  // namespace
}  // namespace tundra::test
