// HTTP dates (RFC 9110 5.6.7): the IMF-fixdate we send, and all three formats we must accept.
#include <gtest/gtest.h>

#include "stack/http/date.hpp"

namespace tundra::http {
namespace {

constexpr std::time_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::time_t kNow = 1764028800;        // Wed, 25 Nov 2025 00:00:00 GMT

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, AppendsTheDateOfEachSecond) {
  // The text of the last second is kept: asking again for it, and then for others, must still
  // give each second's own date, after what the string held.
  std::string s = "Date: ";
  append_http_date(s, kRfcExample);
  EXPECT_EQ(s, "Date: Sun, 06 Nov 1994 08:49:37 GMT");
  for (std::time_t t : {kRfcExample, kRfcExample + 1, kRfcExample, std::time_t{0}, kNow}) {
    std::string out = "x";
    append_http_date(out, t);
    EXPECT_EQ(out, "x" + format_http_date(t));
    EXPECT_EQ(parse_http_date(out.substr(1), kNow), t);
  }
}

TEST(HttpDate, ParsesTheThreeFormats) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", kNow), kRfcExample);
}

TEST(HttpDate, TwoDigitYearsMoreThan50YearsAheadAreInThePast) {
  // RFC 9110 5.6.7, against the `now` given: in 2025, "75" is 2075 and "76" is 1976.
  EXPECT_EQ(parse_http_date("Tuesday, 01-Jan-75 00:00:00 GMT", kNow), std::time_t{3313526400});
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-76 00:00:00 GMT", kNow), std::time_t{189302400});
}

TEST(HttpDate, RoundTrips) {
  for (std::time_t t :
       {std::time_t{0}, kRfcExample, std::time_t{1700000000}, std::time_t{2000000000}})
    EXPECT_EQ(parse_http_date(format_http_date(t), kNow), t);
}

TEST(HttpDate, RefusesWhatIsNotADate) {
  for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "Sun, 32 Nov 1994 08:49:37 GMT", "Sun 06 Nov 1994 08:49:37 GMT",
                          "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994"})
    EXPECT_FALSE(parse_http_date(bad, kNow)) << bad;
}

}  // namespace
}  // namespace tundra::http
