// HTTP dates (RFC 9110 5.6.7): IMF-fixdate out, all three historical formats in. Used by the HTTP
// server for Date, Last-Modified and If-Modified-Since.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace tundra::http {

// "Sun, 06 Nov 1994 08:49:37 GMT" for a UTC time in seconds since the epoch.
std::string format_http_date(std::time_t t);
// The same, appended to `out` (formatted once per second and thread: a server's Date field).
void append_http_date(std::string& out, std::time_t t);

// RFC 9110 5.6.7: a recipient MUST accept IMF-fixdate, the obsolete RFC 850 form
// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). nullopt when the
// text is none of them; an invalid date in a conditional header means the header is ignored.
// `now` places an RFC 850 two-digit year (time is an argument, as everywhere in stack/).
std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now);

}  // namespace tundra::http
