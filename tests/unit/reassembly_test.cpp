// IPv4 fragment reassembly (stack/ip/reassembly): every arrival order, duplicates, overlaps, bad
// shapes, timeouts on explicit instants, and the memory bound under a flood.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "stack/ip/reassembly.hpp"

namespace tundra::ip {
namespace {

using wire::ipv4::Address;
using wire::ipv4::Repr;

const Address kSrc(192, 168, 1, 10);
const Address kOtherSrc(192, 168, 1, 11);
const Address kDst(10, 0, 0, 2);
const Instant kT0 = Instant::from_millis(1000);
constexpr uint8_t kUdp = 17;

// The payload of a datagram, each byte telling its position and datagram apart.
std::vector<std::byte> datagram(size_t n, uint8_t seed = 0) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::byte>((i * 131 + i / 251 + seed) & 0xff);
  return v;
}

Repr fragment_header(uint16_t ident, size_t offset, size_t len, bool more, Address src = kSrc) {
  Repr r;
  r.src = src;
  r.dst = kDst;
  r.protocol = kUdp;
  r.ttl = 50;
  r.ident = ident;
  r.more_fragments = more;
  r.frag_offset = offset;
  r.payload_len = len;
  return r;
}

// A fragment of `data`: bytes [offset, offset + len), "more fragments" unless it ends the data.
struct Piece {
  size_t offset;
  size_t len;
};

std::optional<Reassembled> add(Reassembler& r, const std::vector<std::byte>& data, Piece p,
                               Instant now, uint16_t ident = 7, Address src = kSrc) {
  const bool more = p.offset + p.len < data.size();
  return r.add(fragment_header(ident, p.offset, p.len, more, src),
               std::span(data).subspan(p.offset, p.len), now);
}

// Adds a fragment with explicit flags, whatever the data's length says.
std::optional<Reassembled> add_raw(Reassembler& r, size_t offset, size_t len, bool more,
                                   Instant now, uint16_t ident = 7) {
  const auto data = datagram(offset + len);
  return r.add(fragment_header(ident, offset, len, more), std::span(data).subspan(offset, len),
               now);
}

ReassemblyLimits with_bytes(size_t max_bytes) {
  ReassemblyLimits l;
  l.max_bytes = max_bytes;
  return l;
}
ReassemblyLimits with_datagrams(size_t max_datagrams) {
  ReassemblyLimits l;
  l.max_datagrams = max_datagrams;
  return l;
}
ReassemblyLimits with_timeout(Duration timeout) {
  ReassemblyLimits l;
  l.timeout = timeout;
  return l;
}

std::vector<std::byte> bytes_of(const PacketBuffer& b) {
  return {b.bytes().begin(), b.bytes().end()};
}

void expect_empty(const Reassembler& r) {
  EXPECT_EQ(r.datagrams_held(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
  EXPECT_EQ(r.poll_at(), std::nullopt);
}

void expect_whole(const std::optional<Reassembled>& got, const std::vector<std::byte>& data,
                  uint16_t ident = 7) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->header.src, kSrc);
  EXPECT_EQ(got->header.dst, kDst);
  EXPECT_EQ(got->header.protocol, kUdp);
  EXPECT_EQ(got->header.ident, ident);
  EXPECT_FALSE(got->header.more_fragments);
  EXPECT_EQ(got->header.frag_offset, 0u);
  EXPECT_FALSE(got->header.is_fragment());
  EXPECT_EQ(got->header.payload_len, data.size());
  EXPECT_EQ(got->payload.headroom(), PacketBuffer::kHeadroom);
  EXPECT_EQ(bytes_of(got->payload), data);
}

TEST(Reassembly, InOrder) {
  Reassembler r;
  const auto data = datagram(3500);
  EXPECT_FALSE(add(r, data, {0, 1480}, kT0));
  EXPECT_EQ(r.datagrams_held(), 1u);
  EXPECT_EQ(r.bytes_held(), Reassembler::kDatagramOverhead + 1480 + Reassembler::kFragmentOverhead);
  EXPECT_FALSE(add(r, data, {1480, 1480}, kT0 + 1ms));
  expect_whole(add(r, data, {2960, 540}, kT0 + 2ms), data);
  expect_empty(r);
  EXPECT_EQ(r.stats().fragments, 3u);
  EXPECT_EQ(r.stats().reassembled, 1u);
}

TEST(Reassembly, ReverseOrder) {
  Reassembler r;
  const auto data = datagram(3500);
  EXPECT_FALSE(add(r, data, {2960, 540}, kT0));
  EXPECT_FALSE(add(r, data, {1480, 1480}, kT0));
  expect_whole(add(r, data, {0, 1480}, kT0), data);
  expect_empty(r);
}

TEST(Reassembly, EveryOrderOfFourFragments) {
  const auto data = datagram(1000);
  const std::vector<Piece> pieces = {{0, 256}, {256, 256}, {512, 256}, {768, 232}};
  std::vector<size_t> order = {0, 1, 2, 3};
  int orders = 0;
  do {
    Reassembler r;
    for (size_t i = 0; i < 3; ++i)
      EXPECT_FALSE(add(r, data, pieces[order[i]], kT0));
    expect_whole(add(r, data, pieces[order[3]], kT0), data);
    expect_empty(r);
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 24);
}

TEST(Reassembly, HeaderComesFromFragmentZero) {
  Reassembler r;
  const auto data = datagram(16);
  EXPECT_FALSE(add(r, data, {8, 8}, kT0));
  Repr first = fragment_header(7, 0, 8, true);
  first.ttl = 64;
  first.dscp_ecn = 0x2e << 2;
  first.header_len = 24;  // it carried options
  const auto got = r.add(first, std::span(data).first(8), kT0);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->header.ttl, 64);
  EXPECT_EQ(got->header.dscp_ecn, 0x2e << 2);
  EXPECT_EQ(got->header.header_len, 24u);
  EXPECT_EQ(bytes_of(got->payload), data);
}

