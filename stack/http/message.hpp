// One parsed HTTP/1.1 message (start line, fields, framing facts); filled in by http::Parser and
// read by the future HTTP client and server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tundra::http {

// A field line as received: the name keeps its original case, the value has its leading and
// trailing whitespace removed (RFC 9112 5.1). Duplicates stay separate, in arrival order.
struct Field {
  std::string name;
  std::string value;

  bool operator==(const Field&) const = default;
};

struct Message {
  // Request line (RFC 9112 3); empty for responses.
  std::string method;
  std::string target;
  // Status line (RFC 9112 4); 0 / empty for requests.
  unsigned status = 0;
  std::string reason;
  // HTTP/1.<version_minor>: only 1.0 and 1.1 are accepted.
  unsigned version_minor = 1;

  std::vector<Field> fields;
  std::vector<Field> trailers;  // chunked trailer section, when the parser keeps it

  // Framing chosen by RFC 9112 6.3.
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool until_close = false;  // response body delimited by the connection closing
  // The framing was ambiguous (Transfer-Encoding with Content-Length, or Transfer-Encoding in
  // HTTP/1.0): the caller must close the connection after this message (RFC 9112 6.1, 6.3 item 3).
  bool must_close = false;
  // RFC 9110 10.1.1: "Expect: 100-continue" on an HTTP/1.1 request.
  bool expect_continue = false;

  bool operator==(const Message&) const = default;

  bool is_request() const { return !method.empty(); }

  // RFC 9112 9.3: whether the connection stays open after this message.
  bool keep_alive() const;

  // The first field named `name` (case-insensitive), or nothing.
  const Field* find(std::string_view name) const;
  // Whether any `name` field lists `option` in its comma-separated values (e.g. Connection: close).
  bool has_option(std::string_view name, std::string_view option) const;
};

}  // namespace tundra::http
