// Extension → media type table: the types a static site uses.
#include "apps/httpd/mime.hpp"

#include <array>
#include <utility>

#include "stack/http/chars.hpp"

namespace tundra::httpd {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 29> kTypes = {{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"json", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/vnd.microsoft.icon"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"bin", "application/octet-stream"},
    {"pcap", "application/vnd.tcpdump.pcap"},
}};

}  // namespace

std::string_view mime_type(std::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == file_name.size())
    return "application/octet-stream";
  const std::string_view ext = file_name.substr(dot + 1);
  for (const auto& [e, type] : kTypes)
    if (http::iequals(e, ext)) return type;
  return "application/octet-stream";
}

}  // namespace tundra::httpd