TEST(Reassembly, NonFragmentPassesThrough) {
  Reassembler r;
  const auto data = datagram(100);
  const auto got = r.add(fragment_header(7, 0, 100, false), data, kT0);
  expect_whole(got, data);
  EXPECT_EQ(r.stats().fragments, 0u);
  expect_empty(r);
}

TEST(Reassembly, ExactDuplicatesAreDroppedAndTheDatagramKept) {
  Reassembler r;
  const auto data = datagram(24);
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  const size_t held = r.bytes_held();
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  EXPECT_EQ(r.bytes_held(), held);
  EXPECT_FALSE(add(r, data, {16, 8}, kT0));
  EXPECT_FALSE(add(r, data, {16, 8}, kT0));
  EXPECT_EQ(r.stats().duplicates, 2u);
  EXPECT_EQ(r.datagrams_held(), 1u);
  expect_whole(add(r, data, {8, 8}, kT0), data);
  EXPECT_EQ(r.stats().overlaps, 0u);
}

TEST(Reassembly, DuplicateThatSaysItIsLastCompletes) {
  // The same bytes sent again, this time as the last fragment: it tells the total.
  Reassembler r;
  EXPECT_FALSE(add_raw(r, 0, 8, true, kT0));
  EXPECT_FALSE(add_raw(r, 8, 8, true, kT0));
  const auto got = add_raw(r, 8, 8, false, kT0);
  ASSERT_TRUE(got);
  EXPECT_EQ(bytes_of(got->payload), datagram(16));
  EXPECT_EQ(r.stats().duplicates, 1u);
}

