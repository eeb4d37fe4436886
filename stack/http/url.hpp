// http and https URLs (RFC 3986) as values: parse, print, percent-decoding and dot-segment removal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/result.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::http {

enum class UrlError {
  kMissingScheme,         // no "scheme:" in front
  kUnsupportedScheme,     // a scheme other than http or https
  kMissingAuthority,      // "http:" not followed by "//"
  kEmptyHost,             // "http://" or "http://:80"
  kBadPort,               // not 1-65535 in decimal
  kBadPercentEncoding,    // '%' not followed by two hex digits
  kUserinfoNotSupported,  // "user@host"
  kIpv6NotSupported,      // "[::1]"
  kInvalidCharacter,      // a character RFC 3986 does not allow where it stands
};

std::string_view to_string(UrlError e);

struct Url {
  std::string scheme;                       // "http" or "https", lowercased
  std::string host;                         // lowercased; the dotted quad for an IPv4 literal
  std::optional<wire::ipv4::Address> ipv4;  // set when host is an IPv4 literal
  uint16_t port = 80;                       // the given port, else the scheme's default
  bool port_given = false;
  std::string path = "/";  // dot segments removed, still percent-encoded; never empty
  std::string query;       // without the '?'; empty when absent
  std::string fragment;    // without the '#'; empty when absent

  // "path?query": the request-target of an HTTP/1.1 request line (origin-form).
  std::string target() const;
  std::string to_string() const;

  static Result<Url, UrlError> parse(std::string_view text);

  // RFC 3986 5.2: the URL that `reference` (absolute, network-path, absolute-path or relative, as
  // in an HTTP Location field, RFC 9110 10.2.2) names when read relative to `base`. The result
  // is checked as parse() checks, so a reference to another scheme ("ftp:x") is an error.
  static Result<Url, UrlError> resolve(const Url& base, std::string_view reference);
};

// Decodes %XX escapes; nullopt when a '%' is not followed by two hex digits (RFC 3986 2.1).
std::optional<std::string> percent_decode(std::string_view text);

// Decodes a URL path for use as a file-system path: as percent_decode, but also nullopt when a
// %2F would become a '/' inside a segment or the result would contain NUL, so an encoded slash
// cannot join or escape segments after the caller has checked them.
std::optional<std::string> percent_decode_path(std::string_view path);

// RFC 3986 5.2.4: removes "." and ".." segments; ".." never climbs above the root.
std::string remove_dot_segments(std::string_view path);

}  // namespace tundra::http
