// The version string every tundra program prints for --version.
#include "apps/common/version.hpp"

namespace tundra::app {
const char* version() {
  return "0.1.0";
}
}  // namespace tundra::app
