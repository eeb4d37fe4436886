// Request target → safe relative path. Dot segments are refused rather than resolved: a client
// that sends them is either broken or probing, and refusing cannot go wrong.
#include "apps/httpd/path.hpp"

#include "stack/http/chars.hpp"
#include "stack/http/url.hpp"

namespace tundra::httpd {

std::string RequestPath::relative() const {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) out += '/';
    out += s;
  }
  return out;
}

Result<RequestPath, std::string_view> map_target(std::string_view target) {
  // RFC 9112 3.2.2: a server MUST accept the absolute-form; the authority is ours, keep the path.
  if (target.size() > 7 && http::iequals(target.substr(0, 7), "http://")) {
    const size_t slash = target.find('/', 7);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || target[0] != '/') return Err(std::string_view("target is not a path"));
  RequestPath p;
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) p.query = std::string(target.substr(q + 1));
  p.raw = std::string(path);
  // The parser refuses controls and spaces in the target already; a raw backslash would be a
  // separator for some file systems and some clients, so it is refused outright.
  if (path.find('\\') != std::string_view::npos) return Err(std::string_view("backslash in path"));
  // RFC 3986 2.1 decoding; %2F and %00 are refused so a decoded segment cannot hold a '/' or NUL.
  auto decoded = http::percent_decode_path(path);
  if (!decoded) return Err(std::string_view("bad percent-encoding, %2F or NUL in path"));
  if (decoded->find('\\') != std::string::npos) return Err(std::string_view("backslash in path"));
  std::string_view rest = *decoded;
  p.trailing_slash = !rest.empty() && rest.back() == '/';
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;  // "//" and "/./" name the same directory
    // RFC 3986 5.2.4 would resolve "..", but after decoding ("%2e%2e") that is exactly what an
    // attacker wants: refuse it whatever its spelling.
    if (seg == "..") return Err(std::string_view("dot-dot segment in path"));
    p.segments.emplace_back(seg);
  }
  return p;
}

}  // namespace tundra::httpd
