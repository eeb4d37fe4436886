// URL parsing (RFC 3986) for http and https: good URLs, every refused shape, decoding, dot
// segments.
#include <gtest/gtest.h>

#include "stack/http/url.hpp"

namespace tundra::http {
namespace {

Url ok(std::string_view text) {
  auto r = Url::parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : to_string(r.error()));
  return r.ok() ? *r : Url{};
}

UrlError bad(std::string_view text) {
  auto r = Url::parse(text);
  EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? r->to_string() : "");
  return r.ok() ? UrlError::kInvalidCharacter : r.error();
}

TEST(Url, HostPortPath) {
  Url u = ok("http://www.github.com:80/devgaram");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "www.github.com");
  EXPECT_FALSE(u.ipv4);
  EXPECT_EQ(u.port, 80);
  EXPECT_TRUE(u.port_given);
  EXPECT_EQ(u.path, "/devgaram");
  EXPECT_EQ(u.query, "");
  EXPECT_EQ(u.fragment, "");
  EXPECT_EQ(u.target(), "/devgaram");
  EXPECT_EQ(u.to_string(), "http://www.github.com:80/devgaram");
}

TEST(Url, SchemeAndHostAreCaseInsensitiveAndEmptyPathIsSlash) {
  Url u = ok("HTTP://Example.COM");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_FALSE(u.port_given);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.target(), "/");
  EXPECT_EQ(u.to_string(), "http://example.com/");
  // The path keeps its case: RFC 3986 6.2.2.1 normalises only scheme and host.
  EXPECT_EQ(ok("hTTpS://A.b/CaSe").path, "/CaSe");
}

TEST(Url, DefaultPorts) {
  EXPECT_EQ(ok("http://a/").port, 80);
  Url s = ok("https://a/");
  EXPECT_EQ(s.scheme, "https");
  EXPECT_EQ(s.port, 443);
  EXPECT_FALSE(s.port_given);
  // RFC 3986 3.2.3: an empty port is the default.
  Url e = ok("https://a:/x");
  EXPECT_EQ(e.port, 443);
  EXPECT_FALSE(e.port_given);
  EXPECT_EQ(e.to_string(), "https://a/x");
}

TEST(Url, PortLimits) {
  EXPECT_EQ(ok("http://a:1/").port, 1);
  EXPECT_EQ(ok("http://a:65535/").port, 65535);
  EXPECT_EQ(ok("http://a:08080/").port, 8080);
  EXPECT_EQ(bad("http://a:0/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:65536/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:99999/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:123456/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:-1/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:8o/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a:80:81/"), UrlError::kBadPort);
  EXPECT_EQ(bad("http://a: 80/"), UrlError::kBadPort);
}

TEST(Url, QueryAndFragment) {
  Url u = ok("http://h/p/a?x=1&y=a/b?c#frag/ment?");
  EXPECT_EQ(u.path, "/p/a");
  EXPECT_EQ(u.query, "x=1&y=a/b?c");
  EXPECT_EQ(u.fragment, "frag/ment?");
  EXPECT_EQ(u.target(), "/p/a?x=1&y=a/b?c");  // the fragment is never sent
  EXPECT_EQ(u.to_string(), "http://h/p/a?x=1&y=a/b?c#frag/ment?");

  Url q = ok("http://h?q");
  EXPECT_EQ(q.path, "/");
  EXPECT_EQ(q.target(), "/?q");
  Url f = ok("http://h:8080#top");
  EXPECT_EQ(f.port, 8080);
  EXPECT_EQ(f.path, "/");
  EXPECT_EQ(f.fragment, "top");
  Url qf = ok("http://h/?#");
  EXPECT_EQ(qf.query, "");
  EXPECT_EQ(qf.fragment, "");
  EXPECT_EQ(bad("http://h/#a#b"), UrlError::kInvalidCharacter);
}

TEST(Url, PercentEncodedPathStaysEncoded) {
  Url u = ok("http://h/a%20b/%2Fc%7e?k=%41");
  EXPECT_EQ(u.path, "/a%20b/%2Fc%7e");
  EXPECT_EQ(u.query, "k=%41");
  EXPECT_EQ(percent_decode(u.path), "/a b//c~");
  EXPECT_EQ(bad("http://h/%"), UrlError::kBadPercentEncoding);
  EXPECT_EQ(bad("http://h/%4"), UrlError::kBadPercentEncoding);
  EXPECT_EQ(bad("http://h/%g0"), UrlError::kBadPercentEncoding);
  EXPECT_EQ(bad("http://h/?%zz"), UrlError::kBadPercentEncoding);
  EXPECT_EQ(bad("http://h/#%"), UrlError::kBadPercentEncoding);
  EXPECT_EQ(bad("http://h%2/"), UrlError::kBadPercentEncoding);
}

