// tundra-httpd's target → path mapping against every traversal trick: dot segments raw and
// percent-encoded in any case, encoded slashes, NUL, backslashes, absolute-form.
#include <gtest/gtest.h>

#include "apps/httpd/path.hpp"

namespace tundra::httpd {
namespace {

std::string rel(std::string_view target) {
  auto r = map_target(target);
  EXPECT_TRUE(r.ok()) << target;
  return r.ok() ? r->relative() : "<refused>";
}

bool refused(std::string_view target) {
  return !map_target(target).ok();
}

TEST(HttpdPath, PlainPaths) {
  EXPECT_EQ(rel("/"), "");
  EXPECT_EQ(rel("/index.html"), "index.html");
  EXPECT_EQ(rel("/a/b/c.txt?x=1"), "a/b/c.txt");
  EXPECT_EQ(rel("/a%20b/c%2Bd"), "a b/c+d");
  EXPECT_EQ(rel("//a///b/./c"), "a/b/c");
  EXPECT_EQ(rel("http://10.0.0.2/x/y"), "x/y");  // RFC 9112 3.2.2 absolute-form
  EXPECT_EQ(rel("http://10.0.0.2"), "");
}

TEST(HttpdPath, TrailingSlashQueryAndRaw) {
  auto r = map_target("/dir%20x/?a=b");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->trailing_slash);
  EXPECT_EQ(r->raw, "/dir%20x/");
  EXPECT_EQ(r->query, "a=b");
  EXPECT_FALSE(map_target("/dir")->trailing_slash);
}

TEST(HttpdPath, DotDotInEverySpellingIsRefused) {
  for (const char* t :
       {"/..", "/../", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/%2e%2e/etc/passwd",
        "/%2E%2E/", "/%2e%2E/x", "/%2E%2e/x", "/.%2e/x", "/%2e./x", "/a/%2e%2e/%2e%2e/etc/passwd",
        "http://h/../x", "/a/b/c/../../../.."})
    EXPECT_TRUE(refused(t)) << t;
}

TEST(HttpdPath, EncodedSlashNulAndBackslashAreRefused) {
  for (const char* t : {"/a%2fb", "/a%2Fb", "/..%2f..%2fetc%2fpasswd", "/a%00b", "/%00", "/a\\b",
                        "/..\\..\\etc", "/a%5cb", "/%5C..%5Cx", "/%zz", "/%2"})
    EXPECT_TRUE(refused(t)) << t;
}

TEST(HttpdPath, NotAPathIsRefused) {
  for (const char* t : {"", "*", "index.html", "ftp://x/y", "10.0.0.2:80"})
    EXPECT_TRUE(refused(t)) << t;
}

TEST(HttpdPath, DotsInsideNamesAreFine) {
  EXPECT_EQ(rel("/a..b/...c/.d"), "a..b/...c/.d");
  EXPECT_EQ(rel("/.../x"), ".../x");
}

}  // namespace
}  // namespace tundra::httpd
