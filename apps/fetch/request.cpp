// Building HTTP/1.1 request heads for tundra-fetch.
#include "apps/fetch/request.hpp"

#include <algorithm>

#include "stack/http/chars.hpp"

namespace tundra::fetch {
namespace {

bool has_header(const std::vector<Header>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return http::iequals(h.first, name); });
}

}  // namespace

std::optional<Header> parse_header_option(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = text.substr(0, colon);
  std::string_view value = http::trim_ows(text.substr(colon + 1));
  if (!http::is_token(name)) return std::nullopt;
  if (!std::all_of(value.begin(), value.end(), http::is_field_value_char)) return std::nullopt;
  return Header{std::string(name), std::string(value)};
}

std::string host_field(const http::Url& url) {
  const uint16_t default_port = url.scheme == "https" ? 443 : 80;
  if (url.port == default_port) return url.host;
  return url.host + ":" + std::to_string(url.port);
}

std::string build_request_head(const RequestSpec& spec, std::string_view user_agent) {
  // RFC 9112 3: request-line = method SP request-target SP HTTP-version; origin-form target.
  std::string out = spec.method + " " + spec.url.target() + " HTTP/1.1\r\n";
  auto add = [&](std::string_view name, std::string_view value) {
    if (has_header(spec.headers, name)) return;  // -H replaces our default
    out.append(name).append(": ").append(value).append("\r\n");
  };
  // RFC 9112 3.2: a client MUST send Host in every HTTP/1.1 request.
  add("Host", host_field(spec.url));
  add("User-Agent", user_agent);
  add("Accept", "*/*");
  if (spec.body) {
    add("Content-Type", "application/x-www-form-urlencoded");
    // RFC 9110 8.6: the length of the content we send.
    add("Content-Length", std::to_string(spec.body->size()));
  }
  for (const auto& [name, value] : spec.headers)
    out += name + ": " + value + "\r\n";
  out += "\r\n";
  return out;
}

}  // namespace tundra::fetch