TEST(Reassembly, PartialOverlapsDropTheDatagram) {
  // Held: [16, 32). Each shape overlaps it without being an exact copy.
  const std::vector<Piece> shapes = {
      {8, 16},   // covers its start
      {24, 16},  // covers its end
      {8, 32},   // covers it whole
      {16, 8},   // same start, shorter
      {16, 24},  // same start, longer
      {24, 8},   // inside it, same end
  };
  for (const auto& p : shapes) {
    Reassembler r;
    EXPECT_FALSE(add_raw(r, 16, 16, true, kT0));
    EXPECT_FALSE(add_raw(r, 0, 8, true, kT0));
    EXPECT_FALSE(add_raw(r, p.offset, p.len, true, kT0)) << p.offset << "+" << p.len;
    EXPECT_EQ(r.stats().overlaps, 1u) << p.offset << "+" << p.len;
    expect_empty(r);
  }
}

TEST(Reassembly, OverlapSpanningTwoFragments) {
  Reassembler r;
  const auto data = datagram(32);
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  EXPECT_FALSE(add(r, data, {8, 8}, kT0));
  EXPECT_FALSE(add(r, data, {0, 16}, kT0));
  EXPECT_EQ(r.stats().overlaps, 1u);
  expect_empty(r);
  // Later fragments with the same key start afresh: nothing of the old datagram is left.
  EXPECT_FALSE(add(r, data, {16, 16}, kT0));
  EXPECT_FALSE(add(r, data, {8, 8}, kT0));
  expect_whole(add(r, data, {0, 8}, kT0), data);
}

TEST(Reassembly, NonLastFragmentNotAMultipleOf8IsBad) {
  Reassembler r;
  EXPECT_FALSE(add_raw(r, 0, 8, true, kT0));
  EXPECT_FALSE(add_raw(r, 8, 12, true, kT0));
  EXPECT_EQ(r.stats().bad, 1u);
  expect_empty(r);
}

TEST(Reassembly, LastFragmentsThatDisagreeAreBad) {
  Reassembler r;
  EXPECT_FALSE(add_raw(r, 16, 8, false, kT0));  // total 24
  EXPECT_FALSE(add_raw(r, 24, 8, false, kT0));  // total 32?
  EXPECT_EQ(r.stats().bad, 1u);
  expect_empty(r);
  EXPECT_FALSE(add_raw(r, 16, 8, false, kT0));
  EXPECT_FALSE(add_raw(r, 8, 4, false, kT0));  // total 12?
  EXPECT_EQ(r.stats().bad, 2u);
  expect_empty(r);
}

TEST(Reassembly, DataBeyondTheKnownEndIsBad) {
  Reassembler r;
  EXPECT_FALSE(add_raw(r, 16, 8, false, kT0));  // total 24
  EXPECT_FALSE(add_raw(r, 24, 8, true, kT0));
  EXPECT_EQ(r.stats().bad, 1u);
  expect_empty(r);
  // And the other way round: the last fragment arrives after data that lies beyond it.
  EXPECT_FALSE(add_raw(r, 32, 8, true, kT0));
  EXPECT_FALSE(add_raw(r, 16, 8, false, kT0));
  EXPECT_EQ(r.stats().bad, 2u);
  expect_empty(r);
}

TEST(Reassembly, EmptyAndOversizedFragmentsAreBad) {
  Reassembler r;
  EXPECT_FALSE(add_raw(r, 8, 0, true, kT0));
  EXPECT_FALSE(add_raw(r, 8, 0, false, kT0));
  // Ends at 65516: with a 20-byte header that is one byte more than a datagram can hold.
  EXPECT_FALSE(add_raw(r, 65512, 4, false, kT0));
  EXPECT_EQ(r.stats().bad, 3u);
  expect_empty(r);
}

TEST(Reassembly, FragmentZeroWithLongHeaderMakesItTooLong) {
  // Every fragment fits on its own, but fragment 0's 60-byte header over 65512 payload bytes
  // does not.
  Reassembler r;
  const auto data = datagram(65512);
  EXPECT_FALSE(add(r, data, {8, 65504}, kT0));
  Repr first = fragment_header(7, 0, 8, true);
  first.header_len = 60;
  EXPECT_FALSE(r.add(first, std::span(data).first(8), kT0));
  EXPECT_EQ(r.stats().bad, 1u);
  expect_empty(r);
}

