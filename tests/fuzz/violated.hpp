// What a fuzz target calls when an invariant it checks does not hold: says which, then traps so
// libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>

namespace tundra::fuzz {

[[noreturn]] inline void violated(const char* what) {
  std::fputs(what, stderr);
  std::fputc('\n', stderr);
  __builtin_trap();
}

}  // namespace tundra::fuzz
