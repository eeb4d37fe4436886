// FaultInjector: each fault on its own (loss rate, corruption of one byte, duplicates, reordering
// without loss, exact delay, FIFO under jitter, pacing at the configured rate and its queue bound),
// replay from a seed, independence of the two directions, poll_at, counters and the report.
#include "netif/fault_injector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "netif/memory_link.hpp"
#include "tests/unit/test_datagrams.hpp"

namespace tundra::netif {
namespace {

using linktest::contents;
using linktest::drain;
using linktest::numbered;
using linktest::seq_of;

const Instant t0 = Instant::from_millis(1000);

// An injector over one end of a memory pair; `peer` is the other end.
struct Rig {
  explicit Rig(const FaultConfig& config, size_t queue_limit = 100'000) {
    auto [a, b] = MemoryLink::make_pair({}, queue_limit);
    peer = std::move(b);
    faults = std::make_unique<FaultInjector>(std::move(a), config);
  }
  // Advances to poll_at() and polls, until nothing is held any more; returns what the peer got
  // with the instant each arrived.
  std::vector<std::pair<Instant, PacketBuffer>> run_out(Instant now) {
    std::vector<std::pair<Instant, PacketBuffer>> got;
    for (auto& p : drain(*peer, now))
      got.emplace_back(now, std::move(p));
    for (bool first = true; auto at = faults->poll_at(); first = false) {
      // Right after a poll, nothing can be due already: the poll should have done it.
      if (!first) {
        EXPECT_GT(*at, now) << "poll left due work behind";
      }
      now = std::max(now, *at);
      faults->poll(now);
      for (auto& p : drain(*peer, now))
        got.emplace_back(now, std::move(p));
    }
    return got;
  }

