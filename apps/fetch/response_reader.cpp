// The response-reading loop of tundra-fetch: source → http::Parser → handlers.
#include "apps/fetch/response_reader.hpp"

#include <fmt/format.h>

#include <vector>

#include "stack/http/parser.hpp"

namespace tundra::fetch {

ReadResult read_response(ByteSource& source, std::string_view method,
                         const ResponseHandlers& handlers, size_t buffer_size) {
  ReadResult result;
  http::Parser parser(http::Role::response);
  parser.set_request_method(method);
  std::vector<char> buffer(buffer_size);
  std::span<const char> pending;  // read but not yet consumed by the parser
  bool need_input = true;         // the parser said need_more: feeding again is pointless
  bool final_head = false;        // the final (non-1xx) response's head has been seen
  bool interim = false;           // the message being parsed is a 1xx

  while (true) {
    http::Step step;
    if (need_input) {
      const ssize_t n = source.read(buffer);
      if (n < 0) {
        result.end = ReadEnd::kReadError;
        result.sys_errno = static_cast<int>(-n);
        return result;
      }
      if (n == 0) {
        // End of stream: completes a body read until close (RFC 9112 6.3 item 8); anywhere
        // else it cut the response short.
        step = parser.finish();
        if (step.event == http::Event::done && final_head) return result;
        result.end = ReadEnd::kMalformed;
        result.detail = step.event == http::Event::error
                            ? std::string(step.error.what)
                            : std::string("connection closed before a response");
        return result;
      }
      if (result.wire_bytes == 0 && handlers.on_first_byte) handlers.on_first_byte();
      result.wire_bytes += static_cast<uint64_t>(n);
      pending = std::span<const char>(buffer.data(), static_cast<size_t>(n));
    }
    // Feed even an empty span after an event: a message without a body reports `done` on the
    // next feed, without needing another byte.
    step = parser.feed(pending);
    pending = pending.subspan(step.consumed);
    need_input = false;
    switch (step.event) {
      case http::Event::need_more:
        need_input = true;
        break;
      case http::Event::headers:
        if (parser.message().status / 100 == 1) {
          // RFC 9110 15.2: a client MUST be able to parse 1xx responses before the final one.
          interim = true;
          if (handlers.on_interim) handlers.on_interim(parser.message());
          break;
        }
        final_head = true;
        result.head = parser.message();
        if (handlers.on_head && !handlers.on_head(result.head)) {
          result.end = ReadEnd::kStopped;
          return result;
        }
        break;
      case http::Event::body:
        result.body_bytes += step.body.size();
        if (handlers.on_body && !handlers.on_body(step.body)) {
          result.end = ReadEnd::kWriteFailed;
          return result;
        }
        break;
      case http::Event::done:
        if (interim) {
          interim = false;  // the next feed parses the next response on the same bytes
          break;
        }
        result.head.trailers = parser.message().trailers;
        return result;
      case http::Event::error:
        result.end = ReadEnd::kMalformed;
        result.detail = fmt::format("malformed response: {}", step.error.what);
        return result;
    }
  }
}

}  // namespace tundra::fetch
