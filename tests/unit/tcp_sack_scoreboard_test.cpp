// SackScoreboard (stack/tcp/sack_scoreboard): merging SACK blocks, ignoring bogus ones, SND.UNA
// advancing, the bound on ranges, wrap-around, and a randomized check
// against a per-byte model.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "stack/tcp/sack_scoreboard.hpp"

namespace tundra::tcp {
namespace {

using Block = std::pair<Seq, Seq>;

// Sequence numbers as offsets from an initial sequence number.
constexpr Seq kIss(1'000'000);
Seq at(uint32_t offset) {
  return kIss + offset;
}
Block block(uint32_t begin, uint32_t end) {
  return {at(begin), at(end)};
}

void sack(SackScoreboard& sb, uint32_t una, uint32_t nxt, std::vector<Block> blocks) {
  sb.update(at(una), at(nxt), blocks);
}

TEST(SackScoreboard, StartsEmpty) {
  SackScoreboard sb;
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_FALSE(sb.is_sacked(at(0)));
  EXPECT_FALSE(sb.highest_sacked());
  EXPECT_EQ(sb.allocated_bytes(), 0u);
}

TEST(SackScoreboard, AdjacentAndOverlappingBlocksMerge) {
  SackScoreboard sb;
  sack(sb, 0, 10000, {block(100, 200), block(200, 300)});
  EXPECT_EQ(sb.range_count(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 200u);
  sack(sb, 0, 10000, {block(150, 400)});
  EXPECT_EQ(sb.range_count(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 300u);
  sack(sb, 0, 10000, {block(500, 600), block(800, 900)});
  EXPECT_EQ(sb.range_count(), 3u);
  EXPECT_EQ(sb.sacked_bytes(), 500u);
  // One block spanning them all, repeated (receivers repeat blocks in successive ACKs).
  sack(sb, 0, 10000, {block(50, 1000), block(50, 1000), block(300, 350)});
  EXPECT_EQ(sb.range_count(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 950u);
  EXPECT_FALSE(sb.is_sacked(at(49)));
  EXPECT_TRUE(sb.is_sacked(at(50)));
  EXPECT_TRUE(sb.is_sacked(at(999)));
  EXPECT_FALSE(sb.is_sacked(at(1000)));
  EXPECT_EQ(sb.highest_sacked(), at(1000));
}

TEST(SackScoreboard, BlocksOutsideTheFlightAreIgnored) {
  SackScoreboard sb;
  sack(sb, 1000, 2000,
       {
           block(900, 950),    // below SND.UNA (a D-SACK, RFC 2883)
           block(1000, 1100),  // starting at SND.UNA: the ACK would have covered it
           block(950, 1100),   // straddling SND.UNA
       });
  sack(sb, 1000, 2000,
       {
           block(1900, 2100),  // beyond SND.NXT: never sent
           block(1500, 1500),  // empty
           block(1600, 1500),  // reversed
       });
  // Far away in either direction (more than 2^31 off reads as "before").
  sb.update(at(1000), at(2000), std::vector<Block>{{at(1000) + 0x9000'0000u, at(1200)}});
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.range_count(), 0u);
  // SND.NXT < SND.UNA (nonsense) takes nothing either.
  sack(sb, 2000, 1000, {block(2100, 2200)});
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  // The last byte sent may be SACKed.
  sack(sb, 1000, 2000, {block(1999, 2000), block(1001, 1002)});
  EXPECT_EQ(sb.sacked_bytes(), 2u);
  EXPECT_EQ(sb.range_count(), 2u);
}

TEST(SackScoreboard, AdvanceDropsWhatSndUnaCovers) {
  SackScoreboard sb;
  sack(sb, 0, 1000, {block(100, 200), block(300, 400)});
  sb.advance(at(150));  // cuts into the first range
  EXPECT_EQ(sb.sacked_bytes(), 150u);
  EXPECT_FALSE(sb.is_sacked(at(149)));
  EXPECT_TRUE(sb.is_sacked(at(150)));
  sb.advance(at(350));
  EXPECT_EQ(sb.range_count(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 50u);
  // update() applies its SND.UNA first too.
  sack(sb, 400, 1000, {block(500, 600)});
  EXPECT_EQ(sb.range_count(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 100u);
  sb.advance(at(600));
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_FALSE(sb.highest_sacked());
  EXPECT_EQ(sb.allocated_bytes(), 0u);  // an idle connection holds nothing
}

TEST(SackScoreboard, ClearForgetsEverything) {
  SackScoreboard sb;
  sack(sb, 0, 1000, {block(100, 200), block(300, 400)});
  sb.clear();
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.range_count(), 0u);
  EXPECT_FALSE(sb.is_sacked(at(150)));
  EXPECT_EQ(sb.allocated_bytes(), 0u);
}

TEST(SackScoreboard, WorksAcrossTheSequenceWrap) {
  SackScoreboard sb;
  const Seq una(0xFFFF'FF00u);
  const Seq nxt = una + 0x200u;
  const std::vector<Block> blocks{{una + 0x80u, una + 0x180u}, {una + 0x1C0u, nxt}};
  sb.update(una, nxt, blocks);
  EXPECT_EQ(sb.sacked_bytes(), 0x100u + 0x40u);
  EXPECT_TRUE(sb.is_sacked(Seq(0xFFFF'FFFFu)));
  EXPECT_TRUE(sb.is_sacked(Seq(0)));
  EXPECT_FALSE(sb.is_sacked(Seq(0x80)));
  EXPECT_EQ(sb.highest_sacked(), Seq(0x100));
  sb.advance(Seq(0x40));
  EXPECT_EQ(sb.sacked_bytes(), 0x40u + 0x40u);
}

TEST(SackScoreboard, RangesAreBoundedKeepingTheLargest) {
  SackScoreboard sb;
  const uint32_t nxt = 100'000;
  sack(sb, 0, nxt, {block(90'000, 95'000)});
  // A hostile peer SACKs a thousand separate single bytes.
  for (uint32_t i = 0; i < 1000; i += 4) {
    std::vector<Block> blocks;
    for (uint32_t j = i; j < i + 4; ++j)
      blocks.push_back(block(10 + 20 * j, 11 + 20 * j));
    sack(sb, 0, nxt, blocks);
    ASSERT_LE(sb.range_count(), SackScoreboard::kMaxRanges);
  }
  EXPECT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
  EXPECT_LE(sb.allocated_bytes(), 2 * SackScoreboard::kMaxRanges * 2 * sizeof(Seq));
  // The big range survived; of the equal small ones the lowest went first.
  EXPECT_TRUE(sb.is_sacked(at(92'000)));
  EXPECT_FALSE(sb.is_sacked(at(10)));
  EXPECT_TRUE(sb.is_sacked(at(10 + 20 * 999)));
  // sacked_bytes() stays the sum of what is held.
  size_t counted = 0;
  for (uint32_t s = 0; s < nxt; ++s)
    counted += sb.is_sacked(at(s)) ? 1 : 0;
  EXPECT_EQ(sb.sacked_bytes(), counted);
  EXPECT_EQ(counted, 5000u + SackScoreboard::kMaxRanges - 1);
}

// Random SACK blocks (valid and not), ACKs, transmissions and the odd timeout, with the flight
// crossing the 2^32 wrap, checked after every step against one bool per byte.
TEST(SackScoreboard, MatchesAPerByteModel) {
  std::mt19937 rng(777);
  const Seq base(0xFFFF'F000u);
  constexpr uint64_t kTotal = 400'000;
  constexpr uint64_t kMaxFlight = 3000;
  std::vector<bool> model(kTotal + kMaxFlight);
  uint64_t una = 0;
  uint64_t nxt = 0;
  SackScoreboard sb;
  auto seq = [&](uint64_t off) { return base + static_cast<size_t>(off); };
  auto rand = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };

  for (int step = 0; step < 6000 && nxt + kMaxFlight < kTotal; ++step) {
    switch (rand(0, 9)) {
      case 0:
      case 1:
        nxt = std::min(una + kMaxFlight, nxt + rand(0, 800));
        break;
      case 2: {
        una += rand(0, nxt - una);
        sb.advance(seq(una));
        break;
      }
      case 3:
        if (rand(0, 20) == 0) {
          sb.clear();
          std::fill(model.begin(), model.end(), false);
        }
        break;
      default: {
        std::vector<Block> blocks;
        for (uint64_t n = rand(1, 4); n > 0; --n) {
          const int64_t b = static_cast<int64_t>(una) + static_cast<int64_t>(rand(0, 3200)) - 100;
          const int64_t e = b + static_cast<int64_t>(rand(0, 150)) - 5;
          if (b < 0 || e < 0) continue;
          blocks.emplace_back(seq(static_cast<uint64_t>(b)), seq(static_cast<uint64_t>(e)));
          if (b > static_cast<int64_t>(una) && e > b && e <= static_cast<int64_t>(nxt))
            for (int64_t p = b; p < e; ++p)
              model[static_cast<size_t>(p)] = true;
        }
        sb.update(seq(una), seq(nxt), blocks);
      }
    }

    // The model: runs of SACKed bytes in [una, nxt).
    std::vector<std::pair<uint64_t, uint64_t>> runs;
    size_t bytes = 0;
    for (uint64_t p = una; p < nxt; ++p) {
      ASSERT_EQ(sb.is_sacked(seq(p)), static_cast<bool>(model[p])) << "step " << step;
      if (!model[p]) continue;
      ++bytes;
      if (runs.empty() || runs.back().second != p)
        runs.emplace_back(p, p + 1);
      else
        runs.back().second = p + 1;
    }
    ASSERT_LT(runs.size(), SackScoreboard::kMaxRanges);  // the bound must not interfere here
    ASSERT_EQ(sb.range_count(), runs.size());
    ASSERT_EQ(sb.sacked_bytes(), bytes);
    if (runs.empty()) {
      ASSERT_FALSE(sb.highest_sacked());
    } else {
      ASSERT_EQ(sb.highest_sacked(), seq(runs.back().second));
    }
  }
  EXPECT_GT(nxt, 100'000u);  // the flight went well past the wrap
}

// RFC 2883 4: the first block is a D-SACK when it lies below the ACK or within the second block.
TEST(IsDsack, TheFirstBlockBelowTheAckOrWithinTheSecond) {
  EXPECT_FALSE(is_dsack(at(1000), std::vector<Block>{}));
  EXPECT_TRUE(is_dsack(at(1000), std::vector{block(500, 600)}));     // below the ACK
  EXPECT_TRUE(is_dsack(at(1000), std::vector{block(900, 1000)}));    // ending at it
  EXPECT_FALSE(is_dsack(at(1000), std::vector{block(1000, 1100)}));  // an ordinary SACK
  EXPECT_TRUE(is_dsack(at(1000), std::vector{block(2000, 2100), block(1500, 2500)}));
  EXPECT_TRUE(is_dsack(at(1000), std::vector{block(1500, 2500), block(1500, 2500)}));
  EXPECT_FALSE(is_dsack(at(1000), std::vector{block(2000, 2600), block(1500, 2500)}));
  EXPECT_FALSE(is_dsack(at(1000), std::vector{block(3000, 3100), block(1500, 2500)}));
  EXPECT_FALSE(is_dsack(at(1000), std::vector{block(600, 500)})) << "empty or inverted";
}

}  // namespace
}  // namespace tundra::tcp
