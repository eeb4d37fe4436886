// RecvBuffer (stack/tcp/recv_buffer): in-order and out-of-order arrival, overlaps (held bytes
// win), the window edge, the range limit, RFC 2018 SACK block order, memory given back, large
// in-order segments kept in their datagrams instead of copied, and randomized reassemblies of a
// known stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "stack/tcp/chunk_store.hpp"
#include "stack/tcp/recv_buffer.hpp"

namespace tundra::tcp {
namespace {

constexpr size_t kChunk = ChunkStore::kChunkSize;

std::byte stream_byte(uint64_t pos) {
  return static_cast<std::byte>((pos * 131 + pos / 251 + 3) & 0xff);
}
std::vector<std::byte> stream(uint64_t from, size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = stream_byte(from + i);
  return v;
}
std::vector<std::byte> filled(size_t n, char c) {
  return std::vector<std::byte>(n, static_cast<std::byte>(c));
}
// A received datagram as the TCP layer sees it: `header` bytes in front of the segment text
// (stream bytes from `from`), in a buffer from the usual size classes.
PacketBuffer datagram(uint64_t from, size_t len, size_t header = 40) {
  PacketBuffer p = PacketBuffer::with_capacity(header + len);
  std::fill_n(p.append(header).data(), header, std::byte{0xee});
  const auto text = stream(from, len);
  p.append(text);
  return p;
}
std::span<const std::byte> text_of(const PacketBuffer& p, size_t header = 40) {
  return p.bytes().subspan(header);
}
std::vector<std::byte> read_all(RecvBuffer& b) {
  std::vector<std::byte> v(b.readable());
  EXPECT_EQ(b.read(v), v.size());
  return v;
}

TEST(RecvBuffer, StartsEmptyWithTheWholeWindow) {
  RecvBuffer b(65536);
  EXPECT_EQ(b.capacity(), 65536u);
  EXPECT_EQ(b.readable(), 0u);
  EXPECT_EQ(b.window(), 65536u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(b.out_of_order_bytes(), 0u);
  EXPECT_TRUE(b.sack_ranges(4).empty());
  EXPECT_EQ(b.allocated_bytes(), 0u);
  std::vector<std::byte> out(10);
  EXPECT_EQ(b.read(out), 0u);
}

TEST(RecvBuffer, InOrderDataIsReadableAndShrinksTheWindow) {
  RecvBuffer b(10000);
  EXPECT_EQ(b.insert(0, stream(0, 1000)), 1000u);
  EXPECT_EQ(b.insert(0, stream(1000, 500)), 500u);
  EXPECT_EQ(b.readable(), 1500u);
  EXPECT_EQ(b.window(), 8500u);
  std::vector<std::byte> out(600);
  EXPECT_EQ(b.read(out), 600u);
  EXPECT_EQ(out, stream(0, 600));
  EXPECT_EQ(b.window(), 9100u);
  EXPECT_EQ(read_all(b), stream(600, 900));
  EXPECT_EQ(b.window(), 10000u);
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(RecvBuffer, PeekKeepsTheBytes) {
  RecvBuffer b(10000);
  ASSERT_EQ(b.insert(0, stream(0, 300)), 300u);
  std::vector<std::byte> out(200);
  EXPECT_EQ(b.peek(out), 200u);
  EXPECT_EQ(out, stream(0, 200));
  EXPECT_EQ(b.readable(), 300u);
  std::vector<std::byte> big(1000);
  EXPECT_EQ(b.peek(big), 300u);
  EXPECT_EQ(read_all(b), stream(0, 300));
}

TEST(RecvBuffer, DiscardConsumesWithoutCopyingAndGivesStorageBack) {
  RecvBuffer b(1 << 20);
  ASSERT_EQ(b.insert(0, stream(0, 3 * kChunk)), 3 * kChunk);
  EXPECT_EQ(b.discard(kChunk + 10), kChunk + 10);
  EXPECT_EQ(b.readable(), 2 * kChunk - 10);
  EXPECT_LE(b.allocated_bytes(), 2 * kChunk + 4096) << "the first chunk was not given back";
  EXPECT_EQ(b.window(), (1u << 20) - (2 * kChunk - 10));
  std::vector<std::byte> out(20);
  ASSERT_EQ(b.read(out), 20u);
  EXPECT_EQ(out, stream(kChunk + 10, 20)) << "the stream goes on after what was dropped";
  EXPECT_EQ(b.discard(1 << 30), 2 * kChunk - 30) << "at most what is readable";
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(RecvBuffer, OutOfOrderDataWaitsThenJoinsUp) {
  RecvBuffer b(10000);
  EXPECT_EQ(b.insert(1000, stream(1000, 500)), 0u);
  EXPECT_EQ(b.insert(2000, stream(2000, 100)), 0u);
  EXPECT_EQ(b.readable(), 0u);
  EXPECT_TRUE(b.has_out_of_order());
  EXPECT_EQ(b.out_of_order_bytes(), 600u);
  // Out-of-order data lies inside the window: it does not shrink it.
  EXPECT_EQ(b.window(), 10000u);
  // Filling [0, 1000) joins the first held range, not the second.
  EXPECT_EQ(b.insert(0, stream(0, 1000)), 1500u);
  EXPECT_EQ(b.readable(), 1500u);
  EXPECT_EQ(b.window(), 8500u);
  EXPECT_EQ(b.out_of_order_bytes(), 100u);
  // Offsets are now relative to the new RCV.NXT (1500).
  EXPECT_EQ(b.sack_ranges(4), (std::vector<SackRange>{{500, 600}}));
  EXPECT_EQ(b.insert(0, stream(1500, 500)), 600u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(read_all(b), stream(0, 2100));
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(RecvBuffer, SegmentBridgingSeveralHeldRangesMergesThem) {
  RecvBuffer b(10000);
  ASSERT_EQ(b.insert(100, stream(100, 50)), 0u);
  ASSERT_EQ(b.insert(200, stream(200, 50)), 0u);
  ASSERT_EQ(b.insert(300, stream(300, 50)), 0u);
  ASSERT_EQ(b.sack_ranges(8).size(), 3u);
  EXPECT_EQ(b.insert(120, stream(120, 200)), 0u);  // [120, 320) spans all three
  EXPECT_EQ(b.sack_ranges(8), (std::vector<SackRange>{{100, 350}}));
  EXPECT_EQ(b.out_of_order_bytes(), 250u);
  // A segment that ends exactly where the held range begins also joins it.
  EXPECT_EQ(b.insert(0, stream(0, 100)), 350u);
  EXPECT_EQ(read_all(b), stream(0, 350));
}

TEST(RecvBuffer, OverlapsAreTrimmedAndHeldBytesWin) {
  RecvBuffer b(10000);
  ASSERT_EQ(b.insert(5, filled(5, 'A')), 0u);   // [5, 10)
  ASSERT_EQ(b.insert(20, filled(5, 'C')), 0u);  // [20, 25)
  ASSERT_EQ(b.insert(8, filled(14, 'B')), 0u);  // [8, 22): only [10, 20) is new
  EXPECT_EQ(b.out_of_order_bytes(), 20u);
  EXPECT_EQ(b.insert(0, filled(30, 'D')), 30u);  // fills [0, 5) and [25, 30)
  std::vector<std::byte> want;
  for (const auto& [n, c] :
       std::vector<std::pair<size_t, char>>{{5, 'D'}, {5, 'A'}, {10, 'B'}, {5, 'C'}, {5, 'D'}}) {
    const auto part = filled(n, c);
    want.insert(want.end(), part.begin(), part.end());
  }
  EXPECT_EQ(read_all(b), want);
}

TEST(RecvBuffer, DuplicateSegmentsChangeNothing) {
  RecvBuffer b(10000);
  ASSERT_EQ(b.insert(100, stream(100, 100)), 0u);
  EXPECT_EQ(b.insert(100, filled(100, 'x')), 0u);
  EXPECT_EQ(b.insert(120, filled(30, 'y')), 0u);
  EXPECT_EQ(b.out_of_order_bytes(), 100u);
  EXPECT_EQ(b.sack_ranges(4), (std::vector<SackRange>{{100, 200}}));
  EXPECT_EQ(b.insert(0, stream(0, 100)), 200u);
  EXPECT_EQ(read_all(b), stream(0, 200));
}

TEST(RecvBuffer, DataBeyondTheWindowIsCutOff) {
  RecvBuffer b(1000);
  EXPECT_EQ(b.insert(900, stream(900, 300)), 0u);  // [900, 1200): only [900, 1000) fits
  EXPECT_EQ(b.out_of_order_bytes(), 100u);
  EXPECT_EQ(b.insert(1000, stream(1000, 10)), 0u);  // wholly outside
  EXPECT_EQ(b.insert(5000, stream(5000, 10)), 0u);
  EXPECT_EQ(b.out_of_order_bytes(), 100u);
  EXPECT_EQ(b.sack_ranges(4), (std::vector<SackRange>{{900, 1000}}));
  EXPECT_EQ(b.insert(0, stream(0, 1500)), 1000u);
  EXPECT_EQ(b.readable(), 1000u);
  EXPECT_EQ(b.window(), 0u);
  // A zero window takes nothing, not even at RCV.NXT.
  EXPECT_EQ(b.insert(0, stream(1000, 1)), 0u);
  std::vector<std::byte> out(400);
  ASSERT_EQ(b.read(out), 400u);
  EXPECT_EQ(out, stream(0, 400));
  // Reading opens the window again, up to the same right edge plus what was read.
  EXPECT_EQ(b.window(), 400u);
  EXPECT_EQ(b.insert(0, stream(1000, 500)), 400u);
  EXPECT_EQ(read_all(b), stream(400, 1000));
}

TEST(RecvBuffer, LoweredCapacityClosesTheWindowButKeepsData) {
  RecvBuffer b(4000);
  ASSERT_EQ(b.insert(0, stream(0, 1000)), 1000u);
  ASSERT_EQ(b.insert(2000, stream(3000, 500)), 0u);  // [3000, 3500)
  b.set_capacity(800);
  EXPECT_EQ(b.capacity(), 800u);
  EXPECT_EQ(b.window(), 0u);
  EXPECT_EQ(b.insert(0, stream(1000, 100)), 0u);
  EXPECT_EQ(b.out_of_order_bytes(), 500u);
  EXPECT_EQ(read_all(b), stream(0, 1000));
  EXPECT_EQ(b.window(), 800u);
  b.set_capacity(4000);
  EXPECT_EQ(b.insert(0, stream(1000, 2000)), 2500u);
  EXPECT_EQ(read_all(b), stream(1000, 2500));
}

TEST(RecvBuffer, RangeLimitDropsNewOutOfOrderData) {
  RecvBuffer b(10000, 3);
  ASSERT_EQ(b.insert(10, stream(10, 5)), 0u);
  ASSERT_EQ(b.insert(20, stream(20, 5)), 0u);
  ASSERT_EQ(b.insert(30, stream(30, 5)), 0u);
  EXPECT_EQ(b.insert(40, stream(40, 5)), 0u);  // would be a fourth range: dropped
  EXPECT_EQ(b.out_of_order_bytes(), 15u);
  EXPECT_EQ(b.sack_ranges(8).size(), 3u);
  // Growing an existing range, or joining two, does not add one.
  EXPECT_EQ(b.insert(35, stream(35, 2)), 0u);
  EXPECT_EQ(b.insert(15, stream(15, 5)), 0u);
  EXPECT_EQ(b.out_of_order_bytes(), 22u);
  EXPECT_EQ(b.sack_ranges(8).size(), 2u);
  EXPECT_EQ(b.insert(40, stream(40, 5)), 0u);  // room for it now
  EXPECT_EQ(b.sack_ranges(8).size(), 3u);
  // In-order data is always taken, even with the list full.
  EXPECT_EQ(b.insert(0, stream(0, 5)), 5u);
  EXPECT_EQ(b.sack_ranges(8).size(), 3u);
  EXPECT_EQ(b.insert(0, stream(5, 5)), 20u);  // joins [10, 25)
  EXPECT_EQ(b.insert(0, stream(25, 10)), 12u);
  EXPECT_EQ(b.insert(0, stream(37, 3)), 8u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(read_all(b), stream(0, 45));
}

TEST(RecvBuffer, NoOutOfOrderRangesAllowed) {
  RecvBuffer b(10000, 0);
  EXPECT_EQ(b.insert(10, stream(10, 5)), 0u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(b.insert(0, stream(0, 5)), 5u);
}

// RFC 2018 7, case 3: left edge 5000, eight 500-byte segments; the 2nd, 4th, 6th and 8th are
// lost. Offsets here are sequence numbers minus 5000, relative to RCV.NXT.
TEST(RecvBuffer, SackBlocksFollowRfc2018Case3) {
  RecvBuffer b(65536);
  EXPECT_EQ(b.insert(0, stream(0, 500)), 500u);  // 5000: ACKed normally, RCV.NXT = 5500
  // The segment starting at sequence number `seq`, while RCV.NXT is 5500.
  auto at = [&](uint64_t seq) { return b.insert(seq - 5500, stream(seq - 5000, 500)); };
  auto blocks = [&](std::vector<std::pair<uint64_t, uint64_t>> seqs) {
    std::vector<SackRange> v;
    for (auto [l, r] : seqs)
      v.push_back(SackRange{l - 5500, r - 5500});
    return v;
  };
  EXPECT_EQ(at(6000), 0u);
  EXPECT_EQ(b.sack_ranges(3), blocks({{6000, 6500}}));
  EXPECT_EQ(at(7000), 0u);
  EXPECT_EQ(b.sack_ranges(3), blocks({{7000, 7500}, {6000, 6500}}));
  EXPECT_EQ(at(8000), 0u);
  EXPECT_EQ(b.sack_ranges(3), blocks({{8000, 8500}, {7000, 7500}, {6000, 6500}}));
  // Only as many as asked for, newest first.
  EXPECT_EQ(b.sack_ranges(2), blocks({{8000, 8500}, {7000, 7500}}));
  // The 4th segment (6500) arrives: its block comes first.
  EXPECT_EQ(at(6500), 0u);
  EXPECT_EQ(b.sack_ranges(3), blocks({{6000, 7500}, {8000, 8500}}));
  // The 2nd (5500) arrives: ACK 7500, one block left, now relative to RCV.NXT = 7500.
  EXPECT_EQ(b.insert(0, stream(500, 500)), 2000u);
  EXPECT_EQ(b.sack_ranges(3), (std::vector<SackRange>{{500, 1000}}));
}

TEST(RecvBuffer, StorageFollowsTheData) {
  RecvBuffer b(1 << 20);
  // One segment far out in a large window costs the chunks it touches, not the window.
  ASSERT_EQ(b.insert(900'000, stream(900'000, 1460)), 0u);
  EXPECT_LE(b.allocated_bytes(), 2 * kChunk + 4096);
  // In-order data and a read that leaves nothing readable: the partly read chunk goes back even
  // though out-of-order data is still held further on.
  ASSERT_EQ(b.insert(0, stream(0, 3 * kChunk + 100)), 3 * kChunk + 100);
  const size_t with_prefix = b.allocated_bytes();
  std::vector<std::byte> out(3 * kChunk + 100);
  ASSERT_EQ(b.read(out), out.size());
  EXPECT_EQ(out, stream(0, out.size()));
  EXPECT_LE(b.allocated_bytes(), with_prefix - 4 * kChunk);
  EXPECT_TRUE(b.has_out_of_order());
  // Filling the gap and reading everything gives all of it back.
  const size_t nxt = out.size();
  EXPECT_EQ(b.insert(0, stream(nxt, 900'000 - nxt)), 900'000 + 1460 - nxt);
  std::vector<std::byte> rest(b.readable());
  ASSERT_EQ(b.read(rest), rest.size());
  EXPECT_EQ(rest, stream(nxt, rest.size()));
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(RecvBuffer, LargeInOrderSegmentsAreKeptInTheirDatagram) {
  RecvBuffer b(1 << 20);
  // A small segment is copied: the datagram keeps its bytes.
  PacketBuffer small = datagram(0, 1000);
  ASSERT_EQ(b.insert(0, text_of(small), &small), 1000u);
  EXPECT_EQ(small.size(), 1040u);
  EXPECT_EQ(b.kept_segments(), 0u);
  // A large one that fills most of its buffer is kept: the buffer moves into the receive buffer.
  PacketBuffer big = datagram(1000, 10'000);
  ASSERT_EQ(big.capacity(), 16384u);
  ASSERT_EQ(b.insert(0, text_of(big), &big), 10'000u);
  EXPECT_TRUE(big.empty());
  EXPECT_EQ(b.kept_segments(), 1u);
  EXPECT_GE(b.allocated_bytes(), 16384u);
  PacketBuffer after = datagram(11'000, 500);
  ASSERT_EQ(b.insert(0, text_of(after), &after), 500u);
  PacketBuffer big2 = datagram(11'500, 9000);
  ASSERT_EQ(b.insert(0, text_of(big2), &big2), 9000u);
  EXPECT_EQ(b.kept_segments(), 2u);
  EXPECT_EQ(b.readable(), 20'500u);
  EXPECT_EQ(b.window(), (1u << 20) - 20'500u);

  // Reads and peeks that start and end inside copied and kept bytes alike.
  std::vector<std::byte> out(700);
  ASSERT_EQ(b.read(out), 700u);
  EXPECT_EQ(out, stream(0, 700));
  out.resize(5000);
  ASSERT_EQ(b.peek(out), 5000u);
  EXPECT_EQ(out, stream(700, 5000));
  out.resize(10'700);
  ASSERT_EQ(b.read(out), 10'700u);  // to 11'400: past the first kept one, into the copied 500
  EXPECT_EQ(out, stream(700, 10'700));
  EXPECT_EQ(b.kept_segments(), 1u);  // the first kept datagram was given back
  out.resize(600);
  ASSERT_EQ(b.peek(out), 600u);  // the copied tail, then into the second kept datagram
  EXPECT_EQ(out, stream(11'400, 600));
  EXPECT_EQ(b.discard(8000), 8000u);
  EXPECT_EQ(b.kept_segments(), 1u);
  EXPECT_EQ(read_all(b), stream(19'400, 1100));
  EXPECT_EQ(b.kept_segments(), 0u);
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

TEST(RecvBuffer, SegmentsThatDoNotBecomeReadableWholeAndAloneAreCopied) {
  RecvBuffer b(100'000);
  // Out of order: held in chunks, the datagram untouched.
  PacketBuffer ahead = datagram(20'000, 10'000);
  ASSERT_EQ(b.insert(20'000, text_of(ahead), &ahead), 0u);
  EXPECT_EQ(ahead.size(), 10'040u);
  // In order but reaching held data: it joins them, so it is copied too.
  PacketBuffer joining = datagram(10'000, 10'000);
  PacketBuffer first = datagram(0, 10'000);
  ASSERT_EQ(b.insert(0, text_of(first), &first), 10'000u);
  EXPECT_EQ(b.kept_segments(), 1u);
  ASSERT_EQ(b.insert(0, text_of(joining), &joining), 20'000u);
  EXPECT_EQ(joining.size(), 10'040u);
  EXPECT_EQ(b.kept_segments(), 1u);
  // In order, but filling less than half its buffer (a 64 KiB one): copied.
  PacketBuffer roomy = PacketBuffer::with_capacity(40'000);
  roomy.append(stream(30'000, 20'000));
  ASSERT_EQ(roomy.capacity(), 65536u + 2 * PacketBuffer::kHeadroom);
  ASSERT_EQ(b.insert(0, roomy.bytes(), &roomy), 20'000u);
  EXPECT_EQ(roomy.size(), 20'000u);
  // In order, but cut at the window's edge: copied.
  PacketBuffer cut = datagram(50'000, 12'000);
  b.set_capacity(60'000);
  ASSERT_EQ(b.insert(0, text_of(cut), &cut), 10'000u);
  EXPECT_EQ(cut.size(), 12'040u);
  // Bytes that do not lie in the datagram given: copied, whatever the sizes.
  b.set_capacity(100'000);
  PacketBuffer elsewhere = datagram(60'000, 10'000);
  const auto copy = stream(60'000, 10'000);
  ASSERT_EQ(b.insert(0, copy, &elsewhere), 10'000u);
  EXPECT_EQ(elsewhere.size(), 10'040u);
  EXPECT_EQ(b.kept_segments(), 1u);
  EXPECT_EQ(read_all(b), stream(0, 70'000));
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

// Large and small segments, in order and ahead of it, each in a datagram of its own, while the
// application reads, peeks and discards in random amounts: kept and copied bytes interleave,
// and what is read must be exactly the stream.
TEST(RecvBuffer, RandomKeptAndCopiedSegmentsReadBackTheStream) {
  std::mt19937 rng(20261207);
  constexpr size_t kCapacity = 256 * 1024;
  constexpr uint64_t kTotal = 4'000'000;
  RecvBuffer b(kCapacity);
  uint64_t nxt = 0;       // RCV.NXT, as positions
  uint64_t read_pos = 0;  // the next byte the application gets
  size_t kept = 0, copied = 0;
  std::vector<std::byte> out;
  for (int step = 0; read_pos < kTotal && step < 1'000'000; ++step) {
    const size_t wnd = b.window();
    const bool large = std::uniform_int_distribution<int>(0, 2)(rng) > 0;
    size_t len = large ? std::uniform_int_distribution<size_t>(8192, 16'000)(rng)
                       : std::uniform_int_distribution<size_t>(1, 3000)(rng);
    const bool ahead = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
    const size_t offset = ahead ? std::uniform_int_distribution<size_t>(1, 40'000)(rng) : 0;
    len = static_cast<size_t>(std::min<uint64_t>(len, kTotal - std::min(kTotal, nxt + offset)));
    if (len > 0 && offset < wnd) {
      PacketBuffer p = datagram(nxt + offset, len);
      const size_t advanced = b.insert(offset, text_of(p), &p);
      (p.empty() ? kept : copied) += 1;
      if (offset == 0) {
        ASSERT_GE(advanced, std::min(len, wnd));
      }
      nxt += advanced;
    }
    ASSERT_EQ(b.readable(), nxt - read_pos);
    const int what = std::uniform_int_distribution<int>(0, 5)(rng);
    if (what < 3) {
      out.resize(std::uniform_int_distribution<size_t>(0, 40'000)(rng));
      const bool peek = what == 0;
      const size_t n = peek ? b.peek(out) : b.read(out);
      ASSERT_EQ(n, std::min<uint64_t>(out.size(), nxt - read_pos));
      ASSERT_TRUE(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n),
                             stream(read_pos, n).begin()))
          << "at " << read_pos;
      if (!peek) read_pos += n;
    } else if (what == 3) {
      read_pos += b.discard(std::uniform_int_distribution<size_t>(0, 20'000)(rng));
    }
    if (nxt == kTotal && b.readable() > 0 && what == 5) read_pos += b.discard(b.readable());
  }
  ASSERT_EQ(read_pos, kTotal);
  EXPECT_GT(kept, 100u);
  EXPECT_GT(copied, 100u);
  EXPECT_EQ(b.kept_segments(), 0u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

// A known stream arrives as random slices (in any order, overlapping, duplicated, some beyond
// the window, some before RCV.NXT and trimmed as the connection would), while the application
// reads in random amounts. A bitmap of held bytes is the model: it predicts what each insert
// advances, which out-of-order bytes and SACK blocks are held, and when the range limit drops a
// segment; what is read must be exactly the stream.
TEST(RecvBuffer, RandomArrivalReassemblesTheStream) {
  std::mt19937 rng(20240611);
  constexpr size_t kCapacity = 2 * kChunk + 777;
  constexpr size_t kMaxRanges = 8;
  constexpr uint64_t kTotal = 150'000;
  RecvBuffer b(kCapacity, kMaxRanges);
  uint64_t read_pos = 0;
  uint64_t nxt = 0;
  std::vector<bool> held(kTotal + kCapacity + 8192);  // by stream position, beyond RCV.NXT
  std::vector<std::byte> got;
  got.reserve(kTotal);
  // How much of the interesting ground the run covered.
  size_t joins = 0;       // inserts that made held out-of-order data readable
  size_t drops = 0;       // out-of-order segments refused at the range limit
  size_t full_lists = 0;  // inserts after which kMaxRanges ranges were held

  auto runs_above = [&](uint64_t from, uint64_t to) {
    std::vector<SackRange> runs;
    for (uint64_t p = from; p < to; ++p) {
      if (!held[p]) continue;
      uint64_t e = p;
      while (e < to && held[e])
        ++e;
      runs.push_back(SackRange{static_cast<size_t>(p - nxt), static_cast<size_t>(e - nxt)});
      p = e;
    }
    return runs;
  };

  // One segment's text, [seg, seg + len) in stream positions, already trimmed to start at or
  // after RCV.NXT; checked against the model.
  auto arrive = [&](uint64_t seg, size_t len) {
    const uint64_t edge = read_pos + kCapacity;  // right edge of the window
    const uint64_t seg_end = std::min<uint64_t>(seg + len, edge);
    std::vector<bool> before;  // the model's bits under the segment, to undo a drop
    for (uint64_t p = seg; p < seg_end; ++p) {
      before.push_back(held[p]);
      held[p] = true;
    }
    size_t want_advance = 0;
    bool dropped = false;
    if (seg == nxt) {
      while (held[nxt + want_advance])
        ++want_advance;
    } else if (seg < seg_end) {
      dropped = runs_above(nxt, edge).size() > kMaxRanges;
    }
    const size_t advanced = b.insert(static_cast<size_t>(seg - nxt), stream(seg, len));
    ASSERT_EQ(advanced, want_advance);
    if (dropped) {
      for (uint64_t p = seg; p < seg_end; ++p)
        held[p] = before[static_cast<size_t>(p - seg)];
    }
    drops += dropped ? 1 : 0;
    joins += advanced > seg_end - seg ? 1 : 0;
    for (uint64_t p = nxt; p < nxt + advanced; ++p)
      held[p] = false;  // readable now, no longer out of order
    nxt += advanced;
    ASSERT_EQ(b.readable(), nxt - read_pos);

    const auto runs = runs_above(nxt, edge);
    size_t ooo = 0;
    for (const auto& r : runs)
      ooo += r.end - r.begin;
    ASSERT_EQ(b.out_of_order_bytes(), ooo);
    auto sacks = b.sack_ranges(kMaxRanges + 1);
    // RFC 2018 4: the first block holds the segment that triggered the ACK, unless it was
    // dropped or advanced RCV.NXT.
    if (seg < seg_end && seg != nxt - advanced && !dropped) {
      ASSERT_FALSE(sacks.empty());
      ASSERT_LE(sacks[0].begin, seg - nxt);
      ASSERT_GE(sacks[0].end, seg_end - nxt);
    }
    std::sort(sacks.begin(), sacks.end(),
              [](const SackRange& x, const SackRange& y) { return x.begin < y.begin; });
    ASSERT_EQ(sacks, runs);
    full_lists += runs.size() == kMaxRanges ? 1 : 0;
  };

  while (read_pos < kTotal) {
    const size_t wnd = kCapacity - static_cast<size_t>(nxt - read_pos);
    ASSERT_EQ(b.window(), wnd);
    // A segment from somewhat before RCV.NXT to somewhat beyond the window, mostly small so
    // that many ranges form; the part before RCV.NXT is trimmed off, as the connection does
    // before inserting.
    const int64_t start =
        std::uniform_int_distribution<int64_t>(-600, static_cast<int64_t>(wnd) + 600)(rng);
    const int64_t longest = std::uniform_int_distribution<int>(0, 4)(rng) == 0 ? 3000 : 300;
    const int64_t end = start + std::uniform_int_distribution<int64_t>(1, longest)(rng);
    const uint64_t seg = nxt + static_cast<uint64_t>(std::max<int64_t>(start, 0));
    const uint64_t seg_end =
        std::min(kTotal, nxt + static_cast<uint64_t>(std::max<int64_t>(end, 0)));
    if (seg < seg_end) {
      ASSERT_NO_FATAL_FAILURE(arrive(seg, static_cast<size_t>(seg_end - seg)));
    }

    if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      std::vector<std::byte> out(std::uniform_int_distribution<size_t>(0, 6000)(rng));
      const bool peek = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
      const size_t n = peek ? b.peek(out) : b.read(out);
      ASSERT_EQ(n, std::min(out.size(), static_cast<size_t>(nxt - read_pos)));
      ASSERT_TRUE(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n),
                             stream(read_pos, n).begin()));
      if (!peek) {
        got.insert(got.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
        read_pos += n;
      }
    }
  }
  EXPECT_EQ(got, stream(0, kTotal));
  EXPECT_GT(joins, 10u);
  EXPECT_GT(drops, 10u);
  EXPECT_GT(full_lists, 10u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(b.allocated_bytes(), 0u);
}

}  // namespace
}  // namespace tundra::tcp
