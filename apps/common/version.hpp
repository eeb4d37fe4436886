// The version string every tundra program prints for --version.
#pragma once

namespace tundra::app {
const char* version();
}