TEST(Url, PathDotSegmentsAreRemoved) {
  EXPECT_EQ(ok("http://h/a/b/../c/./d").path, "/a/c/d");
  EXPECT_EQ(ok("http://h/../../etc/passwd").path, "/etc/passwd");
  EXPECT_EQ(ok("http://h/a/..").path, "/");
  EXPECT_EQ(ok("http://h/.").path, "/");
  // Encoded dots are not dot segments (RFC 3986 6.2.2.2 would decode them; we do not).
  EXPECT_EQ(ok("http://h/%2e%2e/x").path, "/%2e%2e/x");
}

TEST(Url, PathAllowsSubDelimsColonAndAt) {
  Url u = ok("http://h/a:b@c;d=e,f!$&'()*+~-._");
  EXPECT_EQ(u.path, "/a:b@c;d=e,f!$&'()*+~-._");
}

TEST(Url, Ipv4Literals) {
  Url u = ok("http://10.0.0.2:8080/x");
  ASSERT_TRUE(u.ipv4);
  EXPECT_EQ(*u.ipv4, wire::ipv4::Address(10, 0, 0, 2));
  EXPECT_EQ(u.host, "10.0.0.2");
  EXPECT_EQ(u.port, 8080);
  EXPECT_TRUE(ok("http://255.255.255.255/").ipv4);
  EXPECT_TRUE(ok("http://0.0.0.0/").ipv4);
  // RFC 3986 3.2.2: only the strict dotted-decimal form is IPv4; the rest are reg-names.
  for (std::string_view s :
       {"http://1.2.3/", "http://01.2.3.4/", "http://1.2.3.256/", "http://1.2.3.4.5/",
        "http://0x7f.0.0.1/", "http://127.1/", "http://1.2.3.4./", "http://2130706433/"}) {
    Url r = ok(s);
    EXPECT_FALSE(r.ipv4) << s;
  }
}

