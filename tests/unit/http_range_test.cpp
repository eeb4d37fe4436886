// Range requests (RFC 9110 14): each range-spec shape, clipping, unsatisfiable and ignored values.
#include <gtest/gtest.h>

#include "stack/http/range.hpp"

namespace tundra::http {
namespace {

using Kind = RangeRequest::Kind;

ByteRange single(std::string_view v, uint64_t len) {
  RangeRequest r = parse_range(v, len);
  EXPECT_EQ(r.kind, Kind::single) << v;
  return r.range;
}

TEST(HttpRange, FirstLast) {
  EXPECT_EQ(single("bytes=0-99", 1000), (ByteRange{0, 99}));
  EXPECT_EQ(single("bytes=999-999", 1000), (ByteRange{999, 999}));
  EXPECT_EQ(single("BYTES=5-9", 1000), (ByteRange{5, 9}));  // units are case-insensitive
  EXPECT_EQ(single("bytes= 5-9 ", 1000), (ByteRange{5, 9}));
}

TEST(HttpRange, LastPosPastTheEndIsClipped) {
  EXPECT_EQ(single("bytes=900-5000", 1000), (ByteRange{900, 999}));
  EXPECT_EQ(single("bytes=0-18446744073709551615", 10), (ByteRange{0, 9}));
}

TEST(HttpRange, OpenEnded) {
  EXPECT_EQ(single("bytes=1000-", 5000), (ByteRange{1000, 4999}));
  EXPECT_EQ(single("bytes=0-", 1), (ByteRange{0, 0}));
}

TEST(HttpRange, Suffix) {
  EXPECT_EQ(single("bytes=-10", 1000), (ByteRange{990, 999}));
  EXPECT_EQ(single("bytes=-5000", 1000), (ByteRange{0, 999}));  // all of it
}

TEST(HttpRange, Unsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-0", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-10", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=2000-3000,4000-", 1000).kind, Kind::unsatisfiable);
}

TEST(HttpRange, SeveralRangesAreReportedAsMultiple) {
  EXPECT_EQ(parse_range("bytes=0-1,5-6", 1000).kind, Kind::multiple);
  EXPECT_EQ(parse_range("bytes=0-1, 5000-6000", 1000).kind, Kind::multiple);
  EXPECT_EQ(single("bytes=0-1,", 1000), (ByteRange{0, 1}));  // empty elements do not count
}

TEST(HttpRange, InvalidValuesAreIgnored) {
  for (const char* bad :
       {"", "bytes", "bytes=", "items=0-1", "bytes=a-b", "bytes=5-1", "bytes=-", "bytes=1",
        "bytes=0-1,x", "bytes=99999999999999999999-", "bytes=--5", "bytes 0-1"})
    EXPECT_EQ(parse_range(bad, 1000).kind, Kind::ignore) << bad;
}

TEST(HttpRange, ContentRangeValues) {
  EXPECT_EQ(content_range({0, 99}, 1000), "bytes 0-99/1000");
  EXPECT_EQ(unsatisfied_range(1000), "bytes */1000");
}

}  // namespace
}  // namespace tundra::http
