// The programs' shared options: --tx-thread / --no-tx-thread and its default, which follows
// --offload; a bad value is a one-line usage error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/common/options.hpp"

namespace tundra::app {
namespace {

// Parses `args` after a program name; returns parse()'s exit code (nullopt: go on).
std::optional<int> parse_args(CommonOptions& o, std::vector<std::string> args) {
  CLI::App app{"test", "tundra-test"};
  add_common_options(app, o);
  args.insert(args.begin(), "tundra-test");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return parse(app, o, static_cast<int>(argv.size()), argv.data());
}

TEST(CommonOptions, TxThreadIsOnByDefaultAndOffWithOffloadsUnlessAskedFor) {
  struct Case {
    std::vector<std::string> args;
    bool want;
  };
  const std::vector<Case> cases = {
      {{}, true},
      {{"--no-tx-thread"}, false},
      {{"--tx-thread"}, true},
      {{"--offload"}, false},
      {{"--offload", "--tx-thread"}, true},
      {{"--offload", "--no-tx-thread"}, false},
  };
  for (const auto& c : cases) {
    CommonOptions o;
    std::string line;
    for (const auto& a : c.args)
      line += a + " ";
    ASSERT_EQ(parse_args(o, c.args), std::nullopt) << line;
    EXPECT_EQ(tx_thread_wanted(o), c.want) << line;
  }
}

TEST(CommonOptions, TxThreadTakesNoWordValue) {
  CommonOptions o;
  testing::internal::CaptureStderr();
  const auto code = parse_args(o, {"--tx-thread=maybe"});
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUsage);
  EXPECT_NE(err.find("--tx-thread"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(CommonOptions, TcpSettingsReachTheConfigInOrder) {
  CommonOptions o;
  ASSERT_EQ(parse_args(o, {"--tcp", "sack=off", "--tcp", "min-rto=20ms", "--tcp=rcvbuf=1M", "--tcp",
                           "sack=on", "--tcp", "timestamps=off"}),
            std::nullopt);
  EXPECT_TRUE(o.tcp.sack);  // the later one wins
  EXPECT_FALSE(o.tcp.timestamps);
  EXPECT_EQ(o.tcp.rtt.min_rto, std::chrono::milliseconds(20));
  EXPECT_EQ(o.tcp.rcvbuf, 1u << 20);
  // One value per --tcp: what follows is not taken as another setting.
  CommonOptions two;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse_args(two, {"--tcp", "sack=off", "timestamps=off"}), kExitUsage);
  testing::internal::GetCapturedStderr();
}

TEST(CommonOptions, BadTcpSettingIsOneLineAndHelpListsThemAll) {
  CommonOptions o;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse_args(o, {"--tcp", "sack=maybe"}), kExitUsage);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--tcp sack: 'maybe' is not on or off"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  CommonOptions h;
  testing::internal::CaptureStdout();
  // Answered before anything else is looked at, bad arguments included.
  EXPECT_EQ(parse_args(h, {"--addr", "nonsense", "--tcp", "help"}), kExitOk);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("min-rto             200ms"), std::string::npos) << out;
}

}  // namespace
}  // namespace tundra::app
