// Parsing and printing of http and https URLs (RFC 3986), for the HTTP client and server.
#include "stack/http/url.hpp"

#include <algorithm>

namespace tundra::http {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// RFC 3986 2.3 unreserved and 2.2 sub-delims.
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
         c == '+' || c == ',' || c == ';' || c == '=';
}
// RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}
// RFC 3986 3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims )
bool is_host_char(char c) {
  return is_unreserved(c) || is_sub_delim(c);
}
// RFC 3986 3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; path adds "/".
bool is_path_char(char c) {
  return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/';
}
// RFC 3986 3.4 and 3.5: query and fragment = *( pchar / "/" / "?" )
bool is_query_char(char c) {
  return is_path_char(c) || c == '?';
}

// Every character allowed, every '%' followed by two hex digits (RFC 3986 2.1).
std::optional<UrlError> check(std::string_view s, bool (*allowed)(char)) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
        return UrlError::kBadPercentEncoding;
      i += 2;
    } else if (!allowed(s[i])) {
      return UrlError::kInvalidCharacter;
    }
  }
  return std::nullopt;
}

// RFC 3986 3.2.3: port = *DIGIT. Empty means the default (6.2.3). Port 0 is refused: nothing can
// be reached there, so it is a mistake in a URL a client will connect to.
std::optional<uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::optional<std::string> decode(std::string_view text, bool for_path) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return std::nullopt;
      c = static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
      if (for_path && c == '/') return std::nullopt;
    }
    if (for_path && c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view to_string(UrlError e) {
  switch (e) {
    case UrlError::kMissingScheme:
      return "missing scheme (expected http:// or https://)";
    case UrlError::kUnsupportedScheme:
      return "unsupported scheme (only http and https)";
    case UrlError::kMissingAuthority:
      return "missing '//' and host after the scheme";
    case UrlError::kEmptyHost:
      return "empty host";
    case UrlError::kBadPort:
      return "bad port (expected a decimal number from 1 to 65535)";
    case UrlError::kBadPercentEncoding:
      return "bad percent-encoding ('%' needs two hex digits)";
    case UrlError::kUserinfoNotSupported:
      return "userinfo (user@host) not supported";
    case UrlError::kIpv6NotSupported:
      return "IPv6 literals not supported";
    case UrlError::kInvalidCharacter:
      return "invalid character";
  }
  return "unknown URL error";
}

std::string Url::target() const {
  std::string t = path.empty() ? std::string("/") : path;
  if (!query.empty()) t += "?" + query;
  return t;
}

std::string Url::to_string() const {
  std::string s = scheme + "://" + host;
  if (port_given) s += ":" + std::to_string(port);
  s += target();
  if (!fragment.empty()) s += "#" + fragment;
  return s;
}

Result<Url, UrlError> Url::parse(std::string_view text) {
  Url url;

  // RFC 3986 3.1: the scheme runs to the first ':' and starts with a letter.
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text[0]) ||
      !std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), is_scheme_char))
    return Err{UrlError::kMissingScheme};
  url.scheme = lowercase(text.substr(0, colon));  // RFC 3986 3.1: case-insensitive
  if (url.scheme == "http") {
    url.port = 80;
  } else if (url.scheme == "https") {
    url.port = 443;
  } else {
    return Err{UrlError::kUnsupportedScheme};
  }
  std::string_view rest = text.substr(colon + 1);

  // RFC 3986 3.2: the authority follows "//" and runs to the next '/', '?' or '#'. http URIs
  // must have one with a non-empty host (RFC 9110 4.2.1).
  if (rest.substr(0, 2) != "//") return Err{UrlError::kMissingAuthority};
  rest.remove_prefix(2);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);

  if (authority.find('@') != std::string_view::npos) return Err{UrlError::kUserinfoNotSupported};
  if (!authority.empty() && authority[0] == '[') return Err{UrlError::kIpv6NotSupported};
  size_t port_colon = authority.find(':');
  std::string_view host = authority.substr(0, port_colon);
  if (host.empty()) return Err{UrlError::kEmptyHost};
  if (auto e = check(host, is_host_char)) return Err{*e};
  url.host = lowercase(host);  // RFC 3986 3.2.2: case-insensitive
  // RFC 3986 3.2.2: only the four-part dotted-decimal form is an IPv4address; anything else that
  // fits reg-name ("1.2.3", "01.2.3.4", "1.2.3.256") is a name.
  url.ipv4 = wire::ipv4::Address::parse(url.host);
  if (port_colon != std::string_view::npos) {
    std::string_view port_text = authority.substr(port_colon + 1);
    if (!port_text.empty()) {
      auto port = parse_port(port_text);
      if (!port) return Err{UrlError::kBadPort};
      url.port = *port;
      url.port_given = true;
    }
  }

  // RFC 3986 3.3 to 3.5: path, then "?query", then "#fragment".
  size_t hash = rest.find('#');
  std::string_view fragment =
      hash == std::string_view::npos ? std::string_view{} : rest.substr(hash + 1);
  rest = rest.substr(0, hash);
  size_t qmark = rest.find('?');
  std::string_view query =
      qmark == std::string_view::npos ? std::string_view{} : rest.substr(qmark + 1);
  std::string_view path = rest.substr(0, qmark);

  if (auto e = check(path, is_path_char)) return Err{*e};
  if (auto e = check(query, is_query_char)) return Err{*e};
  if (auto e = check(fragment, is_query_char)) return Err{*e};
  // RFC 3986 6.2.3: an empty path with an authority is "/"; 6.2.2.3: dot segments are removed.
  url.path = path.empty() ? std::string("/") : remove_dot_segments(path);
  url.query = std::string(query);
  url.fragment = std::string(fragment);
  return url;
}

