// HTTP date formatting and parsing (RFC 9110 5.6.7), by hand: strftime/strptime follow the locale.
#include "stack/http/date.hpp"

#include <fmt/format.h>

#include <array>

#include "stack/http/chars.hpp"

namespace tundra::http {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads exactly `n` digits (or, with `space_pad`, a leading space then n-1 digits) at `pos`.
bool digits(std::string_view s, size_t& pos, size_t n, int& out, bool space_pad = false) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (space_pad && i == 0 && c == ' ') continue;
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool literal(std::string_view s, size_t& pos, std::string_view lit) {
  if (s.substr(pos, lit.size()) != lit) return false;
  pos += lit.size();
  return true;
}

bool month(std::string_view s, size_t& pos, int& out) {
  for (size_t m = 0; m < kMonths.size(); ++m)
    if (s.substr(pos, 3) == kMonths[m]) {
      out = static_cast<int>(m);
      pos += 3;
      return true;
    }
  return false;
}

// hour ":" minute ":" second
bool time_of_day(std::string_view s, size_t& pos, std::tm& tm) {
  return digits(s, pos, 2, tm.tm_hour) && literal(s, pos, ":") && digits(s, pos, 2, tm.tm_min) &&
         literal(s, pos, ":") && digits(s, pos, 2, tm.tm_sec);
}

std::optional<std::time_t> finish(std::string_view s, size_t pos, std::tm& tm) {
  if (pos != s.size()) return std::nullopt;
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  return timegm(&tm);
}

}  // namespace

std::string format_http_date(std::time_t t) {
  std::string s;
  append_http_date(s, t);
  return s;
}

void append_http_date(std::string& out, std::time_t t) {
  // A server stamps every response with the current second's date: format each second once
  // (per thread), not once per response.
  thread_local std::time_t last = 0;
  thread_local std::string text;
  if (text.empty() || t != last) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    text = fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday,
                       kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    last = t;
  }
  out += text;
}

std::optional<std::time_t> parse_http_date(std::string_view s, std::time_t now) {
  std::tm tm{};
  size_t pos = 0;
  int year = 0;
  // IMF-fixdate: day-name "," SP date1 SP time-of-day SP GMT, date1 = day SP month SP year.
  for (auto d : kDays) {
    pos = 0;
    if (!literal(s, pos, d) || !literal(s, pos, ", ")) continue;
    if (digits(s, pos, 2, tm.tm_mday) && literal(s, pos, " ") && month(s, pos, tm.tm_mon) &&
        literal(s, pos, " ") && digits(s, pos, 4, year) && literal(s, pos, " ") &&
        time_of_day(s, pos, tm) && literal(s, pos, " GMT")) {
      tm.tm_year = year - 1900;
      return finish(s, pos, tm);
    }
    return std::nullopt;
  }
  // rfc850-date: day-name-l "," SP date2 SP time-of-day SP GMT, date2 = day "-" month "-" 2DIGIT.
  for (auto d : kLongDays) {
    pos = 0;
    if (!literal(s, pos, d) || !literal(s, pos, ", ")) continue;
    if (digits(s, pos, 2, tm.tm_mday) && literal(s, pos, "-") && month(s, pos, tm.tm_mon) &&
        literal(s, pos, "-") && digits(s, pos, 2, year) && literal(s, pos, " ") &&
        time_of_day(s, pos, tm) && literal(s, pos, " GMT")) {
      // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
      std::tm now_tm{};
      gmtime_r(&now, &now_tm);
      int full = (now_tm.tm_year + 1900) / 100 * 100 + year;
      if (full > now_tm.tm_year + 1900 + 50) full -= 100;
      tm.tm_year = full - 1900;
      return finish(s, pos, tm);
    }
    return std::nullopt;
  }
  // asctime-date: day-name SP month SP ( 2DIGIT / ( SP DIGIT )) SP time-of-day SP year.
  for (auto d : kDays) {
    pos = 0;
    if (!literal(s, pos, d) || !literal(s, pos, " ")) continue;
    if (month(s, pos, tm.tm_mon) && literal(s, pos, " ") && digits(s, pos, 2, tm.tm_mday, true) &&
        literal(s, pos, " ") && time_of_day(s, pos, tm) && literal(s, pos, " ") &&
        digits(s, pos, 4, year)) {
      tm.tm_year = year - 1900;
      return finish(s, pos, tm);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tundra::http
