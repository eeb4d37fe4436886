// The initial window and the factory that picks a congestion control algorithm by name for the
// TCP connection (and the stack's configuration).
#include "stack/tcp/congestion.hpp"

#include <algorithm>

#include "stack/tcp/bbr.hpp"
#include "stack/tcp/cubic.hpp"
#include "stack/tcp/newreno.hpp"

namespace tundra::tcp {

size_t initial_window(size_t smss) {
  // RFC 6928 2, equation (1): ten segments, but never more than 14600 bytes unless that is less
  // than two segments.
  constexpr size_t kIwBytes = 14600;
  return std::min(10 * smss, std::max(2 * smss, kIwBytes));
}

std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name, size_t smss) {
  if (name == "newreno") return std::make_unique<NewReno>(smss);
  if (name == "cubic") return std::make_unique<Cubic>(smss);
  if (name == "bbr") return std::make_unique<Bbr>(smss);
  return nullptr;
}

std::vector<std::string_view> congestion_control_names() {
  return {"newreno", "cubic", "bbr"};
}

}  // namespace tundra::tcp
