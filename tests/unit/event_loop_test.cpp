// The event loop never sleeps past the stack's next deadline, and drives timers on whatever clock
// it is given (here a simulated one).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "stack/loop/event_loop.hpp"
#include "support/packets.hpp"
#include "support/thread_link.hpp"

namespace tundra::test {
namespace {

TEST(EventLoopWait, NeverPastTheDeadline) {
  const Instant now = Instant::from_millis(1000);
  EXPECT_EQ(next_wait(now, std::nullopt, std::nullopt, false), std::nullopt);
  EXPECT_EQ(next_wait(now, now + 5ms, std::nullopt, false), Duration(5ms));
  EXPECT_EQ(next_wait(now, now + 5ms, Duration(2ms), false), Duration(2ms));
  EXPECT_EQ(next_wait(now, now + 5ms, Duration(9ms), false), Duration(5ms));
  EXPECT_EQ(next_wait(now, now - 5ms, std::nullopt, false), Duration(0));
  EXPECT_EQ(next_wait(now, now + 5ms, std::nullopt, true), Duration(0));
  EXPECT_EQ(next_wait(now, std::nullopt, Duration(7ms), false), Duration(7ms));
}

TEST(EventLoop, RunsTimersOnTheClockItIsGiven) {
  // A lone first fragment arms the reassembly timer; moving the simulated clock past it and
  // running one round makes the stack send Time Exceeded, with no real time passing.
  SimClock clock;
  CaptureLink link;
  StackConfig c;
  c.ipv4.address = ipv4::Cidr{ipv4::Address(10, 0, 0, 2), 24};
  c.ipv4.reassembly.timeout = std::chrono::seconds(60);
  Stack stack(link, c);
  EventLoop loop(clock, stack);
  auto h = ip_header(ipv4::Address(10, 0, 0, 1), ipv4::Address(10, 0, 0, 2), ipv4::Protocol::Icmp);
  h.more_fragments = true;
  link.inject(ip_datagram(h, echo_request(1, 1, pattern(64))));
  loop.run_once(Duration(0));
  ASSERT_TRUE(stack.poll_at());
  EXPECT_EQ(*stack.poll_at(), clock.now() + std::chrono::seconds(60));
  EXPECT_TRUE(link.take_sent().empty());
  clock.advance(std::chrono::seconds(60));
  loop.run_once(Duration(0));
  EXPECT_EQ(link.take_sent().size(), 1u);
  EXPECT_FALSE(stack.poll_at());
}

// The loop's counter `label`, or nullopt when it does not report one.
std::optional<uint64_t> loop_counter(const EventLoop& loop, std::string_view label) {
  for (const auto& [l, v] : loop.report().values)
    if (l == label) return v;
  return std::nullopt;
}

// A stack on one end of a ThreadLink, whose descriptor is readable while datagrams wait.
struct BusyPollFixture : testing::Test {
  BusyPollFixture() : links(ThreadLink::make_pair()), stack(*links.second, config()) {}
  static StackConfig config() {
    StackConfig c;
    c.ipv4.address = ipv4::Cidr{ipv4::Address(10, 0, 0, 2), 24};
    return c;
  }
  std::pair<std::unique_ptr<ThreadLink>, std::unique_ptr<ThreadLink>> links;
  SteadyClock clock;
  Stack stack;
};

TEST_F(BusyPollFixture, AWakeUpDuringTheBusyPollEndsItWithoutASleep) {
  EventLoop loop(clock, stack);
  loop.set_busy_poll(std::chrono::seconds(20));
  const auto start = std::chrono::steady_clock::now();
  // The round finds nothing, then polls busily; the wake-up (what a socket call sends the
  // loop, and, like a datagram, a descriptor turning readable) comes meanwhile, or before the
  // poll begins, which it sees the same way: the eventfd stays readable until the round ends.
  std::thread driver([&] { loop.run_once(std::chrono::seconds(30)); });
  loop.wake();
  driver.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(loop_counter(loop, "busy polls before a sleep"), 1u);
  EXPECT_EQ(loop_counter(loop, "busy polls that found input (no sleep)"), 1u);
}

TEST_F(BusyPollFixture, TheBusyPollEndsWhereTheWaitDoes) {
  EventLoop loop(clock, stack);
  loop.set_busy_poll(std::chrono::seconds(20));
  const auto start = std::chrono::steady_clock::now();
  loop.run_once(std::chrono::milliseconds(5));  // nothing comes
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(5));
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(loop_counter(loop, "busy polls before a sleep"), 1u);
  EXPECT_EQ(loop_counter(loop, "busy polls that found input (no sleep)"), 0u);
  // A round that may not wait does not poll busily either.
  loop.run_once(Duration(0));
  EXPECT_EQ(loop_counter(loop, "busy polls before a sleep"), 1u);
}

TEST_F(BusyPollFixture, OffByDefaultAndThenNotReported) {
  EventLoop loop(clock, stack);
  loop.run_once(Duration(0));
  EXPECT_EQ(loop_counter(loop, "busy polls before a sleep"), std::nullopt);
}

TEST(PacketBuffer, HeaderRoomAppendTrimAndReuse) {
  auto b = PacketBuffer::with_capacity(100);
  EXPECT_EQ(b.headroom(), PacketBuffer::kHeadroom);
  EXPECT_GE(b.tailroom(), 100u);
  b.append(pattern(100));
  auto hdr = b.prepend(20);
  EXPECT_EQ(hdr.size(), 20u);
  EXPECT_EQ(b.size(), 120u);
  EXPECT_EQ(b.headroom(), PacketBuffer::kHeadroom - 20);
  b.trim_front(20);
  EXPECT_EQ(Bytes(b.bytes().begin(), b.bytes().end()), pattern(100));
  b.truncate(10);
  EXPECT_EQ(b.size(), 10u);
  auto c = b.clone();
  const Bytes p = pattern(100);
  EXPECT_EQ(Bytes(c.bytes().begin(), c.bytes().end()), Bytes(p.begin(), p.begin() + 10));
  EXPECT_THROW(c.prepend(PacketBuffer::kHeadroom + 1), std::length_error);
  EXPECT_THROW(c.append(1 << 20), std::length_error);
  // A freed block of the common size class is handed out again.
  const std::byte* first = nullptr;
  {
    auto x = PacketBuffer::with_capacity(1500);
    first = x.data();
  }
  auto y = PacketBuffer::with_capacity(1500);
  EXPECT_EQ(y.data(), first);
  // Moves leave the source empty.
  PacketBuffer z = std::move(y);
  EXPECT_EQ(y.size(), 0u);
  EXPECT_EQ(z.data(), first);
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket t(10, 3);
  Instant now = Instant::from_millis(1000);
  EXPECT_TRUE(t.take(now));
  EXPECT_TRUE(t.take(now));
  EXPECT_TRUE(t.take(now));
  EXPECT_FALSE(t.take(now));
  EXPECT_FALSE(t.take(now + 50ms));
  EXPECT_TRUE(t.take(now + 100ms));
  EXPECT_FALSE(t.take(now + 100ms));
  EXPECT_TRUE(t.take(now + 10s));
  EXPECT_TRUE(t.take(now + 10s));
  EXPECT_TRUE(t.take(now + 10s));
  EXPECT_FALSE(t.take(now + 10s));
}

}  // namespace
}  // namespace tundra::test
