// HTTP status codes' reason phrases (RFC 9110 15), for status lines written by the HTTP server.
#pragma once

#include <string_view>

namespace tundra::http {

// The RFC 9110 15 reason phrase of `status`, or "Unknown" (a client must not rely on it anyway,
// RFC 9112 4).
std::string_view reason_phrase(unsigned status);

}  // namespace tundra::http
