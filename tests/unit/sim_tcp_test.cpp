// Ring 3 for TCP: two tundra stacks on an in-memory link, the fault injector between them, on a
// simulated clock. Bulk data crosses both ways at once and must arrive byte-identical, whatever
// loss, reordering, duplication and corruption do; the run replays from its seed; afterwards every
// connection slot is freed.
#include <gtest/gtest.h>

#include <iostream>
#include <tuple>

#include "netif/fault_injector.hpp"
#include "netif/memory_link.hpp"
#include "stack/stack.hpp"
#include "support/packets.hpp"

namespace tundra::test {
namespace {

const ipv4::Address kA(10, 0, 0, 1), kB(10, 0, 0, 2);

// The byte at position i of the stream a side sends (a different stream per side).
std::byte stream_byte(uint64_t i, unsigned side) {
  return static_cast<std::byte>((i * 2654435761u >> 13) ^ (i >> 7) ^ (side * 0x5a));
}

struct Side {
  Stack* stack;
  tcp::ConnId conn = 0;
  uint64_t sent = 0, received = 0;
  bool closed_write = false, eof = false;
  unsigned id;
};

struct Result {
  Duration simulated{};
  uint64_t retransmits = 0, timeouts = 0, fast_retransmits = 0;
  bool operator==(const Result&) const = default;
};

Result transfer(uint64_t bytes, netif::FaultDirection faults, uint64_t seed,
                bool expect_complete = true) {
  SimClock clock;
  auto [la, lb] = netif::MemoryLink::make_pair(netif::LinkCaps{1500}, 1 << 16);
  netif::FaultInjector faulty(std::move(la), netif::FaultConfig{faults, faults, seed});
  StackConfig ca, cb;
  ca.ipv4.address = ipv4::Cidr{kA, 24};
  cb.ipv4.address = ipv4::Cidr{kB, 24};
  ca.seed = seed;
  cb.seed = seed + 100;
  ca.tcp.rcvbuf = cb.tcp.rcvbuf = 512 * 1024;
  ca.tcp.sndbuf = cb.tcp.sndbuf = 512 * 1024;
  Stack a(faulty, ca), b(*lb, cb);

  auto lid = b.tcp().listen(tcp::Endpoint{{}, 5001}, 8);
  EXPECT_TRUE(lid.ok());
  auto c = a.tcp().connect(std::nullopt, tcp::Endpoint{kB, 5001}, clock.now());
  EXPECT_TRUE(c.ok());
  Side sa{&a, *c, 0, 0, false, false, 0}, sb{&b, 0, 0, 0, false, false, 1};

  std::vector<std::byte> chunk(64 * 1024), in(64 * 1024);
  auto app = [&](Side& s) {
    tcp::Connection* conn = s.stack->tcp().find(s.conn);
    if (!conn) return;
    const auto st = conn->state();
    if (st == tcp::State::Established || st == tcp::State::CloseWait) {
      while (s.sent < bytes) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - s.sent));
        for (size_t i = 0; i < n; ++i)
          chunk[i] = stream_byte(s.sent + i, s.id);
        const size_t took = conn->send(std::span(chunk).first(n));
        s.sent += took;
        if (took < n) break;
      }
      if (s.sent == bytes && !s.closed_write) {
        conn->shutdown_write();
        s.closed_write = true;
      }
      s.stack->tcp().touch(s.conn);
    }
    while (true) {
      const size_t n = conn->recv(in);
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(in[i], stream_byte(s.received + i, 1 - s.id))
            << "side " << s.id << " byte " << s.received + i;
      s.received += n;
      if (n == 0) break;
      s.stack->tcp().touch(s.conn);
    }
    if (conn->at_eof()) s.eof = true;
  };

  const Instant start = clock.now();
  for (int round = 0; round < 5'000'000; ++round) {
    const auto before = std::make_tuple(sa.sent, sa.received, sb.sent, sb.received, sb.conn);
    size_t moved = a.poll(clock.now()).received;
    moved += b.poll(clock.now()).received;
    if (sb.conn == 0) {
      if (auto acc = b.tcp().accept(*lid)) sb.conn = *acc;
    }
    app(sa);
    if (sb.conn) app(sb);
    if (sa.eof && sb.eof && sa.received == bytes && sb.received == bytes) break;
    // Let the stacks run once more at this instant if the application queued work; else jump.
    moved += a.poll(clock.now()).received;
    moved += b.poll(clock.now()).received;
    const bool progress =
        moved > 0 || before != std::make_tuple(sa.sent, sa.received, sb.sent, sb.received, sb.conn);
    auto next = netif::earliest(a.poll_at(), b.poll_at());
    if (next && *next > clock.now())
      clock.set(*next);
    else if (!next && !progress)
      break;  // nothing in flight, nothing to do: stuck (the checks below say so)
  }
  Result r;
  r.simulated = clock.now() - start;
  if (expect_complete && (sa.received != bytes || sb.received != bytes)) {
    for (Side* s : {&sa, &sb}) {
      const tcp::Connection* conn = s->stack->tcp().find(s->conn);
      if (!conn) continue;
      std::cout << "side " << s->id << ": " << tcp::to_string(conn->state()) << " sent " << s->sent
                << " received " << s->received << " snd.una " << conn->snd_una().value()
                << " snd.nxt " << conn->snd_nxt().value() << " snd.wnd " << conn->snd_wnd()
                << " rcv.nxt " << conn->rcv_nxt().value() << " rcv.wnd " << conn->rcv_wnd()
                << " cwnd " << conn->congestion().cwnd() << " queued " << conn->send_queued()
                << " timer " << conn->timer().index() << " poll_at "
                << (conn->poll_at() ? conn->poll_at()->to_string() : "-") << " now "
                << clock.now().to_string() << "\n";
    }
  }
  if (expect_complete) {
    EXPECT_EQ(sa.received, bytes);
    EXPECT_EQ(sb.received, bytes);
    EXPECT_TRUE(sa.eof && sb.eof);
  }
  for (Side* s : {&sa, &sb}) {
    if (const tcp::Connection* conn = s->stack->tcp().find(s->conn)) {
      r.retransmits += conn->stats().retransmits;
      r.timeouts += conn->stats().timeouts;
      r.fast_retransmits += conn->stats().fast_retransmits;
    }
  }
  // The applications close; the protocol finishes (TIME-WAIT runs out on the simulated clock) and
  // every slot is freed.
  a.tcp().release(sa.conn, false, clock.now());
  if (sb.conn) b.tcp().release(sb.conn, false, clock.now());
  for (int i = 0; i < 100000; ++i) {
    a.poll(clock.now());
    b.poll(clock.now());
    auto next = netif::earliest(a.poll_at(), b.poll_at());
    if (!next) break;
    clock.set(std::max(*next, clock.now() + Duration(1)));
  }
  EXPECT_EQ(a.tcp().connection_count(), 0u);
  EXPECT_EQ(b.tcp().connection_count(), 0u);
  return r;
}

