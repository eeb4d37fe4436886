// The bytes of an HTTP/1.1 request head (RFC 9112 3, RFC 9110 7.2 and 10.1): built by tundra-fetch
// from the URL, the method and the -H / -d options, before each hop of a fetch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stack/http/url.hpp"

namespace tundra::fetch {

using Header = std::pair<std::string, std::string>;

struct RequestSpec {
  std::string method = "GET";
  http::Url url;
  std::vector<Header> headers;      // from -H, in order; they replace defaults of the same name
  std::optional<std::string> body;  // -d: sent with Content-Length
};

// "Name: value" from -H; nullopt when the name is not a token (RFC 9110 5.1) or the value holds
// a control character (CR, LF, NUL…), which would split or corrupt the request.
std::optional<Header> parse_header_option(std::string_view text);

// RFC 9110 7.2: "host" or "host:port" when the port is not the scheme's default.
std::string host_field(const http::Url& url);

// The request line, the fields (Host, User-Agent, Accept, then -H; Content-Type and
// Content-Length with a body) and the empty line. No "Connection: close": tundra-fetch closes
// the connection itself once the response is complete.
std::string build_request_head(const RequestSpec& spec, std::string_view user_agent);

}  // namespace tundra::fetch
