// The Content-Type of a file from its extension (RFC 9110 8.3), for the HTTP server.
#pragma once

#include <string_view>

namespace tundra::httpd {

// A media type for the file name's extension, case-insensitively; text types carry
// "; charset=utf-8". Unknown extensions are "application/octet-stream" (RFC 9110 8.3).
std::string_view mime_type(std::string_view file_name);

}  // namespace tundra::httpd