TEST(Reassembly, TinyFragments) {
  Reassembler r;
  const auto data = datagram(9);
  EXPECT_FALSE(add(r, data, {8, 1}, kT0));
  expect_whole(add(r, data, {0, 8}, kT0), data);
}

TEST(Reassembly, LargestDatagramIn8BytePieces) {
  // 65535 bytes with its 20-byte header: 8189 pieces of 8 bytes and a last one of 3, shuffled.
  const auto data = datagram(65535 - 20, 3);
  std::vector<Piece> pieces;
  for (size_t off = 0; off < data.size(); off += 8)
    pieces.push_back({off, std::min<size_t>(8, data.size() - off)});
  ASSERT_EQ(pieces.size(), 8190u);
  std::mt19937 rng(1);
  std::shuffle(pieces.begin(), pieces.end(), rng);
  Reassembler r;
  for (size_t i = 0; i + 1 < pieces.size(); ++i) {
    ASSERT_FALSE(add(r, data, pieces[i], kT0));
    ASSERT_LE(r.bytes_held(), ReassemblyLimits{}.max_bytes);
  }
  expect_whole(add(r, data, pieces.back(), kT0), data);
  expect_empty(r);
  EXPECT_EQ(r.stats().fragments, 8190u);
}

TEST(Reassembly, TimesOutExactlyAtTheDeadline) {
  Reassembler r;
  const auto data = datagram(100);
  EXPECT_FALSE(add(r, data, {0, 48}, kT0));
  // Later fragments do not push the deadline back.
  EXPECT_FALSE(add(r, data, {56, 44}, kT0 + 20s));
  EXPECT_EQ(r.poll_at(), kT0 + 30s);
  EXPECT_TRUE(r.poll(kT0 + 30s - 1us).empty());
  EXPECT_EQ(r.datagrams_held(), 1u);
  const auto expired = r.poll(kT0 + 30s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].header.ident, 7);
  EXPECT_EQ(expired[0].header.src, kSrc);
  EXPECT_TRUE(expired[0].header.more_fragments);  // as fragment 0 arrived
  EXPECT_EQ(expired[0].first_bytes, std::vector<std::byte>(data.begin(), data.begin() + 8));
  EXPECT_EQ(r.stats().timeouts, 1u);
  expect_empty(r);
  EXPECT_TRUE(r.poll(kT0 + 60s).empty());
}

TEST(Reassembly, TimeoutWithoutFragmentZeroIsNotReported) {
  Reassembler r(with_timeout(15s));
  const auto data = datagram(100);
  EXPECT_FALSE(add(r, data, {48, 52}, kT0));
  EXPECT_EQ(r.poll_at(), kT0 + 15s);
  EXPECT_TRUE(r.poll(kT0 + 15s).empty());
  EXPECT_EQ(r.stats().timeouts, 1u);
  expect_empty(r);
}

TEST(Reassembly, TimersExpireInArrivalOrder) {
  Reassembler r;
  const auto data = datagram(16);
  for (uint16_t id = 1; id <= 5; ++id)
    EXPECT_FALSE(add(r, data, {0, 8}, kT0 + std::chrono::seconds(id), id));
  EXPECT_EQ(r.poll_at(), kT0 + 31s);
  const auto first_two = r.poll(kT0 + 32s);
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[0].header.ident, 1);
  EXPECT_EQ(first_two[1].header.ident, 2);
  EXPECT_EQ(r.poll_at(), kT0 + 33s);
  EXPECT_EQ(r.datagrams_held(), 3u);
  expect_whole(add(r, data, {8, 8}, kT0 + 32s, 4), data, 4);
  EXPECT_EQ(r.poll(kT0 + 100s).size(), 2u);
  EXPECT_EQ(r.stats().timeouts, 4u);
  expect_empty(r);
}

