// The -v step printer of tundra-fetch.
#include "apps/fetch/steps.hpp"

#include <fmt/format.h>

#include "apps/fetch/progress.hpp"

namespace tundra::fetch {

std::string_view step_name(StepId id) {
  switch (id) {
    case StepId::kHostName:
      return "host name";
    case StepId::kResolve:
      return "resolve";
    case StepId::kPort:
      return "port";
    case StepId::kConnect:
      return "TCP connect";
    case StepId::kSend:
      return "send request";
    case StepId::kRead:
      return "read response";
    case StepId::kClose:
      return "close connection";
  }
  return "?";
}

std::string step_heading(StepId id, std::string_view text) {
  return fmt::format("* step {}/7 {}: {}", static_cast<int>(id), step_name(id), text);
}

std::string format_ms(std::chrono::steady_clock::duration d) {
  return fmt::format("{:.3f} ms", std::chrono::duration<double, std::milli>(d).count());
}

std::string format_rate(uint64_t bytes, std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  if (s <= 0) return "-";
  return format_size(static_cast<uint64_t>(static_cast<double>(bytes) / s)) + "/s";
}

std::string format_head(const http::Message& m, std::string_view prefix) {
  std::string out;
  if (m.is_request())
    out += fmt::format("{}{} {} HTTP/1.{}\n", prefix, m.method, m.target, m.version_minor);
  else
    out += fmt::format("{}HTTP/1.{} {} {}\n", prefix, m.version_minor, m.status, m.reason);
  for (const auto& f : m.fields)
    out += fmt::format("{}{}: {}\n", prefix, f.name, f.value);
  out += fmt::format("{}\n", prefix);
  return out;
}

void StepPrinter::step(StepId id, std::string_view text) const {
  if (!enabled_) return;
  fmt::print(stderr, "{}\n", step_heading(id, text));
  std::fflush(stderr);
}

void StepPrinter::detail(std::string_view text) const {
  if (!enabled_) return;
  fmt::print(stderr, "*   {}\n", text);
  std::fflush(stderr);
}

void StepPrinter::raw(std::string_view text) const {
  if (!enabled_) return;
  fmt::print(stderr, "{}", text);
  std::fflush(stderr);
}

}  // namespace tundra::fetch
