// Incremental HTTP/1.1 message parser (RFC 9112) that does no I/O: the HTTP client and server feed
// it received bytes and act on the events it returns (DESIGN.md: "Parsers do no I/O").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/http/message.hpp"

namespace tundra::http {

enum class Role { request, response };

inline std::span<const char> bytes_of(std::string_view s) {
  return {s.data(), s.size()};
}

// Limits are parameters, not constants: a server and a client want different ones.
struct Limits {
  size_t max_start_line = 8 * 1024;       // request target too long → 414, other lines → 400
  size_t max_header_bytes = 64 * 1024;    // whole field section (and trailer section) → 431
  size_t max_header_count = 100;          // field lines → 431
  uint64_t max_body = uint64_t{1} << 40;  // decoded body bytes → 413
  size_t max_chunk_line = 4 * 1024;       // chunk-size line with extensions → 400
  bool keep_trailers = true;              // false: trailer fields are checked, then dropped
};

// What a parse error maps to: the HTTP status a server answers with (a client just gives up).
struct Error {
  unsigned status = 0;  // 400, 413, 414, 431, 501, 505
  std::string_view what;
};

enum class Event {
  need_more,  // every byte fed was consumed; feed more (or finish() on EOF)
  headers,    // start line and fields are in message()
  body,       // Step::body holds the next piece of body data
  done,       // the message is complete (trailers, if any, are in message())
  error,      // Step::error says why; the parser stays in error
};

struct Step {
  Event event = Event::need_more;
  size_t consumed = 0;         // bytes of the fed span used up by this step
  std::span<const char> body;  // for Event::body: a sub-span of the fed bytes (no copy)
  Error error;                 // for Event::error
};

// Usage: feed the received bytes; after each Step drop `consumed` bytes and feed the rest again,
// until need_more (which always consumes everything). Body pieces point into the fed buffer.
// After `done` the next feed starts the next message: pipelined bytes are not lost.
class Parser {
 public:
  explicit Parser(Role role, Limits limits = {});

  // Careful: a string literal converts to a span that includes its NUL; pass a string_view's
  // bytes (bytes_of() above).
  Step feed(std::span<const char> in);
  // The peer closed the connection: ends a body read until close (RFC 9112 6.3 item 8), is
  // need_more between messages, and an error in the middle of one.
  Step finish();

  // For responses: the method of the request being answered; HEAD responses have no body
  // (RFC 9112 6.3 item 1). Stays set until changed (a 1xx answers the same request).
  void set_request_method(std::string_view method) { request_method_ = method; }

  const Message& message() const { return msg_; }
  Role role() const { return role_; }

 private:
  enum class State {
    start_line,
    fields,
    body_fixed,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    body_until_close,
    message_end,
    done,
    error,
  };

  Step fail(size_t consumed, unsigned status, std::string_view what);
  bool take_line(std::span<const char> in, size_t& used, Step& failure);
  size_t line_limit() const;
  Step overflow(size_t used);
  // Each returns Event::need_more to continue, or the event (headers / error) to report.
  Step on_line(size_t used);
  Step on_start_line(std::string_view line, size_t used);
  Step on_request_line(std::string_view line, size_t used);
  Step on_status_line(std::string_view line, size_t used);
  Step on_field_line(std::string_view line, std::vector<Field>& into, size_t used);
  Step on_fields_end(size_t used);
  Step on_chunk_size(std::string_view line, size_t used);
  Step body_piece(std::span<const char> in, size_t used, uint64_t& remaining);
  void reset();

  Role role_;
  Limits limits_;
  State state_ = State::start_line;
  Message msg_;
  std::string line_;          // the line being collected (start line, field, chunk size)
  size_t section_bytes_ = 0;  // bytes of the current field or trailer section so far
  size_t empty_lines_ = 0;    // empty lines before a start line (RFC 9112 2.2)
  uint64_t remaining_ = 0;    // body bytes left in the Content-Length body or current chunk
  uint64_t body_bytes_ = 0;   // decoded body bytes so far, against max_body
  std::vector<Field> dropped_trailers_;  // trailers when !keep_trailers, until the next message
  std::string request_method_;
  Error error_;
};

}  // namespace tundra::http
