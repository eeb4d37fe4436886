// Tests of tundra-fetch's exit codes: each failure its own code, and --help lists them all.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "apps/fetch/exit_codes.hpp"

namespace tundra::fetch {
namespace {

TEST(FetchExitCodes, AllDistinct) {
  const std::set<int> codes{
      kExitOk,      kExitStart,    kExitUsage,       kExitBadUrl,    kExitResolve,
      kExitRefused, kExitTimedOut, kExitBadResponse, kExitHttpError, kExitTooManyRedirects,
      kExitWrite};
  EXPECT_EQ(codes.size(), 11u);
  EXPECT_EQ(*codes.rbegin(), 10);
}

TEST(FetchExitCodes, FromErrno) {
  EXPECT_EQ(exit_code_for_errno(0), kExitOk);
  EXPECT_EQ(exit_code_for_errno(ECONNREFUSED), kExitRefused);
  EXPECT_EQ(exit_code_for_errno(ETIMEDOUT), kExitTimedOut);
  EXPECT_EQ(exit_code_for_errno(EINPROGRESS), kExitTimedOut);  // SO_SNDTIMEO ran out
  EXPECT_EQ(exit_code_for_errno(EAGAIN), kExitTimedOut);
  EXPECT_EQ(exit_code_for_errno(ECONNRESET), kExitBadResponse);
  EXPECT_EQ(exit_code_for_errno(EPIPE), kExitBadResponse);
  EXPECT_EQ(exit_code_for_errno(EBADF), kExitStart);
  EXPECT_EQ(exit_code_for_errno(ENOMEM), kExitStart);
}

TEST(FetchExitCodes, HelpListsEveryCode) {
  const std::string help = exit_codes_help();
  for (int code = 0; code <= 10; ++code) {
    const std::string needle = (code < 10 ? "   " : "  ") + std::to_string(code) + "  ";
    EXPECT_NE(help.find(needle), std::string::npos) << code;
  }
  EXPECT_NE(help.find("https is not supported"), std::string::npos);
}

TEST(FetchExitCodes, DescribeErrno) {
  EXPECT_EQ(describe_errno(ECONNREFUSED), "ECONNREFUSED (Connection refused)");
}

}  // namespace
}  // namespace tundra::fetch
