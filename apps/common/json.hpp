// A small JSON writer (RFC 8259) for the control socket's answers (apps/common/control_render):
// objects, arrays, strings escaped properly, integers, booleans and null; commas placed for you.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tundra::app::json {

// `s` as a JSON string literal, quotes included. Control characters, `"` and `\` are escaped
// (RFC 8259 7); bytes that are not valid UTF-8 become U+FFFD, so the output is always valid JSON.
std::string quote(std::string_view s);

class Writer {
 public:
  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  // The key of the next value, inside an object.
  Writer& key(std::string_view k);

  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(bool b);
  Writer& null();
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Writer& value(T n) {
    if constexpr (std::is_signed_v<T>)
      return number(std::to_string(static_cast<int64_t>(n)));
    else
      return number(std::to_string(static_cast<uint64_t>(n)));
  }
  template <class T>
  Writer& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }

  // key(k).value(v) in one call.
  template <class T>
  Writer& field(std::string_view k, const T& v) {
    return key(k).value(v);
  }

  // The document so far (complete once every object and array is closed).
  const std::string& str() const { return out_; }

 private:
  Writer& number(const std::string& digits);
  void before_value();

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace tundra::app::json
