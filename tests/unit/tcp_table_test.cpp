// The connection table (stack/tcp/table.hpp) on real connections: two tundra stacks on an
// in-memory link with a simulated clock; rows carry the numbers the connections hold, sequence
// numbers relative to ISS/IRS, and the listener's queues.
#include "stack/tcp/table.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "netif/memory_link.hpp"
#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kA(10, 0, 0, 1), kB(10, 0, 0, 2);

StackConfig config(ipv4::Address a, uint64_t seed) {
  StackConfig c;
  c.ipv4.address = ipv4::Cidr{a, 24};
  c.seed = seed;
  return c;
}

class TableFixture : public ::testing::Test {
 protected:
  TableFixture()
      : links(netif::MemoryLink::make_pair()),
        a(*links.first, config(kA, 1)),
        b(*links.second, config(kB, 2)) {}

  // Runs both stacks, a millisecond of simulated time a round, until `done` (at most 5000 rounds).
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 5000; ++i) {
      if (done()) return true;
      a.poll(clock.now());
      b.poll(clock.now());
      clock.advance(std::chrono::milliseconds(1));
    }
    return done();
  }

  // A connection from a (client) to b's listener on port 80, accepted.
  void connect() {
    auto l = b.tcp().listen(tcp::Endpoint{{}, 80}, 16);
    ASSERT_TRUE(l.ok());
    listener = *l;
    auto c = a.tcp().connect(std::nullopt, tcp::Endpoint{kB, 80}, clock.now());
    ASSERT_TRUE(c.ok());
    client = *c;
    ASSERT_TRUE(run_until([&] { return b.tcp().acceptable(listener); }));
    server = *b.tcp().accept(listener);
  }

  tcp::Connection& conn(Stack& s, tcp::ConnId id) { return *s.tcp().find(id); }

  SimClock clock;
  std::pair<std::unique_ptr<netif::MemoryLink>, std::unique_ptr<netif::MemoryLink>> links;
  Stack a, b;
  tcp::ListenerId listener = 0;
  tcp::ConnId client = 0, server = 0;
};

TEST_F(TableFixture, RowsCarryTheConnectionsNumbersRelativeToIssAndIrs) {
  const Instant start = clock.now();
  connect();
  const Bytes data = pattern(3000);
  ASSERT_EQ(conn(a, client).send(data), data.size());
  a.tcp().touch(client);
  ASSERT_TRUE(run_until([&] { return conn(b, server).recv_queued() == data.size(); }));
  ASSERT_TRUE(run_until([&] { return conn(a, client).bytes_in_flight() == 0; }));

  const tcp::Table ta = tcp::snapshot(a.tcp(), clock.now());
  ASSERT_EQ(ta.connections.size(), 1u);
  const tcp::ConnectionRow& r = ta.connections[0];
  const tcp::Connection& c = conn(a, client);
  EXPECT_EQ(r.id, client);
  EXPECT_EQ(r.state, tcp::State::Established);
  EXPECT_EQ(r.tuple.local_addr, kA);
  EXPECT_EQ(r.tuple.remote_addr, kB);
  EXPECT_EQ(r.tuple.remote_port, 80);
  EXPECT_EQ(r.iss, c.iss().value());
  ASSERT_TRUE(r.irs.has_value());
  EXPECT_EQ(*r.irs, c.irs().value());
  // Our SYN counts one, then the data.
  EXPECT_EQ(r.snd_una_rel, 1u + data.size());
  EXPECT_EQ(r.snd_nxt_rel, 1u + data.size());
  EXPECT_EQ(r.rcv_nxt_rel, std::optional<uint32_t>(1u));  // the peer's SYN only
  EXPECT_EQ(r.bytes_in_flight, 0u);
  EXPECT_EQ(r.snd_wnd, c.snd_wnd());
  EXPECT_EQ(r.rcv_wnd, c.rcv_wnd());
  EXPECT_EQ(r.mss, c.mss());
  EXPECT_EQ(r.cc, std::string(c.congestion().name()));
  EXPECT_EQ(r.cwnd, c.congestion().cwnd());
  EXPECT_FALSE(r.ssthresh.has_value());  // no loss: still "arbitrarily high"
  ASSERT_TRUE(r.srtt.has_value());       // the handshake and the data were timed
  EXPECT_EQ(*r.srtt, *c.rtt().srtt());
  EXPECT_EQ(r.rto, c.rtt().rto());
  EXPECT_EQ(r.bytes_out, data.size());
  EXPECT_EQ(r.send_queued, 0u);
  EXPECT_EQ(r.age, clock.now() - start);
  EXPECT_EQ(r.sack, c.sack_enabled());
  EXPECT_EQ(r.timestamps, c.timestamps_enabled());

  // The receiving side: its rcv.nxt is the peer's SYN plus the data; the data waits to be read.
  const tcp::Table tb = tcp::snapshot(b.tcp(), clock.now());
  ASSERT_EQ(tb.connections.size(), 1u);
  const tcp::ConnectionRow& s = tb.connections[0];
  EXPECT_EQ(s.rcv_nxt_rel, std::optional<uint32_t>(1u + data.size()));
  EXPECT_EQ(s.snd_una_rel, 1u);
  EXPECT_EQ(s.recv_queued, data.size());
  EXPECT_EQ(s.irs, std::optional<uint32_t>(r.iss));
  EXPECT_EQ(*s.irs, r.iss);
  EXPECT_EQ(s.iss, *r.irs);
}

