// --tcp NAME=VALUE (apps/common/tcp_settings): each kind of value with its units, the bounds, the
// checks between settings, and that every default reads back as what it is.
#include "apps/common/tcp_settings.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tundra::app {
namespace {

using namespace std::chrono_literals;
using tcp::TcpConfig;

std::optional<std::string> apply(TcpConfig& c, std::vector<std::string> settings) {
  return apply_tcp_settings(c, settings);
}

TEST(TcpSettings, FlagsSizesCountsAndTimes) {
  TcpConfig c;
  ASSERT_EQ(apply(c, {"sack=off", "timestamps=no", "window-scaling=0", "rcvbuf=1M", "sndbuf=65536",
                      "sndbuf-max=8MiB", "quickack=0", "syn-retries=2", "delayed-ack=10",
                      "min-rto=1.5ms", "max-rto=120", "initial-rto=250ms", "keepalive-idle=5min",
                      "keepalive-interval=30", "keepalive-probes=3"}),
            std::nullopt);
  EXPECT_FALSE(c.sack);
  EXPECT_FALSE(c.timestamps);
  EXPECT_FALSE(c.window_scaling);
  EXPECT_EQ(c.rcvbuf, 1u << 20);
  EXPECT_EQ(c.sndbuf, 65536u);
  EXPECT_EQ(c.sndbuf_max, 8u << 20);
  EXPECT_EQ(c.quickack_segments, 0u);
  EXPECT_EQ(c.syn_retries, 2u);
  EXPECT_EQ(c.delayed_ack, 10ms);  // a bare number in the setting's unit
  EXPECT_EQ(c.rtt.min_rto, 1500us);
  EXPECT_EQ(c.rtt.max_rto, 120s);
  EXPECT_EQ(c.rtt.initial_rto, 250ms);
  EXPECT_EQ(c.keepalive_idle, 5min);
  EXPECT_EQ(c.keepalive_interval, 30s);
  EXPECT_EQ(c.keepalive_probes, 3u);
  // And back on: the later of two wins.
  ASSERT_EQ(apply(c, {"sack=on", "sack=off", "sack=true"}), std::nullopt);
  EXPECT_TRUE(c.sack);
}

TEST(TcpSettings, RefusedWithTheSettingNamed) {
  struct Case {
    std::string setting, message;
  };
  const std::vector<Case> cases = {
      {"sack", "'sack' is not NAME=VALUE"},
      {"=on", "'=on' is not NAME=VALUE"},
      {"nagle=off", "no setting 'nagle'"},
      {"sack=maybe", "--tcp sack: 'maybe' is not on or off"},
      {"sack=", "--tcp sack: '' is not on or off"},
      {"rcvbuf=1.5M", "--tcp rcvbuf: '1.5M' is not a size"},
      {"rcvbuf=1K", "--tcp rcvbuf: 1KiB is outside 2KiB..1GiB"},
      {"rcvbuf=2G", "--tcp rcvbuf: 2GiB is outside 2KiB..1GiB"},
      {"quickack=-1", "--tcp quickack: '-1' is not a whole number"},
      {"quickack=3x", "--tcp quickack: '3x' is not a whole number"},
      {"data-retries=0", "--tcp data-retries: 0 is outside 1..255"},
      {"delayed-ack=500ms", "--tcp delayed-ack: 500ms is outside 1ms..499ms"},
      {"delayed-ack=0", "--tcp delayed-ack: 0us is outside"},
      {"delayed-ack=40 ms", "--tcp delayed-ack: '40 ms' is not a time"},
      {"min-rto=1d", "--tcp min-rto: '1d' is not a time"},
      {"min-rto=-5", "--tcp min-rto: '-5' is not a time"},
      {"keepalive-idle=500ms", "--tcp keepalive-idle: 500ms is outside 1s..24h"},
  };
  for (const auto& k : cases) {
    TcpConfig c;
    const auto e = apply(c, {k.setting});
    ASSERT_TRUE(e) << k.setting;
    EXPECT_NE(e->find(k.message), std::string::npos) << k.setting << ": " << *e;
    EXPECT_EQ(e->find('\n'), std::string::npos) << *e;
  }
}

TEST(TcpSettings, ABufferAboveItsMaximumRaisesItUnlessTheMaximumWasGiven) {
  TcpConfig c;
  ASSERT_EQ(apply(c, {"rcvbuf=8M"}), std::nullopt);
  EXPECT_EQ(c.rcvbuf_max, 8u << 20);
  EXPECT_EQ(c.sndbuf_max, TcpConfig{}.sndbuf_max);
  TcpConfig d;
  const auto e = apply(d, {"sndbuf=8M", "sndbuf-max=4M"});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "--tcp: sndbuf (8MiB) is above sndbuf-max (4MiB)");
}

TEST(TcpSettings, MinRtoAboveMaxRtoIsRefused) {
  TcpConfig c;
  const auto e = apply(c, {"max-rto=1s", "min-rto=2s"});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "--tcp: min-rto (2s) is above max-rto (1s)");
  TcpConfig ok;
  EXPECT_EQ(apply(ok, {"max-rto=1s", "min-rto=1s"}), std::nullopt);
}

TEST(TcpSettings, EveryDefaultReadsBackAsItselfAndIsListed) {
  const TcpConfig defaults;
  const std::string help = describe_tcp_settings(defaults);
  for (const auto& s : tcp_settings()) {
    const std::string text = format_tcp_setting(s, defaults);
    // The default, typed back in, changes nothing; a changed value is what get() reads.
    TcpConfig c;
    ASSERT_EQ(apply(c, {std::string(s.name) + "=" + text}), std::nullopt) << s.name << "=" << text;
    EXPECT_EQ(s.get(c), s.get(defaults)) << s.name;
    EXPECT_GE(s.get(defaults), s.lo) << s.name;
    EXPECT_LE(s.get(defaults), s.hi) << s.name;
    TcpConfig moved;
    const uint64_t other = s.get(defaults) == s.lo ? s.hi : s.lo;
    s.set(moved, other);
    EXPECT_EQ(s.get(moved), other) << s.name;
    EXPECT_NE(help.find("  " + std::string(s.name) + " "), std::string::npos) << s.name;
  }
  EXPECT_NE(help.find("delayed-ack         40ms"), std::string::npos) << help;
  EXPECT_NE(help.find("rcvbuf-max          4MiB"), std::string::npos) << help;
  EXPECT_NE(help.find("max-rto             1min"), std::string::npos) << help;
  for (size_t start = 0, end; start < help.size(); start = end + 1) {
    end = help.find('\n', start);
    EXPECT_LE(end - start, 100u) << help.substr(start, end - start);
  }
}

}  // namespace
}  // namespace tundra::app
