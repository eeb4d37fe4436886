// The TCP event trace (stack/tcp/trace, tcp_trace.cpp): the CSV rendering, and what a traced
// connection reports on two stacks over an in-memory link on a simulated clock — the handshake,
// slow start doubling cwnd per round trip, a fast retransmit after three duplicate ACKs, RTO
// backoff with the loss window, zero-window probes, and the states through to CLOSED. The labs
// (docs/labs) make the same claims against the kernel; these hold them deterministically.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "netif/fault_injector.hpp"
#include "netif/memory_link.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/trace.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

using tcp::TraceEvent;
using tcp::TraceKind;

const ipv4::Address kA(10, 0, 0, 1), kB(10, 0, 0, 2);

struct Recorder final : tcp::TraceSink {
  std::vector<TraceEvent> events;
  void record(const TraceEvent& e) override { events.push_back(e); }
  std::vector<TraceEvent> of(TraceKind k) const {
    std::vector<TraceEvent> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out),
                 [k](const TraceEvent& e) { return e.kind == k; });
    return out;
  }
};

TEST(TcpTrace, CsvLineHasEveryFieldInHeaderOrder) {
  TraceEvent e;
  e.time = Instant::from_micros(12'345'678);
  e.kind = TraceKind::Send;
  e.local_addr = kA;
  e.local_port = 49152;
  e.remote_addr = kB;
  e.remote_port = 80;
  e.seq = 1;
  e.ack = 1;
  e.len = 1448;
  e.flags = wire::tcp::Flags(wire::tcp::Flag::Ack).set(wire::tcp::Flag::Psh).bits();
  e.window = 262144;
  e.state = tcp::State::Established;
  e.cwnd = 14480;
  e.inflight = 2896;
  e.srtt = std::chrono::microseconds(20'125);
  e.rttvar = std::chrono::microseconds(7'750);
  e.rto = std::chrono::milliseconds(200);
  e.detail = "rexmit";
  std::string line;
  tcp::append_trace_csv(e, line);
  EXPECT_EQ(line,
            "12.345678,10.0.0.1:49152-10.0.0.2:80,send,1,1,1448,P.,262144,ESTABLISHED,14480,,2896,"
            "20.125,7.750,200.000,,rexmit\n");
  // As many fields as the header names, for every kind.
  const auto header = tcp::trace_csv_header();
  const auto fields = std::count(header.begin(), header.end(), ',');
  for (auto k : {TraceKind::Send, TraceKind::Recv, TraceKind::State, TraceKind::Rtt, TraceKind::Rto,
                 TraceKind::FastRetransmit, TraceKind::Tlp, TraceKind::Persist, TraceKind::DupAck,
                 TraceKind::Cwnd, TraceKind::RackLost}) {
    TraceEvent x;
    x.kind = k;
    x.detail = "a,b";  // a comma in a detail must not add a field
    std::string l;
    tcp::append_trace_csv(x, l);
    EXPECT_EQ(std::count(l.begin(), l.end(), ','), fields) << l;
  }
}

TEST(TcpTrace, FlagsAreWrittenAsTcpdumpDoes) {
  auto flags_of = [](wire::tcp::Flags f) {
    TraceEvent e;
    e.kind = TraceKind::Recv;
    e.flags = f.bits();
    std::string l;
    tcp::append_trace_csv(e, l);
    // time,conn,event,seq,ack,len,FLAGS
    size_t pos = 0;
    for (int i = 0; i < 6; ++i)
      pos = l.find(',', pos) + 1;
    return l.substr(pos, l.find(',', pos) - pos);
  };
  using wire::tcp::Flag;
  EXPECT_EQ(flags_of(Flag::Syn), "S");
  EXPECT_EQ(flags_of(Flag::Syn | Flag::Ack), "S.");
  EXPECT_EQ(flags_of(Flag::Fin | Flag::Ack), "F.");
  EXPECT_EQ(flags_of(Flag::Rst), "R");
  EXPECT_EQ(flags_of(wire::tcp::Flags(Flag::Ack)), ".");
}

// Two stacks, A traced, on a link with `faults` on what A sends and `delay` on what B sends.
struct Net {
  explicit Net(netif::FaultDirection a_out = {}, Duration b_delay = std::chrono::milliseconds(10),
               size_t b_rcvbuf = 1 << 20, uint64_t seed = 1, bool sack = true) {
    auto [la, lb] = netif::MemoryLink::make_pair(netif::LinkCaps{1500}, 1 << 16);
    netif::FaultDirection back;
    back.delay = b_delay;
    fa = std::make_unique<netif::FaultInjector>(std::move(la), netif::FaultConfig{{}, a_out, seed});
    fb = std::make_unique<netif::FaultInjector>(std::move(lb), netif::FaultConfig{{}, back, seed});
    StackConfig ca, cb;
    ca.ipv4.address = ipv4::Cidr{kA, 24};
    cb.ipv4.address = ipv4::Cidr{kB, 24};
    ca.seed = seed;
    cb.seed = seed + 1;
    ca.tcp.sndbuf = 4 << 20;
    ca.tcp.sack = cb.tcp.sack = sack;
    cb.tcp.rcvbuf = b_rcvbuf;
    cb.tcp.rcvbuf_max = b_rcvbuf;  // the buffer these traces are about, not auto-tuned
    ca.tcp.msl = std::chrono::seconds(1);
    a = std::make_unique<Stack>(*fa, ca);
    b = std::make_unique<Stack>(*fb, cb);
    a->tcp().set_trace(&trace);
    lid = *b->tcp().listen(tcp::Endpoint{{}, 5001}, 8);
    conn = *a->tcp().connect(std::nullopt, tcp::Endpoint{kB, 5001}, clock.now());
  }

  // Runs both stacks until `done()` or `limit` of simulated time, B's application reading all it
  // gets when `b_reads`; A writes `to_send` bytes (then shuts down writing when `close`).
  template <class Done>
  void run(Done done, Duration limit, bool b_reads = true) {
    const Instant end = clock.now() + limit;
    std::vector<std::byte> buf(64 * 1024);
    for (int i = 0; i < 2'000'000 && clock.now() < end && !done(); ++i) {
      a->poll(clock.now());
      b->poll(clock.now());
      if (!accepted)
        if (auto id = b->tcp().accept(lid)) accepted = *id;
      if (auto* c = a->tcp().find(conn); c && tcp::synchronized(c->state())) {
        while (sent < to_send) {
          const size_t n = std::min<size_t>(buf.size(), to_send - sent);
          const size_t took = c->send(std::span(buf).first(n));
          sent += took;
          if (took == 0) break;
        }
        if (sent == to_send && close && !closed) {
          a->tcp().release(conn, false, clock.now());
          closed = true;
        }
        a->tcp().touch(conn);
      }
      if (b_reads && accepted) {
        if (auto* c = b->tcp().find(accepted)) {
          while (const size_t n = c->recv(buf))
            received += n;
          if (c->at_eof() && !b_closed) {
            b->tcp().release(accepted, false, clock.now());
            b_closed = true;
          }
          b->tcp().touch(accepted);
        }
      }
      a->poll(clock.now());
      b->poll(clock.now());
      auto next = netif::earliest(a->poll_at(), b->poll_at());
      if (!next) {
        // Nothing timed: go on only while the application has something left to do.
        if (sent < to_send || (close && !closed)) continue;
        break;
      }
      clock.set(std::max(*next, clock.now() + Duration(1)));
    }
  }

  SimClock clock;
  Recorder trace;
  std::unique_ptr<netif::FaultInjector> fa, fb;
  std::unique_ptr<Stack> a, b;
  tcp::ListenerId lid = 0;
  tcp::ConnId conn = 0, accepted = 0;
  size_t to_send = 0, sent = 0, received = 0;
  bool close = false, closed = false, b_closed = false;
};

TEST(TcpTrace, HandshakeIsTracedInOrderWithRelativeNumbers) {
  netif::FaultDirection out;
  out.delay = std::chrono::milliseconds(10);
  Net n(out);
  n.run([&] { return n.accepted != 0; }, std::chrono::seconds(1));
  const auto& ev = n.trace.events;
  ASSERT_GE(ev.size(), 6u);
  // RFC 9293 3.5: SYN out, SYN-ACK in, ACK out; SYN-SENT then ESTABLISHED.
  EXPECT_EQ(ev[0].kind, TraceKind::Send);
  EXPECT_EQ(ev[0].flags, wire::tcp::Flags(wire::tcp::Flag::Syn).bits());
  EXPECT_EQ(ev[0].seq, 0u);
  EXPECT_FALSE(ev[0].ack.has_value());
  EXPECT_EQ(ev[1].kind, TraceKind::State);
  EXPECT_EQ(ev[1].state, tcp::State::SynSent);
  EXPECT_EQ(ev[1].detail, "from=CLOSED");
  const auto recv = n.trace.of(TraceKind::Recv);
  ASSERT_FALSE(recv.empty());
  EXPECT_EQ(recv[0].flags, (wire::tcp::Flag::Syn | wire::tcp::Flag::Ack).bits());
  EXPECT_EQ(recv[0].seq, 0u);
  EXPECT_EQ(recv[0].ack, 1u);  // our SYN took sequence number 0
  EXPECT_EQ(recv[0].time - ev[0].time, std::chrono::milliseconds(20));
  // The SYN's round trip is the first RTT sample (RFC 6298 2.2: SRTT = R, RTTVAR = R/2).
  const auto rtt = n.trace.of(TraceKind::Rtt);
  ASSERT_FALSE(rtt.empty());
  EXPECT_EQ(rtt[0].sample, std::chrono::milliseconds(20));
  EXPECT_EQ(rtt[0].srtt, std::chrono::milliseconds(20));
  EXPECT_EQ(rtt[0].rttvar, std::chrono::milliseconds(10));
  const auto states = n.trace.of(TraceKind::State);
  ASSERT_GE(states.size(), 2u);
  EXPECT_EQ(states[1].state, tcp::State::Established);
  EXPECT_EQ(states[1].detail, "from=SYN-SENT");
  // The final ACK of the handshake: seq 1, ack 1 (the peer's SYN).
  const auto sends = n.trace.of(TraceKind::Send);
  ASSERT_GE(sends.size(), 2u);
  EXPECT_EQ(sends[1].seq, 1u);
  EXPECT_EQ(sends[1].ack, 1u);
  EXPECT_EQ(sends[1].len, 0u);
}

TEST(TcpTrace, SlowStartDoublesCwndEachRoundTrip) {
  netif::FaultDirection out;
  out.delay = std::chrono::milliseconds(10);
  Net n(out);
  n.to_send = 2 << 20;
  n.run([&] { return n.received == n.to_send; }, std::chrono::seconds(10));
  ASSERT_EQ(n.received, n.to_send);
  // cwnd at each 20 ms round trip after the first data went out (RFC 5681 3.1: slow start grows
  // cwnd by what each ACK covers, so it doubles per round while ssthresh is "arbitrarily high").
  const auto sends = n.trace.of(TraceKind::Send);
  const auto first_data =
      std::find_if(sends.begin(), sends.end(), [](const TraceEvent& e) { return e.len > 0; });
  ASSERT_NE(first_data, sends.end());
  const size_t iw = first_data->cwnd;
  EXPECT_EQ(iw, tcp::initial_window(n.a->tcp().find(n.conn)->mss()));
  auto cwnd_at = [&](Instant t) {
    size_t c = 0;
    for (const auto& e : n.trace.events)
      if (e.time <= t) c = e.cwnd;
    return c;
  };
  size_t prev = iw;
  for (int round = 1; round <= 4; ++round) {
    const size_t c = cwnd_at(first_data->time + round * std::chrono::milliseconds(20) +
                             std::chrono::milliseconds(5));
    EXPECT_GE(c, prev * 18 / 10) << "round " << round;
    EXPECT_LE(c, prev * 22 / 10) << "round " << round;
    prev = c;
  }
  EXPECT_TRUE(n.trace.of(TraceKind::FastRetransmit).empty());
  EXPECT_TRUE(n.trace.of(TraceKind::Rto).empty());
}

TEST(TcpTrace, FastRetransmitFollowsThreeDuplicateAcks) {
  netif::FaultDirection out;
  out.delay = std::chrono::milliseconds(10);
  out.loss = 0.01;
  // Without SACK: with it, a receiver answers a batch behind a hole with one ACK, and the
  // scoreboard (RFC 6675 IsLost) rather than the count of duplicates starts recovery.
  Net n(out, std::chrono::milliseconds(10), 1 << 20, 11, false);
  n.to_send = 4 << 20;
  n.run([&] { return n.received == n.to_send; }, std::chrono::seconds(60));
  ASSERT_EQ(n.received, n.to_send);
  const auto& ev = n.trace.events;
  unsigned checked = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind != TraceKind::FastRetransmit || ev[i].detail != "dupacks") continue;
    // RFC 5681 3.2: the third duplicate ACK of SND.UNA triggers it, and the segment at SND.UNA
    // goes out again at once.
    unsigned dups = 0;
    for (size_t j = i; j-- > 0 && ev[j].kind != TraceKind::FastRetransmit;) {
      if (ev[j].kind == TraceKind::DupAck && ev[j].ack == ev[i].seq) ++dups;
      if (ev[j].kind == TraceKind::Recv && ev[j].ack != ev[i].seq) break;
    }
    EXPECT_GE(dups, 3u) << "fast retransmit at " << ev[i].time.to_string();
    ASSERT_LT(i + 1, ev.size());
    EXPECT_EQ(ev[i + 1].kind, TraceKind::Send);
    EXPECT_EQ(ev[i + 1].seq, ev[i].seq);
    EXPECT_EQ(ev[i + 1].detail, "rexmit");
    // RFC 5681 3.2 step 2: ssthresh = max(FlightSize / 2, 2 * SMSS) once recovery has begun.
    for (size_t j = i; j < ev.size(); ++j) {
      if (ev[j].kind == TraceKind::Cwnd) {
        ASSERT_TRUE(ev[j].ssthresh.has_value());
        EXPECT_LE(*ev[j].ssthresh, ev[i].inflight / 2 + 1);
        break;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u) << "1% loss over 4 MiB gave no fast retransmit";
}

TEST(TcpTrace, RetransmissionTimeoutBacksOffAndCollapsesCwnd) {
  netif::FaultDirection out;
  out.delay = std::chrono::milliseconds(10);
  Net n(out);
  n.to_send = 64 * 1024;
  n.run([&] { return n.received > 0; }, std::chrono::seconds(1));
  ASSERT_GT(n.received, 0u);
  // B falls silent: A hears nothing more and its retransmission timer fires, again and again.
  const Instant silent = n.clock.now();
  for (int i = 0; i < 100000 && n.clock.now() - silent < std::chrono::seconds(5); ++i) {
    n.a->poll(n.clock.now());
    auto next = n.a->poll_at();
    if (!next) break;
    n.clock.set(std::max(*next, n.clock.now() + Duration(1)));
  }
  const auto rtos = n.trace.of(TraceKind::Rto);
  ASSERT_GE(rtos.size(), 3u);
  for (size_t i = 1; i < rtos.size(); ++i) {
    // RFC 6298 5.5: the RTO doubles each time; 5.6: the next expiry is one (new) RTO later.
    EXPECT_EQ(rtos[i].rto, std::min(2 * rtos[i - 1].rto, Duration(std::chrono::seconds(60))));
    EXPECT_EQ(rtos[i].time - rtos[i - 1].time, rtos[i - 1].rto);
  }
  // RFC 5681 3.1: after a timeout cwnd is the loss window, one segment.
  const size_t mss = n.a->tcp().find(n.conn)->mss();
  const auto& ev = n.trace.events;
  const auto it = std::find_if(ev.begin(), ev.end(),
                               [&](const TraceEvent& e) { return e.kind == TraceKind::Rto; });
  const auto resent = std::find_if(it, ev.end(), [](const TraceEvent& e) {
    return e.kind == TraceKind::Send && e.detail == "rexmit";
  });
  ASSERT_NE(resent, ev.end());
  EXPECT_EQ(resent->seq, it->seq);
  EXPECT_EQ(resent->cwnd, mss);
}

TEST(TcpTrace, ZeroWindowIsProbedByThePersistTimer) {
  // B's application reads nothing and its buffer is small: the window closes and A probes it.
  Net n({}, std::chrono::milliseconds(10), 16 * 1024);
  n.to_send = 256 * 1024;
  n.run([&] { return n.trace.of(TraceKind::Persist).size() >= 6; }, std::chrono::seconds(30),
        false);
  const auto probes = n.trace.of(TraceKind::Persist);
  ASSERT_GE(probes.size(), 6u);
  const auto& ev = n.trace.events;
  for (size_t i = 1; i + 1 < probes.size(); ++i) {
    // RFC 9293 3.8.6.1: while the window is zero, a probe every RTO (never sooner), and each one
    // is answered with an ACK that tells the window.
    EXPECT_EQ(probes[i].detail, "zero_window");
    EXPECT_GE(probes[i].time - probes[i - 1].time, std::chrono::milliseconds(200));
    const auto it = std::find_if(ev.begin(), ev.end(), [&](const TraceEvent& e) {
      return e.kind == TraceKind::Recv && e.time > probes[i].time;
    });
    ASSERT_NE(it, ev.end());
    EXPECT_EQ(it->window, 0u);
  }
  // B reads at last: the window opens and everything arrives.
  n.run([&] { return n.received == n.to_send; }, std::chrono::seconds(30), true);
  EXPECT_EQ(n.received, n.to_send);
}

TEST(TcpTrace, ActiveCloseWalksTheStatesToClosed) {
  Net n;
  n.to_send = 10000;
  n.close = true;
  n.run([&] { return n.a->tcp().connection_count() == 0; }, std::chrono::seconds(10));
  std::vector<tcp::State> seen;
  for (const auto& e : n.trace.of(TraceKind::State))
    seen.push_back(e.state);
  using S = tcp::State;
  // RFC 9293 3.6: the side that closes first goes through FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT.
  EXPECT_EQ(seen, (std::vector<S>{S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::TimeWait,
                                  S::Closed}));
  const auto states = n.trace.of(TraceKind::State);
  // TIME-WAIT lasts 2·MSL (1 s here).
  EXPECT_EQ(states.back().time - states[states.size() - 2].time, std::chrono::seconds(2));
}

TEST(TcpTrace, UntracedConnectionsReportNothing) {
  Net n;
  n.a->tcp().set_trace(nullptr);
  // The connection already made keeps its sink; new ones get none.
  auto c = n.a->tcp().connect(std::nullopt, tcp::Endpoint{kB, 5001}, n.clock.now());
  ASSERT_TRUE(c.ok());
  const size_t before = n.trace.events.size();
  n.conn = *c;
  n.run([&] { return n.accepted != 0; }, std::chrono::seconds(1));
  for (size_t i = before; i < n.trace.events.size(); ++i)
    EXPECT_NE(n.trace.events[i].local_port, n.a->tcp().find(*c)->tuple().local_port);
}

}  // namespace
}  // namespace tundra::test