  std::unique_ptr<MemoryLink> peer;
  std::unique_ptr<FaultInjector> faults;
};

// What the peer receives, in order, when `n` numbered datagrams are sent 100us apart.
std::vector<std::vector<std::byte>> outbound_fates(const FaultConfig& config, uint32_t n) {
  Rig rig(config);
  std::vector<std::vector<std::byte>> got;
  Instant now = t0;
  for (uint32_t i = 0; i < n; ++i) {
    rig.faults->transmit(numbered(i, 60), now);
    rig.faults->poll(now);
    for (auto& p : drain(*rig.peer, now))
      got.push_back(contents(p));
    now += 100us;
  }
  for (auto& [at, p] : rig.run_out(now))
    got.push_back(contents(p));
  return got;
}

TEST(FaultInjector, AllZeroIsATransparentPassThrough) {
  Rig rig(FaultConfig{});
  for (uint32_t i = 0; i < 100; ++i) {
    rig.faults->transmit(numbered(i), t0);
    ASSERT_EQ(rig.peer->pending(), i + 1) << "held although nothing was configured";
  }
  EXPECT_FALSE(rig.faults->poll_at());
  const auto out = drain(*rig.peer, t0);
  for (uint32_t i = 0; i < 100; ++i)
    EXPECT_EQ(contents(out[i]), contents(numbered(i)));

  // Inbound: each datagram comes up at once, one per receive(), the rest left in the inner link.
  for (uint32_t i = 0; i < 3; ++i)
    rig.peer->transmit(numbered(i), t0);
  auto p = rig.faults->receive(t0);
  ASSERT_TRUE(p);
  EXPECT_EQ(seq_of(*p), 0u);
  EXPECT_EQ(rig.faults->inner().stats().rx_packets, 1u);
  EXPECT_EQ(drain(*rig.faults, t0).size(), 2u);
  EXPECT_FALSE(rig.faults->poll_at());

  EXPECT_EQ(rig.faults->outbound_counters().passed, 100u);
  EXPECT_EQ(rig.faults->inbound_counters().passed, 3u);
  EXPECT_EQ(rig.faults->outbound_counters().delayed, 0u);
}

TEST(FaultInjector, LossRateMatchesTheProbabilityBothWays) {
  FaultConfig config;
  config.outbound.loss = 0.3;
  config.inbound.loss = 0.3;
  config.seed = 12345;
  Rig rig(config);
  constexpr uint32_t kCount = 10'000;
  size_t delivered_out = 0, delivered_in = 0;
  for (uint32_t i = 0; i < kCount; ++i) {
    rig.faults->transmit(numbered(i), t0);
    delivered_out += drain(*rig.peer, t0).size();
    rig.peer->transmit(numbered(i), t0);
    delivered_in += drain(*rig.faults, t0).size();
  }
  const auto& out = rig.faults->outbound_counters();
  const auto& in = rig.faults->inbound_counters();
  EXPECT_EQ(out.dropped + out.passed, kCount);
  EXPECT_EQ(out.passed, delivered_out);
  EXPECT_EQ(in.dropped + in.passed, kCount);
  EXPECT_EQ(in.passed, delivered_in);
  // The standard deviation of the fraction over 10,000 trials is about 0.0046: 0.02 is over 4.
  EXPECT_NEAR(static_cast<double>(out.dropped) / kCount, 0.3, 0.02);
  EXPECT_NEAR(static_cast<double>(in.dropped) / kCount, 0.3, 0.02);
}

TEST(FaultInjector, SameSeedReplaysDifferentSeedDiffers) {
  FaultConfig config;
  config.outbound = {.loss = 0.2, .duplicate = 0.1, .reorder = 0.1, .corrupt = 0.1};
  config.outbound.jitter = 300us;
  config.seed = 42;
  const auto first = outbound_fates(config, 2000);
  const auto again = outbound_fates(config, 2000);
  EXPECT_EQ(first, again);
  config.seed = 43;
  const auto other = outbound_fates(config, 2000);
  EXPECT_NE(first, other);
}

TEST(FaultInjector, DirectionsDrawFromSeparateStreams) {
  FaultConfig config;
  config.outbound.loss = 0.5;
  config.outbound.corrupt = 0.5;
  config.inbound = config.outbound;
  config.seed = 9;

  // Outbound alone, then the same outbound traffic interleaved with inbound traffic.
  Rig alone(config), mixed(config);
  std::vector<std::vector<std::byte>> got_alone, got_mixed;
  for (uint32_t i = 0; i < 500; ++i) {
    alone.faults->transmit(numbered(i), t0);
    for (auto& p : drain(*alone.peer, t0))
      got_alone.push_back(contents(p));

    mixed.peer->transmit(numbered(i + 1000), t0);
    drain(*mixed.faults, t0);
    mixed.faults->transmit(numbered(i), t0);
    for (auto& p : drain(*mixed.peer, t0))
      got_mixed.push_back(contents(p));
  }
  EXPECT_GT(mixed.faults->inbound_counters().dropped, 0u);
  EXPECT_EQ(got_alone, got_mixed);
}

TEST(FaultInjector, CorruptionChangesExactlyOneByte) {
  FaultConfig config;
  config.outbound.corrupt = 1.0;
  Rig rig(config);
  std::set<size_t> positions;
  for (uint32_t i = 0; i < 300; ++i) {
    rig.faults->transmit(numbered(i, 100), t0);
    auto p = rig.peer->receive(t0);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->size(), 100u);
    const auto want = contents(numbered(i, 100));
    const auto got = contents(*p);
    size_t differ = 0;
    for (size_t k = 0; k < 100; ++k) {
      if (got[k] != want[k]) {
        ++differ;
        positions.insert(k);
      }
    }
    EXPECT_EQ(differ, 1u) << "datagram " << i;
  }
  EXPECT_EQ(rig.faults->outbound_counters().corrupted, 300u);
  // Anywhere in the datagram, not one favourite spot: 300 draws over 100 places leave about 5
  // untouched.
  EXPECT_GT(positions.size(), 80u);
}

TEST(FaultInjector, DuplicationYieldsIdenticalCopies) {
  FaultConfig config;
  config.inbound.duplicate = 1.0;
  Rig rig(config);
  for (uint32_t i = 0; i < 50; ++i)
    rig.peer->transmit(numbered(i, 80), t0);
  const auto got = drain(*rig.faults, t0);
  ASSERT_EQ(got.size(), 100u);
  for (uint32_t i = 0; i < 50; ++i) {
    EXPECT_EQ(contents(got[2 * i]), contents(numbered(i, 80)));
    EXPECT_EQ(contents(got[2 * i + 1]), contents(numbered(i, 80)));
  }
  EXPECT_EQ(rig.faults->inbound_counters().duplicated, 50u);
  EXPECT_EQ(rig.faults->inbound_counters().passed, 100u);

  // Half the time: what arrives is the originals plus as many copies as counted.
  FaultConfig half;
  half.outbound.duplicate = 0.5;
  Rig rig2(half);
  for (uint32_t i = 0; i < 1000; ++i)
    rig2.faults->transmit(numbered(i), t0);
  const auto dup = rig2.faults->outbound_counters().duplicated;
  EXPECT_EQ(rig2.peer->pending(), 1000u + dup);
  EXPECT_NEAR(static_cast<double>(dup), 500.0, 80.0);
}

TEST(FaultInjector, ReorderSwapsWithTheNextAndReleasesAHeldOneInTime) {
  FaultConfig config;
  config.outbound.reorder = 1.0;
  config.outbound.reorder_timeout = 5ms;
  Rig rig(config);

  rig.faults->transmit(numbered(0), t0);  // held
  EXPECT_EQ(rig.peer->pending(), 0u);
  EXPECT_EQ(rig.faults->poll_at(), t0 + 5ms);
  rig.faults->transmit(numbered(1), t0 + 1ms);  // overtakes 0, which follows
  auto got = drain(*rig.peer, t0 + 1ms);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(seq_of(got[0]), 1u);
  EXPECT_EQ(seq_of(got[1]), 0u);

  rig.faults->transmit(numbered(2), t0 + 2ms);  // held, and nothing comes after it
  EXPECT_EQ(rig.faults->poll_at(), t0 + 7ms);
  rig.faults->poll(t0 + 7ms - 1us);
  EXPECT_EQ(rig.peer->pending(), 0u);
  rig.faults->poll(t0 + 7ms);
  got = drain(*rig.peer, t0 + 7ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(seq_of(got[0]), 2u);
  EXPECT_FALSE(rig.faults->poll_at());
  EXPECT_EQ(rig.faults->outbound_counters().reordered, 1u);

  // A hold that ran out before the next arrival ends first, even without a poll in between.
  rig.faults->transmit(numbered(3), t0 + 10ms);
  rig.faults->transmit(numbered(4), t0 + 20ms);  // held in turn
  got = drain(*rig.peer, t0 + 20ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(seq_of(got[0]), 3u);
}

TEST(FaultInjector, ReorderChangesOrderButLosesNothing) {
  FaultConfig config;
  config.outbound.reorder = 0.3;
  config.seed = 5;
  const auto got = outbound_fates(config, 1000);
  ASSERT_EQ(got.size(), 1000u);
  std::vector<uint32_t> seqs;
  for (const auto& g : got)
    seqs.push_back(seq_of(PacketBuffer::copy_of(g)));
  size_t descents = 0;
  for (size_t i = 0; i + 1 < seqs.size(); ++i)
    descents += seqs[i] > seqs[i + 1];
  std::vector<uint32_t> sorted = seqs;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[i], i) << "lost or duplicated";
  // A hold is only decided while none is pending, and each pairs with the next datagram, so about
  // p / (1 + p) of them start one.
  EXPECT_NEAR(static_cast<double>(descents), 1000 * 0.3 / 1.3, 50.0);

  // Each reordering is one adjacent swap, and the counter says how many.
  Rig rig(config);
  for (uint32_t i = 0; i < 1000; ++i)
    rig.faults->transmit(numbered(i), t0 + Duration(100 * i));
  rig.run_out(t0 + 100ms);
  EXPECT_EQ(rig.faults->outbound_counters().reordered, descents);
  EXPECT_EQ(rig.faults->outbound_counters().passed, 1000u);
}

TEST(FaultInjector, DelayHoldsUntilExactlyDue) {
  FaultConfig config;
  config.outbound.delay = 10ms;
  config.inbound.delay = 5ms;
  Rig rig(config);

  rig.faults->transmit(numbered(1), t0);
  rig.faults->transmit(numbered(2), t0 + 3ms);
  EXPECT_EQ(rig.peer->pending(), 0u);
  EXPECT_EQ(rig.faults->poll_at(), t0 + 10ms);
  rig.faults->poll(t0 + 10ms - 1us);
  EXPECT_EQ(rig.peer->pending(), 0u);
  rig.faults->poll(t0 + 10ms);
  EXPECT_EQ(rig.peer->pending(), 1u);
  EXPECT_EQ(rig.faults->poll_at(), t0 + 13ms);
  rig.faults->poll(t0 + 13ms);
  EXPECT_EQ(rig.peer->pending(), 2u);
  EXPECT_FALSE(rig.faults->poll_at());

  rig.peer->transmit(numbered(3), t0);
  EXPECT_FALSE(rig.faults->receive(t0));
  EXPECT_EQ(rig.faults->poll_at(), t0 + 5ms);
  EXPECT_FALSE(rig.faults->receive(t0 + 5ms - 1us));
  auto p = rig.faults->receive(t0 + 5ms);
  ASSERT_TRUE(p);
  EXPECT_EQ(seq_of(*p), 3u);
  EXPECT_EQ(rig.faults->outbound_counters().delayed, 2u);
  EXPECT_EQ(rig.faults->inbound_counters().delayed, 1u);
}

TEST(FaultInjector, JitterDelaysWithinBoundsAndKeepsOrder) {
  FaultConfig config;
  config.outbound.delay = 1ms;
  config.outbound.jitter = 5ms;
  Rig rig(config);
  std::vector<Instant> sent;
  std::vector<std::pair<Instant, uint32_t>> got;
  Instant now = t0;
  for (uint32_t i = 0; i < 1000; ++i) {
    sent.push_back(now);
    rig.faults->transmit(numbered(i), now);
    // Step through every deadline before the next send, so arrival times are exact.
    const Instant next = now + 100us;
    while (auto at = rig.faults->poll_at()) {
      if (*at > next) break;
      rig.faults->poll(*at);
      for (auto& p : drain(*rig.peer, *at))
        got.emplace_back(*at, seq_of(p));
    }
    now = next;
  }
  for (auto& [at, p] : rig.run_out(now))
    got.emplace_back(at, seq_of(p));

  ASSERT_EQ(got.size(), 1000u);
  std::set<int64_t> latencies;
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(got[i].second, i) << "jitter reordered";
    const Duration latency = got[i].first - sent[i];
    EXPECT_GE(latency, 1ms);
    EXPECT_LE(latency, 6ms);
    latencies.insert(latency.count());
  }
  EXPECT_GT(latencies.size(), 100u) << "jitter did not vary the delay";
}

TEST(FaultInjector, RateLimitSpacesDatagramsBySerializationTime) {
  FaultConfig config;
  config.outbound.rate_mbit = 1.0;  // 1000 bytes take 8 ms
  Rig rig(config);
  for (uint32_t i = 0; i < 5; ++i)
    rig.faults->transmit(numbered(i, 1000), t0);
  EXPECT_EQ(rig.peer->pending(), 0u);
  const auto got = rig.run_out(t0);
  ASSERT_EQ(got.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].first, t0 + Duration(8000 * (i + 1)));
    EXPECT_EQ(seq_of(got[i].second), i);
  }
  // Once the line is idle a datagram takes only its own serialization time.
  rig.faults->transmit(numbered(9, 500), t0 + 1s);
  EXPECT_EQ(rig.faults->poll_at(), t0 + 1s + 4ms);
}

