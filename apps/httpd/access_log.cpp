// Access log sinks and the line format.
#include "apps/httpd/access_log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace tundra::httpd {

std::shared_ptr<spdlog::logger> make_access_log(const std::string& where) {
  if (where == "none") return nullptr;
  spdlog::sink_ptr sink;
  if (where == "-")
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  else {
    // spdlog would create missing parent directories; a mistyped path should be an error instead.
    std::FILE* f = std::fopen(where.c_str(), "a");
    if (!f) throw std::runtime_error(std::strerror(errno));
    std::fclose(f);
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(where, false);
  }
  // Not registered with spdlog: --log-level (which sets every registered logger) leaves it be.
  auto log = std::make_shared<spdlog::logger>("access", sink);
  log->set_pattern("%v");
  log->set_level(spdlog::level::info);
  log->flush_on(spdlog::level::info);  // a line is on disk when the response is complete
  return log;
}

std::string access_line(std::string_view host, std::time_t when, std::string_view request,
                        unsigned status, uint64_t body_bytes, std::chrono::microseconds took) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  // A '"' in the target (the parser allows it) would end the quoted field early: escape it.
  std::string quoted;
  for (char c : request) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  const std::string bytes = body_bytes ? std::to_string(body_bytes) : std::string("-");
  return fmt::format("{} - - [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"{}\" {} {} {}.{:06}", host,
                     tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, quoted, status, bytes, took.count() / 1'000'000,
                     took.count() % 1'000'000);
}

}  // namespace tundra::httpd
