// Tests for http::Parser (RFC 9112): sample messages ground at every split point, every error
// status, limits, huge bodies without buffering, and random bytes.
#include "stack/http/parser.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace tundra::http {
namespace {

// What a parse produced, independent of how the bytes were split.
struct Parsed {
  Message msg;       // as at `headers`, then as at `done` (with trailers)
  std::string body;  // all body pieces joined
  bool done = false;
  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> messages;
  std::optional<unsigned> error;
  bool operator==(const Outcome&) const = default;
};

void PrintTo(const Outcome& o, std::ostream* os) {
  for (const Parsed& p : o.messages)
    *os << "[" << p.msg.method << p.msg.status << " " << p.msg.target << " fields "
        << p.msg.fields.size() << " body " << p.body.size() << (p.done ? " done]" : "]");
  if (o.error) *os << " error " << *o.error;
}

// Feeds `in` the way a connection loop would: drop what each step consumed, feed the rest.
void drive(Parser& p, std::string_view in, Outcome& out) {
  std::span<const char> rest(in.data(), in.size());
  for (int guard = 0; guard < 100000; ++guard) {
    Step s = p.feed(rest);
    ASSERT_LE(s.consumed, rest.size());
    if (s.event == Event::body) {
      // Zero copy: the piece lies inside the bytes just fed.
      ASSERT_GE(s.body.data(), rest.data());
      ASSERT_LE(s.body.data() + s.body.size(), rest.data() + s.consumed);
    }
    rest = rest.subspan(s.consumed);
    switch (s.event) {
      case Event::need_more:
        ASSERT_TRUE(rest.empty());
        return;
      case Event::headers:
        out.messages.push_back(Parsed{p.message(), "", false});
        break;
      case Event::body:
        ASSERT_FALSE(out.messages.empty());
        ASSERT_FALSE(s.body.empty());
        out.messages.back().body.append(s.body.data(), s.body.size());
        break;
      case Event::done:
        ASSERT_FALSE(out.messages.empty());
        out.messages.back().msg = p.message();
        out.messages.back().done = true;
        break;
      case Event::error:
        out.error = s.error.status;
        return;
    }
  }
  FAIL() << "parser made no progress";
}

void end(Parser& p, Outcome& out) {
  Step s = p.finish();
  if (s.event == Event::done) {
    out.messages.back().msg = p.message();
    out.messages.back().done = true;
  } else if (s.event == Event::error) {
    out.error = s.error.status;
  }
}

struct Options {
  Role role = Role::request;
  std::string method;  // for responses
  bool eof = false;    // call finish() at the end
  Limits limits = {};
};

Outcome parse_parts(std::string_view msg, const std::vector<size_t>& cuts, const Options& o) {
  Parser p(o.role, o.limits);
  if (!o.method.empty()) p.set_request_method(o.method);
  Outcome out;
  size_t from = 0;
  for (size_t cut : cuts) {
    if (out.error) break;
    drive(p, msg.substr(from, cut - from), out);
    from = cut;
  }
  if (!out.error) drive(p, msg.substr(from), out);
  if (!out.error && o.eof) end(p, out);
  return out;
}

// Grind (DESIGN.md): whole, split in two at every byte boundary, and one byte at a time must all
// give the same outcome.
Outcome grind(std::string_view msg, const Options& o = {}) {
  Outcome whole = parse_parts(msg, {}, o);
  for (size_t k = 0; k <= msg.size(); ++k)
    EXPECT_EQ(parse_parts(msg, {k}, o), whole) << "split at " << k;
  std::vector<size_t> every;
  for (size_t k = 1; k < msg.size(); ++k)
    every.push_back(k);
  EXPECT_EQ(parse_parts(msg, every, o), whole) << "byte at a time";
  return whole;
}

Options response(std::string method = "GET", bool eof = false) {
  return Options{Role::response, std::move(method), eof, {}};
}

std::string value(const Message& m, std::string_view name) {
  const Field* f = m.find(name);
  return f ? f->value : "<none>";
}

// ---- Requests -----------------------------------------------------------------------------

TEST(HttpParser, SimpleGet) {
  Outcome o = grind("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  const Message& m = o.messages[0].msg;
  EXPECT_TRUE(o.messages[0].done);
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.target, "/");
  EXPECT_EQ(m.version_minor, 1u);
  EXPECT_EQ(value(m, "host"), "example.com");
  EXPECT_TRUE(m.keep_alive());
  EXPECT_FALSE(m.expect_continue);
  EXPECT_EQ(o.messages[0].body, "");
}

TEST(HttpParser, GetWithHeaders) {
  Outcome o = grind(
      "GET /a/b?c=d HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "User-Agent:   tundra/1  \r\n"
      "Accept: */*\r\n"
      "X-Dup: one\r\n"
      "x-dup: two\r\n"
      "Empty:\r\n"
      "Connection: Keep-Alive, Close\r\n"
      "\r\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  const Message& m = o.messages[0].msg;
  EXPECT_EQ(m.target, "/a/b?c=d");
  ASSERT_EQ(m.fields.size(), 7u);
  EXPECT_EQ(value(m, "USER-AGENT"), "tundra/1");  // case-insensitive name, OWS trimmed
  EXPECT_EQ(m.fields[3].name, "X-Dup");           // duplicates kept, in order
  EXPECT_EQ(m.fields[3].value, "one");
  EXPECT_EQ(m.fields[4].value, "two");
  EXPECT_EQ(value(m, "empty"), "");
  EXPECT_FALSE(m.keep_alive());  // "close" among the connection options
}

TEST(HttpParser, PostWithContentLength) {
  Outcome o = grind(
      "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n"
      "hello world");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_TRUE(o.messages[0].done);
  EXPECT_EQ(o.messages[0].body, "hello world");
  EXPECT_EQ(o.messages[0].msg.content_length, 11u);
  EXPECT_TRUE(o.messages[0].msg.expect_continue);
  EXPECT_TRUE(o.messages[0].msg.keep_alive());
}

TEST(HttpParser, ChunkedPostWithExtensionsAndTrailers) {
  Outcome o = grind(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6 ; a=\"q;s\" ;b\r\n world\r\n"
      "A\r\n0123456789\r\n"
      "0;last\r\n"
      "Checksum: abc\r\nX-T: 1\r\n\r\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  const Parsed& p = o.messages[0];
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.body, "hello world0123456789");
  EXPECT_TRUE(p.msg.chunked);
  ASSERT_EQ(p.msg.trailers.size(), 2u);
  EXPECT_EQ(p.msg.trailers[0].name, "Checksum");
  EXPECT_EQ(p.msg.trailers[0].value, "abc");
  EXPECT_TRUE(p.msg.keep_alive());
}

TEST(HttpParser, TrailersCanBeDiscarded) {
  Options o;
  o.limits.keep_trailers = false;
  Outcome out = grind(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: "
      "1\r\n\r\n",
      o);
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.messages[0].body, "abc");
  EXPECT_TRUE(out.messages[0].msg.trailers.empty());
}

TEST(HttpParser, PipelinedRequests) {
  Outcome o = grind(
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 4u);
  EXPECT_EQ(o.messages[0].msg.target, "/1");
  EXPECT_EQ(o.messages[1].body, "abc");
  EXPECT_EQ(o.messages[2].body, "xy");
  EXPECT_EQ(o.messages[3].msg.target, "/4");
  for (const Parsed& p : o.messages)
    EXPECT_TRUE(p.done);
}

TEST(HttpParser, LeadingEmptyLinesAndBareLfAreAccepted) {
  // RFC 9112 2.2: an empty line before the request line is ignored; LF alone ends a line.
  Outcome o = grind("\r\n\nGET / HTTP/1.1\nHost: h\n\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(value(o.messages[0].msg, "Host"), "h");
}

TEST(HttpParser, Http10KeepAlive) {
  Outcome without = grind("GET / HTTP/1.0\r\n\r\n");
  ASSERT_FALSE(without.error);
  EXPECT_EQ(without.messages[0].msg.version_minor, 0u);
  EXPECT_FALSE(without.messages[0].msg.keep_alive());

  Outcome with = grind("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_FALSE(with.error);
  EXPECT_TRUE(with.messages[0].msg.keep_alive());

  // RFC 9110 10.1.1: 100-continue in HTTP/1.0 is ignored.
  Outcome expect = grind("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_FALSE(expect.messages[0].msg.expect_continue);
}

TEST(HttpParser, Http10ResponseKeepAlive) {
  Outcome o =
      grind("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", response());
  ASSERT_FALSE(o.error);
  EXPECT_TRUE(o.messages[0].msg.keep_alive());
  Outcome c = grind("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", response());
  EXPECT_FALSE(c.messages[0].msg.keep_alive());
}

TEST(HttpParser, TransferEncodingWithContentLengthIsChunkedAndCloses) {
  // RFC 9112 6.3 item 3: Transfer-Encoding wins; the connection must close afterwards.
  Outcome o = grind(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "abc");
  EXPECT_TRUE(o.messages[0].msg.chunked);
  EXPECT_TRUE(o.messages[0].msg.must_close);
  EXPECT_FALSE(o.messages[0].msg.content_length);
  EXPECT_FALSE(o.messages[0].msg.keep_alive());
}

TEST(HttpParser, IdenticalContentLengthListIsAccepted) {
  Outcome o =
      grind("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_FALSE(o.error);
  EXPECT_EQ(o.messages[0].body, "abc");
}

// ---- Responses ----------------------------------------------------------------------------

TEST(HttpParser, ResponseWithContentLength) {
  Outcome o = grind("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
                    response());
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  const Message& m = o.messages[0].msg;
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.reason, "OK");
  EXPECT_FALSE(m.is_request());
  EXPECT_EQ(o.messages[0].body, "hello");
  EXPECT_TRUE(m.keep_alive());
}

TEST(HttpParser, ChunkedResponse) {
  Outcome o = grind(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n",
      response());
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_TRUE(o.messages[0].done);
  EXPECT_EQ(o.messages[0].body, "Wikipedia in\r\n\r\nchunks.");
}

TEST(HttpParser, ResponseReadUntilClose) {
  Outcome o = grind("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nand more",
                    response("GET", true));
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_TRUE(o.messages[0].done);
  EXPECT_TRUE(o.messages[0].msg.until_close);
  EXPECT_FALSE(o.messages[0].msg.keep_alive());
  EXPECT_EQ(o.messages[0].body, "all of this\r\nand more");

  // Without the close the message is not done.
  Outcome open = grind("HTTP/1.1 200 OK\r\n\r\nabc", response());
  EXPECT_FALSE(open.messages[0].done);
}

TEST(HttpParser, ResponseWithOtherCodingsReadsUntilClose) {
  Outcome o = grind("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", response("GET", true));
  ASSERT_FALSE(o.error);
  EXPECT_TRUE(o.messages[0].msg.until_close);
  EXPECT_EQ(o.messages[0].body, "xyz");
}

TEST(HttpParser, HeadResponseHasNoBody) {
  // The Content-Length describes the GET body that was not sent; the next response follows.
  Outcome o = grind(
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
      response("HEAD"));
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0].msg.content_length, 1234u);
  EXPECT_EQ(o.messages[0].body, "");
  EXPECT_TRUE(o.messages[1].done);
}

TEST(HttpParser, NoBodyStatuses) {
  Outcome o = grind(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 50\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
      response());
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 5u);
  EXPECT_EQ(o.messages[0].msg.status, 100u);
  EXPECT_EQ(o.messages[1].msg.status, 304u);
  EXPECT_EQ(o.messages[2].msg.status, 204u);
  EXPECT_EQ(o.messages[3].msg.reason, "");
  EXPECT_EQ(o.messages[4].body, "x");
  for (const Parsed& p : o.messages)
    EXPECT_TRUE(p.done);
}

TEST(HttpParser, ResponseObsFoldBecomesSpace) {
  // RFC 9112 5.2: a user agent replaces obs-fold with SP.
  Outcome o =
      grind("HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\nContent-Length: 0\r\n\r\n",
            response());
  ASSERT_FALSE(o.error);
  EXPECT_EQ(value(o.messages[0].msg, "x-long"), "first second third");
}

// ---- Errors -------------------------------------------------------------------------------

struct ErrorCase {
  Role role;
  std::string bytes;
  unsigned status;
};

TEST(HttpParser, ErrorsMapToStatus) {
  const std::vector<ErrorCase> cases = {
      // Request line (RFC 9112 3).
      {Role::request, "GET / HTTP/2.0\r\n", 505},
      {Role::request, "GET / HTTP/1.2\r\n", 505},
      {Role::request, "GET / HTTP/0.9\r\n", 505},
      {Role::request, "GET / HTTX/1.1\r\n", 400},
      {Role::request, "GET / http/1.1\r\n", 400},
      {Role::request, "GET / HTTP/1.1 \r\n", 400},
      {Role::request, "GET /\r\n", 400},
      {Role::request, "GET  / HTTP/1.1\r\n", 400},
      {Role::request, "G@T / HTTP/1.1\r\n", 400},
      {Role::request, "GET /a b HTTP/1.1\r\n", 400},
      {Role::request, "GET /\x01 HTTP/1.1\r\n", 400},
      {Role::request, std::string("GET /\0 HTTP/1.1\r\n", 17), 400},
      {Role::request, "GET / HTTP/1.1\rX\r\n", 400},
      // Fields (RFC 9112 5).
      {Role::request, "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\nHo(st: h\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\n: h\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
      {Role::request, std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 28), 400},
      {Role::request, std::string("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n", 27), 400},
      {Role::request, "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400},
      {Role::request, "GET / HTTP/1.1\r\n\r\n", 400},  // RFC 9112 3.2: Host required
      {Role::request, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      // Content-Length (RFC 9112 6.3 item 5).
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      // Transfer-Encoding (RFC 9112 6.1, 6.3 item 4, 7).
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       501},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
       "\r\n",
       400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 400},
      // Chunks (RFC 9112 7.1).
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
       400},
      {Role::request, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n",
       400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n12345678901234567\r\n",
       400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400},
      {Role::request,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT : x\r\n",
       400},
      // Status line (RFC 9112 4).
      {Role::response, "HTTP/1.1 999 Huh\r\n", 400},
      {Role::response, "HTTP/1.1 20 OK\r\n", 400},
      {Role::response, "HTTP/1.1 2000 OK\r\n", 400},
      {Role::response, "HTTP/1.1  200 OK\r\n", 400},
      {Role::response, "HTTP/2 200 OK\r\n", 400},
      {Role::response, "HTTP/3.0 200 OK\r\n", 505},
      {Role::response, "HTTP/1.1 200 OK\r\nX: 1\r\nX : 2\r\n\r\n", 400},
      {Role::response, "HTTP/1.1 200 OK\r\n folded-first: 1\r\n\r\n", 400},
  };
  for (const ErrorCase& c : cases) {
    Options o;
    o.role = c.role;
    o.method = c.role == Role::response ? "GET" : "";
    Outcome out = grind(c.bytes, o);
    EXPECT_EQ(out.error, c.status) << c.bytes;
  }
}

