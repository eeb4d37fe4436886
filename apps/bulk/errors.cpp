// errno names, texts and exit codes for tundra-bulk.
#include "apps/bulk/errors.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "apps/common/options.hpp"

namespace tundra::bulk {

std::string describe_errno(int err) {
  const char* name = strerrorname_np(err);
  return fmt::format("{} ({})", name ? name : fmt::format("errno {}", err), std::strerror(err));
}

int exit_code_for(int err) {
  switch (err) {
    case 0:
      return app::kExitOk;
    case ECONNREFUSED:
      return kExitRefused;
    case ETIMEDOUT:
      return kExitTimedOut;
    case ECONNRESET:
      return kExitReset;
    default:
      return app::kExitFailure;
  }
}

int more_telling(int a, int b) {
  auto rank = [](int e) { return e == 0 ? 0 : exit_code_for(e) == app::kExitFailure ? 1 : 2; };
  return rank(b) > rank(a) ? b : a;
}

}  // namespace tundra::bulk
