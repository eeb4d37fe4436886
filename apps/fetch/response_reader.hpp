// Reads one HTTP/1.1 response from a byte source through http::Parser: skips 1xx interim
// responses, hands the final response's head and then each body piece to the caller as they
// arrive (nothing is buffered beyond one read), and says how it ended. tundra-fetch calls it with
// a socket as the source; tests call it with canned bytes split every way.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "stack/http/message.hpp"

namespace tundra::fetch {

// Where the response bytes come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Bytes read (> 0), 0 at end of stream, or -errno.
  virtual ssize_t read(std::span<char> buf) = 0;
};

struct ResponseHandlers {
  // The first byte arrived (time to first byte).
  std::function<void()> on_first_byte;
  // A 1xx interim response (RFC 9110 15.2): shown with -v, otherwise skipped.
  std::function<void(const http::Message&)> on_interim;
  // The final response's head. Return false to stop here without reading the body (a redirect
  // to follow, --fail on an error status).
  std::function<bool(const http::Message&)> on_head;
  // A piece of the decoded body (chunked framing removed). Return false when it could not be
  // written; reading stops.
  std::function<bool(std::span<const char>)> on_body;
};

enum class ReadEnd {
  kComplete,     // the whole response was read
  kStopped,      // on_head returned false
  kReadError,    // the source failed (errno in sys_errno)
  kMalformed,    // the bytes are not a valid response, or the stream ended inside one
  kWriteFailed,  // on_body returned false
};

struct ReadResult {
  ReadEnd end = ReadEnd::kComplete;
  int sys_errno = 0;
  std::string detail;       // for kMalformed: what was wrong
  http::Message head;       // the final response's head (valid from on_head on)
  uint64_t body_bytes = 0;  // decoded body bytes delivered to on_body
  uint64_t wire_bytes = 0;  // bytes read from the source
};

// `method` is the request's: a response to HEAD has no body (RFC 9112 6.3 item 1).
ReadResult read_response(ByteSource& source, std::string_view method,
                         const ResponseHandlers& handlers, size_t buffer_size = 64 * 1024);

}  // namespace tundra::fetch
