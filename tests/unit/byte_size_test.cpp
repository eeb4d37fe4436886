// Byte counts as typed on the command line (apps/common/byte_size): units, and what is refused.
#include <gtest/gtest.h>

#include "apps/common/byte_size.hpp"

namespace tundra::app {
namespace {

TEST(ByteSize, PlainNumbersAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("0"), 0u);
  EXPECT_EQ(parse_byte_size("1500"), 1500u);
  EXPECT_EQ(parse_byte_size("1500B"), 1500u);
  EXPECT_EQ(parse_byte_size("4K"), 4096u);
  EXPECT_EQ(parse_byte_size("64MiB"), 64u << 20);
  EXPECT_EQ(parse_byte_size("64M"), 64u << 20);
  EXPECT_EQ(parse_byte_size("2GiB"), 2ull << 30);
}

TEST(ByteSize, DecimalUnits) {
  EXPECT_EQ(parse_byte_size("3kB"), 3000u);
  EXPECT_EQ(parse_byte_size("5MB"), 5'000'000u);
  EXPECT_EQ(parse_byte_size("1GB"), 1'000'000'000u);
}

TEST(ByteSize, RefusesWhatIsNotASize) {
  EXPECT_FALSE(parse_byte_size(""));
  EXPECT_FALSE(parse_byte_size("MiB"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("1.5M"));
  EXPECT_FALSE(parse_byte_size("12 M"));
  EXPECT_FALSE(parse_byte_size("7X"));
  EXPECT_FALSE(parse_byte_size("99999999999999999999"));
  EXPECT_FALSE(parse_byte_size("17179869184GiB"));  // 2^34 GiB overflows 64 bits
}

}  // namespace
}  // namespace tundra::app