Result<Url, UrlError> Url::resolve(const Url& base, std::string_view reference) {
  // RFC 3986 Appendix B splits a reference into its five parts; a scheme is present when a ':'
  // comes before any '/', '?' or '#' and what precedes it is a scheme (3.1).
  std::string_view r = reference;
  size_t colon = r.find(':');
  size_t first_delim = r.find_first_of("/?#");
  if (colon != std::string_view::npos && colon > 0 && colon < first_delim && is_alpha(r[0]) &&
      std::all_of(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(colon), is_scheme_char))
    return parse(r);  // RFC 3986 5.2.2: R.scheme defined; parse() removes dot segments
  // RFC 3986 5.2.2: R.authority defined: T takes the base's scheme and everything else from R.
  if (r.substr(0, 2) == "//") return parse(base.scheme + ":" + std::string(r));

  size_t hash = r.find('#');
  std::optional<std::string_view> fragment;
  if (hash != std::string_view::npos) fragment = r.substr(hash + 1);
  r = r.substr(0, hash);
  size_t qmark = r.find('?');
  std::optional<std::string_view> query;
  if (qmark != std::string_view::npos) query = r.substr(qmark + 1);
  std::string_view ref_path = r.substr(0, qmark);

  std::string path;
  if (ref_path.empty()) {
    // RFC 3986 5.2.2: an empty path keeps the base's path, and its query unless R has one.
    path = base.path;
    if (!query && !base.query.empty()) query = base.query;
  } else if (ref_path.front() == '/') {
    path = remove_dot_segments(ref_path);
  } else {
    // RFC 3986 5.2.3: merge. The base has an authority and a non-empty path (parse() makes
    // it at least "/"), so R's path replaces the base's last segment.
    std::string merged = base.path.substr(0, base.path.rfind('/') + 1);
    merged += ref_path;
    path = remove_dot_segments(merged);
  }
  std::string text = base.scheme + "://" + base.host;
  if (base.port_given) text += ":" + std::to_string(base.port);
  text += path;
  if (query) text += "?" + std::string(*query);
  if (fragment) text += "#" + std::string(*fragment);
  return parse(text);
}

std::optional<std::string> percent_decode(std::string_view text) {
  return decode(text, false);
}

std::optional<std::string> percent_decode_path(std::string_view path) {
  return decode(path, true);
}

std::string remove_dot_segments(std::string_view path) {
  // RFC 3986 5.2.4, step by step: an input buffer consumed from the front, an output buffer.
  std::string in(path);
  size_t pos = 0;  // the input buffer is in[pos..]
  std::string out;
  auto starts = [&](std::string_view p) { return std::string_view(in).substr(pos, p.size()) == p; };
  auto is = [&](std::string_view p) { return std::string_view(in).substr(pos) == p; };
  auto drop_last_segment = [&] {
    size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (pos < in.size()) {
    if (starts("../")) {  // A
      pos += 3;
    } else if (starts("./")) {  // A
      pos += 2;
    } else if (starts("/./")) {  // B
      pos += 2;
    } else if (is("/.")) {  // B
      in = "/";
      pos = 0;
    } else if (starts("/../")) {  // C
      pos += 3;
      drop_last_segment();
    } else if (is("/..")) {  // C
      in = "/";
      pos = 0;
      drop_last_segment();
    } else if (is(".") || is("..")) {  // D
      pos = in.size();
    } else {  // E: move the first segment, with its leading '/', to the output
      size_t next = in.find('/', pos + 1);
      if (next == std::string::npos) next = in.size();
      out.append(in, pos, next - pos);
      pos = next;
    }
  }
  return out;
}

}  // namespace tundra::http
