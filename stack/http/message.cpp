// Look-ups and persistence rules over a parsed HTTP message; used by http::Parser's callers.
#include "stack/http/message.hpp"

#include "stack/http/chars.hpp"

namespace tundra::http {

const Field* Message::find(std::string_view name) const {
  for (const Field& f : fields)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

bool Message::has_option(std::string_view name, std::string_view option) const {
  for (const Field& f : fields) {
    if (!iequals(f.name, name)) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = trim_ows(rest.substr(0, comma));
      if (iequals(item, option)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool Message::keep_alive() const {
  if (must_close || until_close) return false;
  // RFC 9112 9.3: "close" ends it; otherwise HTTP/1.1 persists, and HTTP/1.0 persists only
  // with the "keep-alive" connection option (RFC 9112 C.2.2).
  if (has_option("Connection", "close")) return false;
  if (version_minor >= 1) return true;
  return has_option("Connection", "keep-alive");
}

}  // namespace tundra::http