TEST(Reassembly, FragmentAfterTheDeadlineDoesNotComplete) {
  // The timer ran out before the last fragment came, though nobody polled in between: the old
  // datagram is expired (and reported by the next poll), the fragment starts a new one.
  Reassembler r;
  const auto data = datagram(16);
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  EXPECT_FALSE(add(r, data, {8, 8}, kT0 + 30s));
  EXPECT_EQ(r.stats().timeouts, 1u);
  EXPECT_EQ(r.datagrams_held(), 1u);
  EXPECT_EQ(r.poll_at(), kT0 + 30s);  // a report is waiting
  const auto expired = r.poll(kT0 + 30s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(r.poll_at(), kT0 + 60s);
}

TEST(Reassembly, InterleavedDatagrams) {
  Reassembler r;
  const auto a = datagram(3000, 1);
  const auto b = datagram(2000, 2);
  EXPECT_FALSE(add(r, a, {0, 1000}, kT0, 1));
  EXPECT_FALSE(add(r, b, {1000, 1000}, kT0, 2));
  EXPECT_FALSE(add(r, a, {2000, 1000}, kT0, 1));
  expect_whole(add(r, b, {0, 1000}, kT0 + 1ms, 2), b, 2);
  EXPECT_EQ(r.stats().reassembled, 1u);
  expect_whole(add(r, a, {1000, 1000}, kT0, 1), a, 1);
  expect_empty(r);
}

TEST(Reassembly, SameIdentFromDifferentSourcesKeptApart) {
  Reassembler r;
  const auto a = datagram(16, 1);
  const auto b = datagram(16, 2);
  EXPECT_FALSE(add(r, a, {0, 8}, kT0, 9, kSrc));
  EXPECT_FALSE(add(r, b, {0, 8}, kT0, 9, kOtherSrc));  // not a duplicate
  EXPECT_EQ(r.datagrams_held(), 2u);
  const auto got_b = add(r, b, {8, 8}, kT0, 9, kOtherSrc);
  ASSERT_TRUE(got_b);
  EXPECT_EQ(got_b->header.src, kOtherSrc);
  EXPECT_EQ(bytes_of(got_b->payload), b);
  expect_whole(add(r, a, {8, 8}, kT0, 9, kSrc), a, 9);
  EXPECT_EQ(r.stats().duplicates, 0u);
}

TEST(Reassembly, SameIdentForDifferentProtocolsKeptApart) {
  Reassembler r;
  const auto data = datagram(16);
  Repr tcp = fragment_header(9, 0, 8, true);
  tcp.protocol = 6;
  EXPECT_FALSE(r.add(tcp, std::span(data).first(8), kT0));
  EXPECT_FALSE(add(r, data, {0, 8}, kT0, 9));
  EXPECT_EQ(r.datagrams_held(), 2u);
  EXPECT_EQ(r.stats().duplicates, 0u);
}

TEST(Reassembly, OldestDatagramEvictedAtMaxDatagrams) {
  Reassembler r(with_datagrams(2));
  const auto data = datagram(16);
  EXPECT_FALSE(add(r, data, {0, 8}, kT0, 1));
  EXPECT_FALSE(add(r, data, {0, 8}, kT0, 2));
  EXPECT_FALSE(add(r, data, {0, 8}, kT0, 3));
  EXPECT_EQ(r.stats().over_memory, 1u);
  EXPECT_EQ(r.datagrams_held(), 2u);
  expect_whole(add(r, data, {8, 8}, kT0, 2), data, 2);
  // Datagram 1 is gone: its second half starts a new datagram (and evicts nothing now).
  EXPECT_FALSE(add(r, data, {8, 8}, kT0, 1));
  EXPECT_EQ(r.datagrams_held(), 2u);
  EXPECT_EQ(r.stats().over_memory, 1u);
}

TEST(Reassembly, OldestDatagramEvictedAtMaxBytes) {
  constexpr size_t kPer = Reassembler::kDatagramOverhead + 1000 + Reassembler::kFragmentOverhead;
  Reassembler r(with_bytes(3 * kPer));
  const auto data = datagram(2000);
  for (uint16_t id = 1; id <= 3; ++id)
    EXPECT_FALSE(add(r, data, {0, 1000}, kT0, id));
  EXPECT_EQ(r.bytes_held(), 3 * kPer);
  EXPECT_EQ(r.stats().over_memory, 0u);
  // Datagram 3 grows: datagram 1, the oldest, makes room; 2 stays.
  EXPECT_FALSE(add(r, data, {1000, 8}, kT0, 3));
  EXPECT_EQ(r.stats().over_memory, 1u);
  EXPECT_EQ(r.datagrams_held(), 2u);
  EXPECT_LE(r.bytes_held(), 3 * kPer);
  expect_whole(add(r, data, {1000, 1000}, kT0, 2), data, 2);
}

TEST(Reassembly, OldestIsKeptWhenItIsTheOneGrowing) {
  constexpr size_t kPer = Reassembler::kDatagramOverhead + 1000 + Reassembler::kFragmentOverhead;
  Reassembler r(with_bytes(2 * kPer));
  const auto data = datagram(2000);
  EXPECT_FALSE(add(r, data, {0, 1000}, kT0, 1));
  EXPECT_FALSE(add(r, data, {0, 1000}, kT0, 2));
  // Datagram 1 is the oldest, but it is the one this fragment completes: 2 goes instead.
  expect_whole(add(r, data, {1000, 1000}, kT0, 1), data, 1);
  EXPECT_EQ(r.stats().over_memory, 1u);
  expect_empty(r);
}

TEST(Reassembly, DatagramThatCannotFitIsDroppedWithoutEvictingOthers) {
  Reassembler r(with_bytes(4000));
  const auto small = datagram(16);
  const auto big = datagram(8000);
  EXPECT_FALSE(add(r, small, {0, 8}, kT0, 1));
  // Alone over the cap: refused at once, datagram 1 untouched.
  EXPECT_FALSE(add(r, big, {0, 4000}, kT0, 2));
  EXPECT_EQ(r.stats().over_memory, 1u);
  EXPECT_EQ(r.datagrams_held(), 1u);
  // A datagram that grows past the cap on its own is dropped whole, not held to its timeout.
  EXPECT_FALSE(add(r, big, {0, 2000}, kT0, 3));
  EXPECT_EQ(r.datagrams_held(), 2u);
  EXPECT_FALSE(add(r, big, {2000, 2000}, kT0, 3));
  EXPECT_EQ(r.stats().over_memory, 2u);
  EXPECT_EQ(r.datagrams_held(), 1u);
  expect_whole(add(r, small, {8, 8}, kT0, 1), small, 1);
  expect_empty(r);
}

// Random datagrams cut at random 8-byte boundaries, shuffled, with exact copies mixed in and
// several datagrams in flight (each longer than one piece, so all are fragmented): each completes
// exactly when its last missing piece arrives. A copy that comes after completion starts a new
// datagram, which its timer clears.
TEST(Reassembly, RandomCutsShuffledWithDuplicates) {
  std::mt19937 rng(2024);
  Reassembler r;
  size_t late_copies = 0, late_wholes = 0;
  for (int round = 0; round < 50; ++round) {
    const Instant now = kT0 + std::chrono::minutes(round);
    struct Arrival {
      uint16_t ident;
      Piece piece;
    };
    std::vector<std::vector<std::byte>> datagrams;
    std::vector<Arrival> arrivals;
    std::vector<std::vector<size_t>> missing(4);  // offsets not yet seen
    for (uint16_t id = 0; id < 4; ++id) {
      datagrams.push_back(datagram(801 + rng() % 6000, static_cast<uint8_t>(round * 4 + id)));
      const size_t n = datagrams.back().size();
      for (size_t off = 0; off < n;) {
        const size_t len = std::min(n - off, 8 * (1 + rng() % 100));
        arrivals.push_back({id, {off, len}});
        if (rng() % 4 == 0) arrivals.push_back({id, {off, len}});
        missing[id].push_back(off);
        off += len;
      }
    }
    std::shuffle(arrivals.begin(), arrivals.end(), rng);
    std::vector<bool> done(4, false);
    for (const auto& a : arrivals) {
      auto& m = missing[a.ident];
      const auto pos = std::find(m.begin(), m.end(), a.piece.offset);
      const bool first_copy = pos != m.end();
      if (first_copy) m.erase(pos);
      const auto got = add(r, datagrams[a.ident], a.piece, now, a.ident);
      if (done[a.ident]) {
        ++late_copies;
        if (got) ++late_wholes;  // every piece came twice, the copies after the originals
      } else if (m.empty()) {
        expect_whole(got, datagrams[a.ident], a.ident);
        done[a.ident] = true;
      } else {
        EXPECT_FALSE(got);
      }
    }
    (void)r.poll(now + 30s);
    expect_empty(r);
  }
  EXPECT_EQ(r.stats().reassembled, 200u + late_wholes);
  EXPECT_GT(late_copies, 0u);
  EXPECT_EQ(r.stats().overlaps + r.stats().bad + r.stats().over_memory, 0u);
}

// 100,000 fragments with random sources, idents, offsets, lengths and flags: whatever arrives,
// the memory charged and the datagrams held never pass their limits, and the books balance.
void flood(const ReassemblyLimits& limits, uint32_t seed) {
  Reassembler r(limits);
  std::mt19937 rng(seed);
  std::vector<std::byte> buf(1480, std::byte{0x5a});
  Instant now = kT0;
  size_t completed = 0;
  for (int i = 0; i < 100'000; ++i) {
    Repr h = fragment_header(static_cast<uint16_t>(rng() % 2000), (rng() % 8000) * 8, 0,
                             rng() % 5 != 0, Address(10, 1, 0, static_cast<uint8_t>(rng() % 4)));
    size_t len = 8 * (1 + rng() % 185);
    if (!h.more_fragments) len -= rng() % 8;
    len = std::min(len, 65515 - std::min<size_t>(h.frag_offset, 65515));
    h.payload_len = len;
    if (h.frag_offset == 0 && !h.more_fragments) h.more_fragments = true;
    if (r.add(h, std::span(buf).first(len), now)) ++completed;
    ASSERT_LE(r.bytes_held(), limits.max_bytes) << "fragment " << i;
    ASSERT_LE(r.datagrams_held(), limits.max_datagrams) << "fragment " << i;
    now += 100us;
  }
  const auto& s = r.stats();
  EXPECT_EQ(s.fragments, 100'000u);
  EXPECT_EQ(s.reassembled, completed);
  EXPECT_GT(s.over_memory + s.timeouts, 0u);
  (void)r.poll(now + limits.timeout);
  expect_empty(r);
}

TEST(Reassembly, FloodStaysWithinASmallCap) {
  ReassemblyLimits limits = with_bytes(64 * 1024);
  limits.max_datagrams = 32;
  flood(limits, 42);
}

TEST(Reassembly, FloodStaysWithinTheDefaultCap) {
  flood(ReassemblyLimits{}, 7);
}

TEST(Reassembly, CountersNameEveryStat) {
  Reassembler r;
  const auto data = datagram(16);
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  EXPECT_FALSE(add(r, data, {0, 8}, kT0));
  const auto g = r.counters();
  EXPECT_EQ(g.name, "ipv4 reassembly");
  auto value = [&](std::string_view label) {
    for (const auto& [l, v] : g.values)
      if (l == label) return v;
    ADD_FAILURE() << "no counter " << label;
    return uint64_t{0};
  };
  EXPECT_EQ(value("fragments"), 2u);
  EXPECT_EQ(value("duplicates"), 1u);
  EXPECT_EQ(value("datagrams held"), 1u);
  EXPECT_EQ(value("bytes held"), r.bytes_held());
}

}  // namespace
}  // namespace tundra::ip