TEST(SimTcp, CleanTransferBothWays) {
  const auto r = transfer(4 << 20, netif::FaultDirection{}, 1);
  EXPECT_EQ(r.retransmits, 0u);
  std::cout << "4 MiB each way, clean: " << r.simulated.count() / 1000 << " ms simulated\n";
}

TEST(SimTcp, SixteenMegabytesEachWayUnderFaultsReplay) {
  netif::FaultDirection f;
  f.loss = 0.05;
  f.reorder = 0.05;
  f.duplicate = 0.01;
  f.corrupt = 0.01;
  f.delay = std::chrono::milliseconds(5);
  const auto r = transfer(16 << 20, f, 7);
  EXPECT_GT(r.retransmits, 0u);
  EXPECT_GT(r.fast_retransmits, 0u);
  std::cout << "16 MiB each way under 5% loss, 5% reorder, 1% dup, 1% corrupt: "
            << r.simulated.count() / 1000 << " ms simulated, " << r.retransmits
            << " retransmissions (" << r.fast_retransmits << " fast, " << r.timeouts
            << " timeouts)\n";
}

TEST(SimTcp, ReplaysExactlyFromItsSeed) {
  netif::FaultDirection f;
  f.loss = 0.05;
  f.reorder = 0.05;
  f.delay = std::chrono::milliseconds(2);
  EXPECT_EQ(transfer(1 << 20, f, 3), transfer(1 << 20, f, 3));
}

}  // namespace
}  // namespace tundra::test