TEST_F(TableFixture, DataInFlightShowsWithTheRetransmitTimer) {
  connect();
  const Bytes data = pattern(1000);
  ASSERT_EQ(conn(a, client).send(data), data.size());
  a.tcp().touch(client);
  a.poll(clock.now());  // sent, not yet acknowledged: b has not run
  const tcp::Table t = tcp::snapshot(a.tcp(), clock.now());
  ASSERT_EQ(t.connections.size(), 1u);
  const auto& r = t.connections[0];
  EXPECT_EQ(r.bytes_in_flight, data.size());
  EXPECT_EQ(r.snd_nxt_rel - r.snd_una_rel, r.bytes_in_flight);
  EXPECT_EQ(r.timer, tcp::TimerKind::Retransmit);
  ASSERT_TRUE(r.timer_in.has_value());
  EXPECT_GT(*r.timer_in, Duration(0));
  EXPECT_LE(*r.timer_in, r.rto);
}

TEST_F(TableFixture, SynSentHasNoIrsYet) {
  auto c = a.tcp().connect(std::nullopt, tcp::Endpoint{kB, 81}, clock.now());
  ASSERT_TRUE(c.ok());
  a.poll(clock.now());
  const tcp::Table t = tcp::snapshot(a.tcp(), clock.now());
  ASSERT_EQ(t.connections.size(), 1u);
  const auto& r = t.connections[0];
  EXPECT_EQ(r.state, tcp::State::SynSent);
  EXPECT_FALSE(r.irs.has_value());
  EXPECT_FALSE(r.rcv_nxt_rel.has_value());
  EXPECT_EQ(r.snd_una_rel, 0u);
  EXPECT_EQ(r.snd_nxt_rel, 1u);  // the SYN
  EXPECT_FALSE(r.srtt.has_value());
  EXPECT_EQ(r.timer, tcp::TimerKind::Retransmit);
}

TEST_F(TableFixture, ListenerRowsCountTheAcceptQueue) {
  auto l = b.tcp().listen(tcp::Endpoint{{}, 80}, 7);
  ASSERT_TRUE(l.ok());
  auto c1 = a.tcp().connect(std::nullopt, tcp::Endpoint{kB, 80}, clock.now());
  auto c2 = a.tcp().connect(std::nullopt, tcp::Endpoint{kB, 80}, clock.now());
  ASSERT_TRUE(c1.ok() && c2.ok());
  ASSERT_TRUE(run_until([&] {
    const auto t = tcp::snapshot(b.tcp(), clock.now());
    return t.listeners.size() == 1 && t.listeners[0].queued == 2;
  }));
  tcp::Table t = tcp::snapshot(b.tcp(), clock.now());
  ASSERT_EQ(t.listeners.size(), 1u);
  EXPECT_EQ(t.listeners[0].id, *l);
  EXPECT_EQ(t.listeners[0].local.port, 80);
  EXPECT_EQ(t.listeners[0].backlog, 7u);
  EXPECT_EQ(t.listeners[0].half_open, 0u);
  EXPECT_EQ(t.connections.size(), 2u);  // accepted or not, they are connections
  ASSERT_TRUE(b.tcp().accept(*l).has_value());
  t = tcp::snapshot(b.tcp(), clock.now());
  EXPECT_EQ(t.listeners[0].queued, 1u);
  tcp::order(t);
  EXPECT_LT(t.connections[0].id, t.connections[1].id);
}

TEST_F(TableFixture, SsthreshAppearsAfterATimeout) {
  connect();
  const Bytes data = pattern(2000);
  ASSERT_EQ(conn(a, client).send(data), data.size());
  a.tcp().touch(client);
  // b never runs, so nothing is acknowledged and the retransmission timer fires.
  for (int i = 0; i < 5000 && conn(a, client).stats().timeouts == 0; ++i) {
    a.poll(clock.now());
    clock.advance(std::chrono::milliseconds(1));
  }
  const auto t = tcp::snapshot(a.tcp(), clock.now());
  ASSERT_EQ(t.connections.size(), 1u);
  EXPECT_GE(t.connections[0].timeouts, 1u);
  EXPECT_GE(t.connections[0].retransmits, 1u);
  ASSERT_TRUE(t.connections[0].ssthresh.has_value());
  EXPECT_EQ(*t.connections[0].ssthresh, conn(a, client).congestion().ssthresh());
}

}  // namespace
}  // namespace tundra::test
