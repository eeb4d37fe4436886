// tundra-httpd's media types and directory listings: names escaped for HTML, encoded for links,
// sorted.
#include <gtest/gtest.h>

#include "apps/httpd/listing.hpp"
#include "apps/httpd/mime.hpp"

namespace tundra::httpd {
namespace {

TEST(HttpdMime, ByExtension) {
  EXPECT_EQ(mime_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("STYLE.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("a.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(mime_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("x.tar.gz"), "application/gzip");
  EXPECT_EQ(mime_type("photo.JPG"), "image/jpeg");
  EXPECT_EQ(mime_type("README"), "application/octet-stream");
  EXPECT_EQ(mime_type("file."), "application/octet-stream");
  EXPECT_EQ(mime_type("a.unknownext"), "application/octet-stream");
}

TEST(HttpdListing, Escaping) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(url_encode_segment("a b?#%\"<>/é"), "a%20b%3F%23%25%22%3C%3E%2F%C3%A9");
  EXPECT_EQ(url_encode_segment("Az09-._~"), "Az09-._~");
}

TEST(HttpdListing, RendersSortedEscapedEntries) {
  std::vector<ListingEntry> e = {{"zeta.txt", false, 5, 0},
                                 {"<script>alert(1)</script>", false, 1, 0},
                                 {"dir one", true, 0, 0},
                                 {"alpha", false, 1234, 784111777}};
  const std::string page = render_listing("/files/", e);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("href=\"%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""), std::string::npos);
  EXPECT_NE(page.find("href=\"dir%20one/\">dir one/</a>"), std::string::npos);
  EXPECT_NE(page.find(">1234<"), std::string::npos);
  EXPECT_NE(page.find("1994-11-06 08:49"), std::string::npos);
  EXPECT_NE(page.find("href=\"../\""), std::string::npos);
  // Sorted by name: '<' < 'a' < 'd' < 'z' in byte order.
  const size_t s = page.find("&lt;script"), a = page.find(">alpha<"), d = page.find(">dir one/<"),
               z = page.find(">zeta.txt<");
  EXPECT_LT(s, a);
  EXPECT_LT(a, d);
  EXPECT_LT(d, z);
}

TEST(HttpdListing, RootHasNoParentLink) {
  EXPECT_EQ(render_listing("/", {}).find("href=\"../\""), std::string::npos);
}

}  // namespace
}  // namespace tundra::httpd