TEST(HttpParser, ErrorIsSticky) {
  Parser p(Role::request);
  EXPECT_EQ(p.feed(bytes_of("BAD\r\n")).event, Event::error);
  Step s = p.feed(bytes_of("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(s.event, Event::error);
  EXPECT_EQ(s.error.status, 400u);
  EXPECT_EQ(p.finish().event, Event::error);
}

TEST(HttpParser, CloseMidMessageIsAnError) {
  Options o;
  o.eof = true;
  EXPECT_EQ(grind("GET / HTTP/1.1\r\nHo", o).error, 400u);
  EXPECT_EQ(grind("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab", o).error, 400u);
  // A clean close between messages is not.
  Outcome fine = grind("GET / HTTP/1.1\r\nHost: h\r\n\r\n", o);
  EXPECT_FALSE(fine.error);
  EXPECT_EQ(fine.messages.size(), 1u);
}

// ---- Limits -------------------------------------------------------------------------------

Options limited(Role role = Role::request) {
  Options o;
  o.role = role;
  if (role == Role::response) o.method = "GET";
  o.limits.max_start_line = 32;
  o.limits.max_header_bytes = 64;
  o.limits.max_header_count = 3;
  o.limits.max_body = 10;
  return o;
}

TEST(HttpParser, StartLineLimit) {
  // Exactly at the limit is fine; one past it is not.
  std::string line = "GET /" + std::string(18, 'a') + " HTTP/1.1";  // 32 bytes
  ASSERT_EQ(line.size(), 32u);
  EXPECT_FALSE(grind(line + "\r\nHost: h\r\n\r\n", limited()).error);
  EXPECT_EQ(grind("GET /" + std::string(19, 'a') + " HTTP/1.1\r\n", limited()).error, 414u);
  EXPECT_EQ(grind("GET /" + std::string(100, 'a'), limited()).error, 414u);  // before any CRLF
  EXPECT_EQ(grind(std::string(40, 'G') + " / HTTP/1.1\r\n", limited()).error, 400u);
  EXPECT_EQ(grind("HTTP/1.1 200 " + std::string(40, 'x') + "\r\n", limited(Role::response)).error,
            400u);
}

TEST(HttpParser, HeaderLimits) {
  EXPECT_FALSE(grind("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limited()).error);
  EXPECT_EQ(grind("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limited()).error,
            431u);
  EXPECT_EQ(grind("GET / HTTP/1.1\r\nHost: h\r\nA: " + std::string(70, 'v') + "\r\n\r\n", limited())
                .error,
            431u);
  EXPECT_EQ(grind("GET / HTTP/1.1\r\nHost: " + std::string(80, 'v'), limited()).error, 431u);
  // Trailers have the same limits.
  EXPECT_EQ(grind("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " +
                      std::string(80, 'v') + "\r\n\r\n",
                  limited())
                .error,
            431u);
}

TEST(HttpParser, DiscardedTrailersStillCount) {
  Options o = limited();
  o.limits.keep_trailers = false;
  EXPECT_EQ(grind("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                  o)
                .error,
            431u);
}

TEST(HttpParser, BodyLimits) {
  EXPECT_FALSE(
      grind("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limited()).error);
  EXPECT_EQ(grind("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limited()).error,
            413u);
  EXPECT_EQ(grind("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\n01234\r\n6\r\n012345\r\n",
                  limited())
                .error,
            413u);
  EXPECT_EQ(grind("HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'x'), limited(Role::response)).error,
            413u);
}

// ---- Big bodies and random input ----------------------------------------------------------

TEST(HttpParser, HundredMebibyteBodyIsStreamed) {
  constexpr uint64_t kSize = uint64_t{100} << 20;
  const std::string chunk(64 * 1024, 'z');  // one reused receive buffer
  for (bool chunked : {false, true}) {
    Parser p(Role::request);
    std::string head = "PUT /big HTTP/1.1\r\nHost: h\r\n";
    head += chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                    : "Content-Length: " + std::to_string(kSize) + "\r\n\r\n";
    Outcome out;
    drive(p, head, out);
    ASSERT_EQ(out.messages.size(), 1u);
    uint64_t received = 0;
    bool done = false;
    std::string frame = chunked ? "10000\r\n" + chunk + "\r\n" : chunk;
    for (uint64_t sent = 0; sent < kSize; sent += chunk.size()) {
      std::span<const char> rest(frame.data(), frame.size());
      while (true) {
        Step s = p.feed(rest);
        rest = rest.subspan(s.consumed);
        ASSERT_NE(s.event, Event::error);
        if (s.event == Event::body) received += s.body.size();
        if (s.event == Event::done) done = true;
        if (s.event == Event::need_more) break;
      }
    }
    if (chunked) {
      Step s = p.feed(bytes_of("0\r\n\r\n"));
      ASSERT_EQ(s.event, Event::done);
      done = true;
    } else if (!done) {
      done = p.feed(std::span<const char>()).event == Event::done;
    }
    EXPECT_EQ(received, kSize);
    EXPECT_TRUE(done);
  }
}

TEST(HttpParser, RandomBytesNeverCrash) {
  std::mt19937 rng(20261125);
  const std::vector<std::string> seeds = {
      "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: "
      "1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.0 200 OK\r\nX: a\r\n b\r\n\r\nrest",
  };
  const std::string alphabet = "GETPOSTHTP/1.0 \r\n:;,\t0123456789abcdefxX-\x01\x7f\x80";
  for (int i = 0; i < 3000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      // Mutate a valid message.
      bytes = seeds[rng() % seeds.size()];
      for (int m = static_cast<int>(rng() % 4); m >= 0; --m) {
        size_t at = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            bytes.erase(at, 1 + rng() % 5);
            break;
          default:
            bytes.insert(at, 1, static_cast<char>(rng() % 256));
            break;
        }
        if (bytes.empty()) bytes = "x";
      }
    } else {
      size_t n = rng() % 200;
      for (size_t k = 0; k < n; ++k)
        bytes += (rng() % 2) ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256);
    }
    Options o;
    o.role = (rng() % 2) ? Role::request : Role::response;
    o.method = o.role == Role::response ? "GET" : "";
    o.eof = rng() % 2;
    std::vector<size_t> cuts;
    for (size_t k = 1; k < bytes.size(); k += 1 + rng() % 7)
      cuts.push_back(k);
    Outcome whole = parse_parts(bytes, {}, o);
    EXPECT_EQ(parse_parts(bytes, cuts, o), whole) << i;
  }
}

}  // namespace
}  // namespace tundra::http
