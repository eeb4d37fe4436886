// Tests of tundra-fetch's response-reading loop over canned byte sources: every framing, 1xx
// skipping, HEAD, stopping after the head, and every way a response can end badly — each with the
// input delivered in pieces of every size from 1 byte up.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "apps/fetch/response_reader.hpp"

namespace tundra::fetch {
namespace {

// Hands out `data` `piece` bytes per read, then end of stream (or `error_at_end` as -errno).
class CannedSource final : public ByteSource {
 public:
  CannedSource(std::string data, size_t piece, int error_at_end = 0)
      : data_(std::move(data)), piece_(piece), error_(error_at_end) {}
  ssize_t read(std::span<char> buf) override {
    ++reads_;
    if (pos_ == data_.size()) return error_ ? -error_ : 0;
    const size_t n = std::min({piece_, buf.size(), data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  size_t left() const { return data_.size() - pos_; }

 private:
  std::string data_;
  size_t piece_;
  int error_;
  size_t pos_ = 0;
  int reads_ = 0;
};

struct Seen {
  std::string body;
  std::vector<unsigned> interim;
  int heads = 0;
  int first_bytes = 0;
};

ResponseHandlers handlers(Seen& s, bool keep_going = true, size_t fail_write_after = SIZE_MAX) {
  ResponseHandlers h;
  h.on_first_byte = [&s] { ++s.first_bytes; };
  h.on_interim = [&s](const http::Message& m) { s.interim.push_back(m.status); };
  h.on_head = [&s, keep_going](const http::Message&) {
    ++s.heads;
    return keep_going;
  };
  h.on_body = [&s, fail_write_after](std::span<const char> piece) {
    if (s.body.size() + piece.size() > fail_write_after) return false;
    s.body.append(piece.data(), piece.size());
    return true;
  };
  return h;
}

// Runs `wire` through read_response split into pieces of 1, 2, 3, … bytes and whole; checks the
// outcome is the same every time and returns the last.
ReadResult read_all_ways(const std::string& wire, std::string_view method, Seen& last,
                         int error_at_end = 0) {
  ReadResult r;
  std::vector<size_t> pieces;
  for (size_t p = 1; p <= std::min<size_t>(wire.size(), 64); ++p)
    pieces.push_back(p);
  pieces.push_back(wire.size() + 1);
  std::optional<ReadEnd> first_end;
  std::string first_body;
  for (size_t p : pieces) {
    Seen s;
    CannedSource src(wire, p, error_at_end);
    // A small buffer, so that the parser sees the bytes in even more shapes.
    r = read_response(src, method, handlers(s), 7);
    if (!first_end) {
      first_end = r.end;
      first_body = s.body;
    }
    EXPECT_EQ(r.end, *first_end) << "piece " << p;
    EXPECT_EQ(s.body, first_body) << "piece " << p;
    EXPECT_EQ(r.body_bytes, s.body.size());
    EXPECT_LE(s.first_bytes, 1);
    last = s;
  }
  return r;
}

TEST(FetchResponseReader, ContentLength) {
  Seen s;
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  ReadResult r = read_all_ways(wire, "GET", s);
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.body, "hello world");
  EXPECT_EQ(s.heads, 1);
  EXPECT_EQ(s.first_bytes, 1);
  EXPECT_EQ(r.head.status, 200u);
  EXPECT_EQ(r.wire_bytes, wire.size());
}

TEST(FetchResponseReader, ContentLengthStopsReadingAtTheEndOfTheBody) {
  // The server keeps the connection open: the reader must not wait for more.
  Seen s;
  CannedSource src("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5, ETIMEDOUT);
  ReadResult r = read_response(src, "GET", handlers(s));
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.body, "ok");
}

TEST(FetchResponseReader, EmptyBodies) {
  for (const char* wire :
       {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"}) {
    Seen s;
    CannedSource src(wire, 1000, ETIMEDOUT);  // nothing more may be read
    ReadResult r = read_response(src, "GET", handlers(s));
    EXPECT_EQ(r.end, ReadEnd::kComplete) << wire;
    EXPECT_EQ(s.body, "");
    EXPECT_EQ(s.heads, 1);
  }
}

TEST(FetchResponseReader, ChunkedWithExtensionsAndTrailer) {
  Seen s;
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 42\r\n\r\n";
  ReadResult r = read_all_ways(wire, "GET", s);
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.body, "hello 0123456789");
  ASSERT_EQ(r.head.trailers.size(), 1u);
  EXPECT_EQ(r.head.trailers[0].name, "X-Sum");
  EXPECT_EQ(r.head.trailers[0].value, "42");
  EXPECT_TRUE(r.head.chunked);
}

TEST(FetchResponseReader, UntilClose) {
  Seen s;
  ReadResult r = read_all_ways("HTTP/1.0 200 OK\r\n\r\nall of it", "GET", s);
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.body, "all of it");
  EXPECT_TRUE(r.head.until_close);
}

TEST(FetchResponseReader, InterimResponsesAreSkipped) {
  Seen s;
  ReadResult r = read_all_ways(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc",
      "POST", s);
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.interim, (std::vector<unsigned>{100, 102}));
  EXPECT_EQ(s.heads, 1);
  EXPECT_EQ(r.head.status, 201u);
  EXPECT_EQ(s.body, "abc");
}

TEST(FetchResponseReader, HeadResponseHasNoBody) {
  Seen s;
  CannedSource src("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", 1000, ETIMEDOUT);
  ReadResult r = read_response(src, "HEAD", handlers(s));
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(s.body, "");
  ASSERT_TRUE(r.head.content_length);
  EXPECT_EQ(*r.head.content_length, 1048576u);
}

TEST(FetchResponseReader, StopsAfterTheHeadWhenAsked) {
  Seen s;
  CannedSource src("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 5\r\n\r\nmoved", 1000);
  ReadResult r = read_response(src, "GET", handlers(s, false));
  EXPECT_EQ(r.end, ReadEnd::kStopped);
  EXPECT_EQ(s.body, "");
  EXPECT_EQ(r.head.status, 302u);
  ASSERT_NE(r.head.find("Location"), nullptr);
}

TEST(FetchResponseReader, WriteFailureStops) {
  Seen s;
  CannedSource src("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 3);
  ReadResult r = read_response(src, "GET", handlers(s, true, 4), 64);
  EXPECT_EQ(r.end, ReadEnd::kWriteFailed);
  EXPECT_LE(s.body.size(), 4u);
  EXPECT_GT(src.left(), 0u);  // stopped reading
}

TEST(FetchResponseReader, TruncatedResponsesAreMalformed) {
  for (const char* wire : {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                           "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 2"}) {
    Seen s;
    ReadResult r = read_all_ways(wire, "GET", s);
    EXPECT_EQ(r.end, ReadEnd::kMalformed) << wire;
    EXPECT_FALSE(r.detail.empty());
  }
}

TEST(FetchResponseReader, NothingAtAllIsMalformed) {
  Seen s;
  CannedSource src("", 1);
  ReadResult r = read_response(src, "GET", handlers(s));
  EXPECT_EQ(r.end, ReadEnd::kMalformed);
  EXPECT_EQ(r.detail, "connection closed before a response");
  EXPECT_EQ(s.first_bytes, 0);
}

TEST(FetchResponseReader, GarbageIsMalformed) {
  for (const char* wire : {"SSH-2.0-OpenSSH_9.0\r\n", "HTTP/1.1 999 Nope\r\n\r\n",
                           "HTTP/2 200\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    Seen s;
    ReadResult r = read_all_ways(wire, "GET", s);
    EXPECT_EQ(r.end, ReadEnd::kMalformed) << wire;
  }
}

TEST(FetchResponseReader, ReadErrorsCarryErrno) {
  Seen s;
  CannedSource src("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1000, ECONNRESET);
  ReadResult r = read_response(src, "GET", handlers(s));
  EXPECT_EQ(r.end, ReadEnd::kReadError);
  EXPECT_EQ(r.sys_errno, ECONNRESET);
  EXPECT_EQ(s.body, "abc");
}

TEST(FetchResponseReader, LargeBodyIsStreamedNotHeld) {
  // 4 MiB through a 64 KiB buffer: pieces arrive as they are read, none larger than the buffer.
  const size_t size = 4u << 20;
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
  wire += std::string(size, 'x');
  CannedSource src(wire, 100000);
  size_t largest = 0, total = 0;
  ResponseHandlers h;
  h.on_body = [&](std::span<const char> piece) {
    largest = std::max(largest, piece.size());
    total += piece.size();
    return true;
  };
  ReadResult r = read_response(src, "GET", h);
  EXPECT_EQ(r.end, ReadEnd::kComplete);
  EXPECT_EQ(total, size);
  EXPECT_LE(largest, 64u * 1024);
}

}  // namespace
}  // namespace tundra::fetch
