// errno names, texts and exit codes for the stream tools (tundra-bulk, tundra-rr).
#include "apps/common/errors.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "apps/common/options.hpp"

namespace tundra::app {

std::string describe_errno(int err) {
  const char* name = strerrorname_np(err);
  return fmt::format("{} ({})", name ? name : fmt::format("errno {}", err), std::strerror(err));
}

int exit_code_for(int err) {
  switch (err) {
    case 0:
      return kExitOk;
    case ECONNREFUSED:
      return kExitRefused;
    case ETIMEDOUT:
      return kExitTimedOut;
    case ECONNRESET:
      return kExitReset;
    default:
      return kExitFailure;
  }
}

}  // namespace tundra::app
