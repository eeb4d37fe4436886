// Tests of tundra-fetch's request heads: the fields a request carries, -H replacing defaults,
// bodies, and that the server side of our own parser reads every head back.
#include <gtest/gtest.h>

#include "apps/fetch/request.hpp"
#include "stack/http/chars.hpp"
#include "stack/http/parser.hpp"

namespace tundra::fetch {
namespace {

http::Url url(std::string_view text) {
  auto u = http::Url::parse(text);
  EXPECT_TRUE(u.ok()) << text;
  return *u;
}

http::Message parse_request(const std::string& head, const std::string& body = "") {
  http::Parser p(http::Role::request);
  const std::string wire = head + body;
  auto step = p.feed(http::bytes_of(wire));
  EXPECT_EQ(step.event, http::Event::headers) << step.error.what;
  return p.message();
}

TEST(FetchRequest, GetHasHostUserAgentAcceptAndNoConnectionClose) {
  RequestSpec spec;
  spec.url = url("http://www.github.com/devgaram?tab=1#frag");
  EXPECT_EQ(build_request_head(spec, "tundra-fetch/1.0"),
            "GET /devgaram?tab=1 HTTP/1.1\r\n"
            "Host: www.github.com\r\n"
            "User-Agent: tundra-fetch/1.0\r\n"
            "Accept: */*\r\n"
            "\r\n");
}

TEST(FetchRequest, HostCarriesAPortThatIsNotTheDefault) {
  EXPECT_EQ(host_field(url("http://a.example:80/")), "a.example");
  EXPECT_EQ(host_field(url("http://a.example:8080/")), "a.example:8080");
  EXPECT_EQ(host_field(url("http://10.0.0.1:443/")), "10.0.0.1:443");
  EXPECT_EQ(host_field(url("https://a.example:443/")), "a.example");
}

TEST(FetchRequest, PostBodyGetsLengthAndFormTypeUnlessGiven) {
  RequestSpec spec;
  spec.method = "POST";
  spec.url = url("http://10.0.0.1:8080/echo");
  spec.body = "a=1&b=2";
  const std::string head = build_request_head(spec, "ua");
  http::Message m = parse_request(head, *spec.body);
  EXPECT_EQ(m.method, "POST");
  EXPECT_EQ(m.target, "/echo");
  ASSERT_TRUE(m.content_length);
  EXPECT_EQ(*m.content_length, 7u);
  ASSERT_NE(m.find("Content-Type"), nullptr);
  EXPECT_EQ(m.find("Content-Type")->value, "application/x-www-form-urlencoded");
  EXPECT_EQ(m.find("Host")->value, "10.0.0.1:8080");

  spec.headers.push_back({"content-type", "application/json"});
  m = parse_request(build_request_head(spec, "ua"), *spec.body);
  size_t types = 0;
  for (const auto& f : m.fields)
    types += http::iequals(f.name, "Content-Type");
  EXPECT_EQ(types, 1u);
  EXPECT_EQ(m.find("Content-Type")->value, "application/json");
}

TEST(FetchRequest, EmptyBodyStillHasContentLength) {
  RequestSpec spec;
  spec.method = "POST";
  spec.url = url("http://h/");
  spec.body = "";
  http::Message m = parse_request(build_request_head(spec, "ua"));
  ASSERT_TRUE(m.content_length);
  EXPECT_EQ(*m.content_length, 0u);
}

TEST(FetchRequest, HeaderOptionsReplaceDefaultsAndComeInOrder) {
  RequestSpec spec;
  spec.url = url("http://h/");
  spec.headers = {
      {"User-Agent", "curl/8"}, {"X-One", "1"}, {"X-Two", "2"}, {"Accept", "text/html"}};
  const std::string head = build_request_head(spec, "tundra-fetch/1");
  EXPECT_EQ(head,
            "GET / HTTP/1.1\r\n"
            "Host: h\r\n"
            "User-Agent: curl/8\r\n"
            "X-One: 1\r\n"
            "X-Two: 2\r\n"
            "Accept: text/html\r\n"
            "\r\n");
}

TEST(FetchRequest, ParseHeaderOption) {
  auto h = parse_header_option("X-Test:   some value  ");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->first, "X-Test");
  EXPECT_EQ(h->second, "some value");
  auto empty = parse_header_option("X-Empty:");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->second, "");
  EXPECT_FALSE(parse_header_option("no colon"));
  EXPECT_FALSE(parse_header_option(": value"));
  EXPECT_FALSE(parse_header_option("Bad Name: x"));
  EXPECT_FALSE(parse_header_option("X-Split: a\r\nInjected: b"));
  EXPECT_FALSE(parse_header_option(std::string_view("X-Nul: a\0b", 10)));
}

}  // namespace
}  // namespace tundra::fetch
