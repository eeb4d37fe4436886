// libFuzzer target for the HTTP/1.1 parser (stack/http/parser.hpp): a byte stream is parsed once
// fed whole and once fed in pieces, and both must tell the same story — the same events with the
// same messages, the same body bytes, the same error — since the parser promises that how bytes
// are split does not change the outcome. Along the way: `consumed` never exceeds what was fed,
// need_more consumes everything, body pieces lie inside the fed bytes, and a message that framed
// its body with Content-Length and completed delivered exactly that many body bytes.
//
// Input: byte 0 chooses the role and limits, byte 1 how the pieces are cut, the rest is the
// stream. Byte 0 bits: 0 response (else request); 1 tiny start-line and chunk-line limits;
// 2 tiny field-section limits; 3 tiny body limit; 4 trailers dropped; 5-6 the request method a
// response answers (GET, HEAD, CONNECT, none); 7 no finish() at the end.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stack/http/parser.hpp"
#include "violated.hpp"

namespace {

using namespace tundra;

using fuzz::violated;

// One thing the parser said. Body pieces are merged: their sizes depend on the split.
struct Record {
  http::Event event;
  http::Message message;  // headers and done: the message as it then stood
  std::string body;       // body: the bytes
  unsigned status = 0;    // error
  std::string what;
  bool operator==(const Record&) const = default;
};

struct Run {
  http::Parser parser;
  std::vector<Record> records;
  bool errored = false;
  uint64_t body_bytes = 0;  // of the message being parsed
  bool no_body = false;     // the current message cannot have a body (HEAD, 1xx, 204, 304, …)
  std::string method;

  Run(http::Role role, http::Limits limits, std::string request_method)
      : parser(role, limits), method(std::move(request_method)) {
    if (!method.empty()) parser.set_request_method(method);
  }

  void on_step(const http::Step& s, std::span<const char> in) {
    switch (s.event) {
      case http::Event::need_more:
        return;
      case http::Event::headers: {
        body_bytes = 0;
        const http::Message& m = parser.message();
        no_body =
            !m.is_request() && (method == "HEAD" || m.status / 100 == 1 || m.status == 204 ||
                                m.status == 304 || (method == "CONNECT" && m.status / 100 == 2));
        records.push_back({s.event, m, {}, 0, {}});
        return;
      }
      case http::Event::body:
        if (s.body.data() < in.data() || s.body.data() + s.body.size() > in.data() + in.size())
          violated("body piece outside the fed bytes");
        if (s.body.data() + s.body.size() != in.data() + s.consumed)
          violated("body piece does not end where consumed does");
        body_bytes += s.body.size();
        if (records.empty() || records.back().event != http::Event::body)
          records.push_back({s.event, {}, {}, 0, {}});
        records.back().body.append(s.body.data(), s.body.size());
        return;
      case http::Event::done: {
        const http::Message& m = parser.message();
        // RFC 9112 6.3 item 6: a Content-Length body is exactly that long.
        if (m.content_length && !m.chunked && !m.until_close && !no_body &&
            body_bytes != *m.content_length)
          violated("body length differs from Content-Length");
        if (no_body && body_bytes != 0) violated("body on a message that has none");
        records.push_back({s.event, m, {}, 0, {}});
        return;
      }
      case http::Event::error:
        errored = true;
        records.push_back({s.event, {}, {}, s.error.status, std::string(s.error.what)});
        return;
    }
  }

  // Feeds `in` the way parser.hpp says to: drop `consumed`, feed the rest, until need_more.
  void feed(std::span<const char> in) {
    // Every step but need_more reports an event; each byte can end at most a few of them, so
    // this bound is only hit when the parser spins without progress.
    const size_t max_steps = 4 * in.size() + 16;
    for (size_t step = 0; step < max_steps; ++step) {
      if (errored) return;
      const http::Step s = parser.feed(in);
      if (s.consumed > in.size()) violated("consumed more than was fed");
      if (s.event == http::Event::need_more && s.consumed != in.size())
        violated("need_more without consuming everything");
      on_step(s, in);
      if (s.event == http::Event::need_more || s.event == http::Event::error) return;
      in = in.subspan(s.consumed);
    }
    violated("the parser makes no progress");
  }

  void finish() {
    if (errored) return;
    const http::Step s = parser.finish();
    if (s.consumed != 0) violated("finish consumed bytes");
    on_step(s, {});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0], cut = data[1];
  const std::span<const char> stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const http::Role role = mode & 1 ? http::Role::response : http::Role::request;
  http::Limits limits;
  if (mode & 2) {
    limits.max_start_line = 24;
    limits.max_chunk_line = 6;
  }
  if (mode & 4) {
    limits.max_header_bytes = 48;
    limits.max_header_count = 3;
  }
  if (mode & 8) limits.max_body = 10;
  if (mode & 16) limits.keep_trailers = false;
  static const char* const kMethods[] = {"GET", "HEAD", "CONNECT", ""};
  const std::string method = role == http::Role::response ? kMethods[mode >> 5 & 3] : "";

  Run whole(role, limits, method);
  whole.feed(stream);

  // Piece lengths from a small generator seeded by the cut byte and the stream's length, between
  // 1 and (cut % 32) + 1 bytes: small cuts put boundaries everywhere, large ones fewer.
  Run pieces(role, limits, method);
  uint32_t state = cut * 2654435761u + static_cast<uint32_t>(stream.size()) + 1;
  const uint32_t max_piece = cut % 32u + 1;
  for (size_t at = 0; at < stream.size() && !pieces.errored;) {
    state = state * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(stream.size() - at, (state >> 16) % max_piece + 1);
    pieces.feed(stream.subspan(at, n));
    at += n;
  }
  if (!(mode & 128)) {
    whole.finish();
    pieces.finish();
  }
  if (whole.records != pieces.records) violated("whole and split feeding disagree");
  return 0;
}