TEST(Url, HostCharacters) {
  EXPECT_EQ(ok("http://my-host_1.example~/").host, "my-host_1.example~");
  EXPECT_EQ(bad("http://exa mple.com/"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://exa<mple/"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h]/"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h\\x/"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h\xc3\xa9/"), UrlError::kInvalidCharacter);
}

TEST(Url, RefusedShapes) {
  EXPECT_EQ(bad(""), UrlError::kMissingScheme);
  EXPECT_EQ(bad("www.github.com/x"), UrlError::kMissingScheme);
  EXPECT_EQ(bad("//h/x"), UrlError::kMissingScheme);
  EXPECT_EQ(bad(":x"), UrlError::kMissingScheme);
  EXPECT_EQ(bad("1http://h/"), UrlError::kMissingScheme);
  EXPECT_EQ(bad("ht tp://h/"), UrlError::kMissingScheme);
  EXPECT_EQ(bad("ftp://h/"), UrlError::kUnsupportedScheme);
  EXPECT_EQ(bad("httpx://h/"), UrlError::kUnsupportedScheme);
  EXPECT_EQ(bad("mailto:a@b"), UrlError::kUnsupportedScheme);
  EXPECT_EQ(bad("http:h/x"), UrlError::kMissingAuthority);
  EXPECT_EQ(bad("http:/h/x"), UrlError::kMissingAuthority);
  EXPECT_EQ(bad("http:"), UrlError::kMissingAuthority);
  EXPECT_EQ(bad("http://"), UrlError::kEmptyHost);
  EXPECT_EQ(bad("http:///x"), UrlError::kEmptyHost);
  EXPECT_EQ(bad("http://:80/"), UrlError::kEmptyHost);
  EXPECT_EQ(bad("http://?q"), UrlError::kEmptyHost);
  EXPECT_EQ(bad("http://user@h/"), UrlError::kUserinfoNotSupported);
  EXPECT_EQ(bad("http://user:pw@h:80/"), UrlError::kUserinfoNotSupported);
  EXPECT_EQ(bad("http://[::1]/"), UrlError::kIpv6NotSupported);
  EXPECT_EQ(bad("http://[::1]:8080/"), UrlError::kIpv6NotSupported);
  EXPECT_EQ(bad("http://h/a b"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h/a\"b"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h/{x}"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h/\r\n"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad("http://h/?a b"), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad(" http://h/"), UrlError::kMissingScheme);
  EXPECT_EQ(bad("http://h/ "), UrlError::kInvalidCharacter);
  EXPECT_EQ(bad(std::string_view("http://h/\0", 10)), UrlError::kInvalidCharacter);
}

TEST(Url, ErrorMessages) {
  EXPECT_EQ(to_string(UrlError::kEmptyHost), "empty host");
  EXPECT_EQ(to_string(UrlError::kIpv6NotSupported), "IPv6 literals not supported");
  EXPECT_NE(to_string(UrlError::kBadPort).find("bad port"), std::string_view::npos);
  EXPECT_NE(to_string(UrlError::kUnsupportedScheme).find("unsupported scheme"),
            std::string_view::npos);
  EXPECT_NE(to_string(UrlError::kMissingScheme).find("missing scheme"), std::string_view::npos);
}

TEST(Url, ToStringParsesBackToTheSame) {
  for (std::string_view s :
       {"http://a.b:8080/x/y?z=1#f", "https://10.1.2.3/", "http://h/%41?%42#%43"}) {
    Url u = ok(s);
    Url v = ok(u.to_string());
    EXPECT_EQ(u.to_string(), s);
    EXPECT_EQ(v.to_string(), s);
    EXPECT_EQ(v.host, u.host);
    EXPECT_EQ(v.port, u.port);
    EXPECT_EQ(v.path, u.path);
  }
}

TEST(UrlPercentDecode, Decodes) {
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("abc"), "abc");
  EXPECT_EQ(percent_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(percent_decode("%41%6a%6A"), "Ajj");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("a%"), std::nullopt);
  EXPECT_EQ(percent_decode("%x1"), std::nullopt);
  EXPECT_EQ(percent_decode("%1x"), std::nullopt);
}

TEST(UrlPercentDecode, PathRefusesEncodedSlashAndNul) {
  EXPECT_EQ(percent_decode_path("/a%20b/c"), "/a b/c");
  EXPECT_EQ(percent_decode_path("/%2e%2e/x"), "/../x");  // the caller checks segments after
  EXPECT_EQ(percent_decode_path("/a%2fb"), std::nullopt);
  EXPECT_EQ(percent_decode_path("/a%2Fb"), std::nullopt);
  EXPECT_EQ(percent_decode_path("/%2e%2e%2f%2e%2e%2fetc"), std::nullopt);
  EXPECT_EQ(percent_decode_path("/a%00.html"), std::nullopt);
  EXPECT_EQ(percent_decode_path(std::string_view("/a\0b", 4)), std::nullopt);
  EXPECT_EQ(percent_decode_path("/a%zz"), std::nullopt);
}

// RFC 3986 5.4: base "http://a/b/c/d;p?q". Each reference's path is merged with the base's as in
// 5.2.3, and remove_dot_segments must give the path of the listed target URI.
std::string merged(std::string_view ref) {
  if (ref.empty()) return "/b/c/d;p";
  if (ref[0] == '/') return std::string(ref);
  return "/b/c/" + std::string(ref);
}

TEST(UrlRemoveDotSegments, Rfc3986NormalExamples) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"g", "/b/c/g"},     {"./g", "/b/c/g"}, {"g/", "/b/c/g/"}, {"/g", "/g"},    {";x", "/b/c/;x"},
      {"g;x", "/b/c/g;x"}, {"", "/b/c/d;p"},  {".", "/b/c/"},    {"./", "/b/c/"}, {"..", "/b/"},
      {"../", "/b/"},      {"../g", "/b/g"},  {"../..", "/"},    {"../../", "/"}, {"../../g", "/g"},
  };
  for (auto [ref, want] : cases)
    EXPECT_EQ(remove_dot_segments(merged(ref)), want) << ref;
}

TEST(UrlRemoveDotSegments, Rfc3986AbnormalExamples) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"../../../g", "/g"},
      {"../../../../g", "/g"},
      {"/./g", "/g"},
      {"/../g", "/g"},
      {"g.", "/b/c/g."},
      {".g", "/b/c/.g"},
      {"g..", "/b/c/g.."},
      {"..g", "/b/c/..g"},
      {"./../g", "/b/g"},
      {"./g/.", "/b/c/g/"},
      {"g/./h", "/b/c/g/h"},
      {"g/../h", "/b/c/h"},
      {"g;x=1/./y", "/b/c/g;x=1/y"},
      {"g;x=1/../y", "/b/c/y"},
  };
  for (auto [ref, want] : cases)
    EXPECT_EQ(remove_dot_segments(merged(ref)), want) << ref;
}

TEST(UrlRemoveDotSegments, Rfc3986Section524Examples) {
  EXPECT_EQ(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
  EXPECT_EQ(remove_dot_segments("mid/content=5/../6"), "mid/6");
  EXPECT_EQ(remove_dot_segments(""), "");
  EXPECT_EQ(remove_dot_segments("/"), "/");
  EXPECT_EQ(remove_dot_segments("."), "");
  EXPECT_EQ(remove_dot_segments(".."), "");
  EXPECT_EQ(remove_dot_segments("/.."), "/");
  EXPECT_EQ(remove_dot_segments("//a/../b"), "//b");
}

}  // namespace
}  // namespace tundra::http
