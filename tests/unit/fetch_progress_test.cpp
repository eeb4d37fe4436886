// Tests of tundra-fetch's progress line: sizes, ETA, the line with and without a known length,
// when it is drawn, and the redraw throttle.
#include <gtest/gtest.h>

#include "apps/fetch/progress.hpp"

namespace tundra::fetch {
namespace {

TEST(FetchProgress, Sizes) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(1024), "1.0 KiB");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
  EXPECT_EQ(format_size(20u << 20), "20.0 MiB");
  EXPECT_EQ(format_size(uint64_t{3} << 30), "3.0 GiB");
  EXPECT_EQ(format_size(uint64_t{5} << 40), "5.0 TiB");
  EXPECT_EQ(format_size(uint64_t{5000} << 40), "5000.0 TiB");
}

TEST(FetchProgress, Eta) {
  EXPECT_EQ(format_eta(std::nullopt), "--:--");
  EXPECT_EQ(format_eta(-1.0), "--:--");
  EXPECT_EQ(format_eta(0.4), "0:00");
  EXPECT_EQ(format_eta(7.0), "0:07");
  EXPECT_EQ(format_eta(754.0), "12:34");
  EXPECT_EQ(format_eta(3723.0), "1:02:03");
}

TEST(FetchProgress, KnownLength) {
  EXPECT_EQ(format_progress({10u << 20, 20u << 20, 2.0}, 10),
            "  10.0 MiB / 20.0 MiB   50% [#####-----]  5.0 MiB/s  ETA 0:02");
  EXPECT_EQ(format_progress({20u << 20, 20u << 20, 4.0}, 10),
            "  20.0 MiB / 20.0 MiB  100% [##########]  5.0 MiB/s  ETA 0:00");
  // Nothing yet: no rate, no ETA; one byte short is 99%, not 100%.
  EXPECT_EQ(format_progress({0, 1000, 0.0}, 4),
            "       0 B / 1000 B    0% [----]  0 B/s  ETA --:--");
  EXPECT_EQ(format_progress({999, 1000, 1.0}, 4),
            "     999 B / 1000 B   99% [###-]  999 B/s  ETA 0:00");
  EXPECT_EQ(format_progress({0, 0, 0.0}, 4), "       0 B / 0 B  100% [####]  0 B/s  ETA --:--");
}

TEST(FetchProgress, UnknownLength) {
  EXPECT_EQ(format_progress({3u << 20, std::nullopt, 2.0}), "   3.0 MiB  1.5 MiB/s");
}

TEST(FetchProgress, WhenToDraw) {
  EXPECT_TRUE(want_progress(true, false, std::nullopt));
  EXPECT_TRUE(want_progress(true, false, kProgressMinBytes));
  EXPECT_FALSE(want_progress(true, false, kProgressMinBytes - 1));
  EXPECT_FALSE(want_progress(false, false, std::nullopt));
  EXPECT_FALSE(want_progress(true, true, std::nullopt));
}

TEST(FetchProgress, ThrottleLetsTenASecondThrough) {
  using namespace std::chrono_literals;
  ProgressThrottle t;
  const ProgressThrottle::Clock::time_point t0{};
  EXPECT_TRUE(t.due(t0));
  EXPECT_FALSE(t.due(t0 + 50ms));
  EXPECT_FALSE(t.due(t0 + 99ms));
  EXPECT_TRUE(t.due(t0 + 100ms));
  EXPECT_FALSE(t.due(t0 + 150ms));
  EXPECT_TRUE(t.due(t0 + 1s));
  int drawn = 0;
  for (int ms = 1001; ms <= 2000; ++ms)
    drawn += t.due(t0 + std::chrono::milliseconds(ms));
  EXPECT_EQ(drawn, 10);
}

}  // namespace
}  // namespace tundra::fetch
