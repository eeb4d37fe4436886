// The access log: one line per answered request, in the common log format plus the time taken.
// Written through a dedicated spdlog logger (not the diagnostic one) by the server.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

namespace tundra::httpd {

// "-" for stdout, "none" for no log (null), else a file appended to. Throws std::exception when
// the file cannot be opened (a missing directory is not created).
std::shared_ptr<spdlog::logger> make_access_log(const std::string& where);

// host ident authuser [date] "request" status bytes seconds, e.g.
// 10.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1234 0.000412
std::string access_line(std::string_view host, std::time_t when, std::string_view request,
                        unsigned status, uint64_t body_bytes, std::chrono::microseconds took);

}  // namespace tundra::httpd
