// Tests of Url::resolve: every example of RFC 3986 5.4 against its base, and what an HTTP client
// meets in Location fields (ports kept, other schemes refused).
#include <gtest/gtest.h>

#include <string>

#include "stack/http/url.hpp"

namespace tundra::http {
namespace {

Url base() {
  auto b = Url::parse("http://a/b/c/d;p?q");
  EXPECT_TRUE(b.ok());
  return *b;
}

std::string resolved(const Url& b, std::string_view reference) {
  auto r = Url::resolve(b, reference);
  if (!r) return "error: " + std::string(to_string(r.error()));
  return r->to_string();
}

struct Example {
  const char* reference;
  const char* target;
};

// RFC 3986 5.4.1.
TEST(UrlResolve, Rfc3986NormalExamples) {
  const Example examples[] = {
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},  // "http://g": parse() makes the empty path "/" (RFC 3986 6.2.3)
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y#s"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
  };
  const Url b = base();
  for (const auto& e : examples)
    EXPECT_EQ(resolved(b, e.reference), e.target) << e.reference;
}

// RFC 3986 5.4.2.
TEST(UrlResolve, Rfc3986AbnormalExamples) {
  const Example examples[] = {
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g#s/./x"},
      {"g#s/../x", "http://a/b/c/g#s/../x"},
  };
  const Url b = base();
  for (const auto& e : examples)
    EXPECT_EQ(resolved(b, e.reference), e.target) << e.reference;
}

// RFC 3986 5.4.1 "g:h" and 5.4.2 "http:g" (strict) resolve to URLs an HTTP client cannot follow.
TEST(UrlResolve, OtherSchemesAndAuthorityLessHttpAreErrors) {
  const Url b = base();
  auto other = Url::resolve(b, "g:h");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(), UrlError::kUnsupportedScheme);
  auto strict = Url::resolve(b, "http:g");
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error(), UrlError::kMissingAuthority);
}

TEST(UrlResolve, LocationFieldShapes) {
  auto b = Url::parse("http://www.example.com:8080/dir/page.html?x=1");
  ASSERT_TRUE(b.ok());
  // The base's port stays with relative references, and goes with absolute ones.
  EXPECT_EQ(resolved(*b, "/moved"), "http://www.example.com:8080/moved");
  EXPECT_EQ(resolved(*b, "other.html"), "http://www.example.com:8080/dir/other.html");
  EXPECT_EQ(resolved(*b, "http://10.0.0.1/file"), "http://10.0.0.1/file");
  EXPECT_EQ(resolved(*b, "HTTP://Other.Example/"), "http://other.example/");
  EXPECT_EQ(resolved(*b, "//cdn.example/x"), "http://cdn.example/x");
  // https is parsed (the caller decides it cannot follow it).
  auto https = Url::resolve(*b, "https://secure.example/");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->port, 443);
  // Characters a URL may not hold are refused as parse() refuses them.
  auto bad = Url::resolve(*b, "/a b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), UrlError::kInvalidCharacter);
}

}  // namespace
}  // namespace tundra::http
