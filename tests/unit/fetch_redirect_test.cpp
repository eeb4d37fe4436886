// Tests of tundra-fetch's redirect rules (RFC 9110 15.4): which statuses are followed and the
// method and body of the next request.
#include <gtest/gtest.h>

#include "apps/fetch/redirect.hpp"

namespace tundra::fetch {
namespace {

TEST(FetchRedirect, FollowedStatuses) {
  for (unsigned s : {301u, 302u, 303u, 307u, 308u})
    EXPECT_TRUE(is_followed_redirect(s)) << s;
  for (unsigned s : {200u, 204u, 300u, 304u, 305u, 306u, 400u, 404u, 500u})
    EXPECT_FALSE(is_followed_redirect(s)) << s;
}

TEST(FetchRedirect, MethodAndBodyAfterEachStatus) {
  struct Case {
    unsigned status;
    const char* method;
    const char* next;
    bool keep_body;
  };
  const Case cases[] = {
      {301, "GET", "GET", false},  {301, "POST", "GET", false},   {301, "HEAD", "HEAD", false},
      {302, "POST", "GET", false}, {302, "PUT", "GET", false},    {302, "HEAD", "HEAD", false},
      {303, "POST", "GET", false}, {303, "DELETE", "GET", false}, {303, "HEAD", "HEAD", false},
      {307, "POST", "POST", true}, {307, "GET", "GET", true},     {307, "HEAD", "HEAD", true},
      {308, "POST", "POST", true}, {308, "PUT", "PUT", true},
  };
  for (const auto& c : cases) {
    const NextRequest n = after_redirect(c.status, c.method);
    EXPECT_EQ(n.method, c.next) << c.status << " " << c.method;
    EXPECT_EQ(n.keep_body, c.keep_body) << c.status << " " << c.method;
  }
}

}  // namespace
}  // namespace tundra::fetch