TEST(FaultInjector, RateLimitDoesNotDriftOverManySmallDatagrams) {
  FaultConfig config;
  config.outbound.rate_mbit = 3.0;  // 100 bytes take 266.67 us
  config.outbound.rate_queue_limit = 20'000;
  Rig rig(config);
  for (uint32_t i = 0; i < 10'000; ++i)
    rig.faults->transmit(numbered(i, 100), t0);
  const auto got = rig.run_out(t0);
  ASSERT_EQ(got.size(), 10'000u);
  for (uint32_t k = 1; k <= 10'000; ++k) {
    // Released when the last bit of the k-th is out: ceil(k * 800 / 3) us.
    const int64_t want = (static_cast<int64_t>(k) * 800 + 2) / 3;
    ASSERT_EQ(got[k - 1].first, t0 + Duration(want)) << "datagram " << k;
  }
}

TEST(FaultInjector, RateLimiterQueueIsBounded) {
  FaultConfig config;
  config.outbound.rate_mbit = 1.0;
  config.outbound.rate_queue_limit = 3;
  Rig rig(config);
  for (uint32_t i = 0; i < 10; ++i)
    rig.faults->transmit(numbered(i, 1000), t0);
  EXPECT_EQ(rig.faults->outbound_counters().rate_limited, 7u);
  EXPECT_EQ(rig.faults->held_outbound(), 3u);
  // After the first is out there is room for one more.
  rig.faults->poll(t0 + 8ms);
  rig.faults->transmit(numbered(10, 1000), t0 + 8ms);
  rig.faults->transmit(numbered(11, 1000), t0 + 8ms);
  EXPECT_EQ(rig.faults->outbound_counters().rate_limited, 8u);
  const auto got = rig.run_out(t0 + 8ms);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(seq_of(got[3].second), 10u);
  EXPECT_EQ(got[3].first, t0 + 32ms);
  EXPECT_EQ(rig.faults->outbound_counters().passed, 4u);
}

TEST(FaultInjector, HoldLimitBoundsTheDelayLine) {
  FaultConfig config;
  config.inbound.delay = 1s;
  config.inbound.hold_limit = 5;
  Rig rig(config);
  for (uint32_t i = 0; i < 8; ++i)
    rig.peer->transmit(numbered(i), t0);
  EXPECT_FALSE(rig.faults->receive(t0));
  EXPECT_EQ(rig.faults->held_inbound(), 5u);
  EXPECT_EQ(rig.faults->inbound_counters().overflow, 3u);
  EXPECT_EQ(drain(*rig.faults, t0 + 1s).size(), 5u);
}

TEST(FaultInjector, PollAtIsTheEarliestOfBothDirectionsAndTheInnerLink) {
  FaultConfig inner_config;
  inner_config.outbound.delay = 2ms;
  FaultConfig outer_config;
  outer_config.outbound.delay = 10ms;
  outer_config.inbound.delay = 7ms;

  auto [a, b] = MemoryLink::make_pair();
  auto inner = std::make_unique<FaultInjector>(std::move(a), inner_config);
  FaultInjector outer(std::move(inner), outer_config);
  EXPECT_FALSE(outer.poll_at());

  outer.transmit(numbered(1), t0);
  EXPECT_EQ(outer.poll_at(), t0 + 10ms);
  b->transmit(numbered(2), t0 + 1ms);
  EXPECT_FALSE(outer.receive(t0 + 1ms));
  EXPECT_EQ(outer.poll_at(), t0 + 8ms);

  outer.poll(t0 + 8ms);
  auto up = outer.receive(t0 + 8ms);
  ASSERT_TRUE(up);
  EXPECT_EQ(seq_of(*up), 2u);
  EXPECT_EQ(outer.poll_at(), t0 + 10ms);
  outer.poll(t0 + 10ms);  // handed to the inner injector, which holds it 2 ms more
  EXPECT_EQ(b->pending(), 0u);
  EXPECT_EQ(outer.poll_at(), t0 + 12ms);
  outer.poll(t0 + 12ms);
  EXPECT_EQ(b->pending(), 1u);
  EXPECT_FALSE(outer.poll_at());
  EXPECT_EQ(outer.describe(),
            "faults(in: delay=7ms; out: delay=10ms; seed=1) > faults(in: none; out: delay=2ms; "
            "seed=1) > memory");
}

TEST(FaultInjector, CountersAccountForEveryDatagram) {
  FaultConfig config;
  config.outbound = {.loss = 0.1, .duplicate = 0.1, .reorder = 0.1, .corrupt = 0.1};
  config.outbound.delay = 1ms;
  config.outbound.jitter = 2ms;
  config.outbound.rate_mbit = 50;
  config.outbound.rate_queue_limit = 20;
  config.seed = 77;
  Rig rig(config);
  constexpr uint32_t kCount = 3000;
  Instant now = t0;
  size_t delivered = 0;
  for (uint32_t i = 0; i < kCount; ++i) {
    rig.faults->transmit(numbered(i, 200 + i % 1000), now);
    if (i % 7 == 0) rig.faults->poll(now);
    delivered += drain(*rig.peer, now).size();
    now += Duration(50 + i % 100);
    const auto& c = rig.faults->outbound_counters();
    ASSERT_EQ(i + 1 + c.duplicated,
              c.passed + c.dropped + c.rate_limited + c.overflow + rig.faults->held_outbound());
  }
  delivered += rig.run_out(now).size();
  const auto& c = rig.faults->outbound_counters();
  EXPECT_EQ(c.passed, delivered);
  EXPECT_EQ(kCount + c.duplicated, c.passed + c.dropped + c.rate_limited + c.overflow);
  EXPECT_GT(c.dropped, 0u);
  EXPECT_GT(c.corrupted, 0u);
  EXPECT_GT(c.duplicated, 0u);
  EXPECT_GT(c.reordered, 0u);
  EXPECT_GT(c.delayed, 0u);
  EXPECT_GT(c.rate_limited, 0u);
  EXPECT_EQ(c.overflow, 0u);
  EXPECT_EQ(rig.faults->stats().tx_packets, delivered);  // the inner link's own count

  CounterReport r;
  rig.faults->report(r);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].name, "faults inbound");
  EXPECT_EQ(r[1].name, "faults outbound");
  EXPECT_EQ(r[2].name, "link memory");
  ASSERT_EQ(r[1].values.size(), 8u);
  EXPECT_EQ(r[1].values[0].second, c.passed);
  EXPECT_EQ(r[1].values[1].second, c.dropped);
  EXPECT_EQ(r[1].values[6].second, c.rate_limited);
}

TEST(FaultInjector, DescribesItsSettings) {
  FaultConfig config;
  config.outbound.loss = 0.3;
  config.outbound.delay = 10ms;
  config.outbound.jitter = 1500us;
  config.inbound.rate_mbit = 2.5;
  config.seed = 7;
  auto [a, b] = MemoryLink::make_pair();
  FaultInjector f(std::move(a), config);
  EXPECT_EQ(f.describe(),
            "faults(in: rate=2.5Mbit; out: loss=0.3 delay=10ms jitter=1500us; seed=7) > memory");
}

}  // namespace
}  // namespace tundra::netif
